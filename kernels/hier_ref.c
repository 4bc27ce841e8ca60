/*
 * hier_ref.c — scalar reference twins of the hierarchical-clustering kernels (hier_kernels.h),
 * compiled for baseline x86-64: the fallback and the oracle the SIMD variants must match bit
 * for bit. fma() is correctly rounded by definition (glibc picks the hardware instruction at
 * run time when there is one).
 */
#define HK(name) name##_ref
#include "hier_tmpl.h"
