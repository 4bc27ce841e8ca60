/* `strata info FILE`: what a file holds. Read-only. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct {
  FILE *text;
  const char *file;
  cJSON *objects;
} info_state;

static void shape_text(const strata_h5_entry *e, char *buf, size_t len) {
  if (e->rank == 0) {
    snprintf(buf, len, "scalar");
    return;
  }
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < e->rank && used < len; i++)
    used +=
        (size_t)snprintf(buf + used, len - used, "%s%lld", i ? " x " : "[", (long long)e->dims[i]);
  if (used < len) snprintf(buf + used, len - used, "]");
}

static int visit(void *user, const strata_h5_entry *e) {
  info_state *s = user;
  if (s->text && strcmp(e->path, "/") == 0) fprintf(s->text, "%s\n", s->file);
  char shape[128];
  shape_text(e, shape, sizeof shape);
  if (s->text) {
    if (e->is_group)
      fprintf(s->text, "%-40s group\n", e->path);
    else
      fprintf(s->text, "%-40s %-9s %s\n", e->path, e->type, shape);
    for (size_t i = 0; i < e->n_attrs; i++)
      fprintf(s->text, "    @%s = %s\n", e->attr_names[i], e->attr_values[i]);
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "path", e->path);
  cJSON_AddStringToObject(o, "kind", e->is_group ? "group" : "dataset");
  if (!e->is_group) {
    cJSON_AddStringToObject(o, "type", e->type);
    cJSON *dims = cJSON_AddArrayToObject(o, "shape");
    for (int i = 0; i < e->rank; i++)
      cJSON_AddItemToArray(dims, cJSON_CreateNumber((double)e->dims[i]));
  }
  cJSON *attrs = cJSON_AddObjectToObject(o, "attributes");
  for (size_t i = 0; i < e->n_attrs; i++)
    cJSON_AddStringToObject(attrs, e->attr_names[i], e->attr_values[i]);
  cJSON_AddItemToArray(s->objects, o);
  return 0;
}

int cli_cmd_info(int argc, char **argv, int argc_all, char **argv_all) {
  cli_command cmd = {"info",
                     "List the groups, datasets, shapes, types and attributes of an HDF5 file.",
                     "info FILE",
                     "The file is only read, never modified.",
                     NULL,
                     0,
                     0,
                     "FILE",
                     1};
  cli_run run;
  int rc;
  if (!cli_start(&run, &cmd, argc, argv, argc_all, argv_all, &rc)) {
    cli_run_free(&run);
    return rc;
  }
  info_state s = {cli_text(&run), run.positional, NULL};
  cJSON_AddStringToObject(run.result, "file", run.positional);
  s.objects = cJSON_AddArrayToObject(run.result, "objects");
  strata_status st = strata_h5_describe(run.ctx, run.positional, visit, &s);
  rc = st == STRATA_OK ? cli_finish(&run) : cli_fail(&run, st);
  cli_run_free(&run);
  return rc;
}
