/* Progress line on stderr; see progress.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/progress.h"

static int shown;
static double last_draw;
static const char *last_phase;

double strata_now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_print(void *user, const char *phase, double fraction) {
  (void)user;
  double now = strata_now_seconds();
  int new_phase = last_phase == NULL || strcmp(last_phase, phase) != 0;
  if (!new_phase && fraction < 1.0 && now - last_draw < 0.1) return;
  last_draw = now;
  last_phase = phase;
  fprintf(stderr, "\r\033[K%-12s %3d%%", phase, (int)(100.0 * fraction + 0.5));
  fflush(stderr);
  shown = 1;
}

void cli_progress_clear(void) {
  if (!shown) return;
  fputs("\r\033[K", stderr);
  fflush(stderr);
  shown = 0;
}
