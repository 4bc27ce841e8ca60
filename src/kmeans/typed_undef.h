/* Ends one instantiation of the k-means templates; see typed.h. */
#undef T
#undef SFX
#undef KERN
#undef KM_PACK
#undef KM_PACKED_LEN
#undef KM_DTYPE
#undef KM_PANEL
#undef KM_EPS
#undef KM_SQRT
#undef KM_F32
#undef KM_F64
