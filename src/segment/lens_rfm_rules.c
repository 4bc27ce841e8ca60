/*
 * The named RFM grid: a rule table (data, not code: the built-in default is CSV text run
 * through the same parser as a user's file) and the assignment of each customer's (R, F, M)
 * to its cell, first or last match as lens.h explains. Assignment is O(n) through a lookup
 * table of the 9^3 score combinations, filled once from the rules in table order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "segment/lens.h"

/* rfm's documented segments with Hibernating (see lens.h); datasets/rfm_rules.csv holds the
 * same text, and a test checks that the two agree. */
static const char default_rules[] =
    "segment,r_lo,r_hi,f_lo,f_hi,m_lo,m_hi\n"
    "Champions,4,5,4,5,4,5\n"
    "Loyal Customers,2,5,3,5,3,5\n"
    "Potential Loyalist,3,5,1,3,1,3\n"
    "New Customers,4,5,1,1,1,1\n"
    "Promising,3,4,1,1,1,1\n"
    "Need Attention,2,3,2,3,2,3\n"
    "About To Sleep,2,3,1,2,1,2\n"
    "At Risk,1,2,2,5,2,5\n"
    "Can't Lose Them,1,1,4,5,4,5\n"
    "Hibernating,1,2,1,2,1,2\n"
    "Lost,1,2,1,2,1,2\n";

static const char *const field_name[7] = {"segment", "r_lo", "r_hi", "f_lo",
                                          "f_hi",    "m_lo", "m_hi"};

void strata_rfm_rules_free(strata_rfm_rules *rules) {
  if (!rules) return;
  free(rules->rule);
  free(rules->cell_name);
  free(rules);
}

/* Splits one line [p, end) into at most 8 fields (8 detects "too many"), unquoting a quoted
 * first field into name. Returns the number of fields, or -1 for a malformed quote. */
static int split_fields(const char *p, const char *end, char *name, size_t name_cap,
                        size_t *name_len, const char **fs, const char **fe) {
  int nf = 0;
  *name_len = 0;
  if (p < end && *p == '"') {
    p++;
    size_t k = 0;
    for (;;) {
      if (p >= end) return -1;
      if (*p == '"') {
        if (p + 1 < end && p[1] == '"') {
          if (k + 1 < name_cap) name[k] = '"';
          k++;
          p += 2;
          continue;
        }
        p++;
        break;
      }
      if (k + 1 < name_cap) name[k] = *p;
      k++;
      p++;
    }
    *name_len = k;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p < end && *p != ',') return -1;
    fs[0] = fe[0] = NULL; /* taken from name */
    nf = 1;
    if (p < end)
      p++; /* the comma */
    else
      return nf;
  }
  for (;;) {
    const char *q = p;
    while (q < end && *q != ',') q++;
    if (nf < 8) {
      fs[nf] = p;
      fe[nf] = q;
    }
    nf++;
    if (q >= end) break;
    p = q + 1;
  }
  return nf > 8 ? 8 : nf;
}

static void trim(const char **s, const char **e) {
  while (*s < *e && (**s == ' ' || **s == '\t')) (*s)++;
  while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) (*e)--;
}

static int is_header(const char *const *fs, const char *const *fe, int nf) {
  if (nf != 7 || !fs[0]) return 0;
  for (int j = 0; j < 7; j++) {
    size_t len = (size_t)(fe[j] - fs[j]);
    if (len != strlen(field_name[j]) || memcmp(fs[j], field_name[j], len) != 0) return 0;
  }
  return 1;
}

strata_status strata_rfm_rules_parse(strata_ctx *ctx, const char *text, size_t len,
                                     const char *source, strata_rfm_rules **out) {
  strata_status st = STRATA_OK;
  strata_rfm_rules *R = NULL;
  const char *src = source ? source : "rule table";
  size_t cap = 0;
  STRATA_FAIL_IF(!out || (!text && len > 0), ctx, STRATA_ERR_USAGE, "%s: NULL argument", src);
  *out = NULL;
  R = calloc(1, sizeof *R);
  STRATA_FAIL_IF(!R, ctx, STRATA_ERR_NOMEM, "%s: out of memory", src);
  const char *p = text, *end = text + len;
  long line = 0;
  int seen_content = 0;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *le = eol ? eol : end;
    line++;
    const char *ls = p;
    p = eol ? eol + 1 : end;
    if (le > ls && le[-1] == '\r') le--;
    const char *ts = ls, *te = le;
    trim(&ts, &te);
    if (ts == te || *ts == '#') continue;
    char name[STRATA_RFM_NAME_MAX];
    size_t name_len = 0;
    const char *fs[8], *fe[8];
    int nf = split_fields(ts, te, name, sizeof name, &name_len, fs, fe);
    STRATA_FAIL_IF(nf < 0, ctx, STRATA_ERR_DATA,
                   "%s line %ld: unterminated or misplaced quote "
                   "in the segment name",
                   src, line);
    for (int j = 0; j < nf && j < 8; j++)
      if (fs[j]) trim(&fs[j], &fe[j]);
    if (!seen_content) {
      seen_content = 1;
      if (is_header(fs, fe, nf)) continue;
    }
    STRATA_FAIL_IF(nf != 7, ctx, STRATA_ERR_DATA,
                   "%s line %ld: %s%d fields, need 7 "
                   "(segment,r_lo,r_hi,f_lo,f_hi,m_lo,m_hi)",
                   src, line, nf >= 8 ? "more than " : "", nf >= 8 ? 7 : nf);
    if (fs[0]) {
      name_len = (size_t)(fe[0] - fs[0]);
      if (name_len < sizeof name) memcpy(name, fs[0], name_len);
    }
    STRATA_FAIL_IF(name_len == 0, ctx, STRATA_ERR_DATA, "%s line %ld: empty segment name", src,
                   line);
    STRATA_FAIL_IF(name_len >= STRATA_RFM_NAME_MAX, ctx, STRATA_ERR_DATA,
                   "%s line %ld: segment name longer than %d bytes", src, line,
                   STRATA_RFM_NAME_MAX - 1);
    name[name_len] = '\0';
    strata_rfm_rule rule;
    memset(&rule, 0, sizeof rule);
    memcpy(rule.name, name, name_len + 1);
    for (int j = 1; j < 7; j++) {
      char buf[32];
      size_t fl = (size_t)(fe[j] - fs[j]);
      int ok = fl > 0 && fl < sizeof buf;
      long v = 0;
      if (ok) {
        memcpy(buf, fs[j], fl);
        buf[fl] = '\0';
        char *stop = NULL;
        errno = 0;
        v = strtol(buf, &stop, 10);
        ok = errno == 0 && *stop == '\0';
      }
      STRATA_FAIL_IF(!ok, ctx, STRATA_ERR_DATA, "%s line %ld: %s '%.*s' is not a whole number", src,
                     line, field_name[j], (int)(fl > 20 ? 20 : fl), fs[j]);
      STRATA_FAIL_IF(v < 1 || v > STRATA_RFM_MAX_BINS, ctx, STRATA_ERR_DATA,
                     "%s line %ld: %s = %ld is outside 1..%d", src, line, field_name[j], v,
                     STRATA_RFM_MAX_BINS);
      if (j % 2)
        rule.lo[(j - 1) / 2] = (uint8_t)v;
      else
        rule.hi[(j - 1) / 2] = (uint8_t)v;
    }
    for (int d = 0; d < 3; d++)
      STRATA_FAIL_IF(rule.lo[d] > rule.hi[d], ctx, STRATA_ERR_DATA,
                     "%s line %ld: %s = %d is above %s = %d", src, line, field_name[1 + 2 * d],
                     rule.lo[d], field_name[2 + 2 * d], rule.hi[d]);
    if ((size_t)R->n_rules == cap) {
      size_t ncap = cap ? 2 * cap : 16;
      strata_rfm_rule *nr = realloc(R->rule, ncap * sizeof *nr);
      STRATA_FAIL_IF(!nr, ctx, STRATA_ERR_NOMEM, "%s: out of memory", src);
      R->rule = nr;
      cap = ncap;
    }
    R->rule[R->n_rules++] = rule;
  }
  STRATA_FAIL_IF(R->n_rules == 0, ctx, STRATA_ERR_DATA, "%s: no rules", src);
  /* Cells are the distinct names: rfm segments by name, so rows sharing a name are one
   * segment. A quadratic name scan is fine: tables have a dozen rows. */
  R->cell_name = calloc((size_t)R->n_rules, sizeof *R->cell_name);
  STRATA_FAIL_IF(!R->cell_name, ctx, STRATA_ERR_NOMEM, "%s: out of memory", src);
  for (int64_t i = 0; i < R->n_rules; i++) {
    int64_t c = 0;
    while (c < R->n_cells && strcmp(R->cell_name[c], R->rule[i].name) != 0) c++;
    if (c == R->n_cells) R->cell_name[R->n_cells++] = R->rule[i].name;
    R->rule[i].cell = (int32_t)c;
  }
  *out = R;
  R = NULL;
cleanup:
  strata_rfm_rules_free(R);
  return st;
}

strata_status strata_rfm_rules_default(strata_ctx *ctx, strata_rfm_rules **out) {
  return strata_rfm_rules_parse(ctx, default_rules, sizeof default_rules - 1, "built-in RFM rules",
                                out);
}

strata_status strata_rfm_rules_read(strata_ctx *ctx, const char *path, strata_rfm_rules **out) {
  strata_status st = STRATA_OK;
  FILE *fp = NULL;
  char *buf = NULL;
  size_t len = 0, cap = 0;
  STRATA_FAIL_IF(!path || !out, ctx, STRATA_ERR_USAGE, "RFM rules: NULL path or output");
  *out = NULL;
  fp = fopen(path, "rb");
  STRATA_FAIL_IF(!fp, ctx, STRATA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  for (;;) {
    if (len == cap) {
      /* Rule tables are tiny; a cap guards against being handed a huge file by mistake. */
      STRATA_FAIL_IF(cap >= (1u << 20), ctx, STRATA_ERR_DATA,
                     "%s: larger than 1 MiB, not a rule table", path);
      size_t ncap = cap ? 2 * cap : 4096;
      char *nb = realloc(buf, ncap);
      STRATA_FAIL_IF(!nb, ctx, STRATA_ERR_NOMEM, "%s: out of memory", path);
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + len, 1, cap - len, fp);
    len += got;
    if (got == 0) break;
  }
  STRATA_FAIL_IF(ferror(fp), ctx, STRATA_ERR_IO, "%s: read error", path);
  STRATA_TRY(strata_rfm_rules_parse(ctx, buf, len, path, out));
cleanup:
  if (fp) fclose(fp);
  free(buf);
  return st;
}

#define GRID_SIDE STRATA_RFM_MAX_BINS

strata_status strata_lens_rfm_grid(strata_ctx *ctx, const strata_rfm_rules *rules,
                                   strata_rfm_match match, const uint8_t *r, const uint8_t *f,
                                   const uint8_t *m, int64_t n, int32_t *cell, int64_t *counts) {
  strata_status st = STRATA_OK;
  int32_t lut[GRID_SIDE * GRID_SIDE * GRID_SIDE];
  STRATA_FAIL_IF(!rules || rules->n_rules < 1, ctx, STRATA_ERR_USAGE, "RFM grid: no rule table");
  STRATA_FAIL_IF(match != STRATA_RFM_FIRST_MATCH && match != STRATA_RFM_LAST_MATCH, ctx,
                 STRATA_ERR_USAGE, "RFM grid: match = %d is neither first nor last", (int)match);
  STRATA_FAIL_IF(n < 0 || (n > 0 && (!r || !f || !m || !cell)), ctx, STRATA_ERR_USAGE,
                 "RFM grid: n = %lld with a NULL array", (long long)n);
  /* Rules applied in table order, as rfm's loop does; first-match only fills empty slots,
   * last-match overwrites. */
  for (int i = 0; i < GRID_SIDE * GRID_SIDE * GRID_SIDE; i++) lut[i] = -1;
  for (int64_t k = 0; k < rules->n_rules; k++) {
    const strata_rfm_rule *u = &rules->rule[k];
    for (int a = u->lo[0]; a <= u->hi[0]; a++)
      for (int b = u->lo[1]; b <= u->hi[1]; b++)
        for (int c = u->lo[2]; c <= u->hi[2]; c++) {
          int32_t *slot = &lut[((a - 1) * GRID_SIDE + (b - 1)) * GRID_SIDE + (c - 1)];
          if (match == STRATA_RFM_LAST_MATCH || *slot < 0) *slot = u->cell;
        }
  }
  if (counts) memset(counts, 0, (size_t)(rules->n_cells + 1) * sizeof *counts);
  for (int64_t i = 0; i < n; i++) {
    STRATA_FAIL_IF(r[i] < 1 || r[i] > GRID_SIDE || f[i] < 1 || f[i] > GRID_SIDE || m[i] < 1 ||
                       m[i] > GRID_SIDE,
                   ctx, STRATA_ERR_DATA,
                   "RFM grid: customer row %lld has scores (%d, %d, %d) "
                   "outside 1..%d",
                   (long long)i, r[i], f[i], m[i], GRID_SIDE);
    int32_t c = lut[((r[i] - 1) * GRID_SIDE + (f[i] - 1)) * GRID_SIDE + (m[i] - 1)];
    cell[i] = c;
    if (counts) counts[c < 0 ? rules->n_cells : c]++;
  }
cleanup:
  return st;
}
