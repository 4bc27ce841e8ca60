/* A progress line on stderr, redrawn in place, for a terminal only (see cli_parse). */
#ifndef STRATA_CLI_PROGRESS_H
#define STRATA_CLI_PROGRESS_H

/* strata_progress_fn that redraws "phase  42%" at most ten times a second. */
void cli_progress_print(void *user, const char *phase, double fraction);
/* Erases the progress line if one is shown. */
void cli_progress_clear(void);
/* Monotonic wall-clock seconds. */
double strata_now_seconds(void);

#endif
