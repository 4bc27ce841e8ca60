/* The streaming of `strata score`: the double-buffered block reader (io/prefetch.h) hands out
 * blocks in order with exactly what a plain read gives, writes outputs behind, and reports a
 * reader error with the synchronous message and no output left; the per-block transaction
 * layout (segment/txn_blocks.h) is found or refused as it should be, and CLV per block of
 * customers equals the whole-file CLV bit for bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv/run.h"
#include "core/core.h"
#include "io/prefetch.h"
#include "segment/txn_blocks.h"
#include "test_support.h"

#define N 1000
#define D 3
#define BLOCK 64

static double value_of(int64_t i, int64_t j) { return (double)i * 10.0 + (double)j + 0.25; }

/* /x: N x D float64, /id: N int64 (descending, to tell it from row numbers), /t: M int32. */
static void write_input(strata_ctx *ctx, const char *path, int64_t nan_row, int64_t m) {
  strata_h5_writer *w = NULL;
  double *x = malloc(sizeof(double) * N * D);
  int64_t *id = malloc(sizeof(int64_t) * N);
  int32_t *t = malloc(sizeof(int32_t) * (size_t)m);
  assert_non_null(x);
  for (int64_t i = 0; i < N; i++) {
    for (int64_t j = 0; j < D; j++) x[i * D + j] = value_of(i, j);
    id[i] = 5000 - i;
  }
  if (nan_row >= 0) x[nan_row * D + 1] = NAN;
  for (int64_t r = 0; r < m; r++) t[r] = (int32_t)(r * 3);
  int64_t dx[2] = {N, D}, dn[1] = {N}, dm[1] = {m};
  assert_int_equal(strata_h5_writer_create(ctx, path, 1, &w), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/x", STRATA_F64, 2, dx, x), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/id", STRATA_I64, 1, dn, id), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/t", STRATA_I32, 1, dm, t), STRATA_OK);
  assert_int_equal(strata_h5_writer_commit(ctx, w), STRATA_OK);
  free(x);
  free(id);
  free(t);
}

static void test_blocks_in_order_equal_plain_reads(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  char in[512], outp[512];
  test_path(in, sizeof in, "stream.h5");
  test_path(outp, sizeof outp, "stream-out.h5");
  /* Bounds of a variable-width column: block b owns 7 * b rows (some empty). */
  const int64_t nb = (N + BLOCK - 1) / BLOCK;
  int64_t bounds[(N + BLOCK - 1) / BLOCK + 1];
  bounds[0] = 0;
  for (int64_t b = 0; b < nb; b++) bounds[b + 1] = bounds[b] + 7 * b;
  const int64_t m = bounds[nb];
  write_input(ctx, in, -1, m);

  strata_h5_file *f = NULL;
  strata_h5_dataset *x = NULL, *id = NULL, *t = NULL;
  strata_h5_writer *w = NULL;
  assert_int_equal(strata_h5_open(ctx, in, &f), STRATA_OK);
  assert_int_equal(strata_h5_dataset_open(ctx, f, "/x", 2, STRATA_TYPES_FLOAT, 0, &x), STRATA_OK);
  assert_int_equal(strata_h5_dataset_open(ctx, f, "/id", 1, STRATA_TYPES_INT, 0, &id), STRATA_OK);
  assert_int_equal(strata_h5_dataset_open(ctx, f, "/t", 1, STRATA_TYPES_INT, 0, &t), STRATA_OK);
  int64_t dn[1] = {N};
  assert_int_equal(strata_h5_writer_create(ctx, outp, 1, &w), STRATA_OK);
  assert_int_equal(strata_h5_create_dataset(ctx, w, "/twice", STRATA_I64, 1, dn), STRATA_OK);

  /* What the plain synchronous reads give, to compare with. */
  double *x_all = malloc(sizeof(double) * N * D);
  int64_t *id_all = malloc(sizeof(int64_t) * N);
  int32_t *t_all = malloc(sizeof(int32_t) * (size_t)m);
  assert_int_equal(strata_h5_dataset_read_rows(ctx, x, 0, N, STRATA_F64, x_all), STRATA_OK);
  assert_int_equal(strata_h5_dataset_read_rows(ctx, id, 0, N, STRATA_I64, id_all), STRATA_OK);
  assert_int_equal(strata_h5_dataset_read_rows(ctx, t, 0, m, STRATA_I32, t_all), STRATA_OK);

  strata_prefetch_column cols[4] = {{x, STRATA_F64, NULL, in, "/x"},
                                    {id, STRATA_I64, NULL, NULL, NULL},
                                    {NULL, STRATA_I64, NULL, NULL, NULL},
                                    {t, STRATA_I32, bounds, NULL, NULL}};
  strata_prefetch_output outs[1] = {{w, "/twice", STRATA_I64, 1}};
  strata_prefetch *pf = NULL;
  assert_int_equal(strata_prefetch_start(ctx, cols, 4, outs, 1, N, BLOCK, &pf), STRATA_OK);
  int64_t expect = 0;
  for (;;) {
    strata_prefetch_block *blk = NULL;
    assert_int_equal(strata_prefetch_next(ctx, pf, &blk), STRATA_OK);
    if (blk == NULL) break;
    assert_int_equal(blk->index, expect);
    assert_int_equal(blk->row0, expect * BLOCK);
    assert_int_equal(blk->rows, N - blk->row0 < BLOCK ? N - blk->row0 : BLOCK);
    assert_memory_equal(blk->col[0], x_all + blk->row0 * D,
                        (size_t)(blk->rows * D) * sizeof(double));
    assert_memory_equal(blk->col[1], id_all + blk->row0, (size_t)blk->rows * sizeof(int64_t));
    const int64_t *rownum = blk->col[2];
    for (int64_t i = 0; i < blk->rows; i++) assert_int_equal(rownum[i], blk->row0 + i);
    assert_int_equal(blk->col_row0[3], bounds[expect]);
    assert_int_equal(blk->col_rows[3], bounds[expect + 1] - bounds[expect]);
    if (blk->col_rows[3] > 0)
      assert_memory_equal(blk->col[3], t_all + bounds[expect],
                          (size_t)blk->col_rows[3] * sizeof(int32_t));
    int64_t *o = blk->out[0];
    for (int64_t i = 0; i < blk->rows; i++) o[i] = 2 * id_all[blk->row0 + i];
    expect++;
  }
  assert_int_equal(expect, nb);
  assert_int_equal(strata_prefetch_finish(ctx, pf), STRATA_OK);
  strata_prefetch_free(pf);
  assert_int_equal(strata_h5_writer_commit(ctx, w), STRATA_OK);

  /* The outputs written behind are all there, in their rows. */
  strata_h5_file *g = NULL;
  int64_t *twice = NULL;
  assert_int_equal(strata_h5_open(ctx, outp, &g), STRATA_OK);
  assert_int_equal(
      strata_h5_read_vector(ctx, g, "/twice", STRATA_TYPES_INT, N, STRATA_I64, (void **)&twice),
      STRATA_OK);
  for (int64_t i = 0; i < N; i++) assert_int_equal(twice[i], 2 * id_all[i]);
  strata_free(twice);
  strata_h5_close(g);
  strata_h5_dataset_close(x);
  strata_h5_dataset_close(id);
  strata_h5_dataset_close(t);
  strata_h5_close(f);
  free(x_all);
  free(id_all);
  free(t_all);
  strata_ctx_free(ctx);
}

/* The same without overlap (STRATA_READ_AHEAD=0): same blocks, same outputs. */
static void test_blocks_serial(void **state) {
  assert_int_equal(setenv("STRATA_READ_AHEAD", "0", 1), 0);
  test_blocks_in_order_equal_plain_reads(state);
  unsetenv("STRATA_READ_AHEAD");
}

/* A NaN at row 700 (block 10): blocks 0..9 arrive, then the reader's error with the message a
 * synchronous strata_check_finite gives; the abandoned writer leaves no file. */
static void test_error_mid_stream(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  char in[512], outp[512], want[1024];
  test_path(in, sizeof in, "stream-nan.h5");
  test_path(outp, sizeof outp, "stream-nan-out.h5");
  write_input(ctx, in, 700, 5);
  snprintf(want, sizeof want, "%s: /x row 700, column 1 is NaN; remove or impute it first", in);
  strata_h5_file *f = NULL;
  strata_h5_dataset *x = NULL;
  strata_h5_writer *w = NULL;
  assert_int_equal(strata_h5_open(ctx, in, &f), STRATA_OK);
  assert_int_equal(strata_h5_dataset_open(ctx, f, "/x", 2, STRATA_TYPES_FLOAT, 0, &x), STRATA_OK);
  int64_t dn[1] = {N};
  assert_int_equal(strata_h5_writer_create(ctx, outp, 1, &w), STRATA_OK);
  assert_int_equal(strata_h5_create_dataset(ctx, w, "/rows", STRATA_I64, 1, dn), STRATA_OK);
  strata_prefetch_column cols[1] = {{x, STRATA_F64, NULL, in, "/x"}};
  strata_prefetch_output outs[1] = {{w, "/rows", STRATA_I64, 1}};
  strata_prefetch *pf = NULL;
  assert_int_equal(strata_prefetch_start(ctx, cols, 1, outs, 1, N, BLOCK, &pf), STRATA_OK);
  int64_t seen = 0;
  strata_status st;
  for (;;) {
    strata_prefetch_block *blk = NULL;
    st = strata_prefetch_next(ctx, pf, &blk);
    if (st != STRATA_OK || blk == NULL) break;
    assert_int_equal(blk->index, seen);
    seen++;
  }
  assert_int_equal(st, STRATA_ERR_DATA);
  assert_int_equal(seen, 700 / BLOCK);
  assert_string_equal(strata_ctx_error(ctx), want);
  assert_int_equal(strata_ctx_last_status(ctx), STRATA_ERR_DATA);
  strata_prefetch_free(pf);
  strata_h5_writer_free(w);
  assert_false(test_file_exists(outp));

  /* The same error from the synchronous whole-matrix read, for the record. */
  strata_matrix mx = {0};
  assert_int_equal(strata_h5_read_matrix(ctx, f, "/x", STRATA_TYPES_FLOAT, &mx), STRATA_ERR_DATA);
  assert_string_equal(strata_ctx_error(ctx), want);
  strata_h5_dataset_close(x);
  strata_h5_close(f);
  strata_ctx_free(ctx);
}

/* The caller stops early (its own error): freeing the reader mid-stream joins it cleanly; and
 * an empty stream ends at once. */
static void test_abandon_and_empty(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  char in[512];
  test_path(in, sizeof in, "stream-abandon.h5");
  write_input(ctx, in, -1, 5);
  strata_h5_file *f = NULL;
  strata_h5_dataset *x = NULL;
  assert_int_equal(strata_h5_open(ctx, in, &f), STRATA_OK);
  assert_int_equal(strata_h5_dataset_open(ctx, f, "/x", 2, STRATA_TYPES_FLOAT, 0, &x), STRATA_OK);
  strata_prefetch_column cols[1] = {{x, STRATA_F64, NULL, NULL, NULL}};
  strata_prefetch *pf = NULL;
  assert_int_equal(strata_prefetch_start(ctx, cols, 1, NULL, 0, N, BLOCK, &pf), STRATA_OK);
  strata_prefetch_block *blk = NULL;
  assert_int_equal(strata_prefetch_next(ctx, pf, &blk), STRATA_OK);
  assert_non_null(blk);
  strata_prefetch_free(pf);
  /* The file is the caller's again. */
  double row[D];
  assert_int_equal(strata_h5_dataset_read_rows(ctx, x, 999, 1, STRATA_F64, row), STRATA_OK);
  assert_true(row[2] == value_of(999, 2));

  assert_int_equal(strata_prefetch_start(ctx, cols, 1, NULL, 0, 0, BLOCK, &pf), STRATA_OK);
  assert_int_equal(strata_prefetch_next(ctx, pf, &blk), STRATA_OK);
  assert_null(blk);
  assert_int_equal(strata_prefetch_finish(ctx, pf), STRATA_OK);
  strata_prefetch_free(pf);
  strata_h5_dataset_close(x);
  strata_h5_close(f);
  strata_ctx_free(ctx);
}

/* ---- transactions per block of accounts */

static void write_txn_file(strata_ctx *ctx, const char *path, const int64_t *acc, int64_t n,
                           const int64_t *cust, const int32_t *day, const double *amount,
                           int64_t m) {
  strata_h5_writer *w = NULL;
  int64_t dn[1] = {n}, dm[1] = {m};
  assert_int_equal(strata_h5_writer_create(ctx, path, 1, &w), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/accounts/id", STRATA_I64, 1, dn, acc), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/transactions/customer_id", STRATA_I64, 1, dm, cust),
                   STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/transactions/day", STRATA_I32, 1, dm, day), STRATA_OK);
  assert_int_equal(strata_h5_write(ctx, w, "/transactions/amount", STRATA_F64, 1, dm, amount),
                   STRATA_OK);
  assert_int_equal(strata_h5_writer_commit(ctx, w), STRATA_OK);
}

static void probe(strata_ctx *ctx, const char *path, int64_t n, int64_t block,
                  strata_txn_blocks *tb) {
  strata_h5_file *f = NULL;
  strata_h5_dataset *ids = NULL;
  assert_int_equal(strata_h5_open(ctx, path, &f), STRATA_OK);
  assert_int_equal(strata_h5_dataset_open(ctx, f, "/accounts/id", 1, STRATA_TYPES_INT, 0, &ids),
                   STRATA_OK);
  assert_int_equal(strata_txn_blocks_probe(ctx, f, ids, n, block, tb), STRATA_OK);
  strata_h5_dataset_close(ids);
  strata_h5_close(f);
}

static void test_txn_layout(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  char path[512];
  test_path(path, sizeof path, "txn.h5");
  /* Accounts 10, 20, ..., 60 in blocks of 2; customers 5 (no account), 10, 10, 30, 35 (no
   * account), 60, 60, 70 (no account). */
  const int64_t acc[6] = {10, 20, 30, 40, 50, 60};
  int64_t cust[8] = {5, 10, 10, 30, 35, 60, 60, 70};
  int32_t day[8] = {100, 101, 140, 102, 103, 104, 190, 105};
  double amount[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  write_txn_file(ctx, path, acc, 6, cust, day, amount, 8);
  strata_txn_blocks tb;
  probe(ctx, path, 6, 2, &tb);
  assert_true(tb.grouped);
  assert_string_equal(tb.note, "");
  assert_int_equal(tb.m, 8);
  assert_int_equal(tb.day_max, 190);
  assert_int_equal(tb.n_blocks, 3);
  /* Block 0 (10, 20) takes 5, 10, 10; block 1 (30, 40) 30, 35; block 2 (50, 60) the rest. */
  const int64_t want[4] = {0, 3, 5, 8};
  assert_memory_equal(tb.bounds, want, sizeof want);
  strata_txn_blocks_release(&tb);

  /* Transactions not sorted by customer: refused with the row. */
  cust[3] = 9;
  write_txn_file(ctx, path, acc, 6, cust, day, amount, 8);
  probe(ctx, path, 6, 2, &tb);
  assert_false(tb.grouped);
  assert_non_null(strstr(tb.note, "/transactions/customer_id is not sorted by customer (row 3)"));
  strata_txn_blocks_release(&tb);

  /* Accounts not ascending: refused with the row. */
  cust[3] = 30;
  const int64_t acc_bad[6] = {10, 20, 30, 25, 50, 60};
  write_txn_file(ctx, path, acc_bad, 6, cust, day, amount, 8);
  probe(ctx, path, 6, 2, &tb);
  assert_false(tb.grouped);
  assert_non_null(strstr(tb.note, "/accounts/id does not ascend (row 3)"));
  strata_txn_blocks_release(&tb);
  strata_ctx_free(ctx);
}

/* CLV of customers scored block by block (their transactions only, the file's last day as
 * calibration end) equals the whole-file CLV bit for bit, on a generated base. */
static void test_block_clv_equals_whole(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  char path[512];
  test_path(path, sizeof path, "gen.h5");
  strata_gen_params gp;
  strata_gen_params_init(&gp);
  gp.customers = 30000;
  gp.seed = 9;
  assert_int_equal(strata_gen_write(ctx, &gp, path, 1, NULL), STRATA_OK);
  strata_h5_file *f = NULL;
  strata_transactions txn = {0};
  strata_clv_result *fitted = NULL, *whole = NULL;
  assert_int_equal(strata_h5_open(ctx, path, &f), STRATA_OK);
  assert_int_equal(strata_transactions_read(ctx, f, &txn), STRATA_OK);
  strata_clv_run_params p;
  strata_clv_run_params_init(&p);
  assert_int_equal(strata_clv_run(ctx, txn.id, txn.day, txn.amount, txn.m, &p, NULL, &fitted),
                   STRATA_OK);
  assert_int_equal(strata_clv_run(ctx, txn.id, txn.day, txn.amount, txn.m, &p, fitted, &whole),
                   STRATA_OK);
  /* Blocks of 4096 accounts, as the probe splits them. */
  strata_h5_dataset *ids = NULL;
  strata_txn_blocks tb;
  assert_int_equal(strata_h5_dataset_open(ctx, f, "/accounts/id", 1, STRATA_TYPES_INT, 0, &ids),
                   STRATA_OK);
  assert_int_equal(strata_txn_blocks_probe(ctx, f, ids, gp.customers, 4096, &tb), STRATA_OK);
  assert_true(tb.grouped);
  assert_int_equal(tb.bounds[tb.n_blocks], txn.m);
  int64_t c = 0;
  for (int64_t b = 0; b < tb.n_blocks; b++) {
    int64_t r0 = tb.bounds[b], mb = tb.bounds[b + 1] - r0;
    if (mb == 0) continue;
    strata_clv_run_params pb = p;
    pb.rfm.calibration_end = tb.day_max;
    strata_clv_result *part = NULL;
    assert_int_equal(
        strata_clv_run(ctx, txn.id + r0, txn.day + r0, txn.amount + r0, mb, &pb, fitted, &part),
        STRATA_OK);
    for (int64_t i = 0; i < part->rfm->n; i++, c++) {
      assert_int_equal(part->rfm->id[i], whole->rfm->id[c]);
      assert_memory_equal(&part->rfm->x[i], &whole->rfm->x[c], sizeof(double));
      assert_memory_equal(&part->rfm->t_x[i], &whole->rfm->t_x[c], sizeof(double));
      assert_memory_equal(&part->rfm->T[i], &whole->rfm->T[c], sizeof(double));
      assert_memory_equal(&part->rfm->monetary[i], &whole->rfm->monetary[c], sizeof(double));
      assert_memory_equal(&part->p_alive[i], &whole->p_alive[c], sizeof(double));
      assert_memory_equal(&part->expected_purchases[i], &whole->expected_purchases[c],
                          sizeof(double));
      assert_memory_equal(&part->clv[i], &whole->clv[c], sizeof(double));
    }
    strata_clv_result_free(part);
  }
  assert_int_equal(c, whole->rfm->n);
  strata_txn_blocks_release(&tb);
  strata_h5_dataset_close(ids);
  strata_clv_result_free(fitted);
  strata_clv_result_free(whole);
  strata_transactions_release(&txn);
  strata_h5_close(f);
  strata_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_blocks_in_order_equal_plain_reads),
      cmocka_unit_test(test_blocks_serial),
      cmocka_unit_test(test_error_mid_stream),
      cmocka_unit_test(test_abandon_and_empty),
      cmocka_unit_test(test_txn_layout),
      cmocka_unit_test(test_block_clv_equals_whole),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
