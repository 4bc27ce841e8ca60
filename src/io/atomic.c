/* Atomic output files; see atomic.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/atomic.h"

static void release(strata_atomic_file *a, int remove_temp) {
  if (remove_temp && a->temp != NULL) unlink(a->temp);
  free(a->path);
  free(a->temp);
  free(a->dir);
  memset(a, 0, sizeof *a);
}

void strata_atomic_abort(strata_atomic_file *a) {
  if (a != NULL) release(a, 1);
}

static char *directory_of(const char *path) {
  char *copy = strdup(path);
  if (copy == NULL) return NULL;
  char *dir = strdup(dirname(copy));
  free(copy);
  return dir;
}

strata_status strata_atomic_begin(strata_ctx *ctx, const char *path, int force,
                                  strata_atomic_file *a) {
  strata_status st = STRATA_OK;
  memset(a, 0, sizeof *a);
  STRATA_FAIL_IF(path == NULL || path[0] == '\0', ctx, STRATA_ERR_USAGE,
                 "an output path is required");
  struct stat sb;
  if (stat(path, &sb) == 0) {
    STRATA_FAIL_IF(S_ISDIR(sb.st_mode), ctx, STRATA_ERR_IO, "cannot write '%s': it is a directory",
                   path);
    STRATA_FAIL_IF(!force, ctx, STRATA_ERR_EXISTS,
                   "output '%s' already exists; pass --force to replace it", path);
  }
  a->force = force;
  a->path = strdup(path);
  a->dir = directory_of(path);
  STRATA_FAIL_IF(a->path == NULL || a->dir == NULL, ctx, STRATA_ERR_NOMEM,
                 "out of memory creating '%s'", path);
  STRATA_FAIL_IF(stat(a->dir, &sb) != 0 || !S_ISDIR(sb.st_mode), ctx, STRATA_ERR_IO,
                 "cannot write '%s': directory '%s' does not exist", path, a->dir);
  {
    char *base_copy = strdup(path);
    STRATA_FAIL_IF(base_copy == NULL, ctx, STRATA_ERR_NOMEM, "out of memory creating '%s'", path);
    size_t len = strlen(a->dir) + strlen(base_copy) + 32;
    a->temp = malloc(len);
    if (a->temp != NULL) snprintf(a->temp, len, "%s/.%s.tmp-XXXXXX", a->dir, basename(base_copy));
    free(base_copy);
    STRATA_FAIL_IF(a->temp == NULL, ctx, STRATA_ERR_NOMEM, "out of memory creating '%s'", path);
  }
  int fd = mkstemp(a->temp);
  if (fd < 0) {
    int err = errno;
    free(a->temp);
    a->temp = NULL; /* nothing was created: nothing to remove */
    st = strata_fail(ctx, STRATA_ERR_IO, "cannot write '%s': %s", path, strerror(err));
    goto cleanup;
  }
  /* mkstemp makes the file private (0600); the output should get the usual mode. */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  close(fd);
cleanup:
  if (st != STRATA_OK) release(a, 1);
  return st;
}

static strata_status sync_path(strata_ctx *ctx, const char *path, int is_dir) {
  int fd = open(path, is_dir ? O_RDONLY : O_RDWR);
  if (fd < 0) return strata_fail(ctx, STRATA_ERR_IO, "cannot sync '%s': %s", path, strerror(errno));
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  /* Some file systems cannot fsync a directory (EINVAL); the rename is still atomic there. */
  if (rc != 0 && !(is_dir && (err == EINVAL || err == EBADF)))
    return strata_fail(ctx, STRATA_ERR_IO, "cannot flush '%s' to disk: %s", path, strerror(err));
  return STRATA_OK;
}

strata_status strata_atomic_commit(strata_ctx *ctx, strata_atomic_file *a) {
  strata_status st = STRATA_OK;
  STRATA_TRY(sync_path(ctx, a->temp, 0));
  if (a->force) {
    STRATA_FAIL_IF(rename(a->temp, a->path) != 0, ctx, STRATA_ERR_IO,
                   "cannot move the finished output into place as '%s': %s", a->path,
                   strerror(errno));
  } else if (link(a->temp, a->path) == 0) {
    unlink(a->temp);
  } else if (errno == EEXIST) {
    st = strata_fail(ctx, STRATA_ERR_EXISTS,
                     "output '%s' appeared while strata was writing it; pass --force to replace it",
                     a->path);
    goto cleanup;
  } else {
    /* File systems without hard links: check, then rename (a small race, stated). */
    struct stat sb;
    STRATA_FAIL_IF(stat(a->path, &sb) == 0, ctx, STRATA_ERR_EXISTS,
                   "output '%s' already exists; pass --force to replace it", a->path);
    STRATA_FAIL_IF(rename(a->temp, a->path) != 0, ctx, STRATA_ERR_IO,
                   "cannot move the finished output into place as '%s': %s", a->path,
                   strerror(errno));
  }
  free(a->temp);
  a->temp = NULL; /* it is the output now: keep it */
  st = sync_path(ctx, a->dir, 1);
cleanup:
  release(a, 1);
  return st;
}
