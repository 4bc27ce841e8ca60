/*
 * The latent segments of the synthetic customer base: eight account prototypes a B2C/B2B
 * seller would recognise, from one-person micro accounts to large enterprises. `strata gen
 * --segments K` uses the first K with their weights renormalised. The table is the truth that
 * tests compare against; datasets/customer_base.md documents it for people.
 */
#ifndef STRATA_GEN_SEGMENTS_H
#define STRATA_GEN_SEGMENTS_H

#define STRATA_GEN_MAX_SEGMENTS 8
#define STRATA_GEN_FEATURES 6
#define STRATA_GEN_REGIONS 6

typedef struct strata_segment_prototype {
  const char *label;
  double weight;           /* share of accounts before renormalisation */
  double tenure_months;    /* Gamma, shape 4: mean */
  double employees_median; /* log-normal, log-sd 0.5: median */
  double tickets_rate;     /* Poisson: support tickets in the last year */
  double discount_mean;    /* Beta with concentration 20: mean discount share */
  double sessions_mean;    /* Gamma, shape 3: web sessions per month */
  int home_region;         /* region drawn with probability 0.5; the other five 0.1 each */
} strata_segment_prototype;

extern const strata_segment_prototype strata_gen_segments[STRATA_GEN_MAX_SEGMENTS];
extern const char *const strata_gen_feature_names[STRATA_GEN_FEATURES];

#define STRATA_GEN_TENURE_SHAPE 4.0
#define STRATA_GEN_EMPLOYEES_LOGSD 0.5
#define STRATA_GEN_DISCOUNT_CONCENTRATION 20.0
#define STRATA_GEN_SESSIONS_SHAPE 3.0
#define STRATA_GEN_HOME_REGION_P 0.5

/* Population mean of each feature in segment k (what the empirical means estimate). */
void strata_gen_segment_means(int k, double means[STRATA_GEN_FEATURES]);

#endif
