/*
 * `strata import`: transaction logs (CDNOW layout, or CSV with a header through libcsv), one or
 * several files read in the order given, into /transactions of one HDF5 file. Every row is
 * either imported or reported with its file and line (or CSV record) number; with skip_bad_rows
 * the bad ones are counted and the first is quoted, never dropped silently. Inputs are only
 * read. O(m) time and memory for m transactions (customer keys go through a hash table).
 *
 * Customer ids. Every distinct id text is a key; /customers/key holds the keys and
 * /customers/id their int64 ids, in order of first appearance over all inputs. When every key
 * is a plain decimal integer (optional '-', leading zeros allowed as in CDNOW's "00001") and no
 * two keys have the same value, a key's id is its value, so integer logs keep their ids;
 * otherwise (any "C1", UUID, e-mail, or "7" beside "007") every key is mapped to 1..N in order
 * of first appearance. /customers carries the rule used as the attribute "id_rule".
 */
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "io/dates.h"
#include "io/import.h"
#include "io/import_keys.h"

typedef struct txn_log {
  int64_t n, cap;
  int64_t *id;
  int32_t *day;
  double *amount;
  int32_t *quantity;
  int has_quantity;
} txn_log;

static int log_push(txn_log *t, int64_t id, int32_t day, double amount, int32_t quantity) {
  if (t->n == t->cap) {
    int64_t cap = t->cap ? t->cap * 2 : 65536;
    int64_t *id2 = realloc(t->id, (size_t)cap * sizeof *id2);
    if (id2) t->id = id2;
    int32_t *day2 = realloc(t->day, (size_t)cap * sizeof *day2);
    if (day2) t->day = day2;
    double *a2 = realloc(t->amount, (size_t)cap * sizeof *a2);
    if (a2) t->amount = a2;
    int32_t *q2 = realloc(t->quantity, (size_t)cap * sizeof *q2);
    if (q2) t->quantity = q2;
    if (!id2 || !day2 || !a2 || !q2) return 0;
    t->cap = cap;
  }
  t->id[t->n] = id;
  t->day[t->n] = day;
  t->amount[t->n] = amount;
  t->quantity[t->n] = quantity;
  t->n++;
  return 1;
}

static void log_free(txn_log *t) {
  free(t->id);
  free(t->day);
  free(t->amount);
  free(t->quantity);
}

/* Shared state of one import: where rows go and how bad rows are handled. */
typedef struct import_state {
  strata_ctx *ctx;
  const char *path;
  const strata_import_params *params;
  const strata_import_options *opt;
  txn_log log; /* id holds the key index until the end of the import */
  strata_keys keys;
  strata_import_summary *summary;
  strata_status status; /* first fatal problem */
} import_state;

/* A bad row: fatal unless skipping, in which case it is counted and the first is kept. */
static int bad_row(import_state *s, const char *where, int64_t number, const char *fmt, ...)
    STRATA_PRINTF(4, 5);
static int bad_row(import_state *s, const char *where, int64_t number, const char *fmt, ...) {
  char reason[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  s->summary->skipped++;
  if (s->summary->first_bad[0] == '\0')
    snprintf(s->summary->first_bad, sizeof s->summary->first_bad, "%s %lld: %s", where,
             (long long)number, reason);
  if (s->params->skip_bad_rows) return 1;
  s->status = strata_fail(s->ctx, STRATA_ERR_DATA,
                          "%s %s %lld: %s (fix the row, or pass --skip-bad-rows to skip and count "
                          "such rows)",
                          s->path, where, (long long)number, reason);
  return 0;
}

static int parse_int64(const char *s, size_t len, int64_t *out) {
  char buf[32];
  if (len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (end == buf || *end != '\0' || errno != 0) return 0;
  *out = v;
  return 1;
}

/* decimal_comma: "12,50" is 12.5 and a '.' is refused, so "1.234,50" never reads as 1.234. */
static int parse_double(const char *s, size_t len, int decimal_comma, double *out) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (decimal_comma) {
    if (memchr(buf, '.', len)) return 0;
    char *comma = memchr(buf, ',', len);
    if (comma) *comma = '.';
  }
  char *end;
  errno = 0;
  double v = strtod(buf, &end);
  if (end == buf || *end != '\0' || errno == ERANGE || !isfinite(v)) return 0;
  *out = v;
  return 1;
}

/* The one validation path of every format: a non-empty id, a date after the pattern, a
 * finite amount (or quantity x price), a count. */
static int take_row(import_state *s, const char *where, int64_t number, const char *id,
                    size_t id_len, const char *date, size_t date_len, const char *amount,
                    size_t amount_len, const char *qty, size_t qty_len, const char *price,
                    size_t price_len) {
  const strata_import_options *o = s->opt;
  int64_t key, q = 0;
  int32_t day;
  double value, qv;
  if (id_len == 0 || memchr(id, '\0', id_len) != NULL)
    return bad_row(s, where, number, "customer id '%.*s' is empty or holds a NUL byte", (int)id_len,
                   id);
  if (!strata_parse_date_pattern(o->date_format, date, date_len, &day)) {
    if (o->date_format)
      return bad_row(s, where, number, "date '%.*s' does not match --date-format '%s'",
                     (int)date_len, date, o->date_format);
    return bad_row(s, where, number,
                   "date '%.*s' is not a valid YYYYMMDD or YYYY-MM-DD date (another layout: "
                   "--date-format, e.g. '%%d/%%m/%%Y')",
                   (int)date_len, date);
  }
  if (price != NULL) {
    double pv;
    if (!parse_double(qty, qty_len, o->decimal_comma, &qv))
      return bad_row(s, where, number, "quantity '%.*s' is not a finite number", (int)qty_len, qty);
    if (!parse_double(price, price_len, o->decimal_comma, &pv))
      return bad_row(s, where, number, "price '%.*s' is not a finite number%s", (int)price_len,
                     price, o->decimal_comma ? " with a decimal comma" : "");
    value = qv * pv;
    if (!isfinite(value)) return bad_row(s, where, number, "quantity x price overflows");
  } else {
    if (!parse_double(amount, amount_len, o->decimal_comma, &value))
      return bad_row(s, where, number, "amount '%.*s' is not a finite number%s", (int)amount_len,
                     amount,
                     o->decimal_comma                  ? " with a decimal comma"
                     : memchr(amount, ',', amount_len) ? " (a decimal comma needs --decimal-comma)"
                                                       : "");
    if (qty != NULL && (!parse_int64(qty, qty_len, &q) || q < 0 || q > INT32_MAX))
      return bad_row(s, where, number, "quantity '%.*s' is not a count", (int)qty_len, qty);
  }
  if (!strata_keys_intern(&s->keys, id, id_len, &key) ||
      !log_push(&s->log, key, day, value, (int32_t)q)) {
    s->status = strata_fail(s->ctx, STRATA_ERR_NOMEM, "out of memory reading %s", s->path);
    return 0;
  }
  return 1;
}

/* ---- CDNOW: "id [sample_id] YYYYMMDD quantity amount", whitespace separated, CRLF or LF. */

static strata_status read_cdnow(import_state *s, FILE *f) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int64_t number = 0;
  int columns = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    number++;
    const char *tok[6];
    size_t tlen[6];
    int nt = 0;
    for (char *p = line; *p && nt < 6;) {
      while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
      if (!*p) break;
      tok[nt] = p;
      while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') p++;
      tlen[nt] = (size_t)(p - tok[nt]);
      nt++;
    }
    if (nt == 0) continue;
    /* A header line ("customer_id date ...") may open the file. */
    /* With string ids a header is told apart by its date column, which never parses. */
    if (number == 1 && (nt == 4 || nt == 5)) {
      int32_t d;
      int o = nt == 5;
      if (!strata_parse_date_pattern(s->opt->date_format, tok[1 + o], tlen[1 + o], &d)) continue;
    }
    if (columns == 0) columns = nt;
    if (nt != columns || (nt != 4 && nt != 5)) {
      if (!bad_row(s, "line", number,
                   "expected 4 columns (id date quantity amount) or 5 (id sample_id date "
                   "quantity amount), found %d%s",
                   nt, nt == 6 ? " or more" : ""))
        break;
      continue;
    }
    int o = nt == 5; /* the CDNOW sample carries the sample's own id second: ignored */
    if (!take_row(s, "line", number, tok[0], tlen[0], tok[1 + o], tlen[1 + o], tok[3 + o],
                  tlen[3 + o], tok[2 + o], tlen[2 + o], NULL, 0))
      break;
  }
  free(line);
  if (s->status == STRATA_OK && ferror(f))
    s->status = strata_fail(s->ctx, STRATA_ERR_IO, "cannot read %s: %s", s->path, strerror(errno));
  return s->status;
}

/* ---- CSV through libcsv: a header names the columns. */

typedef struct csv_state {
  import_state *s;
  int64_t record; /* 1 = header */
  int n_fields;
  int col_id, col_date, col_amount, col_qty, col_price;
  char *fields[64];
  size_t lens[64];
  char header_names[1024];
  int stop;
} csv_state;

static void csv_field(void *data, size_t len, void *cb) {
  csv_state *c = cb;
  if (c->stop) return;
  if (c->n_fields < 64) {
    char *copy = malloc(len + 1);
    if (copy) {
      memcpy(copy, data, len);
      copy[len] = '\0';
    }
    c->fields[c->n_fields] = copy;
    c->lens[c->n_fields] = copy ? len : 0;
  }
  c->n_fields++;
}

static int find_column(csv_state *c, const char *name) {
  for (int i = 0; i < c->n_fields && i < 64; i++)
    if (c->fields[i] && strcmp(c->fields[i], name) == 0) return i;
  return -1;
}

static void csv_row(int terminator, void *cb) {
  (void)terminator;
  csv_state *c = cb;
  import_state *s = c->s;
  c->record++;
  if (!c->stop) {
    if (c->record == 1) {
      const strata_import_params *p = s->params;
      c->col_id = find_column(c, p->id_col);
      c->col_date = find_column(c, p->date_col);
      const char *price_col = s->opt->price_col;
      c->col_amount = p->amount_col ? find_column(c, p->amount_col) : -1;
      c->col_qty = p->quantity_col ? find_column(c, p->quantity_col) : -1;
      c->col_price = price_col ? find_column(c, price_col) : -1;
      size_t used = 0;
      for (int i = 0; i < c->n_fields && i < 64 && used < sizeof c->header_names - 1; i++)
        used += (size_t)snprintf(c->header_names + used, sizeof c->header_names - used, "%s%s",
                                 i ? ", " : "", c->fields[i] ? c->fields[i] : "");
      const char *missing = c->col_id < 0                          ? p->id_col
                            : c->col_date < 0                      ? p->date_col
                            : (p->amount_col && c->col_amount < 0) ? p->amount_col
                            : (p->quantity_col && c->col_qty < 0)  ? p->quantity_col
                            : (price_col && c->col_price < 0)      ? price_col
                                                                   : NULL;
      if (missing) {
        s->status = strata_fail(s->ctx, STRATA_ERR_DATA,
                                "%s: no column '%s' in the header (columns: %s); name it with "
                                "--id-col, --date-col, --amount-col (or --quantity-col with "
                                "--price-col)",
                                s->path, missing, c->header_names);
        c->stop = 1;
      }
    } else if (!(c->n_fields == 1 && c->lens[0] == 0)) { /* blank lines are not rows */
      int need = c->col_id > c->col_date ? c->col_id : c->col_date;
      if (c->col_amount > need) need = c->col_amount;
      if (c->col_qty > need) need = c->col_qty;
      if (c->col_price > need) need = c->col_price;
      int a = c->col_amount >= 0 ? c->col_amount : c->col_price; /* a field, never read */
      if (c->n_fields <= need) {
        if (!bad_row(s, "record", c->record, "has %d fields, the header has more", c->n_fields))
          c->stop = 1;
      } else if (!take_row(s, "record", c->record, c->fields[c->col_id], c->lens[c->col_id],
                           c->fields[c->col_date], c->lens[c->col_date], c->fields[a], c->lens[a],
                           c->col_qty >= 0 ? c->fields[c->col_qty] : NULL,
                           c->col_qty >= 0 ? c->lens[c->col_qty] : 0,
                           c->col_price >= 0 ? c->fields[c->col_price] : NULL,
                           c->col_price >= 0 ? c->lens[c->col_price] : 0)) {
        c->stop = 1;
      }
    }
  }
  for (int i = 0; i < c->n_fields && i < 64; i++) free(c->fields[i]);
  c->n_fields = 0;
}

static strata_status read_csv(import_state *s, FILE *f) {
  struct csv_parser parser;
  csv_state c;
  memset(&c, 0, sizeof c);
  c.s = s;
  if (csv_init(&parser, CSV_STRICT | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) != 0)
    return strata_fail(s->ctx, STRATA_ERR_NOMEM, "cannot start the CSV parser");
  csv_set_delim(&parser, (unsigned char)s->params->delimiter);
  char buf[1 << 16];
  size_t got, offset = 0;
  while (!c.stop && (got = fread(buf, 1, sizeof buf, f)) > 0) {
    if (csv_parse(&parser, buf, got, csv_field, csv_row, &c) != got) {
      s->status = strata_fail(s->ctx, STRATA_ERR_DATA,
                              "%s: malformed CSV after record %lld (near byte %zu): %s", s->path,
                              (long long)c.record, offset, csv_strerror(csv_error(&parser)));
      break;
    }
    offset += got;
  }
  if (s->status == STRATA_OK && !c.stop && csv_fini(&parser, csv_field, csv_row, &c) != 0)
    s->status = strata_fail(s->ctx, STRATA_ERR_DATA, "%s: malformed CSV at the end: %s", s->path,
                            csv_strerror(csv_error(&parser)));
  if (s->status == STRATA_OK && c.record == 0)
    s->status =
        strata_fail(s->ctx, STRATA_ERR_DATA, "%s is empty: expected a header line", s->path);
  for (int i = 0; i < c.n_fields && i < 64; i++) free(c.fields[i]);
  csv_free(&parser);
  return s->status;
}

void strata_import_params_init(strata_import_params *p) {
  if (p == NULL) return;
  memset(p, 0, sizeof *p);
  p->format = STRATA_IMPORT_CSV;
  p->id_col = "customer_id";
  p->date_col = "date";
  p->amount_col = "amount";
  p->quantity_col = NULL;
  p->delimiter = ',';
}

/* The id rule of the header comment: 1 when every key is a distinct decimal integer, with the
 * values in ids[key]. */
static int integer_keys(const strata_keys *k, int64_t *ids) {
  for (int64_t i = 0; i < k->n; i++) {
    const char *t = strata_keys_get(k, i);
    size_t len = strlen(t), j = t[0] == '-';
    if (j == len) return 0;
    for (; j < len; j++)
      if (t[j] < '0' || t[j] > '9') return 0;
    if (!parse_int64(t, len, &ids[i])) return 0;
  }
  return 1;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static strata_status check_options(strata_ctx *ctx, const strata_import_options *o,
                                   strata_import_params *p) {
  strata_status st = STRATA_OK;
  *p = o->base;
  STRATA_FAIL_IF(p->format != STRATA_IMPORT_CDNOW && p->format != STRATA_IMPORT_CSV, ctx,
                 STRATA_ERR_USAGE, "--format must be cdnow or csv");
  const char *why = strata_date_pattern_check(o->date_format);
  STRATA_FAIL_IF(why != NULL, ctx, STRATA_ERR_USAGE, "--date-format '%s' is not usable: %s",
                 o->date_format, why);
  if (p->format == STRATA_IMPORT_CSV) {
    STRATA_FAIL_IF(o->decimal_comma && p->delimiter == ',', ctx, STRATA_ERR_USAGE,
                   "--decimal-comma needs another field separator than ',': pass --delimiter ';' "
                   "or --delimiter tab");
    STRATA_FAIL_IF(o->price_col && p->amount_col, ctx, STRATA_ERR_USAGE,
                   "give the amount one way: --amount-col, or --quantity-col with --price-col, "
                   "not both");
    STRATA_FAIL_IF(o->price_col && !p->quantity_col, ctx, STRATA_ERR_USAGE,
                   "--price-col needs --quantity-col (amount = quantity x price)");
    if (!o->price_col && !p->amount_col) p->amount_col = "amount";
  } else {
    STRATA_FAIL_IF(o->price_col != NULL, ctx, STRATA_ERR_USAGE, "--price-col is for --format csv");
  }
cleanup:
  return st;
}

strata_status strata_import_files(strata_ctx *ctx, const char *const *in, int n_in,
                                  const strata_import_options *options, const char *out, int force,
                                  const char *command_line, strata_import_report *report) {
  strata_status st = STRATA_OK;
  FILE *f = NULL;
  strata_h5_writer *w = NULL;
  strata_import_report local;
  strata_import_params params;
  import_state s;
  int64_t *key_id = NULL, *sorted = NULL;
  const char **key_text = NULL;
  memset(&s, 0, sizeof s);
  if (report == NULL) report = &local;
  memset(report, 0, sizeof *report);
  strata_import_summary *summary = &report->base;
  STRATA_FAIL_IF(in == NULL || n_in < 1 || options == NULL || out == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_import: inputs, options and output are required");
  STRATA_TRY(check_options(ctx, options, &params));
  for (int i = 0; i < n_in; i++) {
    f = fopen(in[i], "rb");
    STRATA_FAIL_IF(f == NULL, ctx, STRATA_ERR_IO, "cannot open '%s': %s", in[i], strerror(errno));
    fclose(f);
    f = NULL;
  }
  /* Refuse an existing output before reading a large log, not after. */
  STRATA_TRY(strata_h5_writer_create(ctx, out, force, &w));
  s.ctx = ctx;
  s.params = &params;
  s.opt = options;
  s.summary = summary;
  s.log.has_quantity = params.format == STRATA_IMPORT_CDNOW ||
                       (params.quantity_col != NULL && options->price_col == NULL);
  double t0 = strata_now();
  for (int i = 0; i < n_in; i++) {
    s.path = in[i];
    f = fopen(in[i], "rb");
    STRATA_FAIL_IF(f == NULL, ctx, STRATA_ERR_IO, "cannot open '%s': %s", in[i], strerror(errno));
    int64_t before = s.log.n;
    STRATA_TRY(params.format == STRATA_IMPORT_CDNOW ? read_cdnow(&s, f) : read_csv(&s, f));
    fclose(f);
    f = NULL;
    /* An empty month among several would hide a wrong path: every input must hold rows. */
    STRATA_FAIL_IF(s.log.n == before, ctx, STRATA_ERR_DATA, "%s holds no transactions%s%s", in[i],
                   summary->skipped ? "; the first bad row: " : "",
                   summary->skipped ? summary->first_bad : "");
  }
  strata_phase_add(ctx, "parse", strata_now() - t0);

  t0 = strata_now();
  int64_t n_keys = s.keys.n;
  key_id = malloc((size_t)n_keys * sizeof *key_id);
  sorted = malloc((size_t)n_keys * sizeof *sorted);
  key_text = malloc((size_t)n_keys * sizeof *key_text);
  STRATA_FAIL_IF(!key_id || !sorted || !key_text, ctx, STRATA_ERR_NOMEM,
                 "out of memory mapping %lld customer ids", (long long)n_keys);
  int integers = integer_keys(&s.keys, key_id);
  if (integers) {
    memcpy(sorted, key_id, (size_t)n_keys * sizeof *sorted);
    qsort(sorted, (size_t)n_keys, sizeof *sorted, cmp_i64);
    for (int64_t i = 1; i < n_keys && integers; i++) integers = sorted[i] != sorted[i - 1];
  }
  for (int64_t i = 0; i < n_keys; i++) {
    if (!integers) key_id[i] = i + 1;
    key_text[i] = strata_keys_get(&s.keys, i);
  }
  report->customers = n_keys;
  report->ids_mapped = !integers;
  summary->rows = s.log.n;
  summary->first_day = summary->last_day = s.log.day[0];
  for (int64_t i = 0; i < s.log.n; i++) {
    s.log.id[i] = key_id[s.log.id[i]];
    if (s.log.day[i] < summary->first_day) summary->first_day = s.log.day[i];
    if (s.log.day[i] > summary->last_day) summary->last_day = s.log.day[i];
    summary->total_amount += s.log.amount[i];
    report->zero_amount += s.log.amount[i] == 0;
    report->negative += s.log.amount[i] < 0;
  }
  int64_t dims[1] = {s.log.n};
  STRATA_TRY(strata_h5_write(ctx, w, "/transactions/customer_id", STRATA_I64, 1, dims, s.log.id));
  STRATA_TRY(strata_h5_write(ctx, w, "/transactions/day", STRATA_I32, 1, dims, s.log.day));
  STRATA_TRY(strata_h5_write(ctx, w, "/transactions/amount", STRATA_F64, 1, dims, s.log.amount));
  if (s.log.has_quantity)
    STRATA_TRY(
        strata_h5_write(ctx, w, "/transactions/quantity", STRATA_I32, 1, dims, s.log.quantity));
  int64_t kdims[1] = {n_keys};
  STRATA_TRY(strata_h5_write(ctx, w, "/customers/id", STRATA_I64, 1, kdims, key_id));
  STRATA_TRY(strata_h5_write_strings(ctx, w, "/customers/key", n_keys, key_text));
  STRATA_TRY(strata_h5_write_attr_string(
      ctx, w, "/customers", "id_rule",
      integers ? "integer: every customer id of the input is a distinct decimal integer and "
                 "/customers/id is its value; /customers/key is the id as written"
               : "first_appearance: /customers/id is 1..N in order of first appearance over the "
                 "inputs in the order given; /customers/key is the id as written"));
  int64_t counts[2] = {summary->rows, summary->skipped};
  size_t src_len = 1;
  for (int i = 0; i < n_in; i++) src_len += strlen(in[i]) + 1;
  char *sources = malloc(src_len);
  STRATA_FAIL_IF(sources == NULL, ctx, STRATA_ERR_NOMEM, "out of memory");
  sources[0] = '\0';
  for (int i = 0; i < n_in; i++) {
    if (i) strcat(sources, "\n");
    strcat(sources, in[i]);
  }
  st = strata_h5_write_attr_string(ctx, w, "/transactions", "source", sources);
  free(sources);
  STRATA_TRY(st);
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/transactions", "format",
                                         params.format == STRATA_IMPORT_CDNOW ? "cdnow" : "csv"));
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/transactions", "rows", &counts[0], 1));
  STRATA_TRY(strata_h5_write_attr_int64(ctx, w, "/transactions", "skipped_rows", &counts[1], 1));
  STRATA_TRY(strata_h5_write_provenance(ctx, w, command_line, summary->rows + summary->skipped,
                                        s.log.has_quantity ? 4 : 3));
  STRATA_TRY(strata_h5_writer_commit(ctx, w));
  w = NULL;
  strata_phase_add(ctx, "write", strata_now() - t0);
cleanup:
  if (f) fclose(f);
  strata_h5_writer_free(w);
  log_free(&s.log);
  strata_keys_free(&s.keys);
  free(key_id);
  free(sorted);
  free(key_text);
  return st;
}

strata_status strata_import(strata_ctx *ctx, const char *in, const strata_import_params *params,
                            const char *out, int force, const char *command_line,
                            strata_import_summary *summary) {
  strata_import_options o;
  memset(&o, 0, sizeof o);
  if (params) o.base = *params;
  strata_import_report r;
  memset(&r, 0, sizeof r);
  strata_status st = params == NULL
                         ? strata_fail(ctx, STRATA_ERR_USAGE,
                                       "strata_import: params "
                                       "are required")
                         : strata_import_files(ctx, &in, 1, &o, out, force, command_line, &r);
  if (summary) *summary = r.base;
  return st;
}
