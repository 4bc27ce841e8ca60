/*
 * The customer bases `strata gen` can draw: a B2C and a B2B profile, each a list of columns
 * (numeric and categorical, with the distribution family of each) and up to eight segment
 * prototypes a marketer would recognise. A prototype fixes its segment's behaviour (BG/NBD
 * purchases, Gamma-Gamma spend) and the centre of every column's distribution. The tables
 * are data, documented for people in datasets/customer_base.md; model.h turns them into the
 * distributions of one run (first K prototypes, --separation).
 */
#ifndef STRATA_GEN_PROFILES_H
#define STRATA_GEN_PROFILES_H

#define STRATA_GEN_MAX_SEGMENTS 8
#define STRATA_GEN_MAX_COLUMNS 8
#define STRATA_GEN_MAX_LEVELS 10
#define STRATA_GEN_BEHAVIOUR 7 /* r, alpha (days), a, b, p, q, gamma */

typedef enum gen_column_kind {
  GEN_GAMMA,       /* continuous: Gamma with the column's shape and the segment's mean */
  GEN_BETA,        /* share in (0, 1): Beta with the column's concentration, segment's mean */
  GEN_NEGBIN,      /* count: Poisson(Gamma(shape) * mean / shape), the column's shape */
  GEN_LOGNORMAL,   /* whole number >= 1: round(median * exp(logsd Z)), column's log-sd */
  GEN_CATEGORICAL, /* level drawn with the segment's level weights */
  GEN_BAND         /* categorical derived from a GEN_LOGNORMAL column: its band */
} gen_column_kind;

typedef struct gen_column {
  const char *name;
  gen_column_kind kind;
  double shape; /* Gamma / negative-binomial shape, Beta concentration, log-normal log-sd */
  int levels;   /* categorical and band columns */
  const char *const *level_names;
  int source;            /* GEN_BAND: index of the column it bands */
  const double *band_lo; /* GEN_BAND: smallest value in each band, ascending */
} gen_column;

typedef struct gen_prototype {
  const char *label;
  double weight;                          /* share of the base before renormalisation */
  double behaviour[STRATA_GEN_BEHAVIOUR]; /* r, alpha (days), a, b, p, q, gamma */
  double centre[STRATA_GEN_MAX_COLUMNS];  /* numeric: mean (log-normal: median) */
  double level_weight[STRATA_GEN_MAX_COLUMNS][STRATA_GEN_MAX_LEVELS]; /* categorical, > 0 */
} gen_prototype;

typedef struct gen_profile {
  const char *name; /* "b2c", "b2b" */
  int columns;
  const gen_column *column;
  int prototypes;
  const gen_prototype *prototype;
} gen_profile;

/* The profile for STRATA_GEN_B2C or STRATA_GEN_B2B; NULL for anything else. */
const gen_profile *strata_gen_profile_get(int profile);

extern const char *const strata_gen_behaviour_names[STRATA_GEN_BEHAVIOUR];

#endif
