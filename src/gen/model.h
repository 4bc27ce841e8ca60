/*
 * The distributions of one `strata gen` run: the first K prototypes of a profile, weights
 * renormalised, every per-segment parameter moved along the separation path (strata.h), and
 * the constants that make an account's log-density under each segment a few multiply-adds.
 * The model is built once and then only read, concurrently, by the generating threads.
 */
#ifndef STRATA_GEN_MODEL_H
#define STRATA_GEN_MODEL_H

#include "core/core.h"
#include "core/rng.h"
#include "gen/profiles.h"

typedef struct gen_model {
  const gen_profile *profile;
  int K, d;
  int shared; /* one BG/NBD + Gamma-Gamma population for every segment */
  double weight[STRATA_GEN_MAX_SEGMENTS], log_weight[STRATA_GEN_MAX_SEGMENTS];
  double behaviour[STRATA_GEN_MAX_SEGMENTS][STRATA_GEN_BEHAVIOUR];
  /* Numeric columns: the segment's mean (log-normal: median) after separation. */
  double centre[STRATA_GEN_MAX_SEGMENTS][STRATA_GEN_MAX_COLUMNS];
  /* Categorical and band columns: level probabilities after separation. */
  double prob[STRATA_GEN_MAX_SEGMENTS][STRATA_GEN_MAX_COLUMNS][STRATA_GEN_MAX_LEVELS];
  double log_prob[STRATA_GEN_MAX_SEGMENTS][STRATA_GEN_MAX_COLUMNS][STRATA_GEN_MAX_LEVELS];
  /* Per-column constants of the draws and of the log-densities (see model.c). */
  double c0[STRATA_GEN_MAX_SEGMENTS][STRATA_GEN_MAX_COLUMNS];
  double c1[STRATA_GEN_MAX_SEGMENTS][STRATA_GEN_MAX_COLUMNS];
  double c2[STRATA_GEN_MAX_SEGMENTS][STRATA_GEN_MAX_COLUMNS];
} gen_model;

/* Builds the model of `p` (already checked by the caller for ranges it can name as flags);
 * fails with STRATA_ERR_USAGE when the separation drives a parameter out of its domain. */
strata_status gen_model_build(strata_ctx *ctx, const strata_gen_params *p, gen_model *m);

/* Draws an account's latent segment. */
int gen_model_draw_segment(const gen_model *m, strata_rng *g);

/* Draws the d features of an account of segment k into x (categorical: level codes). */
void gen_model_draw_features(const gen_model *m, int k, strata_rng *g, double *x);

/* The most probable segment of an account given its features x alone: argmax over k of
 * log weight_k + log f_k(x); ties go to the lower k. */
int gen_model_most_probable(const gen_model *m, const double *x);

/* Population mean of numeric column j in segment k (NaN for categorical columns). */
double gen_model_column_mean(const gen_model *m, int k, int j);

/* 1 if column j holds level codes. */
static inline int gen_column_is_categorical(const gen_column *c) {
  return c->kind == GEN_CATEGORICAL || c->kind == GEN_BAND;
}

#endif
