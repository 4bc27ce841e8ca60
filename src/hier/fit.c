/*
 * strata_hier_fit: checks, the choice of algorithm per method (see strata.h), the memory
 * budget check before any O(n^2) matrix, SciPy's linkage layout, and the two-stage path.
 *
 * Two-stage (micro = M): k-means to M micro-clusters (O(n M d) per iteration), then exact
 * linkage of the micro-cluster means with their sizes as weights (O(M^2 d)), then every row
 * follows its micro-cluster: memory O(n d + M d), so millions of rows fit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hier/hier_internal.h"

static const char *const method_names[] = {"single", "complete", "average", "weighted",
                                           "ward",   "centroid", "median"};
#define N_METHODS 7

const char *strata_hier_method_name(strata_hier_method method) {
  if ((int)method < 0 || (int)method >= N_METHODS) return "unknown";
  return method_names[method];
}

int strata_hier_method_from_name(const char *name, strata_hier_method *out) {
  if (name == NULL) return 0;
  for (int i = 0; i < N_METHODS; i++)
    if (strcmp(name, method_names[i]) == 0) {
      *out = (strata_hier_method)i;
      return 1;
    }
  return 0;
}

void strata_hier_params_init(strata_hier_params *params) {
  memset(params, 0, sizeof *params);
  params->method = STRATA_HIER_WARD;
  params->micro_max_iter = 25;
}

void hier_pack(int64_t n, int64_t d, const double *x, double *packed) {
  strata_k_pack_centers_f64(n, d, x, d, packed);
}

/* Stable order of merges by height: equal heights keep the order they were found in. */
static int cmp_merge(const void *pa, const void *pb) {
  const hier_merge *a = pa, *b = pb;
  if (a->height < b->height) return -1;
  if (a->height > b->height) return 1;
  return (a->a > b->a) - (a->a < b->a); /* a holds the original position here */
}

strata_status hier_build_linkage(strata_ctx *ctx, int64_t n, hier_merge *merges, int sorted,
                                 double *Z) {
  strata_status st = STRATA_OK;
  int64_t *parent = NULL, *size = NULL, *pos = NULL;
  hier_merge *order = NULL;
  STRATA_TRY(strata_alloc(ctx, (size_t)(2 * n - 1), sizeof(int64_t), "linkage: union-find",
                          (void **)&parent));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)(2 * n - 1), sizeof(int64_t), "linkage: sizes", (void **)&size));
  for (int64_t i = 0; i < 2 * n - 1; i++) {
    parent[i] = -1;
    size[i] = i < n ? 1 : 0;
  }
  if (!sorted) {
    /* Sort (height, position) pairs: a stable sort without a stable qsort. */
    STRATA_TRY(
        strata_alloc(ctx, (size_t)(n - 1), sizeof(hier_merge), "linkage: order", (void **)&order));
    for (int64_t i = 0; i < n - 1; i++) {
      order[i].a = i;
      order[i].b = 0;
      order[i].height = merges[i].height;
    }
    qsort(order, (size_t)(n - 1), sizeof *order, cmp_merge);
  }
  for (int64_t i = 0; i < n - 1; i++) {
    const hier_merge *m = sorted ? &merges[i] : &merges[order[i].a];
    int64_t a = m->a, b = m->b;
    if (!sorted) {
      /* Find with path compression: the current cluster of each point. */
      int64_t r = a;
      while (parent[r] >= 0) r = parent[r];
      while (parent[a] >= 0) {
        int64_t next = parent[a];
        parent[a] = r;
        a = next;
      }
      a = r;
      r = b;
      while (parent[r] >= 0) r = parent[r];
      while (parent[b] >= 0) {
        int64_t next = parent[b];
        parent[b] = r;
        b = next;
      }
      b = r;
      parent[a] = parent[b] = n + i;
    }
    STRATA_FAIL_IF(a == b || a < 0 || b < 0 || a >= n + i || b >= n + i, ctx, STRATA_ERR_INTERNAL,
                   "linkage: merge %lld joins clusters %lld and %lld", (long long)i, (long long)a,
                   (long long)b);
    if (a > b) {
      int64_t tmp = a;
      a = b;
      b = tmp;
    }
    size[n + i] = size[a] + size[b];
    Z[4 * i + 0] = (double)a;
    Z[4 * i + 1] = (double)b;
    Z[4 * i + 2] = m->height;
    Z[4 * i + 3] = (double)size[n + i];
  }
cleanup:
  strata_free(parent);
  strata_free(size);
  strata_free(pos);
  strata_free(order);
  return st;
}

/* Exact linkage of n dense float64 rows. */
static strata_status exact_linkage(strata_ctx *ctx, strata_hier_method method, int ward_matrix,
                                   int64_t n, int64_t d, const double *x, const double *weights,
                                   double *Z, const char **algorithm) {
  strata_status st = STRATA_OK;
  hier_merge *merges = NULL;
  const uint64_t need = hier_matrix_bytes(method, ward_matrix, n);
  if (need > 0 && need > strata_ctx_memory_budget(ctx)) {
    return strata_fail(
        ctx, STRATA_ERR_BUDGET,
        "%s linkage of %lld rows stores a %.2f GiB distance matrix, over the memory budget of "
        "%.2f GiB: use the two-stage path (--micro M: k-means to M micro-clusters, then exact "
        "%s linkage of their centres), or raise --memory",
        strata_hier_method_name(method), (long long)n, (double)need / 1073741824.0,
        (double)strata_ctx_memory_budget(ctx) / 1073741824.0, strata_hier_method_name(method));
  }
  STRATA_TRY(
      strata_alloc(ctx, (size_t)(n - 1), sizeof(hier_merge), "linkage: merges", (void **)&merges));
  int sorted = 0;
  double t0 = strata_now();
  switch (method) {
    case STRATA_HIER_SINGLE:
      *algorithm = "mst";
      STRATA_TRY(hier_mst(ctx, n, d, x, merges));
      break;
    case STRATA_HIER_WARD:
      if (!ward_matrix) {
        *algorithm = "nn-chain-vector";
        STRATA_TRY(hier_nnchain_ward(ctx, n, d, x, weights, merges));
        break;
      }
      /* fall through */
    case STRATA_HIER_COMPLETE:
    case STRATA_HIER_AVERAGE:
    case STRATA_HIER_WEIGHTED:
      *algorithm = "nn-chain-matrix";
      STRATA_TRY(hier_nnchain_matrix(ctx, method, n, d, x, weights, merges));
      break;
    case STRATA_HIER_CENTROID:
    case STRATA_HIER_MEDIAN:
      *algorithm = "generic";
      sorted = 1;
      STRATA_TRY(hier_generic(ctx, method, n, d, x, weights, merges));
      break;
  }
  strata_phase_add(ctx, "linkage", strata_now() - t0);
  STRATA_TRY(hier_build_linkage(ctx, n, merges, sorted, Z));
cleanup:
  strata_free(merges);
  return st;
}

/* Dense float64 copy of x (the algorithms read rows of doubles). */
static strata_status to_f64(strata_ctx *ctx, const strata_matrix *x, double **out) {
  strata_status st = STRATA_OK;
  double *y = NULL;
  STRATA_TRY(strata_alloc(ctx, (size_t)x->n * (size_t)x->d, sizeof(double),
                          "hierarchical clustering: float64 copy of the rows", (void **)&y));
  for (int64_t i = 0; i < x->n; i++) {
    double *yi = y + i * x->d;
    if (x->dtype == STRATA_F64) {
      memcpy(yi, (const double *)x->data + i * x->ld, (size_t)x->d * sizeof(double));
    } else {
      const float *xi = (const float *)x->data + i * x->ld;
      for (int64_t t = 0; t < x->d; t++) yi[t] = xi[t];
    }
  }
  *out = y;
cleanup:
  return st;
}

/* Two-stage: micro-clusters by k-means, exact means and sizes from the final labels. */
static strata_status micro_stage(strata_ctx *ctx, const strata_matrix *x,
                                 const strata_hier_params *p, strata_hier *h) {
  strata_status st = STRATA_OK;
  strata_kmeans *km = NULL;
  double *sums = NULL;
  int64_t *remap = NULL;
  const int64_t n = x->n, d = x->d;
  const int64_t k = p->micro < n ? p->micro : n;
  strata_kmeans_params kp;
  strata_kmeans_params_init(&kp);
  kp.k = k;
  kp.init = STRATA_KMEANS_INIT_RANDOM;
  kp.refine = 0;
  kp.seed = p->seed;
  kp.max_iter = p->micro_max_iter;
  kp.weights = NULL;
  STRATA_TRY(strata_kmeans_fit(ctx, x, &kp, &km));
  const double t0 = strata_now();
  const int32_t *lab = strata_kmeans_labels(km);
  STRATA_TRY(strata_calloc(ctx, (size_t)k * (size_t)(d + 1), sizeof(double),
                           "two-stage: micro-cluster sums", (void **)&sums));
  STRATA_TRY(strata_alloc(ctx, (size_t)k, sizeof(int64_t), "two-stage: ids", (void **)&remap));
  /* Row order: the means do not depend on the thread count. */
  for (int64_t i = 0; i < n; i++) {
    double *s = sums + (int64_t)lab[i] * (d + 1);
    if (x->dtype == STRATA_F64) {
      const double *xi = (const double *)x->data + i * x->ld;
      for (int64_t t = 0; t < d; t++) s[t] += xi[t];
    } else {
      const float *xi = (const float *)x->data + i * x->ld;
      for (int64_t t = 0; t < d; t++) s[t] += xi[t];
    }
    s[d] += 1;
  }
  /* Empty micro-clusters (possible when k-means stops early) are dropped. */
  int64_t m = 0;
  for (int64_t j = 0; j < k; j++) remap[j] = sums[j * (d + 1) + d] > 0 ? m++ : -1;
  STRATA_FAIL_IF(m < 2, ctx, STRATA_ERR_DATA,
                 "two-stage: k-means left fewer than 2 non-empty micro-clusters (the rows are "
                 "all equal?)");
  STRATA_TRY(strata_alloc(ctx, (size_t)m * (size_t)d, sizeof(double),
                          "two-stage: micro-cluster centres", (void **)&h->micro_centers));
  STRATA_TRY(strata_alloc(ctx, (size_t)m, sizeof(double), "two-stage: micro-cluster sizes",
                          (void **)&h->micro_sizes));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "two-stage: micro labels",
                          (void **)&h->micro_labels));
  for (int64_t j = 0; j < k; j++) {
    if (remap[j] < 0) continue;
    const double *s = sums + j * (d + 1);
    for (int64_t t = 0; t < d; t++) h->micro_centers[remap[j] * d + t] = s[t] / s[d];
    h->micro_sizes[remap[j]] = s[d];
  }
  for (int64_t i = 0; i < n; i++) h->micro_labels[i] = (int32_t)remap[lab[i]];
  h->leaves = m;
  strata_phase_add(ctx, "micro-cluster means", strata_now() - t0);
cleanup:
  strata_kmeans_free(km);
  strata_free(sums);
  strata_free(remap);
  return st;
}

strata_status strata_hier_fit(strata_ctx *ctx, const strata_matrix *x,
                              const strata_hier_params *params, strata_hier **out) {
  strata_status st = STRATA_OK;
  strata_hier *h = NULL;
  double *xd = NULL;
  STRATA_FAIL_IF(out == NULL || x == NULL || params == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_hier_fit: NULL argument");
  *out = NULL;
  STRATA_FAIL_IF((int)params->method < 0 || (int)params->method >= N_METHODS, ctx, STRATA_ERR_USAGE,
                 "unknown linkage method %d (expected single, complete, average, weighted, "
                 "ward, centroid or median)",
                 (int)params->method);
  STRATA_FAIL_IF(x->dtype != STRATA_F32 && x->dtype != STRATA_F64, ctx, STRATA_ERR_USAGE,
                 "hierarchical clustering needs float32 or float64 rows, got %s",
                 strata_dtype_name(x->dtype));
  STRATA_FAIL_IF(x->n < 2, ctx, STRATA_ERR_USAGE,
                 "hierarchical clustering needs at least 2 rows, got %lld", (long long)x->n);
  STRATA_FAIL_IF(x->d < 1, ctx, STRATA_ERR_USAGE,
                 "hierarchical clustering needs at least 1 column, got %lld", (long long)x->d);
  STRATA_FAIL_IF(x->ld < x->d, ctx, STRATA_ERR_USAGE, "matrix ld %lld < d %lld", (long long)x->ld,
                 (long long)x->d);
  STRATA_FAIL_IF(x->n > INT32_MAX, ctx, STRATA_ERR_USAGE,
                 "hierarchical clustering of %lld rows: at most %d rows (int32 labels)",
                 (long long)x->n, INT32_MAX);
  STRATA_FAIL_IF(params->micro < 0, ctx, STRATA_ERR_USAGE,
                 "--micro must be positive (0 for exact), got %lld", (long long)params->micro);
  STRATA_FAIL_IF(params->micro == 1, ctx, STRATA_ERR_USAGE,
                 "--micro must be at least 2 micro-clusters, got 1");
  STRATA_FAIL_IF(params->micro > 0 && params->weights != NULL, ctx, STRATA_ERR_USAGE,
                 "two-stage (--micro) takes no weights: the micro-cluster sizes are the weights");
  STRATA_TRY(strata_check_finite(ctx, x, 0, "input", "rows"));
  if (params->weights != NULL)
    for (int64_t i = 0; i < x->n; i++)
      STRATA_FAIL_IF(!(params->weights[i] > 0) || !isfinite(params->weights[i]), ctx,
                     STRATA_ERR_DATA, "weight of row %lld is %g: sizes must be positive",
                     (long long)i, params->weights[i]);
  STRATA_TRY(strata_calloc(ctx, 1, sizeof *h, "hierarchical clustering result", (void **)&h));
  h->method = params->method;
  h->rows = x->n;
  h->d = x->d;
  h->leaves = x->n;
  const double *weights = params->weights;
  if (params->micro > 0) {
    STRATA_TRY(micro_stage(ctx, x, params, h));
    weights = h->micro_sizes;
    STRATA_TRY(strata_alloc(ctx, (size_t)h->leaves * (size_t)h->d, sizeof(double),
                            "two-stage: centres", (void **)&xd));
    memcpy(xd, h->micro_centers, (size_t)(h->leaves * h->d) * sizeof(double));
  } else {
    STRATA_TRY(to_f64(ctx, x, &xd));
  }
  STRATA_TRY(strata_alloc(ctx, (size_t)(h->leaves - 1) * 4, sizeof(double), "linkage matrix",
                          (void **)&h->Z));
  STRATA_TRY(exact_linkage(ctx, params->method, params->ward_matrix, h->leaves, h->d, xd, weights,
                           h->Z, &h->algorithm));
  *out = h;
  h = NULL;
cleanup:
  strata_free(xd);
  strata_hier_free(h);
  return st;
}

void strata_hier_free(strata_hier *tree) {
  if (tree == NULL) return;
  strata_free(tree->Z);
  strata_free(tree->micro_labels);
  strata_free(tree->micro_sizes);
  strata_free(tree->micro_centers);
  strata_free(tree);
}

int64_t strata_hier_leaves(const strata_hier *tree) { return tree->leaves; }
int64_t strata_hier_rows(const strata_hier *tree) { return tree->rows; }
strata_hier_method strata_hier_method_used(const strata_hier *tree) { return tree->method; }
const char *strata_hier_algorithm(const strata_hier *tree) { return tree->algorithm; }
const double *strata_hier_linkage(const strata_hier *tree) { return tree->Z; }
const int32_t *strata_hier_micro_labels(const strata_hier *tree) { return tree->micro_labels; }
const double *strata_hier_micro_sizes(const strata_hier *tree) { return tree->micro_sizes; }
const double *strata_hier_micro_centers(const strata_hier *tree) { return tree->micro_centers; }
