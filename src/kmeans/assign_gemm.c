/*
 * assign_gemm.c — GEMM-based nearest-centre assignment (see assign_gemm.h).
 *
 * Algorithm (the scikit-learn/faiss approach): for each block of B rows, G = X_B C^T by one
 * sgemm/dgemm into a B x k buffer, then a fused pass a_ij = g_ij - ||c_j||^2 / 2, argmax over j,
 * dist = ||x_i||^2 - 2 a. Cost O(B k d) in BLAS plus O(B k) for the pass; B is chosen so the
 * buffer stays in L2, which is what makes the second pass nearly free.
 *
 * Why not always: the packed kernels (kernels.h) need no buffer and no second pass over
 * B x k, and their register tile keeps every lane busy even for d = 16, where a GEMM's inner
 * dimension is too short for its blocking to pay. Measured, they win at every shape; this
 * path is the fast route on CPUs without AVX2, where OpenBLAS still has vector code and the
 * scalar kernels do not. The numbers are in strata_assign_use_gemm.
 */
#include "kmeans/assign_gemm.h"

#include <cblas.h>

int64_t strata_assign_gemm_rows(int64_t k, size_t elem_size) {
  /* Each call packs all of C inside BLAS: below a few hundred rows that packing, not the
   * multiply, dominates (16-row blocks ran at half speed for k = 4096, d = 512), so the L2
   * target gives way to a floor of 256 rows for large k. */
  const int64_t target = 256 * 1024;
  int64_t rows = target / (k * (int64_t)elem_size);
  if (rows < 256) rows = 256;
  return rows;
}

/* Crossover, measured on this project's machine: AMD EPYC Zen 4 (AVX-512, double-pumped:
 * peak 116 GFLOP/s float, 58 double per core), one thread, OpenBLAS 0.3.21 OpenMP build
 * (Cooperlake kernels; a 1024^3 sgemm runs at 87-96 GFLOP/s), n = 16384 rows, ns per row
 * (`bench_kernels crossover f32`):
 *
 *     k     d   packed dot  packed direct   gemm path
 *    16    16        11.1          12.8         15.5
 *    16    64        24.9          38.6         34.4   gemm beats direct
 *    16   512       287.3         391.5        471.3
 *    64    16        23.6          26.9         33.4
 *    64   128       176.8         200.9        230.5
 *    64   512       677.3         803.0        905.0
 *   256    32       152.2         192.9        236.3
 *   256   128       619.1         743.0        754.4
 *   256   512      2350.4        2902.1       2836.1   gemm beats direct by 2 %
 *  1024    16       317.9         387.8        614.2
 *  1024   128      2326.7        2945.1       2868.4   gemm beats direct by 3 %
 *  1024   512      9318.9       11499.9      11180.8   gemm beats direct by 3 %
 *  4096   512     37535         46293        45686     (n = 2048; 8 MiB of packed centres)
 *
 * So the GEMM path beats the exact direct kernel by 2-7 % once d >= 128 and k >= 256 (and at
 * k = 16, d = 64..256), but the packed dot kernel, which has the same (dot-form) accuracy as
 * the GEMM path, is 15-25 % faster than both on every shape measured, float and double (at
 * d = 128, k = 256, double: dot 1135, gemm 1401 ns/row). The GEMM path therefore only pays
 * when no SIMD kernel exists: against the scalar reference it is ~12x faster (d = 16, k = 64:
 * 242 vs 3395 ns/row), because OpenBLAS brings its own vector code. On CPUs with two full
 * 512-bit FMA units (Intel Xeon) the balance may differ; re-run the crossover there. */
int strata_assign_use_gemm(const strata_kernels *kt, int64_t k, int64_t d, size_t elem_size) {
  (void)elem_size;
  if (kt == NULL) kt = strata_kernels_get();
  /* Below 64 multiply-adds per row the BLAS call overhead outweighs the scalar loop. */
  return kt->isa == STRATA_ISA_REF && k * d >= 64;
}

void strata_assign_gemm_f32(const strata_kernels *kt, int64_t n, int64_t d, int64_t k,
                            const float *x, int64_t ldx, const float *xnorm, const float *c,
                            int64_t ldc, const float *cnorm, float *buf, int64_t buf_rows,
                            int32_t *label, float *dist, float *dist2) {
  if (kt == NULL) kt = strata_kernels_get();
  for (int64_t i0 = 0; i0 < n; i0 += buf_rows) {
    const int64_t rows = n - i0 < buf_rows ? n - i0 : buf_rows;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)rows, (blasint)k, (blasint)d,
                1.0f, x + i0 * ldx, (blasint)ldx, c, (blasint)ldc, 0.0f, buf, (blasint)k);
    kt->gemm_argmin_f32(rows, k, buf, k, cnorm, xnorm + i0, label + i0, dist + i0,
                        dist2 != NULL ? dist2 + i0 : NULL);
  }
}

void strata_assign_gemm_f64(const strata_kernels *kt, int64_t n, int64_t d, int64_t k,
                            const double *x, int64_t ldx, const double *xnorm, const double *c,
                            int64_t ldc, const double *cnorm, double *buf, int64_t buf_rows,
                            int32_t *label, double *dist, double *dist2) {
  if (kt == NULL) kt = strata_kernels_get();
  for (int64_t i0 = 0; i0 < n; i0 += buf_rows) {
    const int64_t rows = n - i0 < buf_rows ? n - i0 : buf_rows;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)rows, (blasint)k, (blasint)d, 1.0,
                x + i0 * ldx, (blasint)ldx, c, (blasint)ldc, 0.0, buf, (blasint)k);
    kt->gemm_argmin_f64(rows, k, buf, k, cnorm, xnorm + i0, label + i0, dist + i0,
                        dist2 != NULL ? dist2 + i0 : NULL);
  }
}
