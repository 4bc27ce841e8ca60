/*
 * kmeans_avx512.c — AVX-512 k-means kernels (F, BW, DQ, VL; compiled with -mavx512*).
 *
 * Distance + argmin: a register tile of R rows x V panels (one ZMM of W = 16 floats or
 * 8 doubles per panel, one centre per lane). For each dimension t the V panel vectors are
 * loaded once and each row's x[t] is broadcast once, feeding R x V independent FMAs. R = 4,
 * V = 4 gives 16 accumulators, 8 loads per 16 FMAs and 64 float (32 double) centres per sweep
 * of the row tile; on Zen 4 it beat 6 x 4, 5 x 4, 8 x 3 and 12 x 2, since fewer live
 * accumulators leave the per-lane best values and indices in registers. Every lane runs the
 * same sequential fma chain over t as the scalar reference, so results are bit-identical
 * (see kernels.h). Measured (Zen 4, one thread, float, dot / direct form): 87 / 76 GFLOP/s at
 * d = 16, k = 64 and 106 / 87 GFLOP/s at d = 32, k = 256, against a 116 GFLOP/s FMA peak.
 *
 * The running best value and index are kept per lane across panel groups (strict compare in
 * increasing centre order: the lowest index wins a tie within a lane); one horizontal
 * reduction per row picks the best value and, among equal lanes, the lowest index (for float,
 * a single reduction over 64-bit keys; see kb_finish1_f32). Rows past n in the last tile
 * repeat the last row and are not written, so tails need no second code path; the lanes past
 * k are the padding lanes of the packed format (bias +inf / -inf), so they never win.
 *
 * The row tiles serve sqdist (all distances), d > 128, and the last few rows of a call. The
 * argmin kernels otherwise use the rows-in-lanes layout (one row per lane, no horizontal
 * reduction; see L(tload) below), and the direct-form argmins are screened with the dot form
 * (see L(tdrive_screen)). Zen 4 costs that shaped both, measured with independent chains: a
 * ZMM FMA per cycle; one add, min or max per cycle beside it for free, but a compare into a
 * mask register costs an FMA slot, and a broadcast from memory competes with the adds, so a
 * broadcast plus two subtractions per two FMAs runs at 1.5 cycles per FMA. Gathers are slow
 * (20+ cycles each), hence the permutes in L(verify).
 *
 * The file instantiates itself for float and double (the VLFeat idiom).
 */
#ifndef STRATA_KAVX512_PASS

#ifndef __AVX512F__
#error "kmeans_avx512.c must be compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma"
#endif

#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels.h"

#define KA_ALWAYS_INLINE static inline __attribute__((always_inline))
#define KA_FORM_DIRECT 0
#define KA_FORM_DOT 1
#define KA_MODE_BEST1 0
#define KA_MODE_BEST2 1
#define KA_MODE_STORE 2
#define KA_MODE_BEST3 3
#ifndef KA_TR
#define KA_TR 4 /* row vectors per rows-in-lanes tile */
#endif
#ifndef KA_TC
#define KA_TC 4 /* centres per rows-in-lanes tile (divides the panel width) */
#endif
#define KA_TB (KA_TR * W) /* rows per rows-in-lanes block */
#define KA_VPERM_PANELS 8 /* verification by permutes up to this many panels */
#define KA_TDMAX 128 /* largest d of the rows-in-lanes kernels (stack buffer) */

/* In-register transposes for the rows-in-lanes kernels: out[c] lane r = in[r] lane c. The
 * unpack / shuffle / 128-bit-lane network of 4 (float) or 3 (double) stages. */
KA_ALWAYS_INLINE void ka_transpose_f32(const __m512 *in, __m512 *out) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(in[2 * i], in[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(in[2 * i], in[2 * i + 1]);
  }
  for (int q = 0; q < 4; q++) {
    u[4 * q + 0] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0x44);
    u[4 * q + 1] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0xee);
    u[4 * q + 2] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0x44);
    u[4 * q + 3] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0xee);
  }
  for (int e = 0; e < 4; e++) {
    const __m512 p0 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x44);
    const __m512 p1 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xee);
    const __m512 p2 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x44);
    const __m512 p3 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xee);
    out[e] = _mm512_shuffle_f32x4(p0, p2, 0x88);
    out[4 + e] = _mm512_shuffle_f32x4(p0, p2, 0xdd);
    out[8 + e] = _mm512_shuffle_f32x4(p1, p3, 0x88);
    out[12 + e] = _mm512_shuffle_f32x4(p1, p3, 0xdd);
  }
}

KA_ALWAYS_INLINE void ka_transpose_f64(const __m512d *in, __m512d *out) {
  __m512d t[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm512_unpacklo_pd(in[2 * i], in[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_pd(in[2 * i], in[2 * i + 1]);
  }
  for (int e = 0; e < 2; e++) {
    const __m512d p0 = _mm512_shuffle_f64x2(t[e], t[2 + e], 0x44);
    const __m512d p1 = _mm512_shuffle_f64x2(t[e], t[2 + e], 0xee);
    const __m512d p2 = _mm512_shuffle_f64x2(t[4 + e], t[6 + e], 0x44);
    const __m512d p3 = _mm512_shuffle_f64x2(t[4 + e], t[6 + e], 0xee);
    out[e] = _mm512_shuffle_f64x2(p0, p2, 0x88);
    out[2 + e] = _mm512_shuffle_f64x2(p0, p2, 0xdd);
    out[4 + e] = _mm512_shuffle_f64x2(p1, p3, 0x88);
    out[6 + e] = _mm512_shuffle_f64x2(p1, p3, 0xdd);
  }
}

/* ---- float */
#define STRATA_KAVX512_PASS 1
#define T float
#define W 16
#define RT 4 /* rows per register tile */
#define VT 4 /* panels per register tile (the tail switch in drive assumes 4) */
#define TINF HUGE_VALF
#define FMA fmaf
#define VEC __m512
#define MASK __mmask16
#define VLOAD _mm512_loadu_ps
#define VLOADA _mm512_load_ps
#define VSTOREA _mm512_store_ps
#define VSTORE _mm512_storeu_ps
#define VSET1 _mm512_set1_ps
#define VZERO _mm512_setzero_ps
#define VADD _mm512_add_ps
#define VSUB _mm512_sub_ps
#define VMUL _mm512_mul_ps
#define VFMA _mm512_fmadd_ps
#define VMIN _mm512_min_ps
#define VMAX _mm512_max_ps
#define VCMP _mm512_cmp_ps_mask
#define VMASKMOV _mm512_mask_mov_ps
#define VMASKLOAD _mm512_mask_loadu_ps
#define VMASKSTORE _mm512_mask_storeu_ps
#define VREDMIN _mm512_reduce_min_ps
#define VREDMAX _mm512_reduce_max_ps
#define IVEC __m512i
#define IIOTA _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define IADDJ(v, j) _mm512_add_epi32((v), _mm512_set1_epi32((int)(j)))
#define IZERO _mm512_setzero_si512()
#define IMASKMOV _mm512_mask_mov_epi32
#define IREDMIN_MASK(m, v) ((int32_t)_mm512_mask_reduce_min_epi32((m), (v)))
#define ICMPEQ_J(v, j) _mm512_cmpeq_epi32_mask((v), _mm512_set1_epi32((int)(j)))
#define TAILMASK(r) ((MASK)((1u << (r)) - 1u))
#define JVEC __m512i
#define JSET1(j) _mm512_set1_epi32((int)(j))
#define JZERO _mm512_setzero_si512()
#define JMASKMOV _mm512_mask_mov_epi32
#define JMASKSTORE _mm512_mask_storeu_epi32
#define TRANSPOSE ka_transpose_f32
#define JSTORE(p, v) _mm512_storeu_si512((void *)(p), (v))
#define JLOAD(p) _mm512_loadu_si512((const void *)(p))
#define JSRLI _mm512_srli_epi32
#define JCMPEQ(v, q) _mm512_cmpeq_epi32_mask((v), _mm512_set1_epi32((int)(q)))
#define PIDX __m512i
#define LIDX(v) (v)
#define PERM2(a, i, b) _mm512_permutex2var_ps((a), (i), (b))
#define KA_PAIR_SHIFT 5
#define KA_UNIT 0x1.0p-24f
#define KA_TINY 0x1.0p-100f
#define L(name) name##_f32
#define SFX(name) name##_f32_avx512
#include __FILE__

/* ---- double: the index of a lane is kept as a double (exact below 2^53). */
#define STRATA_KAVX512_PASS 2
#define T double
#define W 8
#define RT 4
#define VT 4
#define TINF HUGE_VAL
#define FMA fma
#define VEC __m512d
#define MASK __mmask8
#define VLOAD _mm512_loadu_pd
#define VLOADA _mm512_load_pd
#define VSTOREA _mm512_store_pd
#define VSTORE _mm512_storeu_pd
#define VSET1 _mm512_set1_pd
#define VZERO _mm512_setzero_pd
#define VADD _mm512_add_pd
#define VSUB _mm512_sub_pd
#define VMUL _mm512_mul_pd
#define VFMA _mm512_fmadd_pd
#define VMIN _mm512_min_pd
#define VMAX _mm512_max_pd
#define VCMP _mm512_cmp_pd_mask
#define VMASKMOV _mm512_mask_mov_pd
#define VMASKLOAD _mm512_mask_loadu_pd
#define VMASKSTORE _mm512_mask_storeu_pd
#define VREDMIN _mm512_reduce_min_pd
#define VREDMAX _mm512_reduce_max_pd
#define IVEC __m512d
#define IIOTA _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7)
#define IADDJ(v, j) _mm512_add_pd((v), _mm512_set1_pd((double)(j)))
#define IZERO _mm512_setzero_pd()
#define IMASKMOV _mm512_mask_mov_pd
#define IREDMIN_MASK(m, v) ((int32_t)_mm512_mask_reduce_min_pd((m), (v)))
#define ICMPEQ_J(v, j) _mm512_cmp_pd_mask((v), _mm512_set1_pd((double)(j)), _CMP_EQ_OQ)
#define TAILMASK(r) ((MASK)((1u << (r)) - 1u))
#define JVEC __m256i
#define JSET1(j) _mm256_set1_epi32((int)(j))
#define JZERO _mm256_setzero_si256()
#define JMASKMOV _mm256_mask_mov_epi32
#define JMASKSTORE _mm256_mask_storeu_epi32
#define TRANSPOSE ka_transpose_f64
#define JSTORE(p, v) _mm256_storeu_si256((__m256i *)(p), (v))
#define JLOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define JSRLI _mm256_srli_epi32
#define JCMPEQ(v, q) _mm256_cmpeq_epi32_mask((v), _mm256_set1_epi32((int)(q)))
#define PIDX __m512i
#define LIDX(v) _mm512_cvtepi32_epi64(v)
#define PERM2(a, i, b) _mm512_permutex2var_pd((a), (i), (b))
#define KA_PAIR_SHIFT 4
#define KA_UNIT 0x1.0p-53
#define KA_TINY 0x1.0p-1000
#define L(name) name##_f64
#define SFX(name) name##_f64_avx512
#include __FILE__

/* ---- float labels through a bfloat16 screen (CPUs with AVX512_BF16, e.g. Zen 4, Cooper Lake
 * and Sapphire Rapids; dispatch.c puts it in the table only there).
 *
 * Why: VDPBF16PS does two multiply-adds per float lane in the slot of one FMA, so a dot-form
 * sweep over bfloat16 copies of the rows and centres costs about half of the float sweep
 * (sqdist_argmin at d = 16, k = 64 is FMA-bound). Its scores are coarse, so they only screen,
 * like the float dot form in tdrive_screen, with a wider bound:
 *
 * Bound. x~ and c~, rounded to nearest to bfloat16 (8 significant bits, u_b = 2^-8), differ
 * from x and c by e_x = x - x~ and e_c = c - c~, at most u_b |x_t| (|c_t|) per element, plus
 * 2^-126 where products are flushed. Since x.c - x~.c~ = x~.e_c + e_x.c exactly,
 *     |x~.c~ - x.c| <= |e_x| max |c| + (1 + u_b) |x| E,   E = max_j |e_c_j|
 * (Cauchy-Schwarz) plus terms below 2^-100 (|x| + |c| + 1), with the actual rounding errors:
 * |e_x| per row (a few operations a row, on the bfloat16 pairs the sweep reads) and E once
 * per call. On the benchmark blobs they are 0.43 (mean) and 0.54 of the worst cases u_b |x|
 * and u_b max |c| (2 u_b |x| |c| in all before), so the bound is half as wide, and of the
 * rows the float screen takes about a third fewer (3.6 -> 2.3 % over ten Lloyd passes),
 * two-candidate rows a fifth fewer (9.0 -> 7.3 %); -6 % a pass at d = 16, k = 64. The float
 * accumulation from the bias is a chain of d + 1 terms, one rounding per step (VDPBF16PS
 * rounds to nearest, whatever MXCSR says), bounded as the float dot form's with |x~| |c~| <=
 * 1.008 |x| |c|, which tdrive_screen's tau covers with its factor-2 slack. Hence a row whose
 * bfloat16 best score leads the runner-up by more than
 *     tau + 2.5 ((|e_x| + 2^-59) (max |c| + 2^-100) + (1 + 2^-8) (|x| + 2^-100) E)
 * (tau as in tdrive_screen; 2.5 = the two scores' errors times 1.25, for the rounding of the
 * bound itself; |e_x| and E rounded up, 2^-59 for squares that underflow) has the direct
 * kernel's argmin as its label, with no tie. Its distance, when asked for, is the direct
 * chain to that centre (L(verify)), bit for bit the kernel's. Rows
 * that fail (near ties: on the benchmark blobs about 10 % of the rows, mostly in blobs that
 * hold two centres) are gathered and go through the float screen, and from there the rows
 * it cannot certify through the direct form: the outputs are the direct kernel's bit for bit,
 * whatever the screens decide. When more than half of the rows fail, the rest of the call
 * runs the float screen straight.
 *
 * Measured (Zen 4, one thread, ns per row, labels only / with distances, against the float
 * screen alone): d = 16, k = 64, the benchmark blobs with the centres of Lloyd's 5th
 * iteration: 16.4 / 17.7 vs 22.0 / 23.4 (3 % of the rows to the float screen, about 10 %
 * settled between two candidates); the same blobs with their true centres: 13.0 / 14.5;
 * bench_kernels' blobs with rows as centres: 18.4 / 19.8 vs 22.1 / 23.5. In `strata kmeans`
 * (10 Lloyd iterations at 1M x 16 x 64, one thread, CPU time of the iterations) -25 %, and at
 * 1M x 32 x 256 -35 to -40 %. The index bits replace a compare per (row vector, centre), which
 * takes an FMA slot on Zen 4; 4 centres per tile beat 2 and 8. */
#define KB_PAIRS_MAX 8192 /* bfloat16 pairs of converted centres (stack buffer, 32 KB) */
#define KB_TB (KA_TR * 16)
#ifndef KB_TC
#define KB_TC 4 /* centres per bfloat16 tile (divides 16) */
#endif
#define KB_TARGET __attribute__((target("avx512bf16")))

/* Pairs of bfloat16 (lo from `lo`, hi from `hi`) in each 32-bit lane, as VDPBF16PS reads. */
KB_TARGET KA_ALWAYS_INLINE __m512i kb_pair(__m512 lo, __m512 hi) {
  /* Word 2 w takes word w (lo), word 2 w + 1 takes word 16 + w (hi). */
#define KB_W2(w) ((w) | (16 + (w)) << 16)
  const __m512i idx = _mm512_setr_epi32(KB_W2(0), KB_W2(1), KB_W2(2), KB_W2(3), KB_W2(4), KB_W2(5),
                                        KB_W2(6), KB_W2(7), KB_W2(8), KB_W2(9), KB_W2(10),
                                        KB_W2(11), KB_W2(12), KB_W2(13), KB_W2(14), KB_W2(15));
#undef KB_W2
  return _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

/* acc + |lo - lo~|^2 + |hi - hi~|^2 lane by lane, lo~ and hi~ read back from their pair (the
 * low and high 16 bits of each lane are the bfloat16 values VDPBF16PS multiplies): the
 * actual rounding errors that the screen's bound uses. */
KB_TARGET KA_ALWAYS_INLINE __m512 kb_pair_err2(__m512i pair, __m512 lo, __m512 hi, __m512 acc) {
  const __m512 el = _mm512_sub_ps(lo, _mm512_castsi512_ps(_mm512_slli_epi32(pair, 16)));
  const __m512 eh = _mm512_sub_ps(
      hi, _mm512_castsi512_ps(_mm512_and_si512(pair, _mm512_set1_epi32((int)0xffff0000u))));
  return _mm512_fmadd_ps(eh, eh, _mm512_fmadd_ps(el, el, acc));
}

/* One tile: KA_TR row vectors (pairs at xb, KA_TR vectors per pair) against KA_TC centres of
 * the panel whose dot biases are at bias and pairs at cb (16 lanes per pair). The three best
 * scores of each row lane are kept by value alone: the centre index replaces the low `bits`
 * of each score's significand (one bit-select, where a compare into a mask register would
 * take an FMA slot), so min/max carry the index along; the bound allows for the change. A
 * padding lane's score is -inf, which becomes a NaN: the operand order makes min/max drop it
 * (VMINPS/VMAXPS return the second operand when either is a NaN). */
KB_TARGET KA_ALWAYS_INLINE void kb_ttile(const int64_t dp, const __m512i *restrict xb,
                                         const float *restrict bias, const uint32_t *restrict cb,
                                         const int64_t w0, const int64_t j0, const __m512i keep,
                                         __m512 *b1, __m512 *b2, __m512 *b3) {
  __m512 acc[KA_TR][KB_TC];
#pragma GCC unroll 16
  for (int c = 0; c < KB_TC; c++) {
    const __m512 bv = _mm512_set1_ps(bias[w0 + c]);
#pragma GCC unroll 8
    for (int r = 0; r < KA_TR; r++) acc[r][c] = bv;
  }
  for (int64_t tp = 0; tp < dp; tp++) {
    __m512i xv[KA_TR];
#pragma GCC unroll 8
    for (int r = 0; r < KA_TR; r++) xv[r] = _mm512_load_si512(xb + tp * KA_TR + r);
#pragma GCC unroll 16
    for (int c = 0; c < KB_TC; c++) {
      const __m512i cv = _mm512_set1_epi32((int)cb[tp * 16 + w0 + c]);
#pragma GCC unroll 8
      for (int r = 0; r < KA_TR; r++)
        acc[r][c] = _mm512_dpbf16_ps(acc[r][c], (__m512bh)xv[r], (__m512bh)cv);
    }
  }
#pragma GCC unroll 16
  for (int c = 0; c < KB_TC; c++) {
    __m512i jv = _mm512_set1_epi32((int)(j0 + c));
    __asm__("" : "+v"(jv)); /* as in L(ttile) */
#pragma GCC unroll 8
    for (int r = 0; r < KA_TR; r++) {
      /* (a & keep) | j */
      const __m512 a = _mm512_castsi512_ps(
          _mm512_ternarylogic_epi32(_mm512_castps_si512(acc[r][c]), keep, jv, 0xea));
      const __m512 t1 = _mm512_min_ps(b1[r], a);
      b1[r] = _mm512_max_ps(a, b1[r]);
      const __m512 t2 = _mm512_min_ps(b2[r], t1);
      b2[r] = _mm512_max_ps(t1, b2[r]);
      b3[r] = _mm512_max_ps(t2, b3[r]);
    }
  }
}

/* Which of two candidate centres the direct chains put nearer, decided by float estimates of
 * both squared distances where the estimates' error bound allows: 0 for a, 1 for b, -1 when
 * they are too close to tell (the caller then runs both chains).
 *
 * Why: about a tenth of the rows on blob data leave the bfloat16 screen with two candidates
 * (blobs that hold two centres); two direct chains side by side are a serial dependency of d
 * FMAs each (4 cycles a step), while these estimates are a few independent vector operations.
 *
 * Bound. Ea sums fl(x_t - a_t)^2 with FMAs in per-lane chains of ceil(d / 16) terms and a
 * 16-lane tree: |Ea - A| <= (2u + (d + 4) u) A (1 + tiny) for the exact A = ||x - a||^2, u =
 * 2^-24; the direct chain is within (d + 2) u A of A. With g = (d + 6) u bounding both, chain_a
 * <= Ea (1 + g) / (1 - g) and chain_b >= Eb (1 - g) / (1 + g), so Eb - Ea > 4 g Eb (1 + O(g))
 * makes chain_a < chain_b strictly. The test asks for 5 g (Ea + Eb), which also covers the
 * rounding of the test itself, plus (d + 6) 2^-120 for underflow in any of the steps; estimates
 * at or above 2^126 are left to the chains (which could overflow). The estimates go to *ea and
 * *eq (A >= Ea (1 - 2 g) by the same bound). */
KB_TARGET static inline int kb_pick2(const int64_t d, const float *restrict xi,
                                     const float *restrict ca, const float *restrict cq,
                                     float *ea_out, float *eq_out) {
  __m512 sa = _mm512_setzero_ps(), sq = _mm512_setzero_ps();
  for (int64_t t = 0; t < d; t += 16) {
    const __mmask16 m = d - t >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (d - t)) - 1u);
    const __m512 xv = _mm512_maskz_loadu_ps(m, xi + t);
    const __m512 da = _mm512_sub_ps(xv, _mm512_maskz_loadu_ps(m, ca + t));
    const __m512 dq = _mm512_sub_ps(xv, _mm512_maskz_loadu_ps(m, cq + t));
    sa = _mm512_fmadd_ps(da, da, sa);
    sq = _mm512_fmadd_ps(dq, dq, sq);
  }
  const float ea = _mm512_reduce_add_ps(sa), eq = _mm512_reduce_add_ps(sq);
  *ea_out = ea;
  *eq_out = eq;
  if (!(ea < 0x1.0p126f && eq < 0x1.0p126f)) return -1;
  const float g = (float)(d + 6) * 0x1.0p-24f;
  const float margin = 5.0f * g * (ea + eq) + (float)(d + 6) * 0x1.0p-120f;
  if (eq - ea > margin) return 0;
  if (ea - eq > margin) return 1;
  return -1;
}

/* The centres row by row (k x d, as kb_pick2 reads them) from the panels: one 16 x 16
 * transpose per panel and 16 dimensions. Copied element by element, it cost about a
 * microsecond per call, 0.3 ns a row in Lloyd's calls of 2048 rows. */
KB_TARGET static void kb_centre_rows(const int64_t d, const int64_t k, const float *restrict packed,
                                     float *restrict crow) {
  const int64_t np = (k + 15) / 16, pstride = (d + 2) * 16;
  for (int64_t p = 0; p < np; p++) {
    const float *pan = packed + p * pstride + 32;
    const int lanes = k - p * 16 < 16 ? (int)(k - p * 16) : 16;
    for (int64_t t0 = 0; t0 < d; t0 += 16) {
      const int nc = d - t0 < 16 ? (int)(d - t0) : 16;
      const __mmask16 m = (__mmask16)((1u << nc) - 1u);
      __m512 in[16], out[16];
      for (int t = 0; t < 16; t++)
        in[t] = t < nc ? _mm512_loadu_ps(pan + (t0 + t) * 16) : _mm512_setzero_ps();
      ka_transpose_f32(in, out);
      for (int c = 0; c < lanes; c++)
        _mm512_mask_storeu_ps(crow + (p * 16 + c) * d + t0, m, out[c]);
    }
  }
}

/* One row of d floats, 16 at a time (memcpy is a library call with a size dispatch). */
KA_ALWAYS_INLINE void kb_copy_row(float *restrict dst, const float *restrict src, const int64_t d) {
  for (int64_t t = 0; t < d; t += 16) {
    const __mmask16 m = d - t >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (d - t)) - 1u);
    _mm512_mask_storeu_ps(dst + t, m, _mm512_maskz_loadu_ps(m, src + t));
  }
}

/* The direct chain from row xi to the centre at c (a panel column, stride 16). */
static inline float kb_chain(const int64_t d, const float *restrict xi, const float *restrict c) {
  float e = 0;
  for (int64_t t = 0; t < d; t++) {
    const float dt = xi[t] - c[t * 16];
    e = fmaf(dt, dt, e);
  }
  return e;
}

/* Gathered rows that the bfloat16 screen left undecided, for the float screen. */
typedef struct kb_pending {
  float x[KB_TB * KA_TDMAX] __attribute__((aligned(64)));
  int64_t row[KB_TB];
  int m;
} kb_pending;

static void kb_flush(kb_pending *pd, const int64_t d, const int64_t k, const float *restrict packed,
                     int32_t *restrict label, float *restrict dist) {
  int32_t lab[KB_TB];
  float dd[KB_TB];
  /* A short remainder (the end of a call) through the row tiles: the rows-in-lanes sweep
   * costs a full block whatever its fill. */
  if (pd->m >= KB_TB / 2)
    tdrive_screen_f32(0, pd->m, d, k, pd->x, d, packed, lab, dist != NULL ? dd : NULL, NULL);
  else
    drive_f32(KA_FORM_DIRECT, KA_MODE_BEST1, pd->m, d, k, pd->x, d, NULL, packed, lab,
              dist != NULL ? dd : NULL, NULL, NULL, 0);
  for (int r = 0; r < pd->m; r++) {
    label[pd->row[r]] = lab[r];
    if (dist != NULL) dist[pd->row[r]] = dd[r];
  }
  pd->m = 0;
}

/* lb (when not NULL; then dist is NULL): lower bounds on the exact squared distance from each
 * row to every centre but its label, 0 where unknown. A certified row's other centres score at
 * most b2 (b3 past two candidates) in the screen, so their exact dot scores S_j = x.c_j -
 * ||c_j||^2 / 2 are at most b2 + tau (tau covers two scores' errors), and D_j = ||x||^2 - 2 S_j
 * >= xns (1 - 2 g) - 2 (b2 + tau); the runner-up of two candidates is bounded by its kb_pick2
 * estimate or its chain, times 1 - 2 (d + 6) 2^-24. Float roundings of these few steps are
 * covered by 2^-20 relative margins. */
KB_TARGET static void kb_screen(const int64_t n, const int64_t d, const int64_t k,
                                const float *restrict x, const int64_t ldx,
                                const float *restrict packed, int32_t *restrict label,
                                float *restrict dist, float *restrict lb) {
  float buf[KA_TDMAX * KB_TB] __attribute__((aligned(64)));
  __m512i xb[KA_TDMAX / 2 * KA_TR];
  uint32_t cb[KB_PAIRS_MAX] __attribute__((aligned(64)));
  kb_pending pd;
  pd.m = 0;
  /* Centres row by row for kb_pick2, filled at the first two-candidate row. */
  float crow[2 * KB_PAIRS_MAX] __attribute__((aligned(64)));
  int crow_ready = 0;
  const int64_t np = (k + 15) / 16, pstride = (d + 2) * 16, dp = (d + 1) / 2;
  int bits = 1;
  while (((int64_t)1 << bits) < k) bits++;
  const __m512i keep = _mm512_set1_epi32((int)~((1u << bits) - 1u));
  const __m512i imask = _mm512_set1_epi32((int)((1u << bits) - 1u));
  float c2max = 0;
  for (int64_t p = 0; p < np; p++) {
    const float *pan = packed + p * pstride + 32;
    for (int64_t tp = 0; tp < dp; tp++) {
      const __m512 lo = _mm512_loadu_ps(pan + 2 * tp * 16);
      const __m512 hi =
          2 * tp + 1 < d ? _mm512_loadu_ps(pan + (2 * tp + 1) * 16) : _mm512_setzero_ps();
      _mm512_store_si512(cb + (p * dp + tp) * 16, kb_pair(lo, hi));
    }
  }
  for (int64_t j = 0; j < k; j++) {
    const float nn = -2.0f * packed[(j / 16) * pstride + 16 + j % 16];
    if (nn > c2max) c2max = nn;
  }
  /* E^2 = max_j |c_j - c~_j|^2, each centre (lane) summed in float; padding lanes are 0. */
  __m512 e2max = _mm512_setzero_ps();
  for (int64_t p = 0; p < np; p++) {
    const float *pan = packed + p * pstride + 32;
    __m512 e2 = _mm512_setzero_ps();
    for (int64_t tp = 0; tp < dp; tp++) {
      const __m512 hi =
          2 * tp + 1 < d ? _mm512_loadu_ps(pan + (2 * tp + 1) * 16) : _mm512_setzero_ps();
      e2 = kb_pair_err2(_mm512_load_si512(cb + (p * dp + tp) * 16),
                        _mm512_loadu_ps(pan + 2 * tp * 16), hi, e2);
    }
    e2max = _mm512_max_ps(e2max, e2);
  }
  /* Rounded up: the sum's relative error is below (d + 1) 2^-24 <= 2^-16, and elements whose
   * squares underflow (below 2^-63) add at most sqrt(d) 2^-63 < 2^-59. The conversion flushes
   * subnormal inputs to 0, so c~ (x~ below) here is what VDPBF16PS reads. */
  const float cerr = sqrtf(_mm512_reduce_max_ps(e2max)) * (1.0f + 0x1.0p-15f) + 0x1.0p-59f;
  /* tau = the float screen's + bfloat16 rounding + index bits, each x 1.25 (see above):
   *   6 g X2 + 10 g C2 + (d + 2) 2^-100                                    (float screen)
   * + 2.5 (|e_x| |C| + (1 + 2^-8) |x| E)                                   (bfloat16 inputs)
   * + 2 x 1.25 x 2^(bits - 23) (1.02 |x| |C| + 0.51 C2) + 2^(bits - 140)   (index bits: each
   *   score moves by less than 2^bits ulps, |score| <= 1.02 |x| |C| + 0.51 C2 + tiny),
   * with |x| and |C| rounded up by 2^-100 against underflow. */
  const float g = (float)(d + 2) * 0x1.0p-24f;
  const float ib = 1.3f * ldexpf(1.0f, bits - 22);
  const float cabs = sqrtf(c2max) + 0x1.0p-100f;
  const __m512 k3 = _mm512_set1_ps(6.0f * g);
  const __m512 kc = _mm512_set1_ps(10.0f * g * c2max + ib * c2max + ldexpf(1.0f, bits - 140) +
                                   (float)(d + 2) * 0x1.0p-100f);
  const __m512 kb = _mm512_set1_ps(ib * cabs + 2.5f * (1.0f + 0x1.0p-8f) * cerr);
  const __m512 kbe = _mm512_set1_ps(2.5f * cabs);
  const __m512 vinf = _mm512_set1_ps(HUGE_VALF), c2v = _mm512_set1_ps(c2max);
  const __m512 lbx = _mm512_set1_ps(1.0f - 2.0f * g);
  const float g_pick = 1.0f - 2.0f * (float)(d + 6) * 0x1.0p-24f;
  int64_t n_seen = 0, n_bad = 0, i0 = 0;
  for (; i0 < n; i0 += KB_TB) {
    if (n_seen >= 4 * KB_TB && 2 * n_bad > n_seen) break; /* the float screen does better */
    const int nr = n - i0 < KB_TB ? (int)(n - i0) : KB_TB;
    tload_f32(x + i0 * ldx, ldx, nr, d, buf);
    /* ex2: |e_x|^2 per row, as E for the centres. */
    __m512 ex2[KA_TR];
    for (int r = 0; r < KA_TR; r++) ex2[r] = _mm512_setzero_ps();
    for (int64_t tp = 0; tp < dp; tp++)
#pragma GCC unroll 8
      for (int r = 0; r < KA_TR; r++) {
        const __m512 lo = _mm512_load_ps(buf + 2 * tp * KB_TB + r * 16);
        const __m512 hi = 2 * tp + 1 < d ? _mm512_load_ps(buf + (2 * tp + 1) * KB_TB + r * 16)
                                         : _mm512_setzero_ps();
        const __m512i pair = kb_pair(lo, hi);
        xb[tp * KA_TR + r] = pair;
        ex2[r] = kb_pair_err2(pair, lo, hi, ex2[r]);
      }
    tpf_f32 pf;
    tpf_init_f32(&pf, x + (i0 + nr) * ldx, ldx, n - i0 - nr < KB_TB ? n - i0 - nr : KB_TB, d);
    __m512 b1[KA_TR], b2[KA_TR], b3[KA_TR];
    for (int r = 0; r < KA_TR; r++) b1[r] = b2[r] = b3[r] = _mm512_set1_ps(-HUGE_VALF);
    const int64_t tiles = (k + KB_TC - 1) / KB_TC;
    const int64_t per = (pf.rows * pf.per_row + tiles - 1) / tiles;
    for (int64_t j0 = 0; j0 < k; j0 += KB_TC) {
      tpf_some_f32(&pf, per);
      const int64_t p = j0 / 16;
      kb_ttile(dp, xb, packed + p * pstride + 16, cb + p * dp * 16, j0 % 16, j0, keep, b1, b2, b3);
    }
    /* ||x||^2 in any order, as in tdrive_screen. */
    __m512 xns[KA_TR];
    {
      __m512 e[KA_TR], o[KA_TR];
      for (int r = 0; r < KA_TR; r++) e[r] = o[r] = _mm512_setzero_ps();
      int64_t t = 0;
      for (; t + 1 < d; t += 2)
#pragma GCC unroll 8
        for (int r = 0; r < KA_TR; r++) {
          const __m512 v0 = _mm512_load_ps(buf + t * KB_TB + r * 16);
          const __m512 v1 = _mm512_load_ps(buf + (t + 1) * KB_TB + r * 16);
          e[r] = _mm512_fmadd_ps(v0, v0, e[r]);
          o[r] = _mm512_fmadd_ps(v1, v1, o[r]);
        }
      for (int r = 0; r < KA_TR; r++) {
        if (t < d) {
          const __m512 v = _mm512_load_ps(buf + t * KB_TB + r * 16);
          e[r] = _mm512_fmadd_ps(v, v, e[r]);
        }
        xns[r] = _mm512_add_ps(e[r], o[r]);
      }
    }
    /* ok1: the best centre is certain; ok2: one of the best two (the direct distances to
     * both decide, lowest index on a tie, as the kernel's sweep). */
    __mmask16 ok1[KA_TR], ok2[KA_TR], valid[KA_TR];
    __mmask16 any1 = 0;
    __m512i i1[KA_TR], i2[KA_TR];
    for (int r = 0; r < KA_TR; r++) {
      valid[r] = tvalid_f32(nr, r);
      i1[r] = _mm512_and_si512(_mm512_castps_si512(b1[r]), imask);
      i2[r] = _mm512_and_si512(_mm512_castps_si512(b2[r]), imask);
      const __m512 xabs = _mm512_add_ps(_mm512_sqrt_ps(xns[r]), _mm512_set1_ps(0x1.0p-100f));
      const __m512 ex = _mm512_fmadd_ps(_mm512_sqrt_ps(ex2[r]), _mm512_set1_ps(1.0f + 0x1.0p-15f),
                                        _mm512_set1_ps(0x1.0p-59f));
      const __m512 tau = _mm512_fmadd_ps(
          ex, kbe, _mm512_fmadd_ps(xabs, kb, _mm512_fmadd_ps(xns[r], k3, kc)));
      const __m512 gap1 = _mm512_sub_ps(b1[r], b2[r]), gap2 = _mm512_sub_ps(b1[r], b3[r]);
      const __m512 big = _mm512_mul_ps(_mm512_add_ps(xns[r], c2v), _mm512_set1_ps(4.0f));
      const __mmask16 sane = valid[r] & _mm512_cmp_ps_mask(big, vinf, _CMP_LT_OQ);
      ok1[r] = sane & _mm512_cmp_ps_mask(gap1, tau, _CMP_GT_OQ) &
               _mm512_cmp_ps_mask(gap1, vinf, _CMP_LT_OQ);
      ok2[r] = sane & (__mmask16)~ok1[r] & _mm512_cmp_ps_mask(gap2, tau, _CMP_GT_OQ) &
               _mm512_cmp_ps_mask(gap2, vinf, _CMP_LT_OQ);
      any1 |= ok1[r];
      if (lb != NULL) {
        const __m512 other = _mm512_mask_blend_ps(ok1[r], b3[r], b2[r]);
        const __m512 two_s = _mm512_mul_ps(_mm512_add_ps(other, tau), _mm512_set1_ps(2.0f));
        const __m512 two_up =
            _mm512_fmadd_ps(_mm512_abs_ps(two_s), _mm512_set1_ps(0x1.0p-20f), two_s);
        const __m512 low = _mm512_sub_ps(_mm512_mul_ps(xns[r], lbx), two_up);
        const __m512 bound = _mm512_max_ps(_mm512_mul_ps(low, _mm512_set1_ps(1.0f - 0x1.0p-20f)),
                                           _mm512_setzero_ps());
        _mm512_mask_storeu_ps(lb + i0 + r * 16, valid[r],
                              _mm512_maskz_mov_ps(ok1[r] | ok2[r], bound));
      }
    }
    if (any1 && dist != NULL) {
      __m512 e1[KA_TR];
      verify_f32(d, k, buf, packed, i1, e1);
      for (int r = 0; r < KA_TR; r++) {
        ok1[r] &= _mm512_cmp_ps_mask(e1[r], vinf, _CMP_LT_OQ);
        if (ok1[r]) _mm512_mask_storeu_ps(dist + i0 + r * 16, ok1[r], e1[r]);
      }
    }
    int nbad = 0;
    for (int r = 0; r < KA_TR; r++) {
      const int64_t i = i0 + r * 16;
      if (ok1[r]) _mm512_mask_storeu_epi32(label + i, ok1[r], i1[r]);
      unsigned two = ok2[r];
      if (two) {
        /* A few rows a block, one at a time (the permutes of L(verify) over all 64 rows cost
         * more): float estimates decide most (kb_pick2), the direct chains the rest. */
        int32_t l1[16], l2[16];
        _mm512_storeu_si512(l1, i1[r]);
        _mm512_storeu_si512(l2, i2[r]);
        if (!crow_ready) {
          kb_centre_rows(d, k, packed, crow);
          crow_ready = 1;
        }
        for (unsigned m = two; m != 0; m &= m - 1) {
          const int lane = __builtin_ctz(m);
          const float *xi = x + (i + lane) * ldx;
          const int32_t ja = l1[lane], jb = l2[lane];
          const float *ca = packed + (ja / 16) * pstride + 32 + ja % 16;
          const float *cq = packed + (jb / 16) * pstride + 32 + jb % 16;
          float est_a, est_b;
          const int pick = kb_pick2(d, xi, crow + ja * d, crow + jb * d, &est_a, &est_b);
          if (pick >= 0) {
            label[i + lane] = pick ? jb : ja;
            if (dist != NULL) dist[i + lane] = kb_chain(d, xi, pick ? cq : ca);
            if (lb != NULL) lb[i + lane] = fminf(lb[i + lane], (pick ? est_a : est_b) * g_pick);
            continue;
          }
          float ea = 0, eb = 0;
          for (int64_t t = 0; t < d; t++) {
            const float da = xi[t] - ca[t * 16], db = xi[t] - cq[t * 16];
            ea = fmaf(da, da, ea);
            eb = fmaf(db, db, eb);
          }
          if (!(ea < HUGE_VALF && eb < HUGE_VALF)) {
            two &= ~(1u << lane); /* to the float screen with the rest */
            if (lb != NULL) lb[i + lane] = 0;
            continue;
          }
          const int b2win = eb < ea || (eb == ea && jb < ja);
          label[i + lane] = b2win ? jb : ja;
          if (dist != NULL) dist[i + lane] = b2win ? eb : ea;
          if (lb != NULL) lb[i + lane] = fminf(lb[i + lane], (b2win ? ea : eb) * g_pick);
        }
      }
      for (unsigned rest = (unsigned)(valid[r] & (__mmask16)~ok1[r]) & ~two; rest != 0;
           rest &= rest - 1) {
        const int64_t row = i + __builtin_ctz(rest);
        kb_copy_row(pd.x + (int64_t)pd.m * d, x + row * ldx, d);
        pd.row[pd.m++] = row;
        if (pd.m == KB_TB) kb_flush(&pd, d, k, packed, label, dist);
        nbad++;
      }
    }
    n_seen += nr;
    n_bad += nbad;
  }
  if (pd.m > 0) kb_flush(&pd, d, k, packed, label, dist);
  if (i0 < n) {
    tdrive_screen_f32(0, n - i0, d, k, x + i0 * ldx, ldx, packed, label + i0,
                      dist != NULL ? dist + i0 : NULL, NULL);
    if (lb != NULL) memset(lb + i0, 0, (size_t)(n - i0) * sizeof(float));
  }
}

void strata_k_sqdist_argmin_f32_avx512bf16(int64_t n, int64_t d, int64_t k, const float *restrict x,
                                           int64_t ldx, const float *restrict packed,
                                           int32_t *restrict label, float *restrict dist) {
  const int64_t np = (k + 15) / 16, dp = (d + 1) / 2;
  if (d > KA_TDMAX || np * dp * 16 > KB_PAIRS_MAX) {
    strata_k_sqdist_argmin_f32_avx512(n, d, k, x, ldx, packed, label, dist);
    return;
  }
  const int64_t nt = tsplit_f32(n, d);
  kb_screen(nt, d, k, x, ldx, packed, label, dist, NULL);
  drive_f32(KA_FORM_DIRECT, KA_MODE_BEST1, n - nt, d, k, x + nt * ldx, ldx, NULL, packed,
            label + nt, dist != NULL ? dist + nt : NULL, NULL, NULL, 0);
}

void strata_k_sqdist_argmin_lb_f32_avx512bf16(int64_t n, int64_t d, int64_t k,
                                              const float *restrict x, int64_t ldx,
                                              const float *restrict packed,
                                              int32_t *restrict label, float *restrict lb) {
  const int64_t np = (k + 15) / 16, dp = (d + 1) / 2;
  int64_t nt = 0;
  if (d <= KA_TDMAX && np * dp * 16 <= KB_PAIRS_MAX) {
    nt = tsplit_f32(n, d);
    kb_screen(nt, d, k, x, ldx, packed, label, NULL, lb);
  }
  /* The rest (or all of a shape the screen does not take): labels only, bounds unknown. */
  strata_k_sqdist_argmin_f32_avx512(n - nt, d, k, x + nt * ldx, ldx, packed, label + nt, NULL);
  memset(lb + nt, 0, (size_t)(n - nt) * sizeof(float));
}

#else /* ---------------------------------------------------------------- template */

/* One register tile: rows xr[0..R) against panels [p, p + V) whose first panel is at pp. */
KA_ALWAYS_INLINE void L(tile)(const int R, const int V, const int form, const int mode,
                              const int64_t d, const T *const *xr, const T *pp,
                              const int64_t pstride, const int64_t j0, VEC *b1, VEC *b2,
                              IVEC *bi, T *const *orow, const int nr, const int64_t m) {
  VEC acc[RT][VT];
  const T *cp[VT];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    cp[v] = pp + v * pstride;
    const VEC bias = VLOAD(cp[v] + (form == KA_FORM_DIRECT ? 0 : W));
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) acc[r][v] = bias;
    cp[v] += 2 * W;
  }
  for (int64_t t = 0; t < d; t++) {
    VEC c[VT];
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) c[v] = VLOAD(cp[v] + t * W);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const VEC bx = VSET1(xr[r][t]);
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) {
        if (form == KA_FORM_DIRECT) {
          const VEC df = VSUB(bx, c[v]);
          acc[r][v] = VFMA(df, df, acc[r][v]);
        } else {
          acc[r][v] = VFMA(bx, c[v], acc[r][v]);
        }
      }
    }
  }
  if (mode == KA_MODE_STORE) {
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      if (r >= nr) break;
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) {
        const int64_t j = j0 + (int64_t)v * W;
        if (j + W <= m)
          VSTORE(orow[r] + j, acc[r][v]);
        else if (j < m)
          VMASKSTORE(orow[r] + j, TAILMASK(m - j), acc[r][v]);
      }
    }
    return;
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    const IVEC vid = IADDJ(IIOTA, j0 + (int64_t)v * W);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const VEC a = acc[r][v];
      /* Direct form: keep the smallest distance; dot form: the largest score. */
      const MASK better = form == KA_FORM_DIRECT ? VCMP(a, b1[r], _CMP_LT_OQ)
                                                 : VCMP(a, b1[r], _CMP_GT_OQ);
      if (mode == KA_MODE_BEST2)
        b2[r] = form == KA_FORM_DIRECT ? VMIN(b2[r], VMAX(a, b1[r])) : VMAX(b2[r], VMIN(a, b1[r]));
      b1[r] = VMASKMOV(b1[r], better, a);
      bi[r] = IMASKMOV(bi[r], better, vid);
    }
  }
}

/* Best lane of one row: the extreme value, then the lowest index among the lanes that hold
 * it. With BEST2, the second value is the extreme over every lane's second value and every
 * other lane's best. */
#if STRATA_KAVX512_PASS == 1
/* Single best of a float row in one reduction: each lane becomes the 64-bit key
 * (order-preserving bits of the value) << 32 | index, so the unsigned minimum is the best
 * value and, among equal values, the lowest index. The dot form's -0 is first turned into +0
 * (x + 0), since the bit order would otherwise put them apart where the reference sees a tie.
 * Half the instructions and latency of a value reduction followed by an index reduction. */
KA_ALWAYS_INLINE void kb_finish1_f32(const int form, __m512 b1, __m512i bi, float *best,
                                     int32_t *label) {
  __m512i hk;
  if (form == KA_FORM_DIRECT) {
    hk = _mm512_castps_si512(b1); /* distances are >= +0: their bits already sort */
  } else {
    /* Largest score first: non-negative s -> 0x7fffffff - s, negative s -> s (as unsigned). */
    const __m512i s = _mm512_castps_si512(_mm512_add_ps(b1, _mm512_setzero_ps()));
    hk = _mm512_xor_si512(s, _mm512_andnot_si512(_mm512_srai_epi32(s, 31),
                                                 _mm512_set1_epi32(0x7fffffff)));
  }
  const __m512i k0 = _mm512_unpacklo_epi32(bi, hk), k1 = _mm512_unpackhi_epi32(bi, hk);
  const unsigned long long key = _mm512_reduce_min_epu64(_mm512_min_epu64(k0, k1));
  uint32_t h = (uint32_t)(key >> 32);
  if (form == KA_FORM_DOT && (h & 0x80000000u) == 0) h ^= 0x7fffffffu;
  *label = (int32_t)(uint32_t)key;
  memcpy(best, &h, sizeof h);
}
#endif

KA_ALWAYS_INLINE void L(finish)(const int form, const int mode, VEC b1, VEC b2, IVEC bi,
                                T *best, int32_t *label, T *second) {
#if STRATA_KAVX512_PASS == 1
  kb_finish1_f32(form, b1, bi, best, label);
  if (mode == KA_MODE_BEST2) {
    /* Masking every lane whose index equals the winner's also hits lanes that never took a
     * value (index 0, value +-inf), which changes nothing. */
    const MASK lane = ICMPEQ_J(bi, *label);
    if (form == KA_FORM_DIRECT)
      *second = VREDMIN(VMIN(b2, VMASKMOV(b1, lane, VSET1(TINF))));
    else
      *second = VREDMAX(VMAX(b2, VMASKMOV(b1, lane, VSET1(-TINF))));
  }
  return;
#endif
  const T v = form == KA_FORM_DIRECT ? VREDMIN(b1) : VREDMAX(b1);
  const MASK eq = VCMP(b1, VSET1(v), _CMP_EQ_OQ);
  const int32_t id = eq ? IREDMIN_MASK(eq, bi) : 0;
  *best = v;
  *label = id;
  if (mode == KA_MODE_BEST2) {
    const MASK lane = eq & ICMPEQ_J(bi, id);
    if (form == KA_FORM_DIRECT)
      *second = VREDMIN(VMIN(b2, VMASKMOV(b1, lane, VSET1(TINF))));
    else
      *second = VREDMAX(VMAX(b2, VMASKMOV(b1, lane, VSET1(-TINF))));
  }
}

KA_ALWAYS_INLINE T L(dot_dist)(T xn, T a) {
  T r = xn - (T)2 * a; /* 2 a is exact: one rounding, as the reference */
  return r < 0 ? (T)0 : r;
}

KA_ALWAYS_INLINE void L(drive)(const int form, const int mode, const int64_t n, const int64_t d,
                               const int64_t k, const T *restrict x, const int64_t ldx,
                               const T *restrict xnorm, const T *restrict packed,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2,
                               T *restrict out, const int64_t ldo) {
  const int64_t np = (k + W - 1) / W, pstride = (d + 2) * W;
  const T init = form == KA_FORM_DIRECT ? TINF : -TINF;
  for (int64_t i0 = 0; i0 < n; i0 += RT) {
    const int nr = n - i0 < RT ? (int)(n - i0) : RT;
    const T *xr[RT];
    T *orow[RT];
    VEC b1[RT], b2[RT];
    IVEC bi[RT];
    for (int r = 0; r < RT; r++) {
      const int64_t i = i0 + (r < nr ? r : nr - 1);
      xr[r] = x + i * ldx;
      orow[r] = mode == KA_MODE_STORE ? out + i * ldo : NULL;
      b1[r] = VSET1(init);
      b2[r] = VSET1(init);
      bi[r] = IZERO;
    }
    int64_t p = 0;
    for (; p + VT <= np; p += VT)
      L(tile)(RT, VT, form, mode, d, xr, packed + p * pstride, pstride, p * W, b1, b2, bi, orow,
              nr, k);
    switch (np - p) {
      case 3:
        L(tile)(RT, 3, form, mode, d, xr, packed + p * pstride, pstride, p * W, b1, b2, bi, orow,
                nr, k);
        break;
      case 2:
        L(tile)(RT, 2, form, mode, d, xr, packed + p * pstride, pstride, p * W, b1, b2, bi, orow,
                nr, k);
        break;
      case 1:
        L(tile)(RT, 1, form, mode, d, xr, packed + p * pstride, pstride, p * W, b1, b2, bi, orow,
                nr, k);
        break;
      default:
        break;
    }
    if (mode == KA_MODE_STORE) continue;
    for (int r = 0; r < nr; r++) {
      T best, second = 0;
      L(finish)(form, mode, b1[r], b2[r], bi[r], &best, &label[i0 + r], &second);
      if (form == KA_FORM_DIRECT) {
        if (dist != NULL) dist[i0 + r] = best; /* NULL: labels only */
        if (mode == KA_MODE_BEST2) dist2[i0 + r] = second;
      } else {
        dist[i0 + r] = L(dot_dist)(xnorm[i0 + r], best);
        if (mode == KA_MODE_BEST2) dist2[i0 + r] = L(dot_dist)(xnorm[i0 + r], second);
      }
    }
  }
}

/* Direct form on an arbitrary list of rows (row tiles as above): the exact fallback of the
 * screened kernels for the rows whose screen was inconclusive. rows[] are row indices into
 * x and the outputs. */
KA_ALWAYS_INLINE void L(rows_direct)(const int mode, const int cnt, const int64_t *rows,
                                     const int64_t d, const int64_t k, const T *restrict x,
                                     const int64_t ldx, const T *restrict packed,
                                     int32_t *restrict label, T *restrict dist,
                                     T *restrict dist2) {
  const int64_t np = (k + W - 1) / W, pstride = (d + 2) * W;
  for (int s = 0; s < cnt; s += RT) {
    const int nr = cnt - s < RT ? cnt - s : RT;
    const T *xr[RT];
    VEC b1[RT], b2[RT];
    IVEC bi[RT];
    for (int r = 0; r < RT; r++) {
      xr[r] = x + rows[s + (r < nr ? r : nr - 1)] * ldx;
      b1[r] = b2[r] = VSET1(TINF);
      bi[r] = IZERO;
    }
    int64_t p = 0;
    for (; p + VT <= np; p += VT)
      L(tile)(RT, VT, KA_FORM_DIRECT, mode, d, xr, packed + p * pstride, pstride, p * W, b1, b2,
              bi, NULL, nr, k);
    for (; p < np; p++)
      L(tile)(RT, 1, KA_FORM_DIRECT, mode, d, xr, packed + p * pstride, pstride, p * W, b1, b2,
              bi, NULL, nr, k);
    for (int r = 0; r < nr; r++) {
      const int64_t i = rows[s + r];
      T best, second = 0;
      L(finish)(KA_FORM_DIRECT, mode, b1[r], b2[r], bi[r], &best, &label[i], &second);
      if (dist != NULL) dist[i] = best;
      if (mode == KA_MODE_BEST2) dist2[i] = second;
    }
  }
}

/* ---- rows in lanes: the argmin kernels for d <= KA_TDMAX.
 *
 * The row tiles above reduce every row horizontally across its lanes (about 20 cycles a row)
 * and pay a compare per (row, panel); at d = 16, k = 64 that is a quarter of the time. Here
 * the roles swap: one ROW per lane. A block of KA_TB = KA_TR x W rows is transposed once into
 * `buf` (dimension-major, KA_TB values per dimension), each centre coordinate is broadcast,
 * and the running best of every row stays in its own lane across all k centres: no
 * horizontal reduction, one compare per (W rows, centre). Every (row, centre) value is still
 * the sequential fma chain over t from the panel's bias, and centres are visited in
 * increasing index with strict compares (the lowest index wins a tie), so results are those
 * of the reference bit for bit. */
KA_ALWAYS_INLINE void L(tload)(const T *restrict x, const int64_t ldx, const int nr,
                               const int64_t d, T *restrict buf) {
  for (int g = 0; g < KA_TR; g++) {
    const T *rows[W];
    for (int l = 0; l < W; l++) {
      const int r = g * W + l;
      rows[l] = x + (int64_t)(r < nr ? r : nr - 1) * ldx; /* past nr: repeat the last row */
    }
    for (int64_t t0 = 0; t0 < d; t0 += W) {
      const int nc = d - t0 < W ? (int)(d - t0) : W;
      const MASK cm = TAILMASK(nc);
      VEC in[W], out[W];
      for (int l = 0; l < W; l++) in[l] = VMASKLOAD(VZERO(), cm, rows[l] + t0);
      TRANSPOSE(in, out);
      for (int c = 0; c < nc; c++) VSTOREA(buf + (t0 + c) * KA_TB + g * W, out[c]);
    }
  }
}

/* Rows of the next block, prefetched into L1 a few lines per tile while the current block is
 * swept: the transpose reads a whole block at once, so without this it waits on memory at
 * every block, and a burst of prefetches at once stalls on the miss queue. */
typedef struct L(tpf) {
  const char *row; /* row being prefetched */
  int64_t ldx_bytes;
  int64_t rows;     /* rows left, counting the current one */
  int64_t per_row;  /* cache lines per row */
  int64_t line;     /* next line of the current row */
} L(tpf);

KA_ALWAYS_INLINE void L(tpf_init)(L(tpf) *pf, const T *x, const int64_t ldx, const int64_t rows,
                                  const int64_t d) {
  pf->row = (const char *)x;
  pf->ldx_bytes = ldx * (int64_t)sizeof(T);
  pf->rows = rows;
  pf->per_row = (d * (int64_t)sizeof(T) + 63) / 64;
  pf->line = 0;
}

KA_ALWAYS_INLINE void L(tpf_some)(L(tpf) *pf, int64_t count) {
  for (; count > 0 && pf->rows > 0; count--) {
    _mm_prefetch(pf->row + 64 * pf->line, _MM_HINT_T0);
    if (++pf->line == pf->per_row) {
      pf->line = 0;
      pf->row += pf->ldx_bytes;
      pf->rows--;
    }
  }
}

/* One tile: KA_TR row vectors against KA_TC centres j0 .. j0 + KA_TC - 1, lanes w0 .. of the
 * panel at pp (KA_TC divides W, so a tile never straddles panels; lanes past k are padding
 * and never win). Per row lane: BEST1 keeps the best value b1 and its index i1; BEST2 also
 * the second value b2 (counting ties, as the reference); BEST3 (dot form only) also the third
 * value b3 and the index i2 of the second. */
KA_ALWAYS_INLINE void L(ttile)(const int form, const int mode, const int64_t d,
                               const T *restrict xt, const T *restrict pp, const int64_t w0,
                               const int64_t j0, VEC *b1, VEC *b2, VEC *b3, JVEC *i1,
                               JVEC *i2) {
  VEC acc[KA_TR][KA_TC];
  const T *bias = pp + (form == KA_FORM_DIRECT ? 0 : W) + w0;
#pragma GCC unroll 16
  for (int c = 0; c < KA_TC; c++) {
    const VEC bv = VSET1(bias[c]);
#pragma GCC unroll 8
    for (int r = 0; r < KA_TR; r++) acc[r][c] = bv;
  }
  const T *cp = pp + 2 * W + w0;
  for (int64_t t = 0; t < d; t++) {
    VEC xv[KA_TR];
#pragma GCC unroll 8
    for (int r = 0; r < KA_TR; r++) xv[r] = VLOADA(xt + t * KA_TB + r * W);
#pragma GCC unroll 16
    for (int c = 0; c < KA_TC; c++) {
      const VEC cv = VSET1(cp[t * W + c]);
#pragma GCC unroll 8
      for (int r = 0; r < KA_TR; r++) {
        if (form == KA_FORM_DIRECT) {
          const VEC df = VSUB(xv[r], cv);
          acc[r][c] = VFMA(df, df, acc[r][c]);
        } else {
          acc[r][c] = VFMA(xv[r], cv, acc[r][c]);
        }
      }
    }
  }
#pragma GCC unroll 16
  for (int c = 0; c < KA_TC; c++) {
    JVEC jv = JSET1(j0 + c);
    /* Keep the index in a vector register: left alone, GCC folds it into a masked broadcast
     * from a general register per (row vector, centre), which costs more than the compare. */
    __asm__("" : "+v"(jv));
#pragma GCC unroll 8
    for (int r = 0; r < KA_TR; r++) {
      const VEC a = acc[r][c];
      if (form == KA_FORM_DIRECT) {
        const MASK m1 = VCMP(a, b1[r], _CMP_LT_OQ);
        /* The reference's "else if (v < b2) b2 = v", with b2 = b1 when b1 is replaced. */
        if (mode != KA_MODE_BEST1) b2[r] = VMIN(b2[r], VMAX(a, b1[r]));
        b1[r] = VMIN(a, b1[r]); /* a < b1 ? a : b1 */
        i1[r] = JMASKMOV(i1[r], m1, jv);
      } else {
        const MASK m1 = VCMP(a, b1[r], _CMP_GT_OQ);
        if (mode == KA_MODE_BEST3) {
          const MASK m2 = VCMP(a, b2[r], _CMP_GT_OQ);
          b3[r] = VMAX(b3[r], VMIN(a, b2[r]));
          i2[r] = JMASKMOV(JMASKMOV(i2[r], m2, jv), m1, i1[r]);
        }
        if (mode != KA_MODE_BEST1) b2[r] = VMAX(b2[r], VMIN(a, b1[r]));
        b1[r] = VMAX(a, b1[r]); /* a > b1 ? a : b1 */
        i1[r] = JMASKMOV(i1[r], m1, jv);
      }
    }
  }
}

/* All k centres against the block in buf. */
KA_ALWAYS_INLINE void L(tsweep)(const int form, const int mode, const int64_t d, const int64_t k,
                                const T *restrict buf, const T *restrict packed, L(tpf) *pf,
                                VEC *b1, VEC *b2, VEC *b3, JVEC *i1, JVEC *i2) {
  const int64_t pstride = (d + 2) * W;
  const T init = form == KA_FORM_DIRECT ? TINF : -TINF;
  const int64_t tiles = (k + KA_TC - 1) / KA_TC;
  const int64_t per = (pf->rows * pf->per_row + tiles - 1) / tiles;
  for (int r = 0; r < KA_TR; r++) {
    b1[r] = b2[r] = b3[r] = VSET1(init);
    i1[r] = i2[r] = JZERO;
  }
  for (int64_t j0 = 0; j0 < k; j0 += KA_TC) {
    L(tpf_some)(pf, per);
    L(ttile)(form, mode, d, buf, packed + (j0 / W) * pstride, j0 % W, j0, b1, b2, b3, i1, i2);
  }
}

/* Rows of the block that row vector r holds: a lane mask (0 when none). */
KA_ALWAYS_INLINE MASK L(tvalid)(const int nr, const int r) {
  const int left = nr - r * W;
  return left <= 0 ? (MASK)0 : left >= W ? TAILMASK(W) : TAILMASK(left);
}

/* Dot form, every row of the block straight from the sweep (dot_argmin, dot_argmin2). */
KA_ALWAYS_INLINE void L(tdrive_dot)(const int mode, const int64_t n, const int64_t d,
                                    const int64_t k, const T *restrict x, const int64_t ldx,
                                    const T *restrict xnorm, const T *restrict packed,
                                    int32_t *restrict label, T *restrict dist,
                                    T *restrict dist2) {
  T buf[KA_TDMAX * KA_TB] __attribute__((aligned(64)));
  for (int64_t i0 = 0; i0 < n; i0 += KA_TB) {
    const int nr = n - i0 < KA_TB ? (int)(n - i0) : KA_TB;
    L(tload)(x + i0 * ldx, ldx, nr, d, buf);
    L(tpf) pf;
    L(tpf_init)(&pf, x + (i0 + nr) * ldx, ldx, n - i0 - nr < KA_TB ? n - i0 - nr : KA_TB, d);
    VEC b1[KA_TR], b2[KA_TR], b3[KA_TR];
    JVEC i1[KA_TR], i2[KA_TR];
    L(tsweep)(KA_FORM_DOT, mode, d, k, buf, packed, &pf, b1, b2, b3, i1, i2);
    for (int r = 0; r < KA_TR; r++) {
      const MASK m = L(tvalid)(nr, r);
      if (!m) break;
      const int64_t i = i0 + r * W;
      JMASKSTORE(label + i, m, i1[r]);
      /* max(+0, xn - 2 a) keeps a -0, as the reference's "r < 0 ? 0 : r"; 2 a is exact. */
      const VEC xn = VMASKLOAD(VZERO(), m, xnorm + i);
      VMASKSTORE(dist + i, m, VMAX(VZERO(), VSUB(xn, VADD(b1[r], b1[r]))));
      if (mode == KA_MODE_BEST2)
        VMASKSTORE(dist2 + i, m, VMAX(VZERO(), VSUB(xn, VADD(b2[r], b2[r]))));
    }
  }
}

/* Direct-form distance of each row of the block in buf to the centre lab[r][lane], for all
 * KA_TR row vectors: the reference's chain, the centre's coordinates picked out of the packed
 * panels. For up to KA_VPERM_PANELS panels, a two-source permute per pair of panels selects
 * them for 16 (8) rows at once, the panels loaded once per dimension for all row vectors, whose
 * chains run side by side (one chain alone is bound by the FMA latency); beyond, one lane at a
 * time, four chains side by side (gathers are slow on Zen 4). */
KA_ALWAYS_INLINE void L(verify)(const int64_t d, const int64_t k, const T *restrict buf,
                                const T *restrict packed, const JVEC *lab, VEC *out) {
  const int64_t np = (k + W - 1) / W, pstride = (d + 2) * W;
  if (np <= KA_VPERM_PANELS) {
    const int npair = (int)((np + 1) / 2);
    MASK pm[KA_TR][KA_VPERM_PANELS / 2];
    PIDX idx[KA_TR];
    VEC acc[KA_TR];
    for (int r = 0; r < KA_TR; r++) {
      for (int q = 0; q < npair; q++) pm[r][q] = JCMPEQ(JSRLI(lab[r], KA_PAIR_SHIFT), q);
      idx[r] = LIDX(lab[r]);
      acc[r] = VZERO();
    }
    for (int64_t t = 0; t < d; t++) {
      VEC sel[KA_TR];
      for (int r = 0; r < KA_TR; r++) sel[r] = VZERO();
      for (int q = 0; q < npair; q++) {
        const T *p0 = packed + 2 * q * pstride + 2 * W + t * W;
        const VEC c0 = VLOAD(p0), c1 = 2 * q + 1 < np ? VLOAD(p0 + pstride) : c0;
#pragma GCC unroll 8
        for (int r = 0; r < KA_TR; r++)
          sel[r] = VMASKMOV(sel[r], pm[r][q], PERM2(c0, idx[r], c1));
      }
#pragma GCC unroll 8
      for (int r = 0; r < KA_TR; r++) {
        const VEC df = VSUB(VLOADA(buf + t * KA_TB + r * W), sel[r]);
        acc[r] = VFMA(df, df, acc[r]);
      }
    }
    for (int r = 0; r < KA_TR; r++) out[r] = acc[r];
    return;
  }
  for (int r = 0; r < KA_TR; r++) {
    int32_t lj[W];
    T res[W];
    JSTORE(lj, lab[r]);
    const T *xt = buf + r * W;
    for (int l = 0; l < W; l += 4) {
      const T *c0 = packed + (lj[l] / W) * pstride + 2 * W + lj[l] % W;
      const T *c1 = packed + (lj[l + 1] / W) * pstride + 2 * W + lj[l + 1] % W;
      const T *c2 = packed + (lj[l + 2] / W) * pstride + 2 * W + lj[l + 2] % W;
      const T *c3 = packed + (lj[l + 3] / W) * pstride + 2 * W + lj[l + 3] % W;
      T a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (int64_t t = 0; t < d; t++) {
        const T *xr = xt + t * KA_TB + l;
        const T e0 = xr[0] - c0[t * W], e1 = xr[1] - c1[t * W];
        const T e2 = xr[2] - c2[t * W], e3 = xr[3] - c3[t * W];
        a0 = FMA(e0, e0, a0);
        a1 = FMA(e1, e1, a1);
        a2 = FMA(e2, e2, a2);
        a3 = FMA(e3, e3, a3);
      }
      res[l] = a0;
      res[l + 1] = a1;
      res[l + 2] = a2;
      res[l + 3] = a3;
    }
    out[r] = VLOAD(res);
  }
}

/* Direct form (sqdist_argmin, sqdist_argmin2): exact, at nearly the speed of the dot form.
 *
 * Why: on Zen 4 the direct form's subtraction and the broadcast of the centre coordinate both
 * need the FP add pipes (1.5 cycles per FMA measured), while the dot form is one fma per row,
 * centre and dimension. So the labels are found with the dot form and certified:
 *
 * Screen: the dot-form sweep gives each row's best score s1 (index i1), second s2 (index i2)
 * and, for argmin2, third s3. Bound: with u the unit roundoff, X2 = ||x||^2, C2 = the largest
 * ||c_j||^2 and g = (d + 2) u, each dot score is within g (C2 + |x| |c|) of the exact
 * x.c - ||c||^2 / 2 (a chain of d + 1 terms with one rounding per step, its first term the
 * bias -||c||^2 / 2 within g ||c||^2 / 2), and each direct distance within g (|x| + |c|)^2 of
 * the exact ||x - c||^2 (the subtraction's rounding and one per step). Hence when
 *     s1 - s2 > tau = 2 g (3 X2 + 5 C2) + (d + 2) tiny       (using 4 |x| |c| <= 2 X2 + 2 C2)
 * centre i1 is nearer in exact arithmetic than every other by more than the two forms'
 * rounding, and the direct kernel's argmin is i1, with no tie. The factor 2 covers the
 * rounding of tau, of the gap and of the computed norms; `tiny` covers subnormal results;
 * 4 (X2 + C2) finite rules out overflow in either form. Then the direct distance to i1 alone
 * is computed, by the direct kernel's own chain (bit-identical). For argmin2, s2 - s3 > tau
 * makes i2 the direct runner-up likewise. Rows that fail (near ties, non-finite values, or
 * data far from the origin, where tau is large: centre it) go through the direct row tiles,
 * so the outputs are exactly the direct kernel's whatever the screen decides. When more than a
 * quarter of the rows fail (uncentred data), the rest of the call runs the direct form in the
 * rows-in-lanes layout instead, so the worst case stays near the direct form's cost. With
 * dist NULL (labels only; sqdist_argmin) the verification is skipped.
 *
 * Measured (Zen 4, one thread, float, blobs; ns per row, labels only / with distances /
 * argmin2, against the row tiles' direct form): d = 16, k = 64: 22.5 / 24.3 / 29.3 vs 27.7 /
 * 27.7 / 32.6; d = 32, k = 256: 162 / 167 / 190 vs 188 / 188 / 261. */
KA_ALWAYS_INLINE void L(tdrive_screen)(const int two, const int64_t n, const int64_t d,
                                       const int64_t k, const T *restrict x, const int64_t ldx,
                                       const T *restrict packed, int32_t *restrict label,
                                       T *restrict dist, T *restrict dist2) {
  T buf[KA_TDMAX * KA_TB] __attribute__((aligned(64)));
  int64_t bad[KA_TB];
  const int64_t pstride = (d + 2) * W;
  const int mode = two ? KA_MODE_BEST2 : KA_MODE_BEST1;
  T c2max = 0;
  for (int64_t j = 0; j < k; j++) {
    const T nn = (T)-2 * packed[(j / W) * pstride + W + j % W]; /* bias = -||c||^2 / 2 */
    if (nn > c2max) c2max = nn;
  }
  const T g = (T)(d + 2) * KA_UNIT;
  const VEC k3 = VSET1((T)6 * g), kc = VSET1((T)10 * g * c2max + (T)(d + 2) * KA_TINY);
  const VEC vinf = VSET1(TINF), c2v = VSET1(c2max);
  int direct = 0;
  int64_t n_seen = 0, n_bad = 0;
  for (int64_t i0 = 0; i0 < n; i0 += KA_TB) {
    const int nr = n - i0 < KA_TB ? (int)(n - i0) : KA_TB;
    L(tload)(x + i0 * ldx, ldx, nr, d, buf);
    L(tpf) pf;
    L(tpf_init)(&pf, x + (i0 + nr) * ldx, ldx, n - i0 - nr < KA_TB ? n - i0 - nr : KA_TB, d);
    VEC b1[KA_TR], b2[KA_TR], b3[KA_TR];
    JVEC i1[KA_TR], i2[KA_TR];
    if (direct) {
      L(tsweep)(KA_FORM_DIRECT, mode, d, k, buf, packed, &pf, b1, b2, b3, i1, i2);
      for (int r = 0; r < KA_TR; r++) {
        const MASK m = L(tvalid)(nr, r);
        if (!m) break;
        JMASKSTORE(label + i0 + r * W, m, i1[r]);
        if (dist != NULL) VMASKSTORE(dist + i0 + r * W, m, b1[r]);
        if (two) VMASKSTORE(dist2 + i0 + r * W, m, b2[r]);
      }
      continue;
    }
    L(tsweep)(KA_FORM_DOT, two ? KA_MODE_BEST3 : KA_MODE_BEST2, d, k, buf, packed, &pf, b1, b2,
              b3, i1, i2);
    int nbad = 0;
    /* ||x||^2 of every row for the bound, in any order (the bound allows for its rounding):
     * 2 KA_TR independent chains, since one chain per row vector was latency-bound (4 cycles
     * per step) and showed as 4 % of the kernel at d = 16. */
    VEC xns[KA_TR];
    {
      VEC e[KA_TR], o[KA_TR];
      for (int r = 0; r < KA_TR; r++) e[r] = o[r] = VZERO();
      int64_t t = 0;
      for (; t + 1 < d; t += 2)
#pragma GCC unroll 8
        for (int r = 0; r < KA_TR; r++) {
          const VEC v0 = VLOADA(buf + t * KA_TB + r * W);
          const VEC v1 = VLOADA(buf + (t + 1) * KA_TB + r * W);
          e[r] = VFMA(v0, v0, e[r]);
          o[r] = VFMA(v1, v1, o[r]);
        }
      for (int r = 0; r < KA_TR; r++) {
        if (t < d) {
          const VEC v = VLOADA(buf + t * KA_TB + r * W);
          e[r] = VFMA(v, v, e[r]);
        }
        xns[r] = VADD(e[r], o[r]);
      }
    }
    /* Which rows the screen certifies, then their exact distances, then the rest. */
    MASK ok[KA_TR], valid[KA_TR];
    MASK any = 0;
    for (int r = 0; r < KA_TR; r++) {
      valid[r] = L(tvalid)(nr, r);
      const VEC tau = VFMA(xns[r], k3, kc);
      const VEC gap1 = VSUB(b1[r], b2[r]);
      /* 4 (X2 + C2) finite: no chain of either form can overflow (every direct distance is at
       * most 2 X2 + 2 C2, every partial dot sum at most X2 + C2). */
      const VEC big = VMUL(VADD(xns[r], c2v), VSET1((T)4));
      ok[r] = valid[r] & VCMP(gap1, tau, _CMP_GT_OQ) & VCMP(gap1, vinf, _CMP_LT_OQ) &
              VCMP(big, vinf, _CMP_LT_OQ);
      /* With k = 2 there is no third: s3 = -inf, and the runner-up is certain. */
      if (two && k > 2) {
        const VEC gap2 = VSUB(b2[r], b3[r]);
        ok[r] &= VCMP(gap2, tau, _CMP_GT_OQ) & VCMP(gap2, vinf, _CMP_LT_OQ);
      }
      any |= ok[r];
    }
    if (any && dist != NULL) {
      VEC e1[KA_TR], e2[KA_TR];
      L(verify)(d, k, buf, packed, i1, e1);
      if (two) L(verify)(d, k, buf, packed, i2, e2);
      for (int r = 0; r < KA_TR; r++) {
        ok[r] &= VCMP(e1[r], vinf, _CMP_LT_OQ);
        if (two) ok[r] &= VCMP(e2[r], vinf, _CMP_LT_OQ);
        if (ok[r]) {
          VMASKSTORE(dist + i0 + r * W, ok[r], e1[r]);
          if (two) VMASKSTORE(dist2 + i0 + r * W, ok[r], e2[r]);
        }
      }
    }
    for (int r = 0; r < KA_TR; r++) {
      const int64_t i = i0 + r * W;
      if (ok[r]) JMASKSTORE(label + i, ok[r], i1[r]);
      for (unsigned rest = (unsigned)(valid[r] & (MASK)~ok[r]); rest != 0; rest &= rest - 1)
        bad[nbad++] = i + __builtin_ctz(rest);
    }
    if (nbad > 0)
      L(rows_direct)(mode, nbad, bad, d, k, x, ldx, packed, label, dist, dist2);
    n_seen += nr;
    n_bad += nbad;
    if (n_seen >= 4 * KA_TB && 4 * n_bad > n_seen) direct = 1;
  }
}

/* One centre per row (sqdist_label): blocks of rows transposed as for the argmins and their
 * chains run by L(verify); the rows past the last block one at a time, four side by side. */
KA_ALWAYS_INLINE void L(label_rows)(const int64_t n, const int64_t d, const T *restrict x,
                                    const int64_t ldx, const T *restrict packed,
                                    const int32_t *restrict label, T *restrict dist) {
  const int64_t pstride = (d + 2) * W;
#define KA_LANE(i) (packed + (label[i] / W) * pstride + 2 * W + label[i] % W)
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const T *x0 = x + i * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
    const T *c0 = KA_LANE(i), *c1 = KA_LANE(i + 1), *c2 = KA_LANE(i + 2), *c3 = KA_LANE(i + 3);
    T a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int64_t t = 0; t < d; t++) {
      const T e0 = x0[t] - c0[t * W], e1 = x1[t] - c1[t * W];
      const T e2 = x2[t] - c2[t * W], e3 = x3[t] - c3[t * W];
      a0 = FMA(e0, e0, a0);
      a1 = FMA(e1, e1, a1);
      a2 = FMA(e2, e2, a2);
      a3 = FMA(e3, e3, a3);
    }
    dist[i] = a0;
    dist[i + 1] = a1;
    dist[i + 2] = a2;
    dist[i + 3] = a3;
  }
  for (; i < n; i++) {
    const T *xi = x + i * ldx, *c = KA_LANE(i);
    T a = 0;
    for (int64_t t = 0; t < d; t++) {
      const T e = xi[t] - c[t * W];
      a = FMA(e, e, a);
    }
    dist[i] = a;
  }
#undef KA_LANE
}

void SFX(strata_k_sqdist_label)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                int64_t ldx, const T *restrict packed,
                                const int32_t *restrict label, T *restrict dist) {
  int64_t i0 = 0;
  if (d <= KA_TDMAX) {
    T buf[KA_TDMAX * KA_TB] __attribute__((aligned(64)));
    for (; i0 + KA_TB <= n; i0 += KA_TB) {
      L(tload)(x + i0 * ldx, ldx, KA_TB, d, buf);
      /* The next block's rows into L1 while this one is verified: the pass is close to
       * memory-bound (one chain per row), and the hardware prefetcher alone left it at twice
       * the streaming time (Lloyd's final assignment at 1M x 16: 4.5 -> 3.2 ms a thread,
       * median of 6). */
      {
        const int64_t next = i0 + KA_TB, ahead = n - next < KA_TB ? n - next : KA_TB;
        L(tpf) pf;
        L(tpf_init)(&pf, x + next * ldx, ldx, ahead, d);
        L(tpf_some)(&pf, KA_TB * pf.per_row);
      }
      JVEC lab[KA_TR];
      VEC e[KA_TR];
      for (int r = 0; r < KA_TR; r++) lab[r] = JLOAD(label + i0 + r * W);
      L(verify)(d, k, buf, packed, lab, e);
      for (int r = 0; r < KA_TR; r++) VSTORE(dist + i0 + r * W, e[r]);
    }
  }
  L(label_rows)(n - i0, d, x + i0 * ldx, ldx, packed, label + i0, dist + i0);
}

/* Rows [0, result) go through the rows-in-lanes kernels, the rest through the row tiles:
 * whole blocks, and a last partial block when at least half full (below that, the idle lanes
 * cost more than the row tiles' reductions). */
static inline int64_t L(tsplit)(const int64_t n, const int64_t d) {
  if (d > KA_TDMAX) return 0;
  const int64_t full = n / KA_TB * KA_TB;
  return n - full >= KA_TB / 2 ? n : full;
}

void SFX(strata_k_sqdist_argmin)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                 int64_t ldx, const T *restrict packed, int32_t *restrict label,
                                 T *restrict dist) {
  const int64_t nt = L(tsplit)(n, d);
  L(tdrive_screen)(0, nt, d, k, x, ldx, packed, label, dist, NULL);
  L(drive)(KA_FORM_DIRECT, KA_MODE_BEST1, n - nt, d, k, x + nt * ldx, ldx, NULL, packed,
           label + nt, dist != NULL ? dist + nt : NULL, NULL, NULL, 0);
}

void SFX(strata_k_sqdist_argmin2)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                                  int64_t ldx, const T *restrict packed,
                                  int32_t *restrict label, T *restrict dist,
                                  T *restrict dist2) {
  /* k = 1: no runner-up to screen for; the row tiles give +inf directly. */
  const int64_t nt = k > 1 ? L(tsplit)(n, d) : 0;
  L(tdrive_screen)(1, nt, d, k, x, ldx, packed, label, dist, dist2);
  L(drive)(KA_FORM_DIRECT, KA_MODE_BEST2, n - nt, d, k, x + nt * ldx, ldx, NULL, packed,
           label + nt, dist + nt, dist2 + nt, NULL, 0);
}

void SFX(strata_k_dot_argmin)(int64_t n, int64_t d, int64_t k, const T *restrict x, int64_t ldx,
                              const T *restrict xnorm, const T *restrict packed,
                              int32_t *restrict label, T *restrict dist) {
  const int64_t nt = L(tsplit)(n, d);
  L(tdrive_dot)(KA_MODE_BEST1, nt, d, k, x, ldx, xnorm, packed, label, dist, NULL);
  L(drive)(KA_FORM_DOT, KA_MODE_BEST1, n - nt, d, k, x + nt * ldx, ldx, xnorm + nt, packed,
           label + nt, dist + nt, NULL, NULL, 0);
}

void SFX(strata_k_dot_argmin2)(int64_t n, int64_t d, int64_t k, const T *restrict x,
                               int64_t ldx, const T *restrict xnorm, const T *restrict packed,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2) {
  const int64_t nt = L(tsplit)(n, d);
  L(tdrive_dot)(KA_MODE_BEST2, nt, d, k, x, ldx, xnorm, packed, label, dist, dist2);
  L(drive)(KA_FORM_DOT, KA_MODE_BEST2, n - nt, d, k, x + nt * ldx, ldx, xnorm + nt, packed,
           label + nt, dist + nt, dist2 + nt, NULL, 0);
}

void SFX(strata_k_sqdist)(int64_t n, int64_t d, int64_t m, const T *restrict x, int64_t ldx,
                          const T *restrict packed, T *restrict out, int64_t ldo) {
  L(drive)(KA_FORM_DIRECT, KA_MODE_STORE, n, d, m, x, ldx, NULL, packed, NULL, NULL, NULL, out,
           ldo);
}

/* Row-wise O(n d) kernels: one row's chain is sequential in t (to match the reference), so
 * the parallelism comes from running several rows' chains side by side; they are bound by
 * memory bandwidth rather than arithmetic. */
void SFX(strata_k_sqdist_min)(int64_t n, int64_t d, const T *restrict x, int64_t ldx,
                              const T *restrict c, T *restrict dmin) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const T *x0 = x + i * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
    T a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int64_t t = 0; t < d; t++) {
      const T ct = c[t];
      const T e0 = x0[t] - ct, e1 = x1[t] - ct, e2 = x2[t] - ct, e3 = x3[t] - ct;
      a0 = FMA(e0, e0, a0);
      a1 = FMA(e1, e1, a1);
      a2 = FMA(e2, e2, a2);
      a3 = FMA(e3, e3, a3);
    }
    if (a0 < dmin[i]) dmin[i] = a0;
    if (a1 < dmin[i + 1]) dmin[i + 1] = a1;
    if (a2 < dmin[i + 2]) dmin[i + 2] = a2;
    if (a3 < dmin[i + 3]) dmin[i + 3] = a3;
  }
  for (; i < n; i++) {
    const T *xi = x + i * ldx;
    T a = 0;
    for (int64_t t = 0; t < d; t++) {
      const T e = xi[t] - c[t];
      a = FMA(e, e, a);
    }
    if (a < dmin[i]) dmin[i] = a;
  }
}

void SFX(strata_k_sqnorm)(int64_t n, int64_t d, const T *restrict x, int64_t ldx,
                          T *restrict out) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const T *x0 = x + i * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx;
    T a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int64_t t = 0; t < d; t++) {
      a0 = FMA(x0[t], x0[t], a0);
      a1 = FMA(x1[t], x1[t], a1);
      a2 = FMA(x2[t], x2[t], a2);
      a3 = FMA(x3[t], x3[t], a3);
    }
    out[i] = a0;
    out[i + 1] = a1;
    out[i + 2] = a2;
    out[i + 3] = a3;
  }
  for (; i < n; i++) {
    const T *xi = x + i * ldx;
    T a = 0;
    for (int64_t t = 0; t < d; t++) a = FMA(xi[t], xi[t], a);
    out[i] = a;
  }
}

/* Eight doubles of row xi from column t (masked to `mk` lanes), widened from float. */
#if STRATA_KAVX512_PASS == 1
#define KA_LOAD8(xi, t) _mm512_cvtps_pd(_mm256_loadu_ps((xi) + (t)))
#define KA_LOAD8_MASKED(xi, t, mk) _mm512_cvtps_pd(_mm256_maskz_loadu_ps((mk), (xi) + (t)))
#else
#define KA_LOAD8(xi, t) _mm512_loadu_pd((xi) + (t))
#define KA_LOAD8_MASKED(xi, t, mk) _mm512_maskz_loadu_pd((mk), (xi) + (t))
#endif

/* Lloyd update: each element gets the reference's two roundings (product, then sum) in row
 * order, so vectorising along d changes nothing but speed. The row loop is instantiated with
 * the weight test hoisted and, for d = 8, 16, 24 and 32, a constant chunk count, so that a
 * row is a handful of straight-line loads, adds and stores (2.5 -> 1.6 ns a row at d = 16,
 * which matters next to a 22 ns assignment). */
KA_ALWAYS_INLINE void L(accumulate_rows)(const int weighted, const int64_t nv, const __mmask8 tail,
                                         const int64_t n, const T *restrict x, const int64_t ldx,
                                         const int32_t *restrict label,
                                         const double *restrict weight, double *restrict sums,
                                         const int64_t lds, double *restrict wsum) {
  for (int64_t i = 0; i < n; i++) {
    const T *xi = x + i * ldx;
    const int32_t l = label[i];
    double *s = sums + (int64_t)l * lds;
    const double w = weighted ? weight[i] : 1.0;
    const __m512d vw = _mm512_set1_pd(w);
    for (int64_t v = 0; v < nv; v++) {
      __m512d xv = KA_LOAD8(xi, 8 * v);
      if (weighted) xv = _mm512_mul_pd(vw, xv);
      _mm512_storeu_pd(s + 8 * v, _mm512_add_pd(_mm512_loadu_pd(s + 8 * v), xv));
    }
    if (tail) {
      __m512d xv = KA_LOAD8_MASKED(xi, 8 * nv, tail);
      if (weighted) xv = _mm512_mul_pd(vw, xv);
      _mm512_mask_storeu_pd(s + 8 * nv, tail,
                            _mm512_add_pd(_mm512_maskz_loadu_pd(tail, s + 8 * nv), xv));
    }
    wsum[l] += w; /* w = 1 unweighted: the reference's += 1.0 */
  }
}

void SFX(strata_k_accumulate)(int64_t n, int64_t d, const T *restrict x, int64_t ldx,
                              const int32_t *restrict label, const double *restrict weight,
                              double *restrict sums, int64_t lds, double *restrict wsum) {
  const int64_t nv = d / 8;
  const __mmask8 tail = (__mmask8)((1u << (d % 8)) - 1u);
#define KA_ACC(wt, nvc, tl)                                                                      \
  L(accumulate_rows)(wt, nvc, tl, n, x, ldx, label, weight, sums, lds, wsum)
  if (weight != NULL) {
    switch (d) {
      case 8: KA_ACC(1, 1, 0); break;
      case 16: KA_ACC(1, 2, 0); break;
      case 24: KA_ACC(1, 3, 0); break;
      case 32: KA_ACC(1, 4, 0); break;
      default: KA_ACC(1, nv, tail); break;
    }
  } else {
    switch (d) {
      case 8: KA_ACC(0, 1, 0); break;
      case 16: KA_ACC(0, 2, 0); break;
      case 24: KA_ACC(0, 3, 0); break;
      case 32: KA_ACC(0, 4, 0); break;
      default: KA_ACC(0, nv, tail); break;
    }
  }
#undef KA_ACC
}
#undef KA_LOAD8
#undef KA_LOAD8_MASKED

/* GEMM epilogue: a = g - cnorm / 2 along the row, best (and second) per lane, then the same
 * reduction as the tiles. Masked loads fill the tail with -inf so it can never win. */
KA_ALWAYS_INLINE void L(gemm_argmin)(const int mode, int64_t n, int64_t k, const T *restrict g,
                                     int64_t ldg, const T *restrict cnorm,
                                     const T *restrict xnorm, int32_t *restrict label,
                                     T *restrict dist, T *restrict dist2) {
  const VEC mhalf = VSET1((T)-0.5), ninf = VSET1(-TINF);
  const int64_t kw = k - k % W;
  const MASK tail = TAILMASK(k - kw);
  for (int64_t i = 0; i < n; i++) {
    const T *gi = g + i * ldg;
    VEC b1 = ninf, b2 = ninf;
    IVEC bi = IZERO;
    for (int64_t j = 0; j <= kw; j += W) {
      VEC a;
      if (j < kw)
        a = VFMA(mhalf, VLOAD(cnorm + j), VLOAD(gi + j));
      else if (tail)
        a = VFMA(mhalf, VMASKLOAD(VZERO(), tail, cnorm + j), VMASKLOAD(ninf, tail, gi + j));
      else
        break;
      const MASK better = VCMP(a, b1, _CMP_GT_OQ);
      if (mode == KA_MODE_BEST2) b2 = VMAX(b2, VMIN(a, b1));
      b1 = VMASKMOV(b1, better, a);
      bi = IMASKMOV(bi, better, IADDJ(IIOTA, j));
    }
    T best, second = 0;
    L(finish)(KA_FORM_DOT, mode, b1, b2, bi, &best, &label[i], &second);
    dist[i] = L(dot_dist)(xnorm[i], best);
    if (mode == KA_MODE_BEST2) dist2[i] = L(dot_dist)(xnorm[i], second);
  }
}

void SFX(strata_k_gemm_argmin)(int64_t n, int64_t k, const T *restrict g, int64_t ldg,
                               const T *restrict cnorm, const T *restrict xnorm,
                               int32_t *restrict label, T *restrict dist, T *restrict dist2) {
  if (dist2 != NULL)
    L(gemm_argmin)(KA_MODE_BEST2, n, k, g, ldg, cnorm, xnorm, label, dist, dist2);
  else
    L(gemm_argmin)(KA_MODE_BEST1, n, k, g, ldg, cnorm, xnorm, label, dist, NULL);
}

/* Each pass's macros end with it, so that the next pass (and the bfloat16 section) can define
 * their own. */
#undef STRATA_KAVX512_PASS
#undef T
#undef W
#undef RT
#undef VT
#undef TINF
#undef FMA
#undef VEC
#undef MASK
#undef VLOAD
#undef VLOADA
#undef VSTOREA
#undef VSTORE
#undef VSET1
#undef VZERO
#undef VADD
#undef VSUB
#undef VMUL
#undef VFMA
#undef VMIN
#undef VMAX
#undef VCMP
#undef VMASKMOV
#undef VMASKLOAD
#undef VMASKSTORE
#undef VREDMIN
#undef VREDMAX
#undef IVEC
#undef IIOTA
#undef IADDJ
#undef IZERO
#undef IMASKMOV
#undef IREDMIN_MASK
#undef ICMPEQ_J
#undef TAILMASK
#undef JVEC
#undef JSET1
#undef JZERO
#undef JMASKMOV
#undef JMASKSTORE
#undef TRANSPOSE
#undef JSTORE
#undef JLOAD
#undef JSRLI
#undef JCMPEQ
#undef PIDX
#undef LIDX
#undef PERM2
#undef KA_PAIR_SHIFT
#undef KA_UNIT
#undef KA_TINY
#undef L
#undef SFX
#endif
