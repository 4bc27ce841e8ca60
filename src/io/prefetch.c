/*
 * Double-buffered block streaming; see prefetch.h. Two slots: while the caller holds one, the
 * reader thread fills the other. A slot goes EMPTY -> FULL (read) -> HELD (caller) -> DONE
 * (caller moved on: outputs pending) -> EMPTY (outputs written). Block b always uses slot
 * b % 2, so blocks reach the caller in order and outputs are written in order.
 */
#include "io/prefetch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum slot_state { SLOT_EMPTY, SLOT_FULL, SLOT_HELD, SLOT_DONE };

typedef struct slot {
  enum slot_state state;
  strata_prefetch_block block;
} slot;

struct strata_prefetch_s {
  strata_prefetch_column cols[STRATA_PREFETCH_MAX_COLUMNS];
  strata_prefetch_output outs[STRATA_PREFETCH_MAX_OUTPUTS];
  int ncols, nouts;
  int64_t n, block_rows, n_blocks;
  slot slots[2];
  int64_t next_block; /* the caller's next block */
  pthread_mutex_t lock;
  pthread_cond_t changed;
  int started, joined, stop;
  int serial; /* STRATA_READ_AHEAD=0: no overlap (to measure it, or rule it out) */
  /* The reader's own context: a ctx is used by one thread at a time (clv.h), and its error
   * slot is copied into the caller's when the caller reaches the failure. */
  strata_ctx *rctx;
  strata_status rstatus;
  double read_seconds;
  pthread_t thread;
};

static int64_t col_first(const strata_prefetch *pf, int c, int64_t b) {
  return pf->cols[c].bounds ? pf->cols[c].bounds[b] : b * pf->block_rows;
}

static int64_t col_count(const strata_prefetch *pf, int c, int64_t b) {
  if (pf->cols[c].bounds) return pf->cols[c].bounds[b + 1] - pf->cols[c].bounds[b];
  int64_t r0 = b * pf->block_rows;
  return pf->n - r0 < pf->block_rows ? pf->n - r0 : pf->block_rows;
}

static size_t col_row_bytes(const strata_prefetch *pf, int c) {
  const strata_prefetch_column *col = &pf->cols[c];
  int64_t width = col->ds ? strata_h5_dataset_info(col->ds)->dims[1] : 1;
  return (size_t)width * strata_dtype_size(col->memtype);
}

static strata_status read_block(strata_prefetch *pf, strata_prefetch_block *blk, int64_t b) {
  strata_status st = STRATA_OK;
  strata_ctx *ctx = pf->rctx;
  blk->index = b;
  blk->row0 = b * pf->block_rows;
  blk->rows = pf->n - blk->row0 < pf->block_rows ? pf->n - blk->row0 : pf->block_rows;
  for (int c = 0; c < pf->ncols; c++) {
    const strata_prefetch_column *col = &pf->cols[c];
    int64_t r0 = col_first(pf, c, b), rows = col_count(pf, c, b);
    blk->col_row0[c] = r0;
    blk->col_rows[c] = rows;
    if (col->ds == NULL) {
      int64_t *v = blk->col[c];
      for (int64_t i = 0; i < rows; i++) v[i] = r0 + i;
      continue;
    }
    STRATA_TRY(strata_h5_dataset_read_rows(ctx, col->ds, r0, rows, col->memtype, blk->col[c]));
    if (col->finite_in) {
      strata_matrix view = {blk->col[c], rows, strata_h5_dataset_info(col->ds)->dims[1],
                            strata_h5_dataset_info(col->ds)->dims[1], col->memtype};
      STRATA_TRY(strata_check_finite(ctx, &view, r0, col->finite_in, col->finite_name));
    }
  }
cleanup:
  return st;
}

static strata_status write_block(strata_prefetch *pf, const strata_prefetch_block *blk) {
  strata_status st = STRATA_OK;
  for (int o = 0; o < pf->nouts; o++)
    STRATA_TRY(strata_h5_write_rows(pf->rctx, pf->outs[o].w, pf->outs[o].name, blk->row0, blk->rows,
                                    blk->out[o]));
cleanup:
  return st;
}

/* Waits until slot s is free for block b (the caller is done with block b - 2); writes that
 * block's outputs first. Returns 0 when asked to stop. Called with the lock held. */
static int claim_slot(strata_prefetch *pf, slot *s) {
  while (!pf->stop && s->state != SLOT_EMPTY && s->state != SLOT_DONE)
    pthread_cond_wait(&pf->changed, &pf->lock);
  if (pf->stop) return 0;
  if (s->state == SLOT_DONE) {
    pthread_mutex_unlock(&pf->lock);
    strata_status st = write_block(pf, &s->block);
    pthread_mutex_lock(&pf->lock);
    if (st != STRATA_OK) {
      pf->rstatus = st;
      pthread_cond_broadcast(&pf->changed);
      return 0;
    }
    s->state = SLOT_EMPTY;
  }
  return 1;
}

static void *reader_main(void *arg) {
  strata_prefetch *pf = arg;
  pthread_mutex_lock(&pf->lock);
  for (int64_t b = 0; b < pf->n_blocks; b++) {
    slot *s = &pf->slots[b % 2];
    if (!claim_slot(pf, s)) goto out;
    pthread_mutex_unlock(&pf->lock);
    double t0 = strata_now();
    strata_status st = read_block(pf, &s->block, b);
    pf->read_seconds += strata_now() - t0;
    pthread_mutex_lock(&pf->lock);
    if (st != STRATA_OK) {
      pf->rstatus = st;
      pthread_cond_broadcast(&pf->changed);
      goto out;
    }
    s->state = SLOT_FULL;
    pthread_cond_broadcast(&pf->changed);
  }
  /* The outputs of the last two blocks, in order. */
  for (int64_t b = pf->n_blocks - 2; b < pf->n_blocks; b++) {
    if (b < 0) continue;
    slot *s = &pf->slots[b % 2];
    while (!pf->stop && s->state != SLOT_DONE) pthread_cond_wait(&pf->changed, &pf->lock);
    if (pf->stop) goto out;
    if (!claim_slot(pf, s)) goto out;
  }
out:
  pthread_mutex_unlock(&pf->lock);
  return NULL;
}

strata_status strata_prefetch_start(strata_ctx *ctx, const strata_prefetch_column *cols, int ncols,
                                    const strata_prefetch_output *outs, int nouts, int64_t n,
                                    int64_t block_rows, strata_prefetch **out) {
  strata_status st = STRATA_OK;
  strata_prefetch *pf = NULL;
  STRATA_FAIL_IF(out == NULL || (cols == NULL && ncols > 0) || (outs == NULL && nouts > 0), ctx,
                 STRATA_ERR_USAGE, "strata_prefetch_start: NULL argument");
  *out = NULL;
  STRATA_FAIL_IF(ncols < 0 || ncols > STRATA_PREFETCH_MAX_COLUMNS || nouts < 0 ||
                     nouts > STRATA_PREFETCH_MAX_OUTPUTS || n < 0 || block_rows < 1,
                 ctx, STRATA_ERR_USAGE,
                 "strata_prefetch_start: %d columns, %d outputs, %lld rows in blocks of %lld",
                 ncols, nouts, (long long)n, (long long)block_rows);
  pf = calloc(1, sizeof *pf);
  STRATA_FAIL_IF(pf == NULL, ctx, STRATA_ERR_NOMEM, "out of memory for the block reader");
  memcpy(pf->cols, cols, (size_t)ncols * sizeof *cols);
  if (nouts) memcpy(pf->outs, outs, (size_t)nouts * sizeof *outs);
  pf->ncols = ncols;
  pf->nouts = nouts;
  pf->n = n;
  pf->block_rows = block_rows;
  pf->n_blocks = (n + block_rows - 1) / block_rows;
  const char *env = getenv("STRATA_READ_AHEAD");
  pf->serial = env != NULL && strcmp(env, "0") == 0;
  for (int c = 0; c < ncols; c++) {
    STRATA_FAIL_IF(cols[c].ds == NULL && cols[c].memtype != STRATA_I64, ctx, STRATA_ERR_USAGE,
                   "strata_prefetch_start: a row-number column must be int64");
    int64_t most = 0;
    for (int64_t b = 0; b < pf->n_blocks; b++) {
      int64_t rows = col_count(pf, c, b);
      STRATA_FAIL_IF(rows < 0, ctx, STRATA_ERR_USAGE,
                     "strata_prefetch_start: bounds of column %d decrease at block %lld", c,
                     (long long)b);
      if (rows > most) most = rows;
    }
    for (int s = 0; s < 2; s++)
      STRATA_TRY(strata_alloc(ctx, (size_t)(most > 0 ? most : 1), col_row_bytes(pf, c),
                              "read-ahead block", &pf->slots[s].block.col[c]));
  }
  int64_t rows_max = n < block_rows ? n : block_rows;
  for (int o = 0; o < nouts; o++)
    for (int s = 0; s < 2; s++)
      STRATA_TRY(strata_alloc(ctx, (size_t)((rows_max > 0 ? rows_max : 1) * outs[o].cols),
                              strata_dtype_size(outs[o].dtype), "write-behind block",
                              &pf->slots[s].block.out[o]));
  STRATA_FAIL_IF(strata_ctx_create(&pf->rctx) != STRATA_OK, ctx, STRATA_ERR_NOMEM,
                 "out of memory for the block reader");
  strata_ctx_set_memory_budget(pf->rctx, strata_ctx_memory_budget(ctx));
  STRATA_FAIL_IF(pthread_mutex_init(&pf->lock, NULL) != 0, ctx, STRATA_ERR_NOMEM,
                 "cannot create the block reader's lock");
  if (pthread_cond_init(&pf->changed, NULL) != 0) {
    pthread_mutex_destroy(&pf->lock);
    STRATA_FAIL_IF(1, ctx, STRATA_ERR_NOMEM, "cannot create the block reader's condition");
  }
  pf->started = 1;
  if (pthread_create(&pf->thread, NULL, reader_main, pf) != 0) {
    pf->joined = 1; /* nothing to join */
    STRATA_FAIL_IF(1, ctx, STRATA_ERR_NOMEM, "cannot start the block reader thread");
  }
  *out = pf;
  pf = NULL;
cleanup:
  strata_prefetch_free(pf);
  return st;
}

/* Copies the reader's failure into the caller's context. */
static strata_status reader_failure(strata_ctx *ctx, const strata_prefetch *pf) {
  return strata_fail(ctx, pf->rstatus, "%s", strata_ctx_error(pf->rctx));
}

strata_status strata_prefetch_next(strata_ctx *ctx, strata_prefetch *pf,
                                   strata_prefetch_block **block) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(pf == NULL || block == NULL, ctx, STRATA_ERR_USAGE,
                 "strata_prefetch_next: NULL argument");
  *block = NULL;
  pthread_mutex_lock(&pf->lock);
  if (pf->next_block > 0) {
    slot *held = &pf->slots[(pf->next_block - 1) % 2];
    if (held->state == SLOT_HELD) {
      held->state = SLOT_DONE;
      pthread_cond_broadcast(&pf->changed);
    }
  }
  if (pf->next_block < pf->n_blocks) {
    slot *s = &pf->slots[pf->next_block % 2];
    while (s->state != SLOT_FULL && pf->rstatus == STRATA_OK)
      pthread_cond_wait(&pf->changed, &pf->lock);
    if (s->state == SLOT_FULL) {
      s->state = SLOT_HELD;
      pf->next_block++;
      *block = &s->block;
      /* STRATA_READ_AHEAD=0: the reader's work for the next block (write behind, read ahead)
       * finishes before the caller computes on this one, as a plain loop would do it. */
      if (pf->serial && pf->next_block < pf->n_blocks) {
        slot *after = &pf->slots[pf->next_block % 2];
        while (after->state != SLOT_FULL && pf->rstatus == STRATA_OK)
          pthread_cond_wait(&pf->changed, &pf->lock);
      }
    }
  }
  /* Blocks read before a failure are still handed out; the failure surfaces when the caller
   * reaches the block it stopped at. */
  if (*block == NULL && pf->rstatus != STRATA_OK) st = reader_failure(ctx, pf);
  pthread_mutex_unlock(&pf->lock);
cleanup:
  return st;
}

static void join_reader(strata_prefetch *pf) {
  if (!pf->started || pf->joined) return;
  pthread_join(pf->thread, NULL);
  pf->joined = 1;
}

strata_status strata_prefetch_finish(strata_ctx *ctx, strata_prefetch *pf) {
  strata_status st = STRATA_OK;
  STRATA_FAIL_IF(pf == NULL, ctx, STRATA_ERR_USAGE, "strata_prefetch_finish: NULL argument");
  pthread_mutex_lock(&pf->lock);
  int complete = pf->next_block == pf->n_blocks;
  if (pf->next_block > 0) {
    slot *held = &pf->slots[(pf->next_block - 1) % 2];
    if (held->state == SLOT_HELD) held->state = SLOT_DONE;
  }
  if (!complete) pf->stop = 1; /* finishing early: unread blocks are abandoned */
  pthread_cond_broadcast(&pf->changed);
  pthread_mutex_unlock(&pf->lock);
  join_reader(pf);
  strata_phase_add(ctx, "read ahead", pf->read_seconds);
  if (pf->rstatus != STRATA_OK) st = reader_failure(ctx, pf);
cleanup:
  return st;
}

void strata_prefetch_free(strata_prefetch *pf) {
  if (pf == NULL) return;
  if (pf->started) {
    pthread_mutex_lock(&pf->lock);
    pf->stop = 1;
    pthread_cond_broadcast(&pf->changed);
    pthread_mutex_unlock(&pf->lock);
    join_reader(pf);
    pthread_cond_destroy(&pf->changed);
    pthread_mutex_destroy(&pf->lock);
  }
  for (int s = 0; s < 2; s++) {
    for (int c = 0; c < STRATA_PREFETCH_MAX_COLUMNS; c++) strata_free(pf->slots[s].block.col[c]);
    for (int o = 0; o < STRATA_PREFETCH_MAX_OUTPUTS; o++) strata_free(pf->slots[s].block.out[o]);
  }
  strata_ctx_free(pf->rctx);
  free(pf);
}
