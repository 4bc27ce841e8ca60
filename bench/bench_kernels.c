/*
 * bench_kernels.c — micro-benchmark of the k-means assignment kernels, one thread.
 *
 * Usage: bench_kernels [n d k [f32|f64 [seconds [blobs]]]]   (default 65536 16 64 f32 0.3)
 *        bench_kernels crossover [f32|f64]            (GEMM vs packed kernels over a (k, d) grid)
 *        bench_kernels kproto [n dn dc k [seconds]]   (k-prototypes mixed argmin, default
 *                                                      65536 20 5 5 0.3)
 *
 * Prints the ISA, compiler and OpenBLAS configuration first (as every benchmark here must),
 * then per ISA the time per row and GFLOP/s of each kernel, counting 2 n k d flops per
 * assignment (the GEMM convention, so numbers compare with sgemm), next to a large sgemm
 * measured in the same run. "sqdist_argmin/lab" is the labels-only call (dist NULL) that a
 * Lloyd iteration makes. The data is uniform in [-1, 1]^d unless `blobs` is given: then k
 * Gaussian blobs (centres uniform in [-10, 10]^d, sd 1.5, as bench/kmeans.sh's data) and k
 * rows of them as the centres (as its initial centres), where the screens' certification
 * rates are those of the k-means benchmark rather than of a worst case. Where the CPU has
 * AVX512_BF16, "-f32scr" rows time the avx512 argmin without the bfloat16 screen. The data set is kept cache-resident unless n is raised: this
 * measures the kernels, not the memory system. Not run by ctest.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "kernels.h"
#include "kmeans/assign_gemm.h"

char *openblas_get_config(void);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *xalloc(size_t bytes) {
  void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (p == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(5);
  }
  return p;
}

typedef struct {
  int f64;
  int64_t n, d, k;
  void *x, *c, *packed, *xnorm, *cnorm, *dist, *dist2, *buf;
  int32_t *label;
  int64_t buf_rows;
} bench_data;

static void fill(void *p, int64_t count, int f64, uint64_t seed, uint32_t stream) {
  for (int64_t i = 0; i < count; i++) {
    strata_rng g;
    strata_rng_init(&g, seed, stream, (uint64_t)i);
    double v = strata_rng_uniform(&g) * 2.0 - 1.0;
    if (f64)
      ((double *)p)[i] = v;
    else
      ((float *)p)[i] = (float)v;
  }
}

/* Blobs as bench/peers/kmeans_peers.py makes them, and k of their rows as centres. */
static void fill_blobs(bench_data *b) {
  const int64_t n = b->n, d = b->d, k = b->k;
  double *mu = xalloc((size_t)(k * d) * sizeof(double));
  for (int64_t i = 0; i < k * d; i++) {
    strata_rng g;
    strata_rng_init(&g, 7, 2, (uint64_t)i);
    mu[i] = strata_rng_uniform(&g) * 20.0 - 10.0;
  }
  for (int64_t i = 0; i < n; i++) {
    strata_rng g;
    strata_rng_init(&g, 7, 3, (uint64_t)i);
    const int64_t j = (int64_t)(strata_rng_uniform(&g) * (double)k) % k;
    for (int64_t t = 0; t < d; t++) {
      const double v = mu[j * d + t] + 1.5 * strata_rng_normal(&g);
      if (b->f64)
        ((double *)b->x)[i * d + t] = v;
      else
        ((float *)b->x)[i * d + t] = (float)v;
    }
  }
  const size_t es = b->f64 ? 8 : 4;
  for (int64_t j = 0; j < k; j++)
    memcpy((char *)b->c + (size_t)(j * d) * es, (char *)b->x + (size_t)((j * 7919) % n * d) * es,
           (size_t)d * es);
  free(mu);
}

static void data_init(bench_data *b, int f64, int64_t n, int64_t d, int64_t k, int blobs) {
  memset(b, 0, sizeof *b);
  b->f64 = f64;
  b->n = n;
  b->d = d;
  b->k = k;
  const size_t es = f64 ? 8 : 4;
  b->x = xalloc((size_t)(n * d) * es);
  b->c = xalloc((size_t)(k * d) * es);
  fill(b->x, n * d, f64, 1, 0);
  fill(b->c, k * d, f64, 1, 1);
  if (blobs) fill_blobs(b);
  b->packed = xalloc((f64 ? strata_k_packed_len_f64(k, d) : strata_k_packed_len_f32(k, d)) * es);
  if (f64)
    strata_k_pack_centers_f64(k, d, b->c, d, b->packed);
  else
    strata_k_pack_centers_f32(k, d, b->c, d, b->packed);
  b->xnorm = xalloc((size_t)n * es);
  b->cnorm = xalloc((size_t)k * es);
  b->dist = xalloc((size_t)n * es);
  b->dist2 = xalloc((size_t)n * es);
  b->label = xalloc((size_t)n * sizeof(int32_t));
  b->buf_rows = strata_assign_gemm_rows(k, es);
  b->buf = xalloc((size_t)(b->buf_rows * k) * es);
  const strata_kernels *kt = strata_kernels_for(STRATA_ISA_REF);
  if (f64) {
    kt->sqnorm_f64(n, d, b->x, d, b->xnorm);
    kt->sqnorm_f64(k, d, b->c, d, b->cnorm);
  } else {
    kt->sqnorm_f32(n, d, b->x, d, b->xnorm);
    kt->sqnorm_f32(k, d, b->c, d, b->cnorm);
  }
}

static void data_free(bench_data *b) {
  free(b->x);
  free(b->c);
  free(b->packed);
  free(b->xnorm);
  free(b->cnorm);
  free(b->dist);
  free(b->dist2);
  free(b->label);
  free(b->buf);
}

enum { K_DIRECT, K_LABELS, K_DIRECT2, K_DOT, K_DOT2, K_GEMM, K_LLOYD, K_COUNT };
static const char *const kernel_names[K_COUNT] = {
    "sqdist_argmin", "sqdist_argmin/lab", "sqdist_argmin2", "dot_argmin",
    "dot_argmin2",   "gemm_assign",       "lloyd-calls"};

/* "lloyd-calls": the pass of a Lloyd iteration as src/kmeans/lloyd_tmpl.h makes it, labels
 * (and lower bounds, where the table has sqdist_argmin_lb) in calls of KM_SUB_ROWS = 2048
 * rows, so that the cost each call pays once shows. */
#define BENCH_LLOYD_ROWS 2048
static void run_lloyd_calls(const strata_kernels *kt, bench_data *b) {
  for (int64_t s = 0; s < b->n; s += BENCH_LLOYD_ROWS) {
    const int64_t rows = b->n - s < BENCH_LLOYD_ROWS ? b->n - s : BENCH_LLOYD_ROWS;
    if (b->f64)
      kt->sqdist_argmin_f64(rows, b->d, b->k, (const double *)b->x + s * b->d, b->d, b->packed,
                            b->label + s, NULL);
    else if (kt->sqdist_argmin_lb_f32 != NULL)
      kt->sqdist_argmin_lb_f32(rows, b->d, b->k, (const float *)b->x + s * b->d, b->d, b->packed,
                               b->label + s, (float *)b->dist + s);
    else
      kt->sqdist_argmin_f32(rows, b->d, b->k, (const float *)b->x + s * b->d, b->d, b->packed,
                            b->label + s, NULL);
  }
}

static void run_once(const strata_kernels *kt, bench_data *b, int which) {
  const int64_t n = b->n, d = b->d, k = b->k;
  if (which == K_LLOYD) {
    run_lloyd_calls(kt, b);
    return;
  }
  if (b->f64) {
    switch (which) {
      case K_DIRECT: kt->sqdist_argmin_f64(n, d, k, b->x, d, b->packed, b->label, b->dist); break;
      case K_LABELS: kt->sqdist_argmin_f64(n, d, k, b->x, d, b->packed, b->label, NULL); break;
      case K_DIRECT2:
        kt->sqdist_argmin2_f64(n, d, k, b->x, d, b->packed, b->label, b->dist, b->dist2);
        break;
      case K_DOT:
        kt->dot_argmin_f64(n, d, k, b->x, d, b->xnorm, b->packed, b->label, b->dist);
        break;
      case K_DOT2:
        kt->dot_argmin2_f64(n, d, k, b->x, d, b->xnorm, b->packed, b->label, b->dist, b->dist2);
        break;
      default:
        strata_assign_gemm_f64(kt, n, d, k, b->x, d, b->xnorm, b->c, d, b->cnorm, b->buf,
                               b->buf_rows, b->label, b->dist, NULL);
    }
  } else {
    switch (which) {
      case K_DIRECT: kt->sqdist_argmin_f32(n, d, k, b->x, d, b->packed, b->label, b->dist); break;
      case K_LABELS: kt->sqdist_argmin_f32(n, d, k, b->x, d, b->packed, b->label, NULL); break;
      case K_DIRECT2:
        kt->sqdist_argmin2_f32(n, d, k, b->x, d, b->packed, b->label, b->dist, b->dist2);
        break;
      case K_DOT:
        kt->dot_argmin_f32(n, d, k, b->x, d, b->xnorm, b->packed, b->label, b->dist);
        break;
      case K_DOT2:
        kt->dot_argmin2_f32(n, d, k, b->x, d, b->xnorm, b->packed, b->label, b->dist, b->dist2);
        break;
      default:
        strata_assign_gemm_f32(kt, n, d, k, b->x, d, b->xnorm, b->c, d, b->cnorm, b->buf,
                               b->buf_rows, b->label, b->dist, NULL);
    }
  }
}

/* Best of several timed repetitions lasting `seconds` in total: seconds per call. */
static double time_kernel(const strata_kernels *kt, bench_data *b, int which, double seconds) {
  run_once(kt, b, which); /* warm caches and pages */
  double best = 1e30, start = now();
  int reps = 0;
  while (reps < 3 || now() - start < seconds) {
    double t0 = now();
    run_once(kt, b, which);
    double t = now() - t0;
    if (t < best) best = t;
    reps++;
  }
  return best;
}

static double sgemm_gflops(int f64) {
  const int m = 1024;
  bench_data dummy;
  (void)dummy;
  size_t es = f64 ? 8 : 4;
  void *a = xalloc((size_t)m * m * es), *bb = xalloc((size_t)m * m * es), *cc = xalloc((size_t)m * m * es);
  fill(a, (int64_t)m * m, f64, 2, 0);
  fill(bb, (int64_t)m * m, f64, 2, 1);
  double best = 1e30;
  for (int r = 0; r < 5; r++) {
    double t0 = now();
    if (f64)
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, m, 1.0, a, m, bb, m, 0.0, cc, m);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, m, 1.0f, a, m, bb, m, 0.0f, cc,
                  m);
    double t = now() - t0;
    if (t < best) best = t;
  }
  free(a);
  free(bb);
  free(cc);
  return 2.0 * m * m * (double)m / best * 1e-9;
}

static void header(int f64) {
  printf("# bench_kernels: strata kernels, best ISA %s (active %s), 1 thread\n",
         strata_isa_name(strata_isa_best()), strata_kernels_isa_name());
  printf("# compiler: gcc %s; kernel flags: ref baseline, avx2 -mavx2 -mfma, avx512 -mavx512f/bw/dq/vl\n",
         __VERSION__);
  printf("# OpenBLAS: %s (threads forced to 1)\n", openblas_get_config());
  printf("# %s 1024^3 gemm, same run: %.1f GFLOP/s\n", f64 ? "dgemm" : "sgemm", sgemm_gflops(f64));
}

static int crossover(int f64) {
  static const int64_t ks[] = {16, 64, 256, 1024};
  static const int64_t ds[] = {16, 32, 64, 128, 256, 512};
  printf("# crossover, %s, n = 16384 rows, ns per row (packed dot / packed direct / gemm)\n",
         f64 ? "float64" : "float32");
  const strata_kernels *kt = strata_kernels_get();
  for (size_t ik = 0; ik < sizeof ks / sizeof ks[0]; ik++) {
    for (size_t id = 0; id < sizeof ds / sizeof ds[0]; id++) {
      bench_data b;
      data_init(&b, f64, 16384, ds[id], ks[ik], 0);
      double tdot = time_kernel(kt, &b, K_DOT, 0.05);
      double tdir = time_kernel(kt, &b, K_DIRECT, 0.05);
      double tg = time_kernel(kt, &b, K_GEMM, 0.05);
      printf("k %5lld d %4lld  dot %9.1f  direct %9.1f  gemm %9.1f  ns/row  -> %s\n",
             (long long)ks[ik], (long long)ds[id], tdot / b.n * 1e9, tdir / b.n * 1e9,
             tg / b.n * 1e9, tg < (tdot < tdir ? tdot : tdir) ? "gemm" : "packed");
      fflush(stdout);
      data_free(&b);
    }
  }
  return 0;
}

/* The k-prototypes assignment kernel (kernels.h): uniform numbers in [-1, 1], codes in
 * [0, 4), prototypes copied from rows, gamma 1; with and without the second cost that
 * Hamerly's bounds take. Cache-resident unless n is raised. */
static int bench_kproto(int argc, char **argv) {
  const int64_t n = argc > 2 ? atoll(argv[2]) : 65536, dn = argc > 3 ? atoll(argv[3]) : 20;
  const int64_t dc = argc > 4 ? atoll(argv[4]) : 5, k = argc > 5 ? atoll(argv[5]) : 5;
  const double seconds = argc > 6 ? atof(argv[6]) : 0.3;
  if (n < 1 || dn < 0 || dc < 0 || dn + dc < 1 || k < 1 || k > n) {
    fprintf(stderr, "usage: bench_kernels kproto [n dn dc k [seconds]]\n");
    return 2;
  }
  header(1);
  printf("# kproto n %lld dn %lld dc %lld k %lld\n", (long long)n, (long long)dn, (long long)dc,
         (long long)k);
  double *x = xalloc((size_t)(n * dn + 1) * sizeof(double));
  int32_t *codes = xalloc((size_t)(n * dc + 1) * sizeof(int32_t));
  double *ctr = xalloc((size_t)(k * dn + 1) * sizeof(double));
  int32_t *modes = xalloc((size_t)(k * dc + 1) * sizeof(int32_t));
  double *packed = xalloc(strata_k_packed_len_f64(k, dn) * sizeof(double));
  int32_t *pmodes = xalloc((strata_k_packed_modes_len(k, dc) + 1) * sizeof(int32_t));
  int32_t *label = xalloc((size_t)n * sizeof(int32_t));
  double *cost = xalloc((size_t)n * sizeof(double)), *cost2 = xalloc((size_t)n * sizeof(double));
  fill(x, n * dn, 1, 1, 1);
  for (int64_t i = 0; i < n * dc; i++) {
    strata_rng g;
    strata_rng_init(&g, 1, 2, (uint64_t)i);
    codes[i] = (int32_t)strata_rng_below(&g, 4);
  }
  for (int64_t j = 0; j < k; j++) {
    const int64_t src = j * (n / k);
    memcpy(ctr + j * dn, x + src * dn, (size_t)dn * sizeof(double));
    memcpy(modes + j * dc, codes + src * dc, (size_t)dc * sizeof(int32_t));
  }
  strata_k_pack_centers_f64(k, dn, ctr, dn, packed);
  strata_k_pack_modes(k, dc, modes, dc, pmodes);
  for (int isa = STRATA_ISA_REF; isa < STRATA_ISA_COUNT; isa++) {
    const strata_kernels *kt = strata_kernels_for((strata_isa)isa);
    if (kt == NULL) continue;
    const int64_t m = isa == STRATA_ISA_REF && n > 2048 ? 2048 : n; /* the reference is slow */
    for (int second = 0; second < 2; second++) {
      double best = 1e300, spent = 0.0;
      while (spent < (isa == STRATA_ISA_REF ? 0.05 : seconds)) {
        const double t0 = now();
        kt->mixed_argmin_f64(m, dn, dc, k, x, dn, codes, dc, packed, pmodes, 1.0, label, cost,
                             second ? cost2 : NULL);
        const double t = now() - t0;
        spent += t;
        if (t < best) best = t;
      }
      printf("%-7s %-24s %9.2f ns/row\n", kt->name,
             second ? "mixed_argmin+cost2" : "mixed_argmin", best / (double)m * 1e9);
    }
  }
  free(x);
  free(codes);
  free(ctr);
  free(modes);
  free(packed);
  free(pmodes);
  free(label);
  free(cost);
  free(cost2);
  return 0;
}

int main(int argc, char **argv) {
  openblas_set_num_threads(1);
  if (argc >= 2 && strcmp(argv[1], "kproto") == 0) return bench_kproto(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "crossover") == 0) {
    int f64 = argc >= 3 && strcmp(argv[2], "f64") == 0;
    header(f64);
    return crossover(f64);
  }
  int64_t n = argc > 1 ? atoll(argv[1]) : 65536;
  int64_t d = argc > 2 ? atoll(argv[2]) : 16;
  int64_t k = argc > 3 ? atoll(argv[3]) : 64;
  int f64 = argc > 4 && strcmp(argv[4], "f64") == 0;
  double seconds = argc > 5 ? atof(argv[5]) : 0.3;
  int blobs = argc > 6 && strcmp(argv[6], "blobs") == 0;
  if (n < 1 || d < 1 || k < 1) {
    fprintf(stderr, "usage: bench_kernels [n d k [f32|f64 [seconds]]] | crossover [f32|f64]\n");
    return 2;
  }
  header(f64);
  bench_data b;
  data_init(&b, f64, n, d, k, blobs);
  printf("# n %lld d %lld k %lld %s, %s; GFLOP/s counts 2 n k d\n", (long long)n, (long long)d,
         (long long)k, f64 ? "float64" : "float32", blobs ? "blobs" : "uniform");
  for (int isa = STRATA_ISA_REF; isa < STRATA_ISA_COUNT; isa++) {
    const strata_kernels *kt = strata_kernels_for((strata_isa)isa);
    if (kt == NULL) continue;
    for (int w = 0; w < K_COUNT; w++) {
      if (isa == STRATA_ISA_REF && w != K_DIRECT && w != K_GEMM) continue;
      bench_data *bp = &b;
      bench_data small;
      /* The reference is slow: time it on a slice. */
      if (isa == STRATA_ISA_REF) {
        small = b;
        small.n = n < 2048 ? n : 2048;
        bp = &small;
      }
      double t = time_kernel(kt, bp, w, isa == STRATA_ISA_REF ? 0.05 : seconds);
      double flops = 2.0 * (double)bp->n * (double)k * (double)d;
      printf("%-7s %-24s %9.2f ns/row  %7.1f GFLOP/s\n", kt->name, kernel_names[w],
             t / (double)bp->n * 1e9, flops / t * 1e-9);
    }
    if (isa == STRATA_ISA_AVX512 && !f64 && strata_isa_bf16()) {
      strata_kernels plain = *kt;
      plain.sqdist_argmin_f32 = strata_k_sqdist_argmin_f32_avx512;
      for (int w = K_DIRECT; w <= K_LABELS; w++) {
        double t = time_kernel(&plain, &b, w, seconds);
        printf("%-7s %-24s %9.2f ns/row  %7.1f GFLOP/s\n", kt->name,
               w == K_DIRECT ? "sqdist_argmin-f32scr" : "sqdist_argmin/lab-f32scr",
               t / (double)b.n * 1e9, 2.0 * (double)b.n * (double)k * (double)d / t * 1e-9);
      }
    }
  }
  data_free(&b);
  return 0;
}
