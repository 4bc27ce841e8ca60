/*
 * D^2 seeding of k-prototypes: k-means++ (Arthur & Vassilvitskii 2007) with the mixed cost in
 * place of the squared distance. A prototype seeded from a row takes the row's numbers and
 * codes, so a row's cost to it is the kernel's cost (kernels.h). The first row is drawn with
 * probability ~ weight, each next one with probability ~ weight x its cost to the nearest
 * prototype so far (one candidate per step, not scikit-learn's greedy trials: the pipeline
 * runs n_init seeds instead).
 *
 * Determinism: each draw is one Philox number of (seed, stream, step); the per-row minimum
 * costs come from the kernel block by block, and the draw walks the block totals in block
 * order and then the rows of the chosen block in row order, the same additions as the
 * block's own total, so the chosen row does not depend on the thread count.
 * Cost: k - 1 passes of O(n (dn + dc)).
 */
#include <math.h>
#include <string.h>

#include "core/driver.h"
#include "core/rng.h"
#include "kmeans/kproto.h"

#define KP_SEED_CHUNK 256

typedef struct kp_d2 {
  const kp_problem *p;
  const double *packed; /* the newest prototype alone (k = 1) */
  const int32_t *pmodes;
  double *dmin;     /* n: cost to the nearest prototype so far */
  double *blocktot; /* per block: sum of weight x dmin in row order */
  int first;        /* dmin not yet set */
} kp_d2;

static double row_mass(const kp_problem *p, const double *dmin, int64_t i) {
  return p->w != NULL ? p->w[i] * dmin[i] : dmin[i];
}

static void d2_block(void *arg, int64_t b, int64_t begin, int64_t end, double *partial) {
  (void)partial;
  const kp_d2 *a = arg;
  const kp_problem *p = a->p;
  int32_t lab[KP_SEED_CHUNK];
  double c[KP_SEED_CHUNK];
  double tot = 0.0;
  for (int64_t i0 = begin; i0 < end; i0 += KP_SEED_CHUNK) {
    const int64_t m = end - i0 < KP_SEED_CHUNK ? end - i0 : KP_SEED_CHUNK;
    const double *xb = p->dn > 0 ? p->x + i0 * p->ldx : p->x;
    const int32_t *cb = p->dc > 0 ? p->codes + i0 * p->ldc : p->codes;
    p->kern->mixed_argmin_f64(m, p->dn, p->dc, 1, xb, p->ldx, cb, p->ldc, a->packed, a->pmodes,
                              p->gamma, lab, c, NULL);
    for (int64_t r = 0; r < m; r++) {
      const int64_t i = i0 + r;
      if (a->first || c[r] < a->dmin[i]) a->dmin[i] = c[r];
      tot += row_mass(p, a->dmin, i);
    }
  }
  a->blocktot[b] = tot;
}

/* The row where the running sum of weights (dmin NULL) or weight x dmin first exceeds u. */
static int64_t pick(const kp_problem *p, const double *dmin, const double *blocktot, int64_t nb,
                    double u) {
  int64_t b = 0;
  double acc = 0.0;
  for (; b < nb - 1; b++) {
    if (acc + blocktot[b] > u) break;
    acc += blocktot[b];
  }
  const int64_t begin = b * KP_BLOCK_ROWS;
  const int64_t end = begin + KP_BLOCK_ROWS < p->n ? begin + KP_BLOCK_ROWS : p->n;
  /* Within the block the sum restarts at 0, as the block's own total did. */
  double in = 0.0, target = u - acc;
  int64_t last = -1;
  for (int64_t i = begin; i < end; i++) {
    const double m = dmin != NULL ? row_mass(p, dmin, i) : (p->w != NULL ? p->w[i] : 1.0);
    if (m > 0.0) last = i;
    in += m;
    if (in > target && m > 0.0) return i;
  }
  /* Rounding left u beyond the block's sum: the block's last row of positive mass. */
  return last >= 0 ? last : begin;
}

static void take_row(const kp_problem *p, int64_t i, double *center, int32_t *mode) {
  if (p->dn > 0) memcpy(center, p->x + i * p->ldx, (size_t)p->dn * sizeof(double));
  if (p->dc > 0) memcpy(mode, p->codes + i * p->ldc, (size_t)p->dc * sizeof(int32_t));
}

strata_status kp_seed(const kp_problem *p, uint64_t seed, double *centers, int32_t *modes) {
  strata_status st = STRATA_OK;
  const int64_t nb = strata_block_count(p->n, KP_BLOCK_ROWS);
  kp_d2 a = {p, NULL, NULL, NULL, NULL, 1};
  double *packed = NULL;
  int32_t *pmodes = NULL;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(double), "seeding costs", (void **)&a.dmin));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)nb, sizeof(double), "seeding block totals",
                          (void **)&a.blocktot));
  STRATA_TRY(strata_alloc(p->ctx, strata_k_packed_len_f64(1, p->dn), sizeof(double),
                          "seeding prototype", (void **)&packed));
  STRATA_TRY(strata_alloc(p->ctx, strata_k_packed_modes_len(1, p->dc) + 1, sizeof(int32_t),
                          "seeding modes", (void **)&pmodes));
  a.packed = packed;
  a.pmodes = pmodes;
  /* First prototype: a row with probability ~ weight. */
  strata_rng g;
  strata_rng_init(&g, seed, KP_STREAM_SEED, 0);
  int64_t row;
  if (p->w == NULL) {
    row = (int64_t)strata_rng_below(&g, (uint64_t)p->n);
  } else {
    for (int64_t b = 0; b < nb; b++) {
      const int64_t begin = b * KP_BLOCK_ROWS;
      const int64_t end = begin + KP_BLOCK_ROWS < p->n ? begin + KP_BLOCK_ROWS : p->n;
      double s = 0.0;
      for (int64_t i = begin; i < end; i++) s += p->w[i];
      a.blocktot[b] = s;
    }
    double total = 0.0;
    for (int64_t b = 0; b < nb; b++) total += a.blocktot[b];
    row = pick(p, NULL, a.blocktot, nb, strata_rng_uniform(&g) * total);
  }
  take_row(p, row, centers, modes);
  for (int64_t j = 1; j < p->k; j++) {
    strata_k_pack_centers_f64(1, p->dn, centers + (j - 1) * p->dn, p->dn, packed);
    strata_k_pack_modes(1, p->dc, modes + (j - 1) * p->dc, p->dc, pmodes);
    STRATA_TRY(strata_for_blocks(p->ctx, "init", p->n, KP_BLOCK_ROWS, 0, d2_block, &a, NULL));
    a.first = 0;
    double total = 0.0;
    for (int64_t b = 0; b < nb; b++) total += a.blocktot[b];
    strata_rng_init(&g, seed, KP_STREAM_SEED, (uint64_t)j);
    if (!(total > 0.0)) {
      /* Every row sits on a prototype already (fewer distinct rows than k): any row. */
      row = (int64_t)strata_rng_below(&g, (uint64_t)p->n);
    } else {
      row = pick(p, a.dmin, a.blocktot, nb, strata_rng_uniform(&g) * total);
    }
    take_row(p, row, centers + j * p->dn, modes + j * p->dc);
  }
cleanup:
  strata_free(a.dmin);
  strata_free(a.blocktot);
  strata_free(packed);
  strata_free(pmodes);
  return st;
}
