/* Batch scoring and re-validation of a saved segmentation; see score.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/agreement.h"
#include "segment/score.h"

void strata_segment_model_release(strata_segment_model *m) {
  if (m == NULL) return;
  strata_transform_free(m->transform);
  strata_buffer_free(m->centers);
  free(m->names);
  strata_buffer_free(m->train_share);
  memset(m, 0, sizeof *m);
}

strata_status strata_segment_model_read(strata_ctx *ctx, const char *path,
                                        strata_segment_model *m) {
  strata_status st = STRATA_OK;
  strata_h5_file *f = NULL;
  strata_matrix centers = {0};
  memset(m, 0, sizeof *m);
  STRATA_TRY(strata_h5_open(ctx, path, &f));
  STRATA_FAIL_IF(!strata_h5_exists(f, "/model/centers"), ctx, STRATA_ERR_DATA,
                 "%s holds no segmentation model (/model/centers is missing); make one with "
                 "`strata segment`",
                 path);
  STRATA_TRY(strata_transform_read(ctx, f, "/model/transform", &m->transform));
  STRATA_TRY(strata_h5_read_matrix(ctx, f, "/model/centers", STRATA_TYPES_FLOAT, &centers));
  STRATA_FAIL_IF(centers.dtype != STRATA_F64 || centers.d != m->transform->d_out, ctx,
                 STRATA_ERR_DATA,
                 "%s: /model/centers is %lld x %lld, the transform keeps %lld columns", path,
                 (long long)centers.n, (long long)centers.d, (long long)m->transform->d_out);
  m->k = centers.n;
  m->centers = centers.data;
  centers.data = NULL;
  int64_t count = 0;
  STRATA_TRY(strata_h5_read_strings(ctx, f, "/model/segment_names", &m->names, &count));
  STRATA_FAIL_IF(count != m->k, ctx, STRATA_ERR_DATA, "%s: %lld segment names for %lld centres",
                 path, (long long)count, (long long)m->k);
  STRATA_TRY(strata_h5_read_vector(ctx, f, "/model/train_share", STRATA_TYPES_FLOAT, m->k,
                                   STRATA_F64, (void **)&m->train_share));
  double uses_clv = 0;
  STRATA_TRY(strata_h5_read_attr_double(ctx, f, "/model", "uses_clv", &uses_clv));
  m->uses_clv = uses_clv != 0;
  strata_clv_run_params_init(&m->clv_params);
  if (m->uses_clv) {
    STRATA_TRY(strata_clv_model_read(ctx, f, "/model/clv", &m->clv));
    double months = 0;
    STRATA_TRY(
        strata_h5_read_attr_double(ctx, f, "/model/clv", "horizon", &m->clv_params.score.horizon));
    STRATA_TRY(strata_h5_read_attr_double(ctx, f, "/model/clv", "discount_rate",
                                          &m->clv_params.score.discount_rate));
    STRATA_TRY(strata_h5_read_attr_double(ctx, f, "/model/clv", "clv_months", &months));
    STRATA_TRY(strata_h5_read_attr_double(ctx, f, "/model/clv", "clv_period_length",
                                          &m->clv_params.score.clv_period_length));
    m->clv_params.score.clv_periods = (int)months;
    m->clv_params.unit_days = m->clv.unit_days;
  }
cleanup:
  strata_matrix_release(&centers);
  strata_h5_close(f);
  if (st != STRATA_OK) strata_segment_model_release(m);
  return st;
}

void strata_segment_scores_release(strata_segment_scores *s) {
  if (s == NULL) return;
  strata_free(s->account_id);
  strata_free(s->labels);
  free(s->share);
  memset(s, 0, sizeof *s);
}

strata_status strata_segment_score(strata_ctx *ctx, const strata_segment_model *m, const char *in,
                                   int revalidate, uint64_t seed, strata_segment_scores *out) {
  strata_status st = STRATA_OK;
  strata_feature_table table;
  int64_t *columns = NULL;
  double *raw = NULL, *z = NULL;
  strata_kmeans *saved = NULL, *refit = NULL;
  memset(&table, 0, sizeof table);
  memset(out, 0, sizeof *out);
  const strata_transform *t = m->transform;
  STRATA_TRY(strata_feature_table_read(ctx, in, m->uses_clv, &m->clv_params,
                                       m->uses_clv ? &m->clv : NULL, &table));
  STRATA_FAIL_IF(m->uses_clv && table.values == NULL, ctx, STRATA_ERR_DATA,
                 "%s: the model uses CLV features but /transactions is missing", in);
  columns = malloc((size_t)t->d * sizeof *columns);
  STRATA_FAIL_IF(columns == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t j = 0; j < t->d; j++) {
    columns[j] = strata_feature_table_find(&table, t->names[j], strlen(t->names[j]));
    STRATA_FAIL_IF(columns[j] < 0, ctx, STRATA_ERR_DATA,
                   "%s: the model needs feature '%s', which the accounts do not have", in,
                   t->names[j]);
  }
  const int64_t n = table.n, dz = t->d_out;
  STRATA_TRY(strata_feature_table_columns(ctx, &table, columns, t->d, &raw));
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * dz), sizeof(double), "scaled features", (void **)&z));
  STRATA_TRY(strata_transform_apply(ctx, t, raw, n, z));
  double t0 = strata_now();
  STRATA_TRY(strata_kmeans_from_centers(ctx, m->centers, m->k, dz, STRATA_F64, &saved));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "labels", (void **)&out->labels));
  strata_matrix zm = {z, n, dz, dz, STRATA_F64};
  STRATA_TRY(strata_kmeans_predict(ctx, saved, &zm, out->labels, NULL));
  strata_phase_add(ctx, "assign", strata_now() - t0);
  out->n = n;
  out->account_id = table.account_id;
  table.account_id = NULL;
  out->share = calloc((size_t)m->k, sizeof *out->share);
  STRATA_FAIL_IF(out->share == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  for (int64_t i = 0; i < n; i++) out->share[out->labels[i]] += 1.0 / (double)n;
  out->psi = strata_population_stability(m->train_share, out->share, m->k);
  out->verdict = out->psi < 0.1    ? "stable"
                 : out->psi < 0.25 ? "moderate drift"
                                   : "significant drift";
  if (revalidate && n >= m->k) {
    strata_kmeans_params kp;
    strata_kmeans_params_init(&kp);
    kp.k = m->k;
    kp.seed = seed;
    STRATA_TRY(strata_kmeans_fit(ctx, &zm, &kp, &refit));
    out->revalidated = 1;
    out->refit_ari = strata_adjusted_rand(out->labels, strata_kmeans_labels(refit), n, m->k, m->k);
    /* The saved centres no longer describe the natural groups of the base. */
    if (out->refit_ari < 0.8 && out->psi < 0.25) out->verdict = "structure changed";
  }
cleanup:
  strata_feature_table_release(&table);
  free(columns);
  strata_free(raw);
  strata_free(z);
  strata_kmeans_free(saved);
  strata_kmeans_free(refit);
  if (st != STRATA_OK) strata_segment_scores_release(out);
  return st;
}
