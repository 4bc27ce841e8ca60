#include "test_support.h"

#include "core/rng.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef STRATA_TEST_TMP
#define STRATA_TEST_TMP "/tmp"
#endif
#ifndef STRATA_SHARED_DATASETS
#define STRATA_SHARED_DATASETS "../shared/datasets"
#endif

static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
      chmod(path, 0700);
      remove_tree(path);
      rmdir(path);
    } else {
      unlink(path);
    }
  }
  closedir(d);
}

const char *test_tmpdir(void) {
  static char dir[4096];
  if (dir[0] != '\0') return dir;
  mkdir(STRATA_TEST_TMP, 0755);
  snprintf(dir, sizeof dir, "%s/unit-%ld", STRATA_TEST_TMP, (long)getpid());
  remove_tree(dir);
  mkdir(dir, 0755);
  return dir;
}

void test_path(char *buf, size_t len, const char *name) {
  snprintf(buf, len, "%s/%s", test_tmpdir(), name);
}

const char *test_shared_dataset(const char *relative) {
  static char path[4096];
  const char *root = getenv("STRATA_SHARED_DATASETS");
  snprintf(path, sizeof path, "%s/%s", root ? root : STRATA_SHARED_DATASETS, relative);
  return access(path, R_OK) == 0 ? path : NULL;
}

int test_file_exists(const char *path) { return access(path, F_OK) == 0; }

int test_dir_count(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  closedir(d);
  return n;
}

strata_ctx *test_ctx(int threads) {
  strata_ctx *ctx = NULL;
  assert_int_equal(strata_ctx_create(&ctx), STRATA_OK);
  assert_int_equal(strata_ctx_set_threads(ctx, threads), STRATA_OK);
  return ctx;
}

void *test_blobs(strata_dtype dtype, int64_t n, int64_t d, int clusters, double spread,
                 uint64_t seed, double **truth) {
  double *centres = malloc((size_t)(clusters * d) * sizeof(double));
  for (int c = 0; c < clusters; c++) {
    strata_rng g;
    strata_rng_init(&g, seed, 1, (uint64_t)c);
    for (int64_t t = 0; t < d; t++) centres[c * d + t] = spread * (2 * strata_rng_uniform(&g) - 1);
  }
  void *x = malloc((size_t)(n * d) * strata_dtype_size(dtype));
  for (int64_t i = 0; i < n; i++) {
    strata_rng g;
    strata_rng_init(&g, seed, 2, (uint64_t)i);
    int c = (int)strata_rng_below(&g, (uint64_t)clusters);
    for (int64_t t = 0; t < d; t++) {
      double v = centres[c * d + t] + strata_rng_normal(&g);
      if (dtype == STRATA_F32)
        ((float *)x)[i * d + t] = (float)v;
      else
        ((double *)x)[i * d + t] = v;
    }
  }
  if (truth)
    *truth = centres;
  else
    free(centres);
  return x;
}

strata_kmeans *test_kmeans_fit(strata_ctx *ctx, strata_matrix *x, strata_kmeans_params *p) {
  strata_kmeans *m = NULL;
  if (strata_kmeans_fit(ctx, x, p, &m) != STRATA_OK) fail_msg("%s", strata_ctx_error(ctx));
  return m;
}

void test_assert_same_kmeans(const strata_kmeans *a, const strata_kmeans *b, int64_t n) {
  size_t bytes =
      (size_t)(strata_kmeans_k(a) * strata_kmeans_d(a)) * strata_dtype_size(strata_kmeans_dtype(a));
  assert_memory_equal(strata_kmeans_centers(a), strata_kmeans_centers(b), bytes);
  assert_memory_equal(strata_kmeans_labels(a), strata_kmeans_labels(b),
                      (size_t)n * sizeof(int32_t));
  assert_true(strata_kmeans_inertia(a) == strata_kmeans_inertia(b));
  assert_int_equal(strata_kmeans_n_iter(a), strata_kmeans_n_iter(b));
  assert_int_equal(strata_kmeans_converged(a), strata_kmeans_converged(b));
}
