/*
 * kmeans_ref.c — scalar reference twins of the k-means kernels (see kernels.h), and the
 * centre packing that every ISA shares.
 *
 * These loops are written for obviousness, not speed: they are the oracle that the AVX2 and
 * AVX-512 variants must match bit for bit, and the fallback on CPUs without AVX2. Every
 * accumulation is a sequential chain of fma()/fmaf() in dimension order, exactly the sequence
 * a SIMD lane performs, so the variants agree to the last bit; fma is correctly rounded by
 * definition, hardware or software. (Without hardware FMA the libm call makes this fallback
 * slow; every x86-64 server since 2013 takes the AVX2 path instead.)
 *
 * Cost: the argmin kernels are O(n k d), sqdist O(n m d), the rest O(n d) or O(n k).
 *
 * The file instantiates itself once for float and once for double (the VLFeat idiom): the
 * body below the #else is the template.
 */
#ifndef STRATA_KREF_PASS

#include <math.h>

#include "kernels.h"

#define STRATA_KREF_PASS 1
#define T float
#define W STRATA_K_PANEL_F32
#define FMA fmaf
#define TINF HUGE_VALF
#define SFX(name) name##_f32_ref
#define PACK strata_k_pack_centers_f32
#include __FILE__
#undef T
#undef W
#undef FMA
#undef TINF
#undef SFX
#undef PACK

#undef STRATA_KREF_PASS
#define STRATA_KREF_PASS 2
#define T double
#define W STRATA_K_PANEL_F64
#define FMA fma
#define TINF HUGE_VAL
#define SFX(name) name##_f64_ref
#define PACK strata_k_pack_centers_f64
#include __FILE__

#else /* ---------------------------------------------------------------- template */

#if STRATA_KREF_PASS == 1
#define KREF_LOCAL(name) name##_f32
#else
#define KREF_LOCAL(name) name##_f64
#endif

void PACK(int64_t k, int64_t d, const T *restrict c, int64_t ldc, T *restrict packed) {
  const int64_t np = (k + W - 1) / W;
  for (int64_t p = 0; p < np; p++) {
    T *pp = packed + p * (d + 2) * W;
    for (int w = 0; w < W; w++) {
      const int64_t j = p * W + w;
      if (j < k) {
        const T *cj = c + j * ldc;
        T nn = 0;
        for (int64_t t = 0; t < d; t++) nn = FMA(cj[t], cj[t], nn);
        pp[w] = 0;
        pp[W + w] = -(nn * (T)0.5);
        for (int64_t t = 0; t < d; t++) pp[2 * W + t * W + w] = cj[t];
      } else {
        /* Padding lanes can never win: +inf distance, -inf dot score. */
        pp[w] = TINF;
        pp[W + w] = -TINF;
        for (int64_t t = 0; t < d; t++) pp[2 * W + t * W + w] = 0;
      }
    }
  }
}

/* The value lane j of a SIMD kernel computes: the direct or dot accumulation of row xi
 * against packed centre j, starting from the panel's bias. */
static T KREF_LOCAL(lane_direct)(int64_t d, const T *restrict xi, const T *restrict packed,
                                 int64_t j) {
  const T *pp = packed + (j / W) * (d + 2) * W;
  const int64_t w = j % W;
  const T *cj = pp + 2 * W + w;
  T acc = pp[w];
  for (int64_t t = 0; t < d; t++) {
    T df = xi[t] - cj[t * W];
    acc = FMA(df, df, acc);
  }
  return acc;
}

static T KREF_LOCAL(lane_dot)(int64_t d, const T *restrict xi, const T *restrict packed,
                              int64_t j) {
  const T *pp = packed + (j / W) * (d + 2) * W;
  const int64_t w = j % W;
  const T *cj = pp + 2 * W + w;
  T acc = pp[W + w];
  for (int64_t t = 0; t < d; t++) acc = FMA(xi[t], cj[t * W], acc);
  return acc;
}

/* ||x||^2 - 2 a, never negative: the dot form's distance. 2 a is exact. */
static T KREF_LOCAL(dot_dist)(T xn, T a) {
  T r = xn - (T)2 * a;
  return r < 0 ? (T)0 : r;
}

void SFX(strata_k_sqdist_argmin)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                 int64_t ldx, const T *restrict packed, int32_t *restrict label,
                                 T *restrict dist) {
  for (int64_t i = 0; i < n; i++) {
    const T *xi = x + i * ldx;
    T best = TINF;
    int32_t bi = 0;
    for (int64_t j = 0; j < k; j++) {
      T v = KREF_LOCAL(lane_direct)(d, xi, packed, j);
      if (v < best) { /* strict: the lowest index wins a tie */
        best = v;
        bi = (int32_t)j;
      }
    }
    label[i] = bi;
    if (dist != NULL) dist[i] = best; /* labels only */
  }
}

void SFX(strata_k_sqdist_argmin2)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                  int64_t ldx, const T *restrict packed,
                                  int32_t *restrict label, T *restrict dist,
                                  T *restrict dist2) {
  for (int64_t i = 0; i < n; i++) {
    const T *xi = x + i * ldx;
    T b1 = TINF, b2 = TINF;
    int32_t bi = 0;
    for (int64_t j = 0; j < k; j++) {
      T v = KREF_LOCAL(lane_direct)(d, xi, packed, j);
      if (v < b1) {
        b2 = b1;
        b1 = v;
        bi = (int32_t)j;
      } else if (v < b2) {
        b2 = v;
      }
    }
    label[i] = bi;
    dist[i] = b1;
    dist2[i] = b2;
  }
}

void SFX(strata_k_dot_argmin)(int64_t n, int64_t d, int64_t k, const T *restrict x, int64_t ldx,
                              const T *restrict xnorm, const T *restrict packed,
                              int32_t *restrict label, T *restrict dist) {
  for (int64_t i = 0; i < n; i++) {
    const T *xi = x + i * ldx;
    T best = -TINF;
    int32_t bi = 0;
    for (int64_t j = 0; j < k; j++) {
      T a = KREF_LOCAL(lane_dot)(d, xi, packed, j);
      if (a > best) {
        best = a;
        bi = (int32_t)j;
      }
    }
    label[i] = bi;
    dist[i] = KREF_LOCAL(dot_dist)(xnorm[i], best);
  }
}

void SFX(strata_k_dot_argmin2)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                               int64_t ldx, const T *restrict xnorm, const T *restrict packed,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2) {
  for (int64_t i = 0; i < n; i++) {
    const T *xi = x + i * ldx;
    T a1 = -TINF, a2 = -TINF;
    int32_t bi = 0;
    for (int64_t j = 0; j < k; j++) {
      T a = KREF_LOCAL(lane_dot)(d, xi, packed, j);
      if (a > a1) {
        a2 = a1;
        a1 = a;
        bi = (int32_t)j;
      } else if (a > a2) {
        a2 = a;
      }
    }
    label[i] = bi;
    dist[i] = KREF_LOCAL(dot_dist)(xnorm[i], a1);
    dist2[i] = KREF_LOCAL(dot_dist)(xnorm[i], a2);
  }
}

void SFX(strata_k_sqdist)(int64_t n, int64_t d, int64_t m, const T *restrict x, int64_t ldx,
                          const T *restrict packed, T *restrict out, int64_t ldo) {
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < m; j++)
      out[i * ldo + j] = KREF_LOCAL(lane_direct)(d, x + i * ldx, packed, j);
}

void SFX(strata_k_sqdist_label)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                int64_t ldx, const T *restrict packed,
                                const int32_t *restrict label, T *restrict dist) {
  (void)k;
  for (int64_t i = 0; i < n; i++)
    dist[i] = KREF_LOCAL(lane_direct)(d, x + i * ldx, packed, label[i]);
}

void SFX(strata_k_sqdist_min)(int64_t n, int64_t d, const T *restrict x, int64_t ldx,
                              const T *restrict c, T *restrict dmin) {
  for (int64_t i = 0; i < n; i++) {
    const T *xi = x + i * ldx;
    T acc = 0;
    for (int64_t t = 0; t < d; t++) {
      T df = xi[t] - c[t];
      acc = FMA(df, df, acc);
    }
    if (acc < dmin[i]) dmin[i] = acc;
  }
}

void SFX(strata_k_sqnorm)(int64_t n, int64_t d, const T *restrict x, int64_t ldx,
                          T *restrict out) {
  for (int64_t i = 0; i < n; i++) {
    const T *xi = x + i * ldx;
    T acc = 0;
    for (int64_t t = 0; t < d; t++) acc = FMA(xi[t], xi[t], acc);
    out[i] = acc;
  }
}

void SFX(strata_k_accumulate)(int64_t n, int64_t d, const T *restrict x, int64_t ldx,
                              const int32_t *restrict label, const double *restrict weight,
                              double *restrict sums, int64_t lds, double *restrict wsum) {
  for (int64_t i = 0; i < n; i++) {
    const T *xi = x + i * ldx;
    double *s = sums + (int64_t)label[i] * lds;
    if (weight != NULL) {
      const double w = weight[i];
      for (int64_t t = 0; t < d; t++) {
        /* Two statements, so that no compiler contracts them into an fma: the SIMD variants
         * round the product and then the sum, and must match bit for bit. */
        double prod = w * (double)xi[t];
        s[t] = s[t] + prod;
      }
      wsum[label[i]] += w;
    } else {
      for (int64_t t = 0; t < d; t++) s[t] = s[t] + (double)xi[t];
      wsum[label[i]] += 1.0;
    }
  }
}

void SFX(strata_k_gemm_argmin)(int64_t n, int64_t k, const T *restrict g, int64_t ldg,
                               const T *restrict cnorm, const T *restrict xnorm,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2) {
  for (int64_t i = 0; i < n; i++) {
    const T *gi = g + i * ldg;
    T a1 = -TINF, a2 = -TINF;
    int32_t bi = 0;
    for (int64_t j = 0; j < k; j++) {
      T a = FMA((T)-0.5, cnorm[j], gi[j]);
      if (a > a1) {
        a2 = a1;
        a1 = a;
        bi = (int32_t)j;
      } else if (a > a2) {
        a2 = a;
      }
    }
    label[i] = bi;
    dist[i] = KREF_LOCAL(dot_dist)(xnorm[i], a1);
    if (dist2 != NULL) dist2[i] = KREF_LOCAL(dot_dist)(xnorm[i], a2);
  }
}

#undef KREF_LOCAL
#endif
