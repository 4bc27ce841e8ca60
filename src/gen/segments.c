/* The segment prototypes; see segments.h and datasets/customer_base.md. */
#include <math.h>

#include "gen/segments.h"

const char *const strata_gen_feature_names[STRATA_GEN_FEATURES] = {
    "tenure_months", "employees", "region", "support_tickets", "discount_share", "web_sessions"};

const strata_segment_prototype strata_gen_segments[STRATA_GEN_MAX_SEGMENTS] = {
    {"small established", 0.24, 24.0, 12.0, 1.0, 0.10, 6.0, 0},
    {"micro newcomers", 0.20, 5.0, 2.0, 0.3, 0.05, 2.0, 1},
    {"mid-market", 0.16, 48.0, 150.0, 4.0, 0.20, 20.0, 2},
    {"discount hunters", 0.13, 14.0, 25.0, 2.0, 0.55, 12.0, 3},
    {"enterprise", 0.09, 90.0, 2500.0, 12.0, 0.25, 45.0, 4},
    {"support heavy", 0.08, 36.0, 60.0, 20.0, 0.15, 8.0, 5},
    {"dormant legacy", 0.06, 120.0, 8.0, 0.2, 0.08, 0.8, 0},
    {"fast-growing", 0.04, 9.0, 400.0, 6.0, 0.30, 60.0, 2},
};

void strata_gen_segment_means(int k, double means[STRATA_GEN_FEATURES]) {
  const strata_segment_prototype *s = &strata_gen_segments[k];
  means[0] = s->tenure_months;
  means[1] =
      s->employees_median * exp(0.5 * STRATA_GEN_EMPLOYEES_LOGSD * STRATA_GEN_EMPLOYEES_LOGSD);
  double other = (1.0 - STRATA_GEN_HOME_REGION_P) / (STRATA_GEN_REGIONS - 1);
  double region_mean = 0.0;
  for (int j = 0; j < STRATA_GEN_REGIONS; j++)
    region_mean += j * (j == s->home_region ? STRATA_GEN_HOME_REGION_P : other);
  means[2] = region_mean;
  means[3] = s->tickets_rate;
  means[4] = s->discount_mean;
  means[5] = s->sessions_mean;
}
