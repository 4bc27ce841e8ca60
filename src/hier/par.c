/*
 * Row operations of the linkage algorithms split over the context's threads. A row is cut
 * into one contiguous chunk per thread on panel boundaries; each chunk's minimum and lowest
 * index are combined in chunk order, taking the first chunk on a tie, which is exactly the
 * serial answer (lowest index among equal minima): results do not depend on the thread
 * count. Short rows (under PAR_MIN lanes) stay serial, where a parallel region costs more
 * than it saves. Only row operations that compute (distances from the vectors) are split: the
 * matrix NN-chain's scans are memory-bound and run serially.
 *
 * One parallel region per row pays off on a quiet machine (about 1.8x on 2 cores), but a
 * region waits for its slowest thread, and when the OS has descheduled one (a shared machine)
 * that is a whole scheduler slice, many rows' worth of work: the same fit was measured 8x
 * slower than serial under load. Since the result is the same either way, the choice follows
 * measured speed (hier_par_tuner): each epoch times a probe of serial then of parallel calls
 * (the parallel probe stops at the first call that makes it the slower) and uses the faster
 * per lane for the rest of the epoch; epochs lengthen while serial keeps winning, so a loaded
 * machine pays for few probes.
 */
#include <omp.h>

#include "hier/hier_internal.h"

#define PAR_MIN 4096
#define PAR_MAX_THREADS 64

static int par_threads(strata_ctx *ctx, int64_t lanes) {
  int t = strata_ctx_threads(ctx);
  if (t > PAR_MAX_THREADS) t = PAR_MAX_THREADS;
  if (lanes < PAR_MIN || t < 2) return 1;
  return t;
}

#define TUNE_PROBE 8
#define TUNE_EPOCH_MIN 1024
#define TUNE_EPOCH_MAX 262144

void hier_par_tuner_init(hier_par_tuner *tu) {
  tu->call = 0;
  tu->epoch = TUNE_EPOCH_MIN;
  tu->sec[0] = tu->sec[1] = 0;
  tu->lanes[0] = tu->lanes[1] = 0;
  tu->parallel = 0;
}

static int tuner_probing(const hier_par_tuner *tu) { return tu->call < 2 * TUNE_PROBE; }

/* 1 to run this call over the threads: the first probe calls of an epoch are serial, the
 * next parallel, the rest follow the faster per lane. */
static int tuner_pick(const hier_par_tuner *tu) {
  if (tu->call < TUNE_PROBE) return 0;
  if (tu->call < 2 * TUNE_PROBE) return 1;
  return tu->parallel;
}

static void tuner_decide(hier_par_tuner *tu) {
  tu->parallel = tu->sec[1] * tu->lanes[0] < tu->sec[0] * tu->lanes[1];
  tu->epoch = tu->parallel ? TUNE_EPOCH_MIN
                           : (tu->epoch * 4 < TUNE_EPOCH_MAX ? tu->epoch * 4 : TUNE_EPOCH_MAX);
  tu->call = 2 * TUNE_PROBE;
}

static void tuner_done(hier_par_tuner *tu, int par, double sec, int64_t lanes) {
  if (tuner_probing(tu)) {
    tu->sec[par] += sec;
    tu->lanes[par] += (double)lanes;
    /* A parallel probe already slower than serial has met a descheduled thread: stop
     * probing at once rather than wait out more scheduler slices. */
    if (par && tu->sec[1] * tu->lanes[0] > tu->sec[0] * tu->lanes[1]) {
      tuner_decide(tu);
      return;
    }
  }
  if (++tu->call == 2 * TUNE_PROBE) tuner_decide(tu);
  if (tu->call >= tu->epoch) {
    tu->call = 0;
    tu->sec[0] = tu->sec[1] = 0;
    tu->lanes[0] = tu->lanes[1] = 0;
  }
}

/* Panels [*p0, *p1) of thread `i` of `t` over np panels. */
static void chunk(int64_t np, int t, int i, int64_t *p0, int64_t *p1) {
  *p0 = np * i / t;
  *p1 = np * (i + 1) / t;
}

static double combine(int t, const double *best, const int64_t *arg, int64_t *out) {
  double b = best[0];
  int64_t a = arg[0];
  for (int i = 1; i < t; i++)
    if (best[i] < b) {
      b = best[i];
      a = arg[i];
    }
  *out = a;
  return b;
}

double hier_par_prim(strata_ctx *ctx, hier_par_tuner *tu, const strata_hier_kernels *kt, int64_t d,
                     const double *x, const double *packed, int64_t np, double *key, int64_t *arg) {
  int t = par_threads(ctx, np * STRATA_H_W);
  if (t == 1) return kt->prim_update(d, x, packed, 0, np, key, arg);
  const int par = tuner_pick(tu), probing = tuner_probing(tu);
  const double t0 = probing ? strata_now() : 0;
  double b;
  if (!par) {
    b = kt->prim_update(d, x, packed, 0, np, key, arg);
  } else {
    double best[PAR_MAX_THREADS];
    int64_t args[PAR_MAX_THREADS];
#pragma omp parallel num_threads(t) default(none) shared(kt, d, x, packed, np, key, best, args, t)
    {
      const int i = omp_get_thread_num();
      int64_t p0, p1;
      chunk(np, t, i, &p0, &p1);
      best[i] = p1 > p0 ? kt->prim_update(d, x, packed, p0, p1, key, &args[i]) : HUGE_VAL;
      if (p1 <= p0) args[i] = 0;
    }
    b = combine(t, best, args, arg);
  }
  tuner_done(tu, par, probing ? strata_now() - t0 : 0, np * STRATA_H_W);
  return b;
}

double hier_par_ward_row(strata_ctx *ctx, hier_par_tuner *tu, const strata_hier_kernels *kt,
                         int64_t d, const double *c, const double *packed, int64_t np,
                         const double *size, double m, int64_t self, double *row, int64_t *arg) {
  int t = par_threads(ctx, np * STRATA_H_W);
  const int par = t > 1 && tuner_pick(tu), probing = t > 1 && tuner_probing(tu);
  const double t0 = probing ? strata_now() : 0;
  if (!par) t = 1;
  double best[PAR_MAX_THREADS];
  int64_t args[PAR_MAX_THREADS];
#pragma omp parallel num_threads(t) default(none) \
    shared(kt, d, c, packed, np, size, m, self, row, best, args, t) if (t > 1)
  {
    const int i = omp_get_thread_num();
    int64_t p0, p1;
    chunk(np, t, i, &p0, &p1);
    best[i] = HUGE_VAL;
    args[i] = 0;
    if (p1 > p0) {
      best[i] = kt->ward_scan(d, c, packed, p0, p1, size, m, self, row, &args[i]);
    }
  }
  const double b = combine(t, best, args, arg);
  if (par_threads(ctx, np * STRATA_H_W) > 1)
    tuner_done(tu, par, probing ? strata_now() - t0 : 0, np * STRATA_H_W);
  return b;
}
