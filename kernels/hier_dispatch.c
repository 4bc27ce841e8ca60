/*
 * hier_dispatch.c — the table of hierarchical-clustering kernels, picked once per process with
 * the same policy as kernels/dispatch.c (CPUID + XGETBV via strata_isa_best, STRATA_ISA to
 * force a lesser set), kept apart from the k-means table so each module owns its kernels.
 */
#include <pthread.h>
#include <stdlib.h>

#include "hier_kernels.h"

#define STRATA_H_TABLE(isa_enum, isa)                                                             \
  {                                                                                               \
    isa_enum, #isa, strata_h_sqdist_row_##isa, strata_h_prim_update_##isa, strata_h_argmin_##isa, \
        strata_h_ward_argmin_##isa, strata_h_merge_row_##isa, strata_h_sqrt_row_##isa,            \
        strata_h_ward_scan_##isa                                                                  \
  }

static const strata_hier_kernels hier_tables[STRATA_ISA_COUNT] = {
    STRATA_H_TABLE(STRATA_ISA_REF, ref),
    STRATA_H_TABLE(STRATA_ISA_AVX2, avx2),
    STRATA_H_TABLE(STRATA_ISA_AVX512, avx512),
};

const strata_hier_kernels *strata_hier_kernels_for(strata_isa isa) {
  if (!strata_isa_supported(isa)) return NULL;
  return &hier_tables[isa];
}

static pthread_once_t hier_once = PTHREAD_ONCE_INIT;
static const strata_hier_kernels *hier_active = &hier_tables[STRATA_ISA_REF];
static void hier_init(void) {
  hier_active = &hier_tables[strata_isa_resolve(getenv("STRATA_ISA"), strata_isa_best())];
}

const strata_hier_kernels *strata_hier_kernels_get(void) {
  pthread_once(&hier_once, hier_init);
  return hier_active;
}
