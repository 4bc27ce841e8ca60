/* Migration matrix between two runs joined on account id; see migration.h.
 *
 * One open-addressing table (linear probing) holds every id once: a slot stores v = old row + 1
 * (v in [1, n_old]) or n_old + new row + 1 for an id seen only in the new run, so the key is
 * read back from the run's id array and a slot costs 4 bytes. Old ids go in first (a repeat is
 * a duplicate in the old run); each new id then either finds its old row (matched; a second
 * match of the same old row is a duplicate in the new run), finds a new-only slot (duplicate
 * in the new run) or claims an empty slot (a new account). Old rows never matched are gone. */
#include "segment/migration.h"

#include <math.h>
#include <string.h>

#include "core/core.h"

void strata_migration_free(strata_migration *m) {
  if (m == NULL) return;
  strata_free(m->accounts);
  strata_free(m->clv);
  strata_free(m);
}

/* MurmurHash3's 64-bit finaliser: account ids are often consecutive or strided, and linear
 * probing needs their low bits mixed. Not a random number, so not from core/rng.h. */
static inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

static strata_status check_run(strata_ctx *ctx, const strata_run_view *r, const char *which) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(r == NULL, ctx, STRATA_ERR_USAGE, "migration: the %s run is NULL", which);
  STRATA_FAIL_IF(r->n < 0, ctx, STRATA_ERR_USAGE, "migration: %s run has n = %lld", which,
                 (long long)r->n);
  STRATA_FAIL_IF(r->k < 1 || r->k > INT32_MAX, ctx, STRATA_ERR_USAGE,
                 "migration: %s run has k = %lld segments", which, (long long)r->k);
  STRATA_FAIL_IF(r->n > 0 && (r->id == NULL || r->label == NULL), ctx, STRATA_ERR_USAGE,
                 "migration: %s run lacks ids or labels", which);
  for (int64_t i = 0; i < r->n; i++) {
    STRATA_FAIL_IF(r->label[i] < 0 || r->label[i] >= r->k, ctx, STRATA_ERR_DATA,
                   "migration: %s run, row %lld (id %lld): label %d outside [0, k = %lld)", which,
                   (long long)i, (long long)r->id[i], (int)r->label[i], (long long)r->k);
    STRATA_FAIL_IF(r->clv != NULL && !isfinite(r->clv[i]), ctx, STRATA_ERR_DATA,
                   "migration: %s run, row %lld (id %lld): CLV is not finite", which, (long long)i,
                   (long long)r->id[i]);
  }
  if (r->names != NULL)
    for (int64_t c = 0; c < r->k; c++)
      STRATA_FAIL_IF(r->names[c] == NULL, ctx, STRATA_ERR_USAGE,
                     "migration: %s run, name of segment %lld is NULL", which, (long long)c);
cleanup:
  return st;
}

strata_status strata_migration_run(strata_ctx *ctx, const strata_run_view *old_run,
                                   const strata_run_view *new_run, strata_migration **out) {
  strata_status st = STRATA_OK;
  strata_migration *m = NULL;
  uint32_t *slot = NULL, *new_of_old = NULL;
  unsigned char *same = NULL;
  if (out != NULL) *out = NULL;
  STRATA_FAIL_IF(out == NULL, ctx, STRATA_ERR_USAGE, "migration: out is NULL");
  STRATA_TRY(check_run(ctx, old_run, "old"));
  STRATA_TRY(check_run(ctx, new_run, "new"));
  const int64_t n_old = old_run->n, n_new = new_run->n;
  const int64_t ko = old_run->k, kn = new_run->k, cols = kn + 1;
  STRATA_FAIL_IF(n_old + n_new >= (int64_t)UINT32_MAX, ctx, STRATA_ERR_USAGE,
                 "migration: %lld + %lld accounts exceed the join's 2^32 - 2", (long long)n_old,
                 (long long)n_new);
  const int by_name = old_run->names != NULL && new_run->names != NULL;
  STRATA_FAIL_IF(!by_name && ko != kn, ctx, STRATA_ERR_USAGE,
                 "migration: without names on both runs segments match by label number, which "
                 "needs k_old = k_new (got %lld and %lld)",
                 (long long)ko, (long long)kn);

  STRATA_TRY(strata_calloc(ctx, 1, sizeof *m, "migration result", (void **)&m));
  m->k_old = ko;
  m->k_new = kn;
  m->by_name = by_name;
  size_t cells;
  STRATA_FAIL_IF(!strata_mul_size((size_t)(ko + 1), (size_t)cols, &cells), ctx, STRATA_ERR_USAGE,
                 "migration: matrix size overflows");
  STRATA_TRY(
      strata_calloc(ctx, cells, sizeof(int64_t), "migration accounts", (void **)&m->accounts));
  const int clv_any = old_run->clv != NULL || new_run->clv != NULL;
  if (clv_any) {
    STRATA_TRY(strata_calloc(ctx, cells, sizeof(double), "migration CLV", (void **)&m->clv));
    /* A cell whose CLV neither run can supply is unknown, not zero. */
    for (int64_t i = 0; i <= ko; i++)
      for (int64_t j = 0; j <= kn; j++) {
        int known = j < kn ? new_run->clv != NULL : old_run->clv != NULL;
        if (!known && !(i == ko && j == kn)) m->clv[i * cols + j] = NAN;
      }
  }
  STRATA_TRY(strata_calloc(ctx, (size_t)(ko * kn), 1, "migration segment match", (void **)&same));
  for (int64_t i = 0; i < ko; i++)
    for (int64_t j = 0; j < kn; j++)
      same[i * kn + j] = by_name ? strcmp(old_run->names[i], new_run->names[j]) == 0 : i == j;

  /* Power-of-two capacity at load <= 0.7 keeps linear-probe runs short. */
  uint64_t need = (uint64_t)((double)(n_old + n_new) / 0.7) + 1, cap = 16;
  while (cap < need) cap <<= 1;
  const uint64_t mask = cap - 1;
  STRATA_TRY(strata_calloc(ctx, (size_t)cap, sizeof *slot, "migration id table", (void **)&slot));
  STRATA_TRY(strata_calloc(ctx, (size_t)(n_old > 0 ? n_old : 1), sizeof *new_of_old,
                           "migration matches", (void **)&new_of_old));

  const int64_t *oid = old_run->id, *nid = new_run->id;
  for (int64_t r = 0; r < n_old; r++) {
    uint64_t h = mix64((uint64_t)oid[r]) & mask;
    while (slot[h] != 0) {
      int64_t o = (int64_t)slot[h] - 1;
      STRATA_FAIL_IF(oid[o] == oid[r], ctx, STRATA_ERR_DATA,
                     "migration: id %lld appears twice in the old run (rows %lld and %lld)",
                     (long long)oid[r], (long long)o, (long long)r);
      h = (h + 1) & mask;
    }
    slot[h] = (uint32_t)(r + 1);
  }

  for (int64_t r = 0; r < n_new; r++) {
    const int64_t id = nid[r];
    const int32_t lj = new_run->label[r];
    uint64_t h = mix64((uint64_t)id) & mask;
    int64_t old_row = -1;
    for (;;) {
      uint32_t v = slot[h];
      if (v == 0) break;
      if ((int64_t)v <= n_old) {
        if (oid[v - 1] == id) {
          old_row = (int64_t)v - 1;
          break;
        }
      } else {
        int64_t other = (int64_t)v - 1 - n_old;
        STRATA_FAIL_IF(nid[other] == id, ctx, STRATA_ERR_DATA,
                       "migration: id %lld appears twice in the new run (rows %lld and %lld)",
                       (long long)id, (long long)other, (long long)r);
      }
      h = (h + 1) & mask;
    }
    int64_t cell;
    if (old_row >= 0) {
      STRATA_FAIL_IF(new_of_old[old_row] != 0, ctx, STRATA_ERR_DATA,
                     "migration: id %lld appears twice in the new run (rows %lld and %lld)",
                     (long long)id, (long long)new_of_old[old_row] - 1, (long long)r);
      new_of_old[old_row] = (uint32_t)(r + 1);
      const int32_t li = old_run->label[old_row];
      cell = (int64_t)li * cols + lj;
      m->matched++;
      if (same[(int64_t)li * kn + lj]) m->stayed++;
    } else {
      slot[h] = (uint32_t)(n_old + r + 1);
      cell = ko * cols + lj;
      m->added++;
    }
    m->accounts[cell]++;
    if (new_run->clv != NULL) m->clv[cell] += new_run->clv[r];
  }

  for (int64_t r = 0; r < n_old; r++) {
    if (new_of_old[r] != 0) continue;
    int64_t cell = (int64_t)old_run->label[r] * cols + kn;
    m->accounts[cell]++;
    m->gone++;
    if (old_run->clv != NULL) m->clv[cell] += old_run->clv[r];
  }
  m->stayed_share = m->matched > 0 ? (double)m->stayed / (double)m->matched : NAN;
  *out = m;
  m = NULL;

cleanup:
  strata_migration_free(m);
  strata_free(slot);
  strata_free(new_of_old);
  strata_free(same);
  return st;
}
