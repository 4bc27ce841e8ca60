/*
 * Single linkage from vectors by Prim's minimum spanning tree (Rohlf 1973; Müllner 2011,
 * section 3.1, fastcluster's MST_linkage_core_vector): O(n^2 d) time, O(n d) memory.
 *
 * The tree grows from point 0; each step folds the distances of the newest point into the
 * keys of the points still outside (one SIMD distance row, kernels/hier_*) and takes the
 * smallest key, lowest index first. The merge recorded is (previous point, new point, key):
 * single-linkage clusters are intervals of Prim's visiting order, so this path through the
 * points gives the same dendrogram as the tree's own edges (fastcluster and SciPy do the same).
 *
 * The outside points sit in packed lanes in index order. A point that joins the tree is
 * switched off (its lane dead); when a quarter of the lanes are dead the live ones are moved
 * down in order, so the scans stay ~n^2/2 distances in total and "lowest lane" stays "lowest
 * index" for the tie rule.
 */
#include <math.h>
#include <string.h>

#include "hier/hier_internal.h"

strata_status hier_mst(strata_ctx *ctx, int64_t n, int64_t d, const double *x, hier_merge *out) {
  strata_status st = STRATA_OK;
  const strata_hier_kernels *kt = strata_hier_kernels_get();
  double *packed = NULL, *key = NULL;
  int64_t *orig = NULL;
  const int64_t np = hier_panels(n);
  STRATA_TRY(strata_alloc(ctx, (size_t)(np * (d + 2) * STRATA_H_W), sizeof(double),
                          "single linkage: packed points", (void **)&packed));
  STRATA_TRY(strata_alloc(ctx, (size_t)(np * STRATA_H_W), sizeof(double), "single linkage: keys",
                          (void **)&key));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)n, sizeof(int64_t), "single linkage: order", (void **)&orig));
  hier_pack(n, d, x, packed);
  for (int64_t j = 0; j < np * STRATA_H_W; j++) key[j] = HUGE_VAL;
  for (int64_t j = 0; j < n; j++) orig[j] = j;
  hier_kill_lane(d, packed, 0);
  int64_t m = n, live = n - 1, prev = 0;
  hier_par_tuner tune;
  hier_par_tuner_init(&tune);
  for (int64_t step = 0; step < n - 1; step++) {
    int64_t pos = 0;
    double best = hier_par_prim(ctx, &tune, kt, d, x + prev * d, packed, hier_panels(m), key, &pos);
    out[step].a = prev;
    out[step].b = orig[pos];
    out[step].height = sqrt(best);
    prev = orig[pos];
    hier_kill_lane(d, packed, pos);
    key[pos] = HUGE_VAL;
    live--;
    if (live > 0 && (m - live) * 4 > m && m > 64) {
      /* Stable compaction: lanes only move down, so reading ahead of writing is safe. */
      int64_t w = 0;
      const int64_t stride = (d + 2) * STRATA_H_W;
      for (int64_t j = 0; j < m; j++) {
        const double *pj = packed + (j / STRATA_H_W) * stride;
        if (pj[j % STRATA_H_W] != 0) continue; /* dead */
        if (w != j) {
          double *pw = packed + (w / STRATA_H_W) * stride;
          pw[w % STRATA_H_W] = 0;
          for (int64_t t = 0; t < d; t++)
            pw[2 * STRATA_H_W + t * STRATA_H_W + w % STRATA_H_W] =
                pj[2 * STRATA_H_W + t * STRATA_H_W + j % STRATA_H_W];
          key[w] = key[j];
          orig[w] = orig[j];
        }
        w++;
      }
      for (int64_t j = w; j < hier_panels(m) * STRATA_H_W; j++) {
        hier_kill_lane(d, packed, j);
        key[j] = HUGE_VAL;
      }
      m = w;
    }
    if ((step & 1023) == 0) strata_progress(ctx, "single linkage", (double)step / (double)n);
  }
cleanup:
  strata_free(packed);
  strata_free(key);
  strata_free(orig);
  return st;
}
