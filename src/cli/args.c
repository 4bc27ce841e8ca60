/* Table-driven option parsing, help text, exit codes and result output for every command. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"

static cli_option common_options[] = {
    {"threads", 0, CLI_INT, NULL, "N", "worker threads (0 = all cores)", 0, 0, 4096, 0},
    {"memory", 0, CLI_BYTES, NULL, "SIZE", "memory budget, e.g. 8G or 512M (default: 3/4 of RAM)",
     0, 0, 0, 0},
    {"json", 0, CLI_FLAG, NULL, NULL, "print one JSON object with results and phase timings", 0, 0,
     0, 0},
    {"quiet", 'q', CLI_FLAG, NULL, NULL, "print nothing but errors", 0, 0, 0, 0},
    {"force", 0, CLI_FLAG, NULL, NULL, "replace an existing output file", 0, 0, 0, 0},
    {"help", 'h', CLI_FLAG, NULL, NULL, "show this help", 0, 0, 0, 0},
};
#define N_COMMON (sizeof common_options / sizeof common_options[0])

int cli_exit_code(strata_status status) {
  switch (status) {
    case STRATA_OK: return CLI_EXIT_OK;
    case STRATA_ERR_USAGE: return CLI_EXIT_USAGE;
    case STRATA_ERR_DATA:
    case STRATA_ERR_NOT_CONVERGED: return CLI_EXIT_DATA;
    case STRATA_ERR_IO:
    case STRATA_ERR_EXISTS: return CLI_EXIT_IO;
    case STRATA_ERR_NOMEM:
    case STRATA_ERR_BUDGET: return CLI_EXIT_MEMORY;
    case STRATA_ERR_INTERNAL: return CLI_EXIT_INTERNAL;
  }
  return CLI_EXIT_INTERNAL;
}

FILE *cli_text(const cli_run *run) {
  return (run->common.json || run->common.quiet) ? NULL : stdout;
}

static void print_json(cJSON *obj) {
  char *text = cJSON_PrintUnformatted(obj);
  if (text != NULL) {
    fputs(text, stdout);
    fputc('\n', stdout);
    cJSON_free(text);
  }
  fflush(stdout);
}

static int report_error(cli_run *run, int code, strata_status status, const char *message) {
  cli_progress_clear();
  const char *name = run->cmd ? run->cmd->name : "";
  fprintf(stderr, "strata%s%s: error: %s\n", name[0] ? " " : "", name, message);
  if (run->common.json) {
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "command", name);
    cJSON_AddBoolToObject(obj, "ok", 0);
    cJSON_AddStringToObject(obj, "status", strata_status_str(status));
    cJSON_AddStringToObject(obj, "error", message);
    cJSON_AddNumberToObject(obj, "exit_code", code);
    print_json(obj);
    cJSON_Delete(obj);
  }
  return code;
}

int cli_fail(cli_run *run, strata_status status) {
  const char *msg = strata_ctx_error(run->ctx);
  return report_error(run, cli_exit_code(status), status, msg[0] ? msg : strata_status_str(status));
}

int cli_usage_error(cli_run *run, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t len = strlen(msg);
  if (run->cmd) snprintf(msg + len, sizeof msg - len, " (see: strata %s --help)", run->cmd->name);
  return report_error(run, CLI_EXIT_USAGE, STRATA_ERR_USAGE, msg);
}

int cli_finish(cli_run *run) {
  cli_progress_clear();
  if (!run->common.json) return CLI_EXIT_OK;
  cJSON *obj = cJSON_CreateObject();
  cJSON_AddStringToObject(obj, "command", run->cmd->name);
  cJSON_AddBoolToObject(obj, "ok", 1);
  cJSON_AddStringToObject(obj, "version", strata_version());
  cJSON_AddNumberToObject(obj, "threads", strata_ctx_threads(run->ctx));
  if (run->result != NULL) {
    cJSON_AddItemToObject(obj, "results", run->result);
    run->result = NULL;
  }
  cJSON *phases = cJSON_AddObjectToObject(obj, "phases");
  for (size_t i = 0; i < strata_ctx_phase_count(run->ctx); i++)
    cJSON_AddNumberToObject(phases, strata_ctx_phase_name(run->ctx, i),
                            strata_ctx_phase_seconds(run->ctx, i));
  cJSON_AddNumberToObject(obj, "seconds", strata_now_seconds() - run->started);
  print_json(obj);
  cJSON_Delete(obj);
  return CLI_EXIT_OK;
}

void cli_run_free(cli_run *run) {
  strata_ctx_free(run->ctx);
  run->ctx = NULL;
  free(run->command_line);
  run->command_line = NULL;
  cJSON_Delete(run->result);
  run->result = NULL;
}

static void print_option(FILE *out, const cli_option *o) {
  char left[64];
  if (o->short_name)
    snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
  else
    snprintf(left, sizeof left, "    --%s%s%s", o->name, o->metavar ? " " : "",
             o->metavar ? o->metavar : "");
  fprintf(out, "  %-28s %s%s\n", left, o->help, o->required ? " (required)" : "");
}

void cli_print_help(FILE *out, const cli_command *cmd) {
  fprintf(out, "usage: strata %s\n\n%s\n", cmd->usage, cmd->summary);
  if (cmd->details) fprintf(out, "\n%s\n", cmd->details);
  if (cmd->n_options) {
    fprintf(out, "\noptions:\n");
    for (size_t i = 0; i < cmd->n_options; i++) print_option(out, &cmd->options[i]);
  }
  fprintf(out, "\ncommon options:\n");
  for (size_t i = 0; i < N_COMMON; i++) {
    if (strcmp(common_options[i].name, "force") == 0 && !cmd->writes_output) continue;
    print_option(out, &common_options[i]);
  }
  fprintf(out,
          "\nexit codes: 0 success, 2 usage error, 3 bad input data, 4 I/O failure,\n"
          "            5 out of memory or over the memory budget\n");
}

/* "8G", "512M", "1.5g", "1000000" (bytes). */
static int parse_bytes(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno != 0 || !(v > 0) || !isfinite(v)) return 0;
  double mult = 1;
  switch (*end) {
    case 'k':
    case 'K':
      mult = 1024.0;
      end++;
      break;
    case 'm':
    case 'M':
      mult = 1048576.0;
      end++;
      break;
    case 'g':
    case 'G':
      mult = 1073741824.0;
      end++;
      break;
    case 't':
    case 'T':
      mult = 1099511627776.0;
      end++;
      break;
    default: break;
  }
  if (*end == 'i' || *end == 'B' || *end == 'b') end++;
  if (*end == 'B') end++;
  if (*end != '\0') return 0;
  double bytes = v * mult;
  if (bytes >= 18446744073709551615.0) return 0;
  *out = (uint64_t)bytes;
  return *out > 0;
}

static int set_value(cli_run *run, cli_option *o, const char *value) {
  char *end;
  switch (o->kind) {
    case CLI_FLAG: *(int *)o->target = 1; return CLI_EXIT_OK;
    case CLI_STRING:
      if (value[0] == '\0')
        return cli_usage_error(run, "--%s needs a non-empty %s", o->name, o->metavar);
      *(const char **)o->target = value;
      return CLI_EXIT_OK;
    case CLI_INT: {
      errno = 0;
      long long v = strtoll(value, &end, 10);
      if (end == value || *end != '\0' || errno != 0 || (double)v < o->min || (double)v > o->max)
        return cli_usage_error(run, "--%s expects an integer from %.0f to %.0f, got '%s'", o->name,
                               o->min, o->max, value);
      *(int64_t *)o->target = v;
      return CLI_EXIT_OK;
    }
    case CLI_UINT64: {
      errno = 0;
      if (value[0] == '-')
        return cli_usage_error(run, "--%s expects a non-negative integer, got '%s'", o->name,
                               value);
      unsigned long long v = strtoull(value, &end, 10);
      if (end == value || *end != '\0' || errno != 0)
        return cli_usage_error(run, "--%s expects a non-negative integer, got '%s'", o->name,
                               value);
      *(uint64_t *)o->target = v;
      return CLI_EXIT_OK;
    }
    case CLI_DOUBLE: {
      errno = 0;
      double v = strtod(value, &end);
      if (end == value || *end != '\0' || errno != 0 || !isfinite(v) || v < o->min || v > o->max)
        return cli_usage_error(run, "--%s expects a number from %g to %g, got '%s'", o->name,
                               o->min, o->max, value);
      *(double *)o->target = v;
      return CLI_EXIT_OK;
    }
    case CLI_BYTES:
      if (!parse_bytes(value, (uint64_t *)o->target))
        return cli_usage_error(run, "--%s expects a size such as 8G, 512M or 1000000, got '%s'",
                               o->name, value);
      return CLI_EXIT_OK;
  }
  return CLI_EXIT_INTERNAL;
}

static cli_option *find_long(cli_option *opts, size_t n, const char *name, size_t len) {
  for (size_t i = 0; i < n; i++)
    if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) return &opts[i];
  return NULL;
}

static cli_option *find_short(cli_option *opts, size_t n, char c) {
  for (size_t i = 0; i < n; i++)
    if (opts[i].short_name == c) return &opts[i];
  return NULL;
}

/* The command line as typed, shell-quoted where needed, for provenance attributes. */
static char *join_command_line(int argc, char **argv) {
  size_t len = 1;
  for (int i = 0; i < argc; i++) len += 3 + 4 * strlen(argv[i]);
  char *s = malloc(len);
  if (s == NULL) return NULL;
  char *p = s;
  for (int i = 0; i < argc; i++) {
    if (i) *p++ = ' ';
    int plain = argv[i][0] != '\0' && strpbrk(argv[i], " \t\n'\"\\$`*?") == NULL;
    if (plain) {
      size_t l = strlen(argv[i]);
      memcpy(p, argv[i], l);
      p += l;
    } else {
      *p++ = '\'';
      for (const char *c = argv[i]; *c; c++) {
        if (*c == '\'') {
          memcpy(p, "'\\''", 4);
          p += 4;
        } else {
          *p++ = *c;
        }
      }
      *p++ = '\'';
    }
  }
  *p = '\0';
  return s;
}

int cli_parse(cli_run *run, const cli_command *cmd, int argc, char **argv, int argc_all,
              char **argv_all) {
  memset(run, 0, sizeof *run);
  run->cmd = cmd;
  run->started = strata_now_seconds();
  run->common.threads = 0;
  cli_option common[N_COMMON];
  memcpy(common, common_options, sizeof common);
  void *targets[N_COMMON] = {&run->common.threads, &run->common.memory, &run->common.json,
                             &run->common.quiet,   &run->common.force,  &run->common.help};
  for (size_t i = 0; i < N_COMMON; i++) common[i].target = targets[i];
  for (size_t i = 0; i < cmd->n_options; i++) cmd->options[i].seen = 0;

  /* --json must be known before the first error so that errors come out as JSON too. */
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (strcmp(argv[i], "--json") == 0) run->common.json = 1;
  }

  int n_positional = 0;
  int only_positional = 0;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (only_positional || arg[0] != '-' || arg[1] == '\0') {
      if (cmd->positional == NULL || n_positional == 1)
        return cli_usage_error(run, "unexpected argument '%s'", arg);
      run->positional = arg;
      n_positional++;
      continue;
    }
    if (strcmp(arg, "--") == 0) {
      only_positional = 1;
      continue;
    }
    cli_option *o = NULL;
    const char *inline_value = NULL;
    if (arg[1] == '-') {
      const char *name = arg + 2;
      const char *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      o = find_long(cmd->options, cmd->n_options, name, len);
      if (o == NULL) o = find_long(common, N_COMMON, name, len);
      if (o != NULL && strcmp(o->name, "force") == 0 && !cmd->writes_output) o = NULL;
      if (eq) inline_value = eq + 1;
    } else if (arg[2] == '\0') {
      o = find_short(cmd->options, cmd->n_options, arg[1]);
      if (o == NULL) o = find_short(common, N_COMMON, arg[1]);
    }
    if (o == NULL) return cli_usage_error(run, "unknown option '%s'", arg);
    if (o->seen && o->kind != CLI_FLAG)
      return cli_usage_error(run, "--%s given more than once", o->name);
    o->seen = 1;
    const char *value = NULL;
    if (o->kind == CLI_FLAG) {
      if (inline_value != NULL) return cli_usage_error(run, "--%s takes no value", o->name);
    } else if (inline_value != NULL) {
      value = inline_value;
    } else {
      if (i + 1 >= argc)
        return cli_usage_error(run, "--%s needs a value (%s)", o->name, o->metavar);
      value = argv[++i];
    }
    int rc = set_value(run, o, value);
    if (rc != CLI_EXIT_OK) return rc;
  }
  if (run->common.help) return CLI_EXIT_OK;
  for (size_t i = 0; i < cmd->n_options; i++)
    if (cmd->options[i].required && !cmd->options[i].seen)
      return cli_usage_error(run, "--%s %s is required", cmd->options[i].name,
                             cmd->options[i].metavar ? cmd->options[i].metavar : "");
  if (cmd->positional && cmd->positional_required && n_positional == 0)
    return cli_usage_error(run, "%s is required", cmd->positional);

  run->command_line = join_command_line(argc_all, argv_all);
  if (run->command_line == NULL || strata_ctx_create(&run->ctx) != STRATA_OK)
    return report_error(run, CLI_EXIT_MEMORY, STRATA_ERR_NOMEM, "out of memory");
  strata_ctx_set_threads(run->ctx, (int)run->common.threads);
  if (run->common.memory) strata_ctx_set_memory_budget(run->ctx, run->common.memory);
  /* Progress only for a person watching: never into a log file or a pipe. */
  if (!run->common.quiet && isatty(STDERR_FILENO))
    strata_ctx_set_progress(run->ctx, cli_progress_print, NULL);
  run->result = cJSON_CreateObject();
  return CLI_EXIT_OK;
}

int cli_check_distinct(cli_run *run, const char *input, const char *output) {
  struct stat a, b;
  if (input && output && stat(input, &a) == 0 && stat(output, &b) == 0 && a.st_dev == b.st_dev &&
      a.st_ino == b.st_ino)
    return cli_usage_error(run, "--out %s is the input file; strata never modifies its input",
                           output);
  return CLI_EXIT_OK;
}

int cli_start(cli_run *run, const cli_command *cmd, int argc, char **argv, int argc_all,
              char **argv_all, int *rc) {
  *rc = cli_parse(run, cmd, argc, argv, argc_all, argv_all);
  if (*rc != CLI_EXIT_OK) return 0;
  if (run->common.help) {
    cli_print_help(stdout, cmd);
    return 0;
  }
  return 1;
}

int cli_parse_choice(cli_run *run, const char *flag, const char *value, const char *const *names,
                     int count, int *out) {
  for (int i = 0; i < count; i++)
    if (strcmp(value, names[i]) == 0) {
      *out = i;
      return CLI_EXIT_OK;
    }
  char allowed[256] = "";
  for (int i = 0; i < count; i++) {
    strncat(allowed, i ? (i == count - 1 ? " or " : ", ") : "",
            sizeof allowed - strlen(allowed) - 1);
    strncat(allowed, names[i], sizeof allowed - strlen(allowed) - 1);
  }
  return cli_usage_error(run, "--%s must be %s, got '%s'", flag, allowed, value);
}
