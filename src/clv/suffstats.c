/*
 * Compressed sufficient statistics: identical (x, t_x, T) rows are stored once with their
 * total weight, as Fader & Hardie do in their spreadsheets (and lifetimes' `weights`), so a
 * likelihood evaluation costs O(unique rows) instead of O(customers).
 *
 * Algorithm: validation in parallel (first bad row found by a min-reduction, independent
 * of the thread count), then one serial pass through an open-addressing hash table keyed by
 * the bit patterns of the three doubles (rows keep their first-occurrence order, so the
 * output is deterministic), then a table of distinct x values (direct-mapped when x is
 * small, sorted otherwise). Cost O(n) expected; memory ~24 bytes per input row for the table.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "clv/clv_internal.h"

void strata_clv_suffstats_free(strata_clv_suffstats *ss) {
  if (ss == NULL) return;
  strata_free(ss->x);
  strata_free(ss->t_x);
  strata_free(ss->T);
  strata_free(ss->w);
  strata_free(ss->xi);
  strata_free(ss->xv);
  free(ss);
}

static inline uint64_t bits_of(double v) {
  uint64_t u;
  v += 0.0; /* -0.0 -> +0.0: equal values must hash equal */
  memcpy(&u, &v, sizeof u);
  return u;
}

static inline uint64_t mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/* Index of the first invalid row in [lo, hi), or hi. `why` receives a static reason. */
static int64_t first_bad_row(const double *x, const double *t_x, const double *T, const double *w,
                             int64_t lo, int64_t hi, const char **why) {
  for (int64_t i = lo; i < hi; i++) {
    double xi = x[i], ti = t_x[i], Ti = T[i];
    if (!(isfinite(xi) && isfinite(ti) && isfinite(Ti))) {
      *why = "x, t_x and T must be finite";
      return i;
    }
    if (xi < 0.0 || xi != floor(xi) || xi > 9.0e15) {
      *why = "x (frequency) must be a non-negative integer";
      return i;
    }
    if (ti < 0.0) {
      *why = "t_x (recency) must be >= 0";
      return i;
    }
    if (ti > Ti) {
      *why = "t_x (recency) must not exceed T (age)";
      return i;
    }
    if (xi == 0.0 && ti != 0.0) {
      *why = "t_x (recency) must be 0 when x (frequency) is 0";
      return i;
    }
    if (w && !(w[i] >= 0.0 && isfinite(w[i]))) {
      *why = "weights must be finite and >= 0";
      return i;
    }
  }
  return hi;
}

strata_status strata_clv_validate_rows(strata_ctx *ctx, const double *x, const double *t_x,
                                       const double *T, const double *w, int64_t n,
                                       const char *what) {
  int threads = strata_ctx_threads(ctx);
  int64_t bad = n;
  const char *why = "";
  /* min-reduction of the first bad row: independent of the split among threads */
#pragma omp parallel num_threads(threads) default(none) shared(x, t_x, T, w, n, bad, why)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
    const char *mine = "";
    int64_t b = first_bad_row(x, t_x, T, w, lo, hi, &mine);
#pragma omp critical(strata_clv_validate)
    {
      if (b < hi && b < bad) {
        bad = b;
        why = mine;
      }
    }
  }
  if (bad < n)
    return strata_fail(ctx, STRATA_ERR_DATA, "%s row %lld (x = %g, t_x = %g, T = %g): %s", what,
                       (long long)bad, x[bad], t_x[bad], T[bad], why);
  return STRATA_OK;
}

static int cmp_double(const void *a, const void *b) {
  double u = *(const double *)a, v = *(const double *)b;
  return (u > v) - (u < v);
}

strata_status strata_clv_x_table(strata_ctx *ctx, const double *x, int64_t n, int32_t *xi,
                                 double **xv_out, int64_t *n_x_out) {
  strata_status st = STRATA_OK;
  int32_t *slot = NULL;
  double *xv = NULL, *sorted = NULL;
  *xv_out = NULL;
  *n_x_out = 0;
  double xmax = 0.0;
  for (int64_t i = 0; i < n; i++)
    if (x[i] > xmax) xmax = x[i];
  int64_t n_x = 0;
  if (xmax <= 4.0 * (double)n + 65536.0) {
    /* Direct map: x is a small integer in practice. */
    size_t range = (size_t)xmax + 1;
    STRATA_TRY(strata_alloc(ctx, range, sizeof *slot, "CLV x table", (void **)&slot));
    for (size_t v = 0; v < range; v++) slot[v] = -1;
    for (int64_t i = 0; i < n; i++) slot[(size_t)x[i]] = 0;
    for (size_t v = 0; v < range; v++)
      if (slot[v] == 0) slot[v] = (int32_t)n_x++;
    STRATA_TRY(strata_alloc(ctx, (size_t)n_x, sizeof *xv, "CLV x values", (void **)&xv));
    for (size_t v = 0; v < range; v++)
      if (slot[v] >= 0) xv[slot[v]] = (double)v;
    for (int64_t i = 0; i < n; i++) xi[i] = slot[(size_t)x[i]];
  } else {
    STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof *sorted, "CLV x sort", (void **)&sorted));
    memcpy(sorted, x, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    for (int64_t i = 0; i < n; i++)
      if (i == 0 || sorted[i] != sorted[n_x - 1]) sorted[n_x++] = sorted[i];
    STRATA_FAIL_IF(n_x > INT32_MAX, ctx, STRATA_ERR_DATA, "more than 2^31 distinct frequencies");
    STRATA_TRY(strata_alloc(ctx, (size_t)n_x, sizeof *xv, "CLV x values", (void **)&xv));
    memcpy(xv, sorted, (size_t)n_x * sizeof *xv);
    for (int64_t i = 0; i < n; i++) {
      const double *hit = bsearch(&x[i], xv, (size_t)n_x, sizeof *xv, cmp_double);
      xi[i] = (int32_t)(hit - xv);
    }
  }
  *xv_out = xv;
  *n_x_out = n_x;
  xv = NULL;
cleanup:
  strata_free(slot);
  strata_free(sorted);
  strata_free(xv);
  return st;
}

strata_status strata_clv_suffstats_build(strata_ctx *ctx, const double *x, const double *t_x,
                                         const double *T, const double *weight, int64_t n,
                                         strata_clv_suffstats **out) {
  strata_status st = STRATA_OK;
  strata_clv_suffstats *ss = NULL;
  int64_t *table = NULL;
  double t0 = strata_now();
  STRATA_FAIL_IF(out == NULL, ctx, STRATA_ERR_USAGE, "strata_clv_suffstats_build: out is NULL");
  *out = NULL;
  STRATA_FAIL_IF(x == NULL || t_x == NULL || T == NULL, ctx, STRATA_ERR_USAGE,
                 "CLV statistics: x, t_x and T must not be NULL");
  STRATA_FAIL_IF(n <= 0, ctx, STRATA_ERR_DATA, "CLV statistics: no customers (n = %lld)",
                 (long long)n);
  STRATA_TRY(strata_clv_validate_rows(ctx, x, t_x, T, weight, n, "customer"));

  ss = calloc(1, sizeof *ss);
  STRATA_FAIL_IF(ss == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for CLV statistics");
  ss->customers = n;
  size_t cap = 16;
  while (cap < (size_t)n * 2) cap <<= 1;
  STRATA_TRY(strata_alloc(ctx, cap, sizeof *table, "CLV compression hash table", (void **)&table));
  for (size_t i = 0; i < cap; i++) table[i] = -1;
  /* Row arrays sized for the worst case (all distinct), trimmed logically by ss->n. */
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "CLV rows x", (void **)&ss->x));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "CLV rows t_x", (void **)&ss->t_x));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "CLV rows T", (void **)&ss->T));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "CLV rows weight", (void **)&ss->w));
  int64_t u = 0;
  double total = 0.0, max_T = 0.0;
  for (int64_t i = 0; i < n; i++) {
    uint64_t bx = bits_of(x[i]), bt = bits_of(t_x[i]), bT = bits_of(T[i]);
    uint64_t h = mix64(bx ^ mix64(bt ^ mix64(bT)));
    size_t pos = (size_t)h & (cap - 1);
    double wi = weight ? weight[i] : 1.0;
    total += wi;
    if (T[i] > max_T) max_T = T[i];
    for (;;) {
      int64_t j = table[pos];
      if (j < 0) {
        table[pos] = u;
        ss->x[u] = x[i] + 0.0;
        ss->t_x[u] = t_x[i] + 0.0;
        ss->T[u] = T[i] + 0.0;
        ss->w[u] = wi;
        u++;
        break;
      }
      if (bits_of(ss->x[j]) == bx && bits_of(ss->t_x[j]) == bt && bits_of(ss->T[j]) == bT) {
        ss->w[j] += wi;
        break;
      }
      pos = (pos + 1) & (cap - 1);
    }
  }
  ss->n = u;
  ss->total_weight = total;
  ss->max_T = max_T;
  STRATA_FAIL_IF(!(total > 0.0), ctx, STRATA_ERR_DATA,
                 "CLV statistics: the weights sum to %g; at least one must be positive", total);
  STRATA_TRY(strata_alloc(ctx, (size_t)u, sizeof *ss->xi, "CLV rows x index", (void **)&ss->xi));
  STRATA_TRY(strata_clv_x_table(ctx, ss->x, u, ss->xi, &ss->xv, &ss->n_x));
  *out = ss;
  ss = NULL;
  strata_phase_add(ctx, "clv compress", strata_now() - t0);
cleanup:
  strata_free(table);
  strata_clv_suffstats_free(ss);
  return st;
}
