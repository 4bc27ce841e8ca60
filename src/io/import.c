/*
 * `strata import`: transaction logs (CDNOW layout, or CSV with a header through libcsv) into
 * /transactions of an HDF5 file. Every row is either imported or reported with its line (or
 * CSV record) number; with skip_bad_rows the bad ones are counted and the first is quoted,
 * never dropped silently. The input is only read. O(m) time and memory for m transactions.
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
  txn_log log;
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

static int parse_double(const char *s, size_t len, double *out) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *end;
  errno = 0;
  double v = strtod(buf, &end);
  if (end == buf || *end != '\0' || errno == ERANGE || !isfinite(v)) return 0;
  *out = v;
  return 1;
}

/* Validates and stores one transaction given as text fields. */
static int take_row(import_state *s, const char *where, int64_t number, const char *id,
                    size_t id_len, const char *date, size_t date_len, const char *amount,
                    size_t amount_len, const char *qty, size_t qty_len) {
  int64_t cid, q = 0;
  int32_t day;
  double value;
  if (!parse_int64(id, id_len, &cid))
    return bad_row(s, where, number, "customer id '%.*s' is not an integer", (int)id_len, id);
  if (!strata_parse_date(date, date_len, &day))
    return bad_row(s, where, number, "date '%.*s' is not a valid YYYYMMDD or YYYY-MM-DD date",
                   (int)date_len, date);
  if (!parse_double(amount, amount_len, &value))
    return bad_row(s, where, number, "amount '%.*s' is not a finite number", (int)amount_len,
                   amount);
  if (qty != NULL && (!parse_int64(qty, qty_len, &q) || q < 0 || q > INT32_MAX))
    return bad_row(s, where, number, "quantity '%.*s' is not a count", (int)qty_len, qty);
  if (!log_push(&s->log, cid, day, value, (int32_t)q)) {
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
    if (number == 1 && !(tok[0][0] >= '0' && tok[0][0] <= '9')) continue;
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
                  tlen[3 + o], tok[2 + o], tlen[2 + o]))
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
  int col_id, col_date, col_amount, col_qty;
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
      c->col_amount = find_column(c, p->amount_col);
      c->col_qty = p->quantity_col ? find_column(c, p->quantity_col) : -1;
      size_t used = 0;
      for (int i = 0; i < c->n_fields && i < 64 && used < sizeof c->header_names - 1; i++)
        used += (size_t)snprintf(c->header_names + used, sizeof c->header_names - used, "%s%s",
                                 i ? ", " : "", c->fields[i] ? c->fields[i] : "");
      const char *missing = c->col_id < 0                         ? p->id_col
                            : c->col_date < 0                     ? p->date_col
                            : c->col_amount < 0                   ? p->amount_col
                            : (p->quantity_col && c->col_qty < 0) ? p->quantity_col
                                                                  : NULL;
      if (missing) {
        s->status = strata_fail(s->ctx, STRATA_ERR_DATA,
                                "%s: no column '%s' in the header (columns: %s); name it with "
                                "--id-col, --date-col, --amount-col",
                                s->path, missing, c->header_names);
        c->stop = 1;
      }
      s->log.has_quantity = c->col_qty >= 0;
    } else if (!(c->n_fields == 1 && c->lens[0] == 0)) { /* blank lines are not rows */
      int need = c->col_id > c->col_date ? c->col_id : c->col_date;
      if (c->col_amount > need) need = c->col_amount;
      if (c->col_qty > need) need = c->col_qty;
      if (c->n_fields <= need) {
        if (!bad_row(s, "record", c->record, "has %d fields, the header has more", c->n_fields))
          c->stop = 1;
      } else if (!take_row(s, "record", c->record, c->fields[c->col_id], c->lens[c->col_id],
                           c->fields[c->col_date], c->lens[c->col_date], c->fields[c->col_amount],
                           c->lens[c->col_amount], c->col_qty >= 0 ? c->fields[c->col_qty] : NULL,
                           c->col_qty >= 0 ? c->lens[c->col_qty] : 0)) {
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

strata_status strata_import(strata_ctx *ctx, const char *in, const strata_import_params *params,
                            const char *out, int force, const char *command_line,
                            strata_import_summary *summary) {
  strata_status st = STRATA_OK;
  FILE *f = NULL;
  strata_h5_writer *w = NULL;
  strata_import_summary local;
  import_state s;
  memset(&s, 0, sizeof s);
  if (summary == NULL) summary = &local;
  memset(summary, 0, sizeof *summary);
  STRATA_FAIL_IF(in == NULL || params == NULL || out == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_import: input, params and output are required");
  STRATA_FAIL_IF(params->format != STRATA_IMPORT_CDNOW && params->format != STRATA_IMPORT_CSV, ctx,
                 STRATA_ERR_USAGE, "--format must be cdnow or csv");
  f = fopen(in, "rb");
  STRATA_FAIL_IF(f == NULL, ctx, STRATA_ERR_IO, "cannot open '%s': %s", in, strerror(errno));
  /* Refuse an existing output before reading a large log, not after. */
  STRATA_TRY(strata_h5_writer_create(ctx, out, force, &w));
  s.ctx = ctx;
  s.path = in;
  s.params = params;
  s.summary = summary;
  s.log.has_quantity = params->format == STRATA_IMPORT_CDNOW;
  double t0 = strata_now();
  STRATA_TRY(params->format == STRATA_IMPORT_CDNOW ? read_cdnow(&s, f) : read_csv(&s, f));
  strata_phase_add(ctx, "parse", strata_now() - t0);
  STRATA_FAIL_IF(s.log.n == 0, ctx, STRATA_ERR_DATA, "%s holds no transactions%s%s", in,
                 summary->skipped ? "; every row was bad, the first: " : "",
                 summary->skipped ? summary->first_bad : "");

  t0 = strata_now();
  summary->rows = s.log.n;
  summary->first_day = summary->last_day = s.log.day[0];
  for (int64_t i = 0; i < s.log.n; i++) {
    if (s.log.day[i] < summary->first_day) summary->first_day = s.log.day[i];
    if (s.log.day[i] > summary->last_day) summary->last_day = s.log.day[i];
    summary->total_amount += s.log.amount[i];
  }
  int64_t dims[1] = {s.log.n};
  STRATA_TRY(strata_h5_write(ctx, w, "/transactions/customer_id", STRATA_I64, 1, dims, s.log.id));
  STRATA_TRY(strata_h5_write(ctx, w, "/transactions/day", STRATA_I32, 1, dims, s.log.day));
  STRATA_TRY(strata_h5_write(ctx, w, "/transactions/amount", STRATA_F64, 1, dims, s.log.amount));
  if (s.log.has_quantity)
    STRATA_TRY(
        strata_h5_write(ctx, w, "/transactions/quantity", STRATA_I32, 1, dims, s.log.quantity));
  int64_t counts[2] = {summary->rows, summary->skipped};
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/transactions", "source", in));
  STRATA_TRY(strata_h5_write_attr_string(ctx, w, "/transactions", "format",
                                         params->format == STRATA_IMPORT_CDNOW ? "cdnow" : "csv"));
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
  return st;
}
