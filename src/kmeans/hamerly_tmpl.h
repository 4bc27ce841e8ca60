/*
 * Hamerly's algorithm (Hamerly, "Making k-means even faster", SDM 2010): exact Lloyd
 * iterations that skip most distance computations. Each row keeps an upper bound u on the
 * distance to its centre and a lower bound l on the distance to the second nearest; each
 * centre j keeps s_j, half the distance to its nearest other centre. A row whose
 * u <= max(s_a, l) cannot change its label. Cost: O(n d + k^2 d) per iteration plus O(k d)
 * for each row whose bounds fail; memory 2 doubles per row.
 *
 * Same result as Lloyd, bit for bit: a row is only skipped when its bounds clear the others by
 * more than the rounding of the kernel's distances (KM_SLACK below), and every full
 * recomputation uses the same kernel as Lloyd; the centre sums are updated exactly as in
 * Lloyd (km_totals: in full, or by the changed rows in row order), so identical labels give
 * identical centres.
 *
 * Template: instantiated by hamerly.c for float and double (see typed.h).
 */

#define KM_HAMERLY_SUB 256

typedef struct SFX(hamerly_job) {
  const km_problem *p;
  const T *centers;
  const T *packed;
  int32_t *labels;
  double *upper, *lower;
  const double *half_gap; /* s_j */
  double slack;           /* relative rounding margin of a distance */
  T *scratch;             /* threads x KM_HAMERLY_SUB x d: gathered rows */
  int first;              /* first iteration: every row gets a full assignment */
  int deltas;             /* send the changed rows' moves, not full sums (km_totals) */
} SFX(hamerly_job);

static void SFX(hamerly_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                               double *partial) {
  (void)block;
  const SFX(hamerly_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  const int64_t k = p->k, d = p->d;
  const double lo = 1.0 - job->slack, hi = 1.0 + job->slack;
  double inertia = 0.0, changed = 0.0;
  /* Rows whose bounds fail are gathered and assigned together: the kernel's register tiles
   * need several rows to be efficient, one row at a time wastes most of its loads. */
  T *gathered = job->scratch + (size_t)omp_get_thread_num() * KM_HAMERLY_SUB * (size_t)d;
  int64_t rows[KM_HAMERLY_SUB];
  int32_t label[KM_HAMERLY_SUB];
  T d1[KM_HAMERLY_SUB], d2[KM_HAMERLY_SUB];
  for (int64_t s = begin; s < end; s += KM_HAMERLY_SUB) {
    int64_t stop = end - s < KM_HAMERLY_SUB ? end : s + KM_HAMERLY_SUB;
    int64_t m = 0;
    for (int64_t i = s; i < stop; i++) {
      const T *xi = x + i * p->ldx;
      if (!job->first) {
        int32_t a = job->labels[i];
        double bound = job->lower[i] > job->half_gap[a] ? job->lower[i] : job->half_gap[a];
        if (job->upper[i] * hi <= bound * lo) continue; /* keeps its label */
        /* Tighten the upper bound with the exact distance to the current centre. */
        job->upper[i] = SFX(km_dist)(xi, job->centers + (int64_t)a * d, d);
        if (job->upper[i] * hi <= bound * lo) continue;
      }
      memcpy(gathered + m * d, xi, (size_t)d * sizeof(T));
      rows[m++] = i;
    }
    if (m == 0) continue;
    p->kern->KERN(sqdist_argmin2)(m, d, k, gathered, d, job->packed, label, d1, d2);
    for (int64_t r = 0; r < m; r++) {
      int64_t i = rows[r];
      if (label[r] != job->labels[i]) {
        changed++;
        if (job->deltas) SFX(km_move_row)(x + i * p->ldx, d, k, job->labels[i], label[r], partial);
      }
      job->labels[i] = label[r];
      job->upper[i] = sqrt((double)d1[r]);
      job->lower[i] = sqrt((double)d2[r]);
      inertia += (p->w ? p->w[i] : 1.0) * (double)d1[r];
    }
  }
  if (!job->deltas)
    p->kern->KERN(accumulate)(end - begin, d, x + begin * p->ldx, p->ldx, job->labels + begin,
                              p->w ? p->w + begin : NULL, partial, d, partial + k * d);
  partial[k * d + k] = inertia;
  partial[k * d + k + 1] = changed;
}

/* s_j = half the distance from centre j to its nearest other centre. O(k^2 d). */
static void SFX(half_gaps)(int64_t k, int64_t d, const T *c, double *s) {
  for (int64_t j = 0; j < k; j++) s[j] = INFINITY;
  for (int64_t j = 0; j < k; j++) {
    for (int64_t m = j + 1; m < k; m++) {
      double acc = 0.0;
      for (int64_t t = 0; t < d; t++) {
        double diff = (double)c[j * d + t] - (double)c[m * d + t];
        acc += diff * diff;
      }
      double half = 0.5 * sqrt(acc);
      if (half < s[j]) s[j] = half;
      if (half < s[m]) s[m] = half;
    }
  }
}

typedef struct SFX(shift_job) {
  int32_t *labels;
  double *upper, *lower;
  const double *move;
  int64_t fastest;
  double fastest_move, second_move;
} SFX(shift_job);

static void SFX(shift_bounds_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                    double *partial) {
  (void)block;
  (void)partial;
  const SFX(shift_job) *job = arg;
  for (int64_t i = begin; i < end; i++) {
    int32_t a = job->labels[i];
    job->upper[i] += job->move[a];
    job->lower[i] -= a == job->fastest ? job->second_move : job->fastest_move;
  }
}

strata_status SFX(km_hamerly)(const km_problem *p, km_run *run) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d;
  T *packed = NULL, *next = NULL;
  double *sums = NULL, *upper = NULL, *lower = NULL, *half_gap = NULL, *move = NULL;
  km_totals kept = {NULL, 0};
  T *scratch = NULL;
  T *centers = (T *)run->centers;
  const size_t plen = km_partial_len(k, d);
  STRATA_TRY(
      strata_alloc(p->ctx, KM_PACKED_LEN(k, d), sizeof(T), "packed centres", (void **)&packed));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * d), sizeof(T), "centres", (void **)&next));
  STRATA_TRY(strata_alloc(p->ctx, plen, sizeof(double), "centre sums", (void **)&sums));
  STRATA_TRY(km_totals_init(p, &kept));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(double), "upper bounds", (void **)&upper));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(double), "lower bounds", (void **)&lower));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)k, sizeof(double), "centre gaps", (void **)&half_gap));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)k, sizeof(double), "centre moves", (void **)&move));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)strata_ctx_threads(p->ctx) * KM_HAMERLY_SUB * (size_t)d,
                          sizeof(T), "gathered rows", (void **)&scratch));
  for (int64_t i = 0; i < p->n; i++) run->labels[i] = -1;
  run->converged = 0;
  /* The kernels' squared distances carry at most about (d + 2) roundings of the data type;
   * distances (square roots) half that. Four times over is a comfortable margin. */
  double slack = 4.0 * (double)(d + 2) * KM_EPS;
  SFX(hamerly_job)
  job = {p, centers, packed, run->labels, upper, lower, half_gap, slack, scratch, 1, 0};
  int strict = 0;
  for (int it = 0; it < p->max_iter; it++) {
    KM_PACK(k, d, centers, d, packed);
    SFX(half_gaps)(k, d, centers, half_gap);
    job.first = it == 0;
    job.deltas = kept.deltas;
    STRATA_TRY(strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, plen, SFX(hamerly_block),
                                 &job, sums));
    double shift;
    STRATA_TRY(SFX(km_update_kept)(p, run->labels, centers, next, &kept, sums, &shift));
    /* Centre movements loosen the bounds (triangle inequality). */
    SFX(shift_job) sj = {run->labels, upper, lower, move, -1, 0.0, 0.0};
    SFX(km_centre_moves)(k, d, centers, next, move, &sj.fastest, &sj.fastest_move,
                         &sj.second_move);
    memcpy(centers, next, (size_t)(k * d) * sizeof(T));
    run->n_iter = it + 1;
    if (sums[k * d + k + 1] == 0.0 && it > 0) {
      strict = 1;
      run->converged = 1;
      break;
    }
    if (shift <= p->tol_abs) {
      run->converged = 1;
      break;
    }
    STRATA_TRY(strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, 0, SFX(shift_bounds_block),
                                 &sj, NULL));
  }
  (void)strict;
  /* Skipped rows contribute no exact distance, so the inertia (and, when stopped by the
   * tolerance, the labels for the final centres) come from one more assignment, as in Lloyd,
   * with the current labels as candidates (km_assign_hinted: exact, mostly O(n d)). */
  STRATA_TRY(SFX(km_assign_hinted)(p, centers, run->labels, &run->inertia));
cleanup:
  strata_free(packed);
  strata_free(next);
  strata_free(sums);
  km_totals_free(&kept);
  strata_free(upper);
  strata_free(lower);
  strata_free(half_gap);
  strata_free(move);
  strata_free(scratch);
  return st;
}
