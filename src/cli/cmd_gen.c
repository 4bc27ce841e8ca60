/* `strata gen`: writes a synthetic customer base with known truth (src/gen). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_cmd_gen(int argc, char **argv, int argc_all, char **argv_all) {
  strata_gen_params p;
  strata_gen_params_init(&p);
  int64_t customers = p.customers, segments = p.segments;
  int64_t cohort = p.cohort_days, window = p.window_days;
  int64_t extra_numeric = 0, extra_categorical = 0;
  uint64_t seed = p.seed;
  const char *out = NULL, *profile = "b2c", *behaviour = "segment";
  cli_option options[] = {
      {"customers", 'n', CLI_INT, &customers, "N", "number of customer accounts", 1, 1, 1e12, 0},
      {"seed", 's', CLI_UINT64, &seed, "S", "random seed", 1, 0, 0, 0},
      {"out", 'o', CLI_STRING, &out, "FILE", "output HDF5 file", 1, 0, 0, 0},
      {"profile", 0, CLI_STRING, &profile, "P",
       "customer profile, b2c for consumers or b2b for firms (default b2c)", 0, 0, 0, 0},
      {"segments", 0, CLI_INT, &segments, "K",
       "latent segments, the profile's first K prototypes (1-8, default 5)", 0, 1, 8, 0},
      {"separation", 0, CLI_DOUBLE, &p.separation, "S",
       "distinctness of the segments: 0 none, 1 the prototypes, up to 3 (default 1)", 0, 0, 3, 0},
      {"behaviour", 0, CLI_STRING, &behaviour, "B",
       "purchases and spend: segment = each segment its own, shared = one population set by "
       "the flags below (default segment)",
       0, 0, 0, 0},
      {"r", 0, CLI_DOUBLE, &p.r, "R",
       "shared behaviour: BG/NBD purchase-rate shape r (default 0.9)", 0, 1e-6, 1e6, 0},
      {"alpha", 0, CLI_DOUBLE, &p.alpha, "A",
       "shared behaviour: BG/NBD purchase-rate scale alpha, in days (default 25)", 0, 1e-6, 1e9, 0},
      {"a", 0, CLI_DOUBLE, &p.a, "A", "shared behaviour: BG/NBD dropout Beta shape a (default 0.9)",
       0, 1e-6, 1e6, 0},
      {"b", 0, CLI_DOUBLE, &p.b, "B", "shared behaviour: BG/NBD dropout Beta shape b (default 9)",
       0, 1e-6, 1e6, 0},
      {"spend-p", 0, CLI_DOUBLE, &p.p_spend, "P",
       "shared behaviour: Gamma-Gamma transaction shape p (default 6.25)", 0, 1e-6, 1e6, 0},
      {"spend-q", 0, CLI_DOUBLE, &p.q, "Q", "shared behaviour: Gamma-Gamma shape q (default 3.74)",
       0, 1e-6, 1e6, 0},
      {"spend-gamma", 0, CLI_DOUBLE, &p.gamma, "G",
       "shared behaviour: Gamma-Gamma rate gamma (default 15.44)", 0, 1e-6, 1e9, 0},
      {"cohort-days", 0, CLI_INT, &cohort, "D",
       "first purchases spread over this many days (default 365)", 0, 1, 1e6, 0},
      {"window-days", 0, CLI_INT, &window, "D",
       "observation window from the first cohort day (default 730)", 0, 1, 1e6, 0},
      {"extra-numeric", 0, CLI_INT, &extra_numeric, "N",
       "append N Gamma columns extra_num_01.. with per-segment means derived from the seed "
       "(0-32, default 0)",
       0, 0, STRATA_GEN_MAX_EXTRA_NUMERIC, 0},
      {"extra-categorical", 0, CLI_INT, &extra_categorical, "M",
       "append M six-level columns extra_cat_01.. with a per-segment dominant level derived "
       "from the seed (0-8, default 0)",
       0, 0, STRATA_GEN_MAX_EXTRA_CATEGORICAL, 0},
  };
  cli_command cmd = {
      "gen",
      "Generate a synthetic customer base with known truth.",
      "gen --customers N --seed S --out FILE [options]",
      "Each account belongs to a latent segment with its own purchase behaviour (BG/NBD\n"
      "purchases, Gamma-Gamma spend) and its own distribution of every account feature,\n"
      "numeric and categorical. Writes /accounts, /transactions and /truth (segment of each\n"
      "account, every per-segment parameter, and bayes_accuracy: the share of accounts whose\n"
      "most probable segment given their features is their own). See\n"
      "datasets/customer_base.md. The same seed gives byte-identical data for any --threads.",
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
  p.extra_numeric = (int)extra_numeric;
  p.extra_categorical = (int)extra_categorical;
  rc = -1;
  if (strcmp(profile, "b2c") == 0)
    p.profile = STRATA_GEN_B2C;
  else if (strcmp(profile, "b2b") == 0)
    p.profile = STRATA_GEN_B2B;
  else
    rc = cli_usage_error(&run, "--profile must be b2c or b2b, got '%s'", profile);
  if (rc < 0) {
    if (strcmp(behaviour, "segment") == 0)
      p.behaviour = STRATA_GEN_BEHAVIOUR_SEGMENT;
    else if (strcmp(behaviour, "shared") == 0)
      p.behaviour = STRATA_GEN_BEHAVIOUR_SHARED;
    else
      rc = cli_usage_error(&run, "--behaviour must be segment or shared, got '%s'", behaviour);
  }
  /* A shared-population flag with per-segment behaviour would be silently ignored. */
  const double *shared[] = {&p.r, &p.alpha, &p.a, &p.b, &p.p_spend, &p.q, &p.gamma};
  for (size_t j = 0; rc < 0 && j < sizeof options / sizeof options[0]; j++)
    for (size_t s = 0; s < sizeof shared / sizeof shared[0]; s++)
      if (options[j].target == shared[s] && options[j].seen &&
          p.behaviour != STRATA_GEN_BEHAVIOUR_SHARED)
        rc = cli_usage_error(&run, "--%s sets the shared population: add --behaviour shared",
                             options[j].name);
  if (rc < 0 && p.window_days < p.cohort_days)
    rc = cli_usage_error(&run, "--window-days (%d) must be at least --cohort-days (%d)",
                         p.window_days, p.cohort_days);
  if (rc >= 0) {
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
  double transactions = 0.0, bayes = 0.0;
  if (strata_h5_open(run.ctx, out, &f) == STRATA_OK) {
    strata_h5_read_attr_double(run.ctx, f, "/truth", "transactions", &transactions);
    strata_h5_read_attr_double(run.ctx, f, "/truth", "bayes_accuracy", &bayes);
  }
  strata_h5_close(f);
  cJSON_AddStringToObject(run.result, "out", out);
  cJSON_AddNumberToObject(run.result, "customers", (double)customers);
  cJSON_AddNumberToObject(run.result, "transactions", transactions);
  cJSON_AddStringToObject(run.result, "profile", profile);
  cJSON_AddNumberToObject(run.result, "segments", (double)segments);
  cJSON_AddStringToObject(run.result, "behaviour", behaviour);
  cJSON_AddNumberToObject(run.result, "separation", p.separation);
  cJSON_AddNumberToObject(run.result, "extra_numeric", (double)extra_numeric);
  cJSON_AddNumberToObject(run.result, "extra_categorical", (double)extra_categorical);
  cJSON_AddNumberToObject(run.result, "bayes_accuracy", bayes);
  cJSON_AddNumberToObject(run.result, "seed", (double)seed);
  FILE *text = cli_text(&run);
  if (text)
    fprintf(text,
            "wrote %s: %lld customers, %.0f transactions, %s profile, %d latent segments with %s "
            "behaviour (seed %llu)\nseparation %g: Bayes-optimal accuracy of the segment from "
            "the features %.4f\n",
            out, (long long)customers, transactions, profile, p.segments, behaviour,
            (unsigned long long)seed, p.separation, bayes);
  rc = cli_finish(&run);
  cli_run_free(&run);
  return rc;
}
