/*
 * Readable segment names derived from the profile alone. With CLV columns the name speaks
 * the language marketers use for RFM/CLV segments: value (mean CLV against the base), activity
 * (mean P(alive)), newness (age against the base), spend per purchase. Without them it names
 * the features that set the segment apart. The thresholds are ratios to the base, never
 * constants of a particular data set; duplicate names get the next distinguishing feature, then
 * a number, so that every name is distinct and the result deterministic.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/segment.h"

static double ratio(double a, double base) { return base > 0.0 ? a / base : 1.0; }

static void readable(const char *name, char *out, size_t len) {
  snprintf(out, len, "%s", name);
  for (char *c = out; *c; c++)
    if (*c == '_') *c = ' ';
}

/* "high employees" / "low discount share" for feature j of segment s. */
static void feature_phrase(const strata_profile *p, int64_t s, int64_t j, char *out, size_t len) {
  char name[96];
  readable(p->feature_names[j], name, sizeof name);
  double z = p->z[s * p->d + j];
  snprintf(out, len, "%s %.90s", z >= 0 ? "high" : "low", name);
}

static void value_name(const strata_profile *p, int64_t s, char *out, size_t len) {
  double value = ratio(p->clv_mean[s], p->base_clv_mean);
  double alive = p->p_alive_mean[s];
  double base_alive = p->base_p_alive_mean;
  double age = p->base_age_mean > 0 ? ratio(p->age_mean[s], p->base_age_mean) : 1.0;
  double spend =
      p->base_monetary_mean > 0 ? ratio(p->monetary_mean[s], p->base_monetary_mean) : 1.0;
  double freq =
      p->base_frequency_mean > 0 ? ratio(p->frequency_mean[s], p->base_frequency_mean) : 1.0;
  /* Activity is judged against the base as well as in absolute terms: a base where everyone
   * is likely alive still has its least active group. */
  int dormant = alive < 0.25 || alive < 0.5 * base_alive;
  int at_risk = !dormant && (alive < 0.5 || alive < 0.8 * base_alive);
  if (dormant) {
    snprintf(out, len, "%s", spend >= 1.25 || value >= 1.0 ? "At-risk big spenders" : "Dormant");
  } else if (at_risk) {
    snprintf(out, len, "%s", value >= 1.25 ? "At-risk high-value" : "Lapsing low spenders");
  } else if (age < 0.6) {
    snprintf(out, len, "New %s",
             value >= 1.25 || spend >= 1.25 ? "high spenders"
             : value <= 0.75                ? "low spenders"
                                            : "customers");
  } else if (value >= 1.5) {
    snprintf(out, len, "%s", freq >= 1.0 ? "High-value loyal" : "High-value occasional");
  } else if (value <= 0.6) {
    snprintf(out, len, "%s", freq >= 1.0 ? "Frequent low spenders" : "Low-value active");
  } else {
    snprintf(out, len, "%s", freq >= 1.2 ? "Loyal regulars" : "Mid-value regulars");
  }
}

static void feature_name(const strata_profile *p, int64_t s, char *out, size_t len) {
  int64_t a = p->top[s * STRATA_PROFILE_TOP], b = p->top[s * STRATA_PROFILE_TOP + 1];
  if (a < 0 || fabs(p->z[s * p->d + a]) < 0.5) {
    snprintf(out, len, "Typical accounts");
    return;
  }
  char first[128], second[128];
  feature_phrase(p, s, a, first, sizeof first);
  first[0] = (char)(first[0] - 'a' + 'A');
  if (b >= 0 && fabs(p->z[s * p->d + b]) >= 0.5) {
    feature_phrase(p, s, b, second, sizeof second);
    snprintf(out, len, "%.100s, %.100s", first, second);
  } else {
    snprintf(out, len, "%.100s", first);
  }
}

static int clashes(char (*names)[256], int64_t k, int64_t s) {
  for (int64_t t = 0; t < k; t++)
    if (t != s && strcmp(names[s], names[t]) == 0) return 1;
  return 0;
}

strata_status strata_profile_name(strata_ctx *ctx, strata_profile *p) {
  strata_status st = STRATA_OK;
  char(*base)[256] = NULL, (*names)[256] = NULL;
  STRATA_FAIL_IF(p == NULL, ctx, STRATA_ERR_USAGE, "strata_profile_name: profile is NULL");
  base = calloc((size_t)p->k, sizeof *base);
  names = calloc((size_t)p->k, sizeof *names);
  STRATA_FAIL_IF(base == NULL || names == NULL, ctx, STRATA_ERR_NOMEM,
                 "out of memory naming segments");
  for (int64_t s = 0; s < p->k; s++) {
    if (p->has_value)
      value_name(p, s, base[s], sizeof base[s]);
    else
      feature_name(p, s, base[s], sizeof base[s]);
    memcpy(names[s], base[s], sizeof names[s]);
  }
  /* Distinct names: a clash adds the segment's leading features in parentheses, one more each
   * round; whatever still clashes is numbered in segment order. Feature-based names already
   * use the first two features, so they continue from the third. */
  int first = p->has_value ? 0 : 2;
  for (int extra = 1; first + extra <= STRATA_PROFILE_TOP; extra++) {
    int any = 0;
    int *clash = calloc((size_t)p->k, sizeof *clash);
    STRATA_FAIL_IF(clash == NULL, ctx, STRATA_ERR_NOMEM, "out of memory naming segments");
    for (int64_t s = 0; s < p->k; s++) any |= clash[s] = clashes(names, p->k, s);
    for (int64_t s = 0; s < p->k && any; s++) {
      if (!clash[s]) continue;
      char phrases[200] = "";
      for (int e = 0; e < extra; e++) {
        int64_t j = p->top[s * STRATA_PROFILE_TOP + first + e];
        if (j < 0) break;
        char phrase[128];
        feature_phrase(p, s, j, phrase, sizeof phrase);
        size_t used = strlen(phrases);
        snprintf(phrases + used, sizeof phrases - used, "%s%.90s", e ? ", " : "", phrase);
      }
      snprintf(names[s], sizeof names[s], "%.50s (%.190s)", base[s], phrases);
    }
    free(clash);
    if (!any) break;
  }
  for (int64_t s = 0; s < p->k; s++) {
    int earlier = 0;
    for (int64_t t = 0; t < s; t++) earlier += strcmp(names[s], names[t]) == 0;
    if (earlier) {
      size_t used = strlen(names[s]);
      snprintf(names[s] + used, sizeof names[s] - used, " #%d", earlier + 1);
    }
  }
  for (int64_t s = 0; s < p->k; s++) {
    free(p->names[s]);
    p->names[s] = strdup(names[s]);
    STRATA_FAIL_IF(p->names[s] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory naming segments");
  }
cleanup:
  free(base);
  free(names);
  return st;
}
