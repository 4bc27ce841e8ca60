/*
 * The strata command's shared pieces: a table-driven option parser that produces --help,
 * the flags every command takes, exit codes (DESIGN.md), JSON results and progress on stderr.
 * Only src/cli prints; the library reports through statuses and the context.
 */
#ifndef STRATA_CLI_H
#define STRATA_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "strata.h"

/* Exit codes of the command-line contract. */
enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_INTERNAL = 1,
  CLI_EXIT_USAGE = 2,
  CLI_EXIT_DATA = 3,
  CLI_EXIT_IO = 4,
  CLI_EXIT_MEMORY = 5
};

typedef enum { CLI_FLAG, CLI_INT, CLI_UINT64, CLI_DOUBLE, CLI_STRING, CLI_BYTES } cli_kind;

typedef struct cli_option {
  const char *name; /* long name without dashes: "customers" */
  char short_name;  /* 0 for none */
  cli_kind kind;
  void *target;        /* int* for FLAG, int64_t* for INT, uint64_t* for UINT64/BYTES,
                          double* for DOUBLE, const char** for STRING */
  const char *metavar; /* "N", "FILE" */
  const char *help;
  int required;
  double min, max; /* accepted range for numbers (inclusive) */
  int seen;
} cli_option;

/* The flags every command takes. */
typedef struct cli_common {
  int64_t threads;
  int json;
  int quiet;
  int help;
  int force;
  uint64_t memory;
} cli_common;

typedef struct cli_command {
  const char *name;    /* "gen" or "clv fit" */
  const char *summary; /* one line for `strata --help` */
  const char *usage;   /* synopsis after "strata " */
  const char *details; /* paragraph printed under the synopsis, may be NULL */
  cli_option *options; /* command-specific options */
  size_t n_options;
  int writes_output;      /* takes --force */
  const char *positional; /* name of the positional argument ("FILE") or NULL */
  int positional_required;
} cli_command;

/* State of one run of a command. */
typedef struct cli_run {
  const cli_command *cmd;
  cli_common common;
  const char *positional;
  char *command_line;
  strata_ctx *ctx;
  cJSON *result; /* the command adds its results here; printed with --json */
  double started;
} cli_run;

/* Parses argv (after the command name). Returns CLI_EXIT_OK, or CLI_EXIT_USAGE after printing
 * the problem; sets run->common.help when --help was given (the caller prints help and exits
 * 0). Creates run->ctx configured from the common flags. */
int cli_parse(cli_run *run, const cli_command *cmd, int argc, char **argv, int argc_all,
              char **argv_all);
void cli_print_help(FILE *out, const cli_command *cmd);
/* cli_parse plus --help: returns 1 when the command should go on; otherwise 0 with *rc the
 * exit code to return (0 after printing the help, 2 after a usage error). */
int cli_start(cli_run *run, const cli_command *cmd, int argc, char **argv, int argc_all,
              char **argv_all, int *rc);
/* Index of `value` in names[0..count) into *out; otherwise a usage error naming --flag and the
 * accepted values (returns CLI_EXIT_USAGE). */
int cli_parse_choice(cli_run *run, const char *flag, const char *value, const char *const *names,
                     int count, int *out);
/* Maps a library status to the exit code of the contract. */
int cli_exit_code(strata_status status);
/* Reports a failed library call (stderr, and a JSON object on stdout with --json) and returns
 * the exit code. */
int cli_fail(cli_run *run, strata_status status);
/* Reports a usage problem found by the command itself; returns CLI_EXIT_USAGE. */
int cli_usage_error(cli_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the JSON result (with phase timings) when --json was given; returns CLI_EXIT_OK. */
int cli_finish(cli_run *run);
/* Frees everything the run owns. */
void cli_run_free(cli_run *run);
/* stdout for human-readable text, or NULL under --json or --quiet. */
FILE *cli_text(const cli_run *run);

/* Refuses (usage error) an output path that names the input file itself: the atomic rename
 * would replace the input, and input is never modified. */
int cli_check_distinct(cli_run *run, const char *input, const char *output);

/* The commands. */
int cli_cmd_clv(int argc, char **argv, int argc_all, char **argv_all);
int cli_cmd_segment(int argc, char **argv, int argc_all, char **argv_all);
int cli_cmd_score(int argc, char **argv, int argc_all, char **argv_all);
int cli_cmd_gen(int argc, char **argv, int argc_all, char **argv_all);
int cli_cmd_import(int argc, char **argv, int argc_all, char **argv_all);
int cli_cmd_info(int argc, char **argv, int argc_all, char **argv_all);
int cli_cmd_kmeans(int argc, char **argv, int argc_all, char **argv_all);
int cli_cmd_hier(int argc, char **argv, int argc_all, char **argv_all);
int cli_cmd_export(int argc, char **argv, int argc_all, char **argv_all);

#endif
