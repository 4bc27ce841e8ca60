/*
 * RFM summary from a transaction log, as lifetimes' summary_data_from_transaction_data and
 * calibration_and_holdout_data compute it (same-period transactions merged, x = repeat
 * periods, monetary = mean of the repeat periods' totals).
 *
 * Algorithm: one parallel pass validates the rows and finds the id and day ranges; every row
 * inside calibration + holdout then gets a sort key (id - min id, period - min period,
 * holdout flag) packed into 64 bits (or, when ids span too much, the id alone plus a second
 * key word). A stable parallel MSD radix partition on the top (up to 9) id bits scatters the
 * rows into cache-sized buckets (per-thread histograms over contiguous chunks, prefix sums in
 * bucket-then-chunk order), each bucket is finished by an in-cache stable LSD radix sort,
 * and customers are summarised by scanning their now contiguous, period-ordered rows.
 * Cost: O(m) work in about three passes over the keys; memory 16 bytes per transaction
 * (24 when ids span more than 2^(63 - period bits)). Measured: 15M transactions of 1M
 * customers in 0.26 s on 2 cores (0.44 s on one), page faults of the sort arrays included. The
 * output is a stable sort, hence unique: results are identical for any thread count, including the
 * summation order of amounts (original row order within a period).
 */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "clv/clv.h"
#include "core/core.h"

#ifndef MSD_BITS_MAX
#define MSD_BITS_MAX 9
#endif
#define LSD_BITS_MAX 11
#define BUCKET_TARGET 4096 /* rows per bucket aimed at (more when MSD_BITS_MAX caps the digit) */

void strata_clv_rfm_params_init(strata_clv_rfm_params *p) {
  if (p == NULL) return;
  memset(p, 0, sizeof *p);
  p->calibration_end = STRATA_CLV_DAY_LAST;
  p->holdout_days = 0;
  p->period_days = 1;
  p->period_anchor = STRATA_CLV_ANCHOR_MONDAY;
  p->freq_multiplier = 1.0;
}

void strata_clv_rfm_free(strata_clv_rfm *rfm) {
  if (rfm == NULL) return;
  strata_free(rfm->id);
  strata_free(rfm->x);
  strata_free(rfm->t_x);
  strata_free(rfm->T);
  strata_free(rfm->monetary);
  strata_free(rfm->x_holdout);
  strata_free(rfm->monetary_holdout);
  strata_free(rfm->transactions);
  strata_free(rfm->revenue);
  strata_free(rfm->revenue_prev);
  strata_free(rfm->revenue_curr);
  strata_free(rfm);
}

static int bit_width(uint64_t v) {
  int b = 0;
  while (v) {
    b++;
    v >>= 1;
  }
  return b;
}

/* floor((day - anchor) / len). Days are 32-bit, so the double quotient is exact when the
 * division is and can never round across an integer: floor() of it is the exact floor, at
 * the cost of a pipelined division instead of a ~40-cycle integer one. */
static inline int64_t period_of(int64_t day, int64_t anchor, int64_t len) {
  int64_t d = day - anchor;
  if (len == 1) return d;
  return (int64_t)floor((double)d / (double)len);
}

/* Everything the passes share. `sub` is only used when the key does not fit one word. */
typedef struct rfm_job {
  const int64_t *id;
  const int32_t *day;
  const double *amount;
  int64_t m;
  int64_t id_min;
  int64_t p_min;        /* smallest period */
  int64_t anchor, plen; /* period arithmetic */
  int32_t cal_end, win_end;
  int pbits;     /* bits of (period - p_min) */
  int composite; /* key = id_off << (pbits + 1) | p_off << 1 | holdout */
  int key_bits;  /* significant bits of the key word */
  int msd_bits, msd_shift;
  int64_t n_buckets;
  uint64_t *key, *key2;
  uint64_t *sub, *sub2; /* fallback: (p_off << 1 | holdout) */
  double *amt, *amt2;
  int64_t *bucket_start; /* n_buckets + 1 */
} rfm_job;

static inline uint64_t row_sub(const rfm_job *J, int64_t i) {
  int64_t p = period_of(J->day[i], J->anchor, J->plen);
  return ((uint64_t)(p - J->p_min) << 1) | (uint64_t)(J->day[i] > J->cal_end);
}

static inline uint64_t row_key(const rfm_job *J, int64_t i) {
  uint64_t id_off = (uint64_t)J->id[i] - (uint64_t)J->id_min;
  if (!J->composite) return id_off;
  return (id_off << (J->pbits + 1)) | row_sub(J, i);
}

/* ---- stable LSD radix sort of one bucket [lo, hi) on the bits below the MSD digit. */

typedef struct lsd_pass {
  int use_sub; /* digit from sub[] instead of key[] */
  int shift, width;
} lsd_pass;

static void insertion_sort(uint64_t *key, uint64_t *sub, double *amt, int64_t n) {
  for (int64_t i = 1; i < n; i++) {
    uint64_t k = key[i], s = sub ? sub[i] : 0;
    double a = amt ? amt[i] : 0.0;
    int64_t j = i - 1;
    while (j >= 0 && (key[j] > k || (key[j] == k && sub && sub[j] > s))) {
      key[j + 1] = key[j];
      if (sub) sub[j + 1] = sub[j];
      if (amt) amt[j + 1] = amt[j];
      j--;
    }
    key[j + 1] = k;
    if (sub) sub[j + 1] = s;
    if (amt) amt[j + 1] = a;
  }
}

static void sort_bucket(const rfm_job *J, int64_t lo, int64_t hi, uint64_t *tk, uint64_t *ts,
                        double *ta) {
  int64_t n = hi - lo;
  if (n <= 1) return;
  uint64_t *key = J->key + lo;
  uint64_t *sub = J->sub ? J->sub + lo : NULL;
  double *amt = J->amt ? J->amt + lo : NULL;
  if (n <= 48) {
    insertion_sort(key, sub, amt, n);
    return;
  }
  /* Passes, least significant first: the sub word (fallback only), then the key bits below
   * the MSD digit. */
  lsd_pass passes[16];
  int np = 0;
  if (!J->composite) {
    int bits = J->pbits + 1;
    int count = (bits + LSD_BITS_MAX - 1) / LSD_BITS_MAX;
    int w = (bits + count - 1) / count;
    for (int s = 0; s < bits; s += w) passes[np++] = (lsd_pass){1, s, bits - s < w ? bits - s : w};
  }
  int bits = J->msd_shift;
  if (bits > 0) {
    int count = (bits + LSD_BITS_MAX - 1) / LSD_BITS_MAX;
    int w = (bits + count - 1) / count;
    for (int s = 0; s < bits; s += w) passes[np++] = (lsd_pass){0, s, bits - s < w ? bits - s : w};
  }
  int64_t count[1 << LSD_BITS_MAX];
  uint64_t *k0 = key, *k1 = tk, *s0 = sub, *s1 = ts;
  double *a0 = amt, *a1 = ta;
  for (int ps = 0; ps < np; ps++) {
    const lsd_pass P = passes[ps];
    uint64_t mask = ((uint64_t)1 << P.width) - 1;
    const uint64_t *dsrc = P.use_sub ? s0 : k0;
    int64_t nd = (int64_t)1 << P.width;
    memset(count, 0, (size_t)nd * sizeof count[0]);
    for (int64_t i = 0; i < n; i++) count[(dsrc[i] >> P.shift) & mask]++;
    /* A digit that is constant over the bucket leaves the order unchanged: skip the pass. */
    if (count[(dsrc[0] >> P.shift) & mask] == n) continue;
    int64_t acc = 0;
    for (int64_t d = 0; d < nd; d++) {
      int64_t c = count[d];
      count[d] = acc;
      acc += c;
    }
    for (int64_t i = 0; i < n; i++) {
      int64_t pos = count[(dsrc[i] >> P.shift) & mask]++;
      k1[pos] = k0[i];
      if (s0) s1[pos] = s0[i];
      if (a0) a1[pos] = a0[i];
    }
    uint64_t *tk_ = k0;
    k0 = k1;
    k1 = tk_;
    uint64_t *ts_ = s0;
    s0 = s1;
    s1 = ts_;
    double *ta_ = a0;
    a0 = a1;
    a1 = ta_;
  }
  if (k0 != key) {
    memcpy(key, k0, (size_t)n * sizeof *key);
    if (sub) memcpy(sub, s0, (size_t)n * sizeof *sub);
    if (amt) memcpy(amt, a0, (size_t)n * sizeof *amt);
  }
}

/* ---- per-customer summaries over a sorted bucket */

static inline uint64_t cust_of(const rfm_job *J, int64_t i) {
  return J->composite ? J->key[i] >> (J->pbits + 1) : J->key[i];
}
static inline uint64_t sub_of(const rfm_job *J, int64_t i) {
  return J->composite ? J->key[i] & (((uint64_t)1 << (J->pbits + 1)) - 1) : J->sub[i];
}

/* Number of customers in [lo, hi) whose first row is a calibration row. */
static int64_t count_customers(const rfm_job *J, int64_t lo, int64_t hi) {
  int64_t n = 0;
  for (int64_t i = lo; i < hi;) {
    uint64_t c = cust_of(J, i);
    if ((sub_of(J, i) & 1) == 0) n++;
    while (i < hi && cust_of(J, i) == c) i++;
  }
  return n;
}

typedef struct rfm_out {
  strata_clv_rfm *rfm;
  int64_t pc;  /* period of calibration_end, relative to p_min */
  int64_t ph;  /* period of the holdout end, relative */
  int64_t pg;  /* growth window length in periods (0: none) */
  double mult; /* freq_multiplier: divided, as lifetimes does */
} rfm_out;

static void summarise(const rfm_job *J, const rfm_out *O, int64_t lo, int64_t hi, int64_t at) {
  strata_clv_rfm *R = O->rfm;
  for (int64_t i = lo; i < hi;) {
    uint64_t c = cust_of(J, i);
    int64_t end = i;
    while (end < hi && cust_of(J, end) == c) end++;
    if ((sub_of(J, i) & 1) != 0) { /* holdout only: not a customer of the calibration */
      i = end;
      continue;
    }
    /* Rows are ordered by (period, holdout flag): calibration periods first. */
    int64_t first = (int64_t)(sub_of(J, i) >> 1), last = first, periods = 0;
    int64_t last_cal = -1, last_hold = -1, hold_periods = 0, hold_rows = 0;
    double first_amt = 0.0, total = 0.0, hold_total = 0.0, prev = 0.0, curr = 0.0;
    int64_t rows = 0;
    for (int64_t k = i; k < end; k++) {
      uint64_t s = sub_of(J, k);
      int64_t p = (int64_t)(s >> 1);
      double a = J->amt ? J->amt[k] : 0.0;
      if ((s & 1) == 0) {
        if (p != last_cal) {
          periods++;
          last_cal = p;
        }
        last = p;
        if (p == first) first_amt += a;
        total += a;
        rows++;
        /* (pc - pg, pc] is the current window, the pg periods before it the previous. */
        if (p > O->pc - O->pg)
          curr += a;
        else if (p > O->pc - 2 * O->pg)
          prev += a;
      } else {
        if (p != last_hold) {
          hold_periods++;
          last_hold = p;
        }
        hold_rows++;
        hold_total += a;
      }
    }
    double x = (double)(periods - 1);
    R->id[at] = (int64_t)(c + (uint64_t)J->id_min);
    R->x[at] = x;
    R->t_x[at] = (double)(last - first) / O->mult;
    R->T[at] = (double)(O->pc - first) / O->mult;
    if (R->monetary) R->monetary[at] = periods > 1 ? (total - first_amt) / x : 0.0;
    R->transactions[at] = (double)rows;
    if (R->revenue) R->revenue[at] = total;
    if (R->revenue_prev) {
      R->revenue_prev[at] = prev;
      R->revenue_curr[at] = curr;
    }
    if (R->x_holdout) R->x_holdout[at] = (double)hold_periods;
    if (R->monetary_holdout)
      R->monetary_holdout[at] = hold_rows > 0 ? hold_total / (double)hold_rows : 0.0;
    at++;
    i = end;
  }
}

typedef struct scan_result {
  int64_t id_min, id_max;
  int32_t day_min, day_max;
  int64_t bad_row; /* first row with a bad amount, or m */
} scan_result;

strata_status strata_clv_rfm_compute(strata_ctx *ctx, const int64_t *customer_id,
                                     const int32_t *day, const double *amount, int64_t m,
                                     const strata_clv_rfm_params *params, strata_clv_rfm **out) {
  strata_status st = STRATA_OK;
  strata_clv_rfm *R = NULL;
  rfm_job J;
  memset(&J, 0, sizeof J);
  scan_result *scan = NULL;
  int64_t *hist = NULL, *bcount = NULL, *bstart = NULL, *bout = NULL;
  uint64_t *scratch_k = NULL, *scratch_s = NULL;
  double *scratch_a = NULL;
  double t0 = strata_now();
  STRATA_FAIL_IF(out == NULL, ctx, STRATA_ERR_USAGE, "strata_clv_rfm_compute: out is NULL");
  *out = NULL;
  STRATA_FAIL_IF(customer_id == NULL || day == NULL, ctx, STRATA_ERR_USAGE,
                 "RFM summary: customer_id and day arrays must not be NULL");
  STRATA_FAIL_IF(m < 0, ctx, STRATA_ERR_USAGE, "RFM summary: negative transaction count %lld",
                 (long long)m);
  STRATA_FAIL_IF(m == 0, ctx, STRATA_ERR_DATA, "RFM summary: no transactions (empty input)");
  strata_clv_rfm_params P;
  if (params)
    P = *params;
  else
    strata_clv_rfm_params_init(&P);
  STRATA_FAIL_IF(P.period_days < 1, ctx, STRATA_ERR_USAGE,
                 "RFM summary: period_days must be >= 1, got %d", (int)P.period_days);
  STRATA_FAIL_IF(!(P.freq_multiplier > 0.0) || !isfinite(P.freq_multiplier), ctx, STRATA_ERR_USAGE,
                 "RFM summary: freq_multiplier must be > 0, got %g", P.freq_multiplier);
  STRATA_FAIL_IF(P.growth_days < 0, ctx, STRATA_ERR_USAGE,
                 "RFM summary: growth window must be >= 0 days, got %d", (int)P.growth_days);
  STRATA_FAIL_IF(P.holdout_days < 0, ctx, STRATA_ERR_USAGE,
                 "RFM summary: holdout_days must be >= 0, got %d", (int)P.holdout_days);
  STRATA_FAIL_IF(P.holdout_days > 0 && P.calibration_end == STRATA_CLV_DAY_LAST, ctx,
                 STRATA_ERR_USAGE,
                 "RFM summary: a holdout period (holdout_days = %d) needs an explicit "
                 "calibration_end",
                 (int)P.holdout_days);

  int threads = strata_ctx_threads(ctx);
  STRATA_TRY(strata_alloc(ctx, (size_t)threads, sizeof *scan, "RFM scan results", (void **)&scan));
  /* Neutral entries: a team smaller than asked leaves some untouched. */
  for (int t = 0; t < threads; t++)
    scan[t] = (scan_result){INT64_MAX, INT64_MIN, INT32_MAX, INT32_MIN, m};
    /* Pass 1: ranges and validation. Min/max and "first bad row" do not depend on how rows
     * are split among threads. */
#pragma omp parallel num_threads(threads) default(none) shared(customer_id, day, amount, m, scan)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t lo = m * t / nt, hi = m * (t + 1) / nt;
    scan_result r = {INT64_MAX, INT64_MIN, INT32_MAX, INT32_MIN, m};
    for (int64_t i = lo; i < hi; i++) {
      int64_t c = customer_id[i];
      int32_t d = day[i];
      if (c < r.id_min) r.id_min = c;
      if (c > r.id_max) r.id_max = c;
      if (d < r.day_min) r.day_min = d;
      if (d > r.day_max) r.day_max = d;
      if (amount && r.bad_row == m && !(amount[i] >= 0.0 && amount[i] <= DBL_MAX)) r.bad_row = i;
    }
    scan[t] = r;
  }
  strata_phase_add(ctx, "rfm scan", strata_now() - t0);
  double t1 = strata_now();
  scan_result S = {INT64_MAX, INT64_MIN, INT32_MAX, INT32_MIN, m};
  for (int t = 0; t < threads; t++) {
    if (scan[t].id_max < scan[t].id_min) continue; /* thread had no rows */
    if (scan[t].id_min < S.id_min) S.id_min = scan[t].id_min;
    if (scan[t].id_max > S.id_max) S.id_max = scan[t].id_max;
    if (scan[t].day_min < S.day_min) S.day_min = scan[t].day_min;
    if (scan[t].day_max > S.day_max) S.day_max = scan[t].day_max;
    if (scan[t].bad_row < S.bad_row) S.bad_row = scan[t].bad_row;
  }
  if (S.bad_row < m) {
    double a = amount[S.bad_row];
    st = strata_fail(ctx, STRATA_ERR_DATA, "transaction row %lld (customer %lld): amount %g is %s",
                     (long long)S.bad_row, (long long)customer_id[S.bad_row], a,
                     a < 0.0 ? "negative (refunds must be netted out before the RFM summary)"
                             : "not a finite number");
    goto cleanup;
  }

  J.id = customer_id;
  J.day = day;
  J.amount = amount;
  J.m = m;
  J.id_min = S.id_min;
  J.anchor = P.period_anchor;
  J.plen = P.period_days;
  J.cal_end = P.calibration_end == STRATA_CLV_DAY_LAST ? S.day_max : P.calibration_end;
  STRATA_FAIL_IF((int64_t)J.cal_end + P.holdout_days > INT32_MAX, ctx, STRATA_ERR_USAGE,
                 "RFM summary: calibration_end %d + holdout_days %d overflows the day range",
                 (int)J.cal_end, (int)P.holdout_days);
  J.win_end = J.cal_end + P.holdout_days;
  STRATA_FAIL_IF(S.day_min > J.cal_end, ctx, STRATA_ERR_DATA,
                 "RFM summary: no transaction on or before calibration_end (day %d); the "
                 "first transaction is on day %d",
                 (int)J.cal_end, (int)S.day_min);
  J.p_min = period_of(S.day_min, J.anchor, J.plen);
  int64_t p_hi = period_of(S.day_max < J.win_end ? S.day_max : J.win_end, J.anchor, J.plen);
  J.pbits = bit_width((uint64_t)(p_hi - J.p_min));
  int id_bits = bit_width((uint64_t)S.id_max - (uint64_t)S.id_min);
  J.composite = id_bits + J.pbits + 1 <= 64;
  J.key_bits = J.composite ? id_bits + J.pbits + 1 : id_bits;

  /* Pass 2: stable MSD partition of the rows inside the window into buckets. */
  int64_t want = m / BUCKET_TARGET;
  int msd = 0;
  while (msd < MSD_BITS_MAX && ((int64_t)1 << msd) < want) msd++;
  /* The digit must come from the id bits only, so that a customer never straddles two
   * buckets (few customers with many rows: fewer, larger buckets). The shift key_bits - msd
   * must stay below 64: a 64-bit key takes at least one digit bit (its ids then span 2^63
   * or more, so that bit is an id bit). */
  if (msd > id_bits) msd = id_bits;
  if (J.key_bits - msd > 63) msd = J.key_bits - 63;
  J.msd_bits = msd;
  J.msd_shift = J.key_bits - msd;
  J.n_buckets = (int64_t)1 << msd;
  int64_t nb = J.n_buckets;
  STRATA_TRY(strata_calloc(ctx, (size_t)threads * (size_t)nb, sizeof *hist, "RFM radix histograms",
                           (void **)&hist));
  STRATA_TRY(
      strata_calloc(ctx, (size_t)nb + 1, sizeof *bstart, "RFM bucket offsets", (void **)&bstart));
  int64_t rows_used = 0;
  strata_status alloc_st = STRATA_OK;
  /* Histogram, prefix sums and scatter in one parallel region, so that the scatter uses
   * exactly the chunks that were counted, whatever team size OpenMP grants. */
#pragma omp parallel num_threads(threads) default(none) \
    shared(J, hist, nb, bstart, rows_used, alloc_st, ctx, amount)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t lo = J.m * t / nt, hi = J.m * (t + 1) / nt;
    int64_t *h = hist + (size_t)t * (size_t)nb;
    for (int64_t i = lo; i < hi; i++) {
      if (J.day[i] > J.win_end) continue;
      h[row_key(&J, i) >> J.msd_shift]++;
    }
#pragma omp barrier
#pragma omp single
    {
      /* Exclusive prefix in bucket-then-chunk order: this is what makes the partition
       * stable. */
      int64_t acc = 0;
      for (int64_t b = 0; b < nb; b++) {
        bstart[b] = acc;
        for (int u = 0; u < nt; u++) {
          int64_t c = hist[(size_t)u * (size_t)nb + (size_t)b];
          hist[(size_t)u * (size_t)nb + (size_t)b] = acc;
          acc += c;
        }
      }
      bstart[nb] = acc;
      rows_used = acc;
      size_t rows = (size_t)(acc > 0 ? acc : 1);
      alloc_st = strata_alloc(ctx, rows, sizeof *J.key, "RFM sort keys", (void **)&J.key);
      if (alloc_st == STRATA_OK && !J.composite)
        alloc_st =
            strata_alloc(ctx, rows, sizeof *J.sub, "RFM sort keys (periods)", (void **)&J.sub);
      if (alloc_st == STRATA_OK && amount)
        alloc_st = strata_alloc(ctx, rows, sizeof *J.amt, "RFM sorted amounts", (void **)&J.amt);
    } /* implicit barrier */
    if (alloc_st == STRATA_OK) {
      for (int64_t i = lo; i < hi; i++) {
        if (J.day[i] > J.win_end) continue;
        uint64_t k = row_key(&J, i);
        int64_t pos = h[k >> J.msd_shift]++;
        J.key[pos] = k;
        if (J.sub) J.sub[pos] = row_sub(&J, i);
        if (J.amt) J.amt[pos] = J.amount[i];
      }
    }
  }
  STRATA_TRY(alloc_st);
  J.bucket_start = bstart;
  strata_phase_add(ctx, "rfm partition", strata_now() - t1);
  t1 = strata_now();

  /* Pass 3: finish each bucket in cache and count its customers. */
  int64_t max_bucket = 0;
  for (int64_t b = 0; b < nb; b++)
    if (bstart[b + 1] - bstart[b] > max_bucket) max_bucket = bstart[b + 1] - bstart[b];
  size_t scratch_n = (size_t)threads * (size_t)(max_bucket > 0 ? max_bucket : 1);
  STRATA_TRY(
      strata_alloc(ctx, scratch_n, sizeof *scratch_k, "RFM sort scratch", (void **)&scratch_k));
  if (J.sub)
    STRATA_TRY(
        strata_alloc(ctx, scratch_n, sizeof *scratch_s, "RFM sort scratch", (void **)&scratch_s));
  if (J.amt)
    STRATA_TRY(
        strata_alloc(ctx, scratch_n, sizeof *scratch_a, "RFM sort scratch", (void **)&scratch_a));
  STRATA_TRY(strata_calloc(ctx, (size_t)nb + 1, sizeof *bcount, "RFM bucket customer counts",
                           (void **)&bcount));
#pragma omp parallel num_threads(threads) default(none) \
    shared(J, nb, bstart, bcount, scratch_k, scratch_s, scratch_a, max_bucket)
  {
    size_t off = (size_t)omp_get_thread_num() * (size_t)(max_bucket > 0 ? max_bucket : 1);
    uint64_t *tk = scratch_k + off;
    uint64_t *ts = scratch_s ? scratch_s + off : NULL;
    double *ta = scratch_a ? scratch_a + off : NULL;
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < nb; b++) {
      sort_bucket(&J, bstart[b], bstart[b + 1], tk, ts, ta);
      bcount[b] = count_customers(&J, bstart[b], bstart[b + 1]);
    }
  }
  strata_phase_add(ctx, "rfm sort", strata_now() - t1);
  t1 = strata_now();
  /* A customer never straddles buckets: the bucket is a prefix of the customer's id bits. */
  STRATA_TRY(strata_alloc(ctx, (size_t)nb + 1, sizeof *bout, "RFM output offsets", (void **)&bout));
  int64_t n_cust = 0;
  for (int64_t b = 0; b < nb; b++) {
    bout[b] = n_cust;
    n_cust += bcount[b];
  }
  STRATA_FAIL_IF(n_cust == 0, ctx, STRATA_ERR_DATA,
                 "RFM summary: no customer has a transaction on or before calibration_end");

  R = calloc(1, sizeof *R);
  STRATA_FAIL_IF(R == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the RFM summary");
  R->n = n_cust;
  R->calibration_end = J.cal_end;
  R->rows_used = rows_used;
  STRATA_TRY(strata_alloc(ctx, (size_t)n_cust, sizeof *R->id, "RFM ids", (void **)&R->id));
  STRATA_TRY(strata_alloc(ctx, (size_t)n_cust, sizeof(double), "RFM x", (void **)&R->x));
  STRATA_TRY(strata_alloc(ctx, (size_t)n_cust, sizeof(double), "RFM t_x", (void **)&R->t_x));
  STRATA_TRY(strata_alloc(ctx, (size_t)n_cust, sizeof(double), "RFM T", (void **)&R->T));
  STRATA_TRY(strata_alloc(ctx, (size_t)n_cust, sizeof(double), "RFM transactions",
                          (void **)&R->transactions));
  if (amount) {
    STRATA_TRY(
        strata_alloc(ctx, (size_t)n_cust, sizeof(double), "RFM monetary", (void **)&R->monetary));
    STRATA_TRY(
        strata_alloc(ctx, (size_t)n_cust, sizeof(double), "RFM revenue", (void **)&R->revenue));
    if (P.growth_days > 0) {
      STRATA_TRY(strata_alloc(ctx, (size_t)n_cust, sizeof(double), "RFM growth revenue",
                              (void **)&R->revenue_prev));
      STRATA_TRY(strata_alloc(ctx, (size_t)n_cust, sizeof(double), "RFM growth revenue",
                              (void **)&R->revenue_curr));
    }
  }
  if (P.holdout_days > 0) {
    STRATA_TRY(
        strata_alloc(ctx, (size_t)n_cust, sizeof(double), "RFM holdout x", (void **)&R->x_holdout));
    if (amount)
      STRATA_TRY(strata_alloc(ctx, (size_t)n_cust, sizeof(double), "RFM holdout monetary",
                              (void **)&R->monetary_holdout));
  }
  rfm_out O;
  O.rfm = R;
  O.pc = period_of(J.cal_end, J.anchor, J.plen) - J.p_min;
  O.ph = period_of(J.win_end, J.anchor, J.plen) - J.p_min;
  O.mult = P.freq_multiplier;
  O.pg = P.growth_days > 0 ? (P.growth_days / P.period_days > 0 ? P.growth_days / P.period_days : 1)
                           : 0;
  R->duration_holdout = P.holdout_days > 0 ? (double)(O.ph - O.pc) / O.mult : 0.0;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) default(none) \
    shared(J, O, nb, bstart, bout)
  for (int64_t b = 0; b < nb; b++) summarise(&J, &O, bstart[b], bstart[b + 1], bout[b]);

  *out = R;
  R = NULL;
  strata_phase_add(ctx, "rfm summarise", strata_now() - t1);
cleanup:
  strata_clv_rfm_free(R);
  strata_free(scan);
  strata_free(hist);
  strata_free(bcount);
  strata_free(bstart);
  strata_free(bout);
  strata_free(scratch_k);
  strata_free(scratch_s);
  strata_free(scratch_a);
  strata_free(J.key);
  strata_free(J.sub);
  strata_free(J.amt);
  return st;
}
