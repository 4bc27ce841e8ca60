/*
 * k-means|| initialisation (Bahmani, Moseley, Vattani, Kumar & Vassilvitskii, "Scalable
 * k-means++", PVLDB 5(7), 2012).
 *
 * Greedy k-means++ needs one pass over the data per centre; k-means|| needs a handful:
 *   1. C = { one row drawn with probability ~ w }, D^2 = distances to it, phi = sum w D^2.
 *   2. `rounds` times (default 3): every row joins C independently with probability
 *      min(1, l w_i D_i^2 / phi) (l, the oversampling factor, defaults to 2k: about l rows a
 *      round), then D^2 and phi are brought up to date with the new rows (one pass: the
 *      exact direct-form argmin over the new rows, which also keeps each row's nearest
 *      candidate).
 *   3. Each candidate is weighted by the total weight of the rows nearest to it, and the
 *      about 1 + rounds x l weighted candidates are reduced to k centres by weighted greedy
 *      k-means++ followed by weighted Lloyd iterations on the candidates alone (as Spark
 *      MLlib's LocalKMeans does), from KM_PAR_REDUCTIONS seeds, the lowest weighted inertia
 *      kept: cheap, since the candidates are few, and a centre left doubled in one blob would
 *      cost the full-data iterations far more.
 * Rounds: the paper suggests about 5; measured here (inertia after one Lloyd iteration, ratio
 * to greedy k-means++, 4 seeds, Franti S1-S4/A1-A3, D31, blobs, strata gen data at k = 8-128),
 * one round is 1.0-3.2x worse, two 0.86-1.02, three 0.83-1.01, five 0.76-1.01 (with a single
 * reduction), while each round costs one O(n l d) pass: three is the default (Spark MLlib uses
 * two). With the best of KM_PAR_REDUCTIONS reductions, three rounds give 0.76-0.98 after one
 * iteration and 0.80-1.00 at convergence.
 * Should C end with fewer than k candidates (rows repeated many times: a row at distance 0
 * is never drawn again), rounds continue, and failing that greedy k-means++ on all rows runs.
 *
 * Cost: rounds passes of O(n l d) in the packed argmin kernel at full register tiles, plus a
 * pass of O(n) per round for the draws; the reductions are O(reductions rounds l k d (trials
 * + Lloyd iterations)), independent of n. Memory: n distances, n labels, n flag bytes.
 *
 * Deterministic for any thread count: row i's draw in round r is a Philox function of
 * (seed, r, i); phi is a sum of per-block partials in block order; new candidates are taken
 * in row order.
 *
 * Template: included by init.c after init_tmpl.h (it reuses the greedy k-means++ of that
 * file), for float and double (see typed.h).
 */

#define KM_PAR_SUB 512
#define KM_PAR_REDUCTIONS 5 /* weighted reductions tried, the best kept */

typedef struct SFX(par_job) {
  const km_problem *p;
  T *closest;
  int32_t *label;
  uint8_t *flag;
  const T *packed; /* this round's new candidates, packed */
  int64_t m;       /* how many */
  int64_t offset;  /* index in C of the first of them */
  uint64_t seed;
  uint64_t round;
  double l_over_phi;
  T *dist;      /* threads x KM_PAR_SUB */
  int32_t *lab; /* threads x KM_PAR_SUB */
} SFX(par_job);

/* D^2 and the nearest candidate from this round's new candidates; the block's share of phi. */
static void SFX(par_update_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                  double *partial) {
  (void)block;
  const SFX(par_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  T *dist = job->dist + (size_t)omp_get_thread_num() * KM_PAR_SUB;
  int32_t *lab = job->lab + (size_t)omp_get_thread_num() * KM_PAR_SUB;
  double mass = 0.0;
  for (int64_t s = begin; s < end; s += KM_PAR_SUB) {
    int64_t rows = end - s < KM_PAR_SUB ? end - s : KM_PAR_SUB;
    p->kern->KERN(sqdist_argmin)(rows, p->d, job->m, x + s * p->ldx, p->ldx, job->packed, lab,
                                 dist);
    for (int64_t i = 0; i < rows; i++) {
      /* Strict: on a tie the earlier candidate (lower index in C) stays the nearest. */
      if (dist[i] < job->closest[s + i]) {
        job->closest[s + i] = dist[i];
        job->label[s + i] = (int32_t)(job->offset + lab[i]);
      }
      mass += (p->w ? p->w[s + i] : 1.0) * (double)job->closest[s + i];
    }
  }
  partial[0] = mass;
}

/* Row i joins C when u_i phi < l w_i D_i^2, u_i uniform in (0, 1) from Philox: one block of
 * four 32-bit words serves four consecutive rows, drawn only for groups with mass. */
static void SFX(par_sample_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                  double *partial) {
  (void)block;
  const SFX(par_job) *job = arg;
  const km_problem *p = job->p;
  const uint32_t key[2] = {(uint32_t)job->seed, (uint32_t)(job->seed >> 32)};
  uint32_t words[4] = {0, 0, 0, 0};
  int64_t drawn_group = -1;
  double count = 0.0;
  for (int64_t i = begin; i < end; i++) {
    const double m = (p->w ? p->w[i] : 1.0) * (double)job->closest[i];
    int take = 0;
    if (m > 0.0) {
      const int64_t group = i >> 2;
      if (group != drawn_group) {
        const uint64_t c = (uint64_t)group | (job->round << 48);
        const uint32_t ctr[4] = {(uint32_t)c, (uint32_t)(c >> 32), KM_STREAM_PARALLEL, 0};
        strata_philox4x32_10(key, ctr, words);
        drawn_group = group;
      }
      const double u = ((double)words[i & 3] + 0.5) * 0x1.0p-32;
      take = u < job->l_over_phi * m;
    }
    job->flag[i] = (uint8_t)take;
    count += take;
  }
  partial[0] = count;
}

strata_status SFX(km_init_parallel)(const km_problem *p, uint64_t seed, int64_t trials,
                                    double oversampling, int rounds, T *centers) {
  strata_status st = STRATA_OK;
  const int64_t n = p->n, d = p->d, k = p->k;
  const T *x = (const T *)p->x;
  const int threads = strata_ctx_threads(p->ctx);
  const int64_t n_blocks = strata_block_count(n, KM_BLOCK_ROWS);
  T *closest = NULL, *cand = NULL, *packed = NULL, *dist = NULL, *trial = NULL;
  int32_t *label = NULL, *lab = NULL, *cand_labels = NULL;
  uint8_t *flag = NULL;
  double *cand_w = NULL, *block_mass = NULL;
  int64_t cap = 0, m_total = 0;
  if (oversampling <= 0.0) oversampling = 2.0 * (double)k;
  if (rounds <= 0) rounds = 3;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n, sizeof(T), "k-means|| distances", (void **)&closest));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n, sizeof(int32_t), "k-means|| labels", (void **)&label));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n, 1, "k-means|| draws", (void **)&flag));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)threads * KM_PAR_SUB, sizeof(T), "k-means|| scratch",
                          (void **)&dist));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)threads * KM_PAR_SUB, sizeof(int32_t),
                          "k-means|| scratch", (void **)&lab));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n_blocks, sizeof(double), "k-means|| block sums",
                          (void **)&block_mass));
  /* Room for the expected 1 + rounds x l candidates and then some; grown when exceeded. */
  cap = 1 + (int64_t)(1.25 * rounds * oversampling) + k;
  if (cap > n) cap = n;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)cap, (size_t)d * sizeof(T), "k-means|| candidates",
                          (void **)&cand));

  /* 1. The first candidate, drawn as greedy k-means++ draws its first centre. */
  {
    SFX(pp_job) pj;
    memset(&pj, 0, sizeof pj);
    pj.p = p;
    pj.block_mass = block_mass;
    pj.pending = -1;
    STRATA_TRY(strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, 0, SFX(weight_mass_block), &pj,
                                 NULL));
    strata_rng g;
    strata_rng_init(&g, seed, KM_STREAM_KMPP, 0);
    int64_t first = SFX(pp_search)(&pj, 1, strata_rng_uniform(&g) * p->total_weight);
    memcpy(cand, x + first * p->ldx, (size_t)d * sizeof(T));
    m_total = 1;
  }
  for (int64_t i = 0; i < n; i++) closest[i] = (T)INFINITY;
  SFX(par_job) job = {p, closest, label, flag, NULL, 1, 0, seed, 0, 0.0, dist, lab};
  STRATA_TRY(strata_alloc(p->ctx, KM_PACKED_LEN(1, d), sizeof(T), "k-means|| packed candidates",
                          (void **)&packed));
  KM_PACK(1, d, cand, d, packed);
  job.packed = packed;
  double phi = 0.0;
  STRATA_TRY(
      strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, 1, SFX(par_update_block), &job, &phi));

  /* 2. Oversampling rounds; more while C is smaller than k (bounded). */
  for (int r = 0; phi > 0.0 && (r < rounds || m_total < k) && r < rounds + 32; r++) {
    job.round = (uint64_t)r;
    job.l_over_phi = oversampling / phi;
    double drawn = 0.0;
    STRATA_TRY(strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, 1, SFX(par_sample_block), &job,
                                 &drawn));
    int64_t m = (int64_t)drawn;
    if (m == 0) continue;
    if (m_total + m > cap) {
      int64_t new_cap = (m_total + m) * 2;
      if (new_cap > n) new_cap = n;
      T *bigger = NULL;
      STRATA_TRY(strata_alloc(p->ctx, (size_t)new_cap, (size_t)d * sizeof(T),
                              "k-means|| candidates", (void **)&bigger));
      memcpy(bigger, cand, (size_t)(m_total * d) * sizeof(T));
      strata_free(cand);
      cand = bigger;
      cap = new_cap;
    }
    /* New candidates in row order. */
    int64_t at = m_total;
    for (int64_t i = 0; i < n && at < m_total + m; i++)
      if (flag[i]) memcpy(cand + (at++) * d, x + i * p->ldx, (size_t)d * sizeof(T));
    strata_free(packed);
    packed = NULL;
    STRATA_TRY(strata_alloc(p->ctx, KM_PACKED_LEN(m, d), sizeof(T), "k-means|| packed candidates",
                            (void **)&packed));
    KM_PACK(m, d, cand + m_total * d, d, packed);
    job.packed = packed;
    job.m = m;
    job.offset = m_total;
    m_total += m;
    STRATA_TRY(strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, 1, SFX(par_update_block), &job,
                                 &phi));
  }

  if (m_total < k) {
    /* Too few distinct rows were drawn: greedy k-means++ copes with repeated rows. */
    STRATA_TRY(SFX(km_init_kmeanspp)(p, seed, trials, centers));
    goto cleanup;
  }

  /* 3. Weights of the candidates (serial: row order), then the weighted reduction to k. */
  STRATA_TRY(strata_calloc(p->ctx, (size_t)m_total, sizeof(double), "k-means|| weights",
                           (void **)&cand_w));
  for (int64_t i = 0; i < n; i++) cand_w[label[i]] += p->w ? p->w[i] : 1.0;
  double total = 0.0;
  for (int64_t j = 0; j < m_total; j++) total += cand_w[j];
  STRATA_TRY(strata_alloc(p->ctx, (size_t)m_total, sizeof(int32_t), "k-means|| candidate labels",
                          (void **)&cand_labels));
  km_problem q = *p;
  q.x = cand;
  q.n = m_total;
  q.ldx = d;
  q.w = cand_w;
  q.total_weight = total;
  /* The reduction works on about 1 + rounds l points whatever n is, so it is repeated from
   * KM_PAR_REDUCTIONS seeds and the lowest weighted inertia kept: a centre left doubled in one
   * blob by a single reduction would otherwise cost the full-data iterations far more. */
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)(k * d), sizeof(T), "k-means|| reduction", (void **)&trial));
  double best = INFINITY;
  for (int r = 0; r < KM_PAR_REDUCTIONS; r++) {
    const uint64_t reduce_seed =
        strata_rng_hash(seed, KM_STREAM_PARALLEL, UINT64_MAX - (uint64_t)r);
    STRATA_TRY(SFX(km_init_kmeanspp)(&q, reduce_seed, trials, trial));
    km_run run = {trial, cand_labels, 0.0, 0, 0, 0};
    STRATA_TRY(SFX(km_lloyd)(&q, &run));
    if (run.inertia < best) {
      best = run.inertia;
      memcpy(centers, trial, (size_t)(k * d) * sizeof(T));
    }
  }
cleanup:
  strata_free(trial);
  strata_free(closest);
  strata_free(label);
  strata_free(flag);
  strata_free(dist);
  strata_free(lab);
  strata_free(block_mass);
  strata_free(cand);
  strata_free(packed);
  strata_free(cand_w);
  strata_free(cand_labels);
  return st;
}
