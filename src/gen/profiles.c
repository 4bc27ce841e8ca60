/* The B2C and B2B profiles; see profiles.h and datasets/customer_base.md (keep them in step).
 *
 * Prototype order matters: `--segments K` keeps the first K, so the first three make a
 * sensible base on their own, and each next one adds the group a marketer would ask about
 * next. The prototype tables are kept out of clang-format: one prototype per paragraph reads
 * as the table it is. Level weights are relative (normalised when the model is built) and all
 * positive: every segment can show every level, as real segments do. */
#include <stddef.h>

#include "gen/profiles.h"
#include "strata.h"

const char *const strata_gen_behaviour_names[STRATA_GEN_BEHAVIOUR] = {"r", "alpha", "a",    "b",
                                                                      "p", "q",     "gamma"};

static const char *const regions[6] = {"north", "south", "east", "west", "central", "coast"};

/* ------------------------------------------------------------------------------------ B2C */

enum { C_TENURE, C_SESSIONS, C_DISCOUNT, C_TICKETS, C_AGE, C_REGION, C_CHANNEL, C_TIER };

static const char *const age_bands[6] = {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"};
static const char *const channels[5] = {"web", "app", "store", "marketplace", "referral"};
static const char *const tiers[5] = {"none", "bronze", "silver", "gold", "platinum"};

static const gen_column b2c_columns[] = {
    [C_TENURE] = {"tenure_months", GEN_GAMMA, 6.0, 0, NULL, 0, NULL},
    [C_SESSIONS] = {"web_sessions", GEN_GAMMA, 5.0, 0, NULL, 0, NULL},
    [C_DISCOUNT] = {"discount_share", GEN_BETA, 30.0, 0, NULL, 0, NULL},
    [C_TICKETS] = {"support_tickets", GEN_NEGBIN, 4.0, 0, NULL, 0, NULL},
    [C_AGE] = {"age_band", GEN_CATEGORICAL, 0, 6, age_bands, 0, NULL},
    [C_REGION] = {"region", GEN_CATEGORICAL, 0, 6, regions, 0, NULL},
    [C_CHANNEL] = {"channel", GEN_CATEGORICAL, 0, 5, channels, 0, NULL},
    [C_TIER] = {"loyalty_tier", GEN_CATEGORICAL, 0, 5, tiers, 0, NULL},
};

/* behaviour: r, alpha (days between purchases ~ alpha / r), a, b (dropout a / (a + b)),
 * p, q, gamma (mean spend p gamma / (q - 1)). */
/* clang-format off */
static const gen_prototype b2c_prototypes[] = {
    {"everyday regulars", 0.26, {1.0, 40.0, 0.8, 8.0, 6.0, 4.0, 20.0},
     {[C_TENURE] = 30, [C_SESSIONS] = 6, [C_DISCOUNT] = 0.15, [C_TICKETS] = 1.0},
     {[C_AGE] = {0.16, 1.2, 10, 1.2, 0.26, 0.073},
      [C_REGION] = {10, 0.89, 0.89, 0.89, 0.89, 0.89},
      [C_CHANNEL] = {10, 0.81, 0.81, 0.32, 0.32},
      [C_TIER] = {0.16, 1.2, 10, 0.81, 0.04}}},
    {"young app-first deal seekers", 0.22, {1.3, 30.0, 1.2, 5.0, 5.0, 5.0, 16.0},
     {[C_TENURE] = 10, [C_SESSIONS] = 25, [C_DISCOUNT] = 0.50, [C_TICKETS] = 2.0},
     {[C_AGE] = {10, 2.3, 0.21, 0.073, 0.04, 0.014},
      [C_REGION] = {0.89, 0.89, 0.89, 0.89, 10, 0.89},
      [C_CHANNEL] = {0.49, 10, 0.061, 0.37, 0.27},
      [C_TIER] = {1.7, 10, 0.58, 0.04, 0.0049}}},
    {"VIP loyalists", 0.10, {2.0, 20.0, 0.4, 16.0, 8.0, 4.0, 45.0},
     {[C_TENURE] = 60, [C_SESSIONS] = 14, [C_DISCOUNT] = 0.07, [C_TICKETS] = 3.0},
     {[C_AGE] = {0.04, 0.21, 1.2, 10, 1.2, 0.16},
      [C_REGION] = {0.89, 0.89, 0.89, 10, 0.89, 0.89},
      [C_CHANNEL] = {1.7, 10, 0.32, 0.073, 0.44},
      [C_TIER] = {0.0049, 0.04, 0.44, 3.5, 10}}},
    {"one-time gift buyers", 0.16, {0.6, 90.0, 4.0, 1.5, 4.0, 3.0, 40.0},
     {[C_TENURE] = 4, [C_SESSIONS] = 1.5, [C_DISCOUNT] = 0.05, [C_TICKETS] = 0.3},
     {[C_AGE] = {0.81, 10, 1.2, 0.32, 0.11, 0.073},
      [C_REGION] = {0.89, 10, 0.89, 0.89, 0.89, 0.89},
      [C_CHANNEL] = {1.2, 0.16, 0.44, 10, 0.32},
      [C_TIER] = {10, 0.32, 0.028, 0.01, 0.0035}}},
    {"lapsed bargain hunters", 0.12, {1.0, 50.0, 2.5, 3.0, 5.0, 4.0, 15.0},
     {[C_TENURE] = 36, [C_SESSIONS] = 1.0, [C_DISCOUNT] = 0.45, [C_TICKETS] = 0.8},
     {[C_AGE] = {0.81, 10, 1.2, 0.32, 0.11, 0.073},
      [C_REGION] = {0.89, 0.89, 10, 0.89, 0.89, 0.89},
      [C_CHANNEL] = {10, 1.2, 0.16, 0.58, 0.16},
      [C_TIER] = {1.2, 10, 1.2, 0.073, 0.014}}},
    {"affluent seniors", 0.08, {1.5, 45.0, 0.6, 10.0, 7.0, 4.0, 30.0},
     {[C_TENURE] = 84, [C_SESSIONS] = 3, [C_DISCOUNT] = 0.06, [C_TICKETS] = 2.5},
     {[C_AGE] = {0.0049, 0.014, 0.073, 0.32, 2.3, 10},
      [C_REGION] = {0.89, 0.89, 0.89, 0.89, 0.89, 10},
      [C_CHANNEL] = {0.81, 0.04, 10, 0.04, 0.81},
      [C_TIER] = {0.073, 0.21, 1.7, 10, 0.81}}},
    {"occasional store shoppers", 0.04, {0.8, 90.0, 1.2, 6.0, 5.0, 3.5, 15.0},
     {[C_TENURE] = 24, [C_SESSIONS] = 0.8, [C_DISCOUNT] = 0.15, [C_TICKETS] = 0.5},
     {[C_AGE] = {0.04, 0.16, 0.44, 1.7, 10, 1.2},
      [C_REGION] = {0.89, 0.89, 0.89, 10, 0.89, 0.89},
      [C_CHANNEL] = {0.17, 0.033, 10, 0.033, 0.37},
      [C_TIER] = {10, 2.3, 0.21, 0.04, 0.0049}}},
    {"marketplace newcomers", 0.02, {0.6, 60.0, 1.5, 4.0, 4.0, 3.0, 12.0},
     {[C_TENURE] = 3, [C_SESSIONS] = 8, [C_DISCOUNT] = 0.30, [C_TICKETS] = 1.5},
     {[C_AGE] = {10, 3.5, 0.44, 0.11, 0.04, 0.014},
      [C_REGION] = {0.89, 10, 0.89, 0.89, 0.89, 0.89},
      [C_CHANNEL] = {0.17, 0.37, 0.033, 10, 0.68},
      [C_TIER] = {10, 0.42, 0.028, 0.0035, 0.00089}}},
};
/* clang-format on */

/* ------------------------------------------------------------------------------------ B2B */

enum { B_INDUSTRY, B_SIZE, B_REGION, B_EMPLOYEES, B_TICKETS, B_TENURE, B_SESSIONS, B_DISCOUNT };

static const char *const industries[10] = {
    "retail",  "manufacturing", "professional services", "technology", "healthcare",
    "finance", "construction",  "hospitality",           "logistics",  "public sector"};
static const char *const size_bands[5] = {"1-9", "10-49", "50-249", "250-999", "1000+"};
static const double size_band_lo[5] = {1, 10, 50, 250, 1000};

static const gen_column b2b_columns[] = {
    [B_INDUSTRY] = {"industry", GEN_CATEGORICAL, 0, 10, industries, 0, NULL},
    [B_SIZE] = {"size_band", GEN_BAND, 0, 5, size_bands, B_EMPLOYEES, size_band_lo},
    [B_REGION] = {"region", GEN_CATEGORICAL, 0, 6, regions, 0, NULL},
    [B_EMPLOYEES] = {"employees", GEN_LOGNORMAL, 0.5, 0, NULL, 0, NULL},
    [B_TICKETS] = {"support_tickets", GEN_NEGBIN, 4.0, 0, NULL, 0, NULL},
    [B_TENURE] = {"tenure_months", GEN_GAMMA, 6.0, 0, NULL, 0, NULL},
    [B_SESSIONS] = {"web_sessions", GEN_GAMMA, 5.0, 0, NULL, 0, NULL},
    [B_DISCOUNT] = {"discount_share", GEN_BETA, 30.0, 0, NULL, 0, NULL},
};

/* clang-format off */
static const gen_prototype b2b_prototypes[] = {
    {"established small businesses", 0.26, {1.0, 30.0, 0.7, 9.0, 6.0, 4.0, 60.0},
     {[B_EMPLOYEES] = 12, [B_TICKETS] = 1.0, [B_TENURE] = 36, [B_SESSIONS] = 6,
      [B_DISCOUNT] = 0.10},
     {[B_INDUSTRY] = {10, 0.3, 0.3, 0.3, 0.3, 0.3, 1.2, 0.6, 0.3, 0.3},
      [B_REGION] = {10, 0.9, 0.9, 0.9, 0.9, 0.9}}},
    {"SMB newcomers", 0.22, {0.8, 45.0, 1.5, 5.0, 5.0, 4.0, 40.0},
     {[B_EMPLOYEES] = 4, [B_TICKETS] = 0.5, [B_TENURE] = 5, [B_SESSIONS] = 10,
      [B_DISCOUNT] = 0.20},
     {[B_INDUSTRY] = {0.3, 0.3, 10, 1.2, 0.3, 0.3, 0.3, 0.6, 0.3, 0.3},
      [B_REGION] = {0.9, 10, 0.9, 0.9, 0.9, 0.9}}},
    {"mid-market", 0.18, {1.5, 25.0, 0.6, 10.0, 8.0, 4.0, 150.0},
     {[B_EMPLOYEES] = 180, [B_TICKETS] = 4.0, [B_TENURE] = 48, [B_SESSIONS] = 20,
      [B_DISCOUNT] = 0.18},
     {[B_INDUSTRY] = {0.3, 10, 0.3, 0.3, 0.6, 0.3, 0.3, 0.3, 1.2, 0.3},
      [B_REGION] = {0.9, 0.9, 10, 0.9, 0.9, 0.9}}},
    {"enterprise accounts", 0.10, {2.5, 15.0, 0.4, 12.0, 10.0, 5.0, 800.0},
     {[B_EMPLOYEES] = 2500, [B_TICKETS] = 12.0, [B_TENURE] = 90, [B_SESSIONS] = 45,
      [B_DISCOUNT] = 0.25},
     {[B_INDUSTRY] = {0.3, 0.6, 0.3, 0.3, 0.3, 10, 0.3, 0.3, 0.3, 1.2},
      [B_REGION] = {0.9, 0.9, 0.9, 0.9, 10, 0.9}}},
    {"dormant legacy", 0.10, {0.5, 120.0, 2.0, 3.0, 5.0, 4.0, 50.0},
     {[B_EMPLOYEES] = 90, [B_TICKETS] = 0.2, [B_TENURE] = 130, [B_SESSIONS] = 0.6,
      [B_DISCOUNT] = 0.05},
     {[B_INDUSTRY] = {0.6, 1.2, 0.3, 0.3, 0.3, 0.3, 10, 0.3, 0.3, 0.3},
      [B_REGION] = {0.9, 0.9, 0.9, 10, 0.9, 0.9}}},
    {"support-heavy", 0.08, {1.2, 35.0, 1.2, 6.0, 6.0, 4.0, 80.0},
     {[B_EMPLOYEES] = 60, [B_TICKETS] = 20.0, [B_TENURE] = 30, [B_SESSIONS] = 12,
      [B_DISCOUNT] = 0.15},
     {[B_INDUSTRY] = {0.3, 0.3, 0.3, 1.2, 10, 0.3, 0.3, 0.3, 0.3, 0.6},
      [B_REGION] = {0.9, 0.9, 0.9, 0.9, 0.9, 10}}},
    {"discount-driven resellers", 0.04, {1.8, 20.0, 1.2, 6.0, 5.0, 5.0, 80.0},
     {[B_EMPLOYEES] = 30, [B_TICKETS] = 2.0, [B_TENURE] = 18, [B_SESSIONS] = 15,
      [B_DISCOUNT] = 0.55},
     {[B_INDUSTRY] = {1.2, 0.6, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 10, 0.3},
      [B_REGION] = {0.9, 10, 0.9, 0.9, 0.9, 0.9}}},
    {"fast-growing scale-ups", 0.02, {2.0, 20.0, 0.8, 8.0, 7.0, 4.0, 200.0},
     {[B_EMPLOYEES] = 400, [B_TICKETS] = 6.0, [B_TENURE] = 9, [B_SESSIONS] = 60,
      [B_DISCOUNT] = 0.30},
     {[B_INDUSTRY] = {0.3, 0.3, 1.2, 10, 0.3, 0.6, 0.3, 0.3, 0.3, 0.3},
      [B_REGION] = {0.9, 0.9, 0.9, 0.9, 10, 0.9}}},
};
/* clang-format on */

static const gen_profile profiles[] = {
    {"b2c", (int)(sizeof b2c_columns / sizeof b2c_columns[0]), b2c_columns,
     (int)(sizeof b2c_prototypes / sizeof b2c_prototypes[0]), b2c_prototypes},
    {"b2b", (int)(sizeof b2b_columns / sizeof b2b_columns[0]), b2b_columns,
     (int)(sizeof b2b_prototypes / sizeof b2b_prototypes[0]), b2b_prototypes},
};

const gen_profile *strata_gen_profile_get(int profile) {
  if (profile == STRATA_GEN_B2C) return &profiles[0];
  if (profile == STRATA_GEN_B2B) return &profiles[1];
  return NULL;
}
