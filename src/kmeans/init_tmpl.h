/*
 * Initial centres.
 *
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, with the greedy local trials of scikit-learn's
 * _kmeans_plusplus): the first centre is a row drawn with probability proportional to its
 * weight; each next one is the best, by resulting potential sum_i w_i min_j D(x_i, c_j)^2, of
 * `trials` candidates drawn with probability proportional to w_i D(x_i)^2. Cost O(n k trials d)
 * in k + 1 passes over the data.
 *
 * One pass per centre. The pass that scores the candidates of centre c also folds in centre
 * c - 1: it rides along as one more candidate, so each row's D^2 is brought up to date and used
 * in the same visit. The pass also keeps each block's potential for every candidate, and the
 * winner's block potentials are exactly the block masses that the next sampling needs (the
 * same sums, in the same row order, as a separate update pass would compute). So no second
 * pass runs; the sampling of the next candidates only brings up to date the few blocks it
 * lands in (min is idempotent, so the next pass may apply the same centre again). Each
 * candidate's sum runs as its own chain in row order, several chains side by side.
 *
 * Data layout: with only trials + 1 centres the packed kernel fills one panel (four
 * accumulators) and waits on FMA latency; the data is therefore packed once as if its rows
 * were centres and the candidates go in as the kernel's rows (full register tiles), with
 * software prefetch because the kernel's four-panel loads defeat the hardware prefetchers.
 * When that copy ((d + 2) / d times the data) does not fit the memory budget, the plain
 * layout runs instead. Measured on 1M x 16 float, k = 64, one thread: 1.16 s before (two
 * passes per centre), 0.92 s fused, 0.48 s with the row-panel layout.
 *
 * The chosen rows are those of the former two-pass version bit for bit, in either layout and
 * for any thread count: sampling walks per-block sums in block order, and (c - x)^2 equals
 * (x - c)^2 exactly. tests/test_kmeans_init.c checks them against a plain implementation.
 *
 * Random: k distinct rows, weighted sampling without replacement by exponential keys
 * (Efraimidis & Spirakis 2006): row i gets key log(u_i) / w_i and the k largest keys win.
 *
 * Template: instantiated by init.c for float and double (see typed.h).
 */

typedef struct SFX(pp_job) {
  const km_problem *p;
  T *closest;         /* n: D^2 to the chosen centres; a block may lag `pending` */
  double *block_mass; /* per block: sum of w_i closest_i once up to date */
  double *block_pot;  /* per block x trials: the block's potential for each candidate */
  int64_t *fresh;     /* per block: the last centre applied to its rows */
  int64_t trials;
  int64_t pending; /* index of the chosen centre not yet applied everywhere, or -1 */
  const T *pending_c;
  T *scratch; /* per thread: the kernel's output for one sub-block */
  /* Row layout: candidates then the pending centre packed as centres, output rows of ldo. */
  const T *cand_packed;
  int64_t ldo;
  /* Row-panel layout (xpacked != NULL): the data packed once as if its rows were centres,
   * and the trials + 1 candidates (the pending centre last) as the kernel's rows. */
  const T *xpacked;
  const T *cand;
} SFX(pp_job);

#define KM_PP_SUB 256        /* rows per kernel call, row layout */
#define KM_PP_PANEL_SUB 64   /* rows per kernel call, row-panel layout: one register tile wide */
#define KM_PP_PREFETCH 16384 /* bytes of packed rows fetched ahead, row-panel layout */

/* Brings closest up to date with the pending centre on the rows of one block. */
static void SFX(pp_refresh)(SFX(pp_job) * job, int64_t block) {
  const km_problem *p = job->p;
  if (job->pending < 0 || job->fresh[block] == job->pending) return;
  int64_t begin = block * KM_BLOCK_ROWS;
  int64_t end = begin + KM_BLOCK_ROWS < p->n ? begin + KM_BLOCK_ROWS : p->n;
  p->kern->KERN(sqdist_min)(end - begin, p->d, (const T *)p->x + begin * p->ldx, p->ldx,
                            job->pending_c, job->closest + begin);
  job->fresh[block] = job->pending;
}

/* partial[u] += w_j min(D_uj, cl_j) over rows j in order, for `width` candidates whose
 * distance to row j is o[u * su + j * sj]. Each candidate's sum is one sequential chain in row
 * order, so the result is that of a plain loop; `width` chains side by side, held in
 * registers (width is a constant after inlining), keep the adder busy instead of waiting on
 * one chain's latency or on memory. */
static inline __attribute__((always_inline)) void SFX(pp_sum)(
    const int width, const T *restrict o, const int64_t su, const int64_t sj, const T *restrict cl,
    const double *restrict w, const int64_t rows, double *restrict partial) {
  double a[8];
  for (int u = 0; u < width; u++) a[u] = partial[u];
  if (w != NULL) {
    for (int64_t j = 0; j < rows; j++) {
      const T c = cl[j];
      const double wj = w[j];
      for (int u = 0; u < width; u++) {
        const T v = o[u * su + j * sj];
        a[u] += wj * (double)(v < c ? v : c);
      }
    }
  } else {
    /* No product: x * 1.0 is exact, so this equals the weighted sum with w = 1. */
    for (int64_t j = 0; j < rows; j++) {
      const T c = cl[j];
      for (int u = 0; u < width; u++) {
        const T v = o[u * su + j * sj];
        a[u] += (double)(v < c ? v : c);
      }
    }
  }
  for (int u = 0; u < width; u++) partial[u] = a[u];
}

/* One sub-block of rows: closest_j = min(closest_j, D(pending)) from the pending centre's
 * distances, then every candidate's sum. */
static void SFX(pp_sub_block)(const SFX(pp_job) * job, const T *o, int64_t su, int64_t sj,
                              int64_t s, int64_t rows, double *partial) {
  const km_problem *p = job->p;
  const int64_t trials = job->trials;
  T *restrict cl = job->closest + s;
  if (job->pending >= 0) {
    const T *restrict op = o + trials * su;
    for (int64_t j = 0; j < rows; j++) {
      const T v = op[j * sj];
      cl[j] = v < cl[j] ? v : cl[j];
    }
  }
  const double *w = p->w != NULL ? p->w + s : NULL;
  int64_t g = 0;
  for (; g + 8 <= trials; g += 8) SFX(pp_sum)(8, o + g * su, su, sj, cl, w, rows, partial + g);
  if (g + 4 <= trials) {
    SFX(pp_sum)(4, o + g * su, su, sj, cl, w, rows, partial + g);
    g += 4;
  }
  if (g + 2 <= trials) {
    SFX(pp_sum)(2, o + g * su, su, sj, cl, w, rows, partial + g);
    g += 2;
  }
  if (g < trials) SFX(pp_sum)(1, o + g * su, su, sj, cl, w, rows, partial + g);
}

/* A pass in the row layout: out[i * ldo + t] = D(x_i, cand_t)^2. */
static void SFX(pp_pass_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                               double *partial) {
  SFX(pp_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  const int64_t ldo = job->ldo;
  T *out = job->scratch + (size_t)omp_get_thread_num() * KM_PP_SUB * (size_t)ldo;
  for (int64_t s = begin; s < end; s += KM_PP_SUB) {
    int64_t rows = end - s < KM_PP_SUB ? end - s : KM_PP_SUB;
    /* Whole panels: padding lanes come out +inf and unmasked stores are faster. */
    p->kern->KERN(sqdist)(rows, p->d, ldo, x + s * p->ldx, p->ldx, job->cand_packed, out, ldo);
    SFX(pp_sub_block)(job, out, 1, ldo, s, rows, partial);
  }
  memcpy(job->block_pot + block * job->trials, partial, (size_t)job->trials * sizeof(double));
  if (job->pending >= 0) job->fresh[block] = job->pending;
}

/* A pass in the row-panel layout: the kernel's "rows" are the candidates and its "centres"
 * the data rows, so out[t * KM_PP_PANEL_SUB + j] = D(cand_t, x_j)^2. (c - x)^2 and (x - c)^2
 * are the same number in IEEE arithmetic (a - b is exactly -(b - a)), so every distance, and
 * hence every sum, is bit for bit that of the row layout. */
static void SFX(pp_pass_panel_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                     double *partial) {
  SFX(pp_job) *job = arg;
  const km_problem *p = job->p;
  const int64_t d = p->d, lanes = job->trials + 1;
  const size_t sub_len = (size_t)(KM_PP_PANEL_SUB / KM_PANEL) * (size_t)(d + 2) * KM_PANEL;
  const T *packed_end = job->xpacked + KM_PACKED_LEN(p->n, d);
  /* The kernel's loads walk four panels at once, which the hardware prefetchers follow
   * poorly: it ran at 9.5 ns a row from memory against 3.3 from cache (1M x 16 float, 7
   * candidates); fetching 16 KiB ahead brings it to 4.5. */
  int64_t ahead = (int64_t)(KM_PP_PREFETCH / (sub_len * sizeof(T)));
  if (ahead < 1) ahead = 1;
  T *out = job->scratch + (size_t)omp_get_thread_num() * (size_t)(lanes * KM_PP_PANEL_SUB);
  for (int64_t s = begin; s < end; s += KM_PP_PANEL_SUB) {
    int64_t rows = end - s < KM_PP_PANEL_SUB ? end - s : KM_PP_PANEL_SUB;
    const T *panel = job->xpacked + (s / KM_PANEL) * (d + 2) * KM_PANEL;
#if defined(__GNUC__)
    const T *next = panel + (size_t)ahead * sub_len;
    for (size_t o = 0; o < sub_len && next + o < packed_end; o += 64 / sizeof(T))
      __builtin_prefetch(next + o, 0, 2);
#endif
    p->kern->KERN(sqdist)(lanes, d, rows, job->cand, d, panel, out, KM_PP_PANEL_SUB);
    SFX(pp_sub_block)(job, out, KM_PP_PANEL_SUB, 1, s, rows, partial);
  }
  (void)packed_end;
  memcpy(job->block_pot + block * job->trials, partial, (size_t)job->trials * sizeof(double));
  if (job->pending >= 0) job->fresh[block] = job->pending;
}

/* Packs the data rows of one block in the packed-centre layout (kernels.h): only the direct
 * form's bias (0, or +inf for padding past n) and the coordinates, since only sqdist reads
 * them. Blocks start on panel boundaries (KM_BLOCK_ROWS is a multiple of every panel). */
static void SFX(pp_pack_rows_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                    double *partial) {
  (void)block;
  (void)partial;
  SFX(pp_job) *job = arg;
  const km_problem *p = job->p;
  const int64_t d = p->d;
  const T *x = (const T *)p->x;
  T *packed = (T *)job->xpacked;
  for (int64_t p0 = begin; p0 < end; p0 += KM_PANEL) {
    T *pp = packed + (p0 / KM_PANEL) * (d + 2) * KM_PANEL;
    for (int64_t w = 0; w < KM_PANEL; w++) {
      const int64_t i = p0 + w;
      pp[w] = i < p->n ? (T)0 : (T)INFINITY;
      pp[KM_PANEL + w] = 0;
      for (int64_t t = 0; t < d; t++) pp[(2 + t) * KM_PANEL + w] = i < p->n ? x[i * p->ldx + t] : 0;
    }
  }
}

/* closest_i = D(x_i, first centre)^2 and each block's mass. */
static void SFX(pp_first_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                double *partial) {
  (void)partial;
  SFX(pp_job) *job = arg;
  const km_problem *p = job->p;
  for (int64_t i = begin; i < end; i++) job->closest[i] = (T)INFINITY;
  p->kern->KERN(sqdist_min)(end - begin, p->d, (const T *)p->x + begin * p->ldx, p->ldx,
                            job->pending_c, job->closest + begin);
  double mass = 0.0;
  for (int64_t i = begin; i < end; i++) mass += (p->w ? p->w[i] : 1.0) * (double)job->closest[i];
  job->block_mass[block] = mass;
  job->fresh[block] = 0;
}

/* The row where the running sum of w_i closest_i (or of w_i when `by_weight`) first exceeds
 * `target`, walking block totals then rows, both in order. Blocks whose rows are read are
 * brought up to date first. */
static int64_t SFX(pp_search)(SFX(pp_job) * job, int by_weight, double target) {
  const km_problem *p = job->p;
  const T *closest = job->closest;
  const double *block_mass = job->block_mass;
  int64_t n_blocks = strata_block_count(p->n, KM_BLOCK_ROWS);
  double acc = 0.0;
  int64_t b = 0;
  while (b < n_blocks - 1 && acc + block_mass[b] <= target) acc += block_mass[b++];
  if (!by_weight) SFX(pp_refresh)(job, b);
  int64_t begin = b * KM_BLOCK_ROWS;
  int64_t end = begin + KM_BLOCK_ROWS < p->n ? begin + KM_BLOCK_ROWS : p->n;
  int64_t last_positive = -1;
  for (int64_t i = begin; i < end; i++) {
    double m = (p->w ? p->w[i] : 1.0) * (by_weight ? 1.0 : (double)closest[i]);
    if (m > 0.0) last_positive = i;
    acc += m;
    if (acc > target && m > 0.0) return i;
  }
  /* Rounding at the very end of the sum: the last row with mass. */
  if (last_positive >= 0) return last_positive;
  if (!by_weight)
    for (b = 0; b < n_blocks; b++) SFX(pp_refresh)(job, b);
  for (int64_t i = p->n - 1; i >= 0; i--)
    if ((p->w ? p->w[i] : 1.0) * (by_weight ? 1.0 : (double)closest[i]) > 0.0) return i;
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
  T *closest = NULL, *cand = NULL, *cand_packed = NULL, *scratch = NULL, *xpacked = NULL;
  double *block_mass = NULL, *block_pot = NULL, *pot = NULL;
  int64_t *cand_rows = NULL, *fresh = NULL;
  if (trials < 1) trials = 1;
  const int64_t lanes = trials + 1; /* the candidates, then the centre chosen last */
  /* Row layout: output rows padded to whole panels, so that padding lanes come out +inf. */
  const int64_t ldo = (lanes + KM_PANEL - 1) / KM_PANEL * KM_PANEL;
  /* Row-panel layout: with trials + 1 <= 16 centres the row-layout kernel fills one panel, four
   * accumulators, and waits on FMA latency (8.8 ns a row in cache for 7 candidates at
   * d = 16); with the roles swapped it gets whole register tiles (3.3 ns). That needs one
   * packed copy of the data, made once, (d + 2) / d times its size; when the copy does not fit
   * the memory budget, the row layout runs instead, with the same result. */
  const size_t xpacked_len = KM_PACKED_LEN(n, d);
  const int panels =
      k > 1 && (p->ctx == NULL || (double)xpacked_len * sizeof(T) <= (double)p->ctx->memory_budget);
  const size_t scratch_len = panels ? (size_t)(lanes * KM_PP_PANEL_SUB) : (size_t)(KM_PP_SUB * ldo);
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n, sizeof(T), "k-means++ distances", (void **)&closest));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n_blocks, sizeof(double), "k-means++ block sums",
                          (void **)&block_mass));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n_blocks, (size_t)trials * sizeof(double),
                          "k-means++ block potentials", (void **)&block_pot));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n_blocks, sizeof(int64_t), "k-means++ block state",
                          (void **)&fresh));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)(lanes * d), sizeof(T), "k-means++ candidates", (void **)&cand));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)threads, scratch_len * sizeof(T), "k-means++ scratch",
                          (void **)&scratch));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)trials, sizeof(double), "k-means++ potentials", (void **)&pot));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)trials, sizeof(int64_t), "k-means++ candidates",
                          (void **)&cand_rows));
  if (!panels)
    STRATA_TRY(strata_alloc(p->ctx, KM_PACKED_LEN(lanes, d), sizeof(T), "k-means++ candidates",
                            (void **)&cand_packed));
  SFX(pp_job) job;
  memset(&job, 0, sizeof job);
  job.p = p;
  job.closest = closest;
  job.block_mass = block_mass;
  job.block_pot = block_pot;
  job.fresh = fresh;
  job.trials = trials;
  job.pending = -1;
  job.scratch = scratch;
  job.cand_packed = cand_packed;
  job.ldo = ldo;
  job.cand = cand;

  /* First centre: a row drawn with probability w_i / sum w. */
  STRATA_TRY(
      strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, 0, SFX(weight_mass_block), &job, NULL));
  strata_rng g;
  strata_rng_init(&g, seed, KM_STREAM_KMPP, 0);
  int64_t first = SFX(pp_search)(&job, 1, strata_rng_uniform(&g) * p->total_weight);
  memcpy(centers, x + first * p->ldx, (size_t)d * sizeof(T));
  if (k == 1) goto cleanup;
  job.pending_c = centers;
  STRATA_TRY(
      strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, 0, SFX(pp_first_block), &job, NULL));
  job.pending = 0;
  if (panels) {
    STRATA_TRY(
        strata_alloc(p->ctx, xpacked_len, sizeof(T), "k-means++ packed rows", (void **)&xpacked));
    job.xpacked = xpacked;
    STRATA_TRY(strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, 0, SFX(pp_pack_rows_block),
                                 &job, NULL));
  }

  for (int64_t c = 1; c < k; c++) {
    double potential = 0.0;
    for (int64_t b = 0; b < n_blocks; b++) potential += block_mass[b];
    strata_rng_init(&g, seed, KM_STREAM_KMPP, (uint64_t)c);
    for (int64_t t = 0; t < trials; t++) {
      cand_rows[t] = SFX(pp_search)(&job, 0, strata_rng_uniform(&g) * potential);
      memcpy(cand + t * d, x + cand_rows[t] * p->ldx, (size_t)d * sizeof(T));
    }
    memcpy(cand + trials * d, centers + (c - 1) * d, (size_t)d * sizeof(T));
    if (panels) {
      STRATA_TRY(strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, (size_t)trials,
                                   SFX(pp_pass_panel_block), &job, pot));
    } else {
      KM_PACK(lanes, d, cand, d, cand_packed);
      STRATA_TRY(strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, (size_t)trials,
                                   SFX(pp_pass_block), &job, pot));
    }
    int64_t best = 0;
    for (int64_t t = 1; t < trials; t++)
      if (pot[t] < pot[best]) best = t;
    memcpy(centers + c * d, cand + best * d, (size_t)d * sizeof(T));
    for (int64_t b = 0; b < n_blocks; b++) block_mass[b] = block_pot[b * trials + best];
    job.pending = c;
    job.pending_c = centers + c * d;
  }
cleanup:
  strata_free(closest);
  strata_free(block_mass);
  strata_free(block_pot);
  strata_free(fresh);
  strata_free(cand);
  strata_free(cand_packed);
  strata_free(scratch);
  strata_free(xpacked);
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
  STRATA_TRY(strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, 0, SFX(random_keys_block),
                               &job, NULL));
  int64_t size = km_top_keys(key, p->n, p->k, heap);
  STRATA_FAIL_IF(size < p->k, p->ctx, STRATA_ERR_DATA,
                 "random init needs k = %lld rows with positive weight, only %lld have one",
                 (long long)p->k, (long long)size);
  for (int64_t j = 0; j < p->k; j++)
    memcpy(centers + j * p->d, x + heap[j] * p->ldx, (size_t)p->d * sizeof(T));
cleanup:
  strata_free(key);
  strata_free(heap);
  return st;
}
