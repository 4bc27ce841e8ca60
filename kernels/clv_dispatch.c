/*
 * clv_dispatch.c — the table of CLV scoring kernels, picked once per process with the policy
 * of kernels/dispatch.c (CPUID + XGETBV via strata_isa_best, STRATA_ISA forces a lesser set).
 */
#include <pthread.h>
#include <stdlib.h>

#include "clv_kernels.h"

static const strata_clv_kernels clv_tables[STRATA_ISA_COUNT] = {
    {STRATA_ISA_REF, "ref", strata_clv_bg_p_alive_ref},
    {STRATA_ISA_AVX2, "avx2", strata_clv_bg_p_alive_avx2},
    {STRATA_ISA_AVX512, "avx512", strata_clv_bg_p_alive_avx512},
};

const strata_clv_kernels *strata_clv_kernels_for(strata_isa isa) {
  if (!strata_isa_supported(isa)) return NULL;
  return &clv_tables[isa];
}

static pthread_once_t clv_once = PTHREAD_ONCE_INIT;
static const strata_clv_kernels *clv_active = &clv_tables[STRATA_ISA_REF];
static void clv_init(void) {
  clv_active = &clv_tables[strata_isa_resolve(getenv("STRATA_ISA"), strata_isa_best())];
}

const strata_clv_kernels *strata_clv_kernels_get(void) {
  pthread_once(&clv_once, clv_init);
  return clv_active;
}
