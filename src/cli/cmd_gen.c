/* `strata gen`: writes a synthetic customer base with known truth (src/gen). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_cmd_gen(int argc, char **argv, int argc_all, char **argv_all) {
  strata_gen_params p;
  strata_gen_params_init(&p);
  int64_t customers = p.customers, segments = p.segments;
  int64_t cohort = p.cohort_days, window = p.window_days;
  uint64_t seed = p.seed;
  const char *out = NULL;
  cli_option options[] = {
      {"customers", 'n', CLI_INT, &customers, "N", "number of customer accounts (default 10000)", 1,
       1, 1e12, 0},
      {"seed", 's', CLI_UINT64, &seed, "S", "random seed (default 1)", 1, 0, 0, 0},
      {"out", 'o', CLI_STRING, &out, "FILE", "output HDF5 file", 1, 0, 0, 0},
      {"segments", 0, CLI_INT, &segments, "K",
       "latent segments in the account features (1-8, default 5)", 0, 1, 8, 0},
      {"r", 0, CLI_DOUBLE, &p.r, "R", "BG/NBD purchase-rate shape r (default 0.9)", 0, 1e-6, 1e6,
       0},
      {"alpha", 0, CLI_DOUBLE, &p.alpha, "A",
       "BG/NBD purchase-rate scale alpha, in days (default 25)", 0, 1e-6, 1e9, 0},
      {"a", 0, CLI_DOUBLE, &p.a, "A", "BG/NBD dropout Beta shape a (default 0.9)", 0, 1e-6, 1e6, 0},
      {"b", 0, CLI_DOUBLE, &p.b, "B", "BG/NBD dropout Beta shape b (default 9)", 0, 1e-6, 1e6, 0},
      {"spend-p", 0, CLI_DOUBLE, &p.p_spend, "P", "Gamma-Gamma transaction shape p (default 6.25)",
       0, 1e-6, 1e6, 0},
      {"spend-q", 0, CLI_DOUBLE, &p.q, "Q", "Gamma-Gamma shape q (default 3.74)", 0, 1e-6, 1e6, 0},
      {"spend-gamma", 0, CLI_DOUBLE, &p.gamma, "G", "Gamma-Gamma rate gamma (default 15.44)", 0,
       1e-6, 1e9, 0},
      {"cohort-days", 0, CLI_INT, &cohort, "D",
       "first purchases spread over this many days (default 365)", 0, 1, 1e6, 0},
      {"window-days", 0, CLI_INT, &window, "D",
       "observation window from the first cohort day (default 730)", 0, 1, 1e6, 0},
  };
  cli_command cmd = {
      "gen",
      "Generate a synthetic customer base with known truth.",
      "gen --customers N --seed S --out FILE [options]",
      "Transactions follow a BG/NBD purchase process with Gamma-Gamma spend; account\n"
      "features come from a mixture of latent segments. Writes /accounts, /transactions\n"
      "and /truth (segment of each account, generating parameters as attributes).\n"
      "The same seed gives byte-identical data for any --threads.",
      options,
      sizeof options / sizeof options[0],
      1,
      NULL,
      0};
  cli_run run;
  int rc;
  if (!cli_start(&run, &cmd, argc, argv, argc_all, argv_all, &rc)) {
    cli_run_free(&run);
    return rc;
  }
  p.customers = customers;
  p.seed = seed;
  p.segments = (int)segments;
  p.cohort_days = (int32_t)cohort;
  p.window_days = (int32_t)window;
  if (p.window_days < p.cohort_days) {
    rc = cli_usage_error(&run, "--window-days (%d) must be at least --cohort-days (%d)",
                         p.window_days, p.cohort_days);
    cli_run_free(&run);
    return rc;
  }
  strata_status st = strata_gen_write(run.ctx, &p, out, run.common.force, run.command_line);
  if (st != STRATA_OK) {
    rc = cli_fail(&run, st);
    cli_run_free(&run);
    return rc;
  }
  strata_h5_file *f = NULL;
  double transactions = 0.0;
  if (strata_h5_open(run.ctx, out, &f) == STRATA_OK)
    strata_h5_read_attr_double(run.ctx, f, "/truth", "transactions", &transactions);
  strata_h5_close(f);
  cJSON_AddStringToObject(run.result, "out", out);
  cJSON_AddNumberToObject(run.result, "customers", (double)customers);
  cJSON_AddNumberToObject(run.result, "transactions", transactions);
  cJSON_AddNumberToObject(run.result, "segments", (double)segments);
  cJSON_AddNumberToObject(run.result, "seed", (double)seed);
  FILE *text = cli_text(&run);
  if (text)
    fprintf(text, "wrote %s: %lld customers, %.0f transactions, %d latent segments (seed %llu)\n",
            out, (long long)customers, transactions, p.segments, (unsigned long long)seed);
  rc = cli_finish(&run);
  cli_run_free(&run);
  return rc;
}
