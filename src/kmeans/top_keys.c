/* The rows with the largest keys; see top_keys.h. */
#include "kmeans/top_keys.h"

#include <math.h>
#include <stdlib.h>

/* a ranks below b: smaller key, or an equal key on a higher row */
#define RANKS_BELOW(a, b) (key[a] < key[b] || (key[a] == key[b] && (a) > (b)))

static int by_row(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int64_t km_top_keys(const double *key, int64_t n, int64_t s, int64_t *rows) {
  int64_t size = 0;
  for (int64_t i = 0; i < n && s > 0; i++) {
    if (key[i] == -INFINITY) continue;
    if (size < s) {
      int64_t pos = size++;
      rows[pos] = i;
      while (pos > 0 && RANKS_BELOW(rows[pos], rows[(pos - 1) / 2])) {
        int64_t up = (pos - 1) / 2, tmp = rows[pos];
        rows[pos] = rows[up];
        rows[up] = tmp;
        pos = up;
      }
    } else if (RANKS_BELOW(rows[0], i)) {
      rows[0] = i;
      for (int64_t pos = 0;;) {
        int64_t l = 2 * pos + 1, r = l + 1, m = pos;
        if (l < size && RANKS_BELOW(rows[l], rows[m])) m = l;
        if (r < size && RANKS_BELOW(rows[r], rows[m])) m = r;
        if (m == pos) break;
        int64_t tmp = rows[pos];
        rows[pos] = rows[m];
        rows[m] = tmp;
        pos = m;
      }
    }
  }
  /* Row order, so that callers do not depend on the heap's layout. */
  qsort(rows, (size_t)size, sizeof *rows, by_row);
  return size;
}
