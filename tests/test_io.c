/* HDF5 layer: round trips of every type, row-block reads, atomic writes, and every bad input
 * gets its status and a message that names the culprit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_support.h"

static strata_ctx *ctx;

static int setup(void **state) {
  (void)state;
  ctx = test_ctx(2);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  strata_ctx_free(ctx);
  return 0;
}

/* Fills a buffer of n elements of dtype with values that differ per position and survive the
 * type exactly (integers up to 2^24 are exact in float32 too). */
static void *make_values(strata_dtype dtype, size_t n) {
  void *p = malloc(n * strata_dtype_size(dtype));
  for (size_t i = 0; i < n; i++) {
    double v = (double)((i * 7919u) % 100003u) - 5000.0 + (dtype <= STRATA_F64 ? 0.25 : 0.0);
    switch (dtype) {
      case STRATA_F32: ((float *)p)[i] = (float)v; break;
      case STRATA_F64: ((double *)p)[i] = v; break;
      case STRATA_I32: ((int32_t *)p)[i] = (int32_t)v; break;
      case STRATA_I64: ((int64_t *)p)[i] = (int64_t)v * 1000003; break;
    }
  }
  return p;
}

static void write_file(const char *path, const char *name, strata_dtype dtype, int rank,
                       const int64_t *dims, const void *data) {
  strata_h5_writer *w = NULL;
  assert_int_equal(strata_h5_writer_create(ctx, path, 1, &w), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, name, dtype, rank, dims, data), STRATA_OK);
  assert_int_equal(strata_h5_writer_commit(ctx, w), STRATA_OK);
}

static void test_round_trip_every_type(void **state) {
  (void)state;
  const strata_dtype types[] = {STRATA_F32, STRATA_F64, STRATA_I32, STRATA_I64};
  for (size_t t = 0; t < 4; t++) {
    for (int rank = 1; rank <= 2; rank++) {
      int64_t dims[2] = {1234, rank == 2 ? 7 : 1};
      size_t n = (size_t)(dims[0] * dims[1]);
      void *data = make_values(types[t], n);
      char path[512];
      test_path(path, sizeof path, "roundtrip.h5");
      write_file(path, "/group/sub/data", types[t], rank, dims, data);

      strata_h5_file *f = NULL;
      strata_h5_dataset *ds = NULL;
      assert_int_equal(strata_h5_open(ctx, path, &f), STRATA_OK);
      assert_int_equal(strata_h5_dataset_open(ctx, f, "/group/sub/data", rank, STRATA_TYPES_ANY,
                                              rank == 2 ? 7 : 0, &ds),
                       STRATA_OK);
      const strata_dataset_info *info = strata_h5_dataset_info(ds);
      assert_int_equal(info->rank, rank);
      assert_int_equal(info->dims[0], 1234);
      assert_int_equal(info->dims[1], dims[1]);
      assert_int_equal(info->dtype, types[t]);

      /* Whole dataset, then awkward blocks (hyperslabs) that must land at the right rows. */
      size_t esize = strata_dtype_size(types[t]);
      void *back = malloc(n * esize);
      assert_int_equal(strata_h5_dataset_read_rows(ctx, ds, 0, 1234, types[t], back), STRATA_OK);
      assert_memory_equal(back, data, n * esize);
      memset(back, 0, n * esize);
      for (int64_t row0 = 0; row0 < 1234; row0 += 333) {
        int64_t rows = row0 + 333 <= 1234 ? 333 : 1234 - row0;
        assert_int_equal(
            strata_h5_dataset_read_rows(ctx, ds, row0, rows, types[t],
                                        (char *)back + (size_t)(row0 * dims[1]) * esize),
            STRATA_OK);
      }
      assert_memory_equal(back, data, n * esize);

      /* Conversion on read: every type can be read as float64. */
      double *as_f64 = malloc(n * sizeof(double));
      assert_int_equal(strata_h5_dataset_read_rows(ctx, ds, 0, 1234, STRATA_F64, as_f64),
                       STRATA_OK);
      for (size_t i = 0; i < n; i++) {
        double expect = 0;
        switch (types[t]) {
          case STRATA_F32: expect = ((float *)data)[i]; break;
          case STRATA_F64: expect = ((double *)data)[i]; break;
          case STRATA_I32: expect = ((int32_t *)data)[i]; break;
          case STRATA_I64: expect = (double)((int64_t *)data)[i]; break;
        }
        assert_true(as_f64[i] == expect);
      }
      /* Out-of-range blocks are refused, naming the dataset. */
      assert_int_equal(strata_h5_dataset_read_rows(ctx, ds, 1200, 100, types[t], back),
                       STRATA_ERR_USAGE);
      assert_non_null(strstr(strata_ctx_error(ctx), "/group/sub/data"));
      strata_h5_dataset_close(ds);
      strata_h5_close(f);
      free(as_f64);
      free(back);
      free(data);
    }
  }
}

static void test_strings_and_attributes(void **state) {
  (void)state;
  char path[512];
  test_path(path, sizeof path, "strings.h5");
  const char *names[] = {"tenure", "employees", "", "région"};
  strata_h5_writer *w = NULL;
  assert_int_equal(strata_h5_writer_create(ctx, path, 1, &w), STRATA_OK);
  assert_int_equal(strata_h5_write_strings(ctx, w, "/accounts/feature_names", 4, names), STRATA_OK);
  double pi = 3.25, arr[3] = {1, 2, 3};
  int64_t big = (int64_t)1 << 40;
  assert_int_equal(strata_h5_write_attr_double(ctx, w, "/accounts", "pi", &pi, 1), STRATA_OK);
  assert_int_equal(strata_h5_write_attr_double(ctx, w, "/accounts", "arr", arr, 3), STRATA_OK);
  assert_int_equal(strata_h5_write_attr_int64(ctx, w, "/", "big", &big, 1), STRATA_OK);
  assert_int_equal(strata_h5_write_provenance(ctx, w, "strata test --x 'a b'", 10, 3), STRATA_OK);
  /* Attributes on a missing object are refused. */
  assert_int_equal(strata_h5_write_attr_double(ctx, w, "/nowhere", "pi", &pi, 1), STRATA_ERR_USAGE);
  assert_int_equal(strata_h5_writer_commit(ctx, w), STRATA_OK);

  strata_h5_file *f = NULL;
  assert_int_equal(strata_h5_open(ctx, path, &f), STRATA_OK);
  char **back = NULL;
  int64_t count = 0;
  assert_int_equal(strata_h5_read_strings(ctx, f, "/accounts/feature_names", &back, &count),
                   STRATA_OK);
  assert_int_equal(count, 4);
  for (int i = 0; i < 4; i++) assert_string_equal(back[i], names[i]);
  free(back);
  double v = 0;
  assert_int_equal(strata_h5_read_attr_double(ctx, f, "/accounts", "pi", &v), STRATA_OK);
  assert_true(v == 3.25);
  assert_int_equal(strata_h5_read_attr_double(ctx, f, "/", "big", &v), STRATA_OK);
  assert_true(v == (double)big);
  assert_int_equal(strata_h5_read_attr_double(ctx, f, "/", "input_rows", &v), STRATA_OK);
  assert_true(v == 10.0);
  /* An array attribute is not a scalar: refused rather than overflowing the caller. */
  assert_int_equal(strata_h5_read_attr_double(ctx, f, "/accounts", "arr", &v), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "arr"));
  assert_int_equal(strata_h5_read_attr_double(ctx, f, "/accounts", "nope", &v), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "nope"));
  strata_h5_close(f);
}

typedef struct {
  int objects;
  int saw_version;
  int saw_command_line;
} describe_count;

static int count_visit(void *user, const strata_h5_entry *e) {
  describe_count *c = user;
  c->objects++;
  for (size_t i = 0; i < e->n_attrs; i++) {
    if (strcmp(e->attr_names[i], "strata_version") == 0 &&
        strcmp(e->attr_values[i], strata_version()) == 0)
      c->saw_version = 1;
    if (strcmp(e->attr_names[i], "command_line") == 0 &&
        strcmp(e->attr_values[i], "strata test --x 'a b'") == 0)
      c->saw_command_line = 1;
  }
  return 0;
}

static void test_describe(void **state) {
  (void)state;
  char path[512];
  test_path(path, sizeof path, "strings.h5");
  describe_count c = {0, 0, 0};
  assert_int_equal(strata_h5_describe(ctx, path, count_visit, &c), STRATA_OK);
  assert_int_equal(c.objects, 3); /* /, /accounts, /accounts/feature_names */
  assert_true(c.saw_version);
  assert_true(c.saw_command_line);
}

/* A failure midway must leave neither the output nor a temporary file behind. */
static void test_atomic_write_leaves_nothing_on_failure(void **state) {
  (void)state;
  char dir[512], path[600];
  test_path(dir, sizeof dir, "atomic");
  mkdir(dir, 0755);
  snprintf(path, sizeof path, "%s/out.h5", dir);
  strata_h5_writer *w = NULL;
  double x[4] = {1, 2, 3, 4};
  int64_t dims[1] = {4};
  assert_int_equal(strata_h5_writer_create(ctx, path, 0, &w), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/a/x", STRATA_F64, 1, dims, x), STRATA_OK);
  assert_int_equal(test_dir_count(dir), 1); /* the temporary file, hidden */
  assert_false(test_file_exists(path));
  /* The writer fails (a dataset written twice), and the caller abandons the output. */
  assert_int_equal(strata_h5_write(ctx, w, "/a/x", STRATA_F64, 1, dims, x), STRATA_ERR_USAGE);
  strata_h5_writer_free(w);
  assert_false(test_file_exists(path));
  assert_int_equal(test_dir_count(dir), 0);

  /* A commit that fails (the output appeared meanwhile, no force) leaves only that file. */
  assert_int_equal(strata_h5_writer_create(ctx, path, 0, &w), STRATA_OK);
  FILE *other = fopen(path, "w");
  fputs("someone else's file\n", other);
  fclose(other);
  assert_int_equal(strata_h5_writer_commit(ctx, w), STRATA_ERR_EXISTS);
  assert_non_null(strstr(strata_ctx_error(ctx), path));
  assert_int_equal(test_dir_count(dir), 1);
  other = fopen(path, "r");
  char line[64] = "";
  assert_non_null(fgets(line, sizeof line, other));
  fclose(other);
  assert_string_equal(line, "someone else's file\n"); /* never replaced without force */
  unlink(path);
}

static void test_existing_output_needs_force(void **state) {
  (void)state;
  char path[512];
  test_path(path, sizeof path, "exists.h5");
  double x[2] = {1, 2};
  int64_t dims[1] = {2};
  write_file(path, "/x", STRATA_F64, 1, dims, x);
  struct stat before;
  stat(path, &before);
  strata_h5_writer *w = NULL;
  assert_int_equal(strata_h5_writer_create(ctx, path, 0, &w), STRATA_ERR_EXISTS);
  assert_null(w);
  assert_non_null(strstr(strata_ctx_error(ctx), path));
  assert_non_null(strstr(strata_ctx_error(ctx), "--force"));
  /* With force the file is replaced, atomically. */
  double y[3] = {5, 6, 7};
  int64_t dims3[1] = {3};
  write_file(path, "/y", STRATA_F64, 1, dims3, y);
  strata_h5_file *f = NULL;
  assert_int_equal(strata_h5_open(ctx, path, &f), STRATA_OK);
  assert_true(strata_h5_exists(f, "/y"));
  assert_false(strata_h5_exists(f, "/x"));
  strata_h5_close(f);
}

static void test_unwritable_output(void **state) {
  (void)state;
  strata_h5_writer *w = NULL;
  char path[512];
  test_path(path, sizeof path, "no/such/dir/out.h5");
  assert_int_equal(strata_h5_writer_create(ctx, path, 0, &w), STRATA_ERR_IO);
  assert_non_null(strstr(strata_ctx_error(ctx), "no/such/dir"));
  /* A directory that exists but cannot take files (true even for root). */
  assert_int_equal(strata_h5_writer_create(ctx, "/proc/strata-out.h5", 0, &w), STRATA_ERR_IO);
  assert_non_null(strstr(strata_ctx_error(ctx), "/proc/strata-out.h5"));
  /* The output path is a directory. */
  assert_int_equal(strata_h5_writer_create(ctx, test_tmpdir(), 1, &w), STRATA_ERR_IO);
  assert_null(w);
}

static void expect_open_error(const char *path, const char *name, int rank, unsigned types,
                              int64_t cols, strata_status status, const char *fragment) {
  strata_h5_file *f = NULL;
  strata_h5_dataset *ds = NULL;
  strata_status st = strata_h5_open(ctx, path, &f);
  if (st == STRATA_OK) st = strata_h5_dataset_open(ctx, f, name, rank, types, cols, &ds);
  assert_int_equal(st, status);
  assert_null(ds);
  const char *msg = strata_ctx_error(ctx);
  if (strstr(msg, fragment) == NULL) fail_msg("message '%s' lacks '%s'", msg, fragment);
  strata_h5_close(f);
}

static void test_bad_inputs(void **state) {
  (void)state;
  char path[512], text[512];
  test_path(text, sizeof text, "not-hdf5.csv");
  FILE *fp = fopen(text, "w");
  fputs("id,amount\n1,2.5\n", fp);
  fclose(fp);
  test_path(path, sizeof path, "no-such-file.h5");
  expect_open_error(path, "/x", 1, STRATA_TYPES_ANY, 0, STRATA_ERR_IO, "no-such-file.h5");
  expect_open_error(text, "/x", 1, STRATA_TYPES_ANY, 0, STRATA_ERR_DATA, "not an HDF5 file");

  test_path(path, sizeof path, "bad-shapes.h5");
  strata_h5_writer *w = NULL;
  assert_int_equal(strata_h5_writer_create(ctx, path, 1, &w), STRATA_OK);
  double v[6] = {1, 2, 3, 4, 5, 6};
  int32_t iv[6] = {1, 2, 3, 4, 5, 6};
  int64_t d1[1] = {6}, d2[2] = {3, 2}, d0[2] = {0, 2};
  assert_int_equal(strata_h5_write(ctx, w, "/accounts/flat", STRATA_F64, 1, d1, v), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/accounts/ints", STRATA_I32, 2, d2, iv), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/accounts/empty", STRATA_F64, 2, d0, v), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/accounts/good", STRATA_F64, 2, d2, v), STRATA_OK);
  assert_int_equal(strata_h5_writer_commit(ctx, w), STRATA_OK);

  expect_open_error(path, "/accounts/features", 2, STRATA_TYPES_FLOAT, 0, STRATA_ERR_DATA,
                    "/accounts/features is missing");
  expect_open_error(path, "/nogroup/features", 2, STRATA_TYPES_FLOAT, 0, STRATA_ERR_DATA,
                    "/nogroup/features is missing");
  expect_open_error(path, "/accounts/flat", 2, STRATA_TYPES_FLOAT, 0, STRATA_ERR_DATA,
                    "/accounts/flat has rank 1, expected rank 2");
  expect_open_error(path, "/accounts/ints", 2, STRATA_TYPES_FLOAT, 0, STRATA_ERR_DATA,
                    "/accounts/ints has type int32, expected float32 or float64");
  expect_open_error(path, "/accounts/empty", 2, STRATA_TYPES_FLOAT, 0, STRATA_ERR_DATA,
                    "/accounts/empty has zero rows");
  expect_open_error(path, "/accounts/good", 2, STRATA_TYPES_FLOAT, 5, STRATA_ERR_DATA,
                    "/accounts/good has 2 columns, expected 5");
  expect_open_error(path, "/accounts", 2, STRATA_TYPES_FLOAT, 0, STRATA_ERR_DATA,
                    "/accounts is a group");
  /* Every message names the file as well. */
  expect_open_error(path, "/accounts/flat", 2, STRATA_TYPES_FLOAT, 0, STRATA_ERR_DATA, path);
}

static void test_nan_and_inf_are_named(void **state) {
  (void)state;
  double block[12];
  for (int i = 0; i < 12; i++) block[i] = i;
  strata_matrix m = {block, 4, 3, 3, STRATA_F64};
  assert_int_equal(strata_check_finite(ctx, &m, 100, "base.h5", "/accounts/features"), STRATA_OK);
  block[7] = NAN; /* row 2, column 1 of the block: row 102 of the dataset */
  assert_int_equal(strata_check_finite(ctx, &m, 100, "base.h5", "/accounts/features"),
                   STRATA_ERR_DATA);
  assert_string_equal(strata_ctx_error(ctx),
                      "base.h5: /accounts/features row 102, column 1 is NaN; remove or impute it "
                      "first");
  float fblock[6] = {0, 1, 2, 3, -INFINITY, 5};
  strata_matrix fm = {fblock, 2, 2, 3, STRATA_F32}; /* ld 3 > d 2: column 2 is not data */
  fblock[2] = NAN;
  assert_int_equal(strata_check_finite(ctx, &fm, 0, "x.h5", "/f"), STRATA_ERR_DATA);
  assert_non_null(strstr(strata_ctx_error(ctx), "row 1, column 1 is -Inf"));
}

static void test_input_never_modified(void **state) {
  (void)state;
  char path[512];
  test_path(path, sizeof path, "readonly-input.h5");
  double v[4] = {1, 2, 3, 4};
  int64_t dims[1] = {4};
  write_file(path, "/v", STRATA_F64, 1, dims, v);
  struct stat before, after;
  stat(path, &before);
  chmod(path, 0444);
  strata_h5_file *f = NULL;
  strata_h5_dataset *ds = NULL;
  assert_int_equal(strata_h5_open(ctx, path, &f), STRATA_OK);
  assert_int_equal(strata_h5_dataset_open(ctx, f, "/v", 1, STRATA_TYPES_FLOAT, 0, &ds), STRATA_OK);
  double back[4];
  assert_int_equal(strata_h5_dataset_read_rows(ctx, ds, 0, 4, STRATA_F64, back), STRATA_OK);
  strata_h5_dataset_close(ds);
  strata_h5_close(f);
  stat(path, &after);
  assert_true(before.st_mtime == after.st_mtime && before.st_size == after.st_size);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_every_type),
      cmocka_unit_test(test_strings_and_attributes),
      cmocka_unit_test(test_describe),
      cmocka_unit_test(test_atomic_write_leaves_nothing_on_failure),
      cmocka_unit_test(test_existing_output_needs_force),
      cmocka_unit_test(test_unwritable_output),
      cmocka_unit_test(test_bad_inputs),
      cmocka_unit_test(test_nan_and_inf_are_named),
      cmocka_unit_test(test_input_never_modified),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
