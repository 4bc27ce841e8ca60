/* Adjusted Rand index and population stability index; see agreement.h. */
#include <math.h>
#include <stdlib.h>

#include "segment/agreement.h"

static double pairs(double m) { return m * (m - 1.0) / 2.0; }

double strata_adjusted_rand(const int32_t *a, const int32_t *b, int64_t n, int64_t ka, int64_t kb) {
  double *table = calloc((size_t)(ka * kb + ka + kb), sizeof *table);
  if (table == NULL) return NAN;
  double *rows = table + ka * kb, *cols = rows + ka;
  for (int64_t i = 0; i < n; i++) {
    table[(int64_t)a[i] * kb + b[i]] += 1.0;
    rows[a[i]] += 1.0;
    cols[b[i]] += 1.0;
  }
  double index = 0.0, sum_rows = 0.0, sum_cols = 0.0;
  for (int64_t c = 0; c < ka * kb; c++) index += pairs(table[c]);
  for (int64_t r = 0; r < ka; r++) sum_rows += pairs(rows[r]);
  for (int64_t c = 0; c < kb; c++) sum_cols += pairs(cols[c]);
  free(table);
  double expected = sum_rows * sum_cols / pairs((double)n);
  double max_index = 0.5 * (sum_rows + sum_cols);
  /* Both partitions trivial (one cluster each, or all singletons): identical by convention. */
  if (max_index == expected) return 1.0;
  return (index - expected) / (max_index - expected);
}

double strata_population_stability(const double *before, const double *now, int64_t k) {
  double psi = 0.0;
  for (int64_t j = 0; j < k; j++) {
    double p = before[j] > 1e-4 ? before[j] : 1e-4;
    double q = now[j] > 1e-4 ? now[j] : 1e-4;
    psi += (q - p) * log(q / p);
  }
  return psi;
}
