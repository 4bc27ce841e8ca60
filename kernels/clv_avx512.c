/*
 * clv_avx512.c — the CLV scoring kernels (clv_tmpl.h) on 8 double lanes with SLEEF's
 * AVX-512F functions.
 */
#ifndef __AVX512F__
#error "clv_avx512.c must be compiled with -mavx512f"
#endif
#include <immintrin.h>
#define CV_VEC __m512d
#define CV_W 8
#define CV_LOAD _mm512_loadu_pd
#define CV_STORE _mm512_storeu_pd
#define CV_SET1 _mm512_set1_pd
#define CV_ADD _mm512_add_pd
#define CV_SUB _mm512_sub_pd
#define CV_MUL _mm512_mul_pd
#define CV_DIV _mm512_div_pd
#define CV_LOG Sleef_logd8_u10avx512f
#define CV_LOG1P Sleef_log1pd8_u10avx512f
#define CV_EXP Sleef_expd8_u10avx512f
/* lanes where x == 0 take `then` */
#define CV_BLEND_IF_ZERO(x, otherwise, then) \
  _mm512_mask_blend_pd(_mm512_cmp_pd_mask((x), _mm512_setzero_pd(), _CMP_EQ_OQ), (otherwise), (then))
#define CV(name) name##_avx512
#include "clv_tmpl.h"
