/* Helpers shared by the cmocka tests: scratch directories, skips, approximate comparisons. */
#ifndef STRATA_TEST_SUPPORT_H
#define STRATA_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the three headers above first. */
#include <cmocka.h>

#include "strata.h"

/* Exit code that ctest reports as "skipped" (SKIP_RETURN_CODE 77). */
#define STRATA_TEST_SKIP_CODE 77

/* A fresh empty directory under the build tree for this test process; the returned path is
 * static. Files in it are left for inspection after a failure. */
const char *test_tmpdir(void);
/* test_tmpdir()/name into buf (static per call site is fine: the buffer is the caller's). */
void test_path(char *buf, size_t len, const char *name);
/* Path of a file in ../shared/datasets, or NULL when the shared data set is absent. */
const char *test_shared_dataset(const char *relative);
/* 1 when a file exists. */
int test_file_exists(const char *path);
/* Number of entries in a directory (excluding . and ..). */
int test_dir_count(const char *dir);
/* A context with `threads` threads; fails the test if it cannot be made. */
strata_ctx *test_ctx(int threads);

/* Gaussian blobs (unit spread) around `clusters` centres drawn uniformly in [-spread, spread]^d,
 * row i in the cluster drawn for it; Philox streams 1 (centres) and 2 (rows) of `seed`. The
 * centres are returned in *truth (free them) when truth is not NULL. Free the data with free(). */
void *test_blobs(strata_dtype dtype, int64_t n, int64_t d, int clusters, double spread,
                 uint64_t seed, double **truth);

/* strata_kmeans_fit that fails the test with the context's message. */
strata_kmeans *test_kmeans_fit(strata_ctx *ctx, strata_matrix *x, strata_kmeans_params *p);
/* Two fits of n rows are the same bit for bit: centres, labels, inertia, iterations and the
 * convergence flag. */
void test_assert_same_kmeans(const strata_kmeans *a, const strata_kmeans *b, int64_t n);

#endif
