/*
 * Lloyd's algorithm (Lloyd 1982) and the two steps every exact variant shares: assignment of
 * rows to their nearest centre, and the centre update with scikit-learn's empty-cluster
 * policy. Cost: O(n k d) per iteration for the assignment (the packed direct-form kernel,
 * bit-identical on every ISA), O(n d) for the update. Per-block partial sums are added in
 * block order, so results do not depend on the thread count.
 *
 * Template: instantiated by lloyd.c for float and double (see typed.h).
 */

typedef struct SFX(assign_job) {
  const km_problem *p;
  const T *packed;
  int32_t *labels;
  T *dist;
  int update; /* 1: also accumulate centre sums and count label changes */
} SFX(assign_job);

/* Sub-blocks bound the stack buffer that keeps the previous labels for the change count. */
#define KM_SUB_ROWS 512

static void SFX(assign_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                              double *partial) {
  (void)block;
  const SFX(assign_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  const int64_t k = p->k, d = p->d;
  double inertia = 0.0, changed = 0.0;
  for (int64_t s = begin; s < end; s += KM_SUB_ROWS) {
    int64_t rows = end - s < KM_SUB_ROWS ? end - s : KM_SUB_ROWS;
    int32_t before[KM_SUB_ROWS];
    if (job->update) memcpy(before, job->labels + s, (size_t)rows * sizeof(int32_t));
    p->kern->KERN(sqdist_argmin)(rows, d, k, x + s * p->ldx, p->ldx, job->packed, job->labels + s,
                                 job->dist + s);
    for (int64_t i = 0; i < rows; i++) {
      double w = p->w ? p->w[s + i] : 1.0;
      inertia += w * (double)job->dist[s + i];
      if (job->update) changed += before[i] != job->labels[s + i];
    }
    /* Accumulate while the sub-block's rows are still in cache; sub-blocks in order keep the
     * row order of the sums, hence the same result as one call over the block. */
    if (job->update)
      p->kern->KERN(accumulate)(rows, d, x + s * p->ldx, p->ldx, job->labels + s,
                                p->w ? p->w + s : NULL, partial, d, partial + k * d);
  }
  if (job->update) {
    partial[k * d + k] = inertia;
    partial[k * d + k + 1] = changed;
  } else {
    partial[0] = inertia;
  }
}

strata_status SFX(km_assign)(const km_problem *p, const T *centers, int32_t *labels, double *sqdist,
                             double *inertia) {
  strata_status st = STRATA_OK;
  T *packed = NULL, *dist = NULL;
  STRATA_TRY(strata_alloc(p->ctx, KM_PACKED_LEN(p->k, p->d), sizeof(T), "packed centres",
                          (void **)&packed));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(T), "distances", (void **)&dist));
  KM_PACK(p->k, p->d, centers, p->d, packed);
  SFX(assign_job) job = {p, packed, labels, dist, 0};
  double total = 0.0;
  STRATA_TRY(
      strata_for_blocks(p->ctx, "assign", p->n, KM_BLOCK_ROWS, 1, SFX(assign_block), &job, &total));
  if (sqdist)
    for (int64_t i = 0; i < p->n; i++) sqdist[i] = (double)dist[i];
  if (inertia) *inertia = total;
cleanup:
  strata_free(packed);
  strata_free(dist);
  return st;
}

typedef struct SFX(farthest_job) {
  const km_problem *p;
  const int32_t *labels;
  const T *centers;
  double *dist;
} SFX(farthest_job);

static void SFX(distance_to_own_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                       double *partial) {
  (void)block;
  (void)partial;
  const SFX(farthest_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  for (int64_t i = begin; i < end; i++) {
    const T *xi = x + i * p->ldx;
    const T *c = job->centers + (int64_t)job->labels[i] * p->d;
    double acc = 0.0;
    for (int64_t t = 0; t < p->d; t++) {
      double diff = (double)xi[t] - (double)c[t];
      acc += diff * diff;
    }
    job->dist[i] = acc;
  }
}

/* scikit-learn's policy (_relocate_empty_clusters_dense): each empty cluster takes the row
 * farthest from its (old) centre, in decreasing order of distance, and that row's weight
 * moves out of its own cluster's sums. Ties go to the lowest row index. */
static strata_status SFX(relocate_empty)(const km_problem *p, const int32_t *labels,
                                         const T *old_centers, double *sums, double *wsum,
                                         int64_t n_empty) {
  strata_status st = STRATA_OK;
  double *dist = NULL;
  const T *x = (const T *)p->x;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(double), "distances for empty clusters",
                          (void **)&dist));
  SFX(farthest_job) job = {p, labels, old_centers, dist};
  STRATA_TRY(strata_for_blocks(p->ctx, "relocate", p->n, KM_BLOCK_ROWS, 0,
                               SFX(distance_to_own_block), &job, NULL));
  int64_t next_empty = 0;
  for (int64_t e = 0; e < n_empty; e++) {
    while (next_empty < p->k && wsum[next_empty] != 0.0) next_empty++;
    if (next_empty == p->k) break;
    int64_t far = -1;
    for (int64_t i = 0; i < p->n; i++)
      if (dist[i] >= 0.0 && (far < 0 || dist[i] > dist[far])) far = i;
    if (far < 0) break;
    dist[far] = -1.0; /* taken */
    double w = p->w ? p->w[far] : 1.0;
    int64_t from = labels[far];
    const T *xf = x + far * p->ldx;
    for (int64_t t = 0; t < p->d; t++) {
      sums[from * p->d + t] -= w * (double)xf[t];
      sums[next_empty * p->d + t] = w * (double)xf[t];
    }
    wsum[from] -= w;
    wsum[next_empty] = w;
  }
cleanup:
  strata_free(dist);
  return st;
}

strata_status SFX(km_update)(const km_problem *p, const int32_t *labels, const T *old_centers,
                             T *new_centers, double *sums, double *shift) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d;
  double *wsum = sums + k * d;
  int64_t n_empty = 0;
  for (int64_t j = 0; j < k; j++) n_empty += wsum[j] == 0.0;
  if (n_empty > 0) STRATA_TRY(SFX(relocate_empty)(p, labels, old_centers, sums, wsum, n_empty));
  double total_shift = 0.0;
  for (int64_t j = 0; j < k; j++) {
    for (int64_t t = 0; t < d; t++) {
      double v = wsum[j] > 0.0 ? sums[j * d + t] / wsum[j] : (double)old_centers[j * d + t];
      new_centers[j * d + t] = (T)v;
      double diff = (double)new_centers[j * d + t] - (double)old_centers[j * d + t];
      total_shift += diff * diff;
    }
  }
  *shift = total_shift;
cleanup:
  return st;
}

strata_status SFX(km_lloyd)(const km_problem *p, km_run *run) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d;
  T *packed = NULL, *next = NULL, *dist = NULL;
  double *sums = NULL;
  T *centers = (T *)run->centers;
  const size_t plen = km_partial_len(k, d);
  STRATA_TRY(
      strata_alloc(p->ctx, KM_PACKED_LEN(k, d), sizeof(T), "packed centres", (void **)&packed));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * d), sizeof(T), "centres", (void **)&next));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(T), "distances", (void **)&dist));
  STRATA_TRY(strata_alloc(p->ctx, plen, sizeof(double), "centre sums", (void **)&sums));
  for (int64_t i = 0; i < p->n; i++) run->labels[i] = -1;
  run->converged = 0;
  int strict = 0;
  SFX(assign_job) job = {p, packed, run->labels, dist, 1};
  for (int it = 0; it < p->max_iter; it++) {
    KM_PACK(k, d, centers, d, packed);
    STRATA_TRY(strata_for_blocks(p->ctx, "lloyd", p->n, KM_BLOCK_ROWS, plen, SFX(assign_block),
                                 &job, sums));
    double shift;
    STRATA_TRY(SFX(km_update)(p, run->labels, centers, next, sums, &shift));
    memcpy(centers, next, (size_t)(k * d) * sizeof(T));
    run->n_iter = it + 1;
    if (sums[k * d + k + 1] == 0.0) {
      /* Labels unchanged: the new centres equal the old ones bit for bit, and the inertia of
       * this assignment is the final one. */
      strict = 1;
      run->converged = 1;
      run->inertia = sums[k * d + k];
      break;
    }
    if (shift <= p->tol_abs) {
      run->converged = 1;
      break;
    }
  }
  /* As scikit-learn: when stopped by the tolerance or max_iter, assign once more so that the
   * labels and inertia belong to the final centres. */
  if (!strict) STRATA_TRY(SFX(km_assign)(p, centers, run->labels, NULL, &run->inertia));
cleanup:
  strata_free(packed);
  strata_free(next);
  strata_free(dist);
  strata_free(sums);
  return st;
}
