/*
 * Nearest-neighbour chain (Murtagh 1985; Müllner 2011, section 3.2; fastcluster's
 * NN_chain_core), for the reducible methods: complete, average, weighted and Ward.
 *
 * The chain grows from a cluster to its nearest neighbour until two clusters are each
 * other's nearest neighbours; they merge and the chain resumes three elements back. The
 * control flow, the restart rule (from the lowest live cluster when the chain is short) and
 * the tie rule (keep the previous chain element on a tie, else the lowest index) are
 * fastcluster's, so equal distances resolve as there.
 *
 * Matrix variant: O(n^2) memory, O(n^2) time after the O(n^2 d) distance matrix. The matrix is
 * stored full (both triangles), row-major, so that a nearest-neighbour search is one
 * contiguous SIMD scan of a row instead of fastcluster's half-strided walk over the condensed
 * triangle. A merge rewrites the surviving cluster's row (contiguous); the column is NOT
 * rewritten, which would touch one cache line per row. Instead every merge is logged and a
 * row applies the merges it has missed, in order, right before it is read ("lazy refresh").
 * Each entry therefore goes through the same Lance-Williams updates in the same order as in
 * fastcluster, with the same expressions: identical values. Dead clusters are masked by a
 * +inf penalty in the scan; when half the rows are dead the matrix is compacted in place
 * (order kept, so "lowest index" keeps its meaning).
 *
 * Each row also caches its nearest neighbour: the first one comes out of the distance fill
 * (the row is in cache there), and the refresh keeps it exact: a merge changes one entry of a
 * row (the survivor's column) and kills one, so the cached minimum stands unless the cached
 * neighbour itself merged; only those rows are scanned again, and the survivor's row is scanned
 * right after it is written. The chain itself is serial: its scans are memory-bound and a
 * parallel region per scan stalls whenever the OS deschedules one of its threads; the distance
 * fill, which computes, is parallel over fixed row blocks.
 *
 * Vector variant (Ward): O(n d) memory. Centroids and sizes replace the matrix; the distance
 * of a pair is s_a s_b / (s_a + s_b) |c_a - c_b|^2 (half the squared merge height), computed
 * for a whole row by the SIMD kernels. The same chain logic runs on it.
 */
#define _DEFAULT_SOURCE 1 /* madvise(MADV_HUGEPAGE) */
#include <math.h>
#include <string.h>
#include <sys/mman.h>

#include "hier/hier_internal.h"

uint64_t hier_matrix_bytes(strata_hier_method method, int ward_matrix, int64_t n) {
  if (method == STRATA_HIER_COMPLETE || method == STRATA_HIER_AVERAGE ||
      method == STRATA_HIER_WEIGHTED || (method == STRATA_HIER_WARD && ward_matrix)) {
    const uint64_t ld = (uint64_t)hier_panels(n) * STRATA_H_W;
    return (uint64_t)n * ld * sizeof(double);
  }
  return 0;
}

typedef struct lw_entry {
  int64_t a, b;   /* slot that died, slot that holds the union */
  double s, t, c; /* update parameters at the time of the merge */
} lw_entry;

typedef struct nn_matrix {
  strata_h_update u;
  int64_t ld;      /* row stride (>= live columns, multiple of 8) */
  int64_t m;       /* slots in use */
  double *D;       /* m x ld */
  double *pen;     /* 0 live, +inf dead, per slot (ld entries) */
  double *members; /* cluster sizes per slot */
  int64_t *orig;   /* point index that the slot stands for */
  int64_t *rtime;  /* merges already applied to the row */
  int64_t *cols;   /* compaction scratch: the live columns */
  double *nnv;     /* cached nearest distance of the row (valid when nni >= 0) */
  int64_t *nni;    /* cached nearest slot of the row, -1 when unknown */
  lw_entry *log;
  int64_t K; /* merges done */
} nn_matrix;

/* Applies the merges row x has missed and keeps its cached nearest neighbour exact: each merge
 * rewrites one entry and kills one, so the cached minimum stands unless the cached neighbour
 * itself merged (then the row must be scanned again) or the rewritten entry is smaller (or
 * equal at a lower index: the scan's tie rule). */
static void refresh(nn_matrix *M, int64_t x) {
  const int64_t k0 = M->rtime[x], k1 = M->K;
  if (k0 == k1) return;
  double *row = M->D + x * M->ld;
  /* The updates land at random columns of a row that is about to be scanned: when they are
   * many, one streaming pass first brings the row into cache at full memory bandwidth
   * instead of one latency-bound miss per update. */
  if ((k1 - k0) * 16 > M->m) {
    double sink = 0;
    for (int64_t j = 0; j < M->m; j += 8) sink += row[j];
    volatile double keep = sink; /* the loads must not be optimised away */
    (void)keep;
  }
  int64_t bi = M->nni[x];
  double bv = M->nnv[x];
  /* One loop per method so the update is not re-dispatched per entry. */
#define NN_REFRESH(EXPR)                             \
  for (int64_t k = k0; k < k1; k++) {                \
    const lw_entry *e = &M->log[k];                  \
    const double a = row[e->a], b = row[e->b];       \
    const double nv = (EXPR);                        \
    row[e->b] = nv;                                  \
    if (bi < 0) continue;                            \
    if (e->a == bi || e->b == bi) {                  \
      bi = -1;                                       \
    } else if (nv < bv || (nv == bv && e->b < bi)) { \
      bv = nv;                                       \
      bi = e->b;                                     \
    }                                                \
  }
  switch (M->u) {
    case STRATA_H_COMPLETE: NN_REFRESH(strata_h_update1(STRATA_H_COMPLETE, a, b, 0, 0, 0, 0)) break;
    case STRATA_H_AVERAGE:
      NN_REFRESH(strata_h_update1(STRATA_H_AVERAGE, a, b, e->s, e->t, 0, 0)) break;
    case STRATA_H_WEIGHTED: NN_REFRESH(strata_h_update1(STRATA_H_WEIGHTED, a, b, 0, 0, 0, 0)) break;
    case STRATA_H_WARD: {
      const double v = M->members[x];
      NN_REFRESH(strata_h_update1(STRATA_H_WARD, a, b, e->s, e->t, e->c, v)) break;
    }
  }
#undef NN_REFRESH
  M->rtime[x] = k1;
  M->nni[x] = bi;
  M->nnv[x] = bv;
}

/* Nearest live neighbour of x: the lowest index among equal minima. */
static double nearest(const strata_hier_kernels *kt, nn_matrix *M, int64_t x, int64_t *arg) {
  refresh(M, x);
  if (M->nni[x] < 0) M->nnv[x] = kt->argmin(M->m, M->D + x * M->ld, M->pen, &M->nni[x]);
  *arg = M->nni[x];
  return M->nnv[x];
}

/* Moves the live slots down in order; the row of every live slot is refreshed first. */
static void compact(nn_matrix *M, int64_t *chain, int64_t tip) {
  int64_t *map = M->rtime; /* reused after the refresh: rtime becomes K for all */
  int64_t live = 0;
  for (int64_t j = 0; j < M->m; j++)
    if (M->pen[j] == 0) refresh(M, j);
  int64_t *cols = M->cols;
  for (int64_t j = 0; j < M->m; j++) {
    map[j] = M->pen[j] == 0 ? live : -1;
    if (map[j] >= 0) cols[live++] = j;
  }
  const int64_t ld = hier_panels(live) * STRATA_H_W;
  /* New row p (old slot q >= p) is written at or before where it is read: in place. A gather
   * through the list of live columns, not a test per column: which columns died is random,
   * and the branch mispredicted on every other one. */
  for (int64_t q = 0; q < M->m; q++) {
    if (map[q] < 0) continue;
    const int64_t p = map[q];
    const double *src = M->D + q * M->ld;
    double *dst = M->D + p * ld;
    for (int64_t k = 0; k < live; k++) dst[k] = src[cols[k]];
    for (int64_t j = live; j < ld; j++) dst[j] = HUGE_VAL;
  }
  for (int64_t i = 0; i < tip; i++)
    chain[i] = chain[i] >= 0 && chain[i] < M->m ? map[chain[i]] : -1;
  for (int64_t q = 0; q < M->m; q++) {
    if (map[q] < 0) continue;
    M->members[map[q]] = M->members[q];
    M->orig[map[q]] = M->orig[q];
    /* After the refresh a valid cached neighbour is live; the map keeps the order. */
    M->nni[map[q]] = M->nni[q] >= 0 ? map[M->nni[q]] : -1;
    M->nnv[map[q]] = M->nnv[q];
  }
  for (int64_t j = 0; j < ld; j++) M->pen[j] = j < live ? 0 : HUGE_VAL;
  for (int64_t j = 0; j < live; j++) M->rtime[j] = M->K;
  M->m = live;
  M->ld = ld;
}

typedef struct fill_arg {
  const strata_hier_kernels *kt;
  int64_t n, d, ld;
  const double *x, *packed;
  double *D;
  double *nnv;
  int64_t *nni;
  int take_sqrt;
} fill_arg;

/* Columns per pass of the distance fill: 2048 packed points (d = 16: 288 KiB) stay in L2 while
 * a block of rows is computed against them, instead of streaming every point from L3 or memory
 * once per row. */
#define FILL_COL_PANELS 256

static void fill_rows(void *p, int64_t block, int64_t begin, int64_t end, double *partial) {
  (void)block;
  (void)partial;
  const fill_arg *a = p;
  const int64_t np = hier_panels(a->n);
  for (int64_t i = begin; i < end; i++) a->nnv[i] = HUGE_VAL, a->nni[i] = 0;
  for (int64_t p0 = 0; p0 < np; p0 += FILL_COL_PANELS) {
    const int64_t p1 = p0 + FILL_COL_PANELS < np ? p0 + FILL_COL_PANELS : np;
    const int64_t j0 = p0 * STRATA_H_W, j1 = p1 * STRATA_H_W < a->n ? p1 * STRATA_H_W : a->n;
    for (int64_t i = begin; i < end; i++) {
      double *seg = a->D + i * a->ld + j0;
      a->kt->sqdist_row(a->d, a->x + i * a->d, a->packed, p0, p1, seg);
      if (a->take_sqrt) a->kt->sqrt_row((p1 - p0) * STRATA_H_W, seg);
      if (i >= j0 && i < j1) seg[i - j0] = HUGE_VAL;
      /* Every row's first nearest-neighbour scan, while the segment is in cache; chunks are
       * combined in column order, an earlier chunk winning ties (the lowest index). */
      int64_t arg;
      const double v = a->kt->argmin(j1 - j0, seg, NULL, &arg);
      if (v < a->nnv[i]) a->nnv[i] = v, a->nni[i] = j0 + arg;
    }
  }
}

strata_status hier_nnchain_matrix(strata_ctx *ctx, strata_hier_method method, int64_t n, int64_t d,
                                  const double *x, const double *weights, hier_merge *out) {
  strata_status st = STRATA_OK;
  const strata_hier_kernels *kt = strata_hier_kernels_get();
  nn_matrix M = {0};
  double *packed = NULL;
  int64_t *chain = NULL;
  M.u = method == STRATA_HIER_COMPLETE   ? STRATA_H_COMPLETE
        : method == STRATA_HIER_AVERAGE  ? STRATA_H_AVERAGE
        : method == STRATA_HIER_WEIGHTED ? STRATA_H_WEIGHTED
                                         : STRATA_H_WARD;
  M.ld = hier_panels(n) * STRATA_H_W;
  M.m = n;
  size_t cells;
  STRATA_FAIL_IF(!strata_mul_size((size_t)n, (size_t)M.ld, &cells), ctx, STRATA_ERR_BUDGET,
                 "%s linkage of %lld rows: the distance matrix overflows the address space",
                 strata_hier_method_name(method), (long long)n);
  STRATA_TRY(strata_alloc(ctx, cells, sizeof(double), "the distance matrix", (void **)&M.D));
#ifdef MADV_HUGEPAGE
  /* Transparent huge pages: 512x fewer page faults filling the matrix and TLB misses
   * scanning it (a hint; harmless where unsupported). */
  {
    const uintptr_t page = 4096, lo = ((uintptr_t)M.D + page - 1) / page * page;
    const uintptr_t hi = ((uintptr_t)M.D + cells * sizeof(double)) / page * page;
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
  }
#endif
  STRATA_TRY(strata_alloc(ctx, (size_t)M.ld, sizeof(double), "NN-chain: mask", (void **)&M.pen));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "NN-chain: sizes", (void **)&M.members));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "NN-chain: slots", (void **)&M.orig));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)n, sizeof(int64_t), "NN-chain: refresh times", (void **)&M.rtime));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)n, sizeof(lw_entry), "NN-chain: merge log", (void **)&M.log));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "NN-chain: columns", (void **)&M.cols));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "NN-chain: nearest", (void **)&M.nnv));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "NN-chain: nearest", (void **)&M.nni));
  STRATA_TRY(strata_alloc(ctx, (size_t)n + 1, sizeof(int64_t), "NN-chain: chain", (void **)&chain));
  STRATA_TRY(strata_alloc(ctx, (size_t)(hier_panels(n) * (d + 2) * STRATA_H_W), sizeof(double),
                          "NN-chain: packed points", (void **)&packed));
  hier_pack(n, d, x, packed);
  {
    fill_arg fa = {kt, n, d, M.ld, x, packed, M.D, M.nnv, M.nni, M.u != STRATA_H_WARD};
    STRATA_TRY(strata_for_blocks(ctx, "distance matrix", n, 32, 0, fill_rows, &fa, NULL));
  }
  strata_free(packed);
  packed = NULL;
  for (int64_t j = 0; j < M.ld; j++) M.pen[j] = j < n ? 0 : HUGE_VAL;
  for (int64_t j = 0; j < n; j++) {
    M.members[j] = weights ? weights[j] : 1.0;
    M.orig[j] = j;
    M.rtime[j] = 0;
  }
  int64_t tip = 0, live = n;
  double t0 = strata_now();
  for (int64_t step = 0; step < n - 1; step++) {
    int64_t idx1, idx2, j;
    double min;
    if (tip <= 3) {
      idx1 = 0;
      while (M.pen[idx1] != 0) idx1++;
      chain[0] = idx1;
      tip = 1;
      min = nearest(kt, &M, idx1, &idx2);
    } else {
      tip -= 3;
      idx1 = chain[tip - 1];
      idx2 = chain[tip];
      refresh(&M, idx1);
      min = M.D[idx1 * M.ld + idx2];
    }
    do {
      chain[tip] = idx2;
      double m2 = nearest(kt, &M, idx2, &j);
      if (m2 < min) {
        min = m2;
        idx1 = j;
      }
      idx2 = idx1;
      idx1 = chain[tip++];
    } while (idx2 != chain[tip - 2]);
    out[step].a = M.orig[idx1];
    out[step].b = M.orig[idx2];
    out[step].height = M.u == STRATA_H_WARD ? sqrt(min) : min;
    if (idx1 > idx2) {
      int64_t tmp = idx1;
      idx1 = idx2;
      idx2 = tmp;
    }
    const double size1 = M.members[idx1], size2 = M.members[idx2];
    M.members[idx2] += M.members[idx1];
    refresh(&M, idx1);
    refresh(&M, idx2);
    lw_entry e = {idx1, idx2, 0, 0, min};
    if (M.u == STRATA_H_AVERAGE) {
      e.s = size1 / (size1 + size2);
      e.t = size2 / (size1 + size2);
    } else if (M.u == STRATA_H_WARD) {
      e.s = size1;
      e.t = size2;
    }
    M.pen[idx1] = HUGE_VAL;
    double *rb = M.D + idx2 * M.ld;
    kt->merge_row(M.u, M.m, M.D + idx1 * M.ld, rb, M.members, e.s, e.t, e.c);
    rb[idx2] = HUGE_VAL;
    /* The survivor's row was just written: its scan is a second pass from the cache. */
    M.nnv[idx2] = kt->argmin(M.m, rb, M.pen, &M.nni[idx2]);
    M.log[M.K++] = e;
    M.rtime[idx2] = M.K;
    live--;
    if (live > 256 && live * 2 < M.m) compact(&M, chain, tip);
    if ((step & 1023) == 0) strata_progress(ctx, "nn-chain", (double)step / (double)n);
  }
  strata_phase_add(ctx, "nn-chain", strata_now() - t0);
cleanup:
  strata_free(M.D);
  strata_free(M.pen);
  strata_free(M.members);
  strata_free(M.orig);
  strata_free(M.rtime);
  strata_free(M.log);
  strata_free(M.cols);
  strata_free(M.nnv);
  strata_free(M.nni);
  strata_free(chain);
  strata_free(packed);
  return st;
}

/* ------------------------------------------------------------------ Ward from vectors */

typedef struct nn_ward {
  int64_t d, m;
  double *c;       /* m x d centroids */
  double *packed;  /* the same, packed */
  double *members; /* sizes, padded to whole panels with 1 */
  int64_t *orig;
  double *row; /* one distance row */
  hier_par_tuner tune;
} nn_ward;

static double ward_pair(const nn_ward *W, int64_t a, int64_t b) {
  const double *ca = W->c + a * W->d, *cb = W->c + b * W->d;
  double acc = 0;
  for (int64_t t = 0; t < W->d; t++) {
    const double df = ca[t] - cb[t];
    acc = fma(df, df, acc);
  }
  const double ma = W->members[a], mb = W->members[b];
  return acc * ((ma * mb) / (ma + mb));
}

static double ward_nearest(strata_ctx *ctx, const strata_hier_kernels *kt, nn_ward *W, int64_t x,
                           int64_t *arg) {
  return hier_par_ward_row(ctx, &W->tune, kt, W->d, W->c + x * W->d, W->packed, hier_panels(W->m),
                           W->members, W->members[x], x, W->row, arg);
}

static void ward_compact(nn_ward *W, int64_t *chain, int64_t tip) {
  const int64_t stride = (W->d + 2) * STRATA_H_W;
  int64_t *map = (int64_t *)W->row; /* scratch: m <= row length */
  int64_t live = 0;
  for (int64_t j = 0; j < W->m; j++)
    map[j] = W->packed[(j / STRATA_H_W) * stride + j % STRATA_H_W] == 0 ? live++ : -1;
  for (int64_t i = 0; i < tip; i++)
    chain[i] = chain[i] >= 0 && chain[i] < W->m ? map[chain[i]] : -1;
  for (int64_t q = 0; q < W->m; q++) {
    if (map[q] < 0) continue;
    const int64_t p = map[q];
    if (p != q) memmove(W->c + p * W->d, W->c + q * W->d, (size_t)W->d * sizeof(double));
    W->members[p] = W->members[q];
    W->orig[p] = W->orig[q];
  }
  for (int64_t j = live; j < hier_panels(live) * STRATA_H_W; j++) W->members[j] = 1;
  hier_pack(live, W->d, W->c, W->packed);
  W->m = live;
}

strata_status hier_nnchain_ward(strata_ctx *ctx, int64_t n, int64_t d, const double *x,
                                const double *weights, hier_merge *out) {
  strata_status st = STRATA_OK;
  const strata_hier_kernels *kt = strata_hier_kernels_get();
  nn_ward W = {d, n, NULL, NULL, NULL, NULL, NULL, {0}};
  hier_par_tuner_init(&W.tune);
  int64_t *chain = NULL;
  const int64_t np = hier_panels(n);
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * d), sizeof(double), "Ward: centroids", (void **)&W.c));
  STRATA_TRY(strata_alloc(ctx, (size_t)(np * (d + 2) * STRATA_H_W), sizeof(double),
                          "Ward: packed centroids", (void **)&W.packed));
  STRATA_TRY(strata_alloc(ctx, (size_t)(np * STRATA_H_W), sizeof(double), "Ward: sizes",
                          (void **)&W.members));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "Ward: slots", (void **)&W.orig));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)(np * STRATA_H_W), sizeof(double), "Ward: row", (void **)&W.row));
  STRATA_TRY(strata_alloc(ctx, (size_t)n + 1, sizeof(int64_t), "Ward: chain", (void **)&chain));
  memcpy(W.c, x, (size_t)(n * d) * sizeof(double));
  hier_pack(n, d, W.c, W.packed);
  for (int64_t j = 0; j < np * STRATA_H_W; j++) W.members[j] = j < n && weights ? weights[j] : 1;
  for (int64_t j = 0; j < n; j++) W.orig[j] = j;
  int64_t tip = 0, live = n;
  double t0 = strata_now();
  for (int64_t step = 0; step < n - 1; step++) {
    int64_t idx1, idx2, j;
    double min;
    if (tip <= 3) {
      const int64_t stride = (d + 2) * STRATA_H_W;
      idx1 = 0;
      while (W.packed[(idx1 / STRATA_H_W) * stride + idx1 % STRATA_H_W] != 0) idx1++;
      chain[0] = idx1;
      tip = 1;
      min = ward_nearest(ctx, kt, &W, idx1, &idx2);
    } else {
      tip -= 3;
      idx1 = chain[tip - 1];
      idx2 = chain[tip];
      min = ward_pair(&W, idx1, idx2);
    }
    do {
      chain[tip] = idx2;
      double m2 = ward_nearest(ctx, kt, &W, idx2, &j);
      if (m2 < min) {
        min = m2;
        idx1 = j;
      }
      idx2 = idx1;
      idx1 = chain[tip++];
    } while (idx2 != chain[tip - 2]);
    out[step].a = W.orig[idx1];
    out[step].b = W.orig[idx2];
    out[step].height = sqrt(2 * min);
    if (idx1 > idx2) {
      int64_t tmp = idx1;
      idx1 = idx2;
      idx2 = tmp;
    }
    const double s1 = W.members[idx1], s2 = W.members[idx2];
    double *c1 = W.c + idx1 * d, *c2 = W.c + idx2 * d;
    for (int64_t t = 0; t < d; t++) c2[t] = (s1 * c1[t] + s2 * c2[t]) / (s1 + s2);
    W.members[idx2] = s1 + s2;
    hier_pack_lane(d, W.packed, idx2, c2);
    hier_kill_lane(d, W.packed, idx1);
    live--;
    /* Every scan reads all m slots, dead ones too, and costs as many bytes as a compaction
     * (O(m d)); a step scans two or three times, so compacting once an eighth is dead keeps
     * scans within 8/7 of the live count at a cost of a few scans per m/8 steps. */
    if (live > 256 && live * 8 < W.m * 7) ward_compact(&W, chain, tip);
    if ((step & 1023) == 0) strata_progress(ctx, "ward nn-chain", (double)step / (double)n);
  }
  strata_phase_add(ctx, "nn-chain", strata_now() - t0);
cleanup:
  strata_free(W.c);
  strata_free(W.packed);
  strata_free(W.members);
  strata_free(W.orig);
  strata_free(W.row);
  strata_free(chain);
  return st;
}
