/*
 * hier_avx2.c — the hierarchical-clustering kernels compiled with -mavx2 -mfma: the template
 * of hier_tmpl.h with AVX2 intrinsics over the 8 lanes of a panel (two YMM registers per
 * panel). Same operations in the same order as hier_ref.c, hence identical results.
 */
#ifndef __AVX2__
#error "hier_avx2.c must be compiled with -mavx2 -mfma"
#endif
#ifndef __FMA__
#error "hier_avx2.c must be compiled with -mavx2 -mfma"
#endif
#include <immintrin.h>
#define HK_VEC __m256d
#define HK_VW 4
#define HK_VPP 2
#define HK_LOAD _mm256_loadu_pd
#define HK_STORE _mm256_storeu_pd
#define HK_SET1 _mm256_set1_pd
#define HK_SUB _mm256_sub_pd
#define HK_ADD _mm256_add_pd
#define HK_MUL _mm256_mul_pd
#define HK_DIV _mm256_div_pd
#define HK_FMA _mm256_fmadd_pd
#define HK_MIN _mm256_min_pd
#define HK_SQRT _mm256_sqrt_pd
#define HK(name) name##_avx2
#include "hier_tmpl.h"
