/*
 * Counter-based random numbers: Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011). Every draw is a pure function of (seed, stream,
 * index, draw number), so an item's numbers do not depend on which thread handles it or in
 * what order: generated data and samples are identical for any thread count.
 *
 * A strata_rng is a cheap cursor over the draws of one (seed, stream, index) triple; make one
 * per item on the stack. Cost: one Philox block (10 rounds of two 32x32->64 multiplies) per
 * four 32-bit outputs.
 */
#ifndef STRATA_RNG_H
#define STRATA_RNG_H

#include <stdint.h>

typedef struct strata_rng {
  uint32_t key[2];
  uint32_t ctr[4];
  uint32_t buf[4];
  int pos;       /* next unused word of buf; 4 = empty */
  int has_spare; /* Box-Muller gives normals in pairs */
  double spare;
} strata_rng;

static inline void strata_philox4x32_10(const uint32_t key_in[2], const uint32_t ctr_in[4],
                                        uint32_t out[4]) {
  uint32_t k0 = key_in[0], k1 = key_in[1];
  uint32_t c0 = ctr_in[0], c1 = ctr_in[1], c2 = ctr_in[2], c3 = ctr_in[3];
  for (int round = 0; round < 10; round++) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0;
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* Positions the cursor at the first draw of (seed, stream, index). */
static inline void strata_rng_init(strata_rng *g, uint64_t seed, uint32_t stream, uint64_t index) {
  g->key[0] = (uint32_t)seed;
  g->key[1] = (uint32_t)(seed >> 32);
  g->ctr[0] = (uint32_t)index;
  g->ctr[1] = (uint32_t)(index >> 32);
  g->ctr[2] = stream;
  g->ctr[3] = 0;
  g->pos = 4;
  g->has_spare = 0;
  g->spare = 0.0;
}

static inline uint32_t strata_rng_u32(strata_rng *g) {
  if (g->pos == 4) {
    strata_philox4x32_10(g->key, g->ctr, g->buf);
    g->ctr[3]++; /* 2^32 blocks per item: far beyond any item's needs */
    g->pos = 0;
  }
  return g->buf[g->pos++];
}

static inline uint64_t strata_rng_u64(strata_rng *g) {
  uint64_t hi = strata_rng_u32(g);
  return (hi << 32) | strata_rng_u32(g);
}

/* Uniform on the open interval (0, 1) with 53 random bits: never 0, so log() is safe. */
static inline double strata_rng_uniform(strata_rng *g) {
  return ((double)(strata_rng_u64(g) >> 11) + 0.5) * 0x1.0p-53;
}

/* Uniform integer in [0, n) without modulo bias (Lemire's multiply-shift with rejection). */
static inline uint64_t strata_rng_below(strata_rng *g, uint64_t n) {
  if (n <= 1) return 0;
  if (n <= UINT32_MAX) {
    uint32_t n32 = (uint32_t)n;
    uint64_t m = (uint64_t)strata_rng_u32(g) * n32;
    uint32_t low = (uint32_t)m;
    if (low < n32) {
      uint32_t threshold = (uint32_t)(-n32) % n32;
      while (low < threshold) {
        m = (uint64_t)strata_rng_u32(g) * n32;
        low = (uint32_t)m;
      }
    }
    return m >> 32;
  }
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = strata_rng_u64(g);
  while (x >= limit);
  return x % n;
}

/* One 64-bit hash of (seed, stream, index): for samples that need a single draw per item. */
static inline uint64_t strata_rng_hash(uint64_t seed, uint32_t stream, uint64_t index) {
  strata_rng g;
  strata_rng_init(&g, seed, stream, index);
  return strata_rng_u64(&g);
}

double strata_rng_normal(strata_rng *g);              /* N(0, 1) */
double strata_rng_exponential(strata_rng *g);         /* Exp(1) */
double strata_rng_gamma(strata_rng *g, double shape); /* Gamma(shape, scale 1), shape > 0 */
double strata_rng_beta(strata_rng *g, double a, double b);
int64_t strata_rng_poisson(strata_rng *g, double mean); /* mean >= 0 */
/* Index drawn from the discrete distribution `weights` (non-negative, n >= 1, any sum). */
int strata_rng_discrete(strata_rng *g, const double *weights, int n);

#endif
