/*
 * dispatch.c — picks the kernel table once per process.
 *
 * CPUID says what the CPU implements; XGETBV says whether the OS saves the YMM/ZMM and opmask
 * state on a context switch. Both are needed: a CPU with AVX-512 under an OS (or hypervisor)
 * that does not enable it in XCR0 faults on the first ZMM instruction. The answer is cached
 * with pthread_once so that hot loops never test CPU flags (BLIS and zstd do the same), and
 * STRATA_ISA=ref|avx2|avx512 can force a lesser table so CI runs every path on one machine.
 *
 * This file is compiled for baseline x86-64 (or any other target, where only `ref` exists).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define STRATA_X86 1
#endif

#define STRATA_K_TABLE(isa_enum, isa)                                                             \
  {                                                                                               \
    isa_enum, #isa, strata_k_sqdist_argmin_f32_##isa, strata_k_sqdist_argmin2_f32_##isa,          \
        strata_k_dot_argmin_f32_##isa, strata_k_dot_argmin2_f32_##isa,                            \
        strata_k_sqdist_f32_##isa, strata_k_sqdist_min_f32_##isa, strata_k_sqnorm_f32_##isa,      \
        strata_k_accumulate_f32_##isa, strata_k_gemm_argmin_f32_##isa,                            \
        strata_k_sqdist_label_f32_##isa,                                                          \
        strata_k_sqdist_argmin_f64_##isa, strata_k_sqdist_argmin2_f64_##isa,                      \
        strata_k_dot_argmin_f64_##isa, strata_k_dot_argmin2_f64_##isa,                            \
        strata_k_sqdist_f64_##isa, strata_k_sqdist_min_f64_##isa, strata_k_sqnorm_f64_##isa,      \
        strata_k_accumulate_f64_##isa, strata_k_gemm_argmin_f64_##isa,                            \
        strata_k_sqdist_label_f64_##isa, NULL, NULL, strata_k_mixed_argmin_f64_##isa,            \
        strata_k_mixed_argmin_rows_f64_##isa                                                      \
  }

static const strata_kernels kernel_tables[STRATA_ISA_COUNT] = {
    STRATA_K_TABLE(STRATA_ISA_REF, ref),
    STRATA_K_TABLE(STRATA_ISA_AVX2, avx2),
    STRATA_K_TABLE(STRATA_ISA_AVX512, avx512),
};

/* The avx512 table of CPUs with AVX512_BF16: the float direct-form argmin gets a bfloat16
 * screen (twice the multiply-adds per instruction), outputs unchanged bit for bit. */
static strata_kernels avx512_bf16_table;
static int bf16_ok = 0;

static const char *const isa_names[STRATA_ISA_COUNT] = {"ref", "avx2", "avx512"};

#ifdef STRATA_X86
static unsigned long long read_xcr0(void) {
  unsigned eax, edx;
  /* The xgetbv mnemonic without -mxsave: this file must stay baseline. */
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}

static strata_isa detect(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return STRATA_ISA_REF;
  const int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
  if (!osxsave || !avx || !fma) return STRATA_ISA_REF;
  const unsigned long long xcr0 = read_xcr0();
  if ((xcr0 & 0x6) != 0x6) return STRATA_ISA_REF; /* XMM and YMM state */
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return STRATA_ISA_REF;
  if (!((b >> 5) & 1)) return STRATA_ISA_REF; /* AVX2 */
  /* AVX-512 F, DQ, BW, VL, as the _avx512 files are compiled for, plus the opmask, upper
   * ZMM0-15 and ZMM16-31 state in XCR0. */
  const int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
  if (avx512 && (xcr0 & 0xe6) == 0xe6) {
    bf16_ok = __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 5) & 1);
    return STRATA_ISA_AVX512;
  }
  return STRATA_ISA_AVX2;
}
#else
static strata_isa detect(void) { return STRATA_ISA_REF; }
#endif

static pthread_once_t best_once = PTHREAD_ONCE_INIT;
static strata_isa best_isa = STRATA_ISA_REF;
static void init_best(void) {
  best_isa = detect();
  avx512_bf16_table = kernel_tables[STRATA_ISA_AVX512];
  if (bf16_ok) {
    avx512_bf16_table.sqdist_argmin_f32 = strata_k_sqdist_argmin_f32_avx512bf16;
    avx512_bf16_table.sqdist_argmin_lb_f32 = strata_k_sqdist_argmin_lb_f32_avx512bf16;
  }
}

int strata_isa_bf16(void) {
  pthread_once(&best_once, init_best);
  return bf16_ok;
}

/* The table of a supported isa: avx512 with the bfloat16 screen where the CPU has it. */
static const strata_kernels *table_of(strata_isa isa) {
  if (isa == STRATA_ISA_AVX512) return &avx512_bf16_table;
  return &kernel_tables[isa];
}

strata_isa strata_isa_best(void) {
  pthread_once(&best_once, init_best);
  return best_isa;
}

int strata_isa_supported(strata_isa isa) {
  return (int)isa >= 0 && (int)isa < STRATA_ISA_COUNT && isa <= strata_isa_best();
}

const char *strata_isa_name(strata_isa isa) {
  if ((int)isa < 0 || (int)isa >= STRATA_ISA_COUNT) return "unknown";
  return isa_names[isa];
}

int strata_isa_from_name(const char *name, strata_isa *out) {
  if (name == NULL) return 0;
  for (int i = 0; i < STRATA_ISA_COUNT; i++) {
    if (strcmp(name, isa_names[i]) == 0) {
      *out = (strata_isa)i;
      return 1;
    }
  }
  return 0;
}

strata_isa strata_isa_resolve(const char *request, strata_isa best) {
  strata_isa want;
  if (request == NULL || request[0] == '\0' || !strata_isa_from_name(request, &want)) return best;
  return want <= best ? want : best;
}

const strata_kernels *strata_kernels_for(strata_isa isa) {
  if (!strata_isa_supported(isa)) return NULL;
  return table_of(isa);
}

static pthread_once_t active_once = PTHREAD_ONCE_INIT;
static const strata_kernels *active_table = &kernel_tables[STRATA_ISA_REF];
static void init_active(void) {
  /* getenv once, before any thread of ours runs kernels: the table never changes after. */
  active_table = table_of(strata_isa_resolve(getenv("STRATA_ISA"), strata_isa_best()));
}

const strata_kernels *strata_kernels_get(void) {
  pthread_once(&active_once, init_active);
  return active_table;
}

const char *strata_kernels_isa_name(void) { return strata_kernels_get()->name; }
