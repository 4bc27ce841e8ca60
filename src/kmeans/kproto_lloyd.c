/*
 * Batch ("Lloyd") k-prototypes (Huang 1998, with the batch update of Lloyd 1982 instead of
 * Huang's online one): each pass assigns every row to its nearest prototype through the
 * mixed argmin kernel (kernels.h), and in the same pass, while the rows are in cache, adds
 * them into per-block partials: numeric sums (k x dn), weights (k), level counts (k x the
 * total of the columns' levels), the cost and the changed labels (after the first pass of an
 * unweighted fit only the changed rows' moves, added to kept totals). The driver adds the blocks'
 * partials in block order, so means are bit-identical for any thread count, and level counts
 * are exact integers (or fixed-order weight sums). New prototypes: means = sums / weight,
 * modes = the most frequent level, the smallest code on a tie.
 *
 * Cost: O(n k (dn + dc)) per pass for the kernel plus O(n (dn + dc)) for the sums (after the
 * first pass only over the rows that changed label, in unweighted fits); the k x levels count
 * table per block is small for the pipeline's few categorical columns.
 *
 * Hamerly's bounds (Hamerly 2010, "Making k-means even faster"), exact. D(x, c) =
 * sqrt(cost(x, c)) is a metric: the l2 product of the Euclidean metric on the numeric part
 * and sqrt(gamma x Hamming) on the codes (the square root of a metric is one). So after the
 * prototypes move by s_j = D(old c_j, new c_j), a row's upper bound u on D to its prototype
 * grows by s_label and its lower bound l on D to every other prototype shrinks by the largest
 * other shift. A row with u < l keeps its label without being scanned; otherwise u is
 * tightened to its own prototype (one cost), and only if that fails is the row scanned, which
 * also gives l from the kernel's second cost. Rounding: the labels must be the kernel's, which
 * ranks computed costs, so the bounds are kept on the true D and the test asks for
 * u (1 + eta) < l (1 - eta), where eta bounds the relative error of every computed cost
 * (direct-form chain of dn terms, the subtraction and square in each, the final fma:
 * under (2 dn + 8) u_round; eta = (2 dn + 16) 2^-52 doubles that); each bound is moved
 * outward by a further 2^-50 relative after every sqrt, add or subtract. Then a skipped row's
 * computed cost to its prototype is strictly below every other computed cost, so the kernel
 * would pick it too, ties included: labels, sums and prototypes are LLOYD_PLAIN's bit for
 * bit. Unweighted fits keep their sums between passes (kp_lloyd), so a row that the bounds
 * keep and whose label did not change is not read at all. Measured (1 thread, a loaded
 * 2-vCPU Zen 4, CPU seconds of a whole fit): 500k x 20 + 5 codes, k = 20, 65 iterations:
 * 1.19 bounded against 1.86 plain; at k = 5 (8 iterations) the two are within the noise.
 * Memory: 16 bytes a row for the bounds.
 */
#include <math.h>
#include <string.h>

#include "core/driver.h"
#include "kmeans/kproto.h"

/* Rows per kernel call inside a block: labels and costs on the stack, rows still in L1/L2
 * when they are added into the sums. */
#define KP_CHUNK 256

typedef struct kp_pass {
  const kp_problem *p;
  const double *packed;
  const int32_t *pmodes;
  const double *centers; /* unpacked, for the bounds' own-prototype costs */
  const int32_t *modes;
  int32_t *labels;  /* in: previous labels (changes counted against them); out: new */
  double *row_cost; /* NULL or n */
  int update;       /* add sums, weights and level counts into the partials */
  int deltas;       /* update with the changed rows' moves only (kept sums, below) */
  /* Bounds (NULL u: every row scanned): u, l per row; shift per prototype and the two
   * largest shifts; first: set the bounds from a full scan. */
  double *u, *l;
  const double *shift;
  double s1, s2;
  int64_t jmax;
  int first;
  double eta;
  /* Partial layout: [0, k dn) sums, then k weights, then k n_levels counts (if update),
   * then the weighted cost, then the changed labels. */
  size_t off_w, off_cnt, off_cost;
} kp_pass;

/* Moves a bound outward past the rounding of the sqrt, add or subtract that made it. */
static inline double up(double v) { return v * (1.0 + 0x1.0p-50); }
static inline double down(double v) { return v * (1.0 - 0x1.0p-50); }

/* A row's computed cost to prototype j, as a plain loop: not the kernel's chain bit for bit,
 * but within eta of the true cost, which is all a bound needs. */
static double own_cost(const kp_problem *p, int64_t i, const double *centers, const int32_t *modes,
                       int64_t j) {
  /* Four chains: a sum of non-negative terms in any order stays within eta, and one chain
   * would wait on the adder's latency. */
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  if (p->dn > 0) {
    const double *xi = p->x + i * p->ldx, *cj = centers + j * p->dn;
    int64_t t = 0;
    for (; t + 4 <= p->dn; t += 4) {
      const double e0 = xi[t] - cj[t], e1 = xi[t + 1] - cj[t + 1];
      const double e2 = xi[t + 2] - cj[t + 2], e3 = xi[t + 3] - cj[t + 3];
      s0 += e0 * e0;
      s1 += e1 * e1;
      s2 += e2 * e2;
      s3 += e3 * e3;
    }
    for (; t < p->dn; t++) {
      const double e = xi[t] - cj[t];
      s0 += e * e;
    }
  }
  const double acc = (s0 + s1) + (s2 + s3);
  int32_t mis = 0;
  if (p->dc > 0) {
    const int32_t *ci = p->codes + i * p->ldc, *mj = modes + j * p->dc;
    for (int64_t t = 0; t < p->dc; t++) mis += ci[t] != mj[t];
  }
  return acc + p->gamma * (double)mis;
}

/* The lower bound from a scan's second cost: an infinite one with k > 1 is an overflow of
 * huge values (inputs are finite), which says nothing about later costs. */
static inline double lower_from(double c2, int64_t k, double lo) {
  return isinf(c2) && k > 1 ? 0.0 : down(sqrt(c2 * lo));
}

/* Labels of rows [i0, i0 + m) through the bounds; c[r] is NaN for rows not scanned (their cost
 * is not known exactly: the bounded fit computes its total in a final pass). */
static void bounded_chunk(const kp_pass *a, int64_t i0, int64_t m, int32_t *lab, double *c) {
  const kp_problem *p = a->p;
  const int64_t dn = p->dn, dc = p->dc;
  const double hi = 1.0 + a->eta, lo = 1.0 - a->eta;
  if (a->first) {
    double c2[KP_CHUNK];
    p->kern->mixed_argmin_f64(m, dn, dc, p->k, dn > 0 ? p->x + i0 * p->ldx : p->x, p->ldx,
                              dc > 0 ? p->codes + i0 * p->ldc : p->codes, p->ldc, a->packed,
                              a->pmodes, p->gamma, lab, c, c2);
    for (int64_t r = 0; r < m; r++) {
      a->u[i0 + r] = up(sqrt(c[r] * hi));
      a->l[i0 + r] = lower_from(c2[r], p->k, lo);
    }
    return;
  }
  int64_t todo[KP_CHUNK], at[KP_CHUNK];
  int64_t nt = 0;
  for (int64_t r = 0; r < m; r++) {
    const int64_t i = i0 + r;
    const int32_t own = a->labels[i];
    const double U = up(a->u[i] + a->shift[own]);
    const double Lb = down(a->l[i] - (own == a->jmax ? a->s2 : a->s1));
    a->l[i] = Lb;
    lab[r] = own;
    c[r] = NAN;
    if (U * hi < Lb * lo) {
      a->u[i] = U;
      continue;
    }
    const double Ut = up(sqrt(own_cost(p, i, a->centers, a->modes, own) * hi));
    a->u[i] = Ut;
    if (Ut * hi < Lb * lo) continue;
    todo[nt] = i;
    at[nt++] = r;
  }
  /* The undecided rows, gathered, in the kernel's multi-row tiles. */
  int32_t tl[KP_CHUNK];
  double tc[KP_CHUNK], tc2[KP_CHUNK];
  p->kern->mixed_argmin_rows_f64(nt, todo, dn, dc, p->k, p->x, p->ldx, p->codes, p->ldc, a->packed,
                                 a->pmodes, p->gamma, tl, tc, tc2);
  for (int64_t s = 0; s < nt; s++) {
    const int64_t r = at[s], i = todo[s];
    lab[r] = tl[s];
    c[r] = tc[s];
    a->u[i] = up(sqrt(tc[s] * hi));
    a->l[i] = lower_from(tc2[s], p->k, lo);
  }
}

static void pass_block(void *arg, int64_t b, int64_t begin, int64_t end, double *partial) {
  (void)b;
  const kp_pass *a = arg;
  const kp_problem *p = a->p;
  const int64_t dn = p->dn, dc = p->dc, L = p->n_levels;
  int32_t lab[KP_CHUNK], old[KP_CHUNK];
  double c[KP_CHUNK];
  double cost = 0.0, changes = 0.0;
  for (int64_t i0 = begin; i0 < end; i0 += KP_CHUNK) {
    const int64_t m = end - i0 < KP_CHUNK ? end - i0 : KP_CHUNK;
    /* No offset on an absent array (dn = 0 or dc = 0). */
    const double *xb = dn > 0 ? p->x + i0 * p->ldx : p->x;
    const int32_t *cb = dc > 0 ? p->codes + i0 * p->ldc : p->codes;
    if (a->u == NULL)
      p->kern->mixed_argmin_f64(m, dn, dc, p->k, xb, p->ldx, cb, p->ldc, a->packed, a->pmodes,
                                p->gamma, lab, c, NULL);
    else
      bounded_chunk(a, i0, m, lab, c);
    for (int64_t r = 0; r < m; r++) {
      const int64_t i = i0 + r;
      old[r] = a->labels[i];
      if (old[r] != lab[r]) changes += 1.0;
      a->labels[i] = lab[r];
      if (a->row_cost != NULL) a->row_cost[i] = c[r];
      if (p->w != NULL) {
        const double wc = p->w[i] * c[r];
        cost += wc;
      } else {
        cost += c[r];
      }
    }
    if (a->update && a->deltas) {
      /* Kept sums: minus at the old prototype, plus at the new, in row order. Unchanged rows
       * are not read at all (with the bounds, most rows of a late pass). */
      double *wsum = partial + a->off_w, *cnt = partial + a->off_cnt;
      for (int64_t r = 0; r < m; r++) {
        if (old[r] == lab[r]) continue;
        const int32_t f = old[r], g = lab[r];
        if (dn > 0) {
          const double *xi = xb + r * p->ldx;
          double *sf = partial + (int64_t)f * dn, *sg = partial + (int64_t)g * dn;
          for (int64_t t = 0; t < dn; t++) {
            sf[t] -= xi[t];
            sg[t] += xi[t];
          }
        }
        wsum[f] -= 1.0;
        wsum[g] += 1.0;
        const int32_t *ci = cb + r * p->ldc;
        for (int64_t t = 0; t < dc; t++) {
          cnt[(int64_t)f * L + p->level_off[t] + ci[t]] -= 1.0;
          cnt[(int64_t)g * L + p->level_off[t] + ci[t]] += 1.0;
        }
      }
    } else if (a->update) {
      const double *wb = p->w != NULL ? p->w + i0 : NULL;
      double *wsum = partial + a->off_w;
      if (dn > 0)
        p->kern->accumulate_f64(m, dn, xb, p->ldx, lab, wb, partial, dn, wsum);
      else
        for (int64_t r = 0; r < m; r++) wsum[lab[r]] += wb != NULL ? wb[r] : 1.0;
      double *cnt = partial + a->off_cnt;
      for (int64_t r = 0; r < m; r++) {
        const int32_t *ci = cb + r * p->ldc;
        double *row = cnt + (int64_t)lab[r] * L;
        const double w = wb != NULL ? wb[r] : 1.0;
        for (int64_t t = 0; t < dc; t++) row[p->level_off[t] + ci[t]] += w;
      }
    }
  }
  partial[a->off_cost] = cost;
  partial[a->off_cost + 1] = changes;
}

/* Packed prototypes for the kernel: numeric panels and mode panels (kernels.h). */
typedef struct kp_packed {
  double *num;
  int32_t *modes;
} kp_packed;

static strata_status packed_alloc(const kp_problem *p, kp_packed *pk) {
  strata_status st = STRATA_OK;
  memset(pk, 0, sizeof *pk);
  STRATA_TRY(strata_alloc(p->ctx, strata_k_packed_len_f64(p->k, p->dn), sizeof(double),
                          "packed prototypes", (void **)&pk->num));
  STRATA_TRY(strata_alloc(p->ctx, strata_k_packed_modes_len(p->k, p->dc) + 1, sizeof(int32_t),
                          "packed modes", (void **)&pk->modes));
cleanup:
  return st;
}

static void packed_fill(const kp_problem *p, const double *centers, const int32_t *modes,
                        kp_packed *pk) {
  strata_k_pack_centers_f64(p->k, p->dn, centers, p->dn, pk->num);
  strata_k_pack_modes(p->k, p->dc, modes, p->dc, pk->modes);
}

static void packed_free(kp_packed *pk) {
  strata_free(pk->num);
  strata_free(pk->modes);
}

/* One pass of `a` (its layout offsets filled here); `sum` receives the summed partials. */
static strata_status run_pass(kp_pass *a, double *sum) {
  const kp_problem *p = a->p;
  a->off_w = a->off_cnt = a->off_cost = 0;
  if (a->update) {
    a->off_w = (size_t)(p->k * p->dn);
    a->off_cnt = a->off_w + (size_t)p->k;
    a->off_cost = a->off_cnt + (size_t)(p->k * p->n_levels);
  }
  return strata_for_blocks(p->ctx, "iterate", p->n, KP_BLOCK_ROWS, a->off_cost + 2, pass_block, a,
                           sum);
}

strata_status kp_assign_all(const kp_problem *p, const double *centers, const int32_t *modes,
                            int32_t *labels, double *row_cost, double *total) {
  strata_status st = STRATA_OK;
  kp_packed pk = {0};
  double sum[2];
  STRATA_TRY(packed_alloc(p, &pk));
  packed_fill(p, centers, modes, &pk);
  kp_pass a = {0};
  a.p = p;
  a.packed = pk.num;
  a.pmodes = pk.modes;
  a.labels = labels;
  a.row_cost = row_cost;
  STRATA_TRY(run_pass(&a, sum));
  *total = sum[0];
cleanup:
  packed_free(&pk);
  return st;
}

/* ---- the rows of largest weighted cost, for re-seeding empty clusters */

typedef struct kp_far {
  const kp_problem *p;
  const kp_packed *pk;
  int64_t e;
  double *val; /* per block: e best values, descending */
  int64_t *row;
} kp_far;

/* Keeps (v, i) in the descending top-e list of a block; ties keep the lower row first, and
 * rows come in increasing order, so a later equal value goes behind. */
static void top_insert(double *val, int64_t *row, int64_t e, double v, int64_t i) {
  if (!(v > val[e - 1]) && row[e - 1] >= 0) return;
  int64_t s = e - 1;
  while (s > 0 && (row[s - 1] < 0 || v > val[s - 1])) {
    val[s] = val[s - 1];
    row[s] = row[s - 1];
    s--;
  }
  val[s] = v;
  row[s] = i;
}

static void far_block(void *arg, int64_t b, int64_t begin, int64_t end, double *partial) {
  (void)partial;
  const kp_far *a = arg;
  const kp_problem *p = a->p;
  double *val = a->val + b * a->e;
  int64_t *row = a->row + b * a->e;
  for (int64_t s = 0; s < a->e; s++) {
    val[s] = -HUGE_VAL;
    row[s] = -1;
  }
  int32_t lab[KP_CHUNK];
  double c[KP_CHUNK];
  for (int64_t i0 = begin; i0 < end; i0 += KP_CHUNK) {
    const int64_t m = end - i0 < KP_CHUNK ? end - i0 : KP_CHUNK;
    const double *xb = p->dn > 0 ? p->x + i0 * p->ldx : p->x;
    const int32_t *cb = p->dc > 0 ? p->codes + i0 * p->ldc : p->codes;
    p->kern->mixed_argmin_f64(m, p->dn, p->dc, p->k, xb, p->ldx, cb, p->ldc, a->pk->num,
                              a->pk->modes, p->gamma, lab, c, NULL);
    for (int64_t r = 0; r < m; r++) {
      const double v = p->w != NULL ? p->w[i0 + r] * c[r] : c[r];
      top_insert(val, row, a->e, v, i0 + r);
    }
  }
}

static strata_status farthest_packed(const kp_problem *p, const kp_packed *pk, int64_t e,
                                     int64_t *rows) {
  strata_status st = STRATA_OK;
  const int64_t nb = strata_block_count(p->n, KP_BLOCK_ROWS);
  kp_far a = {p, pk, e, NULL, NULL};
  double *val = NULL;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(nb * e), sizeof(double), "re-seeding candidates",
                          (void **)&a.val));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(nb * e), sizeof(int64_t), "re-seeding candidates",
                          (void **)&a.row));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)e, sizeof(double), "re-seeding", (void **)&val));
  STRATA_TRY(strata_for_blocks(p->ctx, "iterate", p->n, KP_BLOCK_ROWS, 0, far_block, &a, NULL));
  for (int64_t s = 0; s < e; s++) {
    val[s] = -HUGE_VAL;
    rows[s] = -1;
  }
  /* Blocks in order, rows in order within each: the merged list keeps the lowest row first
   * among equal values, whatever thread found them. */
  for (int64_t b = 0; b < nb; b++)
    for (int64_t s = 0; s < e && a.row[b * e + s] >= 0; s++)
      top_insert(val, rows, e, a.val[b * e + s], a.row[b * e + s]);
cleanup:
  strata_free(a.val);
  strata_free(a.row);
  strata_free(val);
  return st;
}

strata_status kp_farthest_rows(const kp_problem *p, const double *centers, const int32_t *modes,
                               int64_t e, int64_t *rows) {
  strata_status st = STRATA_OK;
  kp_packed pk = {0};
  STRATA_TRY(packed_alloc(p, &pk));
  packed_fill(p, centers, modes, &pk);
  STRATA_TRY(farthest_packed(p, &pk, e, rows));
cleanup:
  packed_free(&pk);
  return st;
}

/* ---- the iterations */

strata_status kp_lloyd(const kp_problem *p, kp_run *run) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, dn = p->dn, dc = p->dc, L = p->n_levels;
  const size_t len = (size_t)(k * dn + k + k * L + 2);
  kp_packed pk = {0};
  double *sum = NULL, *old_c = NULL, *tot = NULL;
  int32_t *old_m = NULL;
  int64_t *empty = NULL, *rows = NULL;
  double *shift = NULL;
  kp_pass a = {0};
  a.p = p;
  a.labels = run->labels;
  a.update = 1;
  a.centers = run->centers;
  a.modes = run->modes;
  a.eta = (double)(2 * dn + 16) * 0x1.0p-52;
  STRATA_TRY(packed_alloc(p, &pk));
  a.packed = pk.num;
  a.pmodes = pk.modes;
  if (p->bounds) {
    STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(double), "upper bounds", (void **)&a.u));
    STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(double), "lower bounds", (void **)&a.l));
    STRATA_TRY(
        strata_alloc(p->ctx, (size_t)k, sizeof(double), "prototype shifts", (void **)&shift));
    a.shift = shift;
  }
  STRATA_TRY(strata_alloc(p->ctx, len, sizeof(double), "k-prototypes sums", (void **)&sum));
  STRATA_TRY(strata_alloc(p->ctx, len, sizeof(double), "kept sums", (void **)&tot));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * dn + 1), sizeof(double), "previous prototypes",
                          (void **)&old_c));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * dc + 1), sizeof(int32_t), "previous modes",
                          (void **)&old_m));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)k, sizeof(int64_t), "empty clusters", (void **)&empty));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)k, sizeof(int64_t), "re-seeding rows", (void **)&rows));
  /* No label yet: the first pass counts every row as changed. */
  for (int64_t i = 0; i < p->n; i++) run->labels[i] = -1;
  run->converged = 0;
  run->n_iter = 0;
  for (int it = 1; it <= p->max_iter; it++) {
    packed_fill(p, run->centers, run->modes, &pk);
    a.first = it == 1;
    /* Kept sums for unweighted fits after the first pass (every label then exists): a pass
     * sends only the changed rows' moves, added to the totals in block order, so the
     * result is still the same for any thread count, and plain and bounded runs, taking the
     * same update, stay identical. Weighted fits sum in full: a weight's minus and plus need
     * not cancel to an exact zero, and an empty cluster must read as empty. */
    a.deltas = p->w == NULL && it > 1;
    STRATA_TRY(run_pass(&a, sum));
    run->n_iter = it;
    if (a.deltas)
      for (size_t q = 0; q + 2 < len; q++) tot[q] += sum[q];
    else
      memcpy(tot, sum, (len - 2) * sizeof(double));
    const double *wsum = tot + k * dn, *cnt = tot + k * dn + k;
    const double cost = sum[len - 2], changes = sum[len - 1];
    memcpy(old_c, run->centers, (size_t)(k * dn) * sizeof(double));
    memcpy(old_m, run->modes, (size_t)(k * dc) * sizeof(int32_t));
    int64_t n_empty = 0;
    for (int64_t j = 0; j < k; j++) {
      if (!(wsum[j] > 0.0)) {
        empty[n_empty++] = j;
        continue;
      }
      for (int64_t t = 0; t < dn; t++) run->centers[j * dn + t] = tot[j * dn + t] / wsum[j];
      for (int64_t t = 0; t < dc; t++) {
        const double *ct = cnt + j * L + p->level_off[t];
        int32_t best = 0;
        for (int32_t v = 1; v < p->levels[t]; v++)
          if (ct[v] > ct[best]) best = v; /* strict: the smallest code on a tie */
        run->modes[j * dc + t] = best;
      }
    }
    if (n_empty > 0) {
      /* The rows farthest from the prototypes they were just assigned to (the pass's costs,
       * recomputed with the same kernel), one distinct row per empty cluster. */
      STRATA_TRY(farthest_packed(p, &pk, n_empty, rows));
      for (int64_t s = 0; s < n_empty; s++) {
        const int64_t j = empty[s], i = rows[s];
        if (dn > 0) memcpy(run->centers + j * dn, p->x + i * p->ldx, (size_t)dn * sizeof(double));
        if (dc > 0)
          memcpy(run->modes + j * dc, p->codes + i * p->ldc, (size_t)dc * sizeof(int32_t));
      }
    }
    run->cost = cost;
    if (p->bounds) {
      /* The shifts in D, rounded up, and the two largest (the first on a tie). */
      a.s1 = a.s2 = 0.0;
      a.jmax = 0;
      for (int64_t j = 0; j < k; j++) {
        double acc = 0.0;
        for (int64_t t = 0; t < dn; t++) {
          const double e = run->centers[j * dn + t] - old_c[j * dn + t];
          acc += e * e;
        }
        int32_t mis = 0;
        for (int64_t t = 0; t < dc; t++) mis += run->modes[j * dc + t] != old_m[j * dc + t];
        shift[j] = up(sqrt((acc + p->gamma * (double)mis) * (1.0 + a.eta)));
        if (shift[j] > a.s1) {
          a.s2 = a.s1;
          a.s1 = shift[j];
          a.jmax = j;
        } else if (shift[j] > a.s2) {
          a.s2 = shift[j];
        }
      }
    }
    /* Converged when no label moved and so the prototypes are the ones just assigned to:
     * then the pass's labels and cost belong to the returned prototypes. */
    if (changes == 0.0 && n_empty == 0 &&
        memcmp(old_c, run->centers, (size_t)(k * dn) * sizeof(double)) == 0 &&
        memcmp(old_m, run->modes, (size_t)(k * dc) * sizeof(int32_t)) == 0) {
      run->converged = 1;
      break;
    }
  }
  /* Unconverged, a final assignment to the returned prototypes; bounded, the same pass for the
   * cost, which skipped rows did not compute (labels unchanged: they are the kernel's). */
  if (!run->converged || p->bounds)
    STRATA_TRY(kp_assign_all(p, run->centers, run->modes, run->labels, NULL, &run->cost));
cleanup:
  strata_free(a.u);
  strata_free(a.l);
  strata_free(shift);
  packed_free(&pk);
  strata_free(sum);
  strata_free(tot);
  strata_free(old_c);
  strata_free(old_m);
  strata_free(empty);
  strata_free(rows);
  return st;
}
