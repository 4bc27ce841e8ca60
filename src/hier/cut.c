/*
 * Flat cuts (SciPy's fcluster, "distance" and "maxclust"), dendrogram leaf order (leaves_list)
 * and the cophenetic correlation (cophenet) of a linkage matrix in SciPy's layout.
 *
 * Cuts follow scipy/cluster/_hierarchy.pyx: each merge gets the largest height in its subtree
 * (MC, which makes non-monotone trees well defined); a flat cluster is a maximal subtree with
 * MC <= cutoff, numbered in SciPy's depth-first order. "maxclust" binary-searches the
 * cutoff among the MC values by row index, as SciPy does, then also tries row 0, which SciPy
 * never tests (the cause of its k >= n - 1 off-by-one). O(n) per cut, O(n log n) for maxclust.
 *
 * The cophenetic correlation visits every pair once without storing any: in leaf order every
 * subtree is an interval, so for a leaf a the leaves b > a split into the right-sibling
 * intervals of the ancestors of a (the pair's cophenetic distance is that ancestor's height).
 * One SIMD distance row per leaf: O(n^2 d) time, O(n d) memory; rows are summed in fixed
 * blocks, so the result does not depend on the thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/driver.h"
#include "hier/hier_internal.h"

/* Checks the ids of Z: children are earlier clusters, each used once. */
static strata_status check_linkage(strata_ctx *ctx, const double *Z, int64_t n) {
  strata_status st = STRATA_OK;
  uint8_t *used = NULL;
  STRATA_FAIL_IF(n < 2, ctx, STRATA_ERR_USAGE, "a linkage needs at least 2 leaves, got %lld",
                 (long long)n);
  STRATA_TRY(strata_calloc(ctx, (size_t)(2 * n - 1), 1, "linkage check", (void **)&used));
  for (int64_t i = 0; i < n - 1; i++) {
    for (int c = 0; c < 2; c++) {
      const double v = Z[4 * i + c];
      STRATA_FAIL_IF(!(v >= 0) || v >= (double)(n + i) || v != floor(v), ctx, STRATA_ERR_DATA,
                     "linkage row %lld: cluster id %g is not an earlier cluster", (long long)i, v);
      const int64_t id = (int64_t)v;
      STRATA_FAIL_IF(used[id], ctx, STRATA_ERR_DATA,
                     "linkage row %lld: cluster %lld is merged twice", (long long)i, (long long)id);
      used[id] = 1;
    }
    STRATA_FAIL_IF(isnan(Z[4 * i + 2]) || Z[4 * i + 2] < 0, ctx, STRATA_ERR_DATA,
                   "linkage row %lld: height %g", (long long)i, Z[4 * i + 2]);
  }
cleanup:
  strata_free(used);
  return st;
}

typedef struct cut_work {
  const double *Z;
  int64_t n;
  const double *MC;
  int64_t *stack;
  uint8_t *visited;
} cut_work;

/* Depth-first walk from the root in SciPy's order (cluster_monocrit: non-leaf children first,
 * left before right, then the leaf children), so that labels are numbered as fcluster numbers
 * them; labels the leaves when `labels` is not NULL. Returns the number of clusters, stopping
 * early once it exceeds `limit`. */
static int64_t walk(cut_work *w, double cutoff, int32_t *labels, int64_t limit) {
  const double *Z = w->Z;
  const int64_t n = w->n;
  memset(w->visited, 0, (size_t)(2 * n - 1));
  int64_t k = 0, leader = -1, nc = 0;
  w->stack[0] = 2 * n - 2;
  while (k >= 0) {
    const int64_t root = w->stack[k] - n;
    const int64_t lc = (int64_t)Z[4 * root], rc = (int64_t)Z[4 * root + 1];
    if (leader == -1 && w->MC[root] <= cutoff) {
      leader = root;
      if (++nc > limit) return nc;
    }
    if (lc >= n && !w->visited[lc]) {
      w->visited[lc] = 1;
      w->stack[++k] = lc;
      continue;
    }
    if (rc >= n && !w->visited[rc]) {
      w->visited[rc] = 1;
      w->stack[++k] = rc;
      continue;
    }
    if (lc < n) {
      if (leader == -1 && ++nc > limit) return nc;
      if (labels) labels[lc] = (int32_t)(nc - 1);
    }
    if (rc < n) {
      if (leader == -1 && ++nc > limit) return nc;
      if (labels) labels[rc] = (int32_t)(nc - 1);
    }
    if (leader == root) leader = -1;
    k--;
  }
  return nc;
}

strata_status strata_linkage_cut(strata_ctx *ctx, const double *Z, int64_t leaves,
                                 strata_hier_cut criterion, double value, int32_t *labels,
                                 int64_t *count) {
  strata_status st = STRATA_OK;
  cut_work w = {Z, leaves, NULL, NULL, NULL};
  double *MC = NULL;
  STRATA_FAIL_IF(isnan(value), ctx, STRATA_ERR_USAGE, "cut: the cutoff is NaN");
  STRATA_FAIL_IF(criterion == STRATA_HIER_CUT_MAXCLUST && value < 1, ctx, STRATA_ERR_USAGE,
                 "cut: the number of clusters must be at least 1, got %g", value);
  STRATA_FAIL_IF(criterion != STRATA_HIER_CUT_MAXCLUST && criterion != STRATA_HIER_CUT_DISTANCE,
                 ctx, STRATA_ERR_USAGE, "cut: unknown criterion %d", (int)criterion);
  STRATA_TRY(check_linkage(ctx, Z, leaves));
  const int64_t n = leaves;
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(double), "cut: subtree heights", (void **)&MC));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "cut: stack", (void **)&w.stack));
  STRATA_TRY(strata_alloc(ctx, (size_t)(2 * n - 1), 1, "cut: visited", (void **)&w.visited));
  for (int64_t i = 0; i < n - 1; i++) {
    double m = Z[4 * i + 2];
    for (int c = 0; c < 2; c++) {
      const int64_t id = (int64_t)Z[4 * i + c];
      if (id >= n && MC[id - n] > m) m = MC[id - n];
    }
    MC[i] = m;
  }
  MC[n - 1] = HUGE_VAL; /* never a cutoff but for n = 2 (then: one cluster) */
  w.MC = MC;
  double cutoff = value;
  if (criterion == STRATA_HIER_CUT_MAXCLUST) {
    const int64_t k = value >= (double)n ? n : (int64_t)value;
    if (k >= n) {
      cutoff = -HUGE_VAL; /* every leaf alone */
    } else {
      int64_t lower = 0, upper = n - 1;
      while (upper - lower > 1) {
        const int64_t i = (lower + upper) >> 1;
        if (walk(&w, MC[i], NULL, k) > k)
          lower = i;
        else
          upper = i;
      }
      cutoff = MC[upper];
      if (lower == 0 && walk(&w, MC[0], NULL, k) <= k) cutoff = MC[0];
    }
  }
  const int64_t nc = walk(&w, cutoff, labels, INT64_MAX);
  if (count) *count = nc;
cleanup:
  strata_free(MC);
  strata_free(w.stack);
  strata_free(w.visited);
  return st;
}

strata_status strata_linkage_leaf_order(strata_ctx *ctx, const double *Z, int64_t leaves,
                                        int32_t *order) {
  strata_status st = STRATA_OK;
  int64_t *stack = NULL;
  STRATA_TRY(check_linkage(ctx, Z, leaves));
  const int64_t n = leaves;
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "leaf order: stack", (void **)&stack));
  int64_t top = 0, out = 0;
  stack[top++] = 2 * n - 2;
  while (top > 0) {
    const int64_t id = stack[--top];
    if (id < n) {
      order[out++] = (int32_t)id;
    } else {
      stack[top++] = (int64_t)Z[4 * (id - n) + 1]; /* right after left */
      stack[top++] = (int64_t)Z[4 * (id - n)];
    }
  }
cleanup:
  strata_free(stack);
  return st;
}

typedef struct coph_arg {
  const strata_hier_kernels *kt;
  int64_t n, d;
  const double *xo, *packed;   /* rows in leaf order, and packed */
  const int64_t *parent;       /* parent cluster id of each id (2n - 1), -1 for the root */
  const int64_t *first, *size; /* leaf-order interval of each id */
  const double *Z;
  double *rows; /* one row buffer per block */
  int64_t row_len;
} coph_arg;

static void coph_rows(void *p, int64_t block, int64_t begin, int64_t end, double *partial) {
  const coph_arg *a = p;
  double *row = a->rows + block * a->row_len;
  const int64_t n = a->n;
  for (int64_t i = begin; i < end; i++) {
    /* Leaf ids were renumbered to their positions in the leaf order (see Zp). */
    const int64_t p0 = (i + 1) / STRATA_H_W;
    a->kt->sqdist_row(a->d, a->xo + i * a->d, a->packed, p0, hier_panels(n), row);
    double sd = 0, sdd = 0, sdc = 0;
    for (int64_t j = i + 1; j < n; j++) {
      const double v = sqrt(row[j - p0 * STRATA_H_W]);
      row[j - p0 * STRATA_H_W] = v;
      sd += v;
      sdd += v * v;
    }
    /* Ancestors where position i lies in the left child: their right child's interval. */
    int64_t id = i;
    for (int64_t par = a->parent[id]; par >= 0; id = par, par = a->parent[id]) {
      const int64_t r = par - n;
      const int64_t lc = (int64_t)a->Z[4 * r];
      if (lc != id) continue;
      const int64_t rc = (int64_t)a->Z[4 * r + 1];
      const double h = a->Z[4 * r + 2];
      double s = 0;
      for (int64_t j = a->first[rc]; j < a->first[rc] + a->size[rc]; j++)
        s += row[j - p0 * STRATA_H_W];
      sdc += h * s;
    }
    partial[0] += sd;
    partial[1] += sdd;
    partial[2] += sdc;
  }
}

strata_status strata_linkage_cophenetic(strata_ctx *ctx, const double *Z, const strata_matrix *x,
                                        double *correlation) {
  strata_status st = STRATA_OK;
  int32_t *order = NULL;
  int64_t *parent = NULL, *first = NULL, *size = NULL, *pos = NULL;
  double *xo = NULL, *packed = NULL, *rows = NULL, *Zp = NULL;
  const int64_t n = x->n, d = x->d;
  STRATA_FAIL_IF(x->dtype != STRATA_F32 && x->dtype != STRATA_F64, ctx, STRATA_ERR_USAGE,
                 "cophenetic correlation needs float32 or float64 rows");
  STRATA_TRY(check_linkage(ctx, Z, n));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int32_t), "cophenet: order", (void **)&order));
  STRATA_TRY(strata_linkage_leaf_order(ctx, Z, n, order));
  const int64_t ids = 2 * n - 1;
  STRATA_TRY(
      strata_alloc(ctx, (size_t)ids, sizeof(int64_t), "cophenet: parents", (void **)&parent));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)ids, sizeof(int64_t), "cophenet: intervals", (void **)&first));
  STRATA_TRY(strata_alloc(ctx, (size_t)ids, sizeof(int64_t), "cophenet: sizes", (void **)&size));
  STRATA_TRY(strata_alloc(ctx, (size_t)n, sizeof(int64_t), "cophenet: positions", (void **)&pos));
  STRATA_TRY(
      strata_alloc(ctx, (size_t)(n - 1) * 4, sizeof(double), "cophenet: linkage", (void **)&Zp));
  /* Renumber leaves to their positions in the leaf order, so that ids are positions. */
  for (int64_t i = 0; i < n; i++) pos[order[i]] = i;
  for (int64_t i = 0; i < n - 1; i++) {
    for (int c = 0; c < 2; c++) {
      const int64_t id = (int64_t)Z[4 * i + c];
      Zp[4 * i + c] = (double)(id < n ? pos[id] : id);
    }
    Zp[4 * i + 2] = Z[4 * i + 2];
    Zp[4 * i + 3] = Z[4 * i + 3];
  }
  for (int64_t i = 0; i < ids; i++) parent[i] = -1;
  for (int64_t i = 0; i < n; i++) {
    first[i] = i;
    size[i] = 1;
  }
  double sc = 0, scc = 0;
  for (int64_t i = 0; i < n - 1; i++) {
    const int64_t lc = (int64_t)Zp[4 * i], rc = (int64_t)Zp[4 * i + 1];
    parent[lc] = parent[rc] = n + i;
    first[n + i] = first[lc] < first[rc] ? first[lc] : first[rc];
    size[n + i] = size[lc] + size[rc];
    const double pairs = (double)size[lc] * (double)size[rc], h = Zp[4 * i + 2];
    sc += h * pairs;
    scc += h * h * pairs;
  }
  STRATA_TRY(strata_alloc(ctx, (size_t)(n * d), sizeof(double), "cophenet: rows in leaf order",
                          (void **)&xo));
  for (int64_t i = 0; i < n; i++)
    for (int64_t t = 0; t < d; t++) {
      const int64_t src = (int64_t)order[i] * x->ld + t;
      xo[i * d + t] = x->dtype == STRATA_F64 ? ((const double *)x->data)[src]
                                             : (double)((const float *)x->data)[src];
    }
  const int64_t np = hier_panels(n);
  STRATA_TRY(strata_alloc(ctx, (size_t)(np * (d + 2) * STRATA_H_W), sizeof(double),
                          "cophenet: packed rows", (void **)&packed));
  hier_pack(n, d, xo, packed);
  /* A fixed number of blocks (not a function of the thread count, so the sums are added in
   * the same order for any thread count), each with its own row buffer. */
  int64_t block_rows = (n + 63) / 64;
  if (block_rows < 16) block_rows = 16;
  const int64_t blocks = strata_block_count(n, block_rows);
  STRATA_TRY(strata_alloc(ctx, (size_t)(blocks * np * STRATA_H_W), sizeof(double),
                          "cophenet: row buffers", (void **)&rows));
  coph_arg ca = {
      strata_hier_kernels_get(), n, d, xo, packed, parent, first, size, Zp, rows, np * STRATA_H_W};
  double sums[3];
  STRATA_TRY(
      strata_for_blocks(ctx, "cophenetic correlation", n, block_rows, 3, coph_rows, &ca, sums));
  const double N = (double)n * (double)(n - 1) / 2;
  const double cov = sums[2] - sums[0] * sc / N;
  const double vd = sums[1] - sums[0] * sums[0] / N, vc = scc - sc * sc / N;
  *correlation = cov / sqrt(vd * vc);
cleanup:
  strata_free(order);
  strata_free(parent);
  strata_free(first);
  strata_free(size);
  strata_free(pos);
  strata_free(xo);
  strata_free(packed);
  strata_free(rows);
  strata_free(Zp);
  return st;
}

strata_status strata_hier_cut_rows(strata_ctx *ctx, const strata_hier *tree,
                                   strata_hier_cut criterion, double value, int32_t *labels,
                                   int64_t *count) {
  strata_status st = STRATA_OK;
  int32_t *leaf = NULL;
  if (tree->micro_labels == NULL)
    return strata_linkage_cut(ctx, tree->Z, tree->leaves, criterion, value, labels, count);
  STRATA_TRY(strata_alloc(ctx, (size_t)tree->leaves, sizeof(int32_t), "cut: micro labels",
                          (void **)&leaf));
  STRATA_TRY(strata_linkage_cut(ctx, tree->Z, tree->leaves, criterion, value, leaf, count));
  for (int64_t i = 0; i < tree->rows; i++) labels[i] = leaf[tree->micro_labels[i]];
cleanup:
  strata_free(leaf);
  return st;
}
