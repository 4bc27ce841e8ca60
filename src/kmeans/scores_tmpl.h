/*
 * Internal validity scores of a partition, with scikit-learn's definitions (1.2,
 * sklearn.metrics): Calinski-Harabasz (Calinski & Harabasz 1974), Davies-Bouldin (Davies &
 * Bouldin 1979) and the silhouette (Rousseeuw 1987) on a seeded sample of rows, since the
 * exact silhouette is O(n^2 d). All of them use the means of the clusters as labelled (not
 * given centres), unweighted, over the clusters that have rows.
 *
 * Cost: two passes of O(n d) (cluster means, then the dispersions) and O(k^2 d); the
 * silhouette O(s^2 d) on s sampled rows through the packed distance kernel, with O(s k)
 * memory per thread block. Deterministic for any thread count: per-block partials added in
 * block order; the sample is the s rows with the smallest Philox keys of (seed, row).
 *
 * Template: instantiated by scores.c for float and double (see typed.h).
 */

#define KM_SIL_ROWS 64 /* sample rows per kernel call of the silhouette */

typedef struct SFX(sc_job) {
  const km_problem *p;
  const int32_t *labels;
  const double *mean; /* k x d cluster means */
  /* silhouette */
  const T *sample;     /* s x d rows of the sample */
  const int32_t *slab; /* s labels */
  const T *spacked;    /* the sample packed as centres */
  int64_t s;
  const double *ssize; /* k: members of each cluster in the sample */
  T *dist;             /* threads x KM_SIL_ROWS x s */
  double *csum;        /* threads x k */
} SFX(sc_job);

static void SFX(sc_sums_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                               double *partial) {
  (void)block;
  const SFX(sc_job) *job = arg;
  const km_problem *p = job->p;
  const int64_t k = p->k, d = p->d;
  p->kern->KERN(accumulate)(end - begin, d, (const T *)p->x + begin * p->ldx, p->ldx,
                            job->labels + begin, NULL, partial, d, partial + k * d);
}

/* Per cluster: the sum of squared distances to its mean, and the sum of distances. */
static void SFX(sc_disp_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                               double *partial) {
  (void)block;
  const SFX(sc_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  const int64_t k = p->k, d = p->d;
  for (int64_t i = begin; i < end; i++) {
    const int32_t l = job->labels[i];
    const double *m = job->mean + (int64_t)l * d;
    double acc = 0.0;
    for (int64_t t = 0; t < d; t++) {
      const double e = (double)x[i * p->ldx + t] - m[t];
      acc += e * e;
    }
    partial[l] += acc;
    partial[k + l] += sqrt(acc);
  }
}

/* Silhouette of sample rows [begin, end): s(i) = (b - a) / max(a, b) with a the mean distance
 * to the other members of its cluster and b the smallest mean distance to another cluster,
 * both within the sample; 0 for a cluster of one (scikit-learn). */
static void SFX(sc_sil_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                              double *partial) {
  (void)block;
  const SFX(sc_job) *job = arg;
  const km_problem *p = job->p;
  const int64_t k = p->k, d = p->d, s = job->s;
  const int tid = omp_get_thread_num();
  T *dist = job->dist + (size_t)tid * KM_SIL_ROWS * (size_t)s;
  double *csum = job->csum + (size_t)tid * (size_t)k;
  double total = 0.0;
  for (int64_t r0 = begin; r0 < end; r0 += KM_SIL_ROWS) {
    const int64_t rows = end - r0 < KM_SIL_ROWS ? end - r0 : KM_SIL_ROWS;
    p->kern->KERN(sqdist)(rows, d, s, job->sample + r0 * d, d, job->spacked, dist, s);
    for (int64_t r = 0; r < rows; r++) {
      const int64_t i = r0 + r;
      const int32_t li = job->slab[i];
      const T *di = dist + r * s;
      for (int64_t j = 0; j < k; j++) csum[j] = 0.0;
      for (int64_t e = 0; e < s; e++) csum[job->slab[e]] += sqrt((double)di[e]);
      const double own = job->ssize[li];
      if (own <= 1.0) continue; /* s(i) = 0 */
      /* The row's distance to itself is 0 but may round to a tiny positive value. */
      const double a = (csum[li] - sqrt((double)di[i])) / (own - 1.0);
      double b = INFINITY;
      for (int64_t j = 0; j < k; j++)
        if (j != li && job->ssize[j] > 0.0) {
          const double m = csum[j] / job->ssize[j];
          if (m < b) b = m;
        }
      const double hi = a > b ? a : b;
      if (hi > 0.0) total += (b - a) / hi;
    }
  }
  partial[0] = total;
}

strata_status SFX(km_scores)(const km_problem *p, const int32_t *labels, int64_t sample,
                             uint64_t seed, strata_cluster_scores *out) {
  strata_status st = STRATA_OK;
  const int64_t n = p->n, d = p->d, k = p->k;
  const T *x = (const T *)p->x;
  double *sums = NULL, *mean = NULL, *disp = NULL, *key = NULL, *ssize = NULL, *csum = NULL;
  int64_t *heap = NULL;
  T *srows = NULL, *spacked = NULL, *dist = NULL;
  int32_t *slab = NULL;
  const int threads = strata_ctx_threads(p->ctx);
  out->clusters = 0;
  out->inertia = out->calinski_harabasz = out->davies_bouldin = out->silhouette = NAN;
  out->silhouette_rows = 0;
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)(k * d + k), sizeof(double), "cluster sums", (void **)&sums));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)(k * d), sizeof(double), "cluster means", (void **)&mean));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)(2 * k), sizeof(double), "cluster dispersions", (void **)&disp));
  SFX(sc_job) job;
  memset(&job, 0, sizeof job);
  job.p = p;
  job.labels = labels;
  job.mean = mean;
  STRATA_TRY(strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, (size_t)(k * d + k),
                               SFX(sc_sums_block), &job, sums));
  const double *count = sums + k * d;
  int64_t present = 0;
  for (int64_t j = 0; j < k; j++) present += count[j] > 0.0;
  out->clusters = present;
  for (int64_t j = 0; j < k; j++)
    for (int64_t t = 0; t < d; t++)
      mean[j * d + t] = count[j] > 0.0 ? sums[j * d + t] / count[j] : 0.0;
  STRATA_TRY(strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, (size_t)(2 * k),
                               SFX(sc_disp_block), &job, disp));
  /* W, and B from the cluster means around the overall mean (the count-weighted mean of the
   * cluster means is the overall mean). */
  double within = 0.0, between = 0.0;
  for (int64_t j = 0; j < k; j++) within += disp[j];
  out->inertia = within;
  for (int64_t t = 0; t < d; t++) {
    double m = 0.0;
    for (int64_t j = 0; j < k; j++) m += sums[j * d + t];
    m /= (double)n;
    for (int64_t j = 0; j < k; j++)
      if (count[j] > 0.0) {
        const double e = mean[j * d + t] - m;
        between += count[j] * e * e;
      }
  }
  if (present >= 2 && present < n) {
    out->calinski_harabasz =
        within == 0.0 ? 1.0 : between * (double)(n - present) / (within * (double)(present - 1));
    /* Davies-Bouldin: mean over clusters of the worst (S_i + S_j) / M_ij, S the mean distance
     * to the cluster's mean, M the distance between means (0 counts as infinitely far, as
     * scikit-learn; all S or all M zero gives 0). */
    int all_s_zero = 1, all_m_zero = 1;
    for (int64_t j = 0; j < k; j++)
      if (count[j] > 0.0 && disp[k + j] / count[j] > 1e-8) all_s_zero = 0;
    double db = 0.0;
    for (int64_t i = 0; i < k; i++) {
      if (!(count[i] > 0.0)) continue;
      double worst = 0.0;
      for (int64_t j = 0; j < k; j++) {
        if (j == i || !(count[j] > 0.0)) continue;
        double acc = 0.0;
        for (int64_t t = 0; t < d; t++) {
          const double e = mean[i * d + t] - mean[j * d + t];
          acc += e * e;
        }
        const double m = sqrt(acc);
        if (m > 1e-8) all_m_zero = 0;
        if (m == 0.0) continue;
        const double r = (disp[k + i] / count[i] + disp[k + j] / count[j]) / m;
        if (r > worst) worst = r;
      }
      db += worst;
    }
    out->davies_bouldin = all_s_zero || all_m_zero ? 0.0 : db / (double)present;
  }

  /* Silhouette on the sample: the s rows with the smallest keys hash(seed, row), in row
   * order. */
  int64_t s = sample <= 0 || sample > n ? n : sample;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)s, sizeof(int64_t), "silhouette sample", (void **)&heap));
  if (s == n) {
    for (int64_t i = 0; i < n; i++) heap[i] = i;
  } else {
    STRATA_TRY(strata_alloc(p->ctx, (size_t)n, sizeof(double), "silhouette keys", (void **)&key));
    /* The smallest hashes are the largest negated keys (exact: below 2^53). */
    for (int64_t i = 0; i < n; i++)
      key[i] = -(double)(strata_rng_hash(seed, KM_STREAM_SILHOUETTE, (uint64_t)i) >> 11);
    km_top_keys(key, n, s, heap);
  }
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)s, (size_t)d * sizeof(T), "silhouette sample", (void **)&srows));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)s, sizeof(int32_t), "silhouette sample", (void **)&slab));
  STRATA_TRY(strata_calloc(p->ctx, (size_t)k, sizeof(double), "silhouette sizes", (void **)&ssize));
  int64_t sample_present = 0;
  for (int64_t e = 0; e < s; e++) {
    memcpy(srows + e * d, x + heap[e] * p->ldx, (size_t)d * sizeof(T));
    slab[e] = labels[heap[e]];
    sample_present += ssize[slab[e]] == 0.0;
    ssize[slab[e]] += 1.0;
  }
  out->silhouette_rows = s;
  /* As scikit-learn: defined for 2 <= labels <= sample rows - 1. */
  if (sample_present >= 2 && sample_present < s) {
    STRATA_TRY(strata_alloc(p->ctx, KM_PACKED_LEN(s, d), sizeof(T), "silhouette sample",
                            (void **)&spacked));
    KM_PACK(s, d, srows, d, spacked);
    STRATA_TRY(strata_alloc(p->ctx, (size_t)threads * KM_SIL_ROWS, (size_t)s * sizeof(T),
                            "silhouette distances", (void **)&dist));
    STRATA_TRY(strata_alloc(p->ctx, (size_t)threads * (size_t)k, sizeof(double), "silhouette sums",
                            (void **)&csum));
    job.sample = srows;
    job.slab = slab;
    job.spacked = spacked;
    job.s = s;
    job.ssize = ssize;
    job.dist = dist;
    job.csum = csum;
    double total = 0.0;
    STRATA_TRY(strata_for_blocks(p->ctx, p->phase, s, 4 * KM_SIL_ROWS, 1, SFX(sc_sil_block), &job,
                                 &total));
    out->silhouette = total / (double)s;
  }
cleanup:
  strata_free(sums);
  strata_free(mean);
  strata_free(disp);
  strata_free(key);
  strata_free(ssize);
  strata_free(csum);
  strata_free(heap);
  strata_free(srows);
  strata_free(spacked);
  strata_free(dist);
  strata_free(slab);
  return st;
}
