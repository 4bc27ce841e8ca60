/*
 * assign_gemm.h — nearest-centre assignment through BLAS for large k and d.
 *
 * For a block of rows, one sgemm/dgemm gives every dot product x_i.c_j; the argmin over
 * ||x||^2 + ||c||^2 - 2 x.c is then fused into a pass over that block while it is still in
 * cache (the gemm_argmin kernel). It lives in src/ because kernels/ stays free of library
 * calls. The distances are those of the dot form (see kernels.h): exact labels need the
 * direct kernel. On the CPUs measured the packed kernels are faster at every shape, so this
 * path serves CPUs without AVX2 (see strata_assign_use_gemm and the table in assign_gemm.c).
 */
#ifndef STRATA_ASSIGN_GEMM_H
#define STRATA_ASSIGN_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

/* Rows per GEMM block for k centres of `elem_size`-byte elements: the block of dot products
 * (rows x k) is kept near 256 KiB so that the fused argmin reads it from L2, but never fewer
 * than 256 rows, so that BLAS's packing of the centres is amortised. */
int64_t strata_assign_gemm_rows(int64_t k, size_t elem_size);

/* 1 when the GEMM path is expected to beat the packed kernels of table kt (NULL: the active
 * table) for k centres of d dimensions of elem_size bytes, from the measurements recorded in
 * assign_gemm.c: on the measured CPUs only when kt is the scalar reference. The GEMM path
 * gives dot-form distances; a caller that needs exact labels uses the direct kernel. */
int strata_assign_use_gemm(const strata_kernels *kt, int64_t k, int64_t d, size_t elem_size);

/* Labels and squared distances of rows [0, n) of x (row i at x + i * ldx) against the k x d
 * centres c (row j at c + j * ldc):
 *   xnorm[i] = ||x_i||^2 and cnorm[j] = ||c_j||^2 (strata_k_sqnorm_*), borrowed;
 *   buf: buf_rows * k elements of scratch owned by the caller (buf_rows >= 1, typically
 *        strata_assign_gemm_rows(k, ...)); one buffer per calling thread;
 *   label[i], dist[i] = max(0, ||x_i||^2 + ||c||^2 - 2 x_i.c) of the chosen centre (lowest
 *        index on a tie), and dist2[i] the second smallest when dist2 is not NULL.
 * kt is the kernel table (NULL: strata_kernels_get()). Cannot fail. Reentrant; call it from
 * inside strata's parallel regions, where the OpenMP build of OpenBLAS runs single-threaded. */
void strata_assign_gemm_f32(const strata_kernels *kt, int64_t n, int64_t d, int64_t k,
                            const float *x, int64_t ldx, const float *xnorm, const float *c,
                            int64_t ldc, const float *cnorm, float *buf, int64_t buf_rows,
                            int32_t *label, float *dist, float *dist2);
void strata_assign_gemm_f64(const strata_kernels *kt, int64_t n, int64_t d, int64_t k,
                            const double *x, int64_t ldx, const double *xnorm, const double *c,
                            int64_t ldc, const double *cnorm, double *buf, int64_t buf_rows,
                            int32_t *label, double *dist, double *dist2);

#endif
