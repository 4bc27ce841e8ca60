/*
 * test_kproto.c — k-prototypes (src/kmeans/kproto.h) and its assignment kernel.
 *
 *  - the mixed argmin kernel of every ISA equals the reference bit for bit (labels, costs,
 *    second costs) over awkward shapes (dn around the vector widths, dc 0..6, k 1..70),
 *    unaligned pointers, leading dimensions > d, and data full of exact ties; the reference
 *    against a plain double computation of the cost and its definition of a tie;
 *  - LLOYD equals a brute-force batch k-prototypes written out below (same init, the same
 *    cost definition, sums in row order, which the fit's block sums equal below 8192 rows),
 *    including the re-seeding of an empty cluster;
 *  - converged LLOYD prototypes are the exact means and modes of their labels, and every
 *    row's label is its nearest prototype;
 *  - 1 and 2 threads give bit-identical fits (seeded, several blocks) and assignments;
 *  - HUANG equals the Python kmodes package 0.12.2 on the committed fixtures
 *    (tests/golden/kproto, README there): labels and modes exactly, prototypes to 1e-12,
 *    cost to 1e-12 relative, the same iteration count;
 *  - the default gamma is 0.5 x the mean population sd; bad input is refused with messages
 *    that name the row and column.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "core/rng.h"
#include "kernels.h"
#include "kmeans/kproto.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void *xmalloc(size_t bytes) {
  void *p = malloc(bytes == 0 ? 1 : bytes);
  assert_non_null(p);
  return p;
}

static double unif(uint64_t seed, uint32_t stream, uint64_t index) {
  strata_rng g;
  strata_rng_init(&g, seed, stream, index);
  return strata_rng_uniform(&g);
}

/* ------------------------------------------------------------------ test data */

typedef struct mixed_data {
  double *num;
  int32_t *codes;
  int32_t levels[8];
  strata_mixed view;
} mixed_data;

/* n rows around `blobs` centres: numeric unit noise around centres in [-4, 4], codes that
 * follow the blob with probability 0.7. `grid` > 0 rounds the numbers to multiples of 1/grid
 * (ties galore). */
static void make_data(mixed_data *m, int64_t n, int64_t dn, int64_t dc, int blobs, uint64_t seed,
                      double grid) {
  memset(m, 0, sizeof *m);
  m->num = xmalloc((size_t)(n * dn) * sizeof(double));
  m->codes = xmalloc((size_t)(n * dc) * sizeof(int32_t));
  for (int64_t t = 0; t < dc; t++) m->levels[t] = (int32_t)(2 + (t * 3) % 5);
  for (int64_t i = 0; i < n; i++) {
    const int b = (int)(unif(seed, 1, (uint64_t)i) * blobs);
    for (int64_t t = 0; t < dn; t++) {
      const double c = (unif(seed, 2, (uint64_t)(b * 64 + t)) * 2.0 - 1.0) * 4.0;
      double v = c + (unif(seed, 3, (uint64_t)(i * 64 + t)) * 2.0 - 1.0) * 1.7;
      if (grid > 0) v = round(v * grid) / grid;
      m->num[i * dn + t] = v;
    }
    for (int64_t t = 0; t < dc; t++) {
      const int32_t L = m->levels[t];
      const int follow = unif(seed, 4, (uint64_t)(i * 8 + t)) < 0.7;
      m->codes[i * dc + t] =
          follow ? (int32_t)(b % L) : (int32_t)(unif(seed, 5, (uint64_t)(i * 8 + t)) * L);
    }
  }
  m->view = (strata_mixed){m->num, dn, m->codes, dc, m->levels, n, dn, dc};
}

static void free_data(mixed_data *m) {
  free(m->num);
  free(m->codes);
}

/* ------------------------------------------------------------------ kernel */

/* The cost as kernels.h defines it, written independently of the packed layout. */
static double spec_cost(int64_t dn, int64_t dc, const double *x, const int32_t *c,
                        const double *ctr, const int32_t *mode, double gamma) {
  double acc = 0.0;
  for (int64_t t = 0; t < dn; t++) acc = fma(x[t] - ctr[t], x[t] - ctr[t], acc);
  int m = 0;
  for (int64_t t = 0; t < dc; t++) m += c[t] != mode[t];
  return fma(gamma, (double)m, acc);
}

static void test_kernel_variants_match_ref(void **state) {
  (void)state;
  static const int64_t dns[] = {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 130};
  static const int64_t ns[] = {1, 2, 5, 13};
  const strata_kernels *tables[STRATA_ISA_COUNT];
  int nt = 0;
  /* ref too, for its gathered form (its contiguous form is the oracle). */
  for (int isa = STRATA_ISA_REF; isa < STRATA_ISA_COUNT; isa++) {
    const strata_kernels *kt = strata_kernels_for((strata_isa)isa);
    if (kt != NULL) tables[nt++] = kt;
  }
  const int64_t nmax = 13, dnmax = 130, dcmax = 6, kmax = 70, pad = 3;
  /* One element past an aligned start: every row and table is misaligned for AVX. */
  double *xbuf = xmalloc((size_t)(nmax * (dnmax + pad) + 1) * sizeof(double));
  int32_t *cbuf = xmalloc((size_t)(nmax * (dcmax + pad) + 1) * sizeof(int32_t));
  double *ctr = xmalloc((size_t)(kmax * dnmax + 1) * sizeof(double));
  int32_t *mode = xmalloc((size_t)(kmax * dcmax + 1) * sizeof(int32_t));
  double *packed = xmalloc((strata_k_packed_len_f64(kmax, dnmax) + 1) * sizeof(double));
  int32_t *pmodes = xmalloc((strata_k_packed_modes_len(kmax, dcmax) + 1) * sizeof(int32_t));
  int32_t lr[16], lv[16];
  double cr[16], cv[16], c2r[16], c2v[16];
  int checked = 0;
  for (size_t a = 0; a < COUNT(dns); a++)
    for (int64_t dc = 0; dc <= dcmax; dc++) {
      const int64_t dn = dns[a];
      if (dn == 0 && dc == 0) continue;
      for (int64_t k = 1; k <= kmax; k++) {
        const int64_t n = ns[(k + dc) % COUNT(ns)];
        const int64_t ldx = dn + (k % 2) * pad, ldc = dc + (k % 3 == 0) * pad;
        const uint64_t seed = (uint64_t)(a * 1000 + dc * 100 + k);
        /* Values on a coarse grid, and prototypes that copy rows: exact ties of cost. */
        double *x = xbuf + 1;
        int32_t *codes = cbuf + 1;
        for (int64_t i = 0; i < n * ldx; i++) x[i] = round(unif(seed, 1, (uint64_t)i) * 6) - 3;
        for (int64_t i = 0; i < n * ldc; i++) codes[i] = (int32_t)(unif(seed, 2, (uint64_t)i) * 3);
        for (int64_t j = 0; j < k; j++) {
          const int64_t src = j % (n + 1);
          for (int64_t t = 0; t < dn; t++)
            ctr[j * dn + t] = src < n ? x[src * ldx + t] : round(unif(seed, 3, j * 99 + t) * 6) - 3;
          for (int64_t t = 0; t < dc; t++)
            mode[j * dc + t] = (int32_t)(unif(seed, 4, (uint64_t)(j * 99 + t)) * 3);
        }
        const double gamma = (k % 4) * 0.75;
        strata_k_pack_centers_f64(k, dn, ctr, dn, packed + 1);
        strata_k_pack_modes(k, dc, mode, dc, pmodes + 1);
        strata_k_mixed_argmin_f64_ref(n, dn, dc, k, x, ldx, codes, ldc, packed + 1, pmodes + 1,
                                      gamma, lr, cr, c2r);
        /* The reference against the definition: first minimum, second smallest. */
        for (int64_t i = 0; i < n; i++) {
          double b1 = HUGE_VAL, b2 = HUGE_VAL;
          int32_t bl = 0;
          for (int64_t j = 0; j < k; j++) {
            const double v =
                spec_cost(dn, dc, x + i * ldx, codes + i * ldc, ctr + j * dn, mode + j * dc, gamma);
            if (v < b1) {
              b2 = b1;
              b1 = v;
              bl = (int32_t)j;
            } else if (v < b2) {
              b2 = v;
            }
          }
          assert_int_equal(lr[i], bl);
          assert_true(cr[i] == b1);
          assert_true(c2r[i] == b2);
        }
        for (int v = 0; v < nt; v++) {
          tables[v]->mixed_argmin_f64(n, dn, dc, k, x, ldx, codes, ldc, packed + 1, pmodes + 1,
                                      gamma, lv, cv, c2v);
          for (int64_t i = 0; i < n; i++) {
            if (lv[i] != lr[i] || memcmp(&cv[i], &cr[i], sizeof(double)) != 0 ||
                memcmp(&c2v[i], &c2r[i], sizeof(double)) != 0)
              fail_msg(
                  "%s: dn %lld dc %lld k %lld row %lld: label %d/%d cost %.17g/%.17g "
                  "second %.17g/%.17g",
                  tables[v]->name, (long long)dn, (long long)dc, (long long)k, (long long)i, lv[i],
                  lr[i], cv[i], cr[i], c2v[i], c2r[i]);
          }
          /* The gathered form on the rows in reverse order. */
          int64_t rows[16];
          for (int64_t i = 0; i < n; i++) rows[i] = n - 1 - i;
          tables[v]->mixed_argmin_rows_f64(n, rows, dn, dc, k, x, ldx, codes, ldc, packed + 1,
                                           pmodes + 1, gamma, lv, cv, c2v);
          for (int64_t i = 0; i < n; i++) {
            const int64_t q = rows[i];
            if (lv[i] != lr[q] || memcmp(&cv[i], &cr[q], sizeof(double)) != 0 ||
                memcmp(&c2v[i], &c2r[q], sizeof(double)) != 0)
              fail_msg("%s rows: dn %lld dc %lld k %lld row %lld", tables[v]->name, (long long)dn,
                       (long long)dc, (long long)k, (long long)q);
          }
          /* cost and cost2 may be NULL: the labels stay the same. */
          tables[v]->mixed_argmin_f64(n, dn, dc, k, x, ldx, codes, ldc, packed + 1, pmodes + 1,
                                      gamma, lv, NULL, NULL);
          for (int64_t i = 0; i < n; i++) assert_int_equal(lv[i], lr[i]);
          checked++;
        }
      }
    }
  assert_true(checked > 1000);
  free(xbuf);
  free(cbuf);
  free(ctr);
  free(mode);
  free(packed);
  free(pmodes);
}

/* A tie between prototypes 2 and 5 (identical) goes to 2, in every ISA; k = 1 gives an
 * infinite second cost. */
static void test_kernel_ties_lowest_index(void **state) {
  (void)state;
  const int64_t dn = 3, dc = 2, k = 9;
  double x[3] = {1.0, 2.0, 3.0}, ctr[27];
  int32_t codes[2] = {1, 0}, mode[18];
  for (int64_t j = 0; j < k; j++) {
    for (int64_t t = 0; t < dn; t++) ctr[j * dn + t] = x[t] + 1.0 + (double)j;
    mode[j * dc] = 0;
    mode[j * dc + 1] = 0;
  }
  for (int64_t t = 0; t < dn; t++) ctr[2 * dn + t] = ctr[5 * dn + t] = x[t] + 0.5;
  double packed[2 * (3 + 2) * 8]; /* two panels of dn + 2 columns */
  int32_t pmodes[2 * 2 * 8];
  strata_k_pack_centers_f64(k, dn, ctr, dn, packed);
  strata_k_pack_modes(k, dc, mode, dc, pmodes);
  for (int isa = 0; isa < STRATA_ISA_COUNT; isa++) {
    const strata_kernels *kt = strata_kernels_for((strata_isa)isa);
    if (kt == NULL) continue;
    int32_t l;
    double c, c2;
    kt->mixed_argmin_f64(1, dn, dc, k, x, dn, codes, dc, packed, pmodes, 2.0, &l, &c, &c2);
    assert_int_equal(l, 2);
    assert_true(c == 3 * 0.25 + 2.0);
    assert_true(c2 == c);
  }
  /* k = 1, packed for k = 1 (padding lanes beyond it). */
  strata_k_pack_centers_f64(1, dn, ctr + 2 * dn, dn, packed);
  strata_k_pack_modes(1, dc, mode, dc, pmodes);
  for (int isa = 0; isa < STRATA_ISA_COUNT; isa++) {
    const strata_kernels *kt = strata_kernels_for((strata_isa)isa);
    if (kt == NULL) continue;
    int32_t l = -1;
    double c, c2 = 0;
    kt->mixed_argmin_f64(1, dn, dc, 1, x, dn, codes, dc, packed, pmodes, 2.0, &l, &c, &c2);
    assert_int_equal(l, 0);
    assert_true(c == 3 * 0.25 + 2.0);
    assert_true(isinf(c2));
  }
}

/* ------------------------------------------------------------------ brute-force Lloyd */

typedef struct bf_result {
  double *ctr;
  int32_t *mode;
  int32_t *label;
  double cost;
  int n_iter, converged;
} bf_result;

/* Batch k-prototypes written out plainly: all costs, first minimum, an empty cluster
 * re-seeded with the row of largest cost (lowest index, distinct rows) as kproto.h states,
 * convergence when nothing changes. The numeric sums follow the fit's documented arithmetic
 * for one block: the first pass sums rows in row order; later passes keep the sums and add
 * the changed rows' moves (minus at the old prototype, plus at the new, in row order, into a
 * zeroed delta); means = sums / members. Modes by direct counting. */
static void brute_lloyd(const mixed_data *m, int64_t k, double gamma, int max_iter,
                        const double *init_c, const int32_t *init_m, bf_result *r) {
  const int64_t n = m->view.n, dn = m->view.dn, dc = m->view.dc;
  r->ctr = xmalloc((size_t)(k * dn) * sizeof(double));
  r->mode = xmalloc((size_t)(k * dc) * sizeof(int32_t));
  r->label = xmalloc((size_t)n * sizeof(int32_t));
  double *cost = xmalloc((size_t)n * sizeof(double));
  int32_t *prev = xmalloc((size_t)n * sizeof(int32_t));
  double *tot = calloc((size_t)(k * dn + 1), sizeof(double));
  double *delta = xmalloc((size_t)(k * dn + 1) * sizeof(double));
  int64_t *members = calloc((size_t)k, sizeof(int64_t));
  memcpy(r->ctr, init_c, (size_t)(k * dn) * sizeof(double));
  memcpy(r->mode, init_m, (size_t)(k * dc) * sizeof(int32_t));
  for (int64_t i = 0; i < n; i++) r->label[i] = -1;
  r->converged = 0;
  for (int it = 1; it <= max_iter; it++) {
    int changes = 0;
    r->cost = 0.0;
    memcpy(prev, r->label, (size_t)n * sizeof(int32_t));
    for (int64_t i = 0; i < n; i++) {
      int32_t best = 0;
      double bc = HUGE_VAL;
      for (int64_t j = 0; j < k; j++) {
        const double v = spec_cost(dn, dc, m->num + i * dn, m->codes + i * dc, r->ctr + j * dn,
                                   r->mode + j * dc, gamma);
        if (v < bc) {
          bc = v;
          best = (int32_t)j;
        }
      }
      changes += best != r->label[i];
      r->label[i] = best;
      cost[i] = bc;
      r->cost += bc;
    }
    r->n_iter = it;
    memset(delta, 0, (size_t)(k * dn + 1) * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
      const int32_t f = prev[i], g = r->label[i];
      if (it == 1) {
        for (int64_t t = 0; t < dn; t++) delta[g * dn + t] += m->num[i * dn + t];
        members[g]++;
      } else if (f != g) {
        for (int64_t t = 0; t < dn; t++) {
          delta[f * dn + t] -= m->num[i * dn + t];
          delta[g * dn + t] += m->num[i * dn + t];
        }
        members[f]--;
        members[g]++;
      }
    }
    for (int64_t q = 0; q < k * dn; q++) tot[q] = it == 1 ? delta[q] : tot[q] + delta[q];
    double *old = xmalloc((size_t)(k * dn + 1) * sizeof(double));
    memcpy(old, r->ctr, (size_t)(k * dn) * sizeof(double));
    int empties = 0;
    int64_t *taken = xmalloc((size_t)k * sizeof(int64_t));
    for (int64_t j = 0; j < k; j++) {
      int64_t cnt = 0;
      for (int64_t i = 0; i < n; i++) cnt += r->label[i] == j;
      assert_int_equal(cnt, members[j]);
      for (int64_t t = 0; t < dn && cnt > 0; t++)
        r->ctr[j * dn + t] = tot[j * dn + t] / (double)cnt;
      if (cnt == 0) {
        /* Largest cost not taken yet, lowest row on a tie. */
        int64_t far = -1;
        for (int64_t i = 0; i < n; i++) {
          int used = 0;
          for (int e = 0; e < empties; e++) used |= taken[e] == i;
          if (!used && (far < 0 || cost[i] > cost[far])) far = i;
        }
        taken[empties++] = far;
        memcpy(r->ctr + j * dn, m->num + far * dn, (size_t)dn * sizeof(double));
        memcpy(r->mode + j * dc, m->codes + far * dc, (size_t)dc * sizeof(int32_t));
        continue;
      }
      for (int64_t t = 0; t < dc; t++) {
        int64_t bestc = -1;
        for (int32_t v = 0; v < m->levels[t]; v++) {
          int64_t c = 0;
          for (int64_t i = 0; i < n; i++) c += r->label[i] == j && m->codes[i * dc + t] == v;
          if (c > bestc) {
            bestc = c;
            r->mode[j * dc + t] = v;
          }
        }
      }
    }
    const int same = memcmp(old, r->ctr, (size_t)(k * dn) * sizeof(double)) == 0;
    free(old);
    free(taken);
    if (changes == 0 && empties == 0 && same) {
      r->converged = 1;
      break;
    }
  }
  if (!r->converged) {
    r->cost = 0.0;
    for (int64_t i = 0; i < n; i++) {
      int32_t best = 0;
      double bc = HUGE_VAL;
      for (int64_t j = 0; j < k; j++) {
        const double v = spec_cost(dn, dc, m->num + i * dn, m->codes + i * dc, r->ctr + j * dn,
                                   r->mode + j * dc, gamma);
        if (v < bc) {
          bc = v;
          best = (int32_t)j;
        }
      }
      r->label[i] = best;
      r->cost += bc;
    }
  }
  free(cost);
  free(prev);
  free(tot);
  free(delta);
  free(members);
}

static void bf_free(bf_result *r) {
  free(r->ctr);
  free(r->mode);
  free(r->label);
}

static strata_kproto *fit_or_fail(strata_ctx *ctx, const strata_mixed *x,
                                  const strata_kproto_params *p) {
  strata_kproto *m = NULL;
  strata_status st = strata_kproto_fit(ctx, x, p, &m);
  if (st != STRATA_OK) fail_msg("strata_kproto_fit: %s", strata_ctx_error(ctx));
  return m;
}

static void assert_same_as_brute(const strata_kproto *m, const bf_result *r, int64_t n) {
  const int64_t k = strata_kproto_k(m), dn = strata_kproto_dn(m), dc = strata_kproto_dc(m);
  assert_int_equal(strata_kproto_n_iter(m), r->n_iter);
  assert_int_equal(strata_kproto_converged(m), r->converged);
  assert_memory_equal(strata_kproto_labels(m), r->label, (size_t)n * sizeof(int32_t));
  assert_memory_equal(strata_kproto_centers(m), r->ctr, (size_t)(k * dn) * sizeof(double));
  if (dc > 0)
    assert_memory_equal(strata_kproto_modes(m), r->mode, (size_t)(k * dc) * sizeof(int32_t));
  /* The fit adds costs per block then blocks (one block here: the same order). */
  assert_true(strata_kproto_cost(m) == r->cost);
}

static void test_lloyd_equals_brute_force(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  struct {
    int64_t n, dn, dc, k;
    double gamma, grid;
    int max_iter;
  } cases[] = {{500, 3, 2, 4, 1.5, 0, 100}, {800, 7, 4, 6, 0.6, 0, 100},
               {300, 0, 5, 3, 1.0, 0, 100}, {400, 5, 0, 5, 1.0, 0, 100},
               {700, 2, 3, 7, 2.0, 2, 100}, {600, 9, 1, 5, 0.3, 0, 3}};
  for (size_t c = 0; c < COUNT(cases); c++) {
    mixed_data d;
    make_data(&d, cases[c].n, cases[c].dn, cases[c].dc, 5, 40 + c, cases[c].grid);
    const int64_t k = cases[c].k, dn = cases[c].dn, dc = cases[c].dc;
    double *ic = xmalloc((size_t)(k * dn) * sizeof(double));
    int32_t *im = xmalloc((size_t)(k * dc) * sizeof(int32_t));
    for (int64_t j = 0; j < k; j++) { /* rows 0, 7, 14, ... as initial prototypes */
      memcpy(ic + j * dn, d.num + j * 7 * dn, (size_t)dn * sizeof(double));
      memcpy(im + j * dc, d.codes + j * 7 * dc, (size_t)dc * sizeof(int32_t));
    }
    if (c == 1) { /* a duplicate prototype: cluster 3 starts empty and is re-seeded */
      memcpy(ic + 3 * dn, ic + 1 * dn, (size_t)dn * sizeof(double));
      memcpy(im + 3 * dc, im + 1 * dc, (size_t)dc * sizeof(int32_t));
    }
    strata_kproto_params p;
    strata_kproto_params_init(&p);
    p.k = k;
    p.gamma = cases[c].gamma;
    p.max_iter = cases[c].max_iter;
    p.init_numeric = dn > 0 ? ic : NULL;
    p.init_codes = dc > 0 ? im : NULL;
    bf_result r;
    brute_lloyd(&d, k, cases[c].gamma, cases[c].max_iter, ic, im, &r);
    /* Default, bounded and plain alike. */
    const strata_kproto_algorithm algs[] = {STRATA_KPROTO_LLOYD, STRATA_KPROTO_LLOYD_BOUNDED,
                                            STRATA_KPROTO_LLOYD_PLAIN};
    for (int alg = 0; alg < 3; alg++) {
      p.algorithm = algs[alg];
      strata_kproto *m = fit_or_fail(ctx, &d.view, &p);
      assert_same_as_brute(m, &r, d.view.n);
      if (cases[c].max_iter < 10) assert_int_equal(strata_kproto_converged(m), 0);
      strata_kproto_free(m);
    }
    bf_free(&r);
    free(ic);
    free(im);
    free_data(&d);
  }
  strata_ctx_free(ctx);
}

/* Independent check of a converged fit: prototypes are the means and modes of their labels,
 * every label is a nearest prototype, and the cost is the sum of the rows' costs. */
static void test_lloyd_fixed_point(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  mixed_data d;
  make_data(&d, 20000, 4, 3, 4, 7, 0);
  strata_kproto_params p;
  strata_kproto_params_init(&p);
  p.k = 4;
  p.gamma = 1.0;
  p.seed = 11;
  strata_kproto *m = fit_or_fail(ctx, &d.view, &p);
  assert_int_equal(strata_kproto_converged(m), 1);
  const double *c = strata_kproto_centers(m);
  const int32_t *mo = strata_kproto_modes(m), *lab = strata_kproto_labels(m);
  double total = 0.0;
  for (int64_t j = 0; j < 4; j++) {
    double s[4] = {0};
    int64_t cnt = 0, lev[3][8] = {{0}};
    for (int64_t i = 0; i < d.view.n; i++) {
      if (lab[i] != j) continue;
      cnt++;
      for (int t = 0; t < 4; t++) s[t] += d.num[i * 4 + t];
      for (int t = 0; t < 3; t++) lev[t][d.codes[i * 3 + t]]++;
    }
    assert_true(cnt > 0);
    for (int t = 0; t < 4; t++) assert_true(fabs(c[j * 4 + t] - s[t] / cnt) < 1e-12);
    for (int t = 0; t < 3; t++) {
      int32_t best = 0;
      for (int32_t v = 1; v < d.levels[t]; v++)
        if (lev[t][v] > lev[t][best]) best = v;
      assert_int_equal(mo[j * 3 + t], best);
    }
  }
  for (int64_t i = 0; i < d.view.n; i++) {
    double own =
        spec_cost(4, 3, d.num + i * 4, d.codes + i * 3, c + lab[i] * 4, mo + lab[i] * 3, 1.0);
    for (int64_t j = 0; j < 4; j++)
      assert_true(own <=
                  spec_cost(4, 3, d.num + i * 4, d.codes + i * 3, c + j * 4, mo + j * 3, 1.0));
    total += own;
  }
  assert_true(fabs(strata_kproto_cost(m) - total) <= 1e-9 * total);
  strata_kproto_free(m);
  free_data(&d);
  strata_ctx_free(ctx);
}

static void assert_same_fit(const strata_kproto *a, const strata_kproto *b);

/* Hamerly's bounds change nothing: bounded LLOYD equals LLOYD_PLAIN bit for bit where labels
 * keep moving for many passes (overlapping blobs, large k), on a grid full of exact ties (a
 * bound that is not conservative picks the wrong one of two equal costs), with weights, with
 * gamma = 0, and with an empty cluster re-seeded midway. */
static void test_bounds_equal_plain(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  struct {
    int64_t n, dn, dc, k;
    double gamma, grid;
    int weighted;
  } cases[] = {{10000, 4, 3, 12, 1.0, 0, 0}, {9000, 2, 2, 9, 0.5, 1, 0},
               {9000, 5, 2, 7, 2.0, 0, 1},   {9000, 3, 3, 6, 0.0, 0, 0},
               {6000, 0, 4, 5, 1.0, 0, 0},   {9000, 17, 1, 20, 3.0, 4, 1}};
  for (size_t c = 0; c < COUNT(cases); c++) {
    mixed_data d;
    make_data(&d, cases[c].n, cases[c].dn, cases[c].dc, 3, 70 + c, cases[c].grid);
    double *w = xmalloc((size_t)cases[c].n * sizeof(double));
    for (int64_t i = 0; i < cases[c].n; i++) w[i] = (double)(1 + i % 3);
    strata_kproto_params p;
    strata_kproto_params_init(&p);
    p.k = cases[c].k;
    p.gamma = cases[c].gamma;
    p.seed = 17 + c;
    p.max_iter = 300;
    p.weights = cases[c].weighted ? w : NULL;
    p.algorithm = STRATA_KPROTO_LLOYD_BOUNDED;
    strata_kproto *a = fit_or_fail(ctx, &d.view, &p);
    p.algorithm = STRATA_KPROTO_LLOYD_PLAIN;
    strata_kproto *b = fit_or_fail(ctx, &d.view, &p);
    assert_same_fit(a, b);
    if (getenv("KP_VERBOSE"))
      fprintf(stderr, "case %zu: %d iterations\n", c, strata_kproto_n_iter(a));
    assert_true(strata_kproto_n_iter(a) >= 3);
    strata_kproto_free(a);
    strata_kproto_free(b);
    free(w);
    free_data(&d);
  }
  strata_ctx_free(ctx);
}

static void assert_same_fit(const strata_kproto *a, const strata_kproto *b) {
  const int64_t k = strata_kproto_k(a), dn = strata_kproto_dn(a), dc = strata_kproto_dc(a);
  assert_int_equal(strata_kproto_n_iter(a), strata_kproto_n_iter(b));
  assert_int_equal(strata_kproto_converged(a), strata_kproto_converged(b));
  assert_memory_equal(strata_kproto_labels(a), strata_kproto_labels(b),
                      (size_t)strata_kproto_n(a) * sizeof(int32_t));
  assert_memory_equal(strata_kproto_centers(a), strata_kproto_centers(b),
                      (size_t)(k * dn) * sizeof(double));
  assert_memory_equal(strata_kproto_modes(a), strata_kproto_modes(b),
                      (size_t)(k * dc) * sizeof(int32_t));
  const double ca = strata_kproto_cost(a), cb = strata_kproto_cost(b);
  assert_memory_equal(&ca, &cb, sizeof ca);
}

static void test_threads_bit_identical(void **state) {
  (void)state;
  strata_ctx *c1 = test_ctx(1), *c2 = test_ctx(2);
  mixed_data d;
  make_data(&d, 41000, 6, 3, 6, 3, 0); /* six blocks, the last one partial */
  double *w = xmalloc((size_t)d.view.n * sizeof(double));
  for (int64_t i = 0; i < d.view.n; i++) w[i] = 0.25 + unif(9, 1, (uint64_t)i);
  strata_kproto_params p;
  strata_kproto_params_init(&p);
  p.k = 6;
  p.n_init = 2;
  p.seed = 5;
  for (int weighted = 0; weighted < 4; weighted++) {
    /* Unweighted and weighted, plain (the default at k = 6) and bounded. */
    p.weights = weighted % 2 ? w : NULL;
    p.algorithm = weighted < 2 ? STRATA_KPROTO_LLOYD : STRATA_KPROTO_LLOYD_BOUNDED;
    strata_kproto *a = fit_or_fail(c1, &d.view, &p), *b = fit_or_fail(c2, &d.view, &p);
    assert_same_fit(a, b);
    assert_true(strata_kproto_gamma(a) > 0.0);
    /* Assignment of the training rows to the fitted prototypes: the fit's labels. */
    int32_t *l1 = xmalloc((size_t)d.view.n * sizeof(int32_t));
    int32_t *l2 = xmalloc((size_t)d.view.n * sizeof(int32_t));
    double *q1 = xmalloc((size_t)d.view.n * sizeof(double));
    double *q2 = xmalloc((size_t)d.view.n * sizeof(double));
    assert_int_equal(
        strata_kproto_assign(c1, &d.view, strata_kproto_centers(a), strata_kproto_modes(a), 6,
                             strata_kproto_gamma(a), l1, q1),
        STRATA_OK);
    assert_int_equal(
        strata_kproto_assign(c2, &d.view, strata_kproto_centers(a), strata_kproto_modes(a), 6,
                             strata_kproto_gamma(a), l2, q2),
        STRATA_OK);
    assert_memory_equal(l1, l2, (size_t)d.view.n * sizeof(int32_t));
    assert_memory_equal(q1, q2, (size_t)d.view.n * sizeof(double));
    if (strata_kproto_converged(a))
      assert_memory_equal(l1, strata_kproto_labels(a), (size_t)d.view.n * sizeof(int32_t));
    free(l1);
    free(l2);
    free(q1);
    free(q2);
    strata_kproto_free(a);
    strata_kproto_free(b);
  }
  /* HUANG is sequential: still the same on any context. */
  p.weights = NULL;
  p.algorithm = STRATA_KPROTO_HUANG;
  p.n_init = 1;
  strata_mixed part = d.view;
  part.n = 6000; /* sequential and O(n k) per row move: a slice is enough */
  strata_kproto *a = fit_or_fail(c1, &part, &p), *b = fit_or_fail(c2, &part, &p);
  assert_same_fit(a, b);
  strata_kproto_free(a);
  strata_kproto_free(b);
  free(w);
  free_data(&d);
  strata_ctx_free(c1);
  strata_ctx_free(c2);
}

/* Seeding: the same seed the same prototypes, another seed others; n_init keeps the lowest
 * of its runs, so it is never worse than its first run alone. */
static void test_seeding(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  mixed_data d;
  make_data(&d, 3000, 3, 2, 8, 21, 0);
  strata_kproto_params p;
  strata_kproto_params_init(&p);
  p.k = 8;
  p.gamma = 1.0;
  p.seed = 99;
  strata_kproto *a = fit_or_fail(ctx, &d.view, &p), *b = fit_or_fail(ctx, &d.view, &p);
  assert_same_fit(a, b);
  p.n_init = 4;
  strata_kproto *c = fit_or_fail(ctx, &d.view, &p);
  assert_true(strata_kproto_cost(c) <= strata_kproto_cost(a));
  p.n_init = 1;
  p.seed = 100;
  strata_kproto *e = fit_or_fail(ctx, &d.view, &p);
  assert_true(memcmp(strata_kproto_labels(a), strata_kproto_labels(e),
                     (size_t)d.view.n * sizeof(int32_t)) != 0);
  strata_kproto_free(a);
  strata_kproto_free(b);
  strata_kproto_free(c);
  strata_kproto_free(e);
  free_data(&d);
  strata_ctx_free(ctx);
}

static void test_default_gamma(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  mixed_data d;
  make_data(&d, 1000, 3, 1, 3, 31, 0);
  strata_kproto_params p;
  strata_kproto_params_init(&p);
  p.k = 3;
  strata_kproto *m = fit_or_fail(ctx, &d.view, &p);
  double sd = 0.0;
  for (int t = 0; t < 3; t++) {
    double mu = 0.0, v = 0.0;
    for (int64_t i = 0; i < 1000; i++) mu += d.num[i * 3 + t] / 1000.0;
    for (int64_t i = 0; i < 1000; i++) v += (d.num[i * 3 + t] - mu) * (d.num[i * 3 + t] - mu);
    sd += sqrt(v / 1000.0) / 3.0;
  }
  assert_true(fabs(strata_kproto_gamma(m) - 0.5 * sd) < 1e-12 * sd);
  strata_kproto_free(m);
  free_data(&d);
  strata_ctx_free(ctx);
}

/* ------------------------------------------------------------------ kmodes fixtures */

static int read_fixture(const char *path, int64_t *hdr, double *gamma, mixed_data *d, double **w,
                        double **ic, int32_t **im, int32_t **lab, double **ec, int32_t **em,
                        double *cost, int *n_iter) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  long long h[6];
  assert_int_equal(
      fscanf(f, "%lld %lld %lld %lld %lld %lld", &h[0], &h[1], &h[2], &h[3], &h[4], &h[5]), 6);
  for (int i = 0; i < 6; i++) hdr[i] = h[i];
  const int64_t n = hdr[0], dn = hdr[1], dc = hdr[2], k = hdr[3];
  assert_int_equal(fscanf(f, "%lf", gamma), 1);
  memset(d, 0, sizeof *d);
  for (int64_t t = 0; t < dc; t++) assert_int_equal(fscanf(f, "%d", &d->levels[t]), 1);
  d->num = xmalloc((size_t)(n * dn) * sizeof(double));
  d->codes = xmalloc((size_t)(n * dc) * sizeof(int32_t));
  *w = hdr[5] ? xmalloc((size_t)n * sizeof(double)) : NULL;
  for (int64_t i = 0; i < n; i++) {
    for (int64_t t = 0; t < dn; t++) assert_int_equal(fscanf(f, "%lf", &d->num[i * dn + t]), 1);
    for (int64_t t = 0; t < dc; t++) assert_int_equal(fscanf(f, "%d", &d->codes[i * dc + t]), 1);
    if (*w) assert_int_equal(fscanf(f, "%lf", &(*w)[i]), 1);
  }
  *ic = xmalloc((size_t)(k * dn) * sizeof(double));
  *im = xmalloc((size_t)(k * dc) * sizeof(int32_t));
  *ec = xmalloc((size_t)(k * dn) * sizeof(double));
  *em = xmalloc((size_t)(k * dc) * sizeof(int32_t));
  *lab = xmalloc((size_t)n * sizeof(int32_t));
  for (int64_t i = 0; i < k * dn; i++) assert_int_equal(fscanf(f, "%lf", &(*ic)[i]), 1);
  for (int64_t i = 0; i < k * dc; i++) assert_int_equal(fscanf(f, "%d", &(*im)[i]), 1);
  for (int64_t i = 0; i < n; i++) assert_int_equal(fscanf(f, "%d", &(*lab)[i]), 1);
  for (int64_t i = 0; i < k * dn; i++) assert_int_equal(fscanf(f, "%lf", &(*ec)[i]), 1);
  for (int64_t i = 0; i < k * dc; i++) assert_int_equal(fscanf(f, "%d", &(*em)[i]), 1);
  assert_int_equal(fscanf(f, "%lf %d", cost, n_iter), 2);
  fclose(f);
  d->view = (strata_mixed){d->num, dn, d->codes, dc, d->levels, n, dn, dc};
  return 1;
}

static void test_huang_equals_kmodes_fixtures(void **state) {
  (void)state;
  static const char *const names[] = {"blobs_small", "blobs_three", "mixed_four", "weighted",
                                      "cat_heavy",   "capped",      "mode_ties"};
  /* The fixtures sit beside this file: tests/golden/kproto (README there). */
  char dir[1024];
  snprintf(dir, sizeof dir, "%s", __FILE__);
  char *slash = strrchr(dir, '/');
  if (slash != NULL) *slash = '\0';
  strata_ctx *ctx = test_ctx(1);
  for (size_t c = 0; c < COUNT(names); c++) {
    char path[1200];
    snprintf(path, sizeof path, "%s/golden/kproto/case_%s.txt", dir, names[c]);
    int64_t hdr[6] = {0};
    double gamma = 0, cost = 0, *w = NULL, *ic = NULL, *ec = NULL;
    int32_t *im = NULL, *lab = NULL, *em = NULL;
    int n_iter = 0;
    mixed_data d;
    if (!read_fixture(path, hdr, &gamma, &d, &w, &ic, &im, &lab, &ec, &em, &cost, &n_iter))
      fail_msg("missing fixture %s", path);
    strata_kproto_params p;
    strata_kproto_params_init(&p);
    p.k = hdr[3];
    p.max_iter = (int)hdr[4];
    p.gamma = gamma;
    p.algorithm = STRATA_KPROTO_HUANG;
    p.init_numeric = ic;
    p.init_codes = im;
    p.weights = w;
    strata_kproto *m = fit_or_fail(ctx, &d.view, &p);
    const int64_t n = hdr[0], k = hdr[3], dn = hdr[1], dc = hdr[2];
    assert_memory_equal(strata_kproto_labels(m), lab, (size_t)n * sizeof(int32_t));
    assert_memory_equal(strata_kproto_modes(m), em, (size_t)(k * dc) * sizeof(int32_t));
    for (int64_t i = 0; i < k * dn; i++)
      if (!(fabs(strata_kproto_centers(m)[i] - ec[i]) <= 1e-12 * (1.0 + fabs(ec[i]))))
        fail_msg("%s: prototype value %lld is %.17g, kmodes %.17g", names[c], (long long)i,
                 strata_kproto_centers(m)[i], ec[i]);
    if (!(fabs(strata_kproto_cost(m) - cost) <= 1e-12 * cost))
      fail_msg("%s: cost %.17g, kmodes %.17g", names[c], strata_kproto_cost(m), cost);
    assert_int_equal(strata_kproto_n_iter(m), n_iter);
    strata_kproto_free(m);
    free(w);
    free(ic);
    free(im);
    free(lab);
    free(ec);
    free(em);
    free_data(&d);
  }
  strata_ctx_free(ctx);
}

/* ------------------------------------------------------------------ bad input */

static void expect_fail(strata_ctx *ctx, const strata_mixed *x, const strata_kproto_params *p,
                        strata_status want, const char *needle) {
  strata_kproto *m = (strata_kproto *)0x1;
  strata_status st = strata_kproto_fit(ctx, x, p, &m);
  assert_int_equal(st, want);
  assert_null(m);
  if (strstr(strata_ctx_error(ctx), needle) == NULL)
    fail_msg("message '%s' lacks '%s'", strata_ctx_error(ctx), needle);
}

static void test_bad_input(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(2);
  mixed_data d;
  make_data(&d, 20000, 3, 2, 3, 1, 0);
  strata_kproto_params p;
  strata_kproto_params_init(&p);
  p.k = 3;
  d.num[17000 * 3 + 2] = NAN;
  expect_fail(ctx, &d.view, &p, STRATA_ERR_DATA, "row 17000, numeric column 2 is NaN");
  d.num[17000 * 3 + 2] = 0.0;
  d.num[9 * 3 + 1] = -INFINITY;
  expect_fail(ctx, &d.view, &p, STRATA_ERR_DATA, "row 9, numeric column 1 is -Inf");
  d.num[9 * 3 + 1] = 0.0;
  d.codes[12345 * 2 + 1] = d.levels[1];
  expect_fail(ctx, &d.view, &p, STRATA_ERR_DATA, "row 12345, categorical column 1 has code");
  d.codes[12345 * 2 + 1] = -1;
  expect_fail(ctx, &d.view, &p, STRATA_ERR_DATA, "row 12345, categorical column 1 has code -1");
  d.codes[12345 * 2 + 1] = 0;
  p.k = 0;
  expect_fail(ctx, &d.view, &p, STRATA_ERR_USAGE, "k = 0");
  p.k = 20001;
  expect_fail(ctx, &d.view, &p, STRATA_ERR_USAGE, "k = 20001");
  p.k = 3;
  p.gamma = NAN;
  expect_fail(ctx, &d.view, &p, STRATA_ERR_USAGE, "gamma");
  p.gamma = 1.0;
  p.max_iter = 0;
  expect_fail(ctx, &d.view, &p, STRATA_ERR_USAGE, "max_iter");
  p.max_iter = 10;
  double *w = xmalloc((size_t)d.view.n * sizeof(double));
  for (int64_t i = 0; i < d.view.n; i++) w[i] = 1.0;
  w[77] = -2.0;
  p.weights = w;
  expect_fail(ctx, &d.view, &p, STRATA_ERR_DATA, "weight of row 77");
  p.weights = NULL;
  double ic[9] = {0};
  int32_t im[6] = {0, 0, 0, 0, 5, 0};
  p.init_numeric = ic;
  expect_fail(ctx, &d.view, &p, STRATA_ERR_USAGE, "together");
  p.init_codes = im;
  expect_fail(ctx, &d.view, &p, STRATA_ERR_DATA, "prototype 2, column 0 is 5");
  p.init_numeric = NULL;
  p.init_codes = NULL;
  int32_t bad_levels[2] = {3, 0};
  strata_mixed v = d.view;
  v.levels = bad_levels;
  expect_fail(ctx, &v, &p, STRATA_ERR_USAGE, "levels[1] = 0");
  v = d.view;
  v.dn = 0;
  v.dc = 0;
  expect_fail(ctx, &v, &p, STRATA_ERR_USAGE, "need at least one");
  /* Assign: gamma must be finite and >= 0; fewer rows than prototypes is fine. */
  int32_t lab[2];
  double cc[9] = {0};
  int32_t cm[6] = {0};
  v = d.view;
  v.n = 2;
  assert_int_equal(strata_kproto_assign(ctx, &v, cc, cm, 3, -1.0, lab, NULL), STRATA_ERR_USAGE);
  assert_int_equal(strata_kproto_assign(ctx, &v, cc, cm, 3, 1.0, lab, NULL), STRATA_OK);
  free(w);
  free_data(&d);
  strata_ctx_free(ctx);
}

int main(void) {
  if (getenv("KP_FILTER")) cmocka_set_test_filter(getenv("KP_FILTER"));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kernel_variants_match_ref),
      cmocka_unit_test(test_kernel_ties_lowest_index),
      cmocka_unit_test(test_lloyd_equals_brute_force),
      cmocka_unit_test(test_lloyd_fixed_point),
      cmocka_unit_test(test_bounds_equal_plain),
      cmocka_unit_test(test_threads_bit_identical),
      cmocka_unit_test(test_seeding),
      cmocka_unit_test(test_default_gamma),
      cmocka_unit_test(test_huang_equals_kmodes_fixtures),
      cmocka_unit_test(test_bad_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
