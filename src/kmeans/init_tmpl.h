/*
 * Initial centres.
 *
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, with the greedy local trials of scikit-learn's
 * _kmeans_plusplus): the first centre is a row drawn with probability proportional to its
 * weight; each next one is the best, by resulting potential sum_i w_i min_j D(x_i, c_j)^2, of
 * `trials` candidates drawn with probability proportional to w_i D(x_i)^2. Cost O(n k trials d):
 * one pass over the data per centre, all candidates at once through the packed sqdist kernel.
 * Sampling walks per-block prefix sums in block order, so the draws are identical for any
 * thread count.
 *
 * Random: k distinct rows, weighted sampling without replacement by exponential keys
 * (Efraimidis & Spirakis 2006): row i gets key log(u_i) / w_i and the k largest keys win.
 *
 * Template: instantiated by init.c for float and double (see typed.h).
 */

typedef struct SFX(pp_job) {
  const km_problem *p;
  T *closest;           /* n: squared distance to the nearest chosen centre */
  double *block_mass;   /* per block: sum of w_i closest_i */
  const T *cand_packed; /* trials candidates, packed */
  int64_t trials;
  T *scratch;      /* threads x (KM_PP_SUB x trials) */
  const T *chosen; /* the new centre, d values */
} SFX(pp_job);

#define KM_PP_SUB 256

/* Potential of each candidate: sum_i w_i min(closest_i, D(x_i, cand)^2). */
static void SFX(pp_candidates_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                     double *partial) {
  (void)block;
  const SFX(pp_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  T *out = job->scratch + (size_t)omp_get_thread_num() * KM_PP_SUB * (size_t)job->trials;
  for (int64_t s = begin; s < end; s += KM_PP_SUB) {
    int64_t rows = end - s < KM_PP_SUB ? end - s : KM_PP_SUB;
    p->kern->KERN(sqdist)(rows, p->d, job->trials, x + s * p->ldx, p->ldx, job->cand_packed, out,
                          job->trials);
    for (int64_t i = 0; i < rows; i++) {
      double w = p->w ? p->w[s + i] : 1.0;
      T c = job->closest[s + i];
      for (int64_t t = 0; t < job->trials; t++) {
        T v = out[i * job->trials + t];
        partial[t] += w * (double)(v < c ? v : c);
      }
    }
  }
}

/* closest_i = min(closest_i, D(x_i, chosen)^2) and the block's new mass. */
static void SFX(pp_update_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                 double *partial) {
  (void)partial;
  const SFX(pp_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  p->kern->KERN(sqdist_min)(end - begin, p->d, x + begin * p->ldx, p->ldx, job->chosen,
                            job->closest + begin);
  double mass = 0.0;
  for (int64_t i = begin; i < end; i++) mass += (p->w ? p->w[i] : 1.0) * (double)job->closest[i];
  job->block_mass[block] = mass;
}

/* The row where the running sum of w_i closest_i (or of w_i when closest is NULL) first
 * exceeds `target`, walking block totals then rows, both in order. */
static int64_t SFX(pp_search)(const km_problem *p, const T *closest, const double *block_mass,
                              double target) {
  int64_t n_blocks = strata_block_count(p->n, KM_BLOCK_ROWS);
  double acc = 0.0;
  int64_t b = 0;
  while (b < n_blocks - 1 && acc + block_mass[b] <= target) acc += block_mass[b++];
  int64_t begin = b * KM_BLOCK_ROWS;
  int64_t end = begin + KM_BLOCK_ROWS < p->n ? begin + KM_BLOCK_ROWS : p->n;
  int64_t last_positive = -1;
  for (int64_t i = begin; i < end; i++) {
    double m = (p->w ? p->w[i] : 1.0) * (closest ? (double)closest[i] : 1.0);
    if (m > 0.0) last_positive = i;
    acc += m;
    if (acc > target && m > 0.0) return i;
  }
  /* Rounding at the very end of the sum: the last row with mass. */
  if (last_positive >= 0) return last_positive;
  for (int64_t i = p->n - 1; i >= 0; i--)
    if ((p->w ? p->w[i] : 1.0) * (closest ? (double)closest[i] : 1.0) > 0.0) return i;
  return 0;
}

static void SFX(weight_mass_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                   double *partial) {
  (void)partial;
  const SFX(pp_job) *job = arg;
  double mass = 0.0;
  for (int64_t i = begin; i < end; i++) mass += job->p->w ? job->p->w[i] : 1.0;
  job->block_mass[block] = mass;
}

strata_status SFX(km_init_kmeanspp)(const km_problem *p, uint64_t seed, int64_t trials,
                                    T *centers) {
  strata_status st = STRATA_OK;
  const int64_t n = p->n, d = p->d, k = p->k;
  const T *x = (const T *)p->x;
  int64_t n_blocks = strata_block_count(n, KM_BLOCK_ROWS);
  int threads = strata_ctx_threads(p->ctx);
  T *closest = NULL, *cand = NULL, *cand_packed = NULL, *scratch = NULL;
  double *block_mass = NULL, *pot = NULL;
  int64_t *cand_rows = NULL;
  if (trials < 1) trials = 1;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n, sizeof(T), "k-means++ distances", (void **)&closest));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n_blocks, sizeof(double), "k-means++ block sums",
                          (void **)&block_mass));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(trials * d), sizeof(T), "k-means++ candidates",
                          (void **)&cand));
  STRATA_TRY(strata_alloc(p->ctx, KM_PACKED_LEN(trials, d), sizeof(T), "k-means++ candidates",
                          (void **)&cand_packed));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)threads * KM_PP_SUB * (size_t)trials, sizeof(T),
                          "k-means++ scratch", (void **)&scratch));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)trials, sizeof(double), "k-means++ potentials", (void **)&pot));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)trials, sizeof(int64_t), "k-means++ candidates",
                          (void **)&cand_rows));
  SFX(pp_job) job = {p, closest, block_mass, cand_packed, trials, scratch, NULL};

  /* First centre: a row drawn with probability w_i / sum w. */
  STRATA_TRY(
      strata_for_blocks(p->ctx, "init", n, KM_BLOCK_ROWS, 0, SFX(weight_mass_block), &job, NULL));
  strata_rng g;
  strata_rng_init(&g, seed, KM_STREAM_KMPP, 0);
  int64_t first = SFX(pp_search)(p, NULL, block_mass, strata_rng_uniform(&g) * p->total_weight);
  memcpy(centers, x + first * p->ldx, (size_t)d * sizeof(T));
  for (int64_t i = 0; i < n; i++) closest[i] = (T)INFINITY;
  job.chosen = centers;
  STRATA_TRY(
      strata_for_blocks(p->ctx, "init", n, KM_BLOCK_ROWS, 0, SFX(pp_update_block), &job, NULL));

  for (int64_t c = 1; c < k; c++) {
    double potential = 0.0;
    for (int64_t b = 0; b < n_blocks; b++) potential += block_mass[b];
    strata_rng_init(&g, seed, KM_STREAM_KMPP, (uint64_t)c);
    for (int64_t t = 0; t < trials; t++) {
      cand_rows[t] = SFX(pp_search)(p, closest, block_mass, strata_rng_uniform(&g) * potential);
      memcpy(cand + t * d, x + cand_rows[t] * p->ldx, (size_t)d * sizeof(T));
    }
    KM_PACK(trials, d, cand, d, cand_packed);
    STRATA_TRY(strata_for_blocks(p->ctx, "init", n, KM_BLOCK_ROWS, (size_t)trials,
                                 SFX(pp_candidates_block), &job, pot));
    int64_t best = 0;
    for (int64_t t = 1; t < trials; t++)
      if (pot[t] < pot[best]) best = t;
    memcpy(centers + c * d, cand + best * d, (size_t)d * sizeof(T));
    job.chosen = centers + c * d;
    STRATA_TRY(
        strata_for_blocks(p->ctx, "init", n, KM_BLOCK_ROWS, 0, SFX(pp_update_block), &job, NULL));
  }
cleanup:
  strata_free(closest);
  strata_free(block_mass);
  strata_free(cand);
  strata_free(cand_packed);
  strata_free(scratch);
  strata_free(pot);
  strata_free(cand_rows);
  return st;
}

typedef struct SFX(key_job) {
  const km_problem *p;
  uint64_t seed;
  double *key;
} SFX(key_job);

static void SFX(random_keys_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                   double *partial) {
  (void)block;
  (void)partial;
  const SFX(key_job) *job = arg;
  for (int64_t i = begin; i < end; i++) {
    double w = job->p->w ? job->p->w[i] : 1.0;
    strata_rng g;
    strata_rng_init(&g, job->seed, KM_STREAM_RANDOM, (uint64_t)i);
    job->key[i] = w > 0.0 ? log(strata_rng_uniform(&g)) / w : -INFINITY;
  }
}

strata_status SFX(km_init_random)(const km_problem *p, uint64_t seed, T *centers) {
  strata_status st = STRATA_OK;
  double *key = NULL;
  int64_t *heap = NULL;
  const T *x = (const T *)p->x;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(double), "random keys", (void **)&key));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->k, sizeof(int64_t), "random rows", (void **)&heap));
  SFX(key_job) job = {p, seed, key};
  STRATA_TRY(strata_for_blocks(p->ctx, "init", p->n, KM_BLOCK_ROWS, 0, SFX(random_keys_block), &job,
                               NULL));
  /* The k largest keys by a min-heap (ties: the lower row wins, so the order is total). */
  int64_t size = 0;
#define KM_LESS(a, b) (key[a] < key[b] || (key[a] == key[b] && (a) > (b)))
  for (int64_t i = 0; i < p->n; i++) {
    if (key[i] == -INFINITY) continue;
    if (size < p->k) {
      int64_t pos = size++;
      heap[pos] = i;
      while (pos > 0 && KM_LESS(heap[pos], heap[(pos - 1) / 2])) {
        int64_t tmp = heap[pos];
        heap[pos] = heap[(pos - 1) / 2];
        heap[(pos - 1) / 2] = tmp;
        pos = (pos - 1) / 2;
      }
    } else if (KM_LESS(heap[0], i)) {
      heap[0] = i;
      int64_t pos = 0;
      for (;;) {
        int64_t l = 2 * pos + 1, r = l + 1, m = pos;
        if (l < size && KM_LESS(heap[l], heap[m])) m = l;
        if (r < size && KM_LESS(heap[r], heap[m])) m = r;
        if (m == pos) break;
        int64_t tmp = heap[pos];
        heap[pos] = heap[m];
        heap[m] = tmp;
        pos = m;
      }
    }
  }
#undef KM_LESS
  STRATA_FAIL_IF(size < p->k, p->ctx, STRATA_ERR_DATA,
                 "random init needs k = %lld rows with positive weight, only %lld have one",
                 (long long)p->k, (long long)size);
  /* Centres in row order, so that the result does not depend on the heap's layout. */
  for (int64_t a = 1; a < size; a++)
    for (int64_t b = a; b > 0 && heap[b - 1] > heap[b]; b--) {
      int64_t tmp = heap[b];
      heap[b] = heap[b - 1];
      heap[b - 1] = tmp;
    }
  for (int64_t j = 0; j < p->k; j++)
    memcpy(centers + j * p->d, x + heap[j] * p->ldx, (size_t)p->d * sizeof(T));
cleanup:
  strata_free(key);
  strata_free(heap);
  return st;
}
