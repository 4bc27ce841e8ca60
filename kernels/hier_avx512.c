/*
 * hier_avx512.c — the hierarchical-clustering kernels compiled with AVX-512 F/BW/DQ/VL: the
 * template of hier_tmpl.h with AVX-512 intrinsics over the 8 lanes of a panel (one ZMM
 * register per panel).
 * Same operations in the same order as hier_ref.c, hence identical results.
 */
#ifndef __AVX512F__
#error "hier_avx512.c must be compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl"
#endif
#include <immintrin.h>
#define HK_VEC __m512d
#define HK_VW 8
#define HK_VPP 1
#define HK_LOAD _mm512_loadu_pd
#define HK_STORE _mm512_storeu_pd
#define HK_SET1 _mm512_set1_pd
#define HK_SUB _mm512_sub_pd
#define HK_ADD _mm512_add_pd
#define HK_MUL _mm512_mul_pd
#define HK_DIV _mm512_div_pd
#define HK_FMA _mm512_fmadd_pd
#define HK_MIN _mm512_min_pd
#define HK_SQRT _mm512_sqrt_pd
#define HK(name) name##_avx512
#include "hier_tmpl.h"
