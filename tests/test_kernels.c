/*
 * test_kernels.c — the k-means kernels: every ISA variant against the scalar reference, and
 * the reference against plain double-precision arithmetic.
 *
 * The variants are designed to be bit-identical to the reference (one centre per lane, the
 * same fma chain; see kernels.h), so labels, distances, second distances and Lloyd sums are
 * compared exactly, over awkward shapes (d and k around the vector widths and the register
 * tiles, n not a multiple of the row tile), unaligned pointers and leading dimensions > d.
 * The reference itself is checked against double-precision distances with a tolerance, the
 * GEMM path against the direct kernel (equal labels unless the two candidates are a genuine
 * tie within rounding), and the dispatch policy (STRATA_ISA) through strata_isa_resolve.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "core/rng.h"
#include "kernels.h"
#include "kmeans/assign_gemm.h"
#include "kmeans/kmeans_internal.h"

static const int64_t test_ds[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100};
/* 33: three float panels (an odd pair count for the verification's permutes); 129: nine
 * float panels, past the permutes (one lane at a time). */
static const int64_t test_ks[] = {1, 2, 3, 5, 8, 16, 17, 33, 64, 100, 129};
/* 1 and 3 are below every row tile; 13 and 29 are not multiples of 4 or 6 and below the
 * AVX-512 rows-in-lanes block (64 float / 32 double rows); 37 is a lone partial block (float)
 * or a block and a tail (double); 100 is a block and a partial block (float). */
static const int64_t test_ns[] = {1, 3, 13, 29, 37, 100};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void *xmalloc(size_t bytes) {
  void *p = malloc(bytes == 0 ? 1 : bytes);
  assert_non_null(p);
  return p;
}

/* Uniform values in [-scale, scale) as a pure function of (seed, stream, row, column). */
static double draw(uint64_t seed, uint32_t stream, int64_t i, int64_t t, double scale) {
  strata_rng g;
  strata_rng_init(&g, seed, stream, (uint64_t)i * 1000003u + (uint64_t)t);
  return (strata_rng_uniform(&g) * 2.0 - 1.0) * scale;
}

/* The SIMD tables this machine can run (ref is the oracle, not a candidate); where the avx512
 * table has the bfloat16 screen (AVX512_BF16), also the avx512 table without it, so that both
 * float screens are checked on one machine. */
#define MAX_TABLES (STRATA_ISA_COUNT + 1)
static strata_kernels plain_avx512;
static int candidate_tables(const strata_kernels **out) {
  int m = 0;
  for (int isa = STRATA_ISA_AVX2; isa < STRATA_ISA_COUNT; isa++) {
    const strata_kernels *kt = strata_kernels_for((strata_isa)isa);
    if (kt != NULL) out[m++] = kt;
  }
  const strata_kernels *kt = strata_kernels_for(STRATA_ISA_AVX512);
  if (kt != NULL && strata_isa_bf16()) {
    plain_avx512 = *kt;
    plain_avx512.name = "avx512 (float screen)";
    plain_avx512.sqdist_argmin_f32 = strata_k_sqdist_argmin_f32_avx512;
    out[m++] = &plain_avx512;
  }
  return m;
}

/* ------------------------------------------------------------------ per-type checks */

/* The same checks for float and double. Buffers are offset by one element from malloc's
 * alignment and rows are padded (ld > d), so no kernel may assume either. */
#define DEFINE_TYPE_CHECKS(T, SFX)                                                                \
  typedef struct {                                                                                \
    int64_t n, d, k, ldx, ldc;                                                                    \
    T *xbase, *x, *cbase, *c, *pbase, *packed, *xnorm;                                            \
  } problem_##SFX;                                                                                \
                                                                                                  \
  static void problem_make_##SFX(problem_##SFX *p, int64_t n, int64_t d, int64_t k,               \
                                 uint64_t seed) {                                                 \
    p->n = n;                                                                                     \
    p->d = d;                                                                                     \
    p->k = k;                                                                                     \
    p->ldx = d + 3;                                                                               \
    p->ldc = d + 1;                                                                               \
    p->xbase = xmalloc(sizeof(T) * (size_t)(n * p->ldx + 1));                                     \
    p->cbase = xmalloc(sizeof(T) * (size_t)(k * p->ldc + 1));                                     \
    p->pbase = xmalloc(sizeof(T) * (strata_k_packed_len_##SFX(k, d) + 1));                        \
    p->x = p->xbase + 1;                                                                          \
    p->c = p->cbase + 1;                                                                          \
    p->packed = p->pbase + 1;                                                                     \
    p->xnorm = xmalloc(sizeof(T) * (size_t)n);                                                    \
    for (int64_t i = 0; i < n * p->ldx + 1; i++) p->xbase[i] = (T)1e30; /* padding poison */     \
    for (int64_t i = 0; i < n; i++)                                                               \
      for (int64_t t = 0; t < d; t++) p->x[i * p->ldx + t] = (T)draw(seed, 0, i, t, 1.0);         \
    for (int64_t j = 0; j < k; j++)                                                               \
      for (int64_t t = 0; t < d; t++) p->c[j * p->ldc + t] = (T)draw(seed, 1, j, t, 1.0);         \
  }                                                                                               \
                                                                                                  \
  static void problem_pack_##SFX(problem_##SFX *p) {                                              \
    strata_k_pack_centers_##SFX(p->k, p->d, p->c, p->ldc, p->packed);                             \
    strata_k_sqnorm_##SFX##_ref(p->n, p->d, p->x, p->ldx, p->xnorm);                              \
  }                                                                                               \
                                                                                                  \
  static void problem_free_##SFX(problem_##SFX *p) {                                              \
    free(p->xbase);                                                                               \
    free(p->cbase);                                                                               \
    free(p->pbase);                                                                               \
    free(p->xnorm);                                                                               \
  }                                                                                               \
                                                                                                  \
  /* Bitwise equality, so that -0 vs +0 or a NaN would not slip through. */                      \
  static void assert_same_##SFX(const T *a, const T *b, int64_t n, const char *what,              \
                                const char *isa, int64_t d, int64_t k) {                          \
    for (int64_t i = 0; i < n; i++) {                                                             \
      if (memcmp(&a[i], &b[i], sizeof(T)) != 0)                                                   \
        fail_msg("%s %s: row %lld differs (%.17g vs ref %.17g), d %lld k %lld", isa, what,        \
                 (long long)i, (double)a[i], (double)b[i], (long long)d, (long long)k);           \
    }                                                                                             \
  }                                                                                               \
  static void assert_same_labels_##SFX(const int32_t *a, const int32_t *b, int64_t n,             \
                                       const char *what, const char *isa, int64_t d, int64_t k) { \
    for (int64_t i = 0; i < n; i++) {                                                             \
      if (a[i] != b[i])                                                                           \
        fail_msg("%s %s: row %lld label %d vs ref %d, d %lld k %lld", isa, what, (long long)i,    \
                 a[i], b[i], (long long)d, (long long)k);                                         \
    }                                                                                             \
  }                                                                                               \
                                                                                                  \
  /* Every kernel of kt against the reference on one problem. */                                  \
  static void compare_with_ref_##SFX(const strata_kernels *kt, problem_##SFX *p) {                \
    const strata_kernels *ref = strata_kernels_for(STRATA_ISA_REF);                               \
    const int64_t n = p->n, d = p->d, k = p->k;                                                   \
    const size_t nb = sizeof(T) * (size_t)n;                                                      \
    int32_t *l0 = xmalloc(sizeof(int32_t) * (size_t)n), *l1 = xmalloc(sizeof(int32_t) * (size_t)n); \
    T *d0 = xmalloc(nb), *d1 = xmalloc(nb), *s0 = xmalloc(nb), *s1 = xmalloc(nb);                 \
    const char *isa = kt->name;                                                                   \
                                                                                                  \
    ref->sqnorm_##SFX(n, d, p->x, p->ldx, d0);                                                    \
    kt->sqnorm_##SFX(n, d, p->x, p->ldx, d1);                                                     \
    assert_same_##SFX(d1, d0, n, "sqnorm", isa, d, k);                                            \
                                                                                                  \
    ref->sqdist_argmin_##SFX(n, d, k, p->x, p->ldx, p->packed, l0, d0);                           \
    kt->sqdist_argmin_##SFX(n, d, k, p->x, p->ldx, p->packed, l1, d1);                            \
    assert_same_labels_##SFX(l1, l0, n, "sqdist_argmin", isa, d, k);                              \
    assert_same_##SFX(d1, d0, n, "sqdist_argmin dist", isa, d, k);                                \
                                                                                                  \
    /* Distances to given centres: the argmin's own distances for its labels, bit for bit, and \
     * the reference's for arbitrary labels. */                                                   \
    kt->sqdist_label_##SFX(n, d, k, p->x, p->ldx, p->packed, l0, d1);                             \
    assert_same_##SFX(d1, d0, n, "sqdist_label (argmin labels)", isa, d, k);                      \
    for (int64_t i = 0; i < n; i++) l1[i] = (int32_t)((i * 7 + 3) % k);                         \
    ref->sqdist_label_##SFX(n, d, k, p->x, p->ldx, p->packed, l1, s0);                            \
    kt->sqdist_label_##SFX(n, d, k, p->x, p->ldx, p->packed, l1, s1);                             \
    assert_same_##SFX(s1, s0, n, "sqdist_label", isa, d, k);                                      \
                                                                                                  \
    /* Labels only (dist NULL): the same labels. */                                             \
    for (int64_t i = 0; i < n; i++) l1[i] = -1;                                                   \
    kt->sqdist_argmin_##SFX(n, d, k, p->x, p->ldx, p->packed, l1, NULL);                          \
    assert_same_labels_##SFX(l1, l0, n, "sqdist_argmin (labels only)", isa, d, k);                \
    ref->sqdist_argmin_##SFX(n, d, k, p->x, p->ldx, p->packed, l1, NULL);                         \
    assert_same_labels_##SFX(l1, l0, n, "sqdist_argmin ref (labels only)", isa, d, k);            \
                                                                                                  \
    ref->sqdist_argmin2_##SFX(n, d, k, p->x, p->ldx, p->packed, l0, d0, s0);                      \
    kt->sqdist_argmin2_##SFX(n, d, k, p->x, p->ldx, p->packed, l1, d1, s1);                       \
    assert_same_labels_##SFX(l1, l0, n, "sqdist_argmin2", isa, d, k);                             \
    assert_same_##SFX(d1, d0, n, "sqdist_argmin2 dist", isa, d, k);                               \
    assert_same_##SFX(s1, s0, n, "sqdist_argmin2 dist2", isa, d, k);                              \
                                                                                                  \
    ref->dot_argmin_##SFX(n, d, k, p->x, p->ldx, p->xnorm, p->packed, l0, d0);                    \
    kt->dot_argmin_##SFX(n, d, k, p->x, p->ldx, p->xnorm, p->packed, l1, d1);                     \
    assert_same_labels_##SFX(l1, l0, n, "dot_argmin", isa, d, k);                                 \
    assert_same_##SFX(d1, d0, n, "dot_argmin dist", isa, d, k);                                   \
                                                                                                  \
    ref->dot_argmin2_##SFX(n, d, k, p->x, p->ldx, p->xnorm, p->packed, l0, d0, s0);               \
    kt->dot_argmin2_##SFX(n, d, k, p->x, p->ldx, p->xnorm, p->packed, l1, d1, s1);                \
    assert_same_labels_##SFX(l1, l0, n, "dot_argmin2", isa, d, k);                                \
    assert_same_##SFX(d1, d0, n, "dot_argmin2 dist", isa, d, k);                                  \
    assert_same_##SFX(s1, s0, n, "dot_argmin2 dist2", isa, d, k);                                 \
                                                                                                  \
    /* All distances, into rows wider than k whose extra columns must stay untouched. */          \
    {                                                                                             \
      const int64_t ldo = k + 2;                                                                  \
      T *o0 = xmalloc(sizeof(T) * (size_t)(n * ldo)), *o1 = xmalloc(sizeof(T) * (size_t)(n * ldo)); \
      for (int64_t i = 0; i < n * ldo; i++) o0[i] = o1[i] = (T)-7;                                \
      ref->sqdist_##SFX(n, d, k, p->x, p->ldx, p->packed, o0, ldo);                               \
      kt->sqdist_##SFX(n, d, k, p->x, p->ldx, p->packed, o1, ldo);                                \
      assert_same_##SFX(o1, o0, n * ldo, "sqdist", isa, d, k);                                    \
      /* The argmin's distance is one of these, bit for bit, and the smallest. */                 \
      ref->sqdist_argmin_##SFX(n, d, k, p->x, p->ldx, p->packed, l0, d0);                         \
      for (int64_t i = 0; i < n; i++) {                                                           \
        assert_true(o1[i * ldo + k] == (T)-7 && o1[i * ldo + k + 1] == (T)-7);                   \
        assert_memory_equal(&o1[i * ldo + l0[i]], &d0[i], sizeof(T));                             \
        for (int64_t j = 0; j < k; j++) assert_true(o1[i * ldo + j] >= d0[i]);                    \
      }                                                                                           \
      free(o0);                                                                                   \
      free(o1);                                                                                   \
    }                                                                                             \
                                                                                                  \
    /* D^2 update against one centre: some rows improve, some do not. */                          \
    for (int64_t j = 0; j < (k < 3 ? k : 3); j++) {                                               \
      const T *cj = p->c + j * p->ldc;                                                            \
      for (int64_t i = 0; i < n; i++) s0[i] = s1[i] = (T)(i % 2 == 0 ? 1e30 : 0.5 * (double)d);   \
      ref->sqdist_min_##SFX(n, d, p->x, p->ldx, cj, s0);                                          \
      kt->sqdist_min_##SFX(n, d, p->x, p->ldx, cj, s1);                                           \
      assert_same_##SFX(s1, s0, n, "sqdist_min", isa, d, k);                                      \
    }                                                                                             \
                                                                                                  \
    /* Lloyd accumulation by label, weighted and not, onto non-zero sums. */                      \
    for (int weighted = 0; weighted < 2; weighted++) {                                            \
      const int64_t lds = d + 1;                                                                  \
      double *w = xmalloc(sizeof(double) * (size_t)n);                                            \
      double *u0 = xmalloc(sizeof(double) * (size_t)(k * lds)),                                   \
             *u1 = xmalloc(sizeof(double) * (size_t)(k * lds));                                   \
      double *c0 = xmalloc(sizeof(double) * (size_t)k), *c1 = xmalloc(sizeof(double) * (size_t)k); \
      for (int64_t i = 0; i < n; i++) w[i] = 0.25 + fabs(draw(7, 2, i, 0, 3.0));                  \
      for (int64_t i = 0; i < k * lds; i++) u0[i] = u1[i] = draw(7, 3, i, 0, 10.0);               \
      for (int64_t j = 0; j < k; j++) c0[j] = c1[j] = (double)j;                                  \
      ref->accumulate_##SFX(n, d, p->x, p->ldx, l0, weighted ? w : NULL, u0, lds, c0);            \
      kt->accumulate_##SFX(n, d, p->x, p->ldx, l0, weighted ? w : NULL, u1, lds, c1);             \
      assert_memory_equal(u1, u0, sizeof(double) * (size_t)(k * lds));                            \
      assert_memory_equal(c1, c0, sizeof(double) * (size_t)k);                                    \
      free(w);                                                                                    \
      free(u0);                                                                                   \
      free(u1);                                                                                   \
      free(c0);                                                                                   \
      free(c1);                                                                                   \
    }                                                                                             \
                                                                                                  \
    /* GEMM epilogue on an arbitrary block of dot products with a padded leading dimension. */   \
    {                                                                                             \
      const int64_t ldg = k + 5;                                                                  \
      T *g = xmalloc(sizeof(T) * (size_t)(n * ldg)), *cn = xmalloc(sizeof(T) * (size_t)k);        \
      for (int64_t i = 0; i < n; i++)                                                             \
        for (int64_t j = 0; j < ldg; j++) g[i * ldg + j] = (T)draw(9, 4, i, j, (double)d);       \
      for (int64_t j = 0; j < k; j++) cn[j] = (T)fabs(draw(9, 5, j, 0, (double)d));               \
      ref->gemm_argmin_##SFX(n, k, g, ldg, cn, p->xnorm, l0, d0, s0);                             \
      kt->gemm_argmin_##SFX(n, k, g, ldg, cn, p->xnorm, l1, d1, s1);                              \
      assert_same_labels_##SFX(l1, l0, n, "gemm_argmin", isa, d, k);                              \
      assert_same_##SFX(d1, d0, n, "gemm_argmin dist", isa, d, k);                                \
      assert_same_##SFX(s1, s0, n, "gemm_argmin dist2", isa, d, k);                               \
      kt->gemm_argmin_##SFX(n, k, g, ldg, cn, p->xnorm, l1, d1, NULL);                            \
      assert_same_labels_##SFX(l1, l0, n, "gemm_argmin (no dist2)", isa, d, k);                   \
      assert_same_##SFX(d1, d0, n, "gemm_argmin dist (no dist2)", isa, d, k);                     \
      free(g);                                                                                    \
      free(cn);                                                                                   \
    }                                                                                             \
    free(l0);                                                                                     \
    free(l1);                                                                                     \
    free(d0);                                                                                     \
    free(d1);                                                                                     \
    free(s0);                                                                                     \
    free(s1);                                                                                     \
  }                                                                                               \
                                                                                                  \
  /* The reference against double precision: its label is the true nearest centre unless the   \
   * runner-up is within rounding, its distances are the true ones within rounding. */            \
  static void validate_ref_##SFX(problem_##SFX *p, double rel) {                                  \
    const strata_kernels *ref = strata_kernels_for(STRATA_ISA_REF);                               \
    const int64_t n = p->n, d = p->d, k = p->k;                                                   \
    int32_t *lab = xmalloc(sizeof(int32_t) * (size_t)n);                                          \
    T *dist = xmalloc(sizeof(T) * (size_t)n), *dist2 = xmalloc(sizeof(T) * (size_t)n);            \
    double *exact = xmalloc(sizeof(double) * (size_t)k);                                          \
    for (int form = 0; form < 2; form++) {                                                        \
      if (form == 0)                                                                              \
        ref->sqdist_argmin2_##SFX(n, d, k, p->x, p->ldx, p->packed, lab, dist, dist2);            \
      else                                                                                        \
        ref->dot_argmin2_##SFX(n, d, k, p->x, p->ldx, p->xnorm, p->packed, lab, dist, dist2);     \
      for (int64_t i = 0; i < n; i++) {                                                           \
        double best = INFINITY, second = INFINITY, scale = 0;                                     \
        for (int64_t j = 0; j < k; j++) {                                                         \
          double s = 0, xx = 0, cc = 0;                                                           \
          for (int64_t t = 0; t < d; t++) {                                                       \
            double xv = (double)p->x[i * p->ldx + t], cv = (double)p->c[j * p->ldc + t];          \
            s += (xv - cv) * (xv - cv);                                                           \
            xx += xv * xv;                                                                        \
            cc += cv * cv;                                                                        \
          }                                                                                       \
          exact[j] = s;                                                                           \
          if (s < best) {                                                                         \
            second = best;                                                                        \
            best = s;                                                                             \
          } else if (s < second) {                                                                \
            second = s;                                                                           \
          }                                                                                       \
          if (xx + cc > scale) scale = xx + cc;                                                   \
        }                                                                                         \
        /* The direct form errs relative to the distance, the dot form relative to the norms. */ \
        const double tol = rel * (form == 0 ? best + 1e-30 : scale + 1e-30) * (double)(d + 2);    \
        assert_true(lab[i] >= 0 && lab[i] < k);                                                   \
        if (!(exact[lab[i]] <= best + 2 * tol))                                                   \
          fail_msg("ref form %d row %lld: label %d at %.17g, nearest at %.17g (d %lld k %lld)",   \
                   form, (long long)i, lab[i], exact[lab[i]], best, (long long)d, (long long)k);  \
        assert_true(fabs((double)dist[i] - best) <= 2 * tol);                                     \
        if (k == 1)                                                                               \
          assert_true(isinf((double)dist2[i]));                                                   \
        else                                                                                      \
          assert_true(fabs((double)dist2[i] - second) <= 2 * tol + rel * second * (double)(d + 2)); \
      }                                                                                           \
    }                                                                                             \
    free(lab);                                                                                    \
    free(dist);                                                                                   \
    free(dist2);                                                                                  \
    free(exact);                                                                                  \
  }                                                                                               \
                                                                                                  \
  static void sweep_##SFX(double rel) {                                                           \
    const strata_kernels *tables[MAX_TABLES];                                                     \
    const int m = candidate_tables(tables);                                                       \
    uint64_t seed = 1;                                                                            \
    for (size_t a = 0; a < COUNT(test_ds); a++)                                                   \
      for (size_t b = 0; b < COUNT(test_ks); b++)                                                 \
        for (size_t c = 0; c < COUNT(test_ns); c++) {                                             \
          problem_##SFX p;                                                                        \
          problem_make_##SFX(&p, test_ns[c], test_ds[a], test_ks[b], seed++);                     \
          problem_pack_##SFX(&p);                                                                 \
          if (c == COUNT(test_ns) - 1) validate_ref_##SFX(&p, rel);                               \
          for (int t = 0; t < m; t++) compare_with_ref_##SFX(tables[t], &p);                      \
          problem_free_##SFX(&p);                                                                 \
        }                                                                                         \
  }

DEFINE_TYPE_CHECKS(float, f32)
DEFINE_TYPE_CHECKS(double, f64)

/* ------------------------------------------------------------------ tests */

static void test_isa_variants_equal_ref_f32(void **state) {
  (void)state;
  sweep_f32(6e-8);
}

static void test_isa_variants_equal_ref_f64(void **state) {
  (void)state;
  sweep_f64(1.2e-16);
}

/* Many row tiles and panel groups, at the benchmark shapes. */
static void test_isa_variants_equal_ref_large(void **state) {
  (void)state;
  const strata_kernels *tables[MAX_TABLES];
  const int m = candidate_tables(tables);
  /* 200 x 128 x 150: past the bfloat16 screen's centre buffer (the float screen instead). */
  static const int64_t shapes[][3] = {
      {1000, 16, 64}, {301, 32, 256}, {257, 5, 1000}, {200, 128, 150}};
  for (size_t s = 0; s < COUNT(shapes); s++) {
    problem_f32 p;
    problem_make_f32(&p, shapes[s][0], shapes[s][1], shapes[s][2], 100 + s);
    problem_pack_f32(&p);
    for (int t = 0; t < m; t++) compare_with_ref_f32(tables[t], &p);
    problem_free_f32(&p);
    problem_f64 q;
    problem_make_f64(&q, shapes[s][0], shapes[s][1], shapes[s][2], 200 + s);
    problem_pack_f64(&q);
    for (int t = 0; t < m; t++) compare_with_ref_f64(tables[t], &q);
    problem_free_f64(&q);
  }
}

/* The screened direct kernels (AVX-512: dot-form screen, certified by a rounding bound, exact
 * fallback) on data built to fail the screen: rows halfway between two centres (near ties),
 * rows on duplicated centres (exact ties), and uncentred data where the bound exceeds every
 * gap, over enough rows that the kernel gives up screening part-way through a call. Every
 * output must still be the reference's, bit for bit. */
#define DEFINE_SCREEN_CHECKS(T, SFX)                                                              \
  static void screen_case_##SFX(int64_t n, int64_t d, int64_t k, double offset, uint64_t seed) { \
    const strata_kernels *tables[MAX_TABLES];                                                     \
    const int m = candidate_tables(tables);                                                       \
    problem_##SFX p;                                                                              \
    problem_make_##SFX(&p, n, d, k, seed);                                                        \
    if (k >= 6) memcpy(p.c + 5 * p.ldc, p.c + 3 * p.ldc, sizeof(T) * (size_t)d);                 \
    for (int64_t i = 0; i < n; i++) {                                                             \
      T *xi = p.x + i * p.ldx;                                                                    \
      const T *ca = p.c + (i % k) * p.ldc, *cb = p.c + ((i * 7 + 1) % k) * p.ldc;                 \
      for (int64_t t = 0; t < d; t++) {                                                           \
        if (i % 3 == 0) /* halfway, to within a few ulps */                                       \
          xi[t] = (T)(0.5 * ((double)ca[t] + (double)cb[t]) + draw(seed, 6, i, t, 1e-6));         \
        else if (i % 3 == 1) /* on a centre; with k >= 6, centres 3 and 5 are the same */        \
          xi[t] = ca[t];                                                                          \
      }                                                                                           \
    }                                                                                             \
    for (int64_t i = 0; i < n; i++)                                                               \
      for (int64_t t = 0; t < d; t++) p.x[i * p.ldx + t] += (T)offset;                            \
    for (int64_t j = 0; j < k; j++)                                                               \
      for (int64_t t = 0; t < d; t++) p.c[j * p.ldc + t] += (T)offset;                            \
    problem_pack_##SFX(&p);                                                                       \
    for (int t = 0; t < m; t++) compare_with_ref_##SFX(tables[t], &p);                            \
    problem_free_##SFX(&p);                                                                       \
  }

DEFINE_SCREEN_CHECKS(float, f32)
DEFINE_SCREEN_CHECKS(double, f64)

static void test_screen_near_ties_and_uncentred(void **state) {
  (void)state;
  /* Centred: most rows pass the screen, the near and exact ties fall back. */
  screen_case_f32(300, 16, 64, 0.0, 11);
  screen_case_f32(257, 5, 300, 0.0, 12); /* 19 panels: verification lane by lane */
  screen_case_f32(200, 33, 2, 0.0, 13);  /* argmin2 with no third centre */
  screen_case_f64(300, 16, 64, 0.0, 14);
  screen_case_f64(150, 9, 1, 0.0, 15);
  /* Uncentred (|x| ~ 3000 sqrt(d) against gaps ~ 1): the screen fails everywhere, the kernel
   * switches to the direct form after 4 blocks. */
  screen_case_f32(1000, 8, 20, 3000.0, 16);
  screen_case_f64(700, 8, 20, 3e9, 17);
}

/* sqdist_argmin_lb (the bfloat16 table only): the labels of the reference, and per row a true
 * lower bound on the exact squared distance to every other centre (exact in double here: the
 * inputs are floats). Returns the share of rows with a positive bound, the bound's use. */
static double lb_case(const problem_f32 *p) {
  const strata_kernels *kt = strata_kernels_for(STRATA_ISA_AVX512);
  if (kt == NULL || kt->sqdist_argmin_lb_f32 == NULL) return -1.0;
  int32_t *want = xmalloc(sizeof(int32_t) * (size_t)p->n);
  int32_t *got = xmalloc(sizeof(int32_t) * (size_t)p->n);
  float *lb = xmalloc(sizeof(float) * (size_t)p->n);
  strata_kernels_for(STRATA_ISA_REF)
      ->sqdist_argmin_f32(p->n, p->d, p->k, p->x, p->ldx, p->packed, want, NULL);
  kt->sqdist_argmin_lb_f32(p->n, p->d, p->k, p->x, p->ldx, p->packed, got, lb);
  assert_memory_equal(got, want, sizeof(int32_t) * (size_t)p->n);
  int64_t positive = 0;
  for (int64_t i = 0; i < p->n; i++) {
    double second = HUGE_VAL;
    for (int64_t j = 0; j < p->k; j++) {
      if (j == want[i]) continue;
      double acc = 0.0;
      for (int64_t t = 0; t < p->d; t++) {
        const double diff = (double)p->x[i * p->ldx + t] - (double)p->c[j * p->ldc + t];
        acc += diff * diff;
      }
      if (acc < second) second = acc;
    }
    assert_true(lb[i] >= 0.0f);
    if (!((double)lb[i] <= second * (1.0 + 1e-13))) {
      print_error("row %lld: bound %.9g above the exact second distance %.9g\n", (long long)i,
                  (double)lb[i], second);
      fail();
    }
    positive += lb[i] > 0.0f;
  }
  free(want);
  free(got);
  free(lb);
  return (double)positive / (double)p->n;
}

/* The bfloat16 screen of the avx512 float argmin (AVX512_BF16 CPUs) on Gaussian blobs, where it
 * decides most rows, and in all three of its ways: one certain centre; two candidates (a
 * second centre near some blob means), settled by their direct distances; more (a third
 * centre in one blob, exact duplicates), left to the float screen. d odd and even (the last
 * bfloat16 pair half empty), k across the index bits kept in the scores (1 to 9 bits), and
 * enough rows for many blocks and a partial one. Outputs must be the reference's bit for
 * bit, with and without distances (compare_with_ref). */
static void blobs_case(int64_t n, int64_t d, int64_t k, double sd, uint64_t seed) {
  const strata_kernels *tables[MAX_TABLES];
  const int m = candidate_tables(tables);
  problem_f32 p;
  problem_make_f32(&p, n, d, k, seed);
  for (int64_t j = 0; j < k; j++)
    for (int64_t t = 0; t < d; t++) {
      const int64_t base = j % 3 == 1 ? j - 1 : j; /* every third centre near the previous */
      double v = draw(seed, 7, base, t, 10.0);
      if (base != j) v += draw(seed, 8, j, t, j % 2 == 0 ? 0.0 : 2.0 * sd);
      p.c[j * p.ldc + t] = (float)v;
    }
  if (k >= 9) memcpy(p.c + 8 * p.ldc, p.c + 6 * p.ldc, sizeof(float) * (size_t)d);
  for (int64_t i = 0; i < n; i++)
    for (int64_t t = 0; t < d; t++) {
      strata_rng g;
      strata_rng_init(&g, seed, 9, (uint64_t)(i * d + t));
      p.x[i * p.ldx + t] = p.c[((i * 13) % k) * p.ldc + t] + (float)(sd * strata_rng_normal(&g));
    }
  problem_pack_f32(&p);
  for (int t = 0; t < m; t++) compare_with_ref_f32(tables[t], &p);
  const double useful = lb_case(&p);
  /* Well-separated blobs (the benchmark's kind): the bound must be known for most rows, or the
   * bounded final assignment of Lloyd gains nothing. Past the screen's shapes it is all 0. */
  if (useful >= 0.0 && d == 16 && k == 64) assert_true(useful > 0.8);
  if (useful >= 0.0 && d > 128) assert_true(useful == 0.0);
  problem_free_f32(&p);
}

/* Centres on integers (bfloat16 holds them exactly, so the centres' rounding error E is 0) and
 * rows halfway between two of them, to within 1e-3: the bfloat16 scores of such a row are off
 * by the rows' own rounding error (up to 2^-8 |x_t| per element) projected on the centres'
 * difference, far more than the true gap, so only the bound's row term keeps the screen from
 * certifying a wrong label. */
static void test_bf16_screen_row_rounding(void **state) {
  (void)state;
  const int64_t n = 2000, d = 16, k = 40;
  problem_f32 p;
  problem_make_f32(&p, n, d, k, 41);
  for (int64_t j = 0; j < k; j++)
    for (int64_t t = 0; t < d; t++) p.c[j * p.ldc + t] = (float)floor(draw(41, 10, j, t, 100.0));
  for (int64_t i = 0; i < n; i++) {
    const float *ca = p.c + (i % k) * p.ldc, *cb = p.c + ((i * 7 + 3) % k) * p.ldc;
    for (int64_t t = 0; t < d; t++)
      p.x[i * p.ldx + t] =
          (float)(0.5 * ((double)ca[t] + (double)cb[t]) + draw(41, 11, i, t, 1e-3) + 0.3);
  }
  problem_pack_f32(&p);
  const strata_kernels *tables[MAX_TABLES];
  const int m = candidate_tables(tables);
  for (int t = 0; t < m; t++) compare_with_ref_f32(tables[t], &p);
  problem_free_f32(&p);
}

static void test_bf16_screen_blobs(void **state) {
  (void)state;
  blobs_case(3000, 16, 64, 1.5, 31);
  blobs_case(1000, 7, 3, 1.0, 32);
  blobs_case(777, 1, 2, 0.5, 33);
  blobs_case(1000, 33, 200, 1.5, 34);
  blobs_case(700, 128, 40, 0.3, 35);
  blobs_case(130, 9, 300, 1.0, 36);
  blobs_case(500, 16, 1, 1.0, 37);
  blobs_case(300, 130, 20, 1.0, 38); /* past the screen: plain labels, bounds 0 */
}

/* km_assign_hinted (the last assignment of Lloyd and Hamerly, which keeps a candidate label
 * when the centre-gap test certifies it, or picks among the near neighbours it leaves) gives
 * km_assign's labels and inertia bit for bit, whatever the candidates: the right ones, wrong
 * ones, out of range, with duplicated centres (a zero gap certifies nothing) and with a single
 * centre; weighted and not; 1 and 2 threads. */
#define DEFINE_HINT_CHECKS(T, SFX)                                                                \
  static void hint_case_##SFX(int64_t n, int64_t d, int64_t k, int threads, int weighted,        \
                              uint64_t seed) {                                                    \
    T *x = xmalloc(sizeof(T) * (size_t)(n * d)), *c = xmalloc(sizeof(T) * (size_t)(k * d));       \
    double *w = xmalloc(sizeof(double) * (size_t)n);                                              \
    for (int64_t j = 0; j < k; j++)                                                               \
      for (int64_t t = 0; t < d; t++) c[j * d + t] = (T)draw(seed, 1, j, t, 10.0);                \
    for (int64_t i = 0; i < n; i++) {                                                             \
      w[i] = 0.5 + fabs(draw(seed, 3, i, 0, 1.0));                                                \
      for (int64_t t = 0; t < d; t++)                                                             \
        x[i * d + t] = c[(i % k) * d + t] + (T)draw(seed, 0, i, t, 2.0);                          \
    }                                                                                             \
    if (k >= 4) memcpy(c + 3 * d, c + 2 * d, sizeof(T) * (size_t)d);                             \
    strata_ctx *ctx = test_ctx(threads);                                                          \
    km_problem p;                                                                                 \
    memset(&p, 0, sizeof p);                                                                      \
    p.ctx = ctx;                                                                                  \
    p.kern = strata_kernels_get();                                                                \
    p.x = x;                                                                                      \
    p.n = n;                                                                                      \
    p.d = d;                                                                                      \
    p.ldx = d;                                                                                    \
    p.k = k;                                                                                      \
    p.w = weighted ? w : NULL;                                                                    \
    p.phase = "test";                                                                             \
    int32_t *want = xmalloc(sizeof(int32_t) * (size_t)n);                                         \
    int32_t *got = xmalloc(sizeof(int32_t) * (size_t)n);                                          \
    double iw = 0, ig = 0;                                                                        \
    assert_int_equal(km_assign_##SFX(&p, c, want, NULL, &iw), STRATA_OK);                         \
    for (int hint = 0; hint < 3; hint++) {                                                        \
      for (int64_t i = 0; i < n; i++)                                                             \
        got[i] = hint == 0 ? want[i] : hint == 1 ? (int32_t)(i % k) : (int32_t)(i % 5) - 2;       \
      assert_int_equal(km_assign_hinted_##SFX(&p, c, got, &ig), STRATA_OK);                       \
      assert_memory_equal(got, want, sizeof(int32_t) * (size_t)n);                                \
      assert_memory_equal(&ig, &iw, sizeof(double));                                              \
    }                                                                                             \
    strata_ctx_free(ctx);                                                                         \
    free(x);                                                                                      \
    free(c);                                                                                      \
    free(w);                                                                                      \
    free(want);                                                                                   \
    free(got);                                                                                    \
  }

DEFINE_HINT_CHECKS(float, f32)
DEFINE_HINT_CHECKS(double, f64)

static void test_hinted_assignment_equals_full(void **state) {
  (void)state;
  /* k d >= 4096, k <= n / 8, d <= 64: the hinted path. */
  for (int threads = 1; threads <= 2; threads++) {
    hint_case_f32(40000, 32, 256, threads, 0, 21);
    hint_case_f32(9000, 17, 300, threads, 1, 22); /* 19 panels */
    hint_case_f64(20000, 64, 128, threads, 1, 24);
  }
  /* Below or past the limits (small k d; d > 64; k > n / 8; k = 1): the plain assignment. */
  hint_case_f32(20000, 16, 64, 2, 0, 23);
  hint_case_f64(3001, 33, 5, 1, 0, 25);
  hint_case_f32(800, 70, 3, 2, 0, 26);
  hint_case_f32(800, 4, 150, 2, 0, 27);
  hint_case_f32(5000, 3, 1, 1, 0, 28);
}

/* Around the largest d of the rows-in-lanes kernels (128), and its block sizes. */
static void test_rows_in_lanes_limits(void **state) {
  (void)state;
  const strata_kernels *tables[MAX_TABLES];
  const int m = candidate_tables(tables);
  static const int64_t ds[] = {127, 128, 129};
  static const int64_t ks[] = {3, 40};
  static const int64_t ns[] = {64, 70, 129};
  uint64_t seed = 500;
  for (size_t a = 0; a < COUNT(ds); a++)
    for (size_t b = 0; b < COUNT(ks); b++)
      for (size_t c = 0; c < COUNT(ns); c++) {
        problem_f32 p;
        problem_make_f32(&p, ns[c], ds[a], ks[b], seed++);
        problem_pack_f32(&p);
        for (int t = 0; t < m; t++) compare_with_ref_f32(tables[t], &p);
        problem_free_f32(&p);
        problem_f64 q;
        problem_make_f64(&q, ns[c], ds[a], ks[b], seed++);
        problem_pack_f64(&q);
        for (int t = 0; t < m; t++) compare_with_ref_f64(tables[t], &q);
        problem_free_f64(&q);
      }
}

/* Duplicated centres in the same lane of different panels and in different lanes: every
 * variant must return the lowest index, and the second distance equals the first. */
static void test_ties_resolve_to_lowest_index(void **state) {
  (void)state;
  const int64_t k = 45, d = 9;
  static const int64_t dup_of_3[] = {19, 35, 40, 4};   /* lane 3 twice, lanes 8 and 4 */
  for (int isa = STRATA_ISA_REF; isa < STRATA_ISA_COUNT; isa++) {
    const strata_kernels *kt = strata_kernels_for((strata_isa)isa);
    if (kt == NULL) continue;
    problem_f32 p;
    problem_make_f32(&p, 11, d, k, 5);
    for (size_t u = 0; u < COUNT(dup_of_3); u++)
      memcpy(p.c + dup_of_3[u] * p.ldc, p.c + 3 * p.ldc, sizeof(float) * (size_t)d);
    /* Rows 0-4 sit on centre 3; the others are random. */
    for (int64_t i = 0; i < 5; i++) memcpy(p.x + i * p.ldx, p.c + 3 * p.ldc, sizeof(float) * (size_t)d);
    problem_pack_f32(&p);
    int32_t lab[11];
    float dist[11], dist2[11];
    kt->sqdist_argmin2_f32(p.n, d, k, p.x, p.ldx, p.packed, lab, dist, dist2);
    for (int i = 0; i < 5; i++) {
      assert_int_equal(lab[i], 3);
      assert_true(dist[i] == 0.0f && dist2[i] == 0.0f);
    }
    kt->dot_argmin2_f32(p.n, d, k, p.x, p.ldx, p.xnorm, p.packed, lab, dist, dist2);
    for (int i = 0; i < 5; i++) {
      assert_int_equal(lab[i], 3);
      assert_true(dist[i] == dist2[i]);
    }
    kt->sqdist_argmin_f32(p.n, d, k, p.x, p.ldx, p.packed, lab, dist);
    for (int i = 0; i < 5; i++) assert_int_equal(lab[i], 3);
    kt->dot_argmin_f32(p.n, d, k, p.x, p.ldx, p.xnorm, p.packed, lab, dist);
    for (int i = 0; i < 5; i++) assert_int_equal(lab[i], 3);
    /* All centres equal: everything goes to centre 0. */
    for (int64_t j = 1; j < k; j++) memcpy(p.c + j * p.ldc, p.c, sizeof(float) * (size_t)d);
    problem_pack_f32(&p);
    kt->sqdist_argmin2_f32(p.n, d, k, p.x, p.ldx, p.packed, lab, dist, dist2);
    for (int i = 0; i < 11; i++) assert_int_equal(lab[i], 0);
    kt->dot_argmin_f32(p.n, d, k, p.x, p.ldx, p.xnorm, p.packed, lab, dist);
    for (int i = 0; i < 11; i++) assert_int_equal(lab[i], 0);
    problem_free_f32(&p);

    problem_f64 q;
    problem_make_f64(&q, 11, d, k, 6);
    for (size_t u = 0; u < COUNT(dup_of_3); u++)
      memcpy(q.c + dup_of_3[u] * q.ldc, q.c + 3 * q.ldc, sizeof(double) * (size_t)d);
    for (int64_t i = 0; i < 5; i++) memcpy(q.x + i * q.ldx, q.c + 3 * q.ldc, sizeof(double) * (size_t)d);
    problem_pack_f64(&q);
    double e[11], e2[11];
    kt->sqdist_argmin2_f64(q.n, d, k, q.x, q.ldx, q.packed, lab, e, e2);
    for (int i = 0; i < 5; i++) {
      assert_int_equal(lab[i], 3);
      assert_true(e[i] == 0.0 && e2[i] == 0.0);
    }
    kt->dot_argmin_f64(q.n, d, k, q.x, q.ldx, q.xnorm, q.packed, lab, e);
    for (int i = 0; i < 5; i++) assert_int_equal(lab[i], 3);
    problem_free_f64(&q);
  }
}

/* Regression: the AVX-512 float reduction sorts scores by their bits, where -0 < +0; a zero
 * centre scores -0 against a negative row, and a centre at exactly the same distance scores
 * +0. The reference sees a tie (index 0 wins), so must every variant. */
static void test_dot_negative_zero_tie(void **state) {
  (void)state;
  const float x[1] = {-1.0f};
  const float c[2] = {0.0f, -2.0f}; /* both at squared distance 1 from x */
  float packed[64], xn[1] = {1.0f}, dist[1], dist2[1];
  int32_t lab[1];
  strata_k_pack_centers_f32(2, 1, c, 1, packed);
  for (int isa = STRATA_ISA_REF; isa < STRATA_ISA_COUNT; isa++) {
    const strata_kernels *kt = strata_kernels_for((strata_isa)isa);
    if (kt == NULL) continue;
    lab[0] = -1;
    kt->dot_argmin_f32(1, 1, 2, x, 1, xn, packed, lab, dist);
    assert_int_equal(lab[0], 0);
    assert_true(dist[0] == 1.0f);
    kt->dot_argmin2_f32(1, 1, 2, x, 1, xn, packed, lab, dist, dist2);
    assert_int_equal(lab[0], 0);
    assert_true(dist2[0] == 1.0f);
    kt->sqdist_argmin_f32(1, 1, 2, x, 1, packed, lab, dist);
    assert_int_equal(lab[0], 0);
  }
}

/* n = 0 is a no-op: nothing is read or written. */
static void test_empty_block(void **state) {
  (void)state;
  float packed[64];
  const float c[1] = {1.0f};
  strata_k_pack_centers_f32(1, 1, c, 1, packed);
  for (int isa = STRATA_ISA_REF; isa < STRATA_ISA_COUNT; isa++) {
    const strata_kernels *kt = strata_kernels_for((strata_isa)isa);
    if (kt == NULL) continue;
    int32_t lab[1] = {-5};
    float dist[1] = {-5.0f};
    kt->sqdist_argmin_f32(0, 1, 1, NULL, 1, packed, lab, dist);
    kt->dot_argmin_f32(0, 1, 1, NULL, 1, NULL, packed, lab, dist);
    assert_int_equal(lab[0], -5);
    assert_true(dist[0] == -5.0f);
  }
}

/* The GEMM path agrees with the direct kernel up to genuine ties, for block sizes that do and
 * do not divide n. */
static void test_assign_gemm_matches_direct(void **state) {
  (void)state;
  static const int64_t shapes[][3] = {{203, 33, 70}, {64, 100, 17}, {1, 7, 1}, {50, 1, 5}};
  const strata_kernels *kt = strata_kernels_get();
  for (size_t s = 0; s < COUNT(shapes); s++) {
    const int64_t n = shapes[s][0], d = shapes[s][1], k = shapes[s][2];
    problem_f32 p;
    problem_make_f32(&p, n, d, k, 300 + s);
    problem_pack_f32(&p);
    float *cn = xmalloc(sizeof(float) * (size_t)k), *dist = xmalloc(sizeof(float) * (size_t)n),
          *dg = xmalloc(sizeof(float) * (size_t)n), *dg2 = xmalloc(sizeof(float) * (size_t)n);
    int32_t *lab = xmalloc(sizeof(int32_t) * (size_t)n), *lg = xmalloc(sizeof(int32_t) * (size_t)n);
    kt->sqnorm_f32(k, d, p.c, p.ldc, cn);
    kt->sqdist_argmin_f32(n, d, k, p.x, p.ldx, p.packed, lab, dist);
    for (int64_t rows = 1; rows <= 64; rows *= 8) {
      float *buf = xmalloc(sizeof(float) * (size_t)(rows * k));
      strata_assign_gemm_f32(NULL, n, d, k, p.x, p.ldx, p.xnorm, p.c, p.ldc, cn, buf, rows, lg, dg,
                             dg2);
      for (int64_t i = 0; i < n; i++) {
        const double scale = (double)p.xnorm[i] + (double)d;
        assert_true(lg[i] >= 0 && lg[i] < k);
        if (lg[i] != lab[i]) {
          /* Only a tie within the dot form's rounding may differ. */
          float dj = INFINITY;
          kt->sqdist_min_f32(1, d, p.x + i * p.ldx, p.ldx, p.c + lg[i] * p.ldc, &dj);
          assert_true(fabs((double)dj - (double)dist[i]) <= 1e-5 * scale);
        }
        assert_true(fabs((double)dg[i] - (double)dist[i]) <= 1e-5 * scale);
        assert_true(dg2[i] >= dg[i]);
      }
      free(buf);
    }
    /* The double path too. */
    problem_f64 q;
    problem_make_f64(&q, n, d, k, 400 + s);
    problem_pack_f64(&q);
    double *cq = xmalloc(sizeof(double) * (size_t)k), *eq = xmalloc(sizeof(double) * (size_t)n),
           *eg = xmalloc(sizeof(double) * (size_t)n);
    double *bq = xmalloc(sizeof(double) * (size_t)(7 * k));
    kt->sqnorm_f64(k, d, q.c, q.ldc, cq);
    kt->sqdist_argmin_f64(n, d, k, q.x, q.ldx, q.packed, lab, eq);
    strata_assign_gemm_f64(kt, n, d, k, q.x, q.ldx, q.xnorm, q.c, q.ldc, cq, bq, 7, lg, eg, NULL);
    for (int64_t i = 0; i < n; i++) {
      assert_int_equal(lg[i], lab[i]);
      assert_true(fabs(eg[i] - eq[i]) <= 1e-12 * ((double)q.xnorm[i] + (double)d));
    }
    free(cq);
    free(eq);
    free(eg);
    free(bq);
    problem_free_f64(&q);
    free(cn);
    free(dist);
    free(dg);
    free(dg2);
    free(lab);
    free(lg);
    problem_free_f32(&p);
  }
  assert_true(strata_assign_gemm_rows(64, 4) >= 256);
  /* The GEMM path is chosen for the scalar table only (see the measurements). */
  assert_true(strata_assign_use_gemm(strata_kernels_for(STRATA_ISA_REF), 64, 16, 4));
  assert_false(strata_assign_use_gemm(strata_kernels_for(STRATA_ISA_REF), 2, 3, 4));
  if (strata_kernels_for(STRATA_ISA_AVX2) != NULL)
    assert_false(strata_assign_use_gemm(strata_kernels_for(STRATA_ISA_AVX2), 1024, 512, 4));
  assert_true(strata_assign_gemm_rows(1 << 20, 8) == 256);
}

static void test_isa_names_and_resolution(void **state) {
  (void)state;
  strata_isa isa = STRATA_ISA_REF;
  assert_true(strata_isa_from_name("avx2", &isa) && isa == STRATA_ISA_AVX2);
  assert_true(strata_isa_from_name("avx512", &isa) && isa == STRATA_ISA_AVX512);
  assert_true(strata_isa_from_name("ref", &isa) && isa == STRATA_ISA_REF);
  assert_false(strata_isa_from_name("AVX2", &isa));
  assert_false(strata_isa_from_name("sse", &isa));
  assert_false(strata_isa_from_name(NULL, &isa));
  assert_string_equal(strata_isa_name(STRATA_ISA_AVX512), "avx512");
  assert_string_equal(strata_isa_name((strata_isa)7), "unknown");

  /* Unset or empty: the best. A known request at or below the best: granted. Above the best
   * or unknown: the best. */
  assert_int_equal(strata_isa_resolve(NULL, STRATA_ISA_AVX512), STRATA_ISA_AVX512);
  assert_int_equal(strata_isa_resolve("", STRATA_ISA_AVX2), STRATA_ISA_AVX2);
  assert_int_equal(strata_isa_resolve("ref", STRATA_ISA_AVX512), STRATA_ISA_REF);
  assert_int_equal(strata_isa_resolve("avx2", STRATA_ISA_AVX512), STRATA_ISA_AVX2);
  assert_int_equal(strata_isa_resolve("avx512", STRATA_ISA_AVX512), STRATA_ISA_AVX512);
  assert_int_equal(strata_isa_resolve("avx512", STRATA_ISA_AVX2), STRATA_ISA_AVX2);
  assert_int_equal(strata_isa_resolve("avx512", STRATA_ISA_REF), STRATA_ISA_REF);
  assert_int_equal(strata_isa_resolve("neon", STRATA_ISA_AVX2), STRATA_ISA_AVX2);
}

static void test_dispatch_tables(void **state) {
  (void)state;
  const strata_isa best = strata_isa_best();
  for (int isa = 0; isa < STRATA_ISA_COUNT; isa++) {
    const strata_kernels *kt = strata_kernels_for((strata_isa)isa);
    if (isa <= (int)best) {
      assert_non_null(kt);
      assert_int_equal(kt->isa, isa);
      assert_string_equal(kt->name, strata_isa_name((strata_isa)isa));
      assert_true(strata_isa_supported((strata_isa)isa));
      assert_non_null(kt->sqdist_argmin_f32);
      assert_non_null(kt->gemm_argmin_f64);
    } else {
      assert_null(kt);
    }
  }
  assert_null(strata_kernels_for((strata_isa)-1));
  assert_null(strata_kernels_for((strata_isa)STRATA_ISA_COUNT));
  const strata_kernels *active = strata_kernels_get();
  assert_non_null(active);
  assert_ptr_equal(active, strata_kernels_get());
  assert_int_equal(active->isa, strata_isa_resolve(getenv("STRATA_ISA"), best));
  assert_string_equal(strata_kernels_isa_name(), active->name);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_isa_names_and_resolution),
      cmocka_unit_test(test_dispatch_tables),
      cmocka_unit_test(test_empty_block),
      cmocka_unit_test(test_ties_resolve_to_lowest_index),
      cmocka_unit_test(test_dot_negative_zero_tie),
      cmocka_unit_test(test_isa_variants_equal_ref_f32),
      cmocka_unit_test(test_isa_variants_equal_ref_f64),
      cmocka_unit_test(test_isa_variants_equal_ref_large),
      cmocka_unit_test(test_screen_near_ties_and_uncentred),
      cmocka_unit_test(test_bf16_screen_blobs),
      cmocka_unit_test(test_bf16_screen_row_rounding),
      cmocka_unit_test(test_rows_in_lanes_limits),
      cmocka_unit_test(test_hinted_assignment_equals_full),
      cmocka_unit_test(test_assign_gemm_matches_direct),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
