/*
 * Yinyang k-means (Ding, Zhao, Shen, Musuvathi & Mytkowicz, "Yinyang K-Means: A Drop-In
 * Replacement of the Classic K-Means with Consistent Speedup", ICML 2015): exact Lloyd
 * iterations for large k. The centres are split once into G groups (k-means on the initial
 * centres, 5 iterations, as the paper, but about k / 64 groups: see km_yinyang_groups); each row
 * keeps an upper bound u on the distance to its centre and one lower bound l_g per group on the
 * distance to every other centre of group g. When centres move, u grows by its centre's move and
 * l_g shrinks by the largest move in g. A row whose u is below every l_g keeps its label (global
 * filter); otherwise u is tightened to the exact distance, and only the groups whose l_g is still
 * below u are searched (group filter), each with the packed kernel over that group's centres. Cost
 * per iteration: O(n G) for the bounds, plus O(|g| d) for each searched (row, group); O(k^2 d / G)
 * to group the centres once. Memory: G floats and one double per row.
 *
 * Same result as Lloyd, bit for bit, by the argument of hamerly_tmpl.h: a group is skipped
 * only when its bound clears u by more than the rounding of the kernel's distances (slack), so
 * none of its centres can be the kernel's argmin or tie with it; a searched row always
 * searches its current centre's group, so the winner is chosen among the kernel's own values
 * (a centre's distance does not depend on which other centres share its panel), with the
 * lowest index on a tie; the centre sums are updated exactly as in Lloyd (km_totals).
 * Lower bounds are stored as floats rounded down, so they stay valid bounds.
 *
 * Template: instantiated by yinyang.c for float and double (see typed.h).
 */

#define KM_YY_SUB 256

typedef struct SFX(yy_groups) {
  int64_t G;
  int32_t *group_of; /* k: the group of each centre */
  int64_t *start;    /* G + 1: members[start[g] .. start[g + 1]) are group g, ascending */
  int32_t *members;  /* k */
  int64_t *poff;     /* G + 1: group g's packed panels at packed + poff[g] */
  T *packed;         /* every group packed on its own, one after the other */
} SFX(yy_groups);

typedef struct SFX(yy_job) {
  const km_problem *p;
  const T *centers;
  const SFX(yy_groups) * gr;
  int32_t *labels;
  double *upper;
  float *lower;        /* n x G */
  const double *move;  /* k: how far each centre moved last update */
  const double *gmove; /* G: the largest move in each group */
  double slack;
  int first;
  T *scratch;          /* threads x KM_YY_SUB x d: gathered rows */
  unsigned char *need; /* threads x KM_YY_SUB x G */
  int deltas;          /* send the changed rows' moves, not full sums (km_totals) */
} SFX(yy_job);

/* A float no larger than v (and no smaller than 0): a lower bound stays a lower bound. */
static inline float SFX(yy_down)(double v) {
  return v > 0.0 ? (float)(v * (1.0 - 0x1.0p-22)) : 0.0f;
}

static void SFX(yy_block)(void *arg, int64_t block, int64_t begin, int64_t end, double *partial) {
  (void)block;
  const SFX(yy_job) *job = arg;
  const km_problem *p = job->p;
  const SFX(yy_groups) *gr = job->gr;
  const T *x = (const T *)p->x;
  const int64_t k = p->k, d = p->d, G = gr->G;
  const double lo = 1.0 - job->slack, hi = 1.0 + job->slack;
  const int tid = omp_get_thread_num();
  T *gathered = job->scratch + (size_t)tid * KM_YY_SUB * (size_t)d;
  unsigned char *need = job->need + (size_t)tid * KM_YY_SUB * (size_t)G;
  int64_t rows[KM_YY_SUB], sel[KM_YY_SUB];
  int32_t best_idx[KM_YY_SUB], best_grp[KM_YY_SUB], lab[KM_YY_SUB];
  T best_d[KM_YY_SUB], d1[KM_YY_SUB], d2[KM_YY_SUB];
  double changed = 0.0;
  for (int64_t s = begin; s < end; s += KM_YY_SUB) {
    const int64_t stop = end - s < KM_YY_SUB ? end : s + KM_YY_SUB;
    int64_t m = 0;
    for (int64_t i = s; i < stop; i++) {
      unsigned char *nd = need + m * G;
      float *li = job->lower + (size_t)i * (size_t)G;
      if (job->first) {
        memset(nd, 1, (size_t)G);
        rows[m++] = i;
        continue;
      }
      const int32_t a = job->labels[i];
      double u = job->upper[i] + job->move[a];
      double glb = INFINITY;
      for (int64_t g = 0; g < G; g++) {
        const float l = SFX(yy_down)((double)li[g] - job->gmove[g]);
        li[g] = l;
        if (l < glb) glb = l;
      }
      job->upper[i] = u;
      if (u * hi < glb * lo) continue; /* global filter: keeps its label */
      /* Tighten u with the exact distance to the current centre. */
      u = SFX(km_dist)(x + i * p->ldx, job->centers + (int64_t)a * d, d);
      job->upper[i] = u;
      if (u * hi < glb * lo) continue;
      /* Group filter; the current centre's group is always searched, so that its distance is
       * the kernel's own when the winner is chosen. */
      for (int64_t g = 0; g < G; g++) nd[g] = !(u * hi < (double)li[g] * lo);
      nd[gr->group_of[a]] = 1;
      rows[m++] = i;
    }
    if (m == 0) continue;
    for (int64_t r = 0; r < m; r++) {
      best_idx[r] = -1;
      best_grp[r] = -1;
      best_d[r] = 0;
    }
    for (int64_t g = 0; g < G; g++) {
      const int64_t size = gr->start[g + 1] - gr->start[g];
      const int32_t *mem = gr->members + gr->start[g];
      int64_t q = 0;
      for (int64_t r = 0; r < m; r++)
        if (need[r * G + g]) {
          memcpy(gathered + q * d, x + rows[r] * p->ldx, (size_t)d * sizeof(T));
          sel[q++] = r;
        }
      if (q == 0) continue;
      p->kern->KERN(sqdist_argmin2)(q, d, size, gathered, d, gr->packed + gr->poff[g], lab, d1, d2);
      for (int64_t e = 0; e < q; e++) {
        const int64_t r = sel[e], i = rows[r];
        float *li = job->lower + (size_t)i * (size_t)G;
        const int32_t j = mem[lab[e]];
        /* Lexicographic (distance, index): the kernel's lowest-index rule over all groups. */
        if (best_idx[r] < 0 || d1[e] < best_d[r] || (d1[e] == best_d[r] && j < best_idx[r])) {
          /* The former winner's group now has its best as the bound for the others. */
          if (best_grp[r] >= 0) li[best_grp[r]] = SFX(yy_down)(sqrt((double)best_d[r]));
          best_d[r] = d1[e];
          best_idx[r] = j;
          best_grp[r] = (int32_t)g;
          li[g] = SFX(yy_down)(sqrt((double)d2[e]));
        } else {
          li[g] = SFX(yy_down)(sqrt((double)d1[e]));
        }
      }
    }
    for (int64_t r = 0; r < m; r++) {
      const int64_t i = rows[r];
      if (best_idx[r] != job->labels[i]) {
        changed++;
        if (job->deltas)
          SFX(km_move_row)(x + i * p->ldx, d, k, job->labels[i], best_idx[r], partial);
      }
      job->labels[i] = best_idx[r];
      job->upper[i] = sqrt((double)best_d[r]);
    }
  }
  if (!job->deltas)
    p->kern->KERN(accumulate)(end - begin, d, x + begin * p->ldx, p->ldx, job->labels + begin,
                              p->w ? p->w + begin : NULL, partial, d, partial + k * d);
  partial[k * d + k] = 0.0;
  partial[k * d + k + 1] = changed;
}

/* Groups the centres: k-means with G clusters on the k initial centres (greedy k-means++,
 * then 5 Lloyd iterations, as the paper), fixed for the whole run. */
static strata_status SFX(yy_make_groups)(const km_problem *p, const T *centers,
                                         SFX(yy_groups) * gr) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d, G = gr->G;
  T *gc = NULL;
  int32_t *glab = NULL;
  int64_t *fill = NULL;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(G * d), sizeof(T), "centre groups", (void **)&gc));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)k, sizeof(int32_t), "centre groups", (void **)&glab));
  STRATA_TRY(
      strata_calloc(p->ctx, (size_t)G + 1, sizeof(int64_t), "centre groups", (void **)&fill));
  if (G == 1) {
    for (int64_t j = 0; j < k; j++) glab[j] = 0;
  } else {
    km_problem q = *p;
    q.x = centers;
    q.n = k;
    q.ldx = d;
    q.k = G;
    q.w = NULL;
    q.total_weight = (double)k;
    q.max_iter = 5;
    q.tol_abs = 0.0;
    STRATA_TRY(SFX(km_init_kmeanspp)(&q, 0, 2 + (int64_t)floor(log((double)G)), gc));
    km_run run = {gc, glab, 0.0, 0, 0, 0};
    STRATA_TRY(SFX(km_lloyd)(&q, &run));
  }
  /* Number the groups that got members (duplicate centres can leave one empty). */
  for (int64_t j = 0; j < k; j++) fill[glab[j]] = 1;
  int64_t used = 0;
  for (int64_t g = 0; g < G; g++) fill[g] = fill[g] ? used++ : -1;
  for (int64_t j = 0; j < k; j++) glab[j] = (int32_t)fill[glab[j]];
  gr->G = used;
  for (int64_t g = 0; g <= used; g++) gr->start[g] = 0;
  for (int64_t j = 0; j < k; j++) gr->group_of[j] = glab[j];
  for (int64_t j = 0; j < k; j++) gr->start[glab[j] + 1]++;
  for (int64_t g = 0; g < used; g++) gr->start[g + 1] += gr->start[g];
  for (int64_t g = 0; g < used; g++) fill[g] = gr->start[g];
  for (int64_t j = 0; j < k; j++) gr->members[fill[glab[j]]++] = (int32_t)j;
  gr->poff[0] = 0;
  for (int64_t g = 0; g < used; g++)
    gr->poff[g + 1] = gr->poff[g] + (int64_t)KM_PACKED_LEN(gr->start[g + 1] - gr->start[g], d);
cleanup:
  strata_free(gc);
  strata_free(glab);
  strata_free(fill);
  return st;
}

/* Packs each group's centres (members in ascending order) into its own panels. */
static void SFX(yy_pack)(const SFX(yy_groups) * gr, int64_t d, const T *centers, T *gathered) {
  for (int64_t g = 0; g < gr->G; g++) {
    const int64_t size = gr->start[g + 1] - gr->start[g];
    for (int64_t e = 0; e < size; e++)
      memcpy(gathered + e * d, centers + (int64_t)gr->members[gr->start[g] + e] * d,
             (size_t)d * sizeof(T));
    KM_PACK(size, d, gathered, d, gr->packed + gr->poff[g]);
  }
}

int64_t SFX(km_yinyang_groups)(int64_t k) {
  /* Groups of about 4 panels (64 float or 32 double centres): one full register tile of the
   * kernel, which runs a one-panel group at a quarter of its speed. The paper's k / 10 groups
   * measured 1.3-2x slower than this here (200k rows, k = 256-1024, d = 6-64); k / 32 and
   * k / 16 in between. */
  int64_t G = (k + 2 * KM_PANEL) / (4 * KM_PANEL);
  return G < 1 ? 1 : G;
}

strata_status SFX(km_yinyang)(const km_problem *p, km_run *run) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d, n = p->n;
  const int threads = strata_ctx_threads(p->ctx);
  T *next = NULL, *scratch = NULL, *gathered_c = NULL;
  double *sums = NULL, *upper = NULL, *move = NULL, *gmove = NULL;
  km_totals kept = {NULL, 0};
  float *lower = NULL;
  unsigned char *need = NULL;
  SFX(yy_groups) gr;
  memset(&gr, 0, sizeof gr);
  gr.G = SFX(km_yinyang_groups)(k);
  T *centers = (T *)run->centers;
  const size_t plen = km_partial_len(k, d);
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)k, sizeof(int32_t), "centre groups", (void **)&gr.group_of));
  STRATA_TRY(strata_calloc(p->ctx, (size_t)gr.G + 1, sizeof(int64_t), "centre groups",
                           (void **)&gr.start));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)k, sizeof(int32_t), "centre groups", (void **)&gr.members));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)gr.G + 1, sizeof(int64_t), "centre groups", (void **)&gr.poff));
  STRATA_TRY(SFX(yy_make_groups)(p, centers, &gr));
  const int64_t G = gr.G;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)gr.poff[G], sizeof(T), "packed centre groups",
                          (void **)&gr.packed));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * d), sizeof(T), "centres", (void **)&next));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * d), sizeof(T), "centres", (void **)&gathered_c));
  STRATA_TRY(strata_alloc(p->ctx, plen, sizeof(double), "centre sums", (void **)&sums));
  STRATA_TRY(km_totals_init(p, &kept));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n, sizeof(double), "upper bounds", (void **)&upper));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n, (size_t)G * sizeof(float), "Yinyang group bounds",
                          (void **)&lower));
  STRATA_TRY(strata_calloc(p->ctx, (size_t)k, sizeof(double), "centre moves", (void **)&move));
  STRATA_TRY(strata_calloc(p->ctx, (size_t)G, sizeof(double), "group moves", (void **)&gmove));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)threads * KM_YY_SUB * (size_t)d, sizeof(T),
                          "gathered rows", (void **)&scratch));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)threads * KM_YY_SUB, (size_t)G, "group flags", (void **)&need));
  for (int64_t i = 0; i < n; i++) run->labels[i] = -1;
  run->converged = 0;
  /* As Hamerly: the kernels' distances carry about (d + 2) roundings of T; four times over. */
  const double slack = 4.0 * (double)(d + 2) * KM_EPS;
  SFX(yy_job)
  job = {p, centers, &gr, run->labels, upper, lower, move, gmove, slack, 1, scratch, need, 0};
  for (int it = 0; it < p->max_iter; it++) {
    SFX(yy_pack)(&gr, d, centers, gathered_c);
    job.first = it == 0;
    job.deltas = kept.deltas;
    STRATA_TRY(
        strata_for_blocks(p->ctx, p->phase, n, KM_BLOCK_ROWS, plen, SFX(yy_block), &job, sums));
    double shift;
    STRATA_TRY(SFX(km_update_kept)(p, run->labels, centers, next, &kept, sums, &shift));
    int64_t fastest;
    double first, second;
    SFX(km_centre_moves)(k, d, centers, next, move, &fastest, &first, &second);
    for (int64_t g = 0; g < G; g++) gmove[g] = 0.0;
    for (int64_t j = 0; j < k; j++)
      if (move[j] > gmove[gr.group_of[j]]) gmove[gr.group_of[j]] = move[j];
    memcpy(centers, next, (size_t)(k * d) * sizeof(T));
    run->n_iter = it + 1;
    if (sums[k * d + k + 1] == 0.0 && it > 0) {
      run->converged = 1;
      break;
    }
    if (shift <= p->tol_abs) {
      run->converged = 1;
      break;
    }
  }
  /* The exact inertia, and the labels of the final centres when stopped by the tolerance or
   * max_iter, come from one full assignment, as in Lloyd. */
  STRATA_TRY(SFX(km_assign)(p, centers, run->labels, NULL, &run->inertia));
cleanup:
  strata_free(next);
  strata_free(gathered_c);
  strata_free(sums);
  km_totals_free(&kept);
  strata_free(upper);
  strata_free(lower);
  strata_free(move);
  strata_free(gmove);
  strata_free(scratch);
  strata_free(need);
  strata_free(gr.group_of);
  strata_free(gr.start);
  strata_free(gr.members);
  strata_free(gr.poff);
  strata_free(gr.packed);
  return st;
}
