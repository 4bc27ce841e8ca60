/*
 * Centroid and median linkage from vectors by Müllner's generic algorithm (Müllner 2011,
 * section 3.1, "Generic_linkage"; fastcluster's generic_linkage_vector): O(n d) memory,
 * O(n^2 d) typical time (cubic in the worst case, which needs adversarial data).
 *
 * Every cluster keeps a candidate nearest neighbour among the clusters of higher index and
 * its distance, in a binary min-heap. The global minimum pair is found by popping the heap,
 * re-searching a candidate only when its neighbour has died. A merge computes the distances
 * of the new centroid to all live clusters with one SIMD row (kernels/hier_*), lowers the
 * candidates it beats, and invalidates those that pointed at it. Dead slots are squeezed out
 * in order once an eighth of them is dead, so the rows (memory-bound: they stream every
 * centroid) shrink with the live count instead of spanning all n. These methods are not
 * reducible (heights can decrease), so the nearest-neighbour chain does not apply.
 *
 * Distances are squared Euclidean between centroids (centroid: size-weighted mean; median:
 * midpoint of the two merged centres, Gower's WPGMC); heights are their square roots. The
 * heap's tie rules and the scan order are fastcluster's, so equal distances resolve as there.
 * Output rows stay in merge order ("sorted" convention of hier_internal.h).
 */
#include <math.h>
#include <string.h>

#include "hier/hier_internal.h"

/* Binary min-heap over indices 0..size-1 of A (fastcluster's binary_min_heap rules). */
typedef struct heap {
  double *A;
  int64_t *I, *R;
  int64_t size;
} heap;

#define H(h, i) ((h)->A[(h)->I[i]])

static void heap_swap(heap *h, int64_t i, int64_t j) {
  int64_t tmp = h->I[i];
  h->I[i] = h->I[j];
  h->I[j] = tmp;
  h->R[h->I[i]] = i;
  h->R[h->I[j]] = j;
}

static void sift_up(heap *h, int64_t i) {
  int64_t j;
  for (; i > 0 && H(h, i) < H(h, j = (i - 1) >> 1); i = j) heap_swap(h, i, j);
}

static void sift_down(heap *h, int64_t i) {
  int64_t j;
  for (; (j = 2 * i + 1) < h->size; i = j) {
    if (H(h, j) >= H(h, i)) {
      ++j;
      if (j >= h->size || H(h, j) >= H(h, i)) break;
    } else if (j + 1 < h->size && H(h, j + 1) < H(h, j)) {
      ++j;
    }
    heap_swap(h, i, j);
  }
}

static void heap_pop(heap *h) {
  --h->size;
  h->I[0] = h->I[h->size];
  h->R[h->I[0]] = 0;
  sift_down(h, 0);
}

static void heap_update_leq(heap *h, int64_t idx, double val) {
  h->A[idx] = val;
  sift_up(h, h->R[idx]);
}
static void heap_update_geq(heap *h, int64_t idx, double val) {
  h->A[idx] = val;
  sift_down(h, h->R[idx]);
}
static void heap_update(heap *h, int64_t idx, double val) {
  if (val <= h->A[idx])
    heap_update_leq(h, idx, val);
  else
    heap_update_geq(h, idx, val);
}

typedef struct init_arg {
  const strata_hier_kernels *kt;
  int64_t n, d;
  const double *x, *packed;
  double *mindist, *rows;
  int64_t *nghbr;
  int64_t row_len;
} init_arg;

/* Columns per pass of the first search: 256 panels of packed points (d = 16: 288 KiB) stay in
 * L2 while every row of the block is scanned against them, instead of streaming the points
 * from L3 once per row. */
#define INIT_COL_PANELS 256

/* Candidate of each row among higher indices: min over j > i, the lowest j on ties (chunks in
 * column order, an earlier one winning ties). */
static void init_rows(void *p, int64_t block, int64_t begin, int64_t end, double *partial) {
  (void)partial;
  const init_arg *a = p;
  double *row = a->rows + block * a->row_len;
  const int64_t np = hier_panels(a->n);
  for (int64_t i = begin; i < end; i++) a->mindist[i] = HUGE_VAL, a->nghbr[i] = i + 1;
  for (int64_t c0 = (begin + 1) / STRATA_H_W; c0 < np; c0 += INIT_COL_PANELS) {
    const int64_t c1 = c0 + INIT_COL_PANELS < np ? c0 + INIT_COL_PANELS : np;
    for (int64_t i = begin; i < end; i++) {
      const int64_t p0 = (i + 1) / STRATA_H_W > c0 ? (i + 1) / STRATA_H_W : c0;
      if (p0 >= c1) break; /* later rows start further right */
      a->kt->sqdist_row(a->d, a->x + i * a->d, a->packed, p0, c1, row);
      const int64_t jlo = i + 1 > p0 * STRATA_H_W ? i + 1 : p0 * STRATA_H_W;
      const int64_t jhi = c1 * STRATA_H_W < a->n ? c1 * STRATA_H_W : a->n;
      int64_t arg;
      const double v = a->kt->argmin(jhi - jlo, row + (jlo - p0 * STRATA_H_W), NULL, &arg);
      if (v < a->mindist[i]) a->mindist[i] = v, a->nghbr[i] = jlo + arg;
    }
  }
}

/* Moves the live slots (the list from *start) down in order and renumbers every structure:
 * centroids, sizes, ids, candidates (a dead candidate becomes -1) and the heap, whose shape
 * is kept (its comparisons see values only), so the run continues exactly as without. */
static void generic_compact(int64_t d, int64_t m, int64_t live, double *c, double *packed,
                            double *members, double *mindist, int64_t *nghbr, int64_t *repr,
                            int64_t *succ, int64_t *pred, int64_t *start, heap *hp, int64_t *map) {
  for (int64_t q = 0; q < m; q++) map[q] = -1;
  int64_t k = 0;
  for (int64_t q = *start; q < m; q = succ[q]) map[q] = k++;
  for (int64_t q = *start; q < m; q = succ[q]) {
    const int64_t p = map[q];
    if (p != q) memmove(c + p * d, c + q * d, (size_t)d * sizeof(double));
    members[p] = members[q];
    repr[p] = repr[q];
    mindist[p] = mindist[q];
    nghbr[p] = nghbr[q] >= 0 && nghbr[q] < m ? map[nghbr[q]] : -1;
  }
  for (int64_t j = 0; j < hp->size; j++) {
    hp->I[j] = map[hp->I[j]];
    hp->R[hp->I[j]] = j;
  }
  for (int64_t j = 0; j < live; j++) {
    succ[j] = j + 1;
    pred[j + 1] = j;
  }
  *start = 0;
  hier_pack(live, d, c, packed);
}

strata_status hier_generic(strata_ctx *ctx, strata_hier_method method, int64_t n, int64_t d,
                           const double *x, const double *weights, hier_merge *out) {
  strata_status st = STRATA_OK;
  const strata_hier_kernels *kt = strata_hier_kernels_get();
  const int64_t np = hier_panels(n), lanes = np * STRATA_H_W;
  /* A few blocks per thread: each needs a row buffer; dynamic scheduling evens out the
   * triangular work (row i scans the n - i - 1 rows above it). */
  int64_t block_rows = (n - 1 + 8 * strata_ctx_threads(ctx) - 1) / (8 * strata_ctx_threads(ctx));
  if (block_rows < 16) block_rows = 16;
  const int64_t blocks = strata_block_count(n - 1, block_rows);
  double *c = NULL, *packed = NULL, *members = NULL, *mindist = NULL, *row = NULL;
  int64_t *nghbr = NULL, *repr = NULL, *succ = NULL, *pred = NULL, *hI = NULL, *hR = NULL;
  int64_t *cmap = NULL;
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * d), sizeof(double), "generic: centroids", (void **)&c));
  STRATA_TRY(strata_alloc(ctx, (size_t)(np * (d + 2) * STRATA_H_W), sizeof(double),
                          "generic: packed centroids", (void **)&packed));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "generic: sizes", (void **)&members));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)n, sizeof(double), "generic: candidates", (void **)&mindist));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)(blocks * lanes), sizeof(double), "generic: rows", (void **)&row));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "generic: neighbours", (void **)&nghbr));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "generic: ids", (void **)&repr));
  STRATA_TRY(strata_alloc(ctx, (size_t)n + 1, sizeof(int64_t), "generic: list", (void **)&succ));
  STRATA_TRY(strata_alloc(ctx, (size_t)n + 1, sizeof(int64_t), "generic: list", (void **)&pred));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "generic: heap", (void **)&hI));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "generic: heap", (void **)&hR));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "generic: compaction", (void **)&cmap));
  memcpy(c, x, (size_t)(n * d) * sizeof(double));
  hier_pack(n, d, c, packed);
  for (int64_t i = 0; i < n; i++) {
    members[i] = weights ? weights[i] : 1.0;
    repr[i] = i;
    succ[i] = i + 1;
    pred[i + 1] = i;
  }
  int64_t start = 0;
  {
    init_arg ia = {kt, n, d, c, packed, mindist, row, nghbr, lanes};
    STRATA_TRY(strata_for_blocks(ctx, "generic: first neighbours", n - 1, block_rows, 0, init_rows,
                                 &ia, NULL));
  }
  mindist[n - 1] = HUGE_VAL; /* the last slot is never in the heap */
  nghbr[n - 1] = -1;
  heap hp = {mindist, hI, hR, n - 1};
  for (int64_t i = 0; i < n - 1; i++) hI[i] = hR[i] = i;
  for (int64_t i = (n - 1) >> 1; i > 0;) sift_down(&hp, --i);

  double t0 = strata_now();
  const int64_t stride = (d + 2) * STRATA_H_W;
  /* m: slots in use (compaction shrinks it; slot m - 1 is always live, it never merges away:
   * the dead cluster of a merge is the lower index). A candidate of -1 is dead. */
  int64_t m = n, mp = np;
#define DEAD(j) ((j) < 0 || packed[((j) / STRATA_H_W) * stride + (j) % STRATA_H_W] != 0)
  for (int64_t i = 0; i < n - 1; i++) {
    int64_t idx1 = hI[0];
    while (DEAD(nghbr[idx1])) {
      /* Re-search the candidate among live higher indices. */
      const int64_t p0 = (idx1 + 1) / STRATA_H_W;
      kt->sqdist_row(d, c + idx1 * d, packed, p0, mp, row);
      /* Dead lanes are +inf in the row, so a SIMD argmin over every slot above idx1 is the
       * list walk's answer (lowest index on ties), without its chain of dependent loads;
       * the first live slot stands when all are +inf. */
      int64_t arg;
      double min = kt->argmin(m - idx1 - 1, row + (idx1 + 1 - p0 * STRATA_H_W), NULL, &arg);
      nghbr[idx1] = min < HUGE_VAL ? idx1 + 1 + arg : succ[idx1];
      heap_update_geq(&hp, idx1, min);
      idx1 = hI[0];
    }
    heap_pop(&hp);
    const int64_t idx2 = nghbr[idx1];
    out[i].a = repr[idx1];
    out[i].b = repr[idx2];
    out[i].height = sqrt(mindist[idx1]);
    double *c1 = c + idx1 * d, *c2 = c + idx2 * d;
    if (method == STRATA_HIER_MEDIAN) {
      for (int64_t t = 0; t < d; t++) c2[t] = (c1[t] + c2[t]) * .5;
    } else {
      const double s1 = members[idx1], s2 = members[idx2];
      for (int64_t t = 0; t < d; t++) c2[t] = (c1[t] * s1 + c2[t] * s2) / (s1 + s2);
    }
    members[idx2] += members[idx1];
    repr[idx2] = n + i;
    hier_pack_lane(d, packed, idx2, c2);
    hier_kill_lane(d, packed, idx1);
    if (idx1 == start) {
      start = succ[idx1];
    } else {
      succ[pred[idx1]] = succ[idx1];
      pred[succ[idx1]] = pred[idx1];
    }
    /* Distances of the new centroid to every live cluster. */
    kt->sqdist_row(d, c2, packed, 0, mp, row);
    int64_t j;
    /* Dense, not along the list: a dead slot's +inf never beats a candidate, and what it
     * does to its own dead candidate is never read. */
    for (j = 0; j < idx2; j++) {
      const double v = row[j];
      if (v < mindist[j]) {
        heap_update_leq(&hp, j, v);
        nghbr[j] = idx2;
      } else if (nghbr[j] == idx2) {
        nghbr[j] = idx1; /* dead: forces a re-search */
      }
    }
    if (idx2 < m - 1) {
      int64_t arg;
      const double min = kt->argmin(m - idx2 - 1, row + idx2 + 1, NULL, &arg);
      nghbr[idx2] = min < HUGE_VAL ? idx2 + 1 + arg : succ[idx2];
      heap_update(&hp, idx2, min);
    }
    /* Every merge computes a row over all m slots, dead ones too; compacting once an eighth
     * is dead (O(m d), like one row) keeps rows within 8/7 of the live count. Order is kept,
     * so the lowest-index and heap tie rules are unchanged. */
    const int64_t live = n - 1 - i;
    if (live > 256 && live * 8 < m * 7) {
      generic_compact(d, m, live, c, packed, members, mindist, nghbr, repr, succ, pred, &start, &hp,
                      cmap);
      m = live;
      mp = hier_panels(m);
    }
    if ((i & 1023) == 0) strata_progress(ctx, "generic linkage", (double)i / (double)n);
  }
#undef DEAD
  strata_phase_add(ctx, "generic", strata_now() - t0);
cleanup:
  strata_free(c);
  strata_free(packed);
  strata_free(members);
  strata_free(mindist);
  strata_free(row);
  strata_free(nghbr);
  strata_free(repr);
  strata_free(succ);
  strata_free(pred);
  strata_free(hI);
  strata_free(hR);
  strata_free(cmap);
  return st;
}
