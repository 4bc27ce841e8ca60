/*
 * Action hints: what a marketer might do with a segment, read off its profile and lenses by a
 * short rule table, so that every segment in the report comes with a treatment and the reason
 * for it. Thresholds are ratios to the base (like the names of naming.c), never constants of a
 * data set. Rules are tried in order; the first that applies wins:
 *
 *   0 Review        no value columns (no transactions, or --no-clv): value and risk unknown.
 *   1 Nurture       no purchase in the log for at least half of the accounts: convert them.
 *   2 Retain        high value (mean CLV >= 1.2 x base, or mean revenue >= 1.5 x base) and at
 *                   risk (mean P(alive) <= 0.8 x base, or, with lenses, a share of its CLV in
 *                   the "high value / high risk" cell >= 2 x the base's share).
 *   3 Win back      lapsed (mean P(alive) <= 0.5 x base) after spending (mean revenue >= 0.5 x
 *                   base).
 *   4 Grow          mean CLV >= 1.2 x base, not at risk (rule 2 did not apply): upsell and
 *                   cross-sell.
 *   5 Nurture       one-time buyers for at least half, or new (mean tenure <= 0.6 x base), and
 *                   still active (mean P(alive) >= 0.8 x base): bring them to the next purchase.
 *   6 Deprioritise  low value (mean CLV <= 0.67 x base) or lapsed without past spend (mean
 *                   P(alive) <= 0.5 x base): serve at low cost.
 *   7 Maintain      otherwise: mid value, healthy; keep the service level.
 *
 * A base value of 0 (or a value that is not finite) makes its ratio 1, so no rule fires on it;
 * a missing optional column (revenue, one-time or no-purchase share) reads as the base's.
 * Rule 5 before rule 6: an active one-time buyer is a prospect, not a write-off.
 */
#ifndef STRATA_SEGMENT_ACTIONS_H
#define STRATA_SEGMENT_ACTIONS_H

#include <stdint.h>

#include "segment/lens_stage.h"
#include "segment/segment.h"

typedef enum strata_action {
  STRATA_ACTION_REVIEW = 0,
  STRATA_ACTION_RETAIN,
  STRATA_ACTION_WIN_BACK,
  STRATA_ACTION_GROW,
  STRATA_ACTION_NURTURE,
  STRATA_ACTION_DEPRIORITISE,
  STRATA_ACTION_MAINTAIN
} strata_action;

#define STRATA_ACTION_RULES 8
#define STRATA_ACTION_REASON 256

/* One row of the rule table above, as text for people (the report's glossary). */
typedef struct strata_action_rule {
  strata_action action;
  const char *when; /* the condition, in words */
  const char *why;  /* what it means for the treatment */
} strata_action_rule;

/* The rule table, STRATA_ACTION_RULES rows in the order they are tried. Static. */
extern const strata_action_rule strata_action_rules[STRATA_ACTION_RULES];

typedef struct strata_action_hint {
  strata_action action;
  int rule;                          /* index into strata_action_rules */
  char reason[STRATA_ACTION_REASON]; /* the rule's reading with this segment's ratios */
} strata_action_hint;

/* "Retain", "Win back", ...; "Review" for a value outside the enum. Static strings. */
const char *strata_action_name(strata_action a);

/* The hint of segment `segment` (in [0, p->k)) of profile p; lenses may be NULL (the rules
 * then use the profile alone) and must come from the same labels otherwise. Pure and
 * deterministic: reads p and lenses, writes *out only. */
void strata_action_for_segment(const strata_profile *p, const strata_lenses *lenses,
                               int64_t segment, strata_action_hint *out);

#endif
