/*
 * Readable segment names derived from the profile alone, as rules a reader can check against
 * the profile table (the README lists them). A name has up to two parts:
 *
 *  1. With value columns, what the segment is worth and where it is heading, judged by ratios
 *     to the base (never constants of a data set), first rule that applies:
 *       no purchase in the log for at least half      "No purchase yet"
 *       no repeat purchase for at least half          "One-time buyers"
 *       mean P(alive) <= 0.5 x the base's             "Lapsed big spenders" (revenue >= 1.5 x
 *                                                      base) or "Dormant"
 *       mean P(alive) <= 0.8 x the base's             "At-risk high-value" (CLV >= 1.5 x base),
 *                                                      "At-risk big spenders" (revenue >= 1.5 x),
 *                                                      else "At-risk low spenders" (spend per
 *                                                      purchase <= 0.75 x) or "At-risk customers"
 *       age <= 0.6 x the base's                       "New high-value customers" (CLV >= 1.5 x),
 *                                                      "New low spenders", "New customers"
 *       mean CLV >= 1.5 x the base's                  "High-value loyal" (repeat purchases >= the
 *                                                      base's) or "High-value occasional"
 *       mean CLV <= 0.67 x the base's                 "Frequent low spenders" / "Low spenders"
 *                                                      (spend per purchase <= 0.75 x), else
 *                                                      "Low-value customers"
 *       otherwise                                     "Loyal regulars" (repeat purchases >= 1.2 x)
 *                                                      or "Mid-value regulars"
 *     So "high value" always means a mean CLV well above the base, "at risk", "lapsed" and
 *     "dormant" a mean P(alive) clearly below it, "low spenders" a low spend per purchase, and
 *     one-time buyers (whose P(alive) is 1 under BG/NBD) are never called active or loyal.
 *  2. Who they are: the (at most two) descriptive features that set the segment apart most,
 *     by a standardised difference to the base of at least 0.8 — (segment mean - base mean) /
 *     base sd for a numeric account feature ("high employees"), (segment share - base share) /
 *     sqrt(base share (1 - base share)) for a level of a nominal column ("retail industry").
 *     Without value columns these alone make the name ("Typical accounts" when none stands
 *     out).
 *
 * Names are distinct: segments whose names clash are told apart by the feature (any profile
 * column, value columns included) that orders them best — "(higher spend per purchase)" /
 * "(lower spend per purchase)", "highest / middle / lowest" for three — when its smallest
 * standardised gap between two of them is at least 0.5; else each gets the feature on which
 * it differs most from its nearest fellow; when nothing tells them apart they are numbered
 * "(1 of 2)", "(2 of 2)", so a suffix never hides that two segments are alike.
 * Deterministic: ties go to the lower feature or level index.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/features.h"
#include "segment/segment.h"

#define NAME_LEN 256
#define QUALIFIER_MIN 0.8 /* standardised difference that sets a segment apart */
#define SEPARATE_MIN 0.5  /* difference that tells two clashing segments apart */
#define QUALIFIERS 2

static double ratio(double a, double base) { return base > 0.0 ? a / base : 1.0; }

/* A descriptive feature of a segment: numeric column j (level < 0) or level `level` of
 * nominal column j. */
typedef struct trait {
  int64_t column, level;
  double strength; /* signed standardised difference to the base */
} trait;

static double level_strength(const strata_profile *p, int64_t j, int64_t s, int64_t v) {
  double b = p->level_base[j][v];
  if (b <= 0.0 || b >= 1.0) return 0.0;
  return (p->level_share[j][s * p->levels[j] + v] - b) / sqrt(b * (1.0 - b));
}

/* 1 for profile columns that are account features (value columns name the first part). */
static int descriptive(const strata_profile *p, int64_t j) {
  if (!p->has_value) return 1;
  for (int v = 0; v < STRATA_VALUE_COLUMNS; v++)
    if (strcmp(p->feature_names[j], strata_value_column_names[v]) == 0) return 0;
  return 1;
}

/* The traits of segment s, strongest first (only levels more common than in the base: a
 * name says what a segment is, not what it lacks). With `all`, the value columns count too
 * (to tell apart segments whose names clash). Returns the count (<= cap). */
static int64_t traits_of(const strata_profile *p, int64_t s, int all, trait *out, int64_t cap) {
  int64_t m = 0;
  for (int64_t j = 0; j < p->d && m < cap; j++)
    if (all || descriptive(p, j)) out[m++] = (trait){j, -1, p->z[s * p->d + j]};
  for (int64_t j = 0; j < p->dc; j++)
    for (int64_t v = 0; v < p->levels[j] && m < cap; v++) {
      double g = level_strength(p, j, s, v);
      if (g > 0.0) out[m++] = (trait){j, v, g};
    }
  /* Insertion sort by |strength|, stable: ties keep the lower index. */
  for (int64_t a = 1; a < m; a++) {
    trait t = out[a];
    int64_t b = a;
    while (b > 0 && fabs(out[b - 1].strength) < fabs(t.strength)) {
      out[b] = out[b - 1];
      b--;
    }
    out[b] = t;
  }
  return m;
}

static void readable(const char *name, char *out, size_t len) {
  snprintf(out, len, "%s", name);
  for (char *c = out; *c; c++)
    if (*c == '_') *c = ' ';
}

/* "high employees" / "retail industry". */
static void trait_phrase(const strata_profile *p, const trait *t, char *out, size_t len) {
  char col[96];
  if (t->level < 0) {
    readable(p->feature_names[t->column], col, sizeof col);
    snprintf(out, len, "%s %.90s", t->strength >= 0 ? "high" : "low", col);
  } else {
    readable(p->nominal_names[t->column], col, sizeof col);
    snprintf(out, len, "%.60s %.90s", p->level_names[t->column][t->level], col);
  }
}

static void value_name(const strata_profile *p, int64_t s, char *out, size_t len) {
  double value = ratio(p->clv_mean[s], p->base_clv_mean);
  double alive = ratio(p->p_alive_mean[s], p->base_p_alive_mean);
  double age = ratio(p->age_mean[s], p->base_age_mean);
  double spend = p->spend_per_purchase
                     ? ratio(p->spend_per_purchase[s], p->base_spend_per_purchase)
                     : ratio(p->monetary_mean[s], p->base_monetary_mean);
  double revenue = p->revenue_mean ? ratio(p->revenue_mean[s], p->base_revenue_mean) : value;
  double freq = ratio(p->frequency_mean[s], p->base_frequency_mean);
  const char *name;
  if (p->no_purchase_share && p->no_purchase_share[s] >= 0.5)
    name = "No purchase yet";
  else if (p->one_time_share && p->one_time_share[s] >= 0.5)
    name = "One-time buyers";
  else if (alive <= 0.5)
    name = revenue >= 1.5 ? "Lapsed big spenders" : "Dormant";
  else if (alive <= 0.8)
    name = value >= 1.5     ? "At-risk high-value"
           : revenue >= 1.5 ? "At-risk big spenders"
           : spend <= 0.75  ? "At-risk low spenders"
                            : "At-risk customers";
  else if (age <= 0.6)
    name = value >= 1.5 ? "New high-value customers"
           : spend <= 0.75 ? "New low spenders"
                           : "New customers";
  else if (value >= 1.5)
    name = freq >= 1.0 ? "High-value loyal" : "High-value occasional";
  else if (value <= 0.67)
    name = spend <= 0.75 ? (freq >= 1.2 ? "Frequent low spenders" : "Low spenders")
                         : "Low-value customers";
  else
    name = freq >= 1.2 ? "Loyal regulars" : "Mid-value regulars";
  snprintf(out, len, "%s", name);
}

/* Base name plus the qualifying traits of segment s. */
static void full_name(const strata_profile *p, int64_t s, const trait *t, int64_t m, char *out,
                      size_t len) {
  char base[NAME_LEN] = "";
  if (p->has_value) value_name(p, s, base, sizeof base);
  char quals[NAME_LEN] = "";
  int q = 0;
  for (int64_t a = 0; a < m && q < QUALIFIERS; a++) {
    if (fabs(t[a].strength) < QUALIFIER_MIN) break;
    char phrase[160];
    trait_phrase(p, &t[a], phrase, sizeof phrase);
    size_t at = strlen(quals);
    snprintf(quals + at, sizeof quals - at, "%s%.150s", q ? ", " : "", phrase);
    q++;
  }
  if (base[0] && quals[0])
    snprintf(out, len, "%.100s: %.150s", base, quals);
  else if (base[0])
    snprintf(out, len, "%s", base);
  else if (quals[0]) {
    snprintf(out, len, "%s", quals);
    if (out[0] >= 'a' && out[0] <= 'z') out[0] = (char)(out[0] - 'a' + 'A');
  } else {
    snprintf(out, len, "Typical accounts");
  }
}

/* Signed standardised value of trait t in segment s (for telling two segments apart). */
static double trait_value(const strata_profile *p, int64_t s, const trait *t) {
  return t->level < 0 ? p->z[s * p->d + t->column] : level_strength(p, t->column, s, t->level);
}

strata_status strata_profile_name(strata_ctx *ctx, strata_profile *p) {
  strata_status st = STRATA_OK;
  char(*names)[NAME_LEN] = NULL, (*base)[NAME_LEN] = NULL;
  trait *traits = NULL;
  int64_t *count = NULL;
  int *group = NULL;
  STRATA_FAIL_IF(p == NULL, ctx, STRATA_ERR_USAGE, "strata_profile_name: profile is NULL");
  const int64_t k = p->k;
  int64_t cap = p->d;
  for (int64_t j = 0; j < p->dc; j++) cap += p->levels[j];
  if (cap < 1) cap = 1;
  names = calloc((size_t)k, sizeof *names);
  traits = calloc((size_t)(k * cap), sizeof *traits);
  count = calloc((size_t)k, sizeof *count);
  group = calloc((size_t)k, sizeof *group);
  base = calloc((size_t)k, sizeof *base);
  STRATA_FAIL_IF(!names || !traits || !count || !group || !base, ctx, STRATA_ERR_NOMEM,
                 "out of memory naming segments");
  for (int64_t s = 0; s < k; s++) {
    int64_t m = traits_of(p, s, 0, traits + s * cap, cap);
    full_name(p, s, traits + s * cap, m, names[s], NAME_LEN);
    /* every feature may tell clashing segments apart */
    count[s] = traits_of(p, s, 1, traits + s * cap, cap);
  }
  /* Clashes. First the one trait that orders the whole group best (the largest smallest gap
   * between any two members, at least SEPARATE_MIN): members are named by their rank on it,
   * "higher" / "lower" for two, "highest" / "middle" / "lowest" for three, a rank beyond.
   * Failing that, each member gets the trait on which it differs most from its nearest
   * fellow member; members that nothing separates are numbered "(1 of 2)". */
  memcpy(base, names, (size_t)k * sizeof *base);
  for (int64_t s = 0; s < k; s++) group[s] = -1;
  for (int64_t s = 0; s < k; s++) {
    if (group[s] >= 0) continue;
    int64_t members = 0;
    for (int64_t t = s; t < k; t++)
      if (group[t] < 0 && strcmp(base[s], base[t]) == 0) {
        group[t] = (int)s;
        members++;
      }
    if (members < 2) continue;
    const trait *order_by = NULL;
    double order_gap = 0.0;
    for (int64_t u = s; u < k; u++) {
      if (group[u] != (int)s) continue;
      for (int64_t a = 0; a < count[u]; a++) {
        const trait *c = &traits[u * cap + a];
        double gap = INFINITY;
        for (int64_t x = s; x < k; x++)
          for (int64_t y = x + 1; y < k; y++)
            if (group[x] == (int)s && group[y] == (int)s) {
              double g = fabs(trait_value(p, x, c) - trait_value(p, y, c));
              if (g < gap) gap = g;
            }
        if (gap > order_gap) {
          order_gap = gap;
          order_by = c;
        }
      }
    }
    char col[160];
    if (order_by && order_gap >= SEPARATE_MIN) {
      if (order_by->level < 0) {
        readable(p->feature_names[order_by->column], col, sizeof col);
      } else {
        char level_col[96];
        readable(p->nominal_names[order_by->column], level_col, sizeof level_col);
        snprintf(col, sizeof col, "share of %.60s %.80s",
                 p->level_names[order_by->column][order_by->level],
                 level_col);
      }
      for (int64_t t = s; t < k; t++) {
        if (group[t] != (int)s) continue;
        int64_t rank = 0; /* members above t on the trait */
        double mine = trait_value(p, t, order_by);
        for (int64_t o = s; o < k; o++)
          if (o != t && group[o] == (int)s) {
            double other = trait_value(p, o, order_by);
            rank += other > mine || (other == mine && o < t);
          }
        static const char *const two[2] = {"higher", "lower"};
        static const char *const three[3] = {"highest", "middle", "lowest"};
        size_t at = strlen(names[t]);
        if (members <= 3)
          snprintf(names[t] + at, NAME_LEN - at, " (%s %.150s)",
                   members == 2 ? two[rank] : three[rank], col);
        else
          snprintf(names[t] + at, NAME_LEN - at, " (%.150s: rank %lld of %lld)", col,
                   (long long)(rank + 1), (long long)members);
      }
      continue;
    }
    int64_t ordinal = 0;
    for (int64_t t = s; t < k; t++) {
      if (group[t] != (int)s) continue;
      ordinal++;
      /* The trait of t that most separates it from its group's other members. */
      const trait *best = NULL;
      double best_gap = 0.0, best_sign = 0.0;
      for (int64_t u = s; u < k; u++) {
        if (group[u] != (int)s) continue;
        for (int64_t a = 0; a < count[u]; a++) {
          const trait *c = &traits[u * cap + a];
          double mine = trait_value(p, t, c), gap = INFINITY;
          for (int64_t o = s; o < k; o++)
            if (o != t && group[o] == (int)s) {
              double g = mine - trait_value(p, o, c);
              if (fabs(g) < fabs(gap)) gap = g;
            }
          if (fabs(gap) > best_gap) {
            best_gap = fabs(gap);
            best_sign = gap;
            best = c;
          }
        }
      }
      size_t at = strlen(names[t]);
      if (best && best_gap >= SEPARATE_MIN) {
        if (best->level < 0) {
          readable(p->feature_names[best->column], col, sizeof col);
          snprintf(names[t] + at, NAME_LEN - at, " (%s %.90s)",
                   best_sign >= 0 ? "higher" : "lower", col);
        } else {
          readable(p->nominal_names[best->column], col, sizeof col);
          snprintf(names[t] + at, NAME_LEN - at, " (%s share of %.60s %.90s)",
                   best_sign >= 0 ? "higher" : "lower", p->level_names[best->column][best->level],
                   col);
        }
      } else {
        snprintf(names[t] + at, NAME_LEN - at, " (%lld of %lld)", (long long)ordinal,
                 (long long)members);
      }
    }
  }
  /* Whatever still clashes (two members separated by the same trait the same way) is
   * numbered within its group. */
  memcpy(base, names, (size_t)k * sizeof *base);
  for (int64_t s = 0; s < k; s++) {
    int64_t same = 0, rank = 0;
    for (int64_t t = 0; t < k; t++)
      if (strcmp(base[s], base[t]) == 0) {
        same++;
        if (t < s) rank++;
      }
    if (same > 1) {
      size_t at = strlen(names[s]);
      snprintf(names[s] + at, NAME_LEN - at, " (%lld of %lld)", (long long)(rank + 1),
               (long long)same);
    }
  }
  for (int64_t s = 0; s < k; s++) {
    free(p->names[s]);
    p->names[s] = strdup(names[s]);
    STRATA_FAIL_IF(p->names[s] == NULL, ctx, STRATA_ERR_NOMEM, "out of memory naming segments");
  }
cleanup:
  free(names);
  free(base);
  free(traits);
  free(count);
  free(group);
  return st;
}
