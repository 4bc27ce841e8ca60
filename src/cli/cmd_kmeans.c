/* `strata kmeans`: clusters the rows of an HDF5 dataset (src/kmeans) and writes /kmeans; with
 * --k-range, fits every k of the range, scores each (inertia, Calinski-Harabasz,
 * Davies-Bouldin, sampled silhouette), keeps the k chosen by --select and writes the table
 * /kmeans/selection. Data larger than the memory budget is clustered out of core. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"

/* Indexed by the library's enums. */
static const char *const init_names[] = {"k-means++", "random", "given", "k-means||", "auto"};
static const char *const algorithm_names[] = {"auto", "lloyd", "hamerly", "yinyang", "minibatch"};
enum { SELECT_SILHOUETTE, SELECT_CH, SELECT_DB };
static const char *const select_names[] = {"silhouette", "calinski-harabasz", "davies-bouldin"};

/* One row of the selection table. */
enum { COL_K, COL_INERTIA, COL_CH, COL_DB, COL_SIL, COL_ITER, COL_SECONDS, N_COLS };
static const char *const col_names[N_COLS] = {
    "k", "inertia", "calinski_harabasz", "davies_bouldin", "silhouette", "n_iter", "seconds"};

/* 1 when row a is a better choice than row b by the criterion (NaN never wins; on a tie the
 * smaller k, which comes first, stays). */
static int better(int criterion, const double *a, const double *b) {
  double va = criterion == SELECT_SILHOUETTE ? a[COL_SIL]
              : criterion == SELECT_CH       ? a[COL_CH]
                                             : a[COL_DB];
  double vb = criterion == SELECT_SILHOUETTE ? b[COL_SIL]
              : criterion == SELECT_CH       ? b[COL_CH]
                                             : b[COL_DB];
  if (isnan(va)) return 0;
  if (isnan(vb)) return 1;
  return criterion == SELECT_DB ? va < vb : va > vb;
}

static int parse_range(cli_run *run, const char *text, int64_t *lo, int64_t *hi) {
  char *end = NULL;
  long long a = strtoll(text, &end, 10);
  if (end == text || *end != ':')
    return cli_usage_error(run, "--k-range must be LO:HI (e.g. 2:12), got '%s'", text);
  const char *rest = end + 1;
  long long b = strtoll(rest, &end, 10);
  if (end == rest || *end != '\0')
    return cli_usage_error(run, "--k-range must be LO:HI (e.g. 2:12), got '%s'", text);
  if (a < 1 || b < a || b - a > 100000)
    return cli_usage_error(run, "--k-range %s: need 1 <= LO <= HI (got %lld:%lld)", text, a, b);
  *lo = a;
  *hi = b;
  return CLI_EXIT_OK;
}

int cli_cmd_kmeans(int argc, char **argv, int argc_all, char **argv_all) {
  const char *in = NULL, *out = NULL, *dataset = "/accounts/features", *weights_path = NULL;
  const char *init = "auto", *algorithm = "auto", *init_centers = NULL, *k_range = NULL;
  const char *select = "silhouette";
  int64_t k = 0, max_iter = 300, n_init = 1, init_rounds = 0, batch_size = 1024;
  int64_t max_no_improvement = 10, silhouette_sample = 10000, sample_rows = 0;
  uint64_t seed = 0;
  double tol = 1e-4, oversampling = 0, reassignment_ratio = 0.01;
  int no_refine = 0;
  cli_option options[] = {
      {"in", 'i', CLI_STRING, &in, "FILE", "input HDF5 file", 1, 0, 0, 0},
      {"dataset", 0, CLI_STRING, &dataset, "PATH", "rows to cluster (default /accounts/features)",
       0, 0, 0, 0},
      {"k", 'k', CLI_INT, &k, "K", "number of clusters (or --k-range)", 0, 1, 1e9, 0},
      {"k-range", 0, CLI_STRING, &k_range, "LO:HI",
       "fit every k from LO to HI, score each, keep the k chosen by --select", 0, 0, 0, 0},
      {"select", 0, CLI_STRING, &select, "CRITERION",
       "with --k-range: silhouette (default: highest mean silhouette on the sample), "
       "calinski-harabasz (highest) or davies-bouldin (lowest); ties keep the smaller k",
       0, 0, 0, 0},
      {"silhouette-sample", 0, CLI_INT, &silhouette_sample, "N",
       "with --k-range: rows of the seeded silhouette sample (default 10000; 0: all rows)", 0, 0,
       1e12, 0},
      {"out", 'o', CLI_STRING, &out, "FILE", "output HDF5 file", 1, 0, 0, 0},
      {"init", 0, CLI_STRING, &init, "METHOD",
       "auto (default: k-means|| when k >= 16 and n >= 10000, else k-means++), k-means++, "
       "k-means||, random or given",
       0, 0, 0, 0},
      {"oversampling", 0, CLI_DOUBLE, &oversampling, "L",
       "k-means||: rows drawn per round (default 2k)", 0, 0, 1e18, 0},
      {"init-rounds", 0, CLI_INT, &init_rounds, "R", "k-means||: rounds (default 3)", 0, 1, 1000,
       0},
      {"init-centers", 0, CLI_STRING, &init_centers, "PATH",
       "k x d dataset of initial centres in the input file (with --init given)", 0, 0, 0, 0},
      {"algorithm", 0, CLI_STRING, &algorithm, "NAME",
       "auto (default: lloyd for k <= 32, hamerly below 384, yinyang above), lloyd, hamerly or "
       "yinyang (exact: all give the same result), or minibatch (approximate, for very large n)",
       0, 0, 0, 0},
      {"batch-size", 0, CLI_INT, &batch_size, "N", "minibatch: rows per step (default 1024)", 0, 1,
       1e12, 0},
      {"max-no-improvement", 0, CLI_INT, &max_no_improvement, "N",
       "minibatch: stop after N steps without a better smoothed inertia (default 10, 0: off)", 0, 0,
       1e9, 0},
      {"reassignment-ratio", 0, CLI_DOUBLE, &reassignment_ratio, "R",
       "minibatch: move centres lighter than R x the heaviest (default 0.01, 0: off)", 0, 0, 1e300,
       0},
      {"max-iter", 0, CLI_INT, &max_iter, "N",
       "iterations per run (default 300; minibatch: epochs)", 0, 1, 1e9, 0},
      {"tol", 0, CLI_DOUBLE, &tol, "T",
       "stop when the squared centre shift <= T x mean feature variance (default 1e-4)", 0, 0,
       1e300, 0},
      {"n-init", 0, CLI_INT, &n_init, "N", "runs from different seeds, best kept (default 1)", 0, 1,
       1e6, 0},
      {"seed", 's', CLI_UINT64, &seed, "S", "random seed (default 0)", 0, 0, 0, 0},
      {"weights", 0, CLI_STRING, &weights_path, "PATH", "sample weights dataset in the input file",
       0, 0, 0, 0},
      {"sample", 0, CLI_INT, &sample_rows, "N",
       "train on N rows drawn by the seed (as faiss does by default), then label every row "
       "(default 0: train on all rows)",
       0, 0, 1e12, 0},
      {"no-refine", 0, CLI_FLAG, &no_refine, NULL,
       "plain k-means: no non-local refinement jumps after convergence", 0, 0, 0, 0},
  };
  cli_command cmd = {
      "kmeans",
      "Cluster the rows of a dataset with k-means.",
      "kmeans --in FILE [--dataset PATH] (-k K | --k-range LO:HI) --out FILE [options]",
      "Writes /kmeans/centers (k x d, the input's type), /kmeans/labels (int32) and the\n"
      "attributes inertia, n_iter, converged, seed, algorithm and init. With --k-range also\n"
      "/kmeans/selection, one row per k (k, inertia, calinski_harabasz, davies_bouldin,\n"
      "silhouette, n_iter, seconds), and the chosen k's model. When the data is larger than\n"
      "the memory budget (--memory), it is clustered out of core: exact Lloyd streaming row\n"
      "blocks from the file every iteration (init on a sample, no refinement jumps). The same\n"
      "seed gives the same result for any --threads.",
      options,
      sizeof options / sizeof options[0],
      1,
      NULL,
      0};
  cli_run run;
  strata_h5_file *file = NULL;
  strata_h5_dataset *probe = NULL;
  strata_h5_writer *w = NULL;
  strata_matrix x = {0};
  strata_matrix given = {0};
  double *weights = NULL, *table = NULL;
  strata_kmeans *model = NULL, *fitted = NULL;
  int64_t *sizes = NULL;
  int rc;
  if (!cli_start(&run, &cmd, argc, argv, argc_all, argv_all, &rc)) goto done;
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  int choice = 0, criterion = SELECT_SILHOUETTE;
  if ((rc = cli_parse_choice(&run, "init", init, init_names, 5, &choice)) != CLI_EXIT_OK) goto done;
  p.init = (strata_kmeans_init)choice;
  if ((rc = cli_parse_choice(&run, "algorithm", algorithm, algorithm_names, 5, &choice)) !=
      CLI_EXIT_OK)
    goto done;
  p.algorithm = (strata_kmeans_algorithm)choice;
  if ((rc = cli_parse_choice(&run, "select", select, select_names, 3, &criterion)) != CLI_EXIT_OK)
    goto done;
  if ((k > 0) == (k_range != NULL)) {
    rc = cli_usage_error(&run, "give either -k K or --k-range LO:HI");
    goto done;
  }
  int64_t k_lo = k, k_hi = k;
  if (k_range != NULL && (rc = parse_range(&run, k_range, &k_lo, &k_hi)) != CLI_EXIT_OK) goto done;
  if ((p.init == STRATA_KMEANS_INIT_GIVEN) != (init_centers != NULL)) {
    rc = cli_usage_error(&run, "--init given and --init-centers PATH go together");
    goto done;
  }
  if (init_centers != NULL && k_range != NULL) {
    rc = cli_usage_error(&run, "--init given needs a single -k, not --k-range");
    goto done;
  }
  if ((rc = cli_check_distinct(&run, in, out)) != CLI_EXIT_OK) goto done;
  p.max_iter = (int)max_iter;
  p.tol = tol;
  p.n_init = (int)n_init;
  p.seed = seed;
  p.refine = !no_refine;
  p.oversampling = oversampling;
  p.init_rounds = (int)init_rounds;
  p.batch_size = batch_size;
  p.max_no_improvement = (int)max_no_improvement;
  p.reassignment_ratio = reassignment_ratio;
  p.sample_rows = sample_rows;

  strata_status st;
  double t0 = strata_now_seconds();
  if ((st = strata_h5_open(run.ctx, in, &file)) != STRATA_OK ||
      (st = strata_h5_dataset_open(run.ctx, file, dataset, 2, STRATA_TYPES_FLOAT, 0, &probe)) !=
          STRATA_OK)
    goto failed;
  const strata_dataset_info info = *strata_h5_dataset_info(probe);
  strata_h5_dataset_close(probe);
  probe = NULL;
  const int64_t n = info.dims[0], d = info.dims[1];
  /* Out of core when the rows alone would not fit the budget. */
  const int stream = (double)n * (double)d * (double)strata_dtype_size(info.dtype) >
                     (double)strata_ctx_memory_budget(run.ctx);
  if (stream && k_range != NULL) {
    rc = cli_usage_error(&run,
                         "%s: %s does not fit the memory budget; --k-range needs the data "
                         "in memory (raise --memory, or fit one -k out of core)",
                         in, dataset);
    goto done;
  }
  if (!stream &&
      (st = strata_h5_read_matrix(run.ctx, file, dataset, STRATA_TYPES_FLOAT, &x)) != STRATA_OK)
    goto failed;
  if (weights_path != NULL &&
      (st = strata_h5_read_vector(run.ctx, file, weights_path, STRATA_TYPES_ANY, n, STRATA_F64,
                                  (void **)&weights)) != STRATA_OK)
    goto failed;
  if (init_centers != NULL) {
    if ((st = strata_h5_read_matrix(run.ctx, file, init_centers, 1u << info.dtype, &given)) !=
        STRATA_OK)
      goto failed;
    if (given.n != k || given.d != d) {
      rc = cli_usage_error(
          &run, "%s: --init-centers %s is %lld x %lld, expected k x d = %lld x %lld", in,
          init_centers, (long long)given.n, (long long)given.d, (long long)k, (long long)d);
      goto done;
    }
    p.init_centers = given.data;
  }
  p.weights = weights;
  strata_ctx_add_phase(run.ctx, "read", strata_now_seconds() - t0);
  /* Fail on an existing output before the work, not after it. */
  if ((st = strata_h5_writer_create(run.ctx, out, run.common.force, &w)) != STRATA_OK) goto failed;

  const int64_t n_k = k_hi - k_lo + 1;
  int64_t chosen = -1;
  if (k_range != NULL) {
    table = calloc((size_t)n_k * N_COLS, sizeof *table);
    if (table == NULL) {
      st = STRATA_ERR_NOMEM;
      goto failed;
    }
  }
  for (int64_t kk = k_lo; kk <= k_hi; kk++) {
    p.k = kk;
    double t_fit = strata_now_seconds();
    if (stream)
      st = strata_kmeans_fit_h5(run.ctx, file, dataset, &p, &fitted);
    else
      st = strata_kmeans_fit(run.ctx, &x, &p, &fitted);
    if (st != STRATA_OK) goto failed;
    if (table == NULL) {
      model = fitted;
      fitted = NULL;
      break;
    }
    strata_cluster_scores sc;
    double t_sc = strata_now_seconds();
    if ((st = strata_kmeans_scores(run.ctx, &x, strata_kmeans_labels(fitted), kk, silhouette_sample,
                                   seed, &sc)) != STRATA_OK)
      goto failed;
    strata_ctx_add_phase(run.ctx, "scores", strata_now_seconds() - t_sc);
    double *row = table + (kk - k_lo) * N_COLS;
    row[COL_K] = (double)kk;
    row[COL_INERTIA] = strata_kmeans_inertia(fitted);
    row[COL_CH] = sc.calinski_harabasz;
    row[COL_DB] = sc.davies_bouldin;
    row[COL_SIL] = sc.silhouette;
    row[COL_ITER] = (double)strata_kmeans_n_iter(fitted);
    row[COL_SECONDS] = strata_now_seconds() - t_fit;
    if (chosen < 0 || better(criterion, row, table + (chosen - k_lo) * N_COLS)) {
      chosen = kk;
      strata_kmeans_free(model);
      model = fitted;
    } else {
      strata_kmeans_free(fitted);
    }
    fitted = NULL;
  }
  k = strata_kmeans_k(model);

  t0 = strata_now_seconds();
  int64_t cdims[2] = {k, d}, ldims[1] = {n};
  double inertia = strata_kmeans_inertia(model);
  int64_t n_iter = strata_kmeans_n_iter(model), converged = strata_kmeans_converged(model);
  int64_t jumps = strata_kmeans_jumps(model), seed64 = (int64_t)seed, k64 = k;
  int64_t stream64 = stream;
  const char *alg_used = algorithm_names[strata_kmeans_algorithm_used(model)];
  const char *init_used = init_names[strata_kmeans_init_used(model)];
  if ((st = strata_h5_write(run.ctx, w, "/kmeans/centers", info.dtype, 2, cdims,
                            strata_kmeans_centers(model))) != STRATA_OK ||
      (st = strata_h5_write(run.ctx, w, "/kmeans/labels", STRATA_I32, 1, ldims,
                            strata_kmeans_labels(model))) != STRATA_OK ||
      (st = strata_h5_write_attr_double(run.ctx, w, "/kmeans", "inertia", &inertia, 1)) !=
          STRATA_OK ||
      (st = strata_h5_write_attr_int64(run.ctx, w, "/kmeans", "n_iter", &n_iter, 1)) != STRATA_OK ||
      (st = strata_h5_write_attr_int64(run.ctx, w, "/kmeans", "converged", &converged, 1)) !=
          STRATA_OK ||
      (st = strata_h5_write_attr_int64(run.ctx, w, "/kmeans", "seed", &seed64, 1)) != STRATA_OK ||
      (st = strata_h5_write_attr_int64(run.ctx, w, "/kmeans", "k", &k64, 1)) != STRATA_OK ||
      (st = strata_h5_write_attr_int64(run.ctx, w, "/kmeans", "refine_jumps", &jumps, 1)) !=
          STRATA_OK ||
      (st = strata_h5_write_attr_int64(run.ctx, w, "/kmeans", "out_of_core", &stream64, 1)) !=
          STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/kmeans", "algorithm", alg_used)) !=
          STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/kmeans", "init", init_used)) != STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/kmeans", "input", in)) != STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/kmeans", "dataset", dataset)) != STRATA_OK ||
      (st = strata_h5_write_provenance(run.ctx, w, run.command_line, n, d)) != STRATA_OK)
    goto failed;
  if (table != NULL) {
    int64_t range[2] = {k_lo, k_hi}, ss = silhouette_sample;
    if ((st = strata_h5_write_table(run.ctx, w, "/kmeans/selection", n_k, N_COLS, col_names,
                                    table)) != STRATA_OK ||
        (st = strata_h5_write_attr_string(run.ctx, w, "/kmeans/selection", "criterion",
                                          select_names[criterion])) != STRATA_OK ||
        (st = strata_h5_write_attr_int64(run.ctx, w, "/kmeans/selection", "k_range", range, 2)) !=
            STRATA_OK ||
        (st = strata_h5_write_attr_int64(run.ctx, w, "/kmeans/selection", "chosen_k", &k64, 1)) !=
            STRATA_OK ||
        (st = strata_h5_write_attr_int64(run.ctx, w, "/kmeans/selection", "silhouette_sample", &ss,
                                         1)) != STRATA_OK)
      goto failed;
  }
  st = strata_h5_writer_commit(run.ctx, w);
  w = NULL;
  if (st != STRATA_OK) goto failed;
  strata_ctx_add_phase(run.ctx, "write", strata_now_seconds() - t0);

  sizes = calloc((size_t)k, sizeof *sizes);
  const int32_t *labels = strata_kmeans_labels(model);
  for (int64_t i = 0; sizes && i < n; i++) sizes[labels[i]]++;
  cJSON_AddNumberToObject(run.result, "n", (double)n);
  cJSON_AddNumberToObject(run.result, "d", (double)d);
  cJSON_AddNumberToObject(run.result, "k", (double)k);
  cJSON_AddNumberToObject(run.result, "inertia", inertia);
  cJSON_AddNumberToObject(run.result, "n_iter", (double)n_iter);
  cJSON_AddBoolToObject(run.result, "converged", (int)converged);
  cJSON_AddNumberToObject(run.result, "refine_jumps", (double)jumps);
  cJSON_AddStringToObject(run.result, "algorithm", alg_used);
  cJSON_AddStringToObject(run.result, "init", init_used);
  cJSON_AddBoolToObject(run.result, "out_of_core", stream);
  cJSON_AddStringToObject(run.result, "out", out);
  cJSON *jsizes = cJSON_AddArrayToObject(run.result, "cluster_sizes");
  for (int64_t j = 0; sizes && j < k; j++)
    cJSON_AddItemToArray(jsizes, cJSON_CreateNumber((double)sizes[j]));
  if (table != NULL) {
    cJSON_AddStringToObject(run.result, "criterion", select_names[criterion]);
    cJSON *jt = cJSON_AddArrayToObject(run.result, "selection");
    for (int64_t r = 0; r < n_k; r++) {
      cJSON *o = cJSON_CreateObject();
      for (int c = 0; c < N_COLS; c++) {
        double v = table[r * N_COLS + c];
        if (isnan(v))
          cJSON_AddNullToObject(o, col_names[c]);
        else
          cJSON_AddNumberToObject(o, col_names[c], v);
      }
      cJSON_AddItemToArray(jt, o);
    }
  }
  FILE *text = cli_text(&run);
  if (text) {
    fprintf(text, "k-means on %s %s: %lld rows x %lld features, k = %lld (%s, init %s%s)\n", in,
            dataset, (long long)n, (long long)d, (long long)k, alg_used, init_used,
            stream ? ", out of core" : "");
    if (table != NULL) {
      fprintf(text, "%6s %14s %18s %15s %11s %7s %8s\n", "k", "inertia", "calinski_harabasz",
              "davies_bouldin", "silhouette", "n_iter", "seconds");
      for (int64_t r = 0; r < n_k; r++) {
        const double *row = table + r * N_COLS;
        fprintf(text, "%6lld %14.6g %18.6g %15.6g %11.4f %7lld %8.3f%s\n", (long long)row[COL_K],
                row[COL_INERTIA], row[COL_CH], row[COL_DB], row[COL_SIL], (long long)row[COL_ITER],
                row[COL_SECONDS], (int64_t)row[COL_K] == k ? "  <- chosen" : "");
      }
      fprintf(text, "chosen k = %lld by %s%s\n", (long long)k, select_names[criterion],
              criterion == SELECT_DB ? " (lowest)" : " (highest)");
    }
    fprintf(text, "inertia %.6g after %lld iterations (%s), %lld refinement jumps\n", inertia,
            (long long)n_iter, converged ? "converged" : "not converged", (long long)jumps);
    fprintf(text, "cluster sizes:");
    for (int64_t j = 0; sizes && j < k; j++) fprintf(text, " %lld", (long long)sizes[j]);
    fprintf(text, "\nwrote %s\n", out);
  }
  rc = cli_finish(&run);
  goto done;
failed:
  rc = cli_fail(&run, st);
done:
  free(sizes);
  free(table);
  strata_h5_writer_free(w);
  strata_kmeans_free(model);
  strata_kmeans_free(fitted);
  strata_matrix_release(&x);
  strata_matrix_release(&given);
  strata_buffer_free(weights);
  strata_h5_dataset_close(probe);
  strata_h5_close(file);
  cli_run_free(&run);
  return rc;
}
