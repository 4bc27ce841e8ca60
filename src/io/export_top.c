/* Bounded min-heap of the best CLV rows; see export_top.h. */
#include "io/export_top.h"

#include <math.h>
#include <stdlib.h>

int strata_export_row_better(const strata_export_row *a, const strata_export_row *b) {
  int an = isnan(a->clv), bn = isnan(b->clv);
  if (an != bn) return bn;
  if (!an && a->clv != b->clv) return a->clv > b->clv;
  return a->account_id < b->account_id;
}

strata_status strata_export_top_init(strata_ctx *ctx, strata_export_top *t, int64_t cap) {
  t->n = 0;
  t->cap = cap;
  t->heap = NULL;
  return strata_alloc(ctx, (size_t)(cap > 0 ? cap : 1), sizeof *t->heap, "--top heap",
                      (void **)&t->heap);
}

static void swap_rows(strata_export_row *a, strata_export_row *b) {
  strata_export_row tmp = *a;
  *a = *b;
  *b = tmp;
}

/* Min-heap on "better": the root is the row every other row beats. */
static void sift_down(strata_export_row *h, int64_t n, int64_t i) {
  for (;;) {
    int64_t l = 2 * i + 1, r = l + 1, w = i;
    if (l < n && strata_export_row_better(&h[w], &h[l])) w = l;
    if (r < n && strata_export_row_better(&h[w], &h[r])) w = r;
    if (w == i) return;
    swap_rows(&h[i], &h[w]);
    i = w;
  }
}

void strata_export_top_offer(strata_export_top *t, const strata_export_row *row) {
  if (t->cap <= 0) return;
  if (t->n < t->cap) {
    int64_t i = t->n++;
    t->heap[i] = *row;
    while (i > 0) {
      int64_t p = (i - 1) / 2;
      if (!strata_export_row_better(&t->heap[p], &t->heap[i])) break;
      swap_rows(&t->heap[p], &t->heap[i]);
      i = p;
    }
  } else if (strata_export_row_better(row, &t->heap[0])) {
    t->heap[0] = *row;
    sift_down(t->heap, t->n, 0);
  }
}

void strata_export_top_sort(strata_export_top *t) {
  /* Heapsort in place: popping the weakest to the end leaves the best first. */
  for (int64_t end = t->n - 1; end > 0; end--) {
    swap_rows(&t->heap[0], &t->heap[end]);
    sift_down(t->heap, end, 0);
  }
}

void strata_export_top_free(strata_export_top *t) {
  strata_free(t->heap);
  t->heap = NULL;
  t->n = t->cap = 0;
}
