/*
 * Data checks and statistics of the k-means engine: the count of non-finite values (a
 * parallel scan; the first offender is located afterwards for the message) and the mean
 * feature variance that scales the tolerance (two passes, mean then squared deviations, each
 * with per-block partials added in block order).
 *
 * Template: instantiated by stats.c for float and double (see typed.h).
 */

typedef struct SFX(stats_job) {
  const km_problem *p;
  const double *mean;
} SFX(stats_job);

static void SFX(nonfinite_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                 double *partial) {
  (void)block;
  const SFX(stats_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  /* v - v is 0 exactly when v is finite (NaN for NaN and +-Inf): a compare the compiler
   * vectorises, counted in integers per row. A double count per element was a chain of
   * dependent adds, 4 cycles an element (18 ms at 1M x 32 on two threads). */
  int64_t bad = 0;
  for (int64_t i = begin; i < end; i++) {
    const T *xi = x + i * p->ldx;
    int32_t row_bad = 0;
    for (int64_t t = 0; t < p->d; t++) row_bad += !(xi[t] - xi[t] == (T)0);
    bad += row_bad;
  }
  partial[0] = (double)bad;
}

strata_status SFX(km_count_nonfinite)(const km_problem *p, int64_t *first_row, int64_t *first_col) {
  strata_status st = STRATA_OK;
  SFX(stats_job) job = {p, NULL};
  double bad = 0.0;
  *first_row = -1;
  *first_col = -1;
  STRATA_TRY(
      strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, 1, SFX(nonfinite_block), &job, &bad));
  if (bad == 0.0) goto cleanup;
  const T *x = (const T *)p->x;
  for (int64_t i = 0; i < p->n && *first_row < 0; i++)
    for (int64_t t = 0; t < p->d; t++)
      if (!isfinite(x[i * p->ldx + t])) {
        *first_row = i;
        *first_col = t;
        break;
      }
cleanup:
  return st;
}

static void SFX(column_sum_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                  double *partial) {
  (void)block;
  const SFX(stats_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  for (int64_t i = begin; i < end; i++)
    for (int64_t t = 0; t < p->d; t++) partial[t] += (double)x[i * p->ldx + t];
}

static void SFX(column_sq_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                 double *partial) {
  (void)block;
  const SFX(stats_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  for (int64_t i = begin; i < end; i++)
    for (int64_t t = 0; t < p->d; t++) {
      double dev = (double)x[i * p->ldx + t] - job->mean[t];
      partial[t] += dev * dev;
    }
}

/* Unweighted, as scikit-learn's _tolerance: mean over features of np.var(X, axis=0). */
strata_status SFX(km_mean_variance)(const km_problem *p, double *out) {
  strata_status st = STRATA_OK;
  double *mean = NULL, *sq = NULL;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->d, sizeof(double), "column means", (void **)&mean));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->d, sizeof(double), "column variances", (void **)&sq));
  SFX(stats_job) job = {p, mean};
  STRATA_TRY(strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, (size_t)p->d,
                               SFX(column_sum_block), &job, mean));
  for (int64_t t = 0; t < p->d; t++) mean[t] /= (double)p->n;
  STRATA_TRY(strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, (size_t)p->d,
                               SFX(column_sq_block), &job, sq));
  double total = 0.0;
  for (int64_t t = 0; t < p->d; t++) total += sq[t] / (double)p->n;
  *out = total / (double)p->d;
cleanup:
  strata_free(mean);
  strata_free(sq);
  return st;
}
