/*
 * clv_avx2.c — the CLV scoring kernels (clv_tmpl.h) on 4 double lanes with SLEEF's AVX2
 * functions.
 */
#ifndef __AVX2__
#error "clv_avx2.c must be compiled with -mavx2 -mfma"
#endif
#include <immintrin.h>
#define CV_VEC __m256d
#define CV_W 4
#define CV_LOAD _mm256_loadu_pd
#define CV_STORE _mm256_storeu_pd
#define CV_SET1 _mm256_set1_pd
#define CV_ADD _mm256_add_pd
#define CV_SUB _mm256_sub_pd
#define CV_MUL _mm256_mul_pd
#define CV_DIV _mm256_div_pd
#define CV_LOG Sleef_logd4_u10avx2
#define CV_LOG1P Sleef_log1pd4_u10avx2
#define CV_EXP Sleef_expd4_u10avx2
#define CV_BLEND_IF_ZERO(x, otherwise, then) \
  _mm256_blendv_pd((otherwise), (then), _mm256_cmp_pd((x), _mm256_setzero_pd(), _CMP_EQ_OQ))
#define CV(name) name##_avx2
#include "clv_tmpl.h"
