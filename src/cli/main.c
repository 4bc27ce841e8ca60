/* `strata`: dispatches to the commands of the command-line contract (DESIGN.md). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "kernels.h"

typedef struct {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv, int argc_all, char **argv_all);
} command_entry;

static const command_entry commands[] = {
    {"clv", "fit CLV models (BG/NBD, Pareto/NBD, Gamma-Gamma) and score customers", cli_cmd_clv},
    {"gen", "generate a synthetic customer base with known truth", cli_cmd_gen},
    {"import", "import a transaction log (CDNOW layout or CSV) into HDF5", cli_cmd_import},
    {"info", "list the groups, datasets, shapes, types and attributes of a file", cli_cmd_info},
    {"segment", "segment accounts into named, profiled segments (with an HTML report)",
     cli_cmd_segment},
    {"score", "assign new accounts to a saved segmentation and check for drift", cli_cmd_score},
    {"kmeans", "cluster the rows of a dataset with exact k-means", cli_cmd_kmeans},
    {"hier", "hierarchical clustering (SciPy's linkage matrix), exact or two-stage", cli_cmd_hier},
    {"export", "per-account results as CSV (gzip, zstd) for CRMs and BI tools", cli_cmd_export},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *out) {
  fprintf(out,
          "usage: strata COMMAND [options]\n\n"
          "strata segments very large customer bases: RFM and customer-lifetime-value\n"
          "scores, k-means and hierarchical clustering, named segment profiles.\n\n"
          "commands:\n");
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out,
          "\n`strata COMMAND --help` describes a command. Every command takes --threads N,\n"
          "--memory SIZE, --json, --quiet and --help.\n\n"
          "options:\n"
          "  --version    print the version\n"
          "  --help       show this help\n\n"
          "exit codes: 0 success, 2 usage error, 3 bad input data, 4 I/O failure,\n"
          "            5 out of memory or over the memory budget\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    print_usage(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    printf("strata %s (kernels: %s)\n", strata_version(), strata_kernels_isa_name());
    return CLI_EXIT_OK;
  }
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(cmd, commands[i].name) == 0) return commands[i].run(argc - 2, argv + 2, argc, argv);
  fprintf(stderr, "strata: error: unknown command '%s' (see: strata --help)\n", cmd);
  return CLI_EXIT_USAGE;
}
