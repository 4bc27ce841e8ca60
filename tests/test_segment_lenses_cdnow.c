/* RFM scores, breaks and named cells of all 23,570 CDNOW customers (master log) against the
 * golden file tests/golden/lens/cdnow_rfm.csv, which a plain pandas/numpy version of rfm
 * 0.3.0's rule wrote (tests/golden/lens/make_cdnow_rfm.py; tests/py_lens_rfm_cdnow.py checks
 * that pandas still gives it). Must agree exactly: every score, both cells, every break bit.
 * As-of day: the day after the last transaction of the log (1998-07-01). Skips (77) when the
 * shared CDNOW data set is absent. Its own executable so that the skip leaves the hand-made
 * lens tests running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segment/lens.h"
#include "test_support.h"

static const char *cdnow_path;

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
static int32_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int32_t)(era * 146097 + doe - 719468);
}

/* tests/CMakeLists.txt defines STRATA_SHARED_DATASETS as <source>/../shared/datasets. */
static const char *source_path(const char *relative) {
  static char buf[4096];
  const char *root = STRATA_SHARED_DATASETS;
  const char *suffix = "/../shared/datasets";
  size_t len = strlen(root), sl = strlen(suffix);
  if (len < sl || strcmp(root + len - sl, suffix) != 0) fail_msg("unexpected %s", root);
  snprintf(buf, sizeof buf, "%.*s/%s", (int)(len - sl), root, relative);
  return buf;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

typedef struct golden {
  int32_t as_of;
  double breaks[3][4];
  char cells[2048];
  int64_t n;
  int64_t *id;
  int *r, *f, *m, *first, *last;
} golden;

static void read_breaks(const char *s, double *out) {
  char *end = NULL;
  for (int j = 0; j < 4; j++) {
    out[j] = strtod(s, &end);
    if (end == s) fail_msg("golden: bad breaks '%s'", s);
    s = end;
  }
}

static void read_golden(const char *path, golden *g) {
  FILE *fp = fopen(path, "r");
  if (!fp) fail_msg("cannot open the golden file %s", path);
  char line[2048];
  int64_t cap = 0;
  memset(g, 0, sizeof *g);
  while (fgets(line, sizeof line, fp)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '#') {
      if (strncmp(line, "# as_of_day ", 12) == 0)
        g->as_of = (int32_t)atol(line + 12);
      else if (strncmp(line, "# r_breaks ", 11) == 0)
        read_breaks(line + 11, g->breaks[0]);
      else if (strncmp(line, "# f_breaks ", 11) == 0)
        read_breaks(line + 11, g->breaks[1]);
      else if (strncmp(line, "# m_breaks ", 11) == 0)
        read_breaks(line + 11, g->breaks[2]);
      else if (strncmp(line, "# cells ", 8) == 0)
        snprintf(g->cells, sizeof g->cells, "%s", line + 8);
      continue;
    }
    if (strncmp(line, "id,", 3) == 0) continue;
    if (g->n == cap) {
      cap = cap ? 2 * cap : 32768;
      g->id = realloc(g->id, (size_t)cap * sizeof *g->id);
      g->r = realloc(g->r, (size_t)cap * sizeof *g->r);
      g->f = realloc(g->f, (size_t)cap * sizeof *g->f);
      g->m = realloc(g->m, (size_t)cap * sizeof *g->m);
      g->first = realloc(g->first, (size_t)cap * sizeof *g->first);
      g->last = realloc(g->last, (size_t)cap * sizeof *g->last);
      assert_true(g->id && g->r && g->f && g->m && g->first && g->last);
    }
    long long id;
    int64_t i = g->n;
    if (sscanf(line, "%lld,%d,%d,%d,%d,%d", &id, &g->r[i], &g->f[i], &g->m[i], &g->first[i],
               &g->last[i]) != 6)
      fail_msg("golden: bad line '%s'", line);
    g->id[i] = id;
    g->n++;
  }
  fclose(fp);
}

static void test_cdnow_matches_pandas(void **state) {
  (void)state;
  strata_ctx *ctx = test_ctx(1);
  /* The log: a header line, then "id YYYYMMDD cds dollars" with CRLF. */
  FILE *fp = fopen(cdnow_path, "r");
  assert_non_null(fp);
  char line[256];
  int64_t m = 0, cap = 0;
  int64_t *id = NULL;
  int32_t *day = NULL;
  double *amount = NULL;
  assert_non_null(fgets(line, sizeof line, fp)); /* header */
  while (fgets(line, sizeof line, fp)) {
    long long cid;
    int ymd, qty;
    char amt[64];
    if (sscanf(line, "%lld %d %d %63s", &cid, &ymd, &qty, amt) != 4) continue;
    if (m == cap) {
      cap = cap ? 2 * cap : 65536;
      id = realloc(id, (size_t)cap * sizeof *id);
      day = realloc(day, (size_t)cap * sizeof *day);
      amount = realloc(amount, (size_t)cap * sizeof *amount);
      assert_true(id && day && amount);
    }
    id[m] = cid;
    day[m] = days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100);
    amount[m] = strtod(amt, NULL); /* correctly rounded, as Python's float() */
    m++;
  }
  fclose(fp);
  assert_int_equal(m, 69659);
  /* Customer index = rank of the id among the distinct ids. */
  int64_t *ids = malloc((size_t)m * sizeof *ids);
  assert_non_null(ids);
  memcpy(ids, id, (size_t)m * sizeof *ids);
  qsort(ids, (size_t)m, sizeof *ids, cmp_i64);
  int64_t n = 0;
  for (int64_t t = 0; t < m; t++)
    if (n == 0 || ids[n - 1] != ids[t]) ids[n++] = ids[t];
  assert_int_equal(n, 23570);
  int64_t *cust = malloc((size_t)m * sizeof *cust);
  assert_non_null(cust);
  int32_t max_day = day[0];
  for (int64_t t = 0; t < m; t++) {
    const int64_t *hit = bsearch(&id[t], ids, (size_t)n, sizeof *ids, cmp_i64);
    cust[t] = hit - ids;
    if (day[t] > max_day) max_day = day[t];
  }
  const int32_t as_of = max_day + 1;
  assert_int_equal(as_of, days_from_civil(1998, 7, 1));

  int32_t *last = malloc((size_t)n * sizeof *last);
  double *freq = calloc((size_t)n, sizeof *freq), *mon = calloc((size_t)n, sizeof *mon);
  double *rec = malloc((size_t)n * sizeof *rec);
  uint8_t *r = malloc((size_t)n), *f = malloc((size_t)n), *mm = malloc((size_t)n);
  int32_t *cf = malloc((size_t)n * sizeof *cf), *cl = malloc((size_t)n * sizeof *cl);
  assert_true(last && freq && mon && rec && r && f && mm && cf && cl);
  for (int64_t i = 0; i < n; i++) last[i] = STRATA_LENS_NO_DAY;
  /* Streamed in blocks of 10,000 rows, as the pipeline would. */
  for (int64_t t0 = 0; t0 < m; t0 += 10000) {
    int64_t len = m - t0 < 10000 ? m - t0 : 10000;
    assert_int_equal(strata_lens_rfm_accumulate(ctx, cust + t0, day + t0, amount + t0, len, t0, n,
                                                last, freq, mon),
                     STRATA_OK);
  }
  assert_int_equal(strata_lens_rfm_recency(ctx, last, n, as_of, rec), STRATA_OK);
  double br[3][4];
  assert_int_equal(strata_lens_rfm_score(ctx, rec, freq, mon, n, 5, r, f, mm, br[0], br[1], br[2]),
                   STRATA_OK);
  strata_rfm_rules *rules = NULL;
  assert_int_equal(strata_rfm_rules_default(ctx, &rules), STRATA_OK);
  assert_int_equal(strata_lens_rfm_grid(ctx, rules, STRATA_RFM_FIRST_MATCH, r, f, mm, n, cf, NULL),
                   STRATA_OK);
  assert_int_equal(strata_lens_rfm_grid(ctx, rules, STRATA_RFM_LAST_MATCH, r, f, mm, n, cl, NULL),
                   STRATA_OK);

  golden g;
  read_golden(source_path("tests/golden/lens/cdnow_rfm.csv"), &g);
  assert_int_equal(g.n, n);
  assert_int_equal(g.as_of, as_of);
  for (int c = 0; c < 3; c++)
    for (int j = 0; j < 4; j++)
      if (br[c][j] != g.breaks[c][j])
        fail_msg("break %d of column %d: strata %.17g, pandas %.17g", j, c, br[c][j],
                 g.breaks[c][j]);
  char names[2048] = "";
  for (int64_t c = 0; c < rules->n_cells; c++) {
    if (c) strcat(names, "|");
    strcat(names, rules->cell_name[c]);
  }
  assert_string_equal(names, g.cells);
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++) {
    if (g.id[i] != ids[i] || g.r[i] != r[i] || g.f[i] != f[i] || g.m[i] != mm[i] ||
        g.first[i] != cf[i] || g.last[i] != cl[i]) {
      if (bad < 5)
        fprintf(stderr, "customer %lld: strata %d%d%d cells %d/%d, pandas (id %lld) %d%d%d %d/%d\n",
                (long long)ids[i], r[i], f[i], mm[i], cf[i], cl[i], (long long)g.id[i], g.r[i],
                g.f[i], g.m[i], g.first[i], g.last[i]);
      bad++;
    }
  }
  assert_int_equal(bad, 0);

  strata_rfm_rules_free(rules);
  free(g.id), free(g.r), free(g.f), free(g.m), free(g.first), free(g.last);
  free(last), free(freq), free(mon), free(rec), free(r), free(f), free(mm), free(cf), free(cl);
  free(ids), free(cust), free(id), free(day), free(amount);
  strata_ctx_free(ctx);
}

int main(void) {
  cdnow_path = test_shared_dataset("cdnow/CDNOW_master.txt");
  if (cdnow_path == NULL) {
    fprintf(stderr, "skipped: ../shared/datasets/cdnow/CDNOW_master.txt is absent\n");
    return STRATA_TEST_SKIP_CODE;
  }
  static char keep[4096];
  snprintf(keep, sizeof keep, "%s", cdnow_path); /* test_shared_dataset's buffer is static */
  cdnow_path = keep;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cdnow_matches_pandas),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
