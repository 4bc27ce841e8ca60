/* `strata hier`: hierarchical clustering of the rows of an HDF5 dataset (src/hier); writes
 * /hier/linkage (SciPy's layout), /hier/leaf_order, and /hier/labels when a cut is asked for. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"

int cli_cmd_hier(int argc, char **argv, int argc_all, char **argv_all) {
  const char *in = NULL, *out = NULL, *dataset = "/accounts/features", *method_name = NULL;
  int64_t cut_k = 0, micro = 0, micro_iter = 25;
  double cut_height = NAN;
  uint64_t seed = 0;
  int cophenetic = 0, ward_matrix = 0;
  cli_option options[] = {
      {"in", 'i', CLI_STRING, &in, "FILE", "input HDF5 file", 1, 0, 0, 0},
      {"dataset", 0, CLI_STRING, &dataset, "PATH", "rows to cluster (default /accounts/features)",
       0, 0, 0, 0},
      {"method", 'm', CLI_STRING, &method_name, "NAME",
       "ward, single, complete, average, weighted, centroid or median", 1, 0, 0, 0},
      {"out", 'o', CLI_STRING, &out, "FILE", "output HDF5 file", 1, 0, 0, 0},
      {"cut-k", 'k', CLI_INT, &cut_k, "K",
       "write /hier/labels: at most K clusters (SciPy fcluster maxclust)", 0, 1, 2147483647.0, 0},
      {"cut-height", 0, CLI_DOUBLE, &cut_height, "H",
       "write /hier/labels: clusters merged at heights <= H (fcluster distance)", 0, 0, 1e300, 0},
      {"micro", 0, CLI_INT, &micro, "M",
       "two-stage for millions of rows: k-means to M micro-clusters, exact linkage of their "
       "centres weighted by size, every row labelled through its micro-cluster",
       0, 2, 2147483647.0, 0},
      {"micro-iter", 0, CLI_INT, &micro_iter, "N", "k-means iterations of --micro (default 25)", 0,
       1, 1e6, 0},
      {"seed", 's', CLI_UINT64, &seed, "S", "k-means seed of --micro (default 0)", 0, 0, 0, 0},
      {"cophenetic", 0, CLI_FLAG, &cophenetic, NULL,
       "compute the cophenetic correlation (exact trees; O(n^2 d) time, O(n d) memory)", 0, 0, 0,
       0},
      {"ward-matrix", 0, CLI_FLAG, &ward_matrix, NULL,
       "ward: run on the stored distance matrix (O(n^2) memory) instead of the vectors", 0, 0, 0,
       0},
  };
  cli_command cmd = {
      "hier",
      "Hierarchical clustering with SciPy's linkage matrix.",
      "hier --in FILE [--dataset PATH] --method METHOD --out FILE [--cut-k K] [--micro M]",
      "Writes /hier/linkage ((n-1) x 4 float64, SciPy's and fastcluster's layout and tree),\n"
      "/hier/leaf_order (dendrogram order) and, with --cut-k or --cut-height, /hier/labels\n"
      "(int32, 0-based, numbered in dendrogram order: fcluster's labels minus 1).\n"
      "Exact methods need O(n^2) time; complete, average and weighted also store an O(n^2)\n"
      "distance matrix, which must fit in --memory. --micro M makes millions of rows\n"
      "tractable: then /hier/linkage is the tree of the M micro-clusters, and\n"
      "/hier/micro_labels, /hier/micro_sizes and /hier/micro_centers say which rows they hold.",
      options,
      sizeof options / sizeof options[0],
      1,
      NULL,
      0};
  cli_run run;
  strata_h5_file *file = NULL;
  strata_h5_writer *w = NULL;
  strata_matrix x = {0};
  strata_hier *tree = NULL;
  int32_t *labels = NULL, *order = NULL;
  int rc = cli_parse(&run, &cmd, argc, argv, argc_all, argv_all);
  if (rc != CLI_EXIT_OK || run.common.help) {
    if (rc == CLI_EXIT_OK) cli_print_help(stdout, &cmd);
    goto done;
  }
  strata_hier_params p;
  strata_hier_params_init(&p);
  if (!strata_hier_method_from_name(method_name, &p.method)) {
    rc = cli_usage_error(&run,
                         "--method must be one of ward, single, complete, average, weighted, "
                         "centroid, median; got '%s'",
                         method_name);
    goto done;
  }
  if (cut_k > 0 && !isnan(cut_height)) {
    rc = cli_usage_error(&run, "--cut-k and --cut-height are alternatives: give one");
    goto done;
  }
  if (ward_matrix && p.method != STRATA_HIER_WARD) {
    rc = cli_usage_error(&run, "--ward-matrix applies to --method ward only");
    goto done;
  }
  if (cophenetic && micro > 0) {
    rc = cli_usage_error(&run, "--cophenetic needs the exact tree: it cannot go with --micro");
    goto done;
  }
  if ((rc = cli_check_distinct(&run, in, out)) != CLI_EXIT_OK) goto done;
  p.micro = micro;
  p.seed = seed;
  p.micro_max_iter = (int)micro_iter;
  p.ward_matrix = ward_matrix;

  strata_status st;
  double t0 = strata_now_seconds();
  if ((st = strata_h5_open(run.ctx, in, &file)) != STRATA_OK ||
      (st = strata_h5_read_matrix(run.ctx, file, dataset, STRATA_TYPES_FLOAT, &x)) != STRATA_OK)
    goto failed;
  strata_ctx_add_phase(run.ctx, "read", strata_now_seconds() - t0);
  if (x.n < 2) {
    st = STRATA_ERR_DATA;
    fprintf(stderr,
            "strata hier: error: %s: %s has %lld row, hierarchical clustering needs at "
            "least 2\n",
            in, dataset, (long long)x.n);
    rc = cli_exit_code(st);
    goto done;
  }
  /* Fail on an existing output before the work, not after it. */
  if ((st = strata_h5_writer_create(run.ctx, out, run.common.force, &w)) != STRATA_OK) goto failed;
  if ((st = strata_hier_fit(run.ctx, &x, &p, &tree)) != STRATA_OK) goto failed;

  const int64_t leaves = strata_hier_leaves(tree), rows = strata_hier_rows(tree);
  t0 = strata_now_seconds();
  int64_t n_clusters = 0;
  const int cut = cut_k > 0 || !isnan(cut_height);
  if (cut) {
    labels = malloc((size_t)rows * sizeof *labels);
    if (labels == NULL) {
      st = STRATA_ERR_NOMEM;
      goto failed;
    }
    if ((st = strata_hier_cut_rows(
             run.ctx, tree, cut_k > 0 ? STRATA_HIER_CUT_MAXCLUST : STRATA_HIER_CUT_DISTANCE,
             cut_k > 0 ? (double)cut_k : cut_height, labels, &n_clusters)) != STRATA_OK)
      goto failed;
  }
  order = malloc((size_t)leaves * sizeof *order);
  if (order == NULL) {
    st = STRATA_ERR_NOMEM;
    goto failed;
  }
  if ((st = strata_linkage_leaf_order(run.ctx, strata_hier_linkage(tree), leaves, order)) !=
      STRATA_OK)
    goto failed;
  double coph = NAN;
  if (cophenetic &&
      (st = strata_linkage_cophenetic(run.ctx, strata_hier_linkage(tree), &x, &coph)) != STRATA_OK)
    goto failed;
  strata_ctx_add_phase(run.ctx, "cut", strata_now_seconds() - t0);

  t0 = strata_now_seconds();
  const int64_t zdims[2] = {leaves - 1, 4}, ldims[1] = {rows}, odims[1] = {leaves};
  const int64_t cdims[2] = {leaves, x.d};
  const int64_t n64 = rows, micro64 = micro, leaves64 = leaves;
  const char *mname = strata_hier_method_name(p.method), *alg = strata_hier_algorithm(tree);
  if ((st = strata_h5_write(run.ctx, w, "/hier/linkage", STRATA_F64, 2, zdims,
                            strata_hier_linkage(tree))) != STRATA_OK ||
      (st = strata_h5_write(run.ctx, w, "/hier/leaf_order", STRATA_I32, 1, odims, order)) !=
          STRATA_OK ||
      (cut && (st = strata_h5_write(run.ctx, w, "/hier/labels", STRATA_I32, 1, ldims, labels)) !=
                  STRATA_OK) ||
      (micro > 0 && ((st = strata_h5_write(run.ctx, w, "/hier/micro_labels", STRATA_I32, 1, ldims,
                                           strata_hier_micro_labels(tree))) != STRATA_OK ||
                     (st = strata_h5_write(run.ctx, w, "/hier/micro_sizes", STRATA_F64, 1, odims,
                                           strata_hier_micro_sizes(tree))) != STRATA_OK ||
                     (st = strata_h5_write(run.ctx, w, "/hier/micro_centers", STRATA_F64, 2, cdims,
                                           strata_hier_micro_centers(tree))) != STRATA_OK)) ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/hier", "method", mname)) != STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/hier", "algorithm", alg)) != STRATA_OK ||
      (st = strata_h5_write_attr_int64(run.ctx, w, "/hier", "n", &n64, 1)) != STRATA_OK ||
      (st = strata_h5_write_attr_int64(run.ctx, w, "/hier", "leaves", &leaves64, 1)) != STRATA_OK ||
      (st = strata_h5_write_attr_int64(run.ctx, w, "/hier", "micro", &micro64, 1)) != STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/hier", "input", in)) != STRATA_OK ||
      (st = strata_h5_write_attr_string(run.ctx, w, "/hier", "dataset", dataset)) != STRATA_OK ||
      (cophenetic && (st = strata_h5_write_attr_double(
                          run.ctx, w, "/hier", "cophenetic_correlation", &coph, 1)) != STRATA_OK) ||
      (st = strata_h5_write_provenance(run.ctx, w, run.command_line, x.n, x.d)) != STRATA_OK)
    goto failed;
  st = strata_h5_writer_commit(run.ctx, w);
  w = NULL;
  if (st != STRATA_OK) goto failed;
  strata_ctx_add_phase(run.ctx, "write", strata_now_seconds() - t0);

  const double *Z = strata_hier_linkage(tree);
  cJSON_AddNumberToObject(run.result, "n", (double)rows);
  cJSON_AddNumberToObject(run.result, "d", (double)x.d);
  cJSON_AddStringToObject(run.result, "method", mname);
  cJSON_AddStringToObject(run.result, "algorithm", alg);
  cJSON_AddNumberToObject(run.result, "leaves", (double)leaves);
  cJSON_AddNumberToObject(run.result, "micro", (double)micro);
  cJSON_AddNumberToObject(run.result, "root_height", Z[4 * (leaves - 2) + 2]);
  if (cophenetic) cJSON_AddNumberToObject(run.result, "cophenetic_correlation", coph);
  if (cut) cJSON_AddNumberToObject(run.result, "clusters", (double)n_clusters);
  cJSON_AddStringToObject(run.result, "out", out);
  FILE *text = cli_text(&run);
  if (text) {
    fprintf(text, "%s linkage (%s) of %s %s: %lld rows x %lld features", mname, alg, in, dataset,
            (long long)rows, (long long)x.d);
    if (micro > 0) fprintf(text, " through %lld micro-clusters", (long long)leaves);
    fprintf(text, "\nroot height %.6g\n", Z[4 * (leaves - 2) + 2]);
    if (cophenetic) fprintf(text, "cophenetic correlation %.6f\n", coph);
    if (cut) fprintf(text, "cut into %lld clusters\n", (long long)n_clusters);
    fprintf(text, "wrote %s\n", out);
  }
  rc = cli_finish(&run);
  goto done;
failed:
  rc = cli_fail(&run, st);
done:
  strata_h5_writer_free(w);
  strata_hier_free(tree);
  strata_matrix_release(&x);
  strata_h5_close(file);
  free(labels);
  free(order);
  cli_run_free(&run);
  return rc;
}
