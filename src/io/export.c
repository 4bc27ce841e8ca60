/*
 * `strata export`: see export.h. Each block of rows is read with the io layer's hyperslab
 * reader, filtered on one thread (cheap compares), then formatted by the OpenMP team into one
 * buffer per thread and written in thread order, so the bytes do not depend on the thread
 * count. Decimal formatting dominates the cost: O(rows * columns) snprintf calls.
 */
#include "io/export.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <omp.h>

#include "io/export_top.h"

enum { C_ID, C_LABEL, C_R, C_F, C_M, C_RFM, C_VR, C_PALIVE, C_EP, C_ES, C_CLV, N_COLS };

static const char *const col_dataset[N_COLS] = {
    "/segments/account_id", "/segments/label",      "/segments/rfm/r_score",
    "/segments/rfm/f_score", "/segments/rfm/m_score", "/segments/rfm/cell",
    "/segments/value_risk/cell", "/segments/p_alive", "/segments/expected_purchases",
    "/segments/expected_spend", "/segments/clv"};

typedef struct names {
  char **s; /* one allocation (strata_h5_read_strings), NULL when absent */
  int64_t n;
  size_t max_len;
} names;

typedef struct keymap {
  int64_t *id;  /* sorted ascending */
  int64_t *key; /* index into keys.s, parallel to id */
  names keys;
  int64_t n;
} keymap;

typedef struct job {
  const char *in;
  strata_h5_dataset *ds[N_COLS];
  names seg, rfm, vr;
  int64_t rfm_others; /* name index shown for RFM cell -1 */
  keymap km;
  int have_keys;
  /* filters */
  int f_label;
  int32_t label_want;
  int f_rfm, f_vr;
  int32_t rfm_want[2], vr_want[2];
} job;

static void names_free(names *n) {
  free(n->s);
  memset(n, 0, sizeof *n);
}

static strata_status names_read(strata_ctx *ctx, strata_h5_file *f, const char *name, names *out) {
  strata_status st = STRATA_OK;
  memset(out, 0, sizeof *out);
  if (!strata_h5_exists(f, name)) return STRATA_OK;
  STRATA_TRY(strata_h5_read_strings(ctx, f, name, &out->s, &out->n));
  for (int64_t i = 0; i < out->n; i++) {
    size_t l = strlen(out->s[i]);
    if (l > out->max_len) out->max_len = l;
  }
cleanup:
  return st;
}

/* Parses a whole decimal integer; 0 when `s` is not one. */
static int parse_int(const char *s, int32_t *v) {
  char *end;
  long x = strtol(s, &end, 10);
  if (end == s || *end != '\0' || x < INT32_MIN || x > INT32_MAX) return 0;
  *v = (int32_t)x;
  return 1;
}

/* "name" (only the part before ':' when short_form), compared case-insensitively. */
static int short_match(const char *name, const char *want) {
  const char *colon = strchr(name, ':');
  size_t len = colon ? (size_t)(colon - name) : strlen(name);
  if (strlen(want) != len) return 0;
  for (size_t i = 0; i < len; i++)
    if (tolower((unsigned char)name[i]) != tolower((unsigned char)want[i])) return 0;
  return 1;
}

static strata_status unknown_name(strata_ctx *ctx, const char *flag, const char *value,
                                  const names *n, const char *extra) {
  char list[STRATA_ERROR_LEN / 2];
  size_t at = 0;
  list[0] = '\0';
  for (int64_t i = 0; i < n->n && at + 8 < sizeof list; i++) {
    int w = snprintf(list + at, sizeof list - at, "%s'%s' (%" PRId64 ")", i ? ", " : "", n->s[i], i);
    if (w < 0) break;
    at += (size_t)w < sizeof list - at ? (size_t)w : sizeof list - at - 1;
  }
  return strata_fail(ctx, STRATA_ERR_USAGE, "--%s: unknown name '%s'; valid: %s%s", flag, value,
                     list, extra);
}

/* Resolves a cell filter to the raw cell values it matches (two, for "Others" = -1). */
static strata_status resolve_cell(strata_ctx *ctx, const char *flag, const char *value,
                                  const names *n, int allow_short, int64_t others,
                                  int32_t want[2]) {
  int32_t v;
  if (parse_int(value, &v)) {
    want[0] = want[1] = v;
    if (others >= 0 && v == others) want[1] = -1;
    if (v == -1 && others >= 0) want[0] = (int32_t)others;
    return STRATA_OK;
  }
  if (n->s == NULL)
    return strata_fail(ctx, STRATA_ERR_USAGE,
                       "--%s: the file has no cell names, so '%s' cannot be resolved; give the "
                       "cell number",
                       flag, value);
  for (int64_t i = 0; i < n->n; i++)
    if (strcmp(n->s[i], value) == 0) {
      want[0] = want[1] = (int32_t)i;
      if (i == others) want[1] = -1;
      return STRATA_OK;
    }
  if (allow_short)
    for (int64_t i = 0; i < n->n; i++)
      if (short_match(n->s[i], value)) {
        want[0] = want[1] = (int32_t)i;
        return STRATA_OK;
      }
  return unknown_name(ctx, flag, value, n,
                      allow_short ? " (or the part before ':', or the cell number)"
                                  : " (or the cell number)");
}

static int cmp_i64_pair(const void *a, const void *b) {
  const int64_t *x = a, *y = b;
  return (x[0] > y[0]) - (x[0] < y[0]);
}

static strata_status keys_load(strata_ctx *ctx, strata_h5_file *f, const char *path,
                               keymap *km) {
  strata_status st = STRATA_OK;
  int64_t *ids = NULL, *pairs = NULL;
  STRATA_TRY(names_read(ctx, f, "/customers/key", &km->keys));
  STRATA_TRY(strata_h5_read_vector(ctx, f, "/customers/id", STRATA_TYPES_INT, km->keys.n,
                                   STRATA_I64, (void **)&ids));
  km->n = km->keys.n;
  size_t bytes;
  STRATA_FAIL_IF(!strata_mul_size((size_t)km->n, 2 * sizeof(int64_t), &bytes), ctx,
                 STRATA_ERR_NOMEM, "%s: /customers/id too large", path);
  STRATA_TRY(strata_alloc(ctx, (size_t)km->n, 2 * sizeof(int64_t), "key map", (void **)&pairs));
  for (int64_t i = 0; i < km->n; i++) {
    pairs[2 * i] = ids[i];
    pairs[2 * i + 1] = i;
  }
  qsort(pairs, (size_t)km->n, 2 * sizeof(int64_t), cmp_i64_pair);
  STRATA_TRY(strata_alloc(ctx, (size_t)km->n, sizeof(int64_t), "key ids", (void **)&km->id));
  STRATA_TRY(strata_alloc(ctx, (size_t)km->n, sizeof(int64_t), "key index", (void **)&km->key));
  for (int64_t i = 0; i < km->n; i++) {
    km->id[i] = pairs[2 * i];
    km->key[i] = pairs[2 * i + 1];
    STRATA_FAIL_IF(i > 0 && km->id[i] == km->id[i - 1], ctx, STRATA_ERR_DATA,
                   "%s: /customers/id holds id %" PRId64 " twice", path, km->id[i]);
  }
cleanup:
  strata_buffer_free(ids);
  strata_free(pairs);
  return st;
}

static const char *key_of(const keymap *km, int64_t id) {
  int64_t lo = 0, hi = km->n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (km->id[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return (lo < km->n && km->id[lo] == id) ? km->keys.s[km->key[lo]] : NULL;
}

/* Shortest of %.15g..%.17g that reads back to the same double: full precision without the
 * noise digits of a blind %.17g (0.1 stays "0.1"). NaN becomes an empty field. */
static size_t put_double(char *p, double v) {
  if (isnan(v)) return 0;
  int w = 0;
  for (int prec = 15; prec <= 17; prec++) {
    w = snprintf(p, 32, "%.*g", prec, v);
    if (prec == 17 || strtod(p, NULL) == v) break;
  }
  return (size_t)w;
}

static size_t put_string(char *p, const char *s) {
  size_t len = strlen(s);
  /* libcsv's writer: quotes the field and doubles embedded quotes (RFC 4180). */
  return csv_write(p, 2 * len + 2, s, len);
}

static size_t put_int(char *p, int64_t v) { return (size_t)snprintf(p, 24, "%" PRId64, v); }

static size_t put_cell(char *p, int32_t c, const names *n, int64_t others) {
  if (c == -2) return 0;
  if (n->s == NULL) return put_int(p, c);
  if (c == -1) return others >= 0 ? put_string(p, n->s[others]) : put_string(p, "Others");
  return put_string(p, n->s[c]);
}

static size_t format_row(char *p, const job *j, const strata_export_row *r) {
  char *s = p;
  const char *key = j->have_keys ? key_of(&j->km, r->account_id) : NULL;
  p += key ? put_string(p, key) : put_int(p, r->account_id);
  if (j->ds[C_LABEL]) {
    *p++ = ',';
    p += put_int(p, r->label);
    *p++ = ',';
    if (j->seg.s) p += put_string(p, j->seg.s[r->label]);
  }
  if (j->ds[C_R]) {
    *p++ = ',';
    p += put_int(p, r->r);
    *p++ = ',';
    p += put_int(p, r->f);
    *p++ = ',';
    p += put_int(p, r->m);
  }
  if (j->ds[C_RFM]) {
    *p++ = ',';
    p += put_cell(p, r->rfm_cell, &j->rfm, j->rfm_others);
  }
  if (j->ds[C_VR]) {
    *p++ = ',';
    p += put_cell(p, r->vr_cell, &j->vr, -1);
  }
  const double v[4] = {r->p_alive, r->expected_purchases, r->expected_spend, r->clv};
  for (int c = 0; c < 4; c++)
    if (j->ds[C_PALIVE + c]) {
      *p++ = ',';
      p += put_double(p, v[c]);
    }
  /* RFC 4180 line ends. */
  *p++ = '\r';
  *p++ = '\n';
  return (size_t)(p - s);
}

/* Formats rows[0..n) with the team, one buffer per thread of chunk * max_row bytes, and
 * writes the buffers in order. */
static strata_status write_rows(strata_ctx *ctx, strata_export_sink *sink, const job *j,
                                const strata_export_row *rows, int64_t n, int threads,
                                char **buf) {
  if (n == 0) return STRATA_OK;
  size_t used[256];
  int64_t chunk = (n + threads - 1) / threads;
#pragma omp parallel for num_threads(threads) schedule(static, 1) default(none) \
    shared(rows, n, chunk, buf, used, j, threads)
  for (int t = 0; t < threads; t++) {
    int64_t a = (int64_t)t * chunk, b = a + chunk < n ? a + chunk : n;
    char *p = buf[t];
    for (int64_t i = a; i < b; i++) p += format_row(p, j, &rows[i]);
    used[t] = (size_t)(p - buf[t]);
  }
  for (int t = 0; t < threads; t++) {
    strata_status st = strata_export_sink_write(ctx, sink, buf[t], used[t]);
    if (st != STRATA_OK) return st;
  }
  return STRATA_OK;
}

void strata_export_params_init(strata_export_params *p) {
  memset(p, 0, sizeof *p);
  p->compress = STRATA_EXPORT_PLAIN;
  p->p_alive_below = NAN;
  p->clv_above = NAN;
}

static strata_status open_col(strata_ctx *ctx, strata_h5_file *f, job *j, int c, int64_t n,
                              int required) {
  strata_status st = STRATA_OK;
  if (!required && !strata_h5_exists(f, col_dataset[c])) return STRATA_OK;
  unsigned types = c >= C_PALIVE ? STRATA_TYPES_FLOAT : STRATA_TYPES_INT;
  STRATA_TRY(strata_h5_dataset_open(ctx, f, col_dataset[c], 1, types, 0, &j->ds[c]));
  int64_t rows = strata_h5_dataset_info(j->ds[c])->dims[0];
  STRATA_FAIL_IF(n >= 0 && rows != n, ctx, STRATA_ERR_DATA,
                 "%s: %s has %" PRId64 " rows but /segments/account_id has %" PRId64, j->in,
                 col_dataset[c], rows, n);
cleanup:
  return st;
}

strata_status strata_export(strata_ctx *ctx, const char *in, const char *out, int force,
                            const strata_export_params *p, strata_export_summary *summary) {
  strata_status st = STRATA_OK;
  strata_h5_file *f = NULL, *kf = NULL;
  strata_export_sink *sink = NULL;
  strata_export_row *rows = NULL;
  strata_export_top top = {0};
  void *colbuf[N_COLS] = {0};
  char *buf[256] = {0};
  job j;
  memset(&j, 0, sizeof j);
  j.in = in;
  j.rfm_others = -1;
  memset(summary, 0, sizeof *summary);
  int threads = p->threads > 0 ? p->threads : ctx->threads;
  if (threads < 1) threads = 1;
  if (threads > 256) threads = 256;
  int64_t block = p->block_rows > 0 ? p->block_rows : 65536;

  STRATA_TRY(strata_h5_open(ctx, in, &f));
  STRATA_FAIL_IF(!strata_h5_exists(f, "/segments"), ctx, STRATA_ERR_DATA,
                 "%s: no /segments group (export reads the output of `strata segment` or "
                 "`strata score`)",
                 in);
  STRATA_TRY(open_col(ctx, f, &j, C_ID, -1, 1));
  const int64_t n = strata_h5_dataset_info(j.ds[C_ID])->dims[0];
  summary->rows_in = n;
  for (int c = C_LABEL; c < N_COLS; c++) STRATA_TRY(open_col(ctx, f, &j, c, n, 0));
  /* The three scores are one group of columns: all or none. */
  STRATA_FAIL_IF((j.ds[C_R] != NULL) != (j.ds[C_F] != NULL) ||
                     (j.ds[C_R] != NULL) != (j.ds[C_M] != NULL),
                 ctx, STRATA_ERR_DATA, "%s: /segments/rfm has only some of r_score, f_score, m_score",
                 in);
  if (j.ds[C_LABEL]) STRATA_TRY(names_read(ctx, f, "/segments/name", &j.seg));
  if (j.ds[C_RFM]) STRATA_TRY(names_read(ctx, f, "/segments/rfm/cell_name", &j.rfm));
  if (j.ds[C_VR]) STRATA_TRY(names_read(ctx, f, "/segments/value_risk/cell_name", &j.vr));
  for (int64_t i = 0; i < j.rfm.n; i++)
    if (strcmp(j.rfm.s[i], "Others") == 0) j.rfm_others = i;

  /* Keys: from --keys (which must have them) or from the results file (when it has them). */
  {
    strata_h5_file *src = f;
    const char *src_path = in;
    if (p->keys) {
      STRATA_TRY(strata_h5_open(ctx, p->keys, &kf));
      src = kf;
      src_path = p->keys;
      STRATA_FAIL_IF(!strata_h5_exists(kf, "/customers/id") || !strata_h5_exists(kf, "/customers/key"),
                     ctx, STRATA_ERR_DATA, "%s (--keys): no /customers/id and /customers/key",
                     p->keys);
    }
    if (strata_h5_exists(src, "/customers/id") && strata_h5_exists(src, "/customers/key")) {
      STRATA_TRY(keys_load(ctx, src, src_path, &j.km));
      j.have_keys = 1;
    }
  }

  /* Filters. */
  if (p->segment) {
    STRATA_FAIL_IF(!j.ds[C_LABEL], ctx, STRATA_ERR_DATA, "%s: --segment needs /segments/label", in);
    int found = 0;
    for (int64_t i = 0; i < j.seg.n && !found; i++)
      if (strcmp(j.seg.s[i], p->segment) == 0) j.label_want = (int32_t)i, found = 1;
    if (!found && parse_int(p->segment, &j.label_want) &&
        (j.seg.s == NULL || (j.label_want >= 0 && j.label_want < j.seg.n)))
      found = 1;
    if (!found) {
      st = unknown_name(ctx, "segment", p->segment, &j.seg, " (or the label number)");
      goto cleanup;
    }
    j.f_label = 1;
  }
  if (p->rfm_cell) {
    STRATA_FAIL_IF(!j.ds[C_RFM], ctx, STRATA_ERR_DATA, "%s: --rfm-cell needs /segments/rfm/cell",
                   in);
    STRATA_TRY(resolve_cell(ctx, "rfm-cell", p->rfm_cell, &j.rfm, 0, j.rfm_others, j.rfm_want));
    j.f_rfm = 1;
  }
  if (p->value_risk_cell) {
    STRATA_FAIL_IF(!j.ds[C_VR], ctx, STRATA_ERR_DATA,
                   "%s: --value-risk-cell needs /segments/value_risk/cell", in);
    STRATA_TRY(resolve_cell(ctx, "value-risk-cell", p->value_risk_cell, &j.vr, 1, -1, j.vr_want));
    j.f_vr = 1;
  }
  STRATA_FAIL_IF(!isnan(p->p_alive_below) && !j.ds[C_PALIVE], ctx, STRATA_ERR_DATA,
                 "%s: --p-alive-below needs /segments/p_alive", in);
  STRATA_FAIL_IF((!isnan(p->clv_above) || p->top > 0) && !j.ds[C_CLV], ctx, STRATA_ERR_DATA,
                 "%s: --%s needs /segments/clv", in, p->top > 0 ? "top" : "clv-above");

  /* Bytes one row can take: quoted strings at most double plus quotes, numbers <= 24. */
  size_t max_row = 64 + 24 * 10;
  {
    size_t key_len = 0;
    for (int64_t i = 0; i < j.km.keys.n; i++) {
      size_t l = strlen(j.km.keys.s[i]);
      if (l > key_len) key_len = l;
    }
    max_row += 2 * (key_len + j.seg.max_len + j.rfm.max_len + j.vr.max_len) + 16;
  }
  if (p->top > 0) STRATA_TRY(strata_export_top_init(ctx, &top, p->top));
  STRATA_TRY(strata_alloc(ctx, (size_t)block, sizeof *rows, "export block", (void **)&rows));
  /* write_rows never gets more than a block: each thread formats at most its share. */
  for (int t = 0; t < threads; t++)
    STRATA_TRY(strata_alloc(ctx, (size_t)((block + threads - 1) / threads), max_row,
                            "export text buffer", (void **)&buf[t]));
  for (int c = 0; c < N_COLS; c++)
    if (j.ds[c])
      STRATA_TRY(strata_alloc(ctx, (size_t)block, 8, "export column block", &colbuf[c]));

  STRATA_TRY(strata_export_sink_open(ctx, out, force, p->compress, threads, &sink));
  {
    static const char *const header[N_COLS] = {
        "account_id", "segment_label,segment", "r_score,f_score,m_score", NULL, NULL,
        "rfm_cell", "value_risk_cell", "p_alive", "expected_purchases", "expected_spend", "clv"};
    char line[512];
    size_t at = 0;
    for (int c = 0; c < N_COLS; c++)
      if (j.ds[c] && header[c]) {
        at += (size_t)snprintf(line + at, sizeof line - at, "%s%s", at ? "," : "", header[c]);
        summary->columns += c == C_LABEL ? 2 : c == C_R ? 3 : 1;
      }
    at += (size_t)snprintf(line + at, sizeof line - at, "\r\n");
    STRATA_TRY(strata_export_sink_write(ctx, sink, line, at));
  }

  for (int64_t row0 = 0; row0 < n; row0 += block) {
    int64_t m = n - row0 < block ? n - row0 : block;
    for (int c = 0; c < N_COLS; c++)
      if (j.ds[c])
        STRATA_TRY(strata_h5_dataset_read_rows(ctx, j.ds[c], row0, m,
                                               c >= C_PALIVE ? STRATA_F64
                                               : c == C_ID   ? STRATA_I64
                                                             : STRATA_I32,
                                               colbuf[c]));
    const int64_t *id = colbuf[C_ID];
    const int32_t *i32[N_COLS] = {0};
    const double *f64[N_COLS] = {0};
    for (int c = C_LABEL; c < C_PALIVE; c++) i32[c] = colbuf[c];
    for (int c = C_PALIVE; c < N_COLS; c++) f64[c] = colbuf[c];
    int64_t kept = 0;
    for (int64_t i = 0; i < m; i++) {
      strata_export_row r = {0};
      r.account_id = id[i];
      if (i32[C_LABEL]) {
        r.label = i32[C_LABEL][i];
        STRATA_FAIL_IF(r.label < 0 || (j.seg.s && r.label >= j.seg.n), ctx, STRATA_ERR_DATA,
                       "%s: /segments/label row %" PRId64 " is %d, outside 0..%" PRId64, in,
                       row0 + i, r.label, j.seg.n - 1);
        if (j.f_label && r.label != j.label_want) continue;
      }
      if (i32[C_R]) r.r = i32[C_R][i], r.f = i32[C_F][i], r.m = i32[C_M][i];
      if (i32[C_RFM]) {
        r.rfm_cell = i32[C_RFM][i];
        STRATA_FAIL_IF(r.rfm_cell < -2 || (j.rfm.s && r.rfm_cell >= j.rfm.n), ctx,
                       STRATA_ERR_DATA, "%s: /segments/rfm/cell row %" PRId64 " is %d", in,
                       row0 + i, r.rfm_cell);
        if (j.f_rfm && r.rfm_cell != j.rfm_want[0] && r.rfm_cell != j.rfm_want[1]) continue;
      }
      if (i32[C_VR]) {
        r.vr_cell = i32[C_VR][i];
        STRATA_FAIL_IF(r.vr_cell < -2 || r.vr_cell == -1 || (j.vr.s && r.vr_cell >= j.vr.n), ctx,
                       STRATA_ERR_DATA, "%s: /segments/value_risk/cell row %" PRId64 " is %d",
                       in, row0 + i, r.vr_cell);
        if (j.f_vr && r.vr_cell != j.vr_want[0] && r.vr_cell != j.vr_want[1]) continue;
      }
      if (f64[C_PALIVE]) r.p_alive = f64[C_PALIVE][i];
      if (f64[C_EP]) r.expected_purchases = f64[C_EP][i];
      if (f64[C_ES]) r.expected_spend = f64[C_ES][i];
      if (f64[C_CLV]) r.clv = f64[C_CLV][i];
      /* NaN compares false, so a NaN never passes a threshold. */
      if (!isnan(p->p_alive_below) && !(r.p_alive < p->p_alive_below)) continue;
      if (!isnan(p->clv_above) && !(r.clv > p->clv_above)) continue;
      if (j.have_keys)
        STRATA_FAIL_IF(key_of(&j.km, r.account_id) == NULL, ctx, STRATA_ERR_DATA,
                       "%s: account id %" PRId64 " (row %" PRId64 ") has no /customers/key in %s",
                       in, r.account_id, row0 + i, p->keys ? p->keys : in);
      if (p->top > 0) strata_export_top_offer(&top, &r);
      else rows[kept++] = r;
    }
    if (p->top <= 0) {
      STRATA_TRY(write_rows(ctx, sink, &j, rows, kept, threads, buf));
      summary->rows_out += kept;
    }
  }
  if (p->top > 0) {
    strata_export_top_sort(&top);
    /* In blocks, so the text buffers stay block-sized whatever N is. */
    for (int64_t a = 0; a < top.n; a += block) {
      int64_t m = top.n - a < block ? top.n - a : block;
      STRATA_TRY(write_rows(ctx, sink, &j, top.heap + a, m, threads, buf));
    }
    summary->rows_out = top.n;
  }
  summary->keyed = j.have_keys;
  {
    strata_export_sink *s = sink;
    sink = NULL;
    STRATA_TRY(strata_export_sink_commit(ctx, s));
  }
cleanup:
  strata_export_sink_abort(sink);
  for (int c = 0; c < N_COLS; c++) {
    strata_h5_dataset_close(j.ds[c]);
    strata_free(colbuf[c]);
  }
  for (int t = 0; t < 256; t++) strata_free(buf[t]);
  strata_free(rows);
  strata_export_top_free(&top);
  names_free(&j.seg);
  names_free(&j.rfm);
  names_free(&j.vr);
  names_free(&j.km.keys);
  strata_free(j.km.id);
  strata_free(j.km.key);
  strata_h5_close(kf);
  strata_h5_close(f);
  return st;
}
