/*
 * clv_tmpl.h — body of the vector CLV kernels, instantiated by clv_avx2.c and clv_avx512.c
 * with CV_* macros for one vector width. Lane-wise the operations and their order are those
 * of clv_ref.c (a multiply then an add, never fused: the files are compiled in ISO C mode,
 * where contraction is off, and the intrinsics here are explicit), so the results are
 * bit-identical to the reference.
 */
#include <sleef.h>
#include <string.h>

#include "clv_kernels.h"

static inline CV_VEC CV(bg_p_alive_vec)(const strata_clv_bg_consts *c, CV_VEC x, CV_VEC t_x,
                                        CV_VEC T) {
  const CV_VEC one = CV_SET1(1.0);
  CV_VEC lead = CV_LOG(CV_DIV(CV_SET1(c->a), CV_SUB(CV_ADD(CV_SET1(c->bb), x), one)));
  CV_VEC gap = CV_LOG1P(CV_DIV(CV_SUB(T, t_x), CV_ADD(CV_SET1(c->alpha), t_x)));
  CV_VEC odds = CV_ADD(lead, CV_MUL(CV_ADD(CV_SET1(c->r), x), gap));
  CV_VEC p = CV_DIV(one, CV_ADD(one, CV_EXP(odds)));
  if (!c->modified) p = CV_BLEND_IF_ZERO(x, p, one);
  return p;
}

void CV(strata_clv_bg_p_alive)(const strata_clv_bg_consts *c, const double *x, const double *t_x,
                               const double *T, int64_t n, double *out) {
  int64_t i = 0;
  for (; i + CV_W <= n; i += CV_W)
    CV_STORE(out + i, CV(bg_p_alive_vec)(c, CV_LOAD(x + i), CV_LOAD(t_x + i), CV_LOAD(T + i)));
  if (i < n) {
    /* The tail through a padded copy; the padding lanes hold a valid customer. */
    double bx[CV_W], btx[CV_W], bT[CV_W], bo[CV_W];
    int64_t rest = n - i;
    for (int w = 0; w < CV_W; w++) {
      bx[w] = w < rest ? x[i + w] : 1.0;
      btx[w] = w < rest ? t_x[i + w] : 0.0;
      bT[w] = w < rest ? T[i + w] : 1.0;
    }
    CV_STORE(bo, CV(bg_p_alive_vec)(c, CV_LOAD(bx), CV_LOAD(btx), CV_LOAD(bT)));
    memcpy(out + i, bo, (size_t)rest * sizeof *bo);
  }
}
