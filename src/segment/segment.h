/*
 * The segmentation pipeline's internal API (src/segment/): profiles of segments, their
 * readable names, and the HTML report. The driver (pipeline.c) strings these together with
 * the CLV engine, k-means and the hierarchical engine.
 */
#ifndef STRATA_SEGMENT_H
#define STRATA_SEGMENT_H

#include <stdint.h>

#include "strata.h"

/* Optional value columns of a profile, one entry per account (NULL when absent). */
typedef struct strata_value_columns {
  const double *clv;       /* discounted CLV */
  const double *p_alive;   /* P(alive) */
  const double *frequency; /* repeat purchases (x) */
  const double *recency;   /* time of the last purchase since the first (t_x) */
  const double *age;       /* time since the first purchase (T) */
  const double *monetary;  /* mean spend per repeat purchase */
} strata_value_columns;

#define STRATA_PROFILE_TOP 3       /* distinguishing features kept per segment */
#define STRATA_PROFILE_QUANTILES 5 /* P(alive) at 10, 25, 50, 75, 90 % */

/* Per-segment profile, all arrays owned by the structure (strata_profile_free). Feature
 * statistics are in the features' original units; z = (segment mean - base mean) / base sd. */
typedef struct strata_profile {
  int64_t n, k, d;
  char **feature_names;        /* d names */
  double *count, *share;       /* k */
  double *mean, *median, *z;   /* k x d */
  double *base_mean, *base_sd; /* d */
  int64_t *top;                /* k x STRATA_PROFILE_TOP feature indices by |z|, largest first */
  int has_value;               /* the value columns below were given */
  double *clv_total, *clv_mean, *clv_share; /* k */
  double *p_alive_mean;                     /* k */
  double *p_alive_q;                        /* k x STRATA_PROFILE_QUANTILES */
  double *frequency_mean, *recency_mean, *age_mean, *monetary_mean; /* k */
  double base_clv_mean, base_p_alive_mean, base_frequency_mean, base_age_mean, base_monetary_mean;
  char **names; /* k readable names, filled by strata_profile_name */
} strata_profile;

/* Profiles the k segments of n accounts: x is n x d (any float type, original units), labels
 * in [0, k). `values` may be NULL. Medians and quantiles are exact (selection, O(n) per
 * segment and column). */
strata_status strata_profile_build(strata_ctx *ctx, const strata_matrix *x,
                                   const char *const *feature_names, const int32_t *labels,
                                   int64_t k, const strata_value_columns *values,
                                   strata_profile **out);
void strata_profile_free(strata_profile *p);

/* Gives every segment a readable name derived from its profile alone, deterministic and
 * distinct: value, activity and age words when value columns exist ("High-value loyal",
 * "At-risk big spenders", "New low spenders", "Dormant"), otherwise the features that set
 * the segment apart ("High employees, low discount_share"). Ties in wording are broken by the
 * next distinguishing feature. Never refers to a particular data set. */
strata_status strata_profile_name(strata_ctx *ctx, strata_profile *p);

#endif
