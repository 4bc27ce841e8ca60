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

/* The profile's columns, then --extra-numeric Gamma columns, then --extra-categorical ones. */
#define GEN_MODEL_MAX_COLUMNS \
  (STRATA_GEN_MAX_COLUMNS + STRATA_GEN_MAX_EXTRA_NUMERIC + STRATA_GEN_MAX_EXTRA_CATEGORICAL)
#define GEN_EXTRA_LEVELS 6
#define GEN_EXTRA_SHAPE 4.0 /* Gamma shape of the extra numeric columns (CV 0.5) */

/* The stream whose draws fix the extra columns' per-segment tables (generate.c owns 1-5). */
enum { GEN_STREAM_EXTRA_TABLE = 6 };

typedef struct gen_model {
  const gen_profile *profile;
  int K, d;
  int base_d; /* the profile's own columns: 0 .. base_d - 1 of column[] */
  gen_column column[GEN_MODEL_MAX_COLUMNS];
  char extra_name[STRATA_GEN_MAX_EXTRA_NUMERIC + STRATA_GEN_MAX_EXTRA_CATEGORICAL][24];
  /* Prototype tables before separation: the profile's, or derived from the seed (extras). */
  double proto_centre[STRATA_GEN_MAX_SEGMENTS][GEN_MODEL_MAX_COLUMNS];
  double proto_level[STRATA_GEN_MAX_SEGMENTS][GEN_MODEL_MAX_COLUMNS][STRATA_GEN_MAX_LEVELS];
  int shared; /* one BG/NBD + Gamma-Gamma population for every segment */
  double weight[STRATA_GEN_MAX_SEGMENTS], log_weight[STRATA_GEN_MAX_SEGMENTS];
  double behaviour[STRATA_GEN_MAX_SEGMENTS][STRATA_GEN_BEHAVIOUR];
  /* Numeric columns: the segment's mean (log-normal: median) after separation. */
  double centre[STRATA_GEN_MAX_SEGMENTS][GEN_MODEL_MAX_COLUMNS];
  /* Categorical and band columns: level probabilities after separation. */
  double prob[STRATA_GEN_MAX_SEGMENTS][GEN_MODEL_MAX_COLUMNS][STRATA_GEN_MAX_LEVELS];
  double log_prob[STRATA_GEN_MAX_SEGMENTS][GEN_MODEL_MAX_COLUMNS][STRATA_GEN_MAX_LEVELS];
  /* Per-column constants of the draws and of the log-densities (see model.c). */
  double c0[STRATA_GEN_MAX_SEGMENTS][GEN_MODEL_MAX_COLUMNS];
  double c1[STRATA_GEN_MAX_SEGMENTS][GEN_MODEL_MAX_COLUMNS];
  double c2[STRATA_GEN_MAX_SEGMENTS][GEN_MODEL_MAX_COLUMNS];
} gen_model;

/* Builds the model of `p` (already checked by the caller for ranges it can name as flags);
 * fails with STRATA_ERR_USAGE when the separation drives a parameter out of its domain. */
strata_status gen_model_build(strata_ctx *ctx, const strata_gen_params *p, gen_model *m);

/* Draws an account's latent segment. */
int gen_model_draw_segment(const gen_model *m, strata_rng *g);

/* Draws the profile's base_d features of an account of segment k into x (categorical: level
 * codes). */
void gen_model_draw_features(const gen_model *m, int k, strata_rng *g, double *x);

/* Draws the extra columns base_d .. d - 1 into x; g is their own stream, so that the profile's
 * columns keep their draws whatever the extras. */
void gen_model_draw_extra(const gen_model *m, int k, strata_rng *g, double *x);

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
