/* /accounts column layout and /truth per-segment parameters of `strata gen` (truth.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gen/truth.h"

/* Comma-separated names of the columns `want` selects (1 = categorical, 0 = numeric, -1 =
 * all), for the attributes that tell readers which columns are what. */
static void column_list(const gen_model *m, int want, char *buf, size_t len) {
  buf[0] = '\0';
  size_t used = 0;
  for (int j = 0; j < m->d; j++) {
    const gen_column *c = &m->column[j];
    if (want >= 0 && gen_column_is_categorical(c) != want) continue;
    int wrote = snprintf(buf + used, len - used, "%s%s", used ? "," : "", c->name);
    if (wrote < 0 || (size_t)wrote >= len - used) break;
    used += (size_t)wrote;
  }
}

strata_status gen_truth_write_columns(strata_ctx *ctx, strata_h5_writer *w, const gen_model *m) {
  strata_status st = STRATA_OK;
  const char *names[GEN_MODEL_MAX_COLUMNS];
  for (int j = 0; j < m->d; j++) names[j] = m->column[j].name;
  STRATA_TRY(strata_h5_write_strings(ctx, w, "/accounts/feature_names", m->d, names));
  /* Level codes are nominal: consumers must not treat 0..L-1 as distances. */
  char list[2048];
  column_list(m, 1, list, sizeof list);
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/accounts/features", "categorical", list));
  for (int j = 0; j < m->d; j++) {
    const gen_column *c = &m->column[j];
    if (!gen_column_is_categorical(c)) continue;
    char path[128];
    snprintf(path, sizeof path, "/accounts/levels/%s", c->name);
    STRATA_TRY(strata_h5_write_strings(ctx, w, path, c->levels, c->level_names));
  }
cleanup:
  return st;
}

strata_status gen_truth_write_segments(strata_ctx *ctx, strata_h5_writer *w,
                                       const strata_gen_params *p, const gen_model *m,
                                       int64_t transactions, double bayes_accuracy) {
  strata_status st = STRATA_OK;
  const int K = m->K, d = m->d;
  const gen_profile *pr = m->profile;
  char list[2048];

  int64_t kdims[2] = {K, STRATA_GEN_BEHAVIOUR};
  STRATA_TRY(strata_h5_write(ctx, w, "/truth/segment_weights", STRATA_F64, 1, kdims, m->weight));
  const char *labels[STRATA_GEN_MAX_SEGMENTS];
  for (int k = 0; k < K; k++) labels[k] = pr->prototype[k].label;
  STRATA_TRY(strata_h5_write_strings(ctx, w, "/truth/segment_labels", K, labels));

  double behaviour[STRATA_GEN_MAX_SEGMENTS * STRATA_GEN_BEHAVIOUR];
  for (int k = 0; k < K; k++)
    memcpy(behaviour + k * STRATA_GEN_BEHAVIOUR, m->behaviour[k], sizeof m->behaviour[k]);
  STRATA_TRY(strata_h5_write(ctx, w, "/truth/segment_behaviour", STRATA_F64, 2, kdims, behaviour));
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/truth/segment_behaviour", "columns",
                                         "r,alpha,a,b,p,q,gamma"));

  /* Aligned with /accounts/feature_names; categorical columns hold NaN (their truth is in
   * /truth/levels). */
  double means[STRATA_GEN_MAX_SEGMENTS * GEN_MODEL_MAX_COLUMNS];
  for (int k = 0; k < K; k++)
    for (int j = 0; j < d; j++) means[k * d + j] = gen_model_column_mean(m, k, j);
  int64_t mdims[2] = {K, d};
  STRATA_TRY(strata_h5_write(ctx, w, "/truth/segment_feature_means", STRATA_F64, 2, mdims, means));
  column_list(m, -1, list, sizeof list);
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/truth/segment_feature_means", "columns", list));
  /* The distributions' own parameters, so that a reader can evaluate every density (an
   * independent check of bayes_segment): family and shape per column, location per segment. */
  static const char *const family[] = {
      "gamma", "beta", "negative_binomial", "rounded_lognormal", "categorical", "band"};
  char families[1024] = "";
  double shapes[GEN_MODEL_MAX_COLUMNS];
  for (int j = 0; j < d; j++) {
    const gen_column *c = &m->column[j];
    size_t used = strlen(families);
    snprintf(families + used, sizeof families - used, "%s%s", j ? "," : "", family[c->kind]);
    shapes[j] = gen_column_is_categorical(c) ? NAN : c->shape;
    for (int k = 0; k < K; k++)
      means[k * d + j] = gen_column_is_categorical(c) ? NAN : m->centre[k][j];
  }
  STRATA_TRY(
      strata_h5_write(ctx, w, "/truth/segment_feature_centres", STRATA_F64, 2, mdims, means));
  STRATA_TRY(
      strata_h5_write_attr_string(ctx, w, "/truth/segment_feature_centres", "columns", list));
  STRATA_TRY(
      strata_h5_write_attr_string(ctx, w, "/truth/segment_feature_centres", "families", families));
  STRATA_TRY(
      strata_h5_write_attr_double(ctx, w, "/truth/segment_feature_centres", "shapes", shapes, d));
  for (int j = 0; j < d; j++) {
    const gen_column *c = &m->column[j];
    if (!gen_column_is_categorical(c)) continue;
    double probs[STRATA_GEN_MAX_SEGMENTS * STRATA_GEN_MAX_LEVELS];
    for (int k = 0; k < K; k++)
      for (int l = 0; l < c->levels; l++) probs[k * c->levels + l] = m->prob[k][j][l];
    int64_t ldims[2] = {K, c->levels};
    char path[128];
    snprintf(path, sizeof path, "/truth/levels/%s", c->name);
    STRATA_TRY(strata_h5_write(ctx, w, path, STRATA_F64, 2, ldims, probs));
  }

  /* The single-population parameters are the truth only when every segment shares them. */
  if (m->shared) {
    const double scalars[STRATA_GEN_BEHAVIOUR] = {p->r,       p->alpha, p->a,    p->b,
                                                  p->p_spend, p->q,     p->gamma};
    for (int j = 0; j < STRATA_GEN_BEHAVIOUR; j++)
      STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/truth", strata_gen_behaviour_names[j],
                                             &scalars[j], 1));
  }
  int64_t ints[] = {(int64_t)p->seed, p->customers,   transactions,  K,
                    p->start_day,     p->cohort_days, p->window_days};
  const char *int_names[] = {"seed",      "customers",   "transactions", "segments",
                             "start_day", "cohort_days", "window_days"};
  /* Recorded only when asked for, so that a base without extras keeps its bytes. */
  if (p->extra_numeric > 0 || p->extra_categorical > 0) {
    int64_t extra[2] = {p->extra_numeric, p->extra_categorical};
    STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/truth", "extra_numeric", &extra[0], 1));
    STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/truth", "extra_categorical", &extra[1], 1));
  }
  for (size_t j = 0; j < sizeof ints / sizeof ints[0]; j++)
    STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/truth", int_names[j], &ints[j], 1));
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/truth", "segment_weights", m->weight, K));
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/truth", "separation", &p->separation, 1));
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/truth", "bayes_accuracy", &bayes_accuracy, 1));
  double top = 0.0;
  for (int k = 0; k < K; k++)
    if (m->weight[k] > top) top = m->weight[k];
  /* What guessing the largest segment for everyone scores: bayes_accuracy's floor. */
  STRATA_TRY(strata_h5_write_attr_double(ctx, w, "/truth", "largest_weight", &top, 1));
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/truth", "profile", pr->name));
  STRATA_TRY(
      strata_h5_write_attr_string(ctx, w, "/truth", "behaviour", m->shared ? "shared" : "segment"));
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/truth", "time_unit", "day"));
  STRATA_TRY(strata_h5_write_attr_string(
      ctx, w, "/truth", "model",
      m->shared ? "BG/NBD purchases (lambda ~ Gamma(r, rate alpha) per day, dropout ~ Beta(a, "
                  "b)) and Gamma-Gamma spend (amount ~ Gamma(p, rate nu), nu ~ Gamma(q, rate "
                  "gamma)), one population (attributes r..gamma); features from a mixture of "
                  "latent segments"
                : "a mixture of latent segments, each with its own BG/NBD purchases (lambda ~ "
                  "Gamma(r, rate alpha) per day, dropout ~ Beta(a, b)), Gamma-Gamma spend "
                  "(amount ~ Gamma(p, rate nu), nu ~ Gamma(q, rate gamma)) and feature "
                  "distributions (/truth/segment_behaviour, /truth/segment_feature_means, "
                  "/truth/levels)"));
cleanup:
  return st;
}
