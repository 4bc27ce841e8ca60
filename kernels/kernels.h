/*
 * kernels.h — the pure numeric kernels of k-means, their dispatch table and the packed-centre
 * format they share.
 *
 * Kernels take restrict pointers, sizes and leading dimensions, and return numbers: no
 * allocation, no threads, no status codes. Every kernel exists as a scalar reference twin
 * (`_ref`, the fallback and the test oracle), an AVX2+FMA variant and an AVX-512 variant. The
 * table of one ISA is picked once per process (strata_kernels_get); hot loops only call
 * through it.
 *
 * Why a packed centre format. The distance kernels put one centre per SIMD lane and walk the
 * dimensions in order, so that each lane computes exactly the scalar loop
 *     acc = bias; for t in 0..d-1: acc = fma(x[t] - c[t], x[t] - c[t], acc)   (direct form)
 *     acc = bias; for t in 0..d-1: acc = fma(x[t], c[t], acc)                 (dot form)
 * with one correctly rounded fma per step. The reference does the same with fma()/fmaf(), so
 * every variant gives BIT-IDENTICAL distances, labels and second distances: results do not
 * depend on the machine's ISA, and tests compare variants exactly. Vectorising over centres
 * (instead of over dimensions, which needs a horizontal sum per pair) also keeps every lane
 * busy for small d such as 16, the common case. The cost is a transpose of the k x d centres
 * into panels once per iteration (O(k d), strata_k_pack_*), negligible against O(n k d).
 *
 * Packed layout (W = STRATA_K_PANEL_F32 = 16 for float, STRATA_K_PANEL_F64 = 8 for double, the
 * same for every ISA): centres are cut into ceil(k / W) panels of W; panel p holds
 *     [0, W)          bias of the direct form: 0 for a real centre, +inf for a padding lane
 *     [W, 2W)         bias of the dot form: -||c_j||^2 / 2, -inf for a padding lane
 *     [2W + t W + w]  c[p W + w][t] for t < d (0 for a padding lane)
 * and panels follow each other every (d + 2) W elements. ||c||^2 is the same sequential fma
 * chain as strata_k_sqnorm_*_ref, so the dot form and the GEMM path agree on it.
 *
 * The two forms:
 *  - direct ("sqdist"): sum of (x - c)^2. Exact up to one rounding per step, never negative;
 *    use it whenever labels must be exact (Lloyd's default, k-means++, prediction).
 *  - dot ("dot"): ||x||^2 + ||c||^2 - 2 x.c, computed as ||x||^2 - 2 a with
 *    a = x.c - ||c||^2 / 2 (the factor 2 is exact, so the argmax of a is the argmin of the
 *    distance); half the arithmetic on CPUs whose adders are not separate from their FMA
 *    units, but it cancels when ||x|| is large against the cluster spread: centre the data.
 *    Distances are clamped at 0. ||x||^2 comes from the caller (strata_k_sqnorm_*), since the
 *    data does not change between iterations.
 *
 * Two register layouts compute these chains (kmeans_avx512.c). Centres in lanes ("row
 * tiles": a few rows x a few panels, x[t] broadcast) reduces each row across its lanes at the
 * end, about 20 cycles a row; rows in lanes (a block of 64 float / 32 double rows transposed
 * once, each centre coordinate broadcast, every row's running best in its own lane) has no
 * horizontal reduction and serves the argmin kernels for d <= 128 on AVX-512. Both run the
 * same per-pair chains, so the layout changes speed, never a bit of the result.
 *
 * The direct-form argmin kernels on AVX-512 are screened: the labels come from the dot form
 * (one fma per row, centre and dimension where the direct form needs a subtraction too, which
 * competes with the broadcasts for Zen 4's add pipes), certified by a rigorous bound on both
 * forms' rounding (best score ahead of the runner-up by more than 2 (d + 2) u (3 ||x||^2 +
 * 5 max ||c||^2)); the distances are then the direct chain to the chosen centres, and rows
 * that fail the bound (near ties, uncentred data) are recomputed with the direct form. So
 * their outputs are the direct form's bit for bit; only the speed depends on the data (the
 * derivation and the measurements are in kmeans_avx512.c). On CPUs with AVX512_BF16 the float
 * argmin (sqdist_argmin_f32 of the avx512 table) puts a bfloat16 dot-form screen in front
 * (VDPBF16PS: two multiply-adds per lane and instruction), with a bound widened for bfloat16
 * rounding; a row it leaves between two centres is settled by the direct distances to both,
 * the rest go to the float screen, so the outputs are again the direct form's bit for bit.
 * The reference and AVX2 compute the direct form straight.
 *
 * Ties resolve to the lowest centre index in every kernel and every variant. Inputs must be
 * finite (strata_check_finite rejects NaN and infinities upstream); with a NaN the label is
 * unspecified but within [0, k).
 *
 * Thread safety: every kernel is reentrant and touches only its arguments; concurrent calls on
 * disjoint outputs are safe. Sizes are int64_t; n = 0 is a no-op, d >= 1 and k >= 1 otherwise.
 */
#ifndef STRATA_KERNELS_H
#define STRATA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define STRATA_K_PANEL_F32 16
#define STRATA_K_PANEL_F64 8

/* Elements of the packed buffer for k centres of d dimensions. */
static inline size_t strata_k_packed_len_f32(int64_t k, int64_t d) {
  return (size_t)((k + STRATA_K_PANEL_F32 - 1) / STRATA_K_PANEL_F32) * (size_t)(d + 2) *
         STRATA_K_PANEL_F32;
}
static inline size_t strata_k_packed_len_f64(int64_t k, int64_t d) {
  return (size_t)((k + STRATA_K_PANEL_F64 - 1) / STRATA_K_PANEL_F64) * (size_t)(d + 2) *
         STRATA_K_PANEL_F64;
}

/* Packs the k x d centres c (row j at c + j * ldc) into `packed`
 * (strata_k_packed_len_*(k, d) elements, any alignment; 64 bytes is best). O(k d); one
 * implementation serves every ISA because the layout is the same. */
void strata_k_pack_centers_f32(int64_t k, int64_t d, const float *restrict c, int64_t ldc,
                               float *restrict packed);
void strata_k_pack_centers_f64(int64_t k, int64_t d, const double *restrict c, int64_t ldc,
                               double *restrict packed);

/* ------------------------------------------------------------------ kernel signatures */

/* Nearest centre, direct form: for each row i of x (n x d, row i at x + i * ldx) writes
 * label[i] in [0, k) and dist[i] = ||x_i - c_label||^2. dist may be NULL when only the labels
 * are wanted (a Lloyd iteration): the labels are the same, and the screened variants then skip
 * computing the distances. */
typedef void (*strata_k_sqdist_argmin_f32_fn)(int64_t n, int64_t d, int64_t k,
                                              const float *restrict x, int64_t ldx,
                                              const float *restrict packed,
                                              int32_t *restrict label, float *restrict dist);
typedef void (*strata_k_sqdist_argmin_f64_fn)(int64_t n, int64_t d, int64_t k,
                                              const double *restrict x, int64_t ldx,
                                              const double *restrict packed,
                                              int32_t *restrict label, double *restrict dist);
/* Same, plus dist2[i], the second smallest squared distance over all k centres (counting a
 * tie with the nearest: then dist2 == dist; +inf when k == 1). For Hamerly/Yinyang bounds. */
typedef void (*strata_k_sqdist_argmin2_f32_fn)(int64_t n, int64_t d, int64_t k,
                                               const float *restrict x, int64_t ldx,
                                               const float *restrict packed,
                                               int32_t *restrict label, float *restrict dist,
                                               float *restrict dist2);
typedef void (*strata_k_sqdist_argmin2_f64_fn)(int64_t n, int64_t d, int64_t k,
                                               const double *restrict x, int64_t ldx,
                                               const double *restrict packed,
                                               int32_t *restrict label, double *restrict dist,
                                               double *restrict dist2);
/* Nearest centre, dot form: xnorm[i] = ||x_i||^2 (strata_k_sqnorm_*), dist[i] =
 * max(0, ||x_i||^2 - 2 (x_i.c - ||c||^2 / 2)) of the chosen centre. */
typedef void (*strata_k_dot_argmin_f32_fn)(int64_t n, int64_t d, int64_t k,
                                           const float *restrict x, int64_t ldx,
                                           const float *restrict xnorm,
                                           const float *restrict packed,
                                           int32_t *restrict label, float *restrict dist);
typedef void (*strata_k_dot_argmin_f64_fn)(int64_t n, int64_t d, int64_t k,
                                           const double *restrict x, int64_t ldx,
                                           const double *restrict xnorm,
                                           const double *restrict packed,
                                           int32_t *restrict label, double *restrict dist);
typedef void (*strata_k_dot_argmin2_f32_fn)(int64_t n, int64_t d, int64_t k,
                                            const float *restrict x, int64_t ldx,
                                            const float *restrict xnorm,
                                            const float *restrict packed,
                                            int32_t *restrict label, float *restrict dist,
                                            float *restrict dist2);
typedef void (*strata_k_dot_argmin2_f64_fn)(int64_t n, int64_t d, int64_t k,
                                            const double *restrict x, int64_t ldx,
                                            const double *restrict xnorm,
                                            const double *restrict packed,
                                            int32_t *restrict label, double *restrict dist,
                                            double *restrict dist2);
/* All squared distances, direct form: out[i * ldo + j] = ||x_i - c_j||^2 for j < m (the m
 * packed centres, e.g. the candidates of a greedy k-means++ step); ldo >= m. */
typedef void (*strata_k_sqdist_f32_fn)(int64_t n, int64_t d, int64_t m,
                                       const float *restrict x, int64_t ldx,
                                       const float *restrict packed, float *restrict out,
                                       int64_t ldo);
typedef void (*strata_k_sqdist_f64_fn)(int64_t n, int64_t d, int64_t m,
                                       const double *restrict x, int64_t ldx,
                                       const double *restrict packed, double *restrict out,
                                       int64_t ldo);
/* Distance of each row to a centre chosen per row, direct form: dist[i] = the squared
 * distance of row i to packed centre label[i] (in [0, k)), bit-identical to the argmin
 * kernels' distance for that pair (the same chain). For checking candidate labels, e.g. the
 * previous iteration's, against a bound before a full argmin. */
typedef void (*strata_k_sqdist_label_f32_fn)(int64_t n, int64_t d, int64_t k,
                                             const float *restrict x, int64_t ldx,
                                             const float *restrict packed,
                                             const int32_t *restrict label,
                                             float *restrict dist);
typedef void (*strata_k_sqdist_label_f64_fn)(int64_t n, int64_t d, int64_t k,
                                             const double *restrict x, int64_t ldx,
                                             const double *restrict packed,
                                             const int32_t *restrict label,
                                             double *restrict dist);
/* D^2 update of k-means++: dmin[i] = min(dmin[i], ||x_i - c||^2) for one centre c (d
 * contiguous elements, not packed). The distance is bit-identical to the direct-form one. */
typedef void (*strata_k_sqdist_min_f32_fn)(int64_t n, int64_t d, const float *restrict x,
                                           int64_t ldx, const float *restrict c,
                                           float *restrict dmin);
typedef void (*strata_k_sqdist_min_f64_fn)(int64_t n, int64_t d, const double *restrict x,
                                           int64_t ldx, const double *restrict c,
                                           double *restrict dmin);
/* Squared norms of rows: out[i] = ||x_i||^2 as a sequential fma chain over t. */
typedef void (*strata_k_sqnorm_f32_fn)(int64_t n, int64_t d, const float *restrict x,
                                       int64_t ldx, float *restrict out);
typedef void (*strata_k_sqnorm_f64_fn)(int64_t n, int64_t d, const double *restrict x,
                                       int64_t ldx, double *restrict out);
/* Lloyd update, in row order so that it is deterministic: for i < n, with l = label[i] and
 * w = weight ? weight[i] : 1,
 *     sums[l * lds + t] += w * x_i[t]  (in double: the product rounded, then the sum)
 *     wsum[l] += w
 * Labels must lie in [0, k) of the caller's arrays. Accumulating float input in double keeps
 * a million-row sum accurate; per-block partial sums are combined by the caller in block
 * order, so the result does not depend on the thread count. Call it on the rows just
 * assigned (a few hundred to a few thousand), while they are still in cache: on the full
 * data it is bound by memory bandwidth (4.5 ms per million 16-float rows, against 1.9 ns a
 * row from cache). Rows of `sums` starting on 64-byte boundaries avoid split cache lines. */
typedef void (*strata_k_accumulate_f32_fn)(int64_t n, int64_t d, const float *restrict x,
                                           int64_t ldx, const int32_t *restrict label,
                                           const double *restrict weight,
                                           double *restrict sums, int64_t lds,
                                           double *restrict wsum);
typedef void (*strata_k_accumulate_f64_fn)(int64_t n, int64_t d, const double *restrict x,
                                           int64_t ldx, const int32_t *restrict label,
                                           const double *restrict weight,
                                           double *restrict sums, int64_t lds,
                                           double *restrict wsum);
/* Argmin over a block of dot products g (n x k, row i at g + i * ldg, g_ij = x_i.c_j as from
 * sgemm/dgemm), fused so that it runs while the block is in cache: a_ij = g_ij - cnorm_j / 2
 * (one fma), label = lowest j of the largest a, dist = max(0, xnorm_i - 2 a), and when dist2
 * is not NULL the second smallest distance likewise. cnorm_j = ||c_j||^2. */
typedef void (*strata_k_gemm_argmin_f32_fn)(int64_t n, int64_t k, const float *restrict g,
                                            int64_t ldg, const float *restrict cnorm,
                                            const float *restrict xnorm,
                                            int32_t *restrict label, float *restrict dist,
                                            float *restrict dist2);
typedef void (*strata_k_gemm_argmin_f64_fn)(int64_t n, int64_t k, const double *restrict g,
                                            int64_t ldg, const double *restrict cnorm,
                                            const double *restrict xnorm,
                                            int32_t *restrict label, double *restrict dist,
                                            double *restrict dist2);

/* sqdist_argmin's labels (no distances) plus, for each row i, a lower bound lb_i on the exact
 * squared distance from x_i to every centre other than label_i (0 where the kernel cannot
 * tell cheaply). Only kernels that get the bound almost free provide it (the table field is
 * NULL elsewhere): Lloyd keeps the last iteration's bounds so that the final assignment
 * re-checks only the rows that the centre shifts may have moved. */
typedef void (*strata_k_sqdist_argmin_lb_f32_fn)(int64_t n, int64_t d, int64_t k,
                                                 const float *restrict x, int64_t ldx,
                                                 const float *restrict packed,
                                                 int32_t *restrict label, float *restrict lb);
typedef void (*strata_k_sqdist_argmin_lb_f64_fn)(int64_t n, int64_t d, int64_t k,
                                                 const double *restrict x, int64_t ldx,
                                                 const double *restrict packed,
                                                 int32_t *restrict label, double *restrict lb);

/* ------------------------------------------------------------------ k-prototypes */

/* Mixed numeric + categorical prototypes (k-prototypes, src/kmeans/kproto.h). The numeric
 * parts are packed as above (strata_k_pack_centers_f64 with d = dn, any dn >= 0); the modes
 * are packed in the same panels of STRATA_K_PANEL_F64 = 8 lanes: panel p holds
 *     [t W + w]   mode of centre p W + w in categorical column t (-1 for a padding lane)
 * for t < dc, panels every dc W int32s (strata_k_pack_modes).
 *
 * The cost of row x against prototype j, in every ISA (kproto_ref.c spells it out):
 *     acc = bias_j; for t in 0..dn-1: e = x[t] - c_j[t]; acc = fma(e, e, acc)
 *     m   = number of t < dc with codes[t] != mode_j[t]            (an exact integer)
 *     cost = fma(gamma, (double)m, acc)                            (one rounding)
 * so that labels, costs and second costs are bit-identical across ISAs; padding lanes have
 * bias +inf and never win. Ties go to the lowest prototype index. */
static inline size_t strata_k_packed_modes_len(int64_t k, int64_t dc) {
  return (size_t)((k + STRATA_K_PANEL_F64 - 1) / STRATA_K_PANEL_F64) * (size_t)dc *
         STRATA_K_PANEL_F64;
}
/* Packs the k x dc modes (row j at modes + j * ldm) into `packed`
 * (strata_k_packed_modes_len(k, dc) int32s). O(k dc), shared by every ISA. */
void strata_k_pack_modes(int64_t k, int64_t dc, const int32_t *restrict modes, int64_t ldm,
                         int32_t *restrict packed);
/* Nearest prototype: for each row i (numeric part at x + i * ldx, dn doubles; codes at
 * codes + i * ldc, dc int32s) writes label[i] in [0, k), cost[i] (the cost above to that
 * prototype) and, when cost2 is not NULL, cost2[i], the second smallest cost over all k
 * prototypes (equal to cost[i] on a tie, +inf when k == 1). cost may be NULL. dn = 0 or
 * dc = 0 are allowed (x or codes then unread); k >= 1. */
typedef void (*strata_k_mixed_argmin_f64_fn)(int64_t n, int64_t dn, int64_t dc, int64_t k,
                                             const double *restrict x, int64_t ldx,
                                             const int32_t *restrict codes, int64_t ldc,
                                             const double *restrict packed,
                                             const int32_t *restrict pmodes, double gamma,
                                             int32_t *restrict label, double *restrict cost,
                                             double *restrict cost2);

/* The same for the m rows listed in rows[0..m) (indices into x and codes, any order):
 * label[r], cost[r], cost2[r] belong to row rows[r]. For the rows that bounds leave undecided:
 * scattered, yet scanned in the kernel's multi-row tiles. */
typedef void (*strata_k_mixed_argmin_rows_f64_fn)(int64_t m, const int64_t *restrict rows,
                                                  int64_t dn, int64_t dc, int64_t k,
                                                  const double *restrict x, int64_t ldx,
                                                  const int32_t *restrict codes, int64_t ldc,
                                                  const double *restrict packed,
                                                  const int32_t *restrict pmodes, double gamma,
                                                  int32_t *restrict label, double *restrict cost,
                                                  double *restrict cost2);

#define STRATA_K_DECLARE_KPROTO(isa)                                                              \
  void strata_k_mixed_argmin_f64_##isa(int64_t n, int64_t dn, int64_t dc, int64_t k,              \
                                       const double *restrict x, int64_t ldx,                     \
                                       const int32_t *restrict codes, int64_t ldc,                \
                                       const double *restrict packed,                             \
                                       const int32_t *restrict pmodes, double gamma,              \
                                       int32_t *restrict label, double *restrict cost,            \
                                       double *restrict cost2);                                   \
  void strata_k_mixed_argmin_rows_f64_##isa(                                                      \
      int64_t m, const int64_t *restrict rows, int64_t dn, int64_t dc, int64_t k,                 \
      const double *restrict x, int64_t ldx, const int32_t *restrict codes, int64_t ldc,          \
      const double *restrict packed, const int32_t *restrict pmodes, double gamma,                \
      int32_t *restrict label, double *restrict cost, double *restrict cost2);
STRATA_K_DECLARE_KPROTO(ref)
STRATA_K_DECLARE_KPROTO(avx2)
STRATA_K_DECLARE_KPROTO(avx512)

/* ------------------------------------------------------------------ dispatch */

typedef enum strata_isa {
  STRATA_ISA_REF = 0,   /* portable C, also the oracle of the tests */
  STRATA_ISA_AVX2 = 1,  /* AVX2 + FMA (Haswell, Zen 1 and later) */
  STRATA_ISA_AVX512 = 2 /* AVX-512 F/BW/DQ/VL (Skylake-SP, Ice Lake, Zen 4 and later) */
} strata_isa;
#define STRATA_ISA_COUNT 3

typedef struct strata_kernels {
  strata_isa isa;
  const char *name; /* "ref", "avx2" or "avx512" */
  strata_k_sqdist_argmin_f32_fn sqdist_argmin_f32;
  strata_k_sqdist_argmin2_f32_fn sqdist_argmin2_f32;
  strata_k_dot_argmin_f32_fn dot_argmin_f32;
  strata_k_dot_argmin2_f32_fn dot_argmin2_f32;
  strata_k_sqdist_f32_fn sqdist_f32;
  strata_k_sqdist_min_f32_fn sqdist_min_f32;
  strata_k_sqnorm_f32_fn sqnorm_f32;
  strata_k_accumulate_f32_fn accumulate_f32;
  strata_k_gemm_argmin_f32_fn gemm_argmin_f32;
  strata_k_sqdist_label_f32_fn sqdist_label_f32;
  strata_k_sqdist_argmin_f64_fn sqdist_argmin_f64;
  strata_k_sqdist_argmin2_f64_fn sqdist_argmin2_f64;
  strata_k_dot_argmin_f64_fn dot_argmin_f64;
  strata_k_dot_argmin2_f64_fn dot_argmin2_f64;
  strata_k_sqdist_f64_fn sqdist_f64;
  strata_k_sqdist_min_f64_fn sqdist_min_f64;
  strata_k_sqnorm_f64_fn sqnorm_f64;
  strata_k_accumulate_f64_fn accumulate_f64;
  strata_k_gemm_argmin_f64_fn gemm_argmin_f64;
  strata_k_sqdist_label_f64_fn sqdist_label_f64;
  strata_k_sqdist_argmin_lb_f32_fn sqdist_argmin_lb_f32; /* NULL unless the bound is free */
  strata_k_sqdist_argmin_lb_f64_fn sqdist_argmin_lb_f64; /* NULL unless the bound is free */
  strata_k_mixed_argmin_f64_fn mixed_argmin_f64;         /* k-prototypes (kproto_*.c) */
  strata_k_mixed_argmin_rows_f64_fn mixed_argmin_rows_f64;
} strata_kernels;

/* The table of the process: filled once (thread-safe) with the best ISA that the CPU and the
 * OS support, or with the one named by the environment variable STRATA_ISA=ref|avx2|avx512
 * when the CPU has it (a request it lacks, or an unknown name, gives the best available: read
 * ->isa or ->name to know which). Never NULL; static storage. */
const strata_kernels *strata_kernels_get(void);
/* The table of one ISA regardless of STRATA_ISA, or NULL when this CPU/OS cannot run it (or
 * isa is out of range). For tests and benchmarks. */
const strata_kernels *strata_kernels_for(strata_isa isa);
/* Best ISA this CPU and OS can run (CPUID + XGETBV: the OS must save the wide registers). */
strata_isa strata_isa_best(void);
/* 1 when this CPU and OS can run `isa`. */
int strata_isa_supported(strata_isa isa);
/* "ref", "avx2", "avx512" ("unknown" out of range). Static storage. */
const char *strata_isa_name(strata_isa isa);
/* Parses "ref", "avx2" or "avx512" (case-sensitive) into *out; returns 1 on success, 0 for
 * NULL or any other string (then *out is untouched). */
int strata_isa_from_name(const char *name, strata_isa *out);
/* The ISA the table uses for a STRATA_ISA value `request` (NULL or "" when unset) on a CPU
 * whose best ISA is `best`: the requested one when known and <= best, otherwise `best`.
 * Pure, so tests check the policy without touching the environment. */
strata_isa strata_isa_resolve(const char *request, strata_isa best);
/* Name of the ISA of strata_kernels_get(), for benchmark headers. */
const char *strata_kernels_isa_name(void);

/* ------------------------------------------------------------------ the variants */

#define STRATA_K_DECLARE(isa)                                                                     \
  void strata_k_sqdist_argmin_f32_##isa(int64_t n, int64_t d, int64_t k, const float *restrict x, \
                                        int64_t ldx, const float *restrict packed,               \
                                        int32_t *restrict label, float *restrict dist);          \
  void strata_k_sqdist_argmin2_f32_##isa(int64_t n, int64_t d, int64_t k,                        \
                                         const float *restrict x, int64_t ldx,                   \
                                         const float *restrict packed, int32_t *restrict label,  \
                                         float *restrict dist, float *restrict dist2);           \
  void strata_k_dot_argmin_f32_##isa(int64_t n, int64_t d, int64_t k, const float *restrict x,    \
                                     int64_t ldx, const float *restrict xnorm,                   \
                                     const float *restrict packed, int32_t *restrict label,      \
                                     float *restrict dist);                                      \
  void strata_k_dot_argmin2_f32_##isa(int64_t n, int64_t d, int64_t k, const float *restrict x,   \
                                      int64_t ldx, const float *restrict xnorm,                  \
                                      const float *restrict packed, int32_t *restrict label,     \
                                      float *restrict dist, float *restrict dist2);              \
  void strata_k_sqdist_f32_##isa(int64_t n, int64_t d, int64_t m, const float *restrict x,        \
                                 int64_t ldx, const float *restrict packed, float *restrict out, \
                                 int64_t ldo);                                                   \
  void strata_k_sqdist_min_f32_##isa(int64_t n, int64_t d, const float *restrict x, int64_t ldx,  \
                                     const float *restrict c, float *restrict dmin);             \
  void strata_k_sqnorm_f32_##isa(int64_t n, int64_t d, const float *restrict x, int64_t ldx,      \
                                 float *restrict out);                                           \
  void strata_k_accumulate_f32_##isa(int64_t n, int64_t d, const float *restrict x, int64_t ldx,  \
                                     const int32_t *restrict label,                              \
                                     const double *restrict weight, double *restrict sums,       \
                                     int64_t lds, double *restrict wsum);                        \
  void strata_k_gemm_argmin_f32_##isa(int64_t n, int64_t k, const float *restrict g,              \
                                      int64_t ldg, const float *restrict cnorm,                  \
                                      const float *restrict xnorm, int32_t *restrict label,      \
                                      float *restrict dist, float *restrict dist2);              \
  void strata_k_sqdist_argmin_f64_##isa(int64_t n, int64_t d, int64_t k,                         \
                                        const double *restrict x, int64_t ldx,                   \
                                        const double *restrict packed, int32_t *restrict label,  \
                                        double *restrict dist);                                  \
  void strata_k_sqdist_argmin2_f64_##isa(int64_t n, int64_t d, int64_t k,                        \
                                         const double *restrict x, int64_t ldx,                  \
                                         const double *restrict packed, int32_t *restrict label, \
                                         double *restrict dist, double *restrict dist2);         \
  void strata_k_dot_argmin_f64_##isa(int64_t n, int64_t d, int64_t k, const double *restrict x,   \
                                     int64_t ldx, const double *restrict xnorm,                  \
                                     const double *restrict packed, int32_t *restrict label,     \
                                     double *restrict dist);                                     \
  void strata_k_dot_argmin2_f64_##isa(int64_t n, int64_t d, int64_t k, const double *restrict x,  \
                                      int64_t ldx, const double *restrict xnorm,                 \
                                      const double *restrict packed, int32_t *restrict label,    \
                                      double *restrict dist, double *restrict dist2);            \
  void strata_k_sqdist_f64_##isa(int64_t n, int64_t d, int64_t m, const double *restrict x,       \
                                 int64_t ldx, const double *restrict packed,                     \
                                 double *restrict out, int64_t ldo);                             \
  void strata_k_sqdist_min_f64_##isa(int64_t n, int64_t d, const double *restrict x,              \
                                     int64_t ldx, const double *restrict c,                      \
                                     double *restrict dmin);                                     \
  void strata_k_sqnorm_f64_##isa(int64_t n, int64_t d, const double *restrict x, int64_t ldx,     \
                                 double *restrict out);                                          \
  void strata_k_accumulate_f64_##isa(int64_t n, int64_t d, const double *restrict x,              \
                                     int64_t ldx, const int32_t *restrict label,                 \
                                     const double *restrict weight, double *restrict sums,       \
                                     int64_t lds, double *restrict wsum);                        \
  void strata_k_gemm_argmin_f64_##isa(int64_t n, int64_t k, const double *restrict g,             \
                                      int64_t ldg, const double *restrict cnorm,                 \
                                      const double *restrict xnorm, int32_t *restrict label,     \
                                      double *restrict dist, double *restrict dist2);            \
  void strata_k_sqdist_label_f32_##isa(int64_t n, int64_t d, int64_t k, const float *restrict x,  \
                                       int64_t ldx, const float *restrict packed,                \
                                       const int32_t *restrict label, float *restrict dist);     \
  void strata_k_sqdist_label_f64_##isa(int64_t n, int64_t d, int64_t k,                          \
                                       const double *restrict x, int64_t ldx,                    \
                                       const double *restrict packed,                            \
                                       const int32_t *restrict label, double *restrict dist);

STRATA_K_DECLARE(ref)
STRATA_K_DECLARE(avx2)
STRATA_K_DECLARE(avx512)

/* sqdist_argmin_f32 of the avx512 table on CPUs that also have AVX512_BF16 (Zen 4, Cooper
 * Lake, Sapphire Rapids): a bfloat16 screen in front of the float one, the same outputs bit
 * for bit (kmeans_avx512.c). Only call it when strata_isa_bf16() says so. */
void strata_k_sqdist_argmin_f32_avx512bf16(int64_t n, int64_t d, int64_t k,
                                           const float *restrict x, int64_t ldx,
                                           const float *restrict packed,
                                           int32_t *restrict label, float *restrict dist);
/* The same screen with labels and lower bounds (sqdist_argmin_lb_f32 of that table). */
void strata_k_sqdist_argmin_lb_f32_avx512bf16(int64_t n, int64_t d, int64_t k,
                                              const float *restrict x, int64_t ldx,
                                              const float *restrict packed,
                                              int32_t *restrict label, float *restrict lb);
/* 1 when the CPU and OS run AVX-512 and AVX512_BF16: the avx512 table then uses the kernels
 * above. */
int strata_isa_bf16(void);

#endif
