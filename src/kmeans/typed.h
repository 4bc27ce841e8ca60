/*
 * Type parameters for the *_tmpl.h templates of the k-means engine. Define KM_F32 or KM_F64,
 * include this, then the template; include "typed_undef.h" before the next instantiation.
 */
#if defined(KM_F32)
#define T float
#define SFX(name) name##_f32
#define KERN(name) name##_f32
#define KM_PACK strata_k_pack_centers_f32
#define KM_PACKED_LEN strata_k_packed_len_f32
#define KM_DTYPE STRATA_F32
#define KM_PANEL STRATA_K_PANEL_F32
#define KM_EPS 0x1.0p-24
#define KM_SQRT sqrtf
#elif defined(KM_F64)
#define T double
#define SFX(name) name##_f64
#define KERN(name) name##_f64
#define KM_PACK strata_k_pack_centers_f64
#define KM_PACKED_LEN strata_k_packed_len_f64
#define KM_DTYPE STRATA_F64
#define KM_PANEL STRATA_K_PANEL_F64
#define KM_EPS 0x1.0p-53
#define KM_SQRT sqrt
#else
#error "define KM_F32 or KM_F64 before including typed.h"
#endif
