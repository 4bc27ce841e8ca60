/*
 * The data block of the segmentation report: everything the page shows, as one JSON object
 * (`const DATA = {...}`), so that the page's script draws from numbers a reader can also copy
 * out of the file. Fields the pipeline does not hold directly are derived here: the data
 * period's first day (the oldest customer's tenure T before the as-of date), the Hennig
 * reading of each segment's stability, and the action hints (segment/actions.h).
 */
#include <math.h>
#include <string.h>

#include "segment/actions.h"
#include "segment/features.h"
#include "segment/report_page.h"

/* Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil inverse): exact for
 * every int32 day, no time zone involved. */
void strata_report_date(int64_t day, char buf[16]) {
  int64_t z = day + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y++;
  snprintf(buf, 16, "%04d-%02d-%02d", (int)(y % 10000), (int)m, (int)d);
}

static void key(FILE *f, int *first, const char *k) { strata_json_key(f, first, k); }

static void array_rows(FILE *f, const double *v, int64_t rows, int64_t cols) {
  fputc('[', f);
  for (int64_t i = 0; i < rows; i++) {
    if (i) fputc(',', f);
    strata_json_array(f, v + i * cols, cols, 1);
  }
  fputc(']', f);
}

static void int_rows(FILE *f, const int64_t *v, int64_t rows, int64_t cols) {
  fputc('[', f);
  for (int64_t i = 0; i < rows; i++) {
    if (i) fputc(',', f);
    strata_json_int_array(f, v + i * cols, cols, 1);
  }
  fputc(']', f);
}

static void strings(FILE *f, const char *const *v, int64_t n) {
  fputc('[', f);
  for (int64_t i = 0; i < n; i++) {
    if (i) fputc(',', f);
    strata_json_string(f, v[i]);
  }
  fputc(']', f);
}

/* The data period and the CLV horizon. The first purchase day is not stored: the oldest
 * customer's age T (time units from the first purchase period to the calibration end) gives
 * it to within one time unit. */
static void write_period(FILE *f, int *first, const strata_segmentation *s,
                         const strata_report_options *o) {
  char buf[16];
  const strata_clv_result *c = s->clv;
  const strata_clv_rfm *r = c ? c->rfm : NULL;
  key(f, first, "as_of");
  if (r) {
    strata_report_date(r->calibration_end, buf);
    strata_json_string(f, buf);
  } else {
    fputs("null", f);
  }
  key(f, first, "first_day");
  double t_max = -1.0;
  if (r && r->T)
    for (int64_t i = 0; i < r->n; i++)
      if (isfinite(r->T[i]) && r->T[i] > t_max) t_max = r->T[i];
  if (r && t_max >= 0.0 && c->unit_days > 0.0) {
    strata_report_date(r->calibration_end - (int64_t)llround(t_max * c->unit_days), buf);
    strata_json_string(f, buf);
  } else {
    fputs("null", f);
  }
  key(f, first, "unit_days");
  strata_json_number(f, c ? c->unit_days : NAN);
  key(f, first, "clv_model");
  if (c) {
    fputc('"', f);
    fputs(strata_clv_model_name(c->counts.model), f);
    if (c->has_spend) fputs(" + gammagamma", f);
    fputc('"', f);
  } else {
    fputs("null", f);
  }
  key(f, first, "horizon");
  if (c && o->params) {
    const strata_clv_score_params *h = &o->params->clv.score;
    int f2 = 1;
    fputc('{', f);
    key(f, &f2, "clv_periods");
    fprintf(f, "%d", h->clv_periods);
    key(f, &f2, "period_length");
    strata_json_number(f, h->clv_period_length);
    key(f, &f2, "period_days");
    strata_json_number(f, h->clv_period_length * c->unit_days);
    key(f, &f2, "discount");
    strata_json_number(f, h->discount_rate);
    key(f, &f2, "purchases_horizon");
    strata_json_number(f, h->horizon);
    fputc('}', f);
  } else {
    fputs("null", f);
  }
}

static void write_k_choice(FILE *f, int *first, const strata_segmentation *s) {
  int f2 = 1;
  key(f, first, "kc");
  fputc('{', f);
  key(f, &f2, "k");
  strata_json_int_array(f, s->k_values, s->n_k, 1);
  key(f, &f2, "calinski");
  strata_json_array(f, s->k_calinski, s->n_k, 1);
  key(f, &f2, "bic");
  strata_json_array(f, s->k_bic, s->n_k, 1);
  key(f, &f2, "inertia");
  strata_json_array(f, s->k_inertia, s->n_k, 1);
  key(f, &f2, "silhouette");
  if (s->has_silhouette)
    strata_json_array(f, s->k_silhouette, s->n_k, 1);
  else
    fputs("null", f);
  key(f, &f2, "davies_bouldin");
  if (s->has_silhouette)
    strata_json_array(f, s->k_davies_bouldin, s->n_k, 1);
  else
    fputs("null", f);
  key(f, &f2, "jaccard_min");
  strata_json_array(f, s->k_jaccard_min, s->n_k, 1);
  key(f, &f2, "jaccard_mean");
  strata_json_array(f, s->k_jaccard_mean, s->n_k, 1);
  key(f, &f2, "ari");
  strata_json_array(f, s->k_stability_ari, s->n_k, 1);
  key(f, &f2, "rule");
  strata_json_string(f, s->k_rule);
  key(f, &f2, "criterion");
  strata_json_string(f, s->k_criterion);
  key(f, &f2, "chosen_stable");
  fputs(s->k_chosen_stable ? "true" : "false", f);
  key(f, &f2, "sampled");
  fputs(s->k_sampled ? "true" : "false", f);
  fputc('}', f);
}

static void write_value(FILE *f, int *first, const strata_profile *p) {
  int f2 = 1;
  key(f, first, "value");
  if (!p->has_value) {
    fputs("null", f);
    return;
  }
  const int64_t k = p->k;
  fputc('{', f);
#define FIELD(name, arr)               \
  do {                                 \
    key(f, &f2, name);                 \
    if (arr)                           \
      strata_json_array(f, arr, k, 1); \
    else                               \
      fputs("null", f);                \
  } while (0)
  FIELD("clv_total", p->clv_total);
  FIELD("clv_mean", p->clv_mean);
  FIELD("clv_share", p->clv_share);
  FIELD("p_alive_mean", p->p_alive_mean);
  FIELD("one_time_share", p->one_time_share);
  FIELD("no_purchase_share", p->no_purchase_share);
  FIELD("spend_per_purchase", p->spend_per_purchase);
  FIELD("revenue_mean", p->revenue_mean);
  FIELD("days_since_mean", p->days_since_mean);
  FIELD("frequency_mean", p->frequency_mean);
  FIELD("age_mean", p->age_mean);
#undef FIELD
  key(f, &f2, "p_alive_q");
  array_rows(f, p->p_alive_q, k, STRATA_PROFILE_QUANTILES);
  key(f, &f2, "base");
  int f3 = 1;
  fputc('{', f);
  key(f, &f3, "clv_mean");
  strata_json_number(f, p->base_clv_mean);
  key(f, &f3, "p_alive_mean");
  strata_json_number(f, p->base_p_alive_mean);
  key(f, &f3, "one_time_share");
  strata_json_number(f, p->base_one_time_share);
  key(f, &f3, "spend_per_purchase");
  strata_json_number(f, p->base_spend_per_purchase);
  key(f, &f3, "revenue_mean");
  strata_json_number(f, p->base_revenue_mean);
  key(f, &f3, "days_since_mean");
  strata_json_number(f, p->base_days_since_mean);
  fputs("}}", f);
}

static void write_stability(FILE *f, int *first, const strata_segmentation *s) {
  int f2 = 1;
  key(f, first, "stability");
  const strata_stability *b = s->stability;
  if (b == NULL || b->k != s->k) {
    fputs("null", f);
    return;
  }
  fputc('{', f);
  key(f, &f2, "jaccard_mean");
  strata_json_array(f, b->jaccard_mean, b->k, 1);
  key(f, &f2, "dissolved");
  strata_json_array(f, b->dissolved, b->k, 1);
  key(f, &f2, "recovered");
  strata_json_array(f, b->recovered, b->k, 1);
  key(f, &f2, "reading");
  fputc('[', f);
  for (int64_t j = 0; j < b->k; j++) {
    if (j) fputc(',', f);
    strata_json_string(f, strata_stability_reading(b->jaccard_mean[j]));
  }
  fputc(']', f);
  key(f, &f2, "resamples");
  fprintf(f, "%d", b->resamples);
  key(f, &f2, "rows");
  fprintf(f, "%lld", (long long)s->stability_rows);
  key(f, &f2, "ari_mean");
  strata_json_number(f, b->ari_mean);
  fputc('}', f);
}

static void write_actions(FILE *f, int *first, const strata_segmentation *s) {
  key(f, first, "actions");
  fputc('[', f);
  for (int64_t j = 0; j < s->profile->k; j++) {
    const strata_action_hint h = s->actions[j];
    int f2 = 1;
    fputs(j ? ",{" : "{", f);
    key(f, &f2, "action");
    strata_json_string(f, strata_action_name(h.action));
    key(f, &f2, "rule");
    fprintf(f, "%d", h.rule);
    key(f, &f2, "reason");
    strata_json_string(f, h.reason);
    fputc('}', f);
  }
  fputc(']', f);
  key(f, first, "action_rules");
  fputc('[', f);
  for (int r = 0; r < STRATA_ACTION_RULES; r++) {
    int f2 = 1;
    fputs(r ? ",{" : "{", f);
    key(f, &f2, "action");
    strata_json_string(f, strata_action_name(strata_action_rules[r].action));
    key(f, &f2, "when");
    strata_json_string(f, strata_action_rules[r].when);
    key(f, &f2, "why");
    strata_json_string(f, strata_action_rules[r].why);
    fputc('}', f);
  }
  fputc(']', f);
}

static void write_growth_group(FILE *f, const strata_growth_group *g) {
  int f2 = 1;
  fputc('{', f);
  key(f, &f2, "prev");
  strata_json_number(f, g->prev_total);
  key(f, &f2, "curr");
  strata_json_number(f, g->curr_total);
  key(f, &f2, "new");
  strata_json_number(f, g->new_revenue);
  key(f, &f2, "retained");
  strata_json_number(f, g->retained_revenue);
  key(f, &f2, "expanded");
  strata_json_number(f, g->expanded_revenue);
  key(f, &f2, "contracted");
  strata_json_number(f, g->contracted_revenue);
  key(f, &f2, "lost");
  strata_json_number(f, g->lost_revenue);
  key(f, &f2, "rate");
  strata_json_number(f, g->growth_rate);
  key(f, &f2, "account_retention");
  strata_json_number(f, g->account_retention);
  key(f, &f2, "grr");
  strata_json_number(f, g->gross_revenue_retention);
  key(f, &f2, "nrr");
  strata_json_number(f, g->net_revenue_retention);
  fprintf(f,
          ",\"accounts\":%lld,\"n_new\":%lld,\"n_retained\":%lld,\"n_lost\":%lld,"
          "\"n_expanded\":%lld,\"n_contracted\":%lld,\"n_inactive\":%lld}",
          (long long)g->accounts, (long long)g->n_new, (long long)g->n_retained,
          (long long)g->n_lost, (long long)g->n_expanded, (long long)g->n_contracted,
          (long long)g->n_inactive);
}

static void write_lenses(FILE *f, int *first, const strata_segmentation *s) {
  const strata_lenses *l = s->lenses;
  key(f, first, "lenses");
  if (l == NULL) {
    fputs("null", f);
    return;
  }
  const int64_t k = l->k;
  int f2 = 1;
  fputc('{', f);
  key(f, &f2, "in_log");
  fprintf(f, "%lld", (long long)l->in_log);
  /* value x risk */
  strata_value_risk_params vp;
  strata_value_risk_params_init(&vp); /* the pipeline's cells use the defaults */
  key(f, &f2, "vr");
  int f3 = 1;
  fputc('{', f);
  key(f, &f3, "names");
  fputc('[', f);
  for (int c = 0; c < STRATA_VR_CELLS; c++) {
    if (c) fputc(',', f);
    strata_json_string(f, strata_value_risk_cell_name(c));
  }
  fputc(']', f);
  key(f, &f3, "accounts");
  strata_json_int_array(f, l->vr.accounts, STRATA_VR_CELLS, 1);
  key(f, &f3, "clv");
  strata_json_array(f, l->vr.clv_total, STRATA_VR_CELLS, 1);
  key(f, &f3, "p_alive");
  strata_json_array(f, l->vr.p_alive_mean, STRATA_VR_CELLS, 1);
  key(f, &f3, "clv_top_min");
  strata_json_number(f, l->vr.clv_top_min);
  key(f, &f3, "clv_upper_min");
  strata_json_number(f, l->vr.clv_upper_min);
  key(f, &f3, "top_share");
  strata_json_number(f, vp.top_share);
  key(f, &f3, "next_share");
  strata_json_number(f, vp.next_share);
  key(f, &f3, "risk_high_below");
  strata_json_number(f, vp.risk_high_below);
  key(f, &f3, "risk_low_from");
  strata_json_number(f, vp.risk_low_from);
  key(f, &f3, "x");
  int_rows(f, l->x_vr, k, STRATA_VR_CELLS + 1);
  key(f, &f3, "x_clv");
  if (l->x_vr_clv)
    array_rows(f, l->x_vr_clv, k, STRATA_VR_CELLS + 1);
  else
    fputs("null", f);
  fputc('}', f);
  /* RFM */
  const strata_rfm_rules *rules = l->rules;
  key(f, &f2, "rfm");
  f3 = 1;
  fputc('{', f);
  key(f, &f3, "cells");
  fputc('[', f);
  for (int64_t c = 0; c < rules->n_cells; c++) {
    strata_json_string(f, rules->cell_name[c]);
    fputc(',', f);
  }
  fputs("\"Others\"]", f);
  key(f, &f3, "counts");
  strata_json_int_array(f, l->rfm_counts, rules->n_cells + 1, 1);
  key(f, &f3, "rules");
  fputc('[', f);
  for (int64_t r = 0; r < rules->n_rules; r++) {
    const strata_rfm_rule *u = &rules->rule[r];
    fputs(r ? ",{\"name\":" : "{\"name\":", f);
    strata_json_string(f, u->name);
    fprintf(f, ",\"lo\":[%d,%d,%d],\"hi\":[%d,%d,%d]}", u->lo[0], u->lo[1], u->lo[2], u->hi[0],
            u->hi[1], u->hi[2]);
  }
  fputc(']', f);
  key(f, &f3, "breaks");
  array_rows(f, &l->breaks[0][0], 3, STRATA_RFM_BINS - 1);
  key(f, &f3, "x");
  int_rows(f, l->x_rfm, k, rules->n_cells + 2);
  key(f, &f3, "x_clv");
  if (l->x_rfm_clv)
    array_rows(f, l->x_rfm_clv, k, rules->n_cells + 2);
  else
    fputs("null", f);
  fputc('}', f);
  /* growth */
  key(f, &f2, "growth");
  f3 = 1;
  fputc('{', f);
  key(f, &f3, "days");
  fprintf(f, "%d", (int)l->growth_days);
  key(f, &f3, "segments");
  fputc('[', f);
  for (int64_t j = 0; j < k; j++) {
    if (j) fputc(',', f);
    write_growth_group(f, &l->growth[j]);
  }
  fputc(']', f);
  key(f, &f3, "total");
  write_growth_group(f, &l->growth_total);
  fputs("}}", f);
}

static void write_nominal(FILE *f, int *first, const strata_profile *p) {
  key(f, first, "nominal");
  fputc('[', f);
  for (int64_t j = 0; j < p->dc; j++) {
    const int64_t L = p->levels[j];
    int f2 = 1;
    fputs(j ? ",{" : "{", f);
    key(f, &f2, "name");
    strata_json_string(f, p->nominal_names[j]);
    key(f, &f2, "levels");
    strings(f, (const char *const *)p->level_names[j], L);
    key(f, &f2, "share");
    array_rows(f, p->level_share[j], p->k, L);
    key(f, &f2, "base");
    strata_json_array(f, p->level_base[j], L, 1);
    key(f, &f2, "lift");
    array_rows(f, p->level_lift[j], p->k, L);
    fputc('}', f);
  }
  fputc(']', f);
}

void strata_report_data_write(FILE *f, const strata_segmentation *s,
                              const strata_report_options *o) {
  const strata_profile *p = s->profile;
  int first = 1;
  char title[512];
  if (o->title && *o->title)
    snprintf(title, sizeof title, "%s", o->title);
  else
    snprintf(title, sizeof title, "Customer segments of %s", o->input);
  fputc('{', f);
  key(f, &first, "title");
  strata_json_string(f, title);
  key(f, &first, "input");
  strata_json_string(f, o->input);
  key(f, &first, "currency");
  strata_json_string(f, o->currency ? o->currency : "");
  key(f, &first, "version");
  strata_json_string(f, strata_version());
  fprintf(f, ",\"n\":%lld,\"k\":%lld,\"dc\":%lld,\"from_log\":%s", (long long)s->n, (long long)s->k,
          (long long)p->dc, s->from_log ? "true" : "false");
  key(f, &first, "transactions");
  strata_json_string(f, s->transactions ? s->transactions : "none");
  write_period(f, &first, s, o);
  write_k_choice(f, &first, s);
  key(f, &first, "names");
  strings(f, (const char *const *)p->names, p->k);
  key(f, &first, "features");
  strings(f, (const char *const *)p->feature_names, p->d);
  key(f, &first, "size");
  strata_json_array(f, p->count, p->k, 1);
  key(f, &first, "share");
  strata_json_array(f, p->share, p->k, 1);
  key(f, &first, "mean");
  array_rows(f, p->mean, p->k, p->d);
  key(f, &first, "median");
  array_rows(f, p->median, p->k, p->d);
  key(f, &first, "z");
  array_rows(f, p->z, p->k, p->d);
  key(f, &first, "base_mean");
  strata_json_array(f, p->base_mean, p->d, 1);
  write_value(f, &first, p);
  write_stability(f, &first, s);
  write_actions(f, &first, s);
  write_lenses(f, &first, s);
  write_nominal(f, &first, p);
  key(f, &first, "linkage");
  if (s->linkage && s->k > 1)
    array_rows(f, s->linkage, s->k - 1, 4);
  else
    fputs("null", f);
  key(f, &first, "explained");
  strata_json_array(f, s->explained, 2, 1);
  key(f, &first, "points");
  fputc('[', f);
  /* A point that is not finite is left out: JSON has no NaN, and it would not plot. */
  int any = 0;
  for (int64_t i = 0; i < s->m; i++) {
    const double x = s->projection[2 * i], y = s->projection[2 * i + 1];
    if (!isfinite(x) || !isfinite(y)) continue;
    fprintf(f, "%s[%.4g,%.4g,%d]", any ? "," : "", x, y, s->projection_label[i]);
    any = 1;
  }
  fputs("]}", f);
}
