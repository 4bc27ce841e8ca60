/*
 * Migration of accounts between two segmentation runs: the accounts of an old run and a new
 * run are joined on account id, and every account lands in one cell of a
 * (k_old + 1) x (k_new + 1) matrix:
 *   cell (i, j), i < k_old, j < k_new: in old segment i and now in new segment j;
 *   row k_old, j < k_new:              new in this run (id absent from the old run), now in j;
 *   column k_new, i < k_old:           gone since the old run (id absent from the new run), was in
 * i; cell (k_old, k_new):               always 0. Alongside the counts, the CLV in each cell: the
 * new run's CLV for every account present in the new run (columns j < k_new, including the new
 * accounts' row), and the old run's CLV for the gone accounts (column k_new), the only value they
 * have.
 *
 * Segments of the two runs are matched by equal name (or by equal label number when no names
 * are given, as when `strata score` assigns with the training model), giving the number and
 * share of the accounts present in both runs that stayed in the same segment: an account
 * stays when its old and new segments' names are equal (names need not be unique).
 *
 * Cost: O(n_old + n_new) expected with an open-addressing hash table over the ids of both runs
 * (4 bytes a slot, load <= 0.7) plus 4 bytes per old account; about 135 MB for 10,000,000
 * accounts in each run, besides the inputs. Single pass, deterministic: the CLV sums are taken
 * in row order of the new run (columns j < k_new) and of the old run (the gone column).
 */
#ifndef STRATA_SEGMENT_MIGRATION_H
#define STRATA_SEGMENT_MIGRATION_H

#include <stdint.h>

#include "strata.h"

/* One run: n accounts with distinct ids (any order), labels in [0, k), optional CLV (NULL for
 * none; finite values) and optional segment names (NULL, or k NUL-terminated strings). All
 * borrowed for the call. */
typedef struct strata_run_view {
  int64_t n;
  const int64_t *id;
  const int32_t *label;
  int64_t k;
  const double *clv;
  const char *const *names;
} strata_run_view;

/* Result; arrays owned by the struct, released by strata_migration_free. */
typedef struct strata_migration {
  int64_t k_old, k_new;
  int64_t *accounts;   /* [(k_old + 1) x (k_new + 1)] row-major, layout as above */
  double *clv;         /* same layout; NULL when neither run has CLV. Columns j < k_new are NaN
                          when the new run has no CLV; column k_new is NaN when the old run has
                          none (cell (k_old, k_new) is 0). */
  int64_t matched;     /* accounts present in both runs */
  int64_t added;       /* accounts only in the new run (row k_old's total) */
  int64_t gone;        /* accounts only in the old run (column k_new's total) */
  int64_t stayed;      /* matched accounts whose old and new segments match */
  double stayed_share; /* stayed / matched; NaN when matched = 0 */
  int by_name;         /* 1: segments matched by name; 0: by label number */
} strata_migration;

/* Joins `old_run` and `new_run` on id. Segments match by name when both runs give names,
 * else by label number (then k_old must equal k_new, STRATA_ERR_USAGE otherwise). Errors:
 * STRATA_ERR_USAGE (NULL arrays, n < 0, k < 1, n_old + n_new >= 2^32 - 1);
 * STRATA_ERR_DATA for a label outside [0, k), a non-finite CLV (naming the run, row and id)
 * or a duplicate id within a run (naming the run, the id and both rows);
 * STRATA_ERR_NOMEM / STRATA_ERR_BUDGET. *out is NULL on failure; free it with
 * strata_migration_free. */
strata_status strata_migration_run(strata_ctx *ctx, const strata_run_view *old_run,
                                   const strata_run_view *new_run, strata_migration **out);

/* Accepts NULL. */
void strata_migration_free(strata_migration *m);

#endif
