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
  const double *days_since;   /* days from the last purchase to the as-of date (NULL: none) */
  const double *revenue;      /* total spent (NULL: none) */
  const double *transactions; /* transaction rows (NULL: none) */
  const double *has_log;      /* 1 for an account found in the transaction log (NULL: all) */
} strata_value_columns;

/* Nominal columns of a profile: level codes per account (n x dc, row stride ld), levels per
 * column and their readable names. */
typedef struct strata_nominal_columns {
  int64_t dc, ld;
  const int32_t *codes;
  const int64_t *levels;            /* dc */
  const char *const *names;         /* dc column names */
  const char *const *const *level_names; /* dc arrays of levels[j] names */
} strata_nominal_columns;

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
  /* With value columns: share of accounts without a repeat purchase (one-time buyers) and of
   * accounts without any purchase in the log; mean days since the last purchase and total
   * revenue, per segment and over the base. */
  double *one_time_share, *no_purchase_share, *days_since_mean, *revenue_mean; /* k */
  double base_one_time_share, base_no_purchase_share, base_days_since_mean, base_revenue_mean;
  /* Spend per purchase: total revenue over total transactions (first purchases included). */
  double *spend_per_purchase, base_spend_per_purchase;
  /* Nominal columns (dc of them, 0 when none): level shares per segment and over the base,
   * and the lift of each (segment share / base share). share[j] is k x levels[j]. */
  int64_t dc;
  char **nominal_names;    /* dc */
  int64_t *levels;         /* dc */
  char ***level_names;     /* dc arrays of levels[j] */
  double **level_share;    /* dc arrays of k x levels[j] */
  double **level_base;     /* dc arrays of levels[j] */
  double **level_lift;     /* dc arrays of k x levels[j] (0 where the base share is 0) */
  char **names; /* k readable names, filled by strata_profile_name */
} strata_profile;

/* Profiles the k segments of n accounts: x is n x d (any float type, original units), labels
 * in [0, k). `values` may be NULL. Medians and quantiles are exact (selection, O(n) per
 * segment and column). */
strata_status strata_profile_build(strata_ctx *ctx, const strata_matrix *x,
                                   const char *const *feature_names, const int32_t *labels,
                                   int64_t k, const strata_value_columns *values,
                                   strata_profile **out);
/* Adds the level shares and lifts of nominal columns to a profile built from the same labels.
 * O(n dc + k sum(levels)). */
strata_status strata_profile_add_nominal(strata_ctx *ctx, strata_profile *p, const int32_t *labels,
                                         const strata_nominal_columns *nominal);
void strata_profile_free(strata_profile *p);

/* Gives every segment a readable name derived from its profile alone, deterministic and
 * distinct, by the rules of naming.c (listed in the README): value, activity and age words
 * when value columns exist ("High-value loyal", "At-risk low spenders", "One-time buyers"),
 * then the descriptive features that set the segment apart ("retail industry, high
 * employees"); clashing names are told apart by the feature that orders them, or numbered
 * when nothing does. Never refers to a particular data set. */
strata_status strata_profile_name(strata_ctx *ctx, strata_profile *p);

#endif
