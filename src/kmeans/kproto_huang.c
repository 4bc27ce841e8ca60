/*
 * Huang's online k-prototypes (Huang 1997/1998) exactly as the Python kmodes package 0.12.2
 * runs KPrototypes from given initial prototypes (kmodes/kprototypes.py, _k_prototypes_single
 * and _k_prototypes_iter; kmodes/kmodes.py, _move_point_cat; kmodes/util, get_max_value_key),
 * rewritten from its description:
 *
 *  1. one pass assigning each row to its nearest initial prototype, adding it into the
 *     cluster's numeric sums, member weight and level counts, without moving the prototypes;
 *  2. prototypes from those sums (means; modes = most frequent level, the smallest code on a
 *     tie) and the cost of a full assignment;
 *  3. iterations: each row in turn goes to its nearest prototype (the first minimum); when it
 *     moves, the sums and counts of both clusters change at once, both clusters' means are
 *     recomputed, the receiving cluster's mode of a column becomes the row's code when that
 *     code's count now exceeds the mode's, and the losing cluster's mode of a column is
 *     recomputed when it was the row's code; a cluster left empty takes a row of the largest
 *     cluster. After each pass the cost of a full assignment; converged when no row moved or
 *     the cost did not decrease.
 *
 * kmodes' own arithmetic is kept where it shows in the results: the numeric cost as a plain
 * sum of squares in column order (numpy's sum for the few columns of the fixtures), the total
 * as num + gamma * mismatches (two roundings), the cost summed in row order; the member
 * weight grows by the weight in step 1 but by 1 per move (so are kmodes' weighted runs), and
 * the row moved into an emptied cluster carries the moving row's weight, with neither
 * cluster's means recomputed until a later move touches them. Where kmodes draws from numpy's
 * RNG (a random member of the largest cluster; a new random initialisation when step 1
 * leaves a cluster empty) this takes the member with the largest cost to its prototype,
 * lowest index on a tie: the fixtures avoid those paths.
 *
 * Sequential by nature (each move changes the prototypes the next row sees); cost
 * O(n k (dn + dc)) per pass plus O(levels) per mode recomputation.
 */
#include <math.h>
#include <string.h>

#include "kmeans/kproto.h"

typedef struct kp_state {
  const kp_problem *p;
  double *centers;
  int32_t *modes;
  int32_t *memb;  /* n: current cluster of each row (kmodes' membship) */
  double *sums;   /* k x dn */
  double *msum;   /* k: kmodes' cl_memb_sum */
  int64_t *count; /* k: members (kmodes' membship.sum(axis=1)) */
  double *freq;   /* k x n_levels: kmodes' cl_attr_freq */
} kp_state;

/* kmodes' cost of row i against prototype j. */
static double pair_cost(const kp_state *h, int64_t i, int64_t j) {
  const kp_problem *p = h->p;
  double num = 0.0;
  if (p->dn > 0) {
    const double *xi = p->x + i * p->ldx, *c = h->centers + j * p->dn;
    for (int64_t t = 0; t < p->dn; t++) {
      const double e = xi[t] - c[t];
      const double e2 = e * e; /* apart: no contraction into an fma */
      num += e2;
    }
  }
  int64_t mis = 0;
  if (p->dc > 0) {
    const int32_t *ci = p->codes + i * p->ldc, *m = h->modes + j * p->dc;
    for (int64_t t = 0; t < p->dc; t++) mis += ci[t] != m[t];
  }
  const double cat = p->gamma * (double)mis;
  return num + cat;
}

/* np.argmin: the first minimum. */
static int32_t nearest(const kp_state *h, int64_t i, double *cost) {
  int32_t best = 0;
  double b = pair_cost(h, i, 0);
  for (int64_t j = 1; j < h->p->k; j++) {
    const double v = pair_cost(h, i, j);
    if (v < b) {
      b = v;
      best = (int32_t)j;
    }
  }
  if (cost != NULL) *cost = b;
  return best;
}

/* get_max_value_key over one column's counts: the smallest code among the maxima. */
static int32_t mode_of(const double *counts, int32_t levels) {
  int32_t best = 0;
  for (int32_t v = 1; v < levels; v++)
    if (counts[v] > counts[best]) best = v;
  return best;
}

/* labels_cost: the full assignment and its cost, summed in row order. */
static double labels_cost(const kp_state *h, int32_t *labels) {
  const kp_problem *p = h->p;
  double cost = 0.0;
  for (int64_t i = 0; i < p->n; i++) {
    double c;
    labels[i] = nearest(h, i, &c);
    if (p->w != NULL) {
      const double wc = c * p->w[i];
      cost += wc;
    } else {
      cost += c;
    }
  }
  return cost;
}

/* _move_point_num and _move_point_cat: row i from cluster `from` to `to` with weight w. */
static void move_row(kp_state *h, int64_t i, int32_t to, int32_t from, double w) {
  const kp_problem *p = h->p;
  const int64_t dn = p->dn, L = p->n_levels;
  if (dn > 0) {
    const double *xi = p->x + i * p->ldx;
    for (int64_t t = 0; t < dn; t++) {
      const double v = xi[t] * w;
      h->sums[to * dn + t] += v;
      h->sums[from * dn + t] -= v;
    }
  }
  h->msum[to] += 1.0;
  h->msum[from] -= 1.0;
  h->memb[i] = to;
  h->count[to]++;
  h->count[from]--;
  for (int64_t t = 0; t < p->dc; t++) {
    const int32_t code = p->codes[i * p->ldc + t];
    double *tc = h->freq + to * L + p->level_off[t], *fc = h->freq + from * L + p->level_off[t];
    int32_t *tm = h->modes + to * p->dc + t, *fm = h->modes + from * p->dc + t;
    tc[code] += w;
    if (tc[*tm] < tc[code]) *tm = code;
    fc[code] -= w;
    if (*fm == code) *fm = mode_of(fc, p->levels[t]);
  }
}

/* The member of cluster `from` with the largest cost to its prototype (lowest index on a
 * tie): stands in for kmodes' random choice. */
static int64_t costliest_member(const kp_state *h, int32_t from) {
  int64_t row = -1;
  double best = -HUGE_VAL;
  for (int64_t i = 0; i < h->p->n; i++) {
    if (h->memb[i] != from) continue;
    const double c = pair_cost(h, i, from);
    if (c > best) {
      best = c;
      row = i;
    }
  }
  return row;
}

/* The largest cluster by members, the first on a tie (argmax). */
static int32_t largest(const kp_state *h) {
  int32_t b = 0;
  for (int64_t j = 1; j < h->p->k; j++)
    if (h->count[j] > h->count[b]) b = (int32_t)j;
  return b;
}

strata_status kp_huang(const kp_problem *p, kp_run *run) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, dn = p->dn, dc = p->dc, L = p->n_levels;
  kp_state h = {p, run->centers, run->modes, NULL, NULL, NULL, NULL, NULL};
  const double t0 = strata_now();
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(int32_t), "memberships", (void **)&h.memb));
  STRATA_TRY(strata_calloc(p->ctx, (size_t)(k * dn + 1), sizeof(double), "cluster sums",
                           (void **)&h.sums));
  STRATA_TRY(strata_calloc(p->ctx, (size_t)k, sizeof(double), "cluster weights", (void **)&h.msum));
  STRATA_TRY(strata_calloc(p->ctx, (size_t)k, sizeof(int64_t), "cluster sizes", (void **)&h.count));
  STRATA_TRY(
      strata_calloc(p->ctx, (size_t)(k * L + 1), sizeof(double), "level counts", (void **)&h.freq));
  /* 1. Assignment to the initial prototypes, no updates. */
  for (int64_t i = 0; i < p->n; i++) {
    const double w = p->w != NULL ? p->w[i] : 1.0;
    const int32_t j = nearest(&h, i, NULL);
    h.memb[i] = j;
    h.count[j]++;
    h.msum[j] += w;
    for (int64_t t = 0; t < dn; t++) {
      const double v = p->x[i * p->ldx + t] * w;
      h.sums[j * dn + t] += v;
    }
    for (int64_t t = 0; t < dc; t++)
      h.freq[j * L + p->level_off[t] + p->codes[i * p->ldc + t]] += w;
  }
  /* A cluster that attracted no row (kmodes retries a random initialisation): the costliest
   * member of the largest cluster moves in, with its weight, as step 1 would have added it. */
  for (int64_t j = 0; j < k; j++) {
    if (h.count[j] > 0) continue;
    const int32_t from = largest(&h);
    const int64_t i = costliest_member(&h, from);
    const double w = p->w != NULL ? p->w[i] : 1.0;
    for (int64_t t = 0; t < dn; t++) {
      const double v = p->x[i * p->ldx + t] * w;
      h.sums[j * dn + t] += v;
      h.sums[from * dn + t] -= v;
    }
    for (int64_t t = 0; t < dc; t++) {
      const int64_t o = p->level_off[t] + p->codes[i * p->ldc + t];
      h.freq[j * L + o] += w;
      h.freq[from * L + o] -= w;
    }
    h.msum[j] += w;
    h.msum[from] -= w;
    h.count[j]++;
    h.count[from]--;
    h.memb[i] = (int32_t)j;
  }
  /* 2. Prototypes from the first assignment. */
  for (int64_t j = 0; j < k; j++) {
    for (int64_t t = 0; t < dn; t++) run->centers[j * dn + t] = h.sums[j * dn + t] / h.msum[j];
    for (int64_t t = 0; t < dc; t++)
      run->modes[j * dc + t] = mode_of(h.freq + j * L + p->level_off[t], p->levels[t]);
  }
  double cost = labels_cost(&h, run->labels);
  int itr = 0, converged = 0;
  /* 3. Online iterations. */
  while (itr < p->max_iter && !converged) {
    itr++;
    int64_t moves = 0;
    for (int64_t i = 0; i < p->n; i++) {
      const double w = p->w != NULL ? p->w[i] : 1.0;
      const int32_t to = nearest(&h, i, NULL);
      if (to == h.memb[i]) continue;
      moves++;
      const int32_t from = h.memb[i];
      move_row(&h, i, to, from, w);
      for (int64_t t = 0; t < dn; t++) {
        const int32_t cc[2] = {to, from};
        for (int s = 0; s < 2; s++) {
          const int32_t c = cc[s];
          run->centers[c * dn + t] = h.msum[c] != 0.0 ? h.sums[c * dn + t] / h.msum[c] : 0.0;
        }
      }
      if (h.msum[from] == 0.0) {
        const int32_t big = largest(&h);
        const int64_t r = costliest_member(&h, big);
        move_row(&h, r, from, big, w);
      }
    }
    const double ncost = labels_cost(&h, run->labels);
    converged = moves == 0 || ncost >= cost;
    cost = ncost;
  }
  run->cost = cost;
  run->n_iter = itr;
  run->converged = converged;
  strata_phase_add(p->ctx, "iterate", strata_now() - t0);
cleanup:
  strata_free(h.memb);
  strata_free(h.sums);
  strata_free(h.msum);
  strata_free(h.count);
  strata_free(h.freq);
  return st;
}
