/* `strata kmeans`: clusters the rows of an HDF5 dataset (src/kmeans) and writes /kmeans. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"

static int parse_choice(cli_run *run, const char *flag, const char *value, const char *const *names,
                        int count, int *out) {
  for (int i = 0; i < count; i++)
    if (strcmp(value, names[i]) == 0) {
      *out = i;
      return CLI_EXIT_OK;
    }
  char allowed[128] = "";
  for (int i = 0; i < count; i++) {
    strncat(allowed, i ? ", " : "", sizeof allowed - strlen(allowed) - 1);
    strncat(allowed, names[i], sizeof allowed - strlen(allowed) - 1);
  }
  return cli_usage_error(run, "--%s must be one of %s, got '%s'", flag, allowed, value);
}

static const char *const init_names[] = {"k-means++", "random", "given"};
static const char *const algorithm_names[] = {"auto", "lloyd", "hamerly"};

int cli_cmd_kmeans(int argc, char **argv, int argc_all, char **argv_all) {
  const char *in = NULL, *out = NULL, *dataset = "/accounts/features", *weights_path = NULL;
  const char *init = "k-means++", *algorithm = "auto", *init_centers = NULL;
  int64_t k = 0, max_iter = 300, n_init = 1;
  uint64_t seed = 0;
  double tol = 1e-4;
  int no_refine = 0;
  cli_option options[] = {
      {"in", 'i', CLI_STRING, &in, "FILE", "input HDF5 file", 1, 0, 0, 0},
      {"dataset", 0, CLI_STRING, &dataset, "PATH", "rows to cluster (default /accounts/features)",
       0, 0, 0, 0},
      {"k", 'k', CLI_INT, &k, "K", "number of clusters", 1, 1, 1e9, 0},
      {"out", 'o', CLI_STRING, &out, "FILE", "output HDF5 file", 1, 0, 0, 0},
      {"init", 0, CLI_STRING, &init, "METHOD", "k-means++ (default), random or given", 0, 0, 0, 0},
      {"init-centers", 0, CLI_STRING, &init_centers, "PATH",
       "k x d dataset of initial centres in the input file (with --init given)", 0, 0, 0, 0},
      {"algorithm", 0, CLI_STRING, &algorithm, "NAME",
       "auto (default), lloyd or hamerly: all give the same result", 0, 0, 0, 0},
      {"max-iter", 0, CLI_INT, &max_iter, "N", "iterations per run (default 300)", 0, 1, 1e9, 0},
      {"tol", 0, CLI_DOUBLE, &tol, "T",
       "stop when the squared centre shift <= T x mean feature variance (default 1e-4)", 0, 0,
       1e300, 0},
      {"n-init", 0, CLI_INT, &n_init, "N", "runs from different seeds, best kept (default 1)", 0, 1,
       1e6, 0},
      {"seed", 's', CLI_UINT64, &seed, "S", "random seed (default 0)", 0, 0, 0, 0},
      {"weights", 0, CLI_STRING, &weights_path, "PATH", "sample weights dataset in the input file",
       0, 0, 0, 0},
      {"no-refine", 0, CLI_FLAG, &no_refine, NULL,
       "plain k-means: no non-local refinement jumps after convergence", 0, 0, 0, 0},
  };
  cli_command cmd = {
      "kmeans",
      "Cluster the rows of a dataset with exact k-means.",
      "kmeans --in FILE [--dataset PATH] -k K --out FILE [options]",
      "Writes /kmeans/centers (k x d, the input's type), /kmeans/labels (int32) and the\n"
      "attributes inertia, n_iter, converged and seed. The same seed gives the same result\n"
      "for any --threads.",
      options,
      sizeof options / sizeof options[0],
      1,
      NULL,
      0};
  cli_run run;
  strata_h5_file *file = NULL;
  strata_h5_writer *w = NULL;
  strata_matrix x = {0};
  strata_matrix given = {0};
  double *weights = NULL;
  strata_kmeans *model = NULL;
  int rc = cli_parse(&run, &cmd, argc, argv, argc_all, argv_all);
  if (rc != CLI_EXIT_OK || run.common.help) {
    if (rc == CLI_EXIT_OK) cli_print_help(stdout, &cmd);
    goto done;
  }
  strata_kmeans_params p;
  strata_kmeans_params_init(&p);
  int choice = 0;
  if ((rc = parse_choice(&run, "init", init, init_names, 3, &choice)) != CLI_EXIT_OK) goto done;
  p.init = (strata_kmeans_init)choice;
  if ((rc = parse_choice(&run, "algorithm", algorithm, algorithm_names, 3, &choice)) != CLI_EXIT_OK)
    goto done;
  p.algorithm = (strata_kmeans_algorithm)choice;
  if ((p.init == STRATA_KMEANS_INIT_GIVEN) != (init_centers != NULL)) {
    rc = cli_usage_error(&run, "--init given and --init-centers PATH go together");
    goto done;
  }
  if ((rc = cli_check_distinct(&run, in, out)) != CLI_EXIT_OK) goto done;
  p.k = k;
  p.max_iter = (int)max_iter;
  p.tol = tol;
  p.n_init = (int)n_init;
  p.seed = seed;
  p.refine = !no_refine;

  strata_status st;
  double t0 = strata_now_seconds();
  if ((st = strata_h5_open(run.ctx, in, &file)) != STRATA_OK ||
      (st = strata_h5_read_matrix(run.ctx, file, dataset, STRATA_TYPES_FLOAT, &x)) != STRATA_OK)
    goto failed;
  if (weights_path != NULL &&
      (st = strata_h5_read_vector(run.ctx, file, weights_path, STRATA_TYPES_ANY, x.n, STRATA_F64,
                                  (void **)&weights)) != STRATA_OK)
    goto failed;
  if (init_centers != NULL) {
    if ((st = strata_h5_read_matrix(run.ctx, file, init_centers, 1u << x.dtype, &given)) !=
        STRATA_OK)
      goto failed;
    if (given.n != k || given.d != x.d) {
      rc = cli_usage_error(
          &run, "%s: --init-centers %s is %lld x %lld, expected k x d = %lld x %lld", in,
          init_centers, (long long)given.n, (long long)given.d, (long long)k, (long long)x.d);
      goto done;
    }
    p.init_centers = given.data;
  }
  p.weights = weights;
  strata_ctx_add_phase(run.ctx, "read", strata_now_seconds() - t0);
  /* Fail on an existing output before the work, not after it. */
  if ((st = strata_h5_writer_create(run.ctx, out, run.common.force, &w)) != STRATA_OK) goto failed;
  if ((st = strata_kmeans_fit(run.ctx, &x, &p, &model)) != STRATA_OK) goto failed;

  t0 = strata_now_seconds();
  int64_t cdims[2] = {k, x.d}, ldims[1] = {x.n};
  double inertia = strata_kmeans_inertia(model);
  int64_t n_iter = strata_kmeans_n_iter(model), converged = strata_kmeans_converged(model);
  int64_t jumps = strata_kmeans_jumps(model), seed64 = (int64_t)seed, k64 = k;
  const char *alg_used = algorithm_names[strata_kmeans_algorithm_used(model)];
  if ((st = strata_h5_write(run.ctx, w, "/kmeans/centers", x.dtype, 2, cdims,
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
      (st = strata_h5_write_attr_string(run.ctx, w, "/kmeans", "algorithm", alg_used)) !=
          STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/kmeans", "init", init)) != STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/kmeans", "input", in)) != STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/kmeans", "dataset", dataset)) != STRATA_OK ||
      (st = strata_h5_write_provenance(run.ctx, w, run.command_line, x.n, x.d)) != STRATA_OK)
    goto failed;
  st = strata_h5_writer_commit(run.ctx, w);
  w = NULL;
  if (st != STRATA_OK) goto failed;
  strata_ctx_add_phase(run.ctx, "write", strata_now_seconds() - t0);

  int64_t *sizes = calloc((size_t)k, sizeof *sizes);
  const int32_t *labels = strata_kmeans_labels(model);
  for (int64_t i = 0; sizes && i < x.n; i++) sizes[labels[i]]++;
  cJSON_AddNumberToObject(run.result, "n", (double)x.n);
  cJSON_AddNumberToObject(run.result, "d", (double)x.d);
  cJSON_AddNumberToObject(run.result, "k", (double)k);
  cJSON_AddNumberToObject(run.result, "inertia", inertia);
  cJSON_AddNumberToObject(run.result, "n_iter", (double)n_iter);
  cJSON_AddBoolToObject(run.result, "converged", (int)converged);
  cJSON_AddNumberToObject(run.result, "refine_jumps", (double)jumps);
  cJSON_AddStringToObject(run.result, "algorithm", alg_used);
  cJSON_AddStringToObject(run.result, "out", out);
  cJSON *jsizes = cJSON_AddArrayToObject(run.result, "cluster_sizes");
  for (int64_t j = 0; sizes && j < k; j++)
    cJSON_AddItemToArray(jsizes, cJSON_CreateNumber((double)sizes[j]));
  FILE *text = cli_text(&run);
  if (text) {
    fprintf(text, "k-means on %s %s: %lld rows x %lld features, k = %lld (%s)\n", in, dataset,
            (long long)x.n, (long long)x.d, (long long)k, alg_used);
    fprintf(text, "inertia %.6g after %lld iterations (%s), %lld refinement jumps\n", inertia,
            (long long)n_iter, converged ? "converged" : "not converged", (long long)jumps);
    fprintf(text, "cluster sizes:");
    for (int64_t j = 0; sizes && j < k; j++) fprintf(text, " %lld", (long long)sizes[j]);
    fprintf(text, "\nwrote %s\n", out);
  }
  free(sizes);
  rc = cli_finish(&run);
  goto done;
failed:
  rc = cli_fail(&run, st);
done:
  strata_h5_writer_free(w);
  strata_kmeans_free(model);
  strata_matrix_release(&x);
  strata_matrix_release(&given);
  strata_buffer_free(weights);
  strata_h5_close(file);
  cli_run_free(&run);
  return rc;
}
