/*
 * Out-of-core k-means: exact Lloyd iterations (Lloyd 1982) over a dataset that stays in its
 * HDF5 file, read in chunks of whole row blocks every pass (src/io hyperslab reads), so that
 * memory holds the labels (4 bytes a row), one chunk and the per-block partial sums, within
 * the context's memory budget.
 *
 * Same result as strata_kmeans_fit's Lloyd on the data in memory, bit for bit, from the same
 * initial centres: chunks are whole multiples of KM_BLOCK_ROWS, each block's partial sums
 * are computed exactly as in memory (rows in order, the same kernels), and the partials of all
 * blocks are added in block order across chunks; the tolerance's mean variance and the
 * empty-cluster policy (the farthest rows, kept in a small heap while streaming) follow the
 * in-memory arithmetic step by step.
 *
 * Initialisation: given centres, or the chosen method on a sample of rows (the rows with the
 * smallest Philox keys of (seed, row), read in one pass), as mini-batch does.
 *
 * Cost per iteration: one read of the data plus O(n k d) in the kernels; the init sample costs
 * one more read.
 *
 * Template: instantiated by stream.c for float and double (see typed.h).
 */

typedef struct SFX(st_job) {
  const km_problem *p; /* the chunk: x, n, w of the chunk's rows */
  const T *packed;
  int32_t *labels; /* the chunk's labels */
  double *bpart;   /* per block of the chunk: a copy of its partials */
  size_t plen;
  int mode; /* 0 iterate, 1 final assignment, 2 column sums, 3 squared deviations */
  const double *mean;
  int deltas; /* iterate: send the changed rows' moves, not full sums (km_totals) */
} SFX(st_job);

#define KM_ST_SUB 512

static void SFX(st_block)(void *arg, int64_t block, int64_t begin, int64_t end, double *partial) {
  const SFX(st_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  const int64_t k = p->k, d = p->d;
  if (job->mode == 2 || job->mode == 3) {
    /* km_mean_variance's two passes, in the same order. */
    for (int64_t i = begin; i < end; i++)
      for (int64_t t = 0; t < d; t++) {
        if (job->mode == 2) {
          partial[t] += (double)x[i * p->ldx + t];
        } else {
          double dev = (double)x[i * p->ldx + t] - job->mean[t];
          partial[t] += dev * dev;
        }
      }
  } else if (job->mode == 1) {
    double inertia = 0.0;
    for (int64_t s = begin; s < end; s += KM_ST_SUB) {
      int64_t rows = end - s < KM_ST_SUB ? end - s : KM_ST_SUB;
      T dist[KM_ST_SUB];
      p->kern->KERN(sqdist_argmin)(rows, d, k, x + s * p->ldx, p->ldx, job->packed, job->labels + s,
                                   dist);
      for (int64_t i = 0; i < rows; i++) inertia += (p->w ? p->w[s + i] : 1.0) * (double)dist[i];
    }
    partial[0] = inertia;
  } else {
    int64_t changed = 0;
    for (int64_t s = begin; s < end; s += KM_ST_SUB) {
      int64_t rows = end - s < KM_ST_SUB ? end - s : KM_ST_SUB;
      int32_t before[KM_ST_SUB];
      T dist[KM_ST_SUB];
      memcpy(before, job->labels + s, (size_t)rows * sizeof(int32_t));
      p->kern->KERN(sqdist_argmin)(rows, d, k, x + s * p->ldx, p->ldx, job->packed, job->labels + s,
                                   dist);
      for (int64_t i = 0; i < rows; i++)
        if (before[i] != job->labels[s + i]) {
          changed++;
          if (job->deltas)
            SFX(km_move_row)(x + (s + i) * p->ldx, d, k, before[i], job->labels[s + i], partial);
        }
      if (!job->deltas)
        p->kern->KERN(accumulate)(rows, d, x + s * p->ldx, p->ldx, job->labels + s,
                                  p->w ? p->w + s : NULL, partial, d, partial + k * d);
    }
    partial[k * d + k] = 0.0;
    partial[k * d + k + 1] = (double)changed;
  }
  memcpy(job->bpart + (size_t)block * job->plen, partial, job->plen * sizeof(double));
}

/* One pass over the data: for each chunk, the block function over its blocks, then the
 * blocks' partials added to `sum` in block order (sum zeroed first, as the driver does). */
static strata_status SFX(st_pass)(km_stream *src, const km_problem *p, SFX(st_job) * job,
                                  int32_t *labels, double *sum, int check) {
  strata_status st = STRATA_OK;
  memset(sum, 0, job->plen * sizeof(double));
  for (int64_t c0 = 0; c0 < p->n; c0 += src->chunk_rows) {
    const int64_t rows = p->n - c0 < src->chunk_rows ? p->n - c0 : src->chunk_rows;
    STRATA_TRY(strata_h5_dataset_read_rows(p->ctx, src->ds, c0, rows, p->dtype, src->buf));
    if (check) {
      strata_matrix m = {src->buf, rows, p->d, p->d, p->dtype};
      STRATA_TRY(strata_check_finite(p->ctx, &m, c0, src->file, src->dataset));
    }
    km_problem pc = *p;
    pc.x = src->buf;
    pc.n = rows;
    pc.ldx = p->d;
    pc.w = p->w ? p->w + c0 : NULL;
    job->p = &pc;
    job->labels = labels ? labels + c0 : NULL;
    STRATA_TRY(strata_for_blocks(p->ctx, p->phase, rows, KM_BLOCK_ROWS, job->plen, SFX(st_block),
                                 job, NULL));
    const int64_t nb = strata_block_count(rows, KM_BLOCK_ROWS);
    for (int64_t b = 0; b < nb; b++)
      for (size_t j = 0; j < job->plen; j++) sum[j] += job->bpart[(size_t)b * job->plen + j];
  }
cleanup:
  job->p = p;
  return st;
}

/* Checks every value and computes the mean feature variance (km_mean_variance's arithmetic). */
strata_status SFX(km_stream_check)(km_stream *src, const km_problem *p, double *variance) {
  strata_status st = STRATA_OK;
  double *mean = NULL, *sq = NULL;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->d, sizeof(double), "column means", (void **)&mean));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->d, sizeof(double), "column variances", (void **)&sq));
  SFX(st_job) job = {p, NULL, NULL, src->bpart, (size_t)p->d, 2, mean, 0};
  STRATA_TRY(SFX(st_pass)(src, p, &job, NULL, mean, 1));
  for (int64_t t = 0; t < p->d; t++) mean[t] /= (double)p->n;
  job.mode = 3;
  STRATA_TRY(SFX(st_pass)(src, p, &job, NULL, sq, 0));
  double total = 0.0;
  for (int64_t t = 0; t < p->d; t++) total += sq[t] / (double)p->n;
  *variance = total / (double)p->d;
cleanup:
  strata_free(mean);
  strata_free(sq);
  return st;
}

/* The init sample: the m rows with the smallest keys hash(seed, row), in row order, read in
 * one pass; *rows (m x d) and *weights are the caller's to free. */
strata_status SFX(km_stream_sample)(km_stream *src, const km_problem *p, int64_t m, uint64_t seed,
                                    void **rows, double **weights) {
  strata_status st = STRATA_OK;
  int64_t *pick = NULL;
  uint64_t *key = NULL;
  T *out = NULL;
  double *w = NULL;
  const int64_t n = p->n, d = p->d;
  if (m > n) m = n;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)m, sizeof(int64_t), "init sample", (void **)&pick));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)m, sizeof(uint64_t), "init sample", (void **)&key));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)m, (size_t)d * sizeof(T), "init sample", (void **)&out));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)m, sizeof(double), "init sample", (void **)&w));
  /* Max-heap on (key, row) of the m smallest. */
  int64_t size = 0;
  for (int64_t i = 0; i < n; i++) {
    uint64_t h = strata_rng_hash(seed, KM_STREAM_MINIBATCH, (uint64_t)i);
    if (size < m) {
      int64_t pos = size++;
      pick[pos] = i;
      key[pos] = h;
      while (pos > 0 && key[(pos - 1) / 2] < key[pos]) {
        int64_t q = (pos - 1) / 2;
        uint64_t tk = key[q];
        int64_t tp = pick[q];
        key[q] = key[pos], pick[q] = pick[pos];
        key[pos] = tk, pick[pos] = tp;
        pos = q;
      }
    } else if (h < key[0]) {
      key[0] = h;
      pick[0] = i;
      int64_t pos = 0;
      for (;;) {
        int64_t l = 2 * pos + 1, r = l + 1, big = pos;
        if (l < size && key[l] > key[big]) big = l;
        if (r < size && key[r] > key[big]) big = r;
        if (big == pos) break;
        uint64_t tk = key[big];
        int64_t tp = pick[big];
        key[big] = key[pos], pick[big] = pick[pos];
        key[pos] = tk, pick[pos] = tp;
        pos = big;
      }
    }
  }
  for (int64_t a = 1; a < m; a++) {
    int64_t v = pick[a], b = a;
    for (; b > 0 && pick[b - 1] > v; b--) pick[b] = pick[b - 1];
    pick[b] = v;
  }
  int64_t e = 0;
  for (int64_t c0 = 0; c0 < n && e < m; c0 += src->chunk_rows) {
    const int64_t cr = n - c0 < src->chunk_rows ? n - c0 : src->chunk_rows;
    if (pick[e] >= c0 + cr) continue;
    STRATA_TRY(strata_h5_dataset_read_rows(p->ctx, src->ds, c0, cr, p->dtype, src->buf));
    for (; e < m && pick[e] < c0 + cr; e++) {
      memcpy(out + e * d, (const T *)src->buf + (pick[e] - c0) * d, (size_t)d * sizeof(T));
      w[e] = p->w ? p->w[pick[e]] : 1.0;
    }
  }
  *rows = out;
  *weights = w;
  out = NULL;
  w = NULL;
cleanup:
  strata_free(pick);
  strata_free(key);
  strata_free(out);
  strata_free(w);
  return st;
}

/* km_update's empty-cluster policy on streamed data: the n_empty farthest rows from their
 * (old) centres by (distance descending, row ascending), found with a bounded list while
 * streaming, then taken exactly as relocate_empty takes them. */
static strata_status SFX(st_relocate)(km_stream *src, const km_problem *p, const int32_t *labels,
                                      const T *old, double *sums, int64_t n_empty) {
  strata_status st = STRATA_OK;
  const int64_t n = p->n, d = p->d, k = p->k;
  double *wsum = sums + k * d;
  double *fd = NULL;
  int64_t *fr = NULL;
  T *fx = NULL;
  int64_t size = 0;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n_empty, sizeof(double), "farthest rows", (void **)&fd));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n_empty, sizeof(int64_t), "farthest rows", (void **)&fr));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)n_empty, (size_t)d * sizeof(T), "farthest rows", (void **)&fx));
  for (int64_t c0 = 0; c0 < n; c0 += src->chunk_rows) {
    const int64_t cr = n - c0 < src->chunk_rows ? n - c0 : src->chunk_rows;
    STRATA_TRY(strata_h5_dataset_read_rows(p->ctx, src->ds, c0, cr, p->dtype, src->buf));
    const T *x = (const T *)src->buf;
    for (int64_t r = 0; r < cr; r++) {
      const T *xi = x + r * d;
      const T *c = old + (int64_t)labels[c0 + r] * d;
      double acc = 0.0;
      for (int64_t t = 0; t < d; t++) {
        double diff = (double)xi[t] - (double)c[t];
        acc += diff * diff;
      }
      /* Sorted list, largest first; a later row only displaces on a strictly larger distance
       * (the earlier row wins a tie, as relocate_empty's strict comparison). */
      if (size == n_empty && !(acc > fd[size - 1])) continue;
      int64_t pos = size < n_empty ? size++ : size - 1;
      while (pos > 0 && acc > fd[pos - 1]) {
        fd[pos] = fd[pos - 1];
        fr[pos] = fr[pos - 1];
        memcpy(fx + pos * d, fx + (pos - 1) * d, (size_t)d * sizeof(T));
        pos--;
      }
      fd[pos] = acc;
      fr[pos] = c0 + r;
      memcpy(fx + pos * d, xi, (size_t)d * sizeof(T));
    }
  }
  int64_t next_empty = 0;
  for (int64_t e = 0; e < n_empty && e < size; e++) {
    while (next_empty < k && wsum[next_empty] != 0.0) next_empty++;
    if (next_empty == k) break;
    const double w = p->w ? p->w[fr[e]] : 1.0;
    const int64_t from = labels[fr[e]];
    for (int64_t t = 0; t < d; t++) {
      sums[from * d + t] -= w * (double)fx[e * d + t];
      sums[next_empty * d + t] = w * (double)fx[e * d + t];
    }
    wsum[from] -= w;
    wsum[next_empty] = w;
  }
cleanup:
  strata_free(fd);
  strata_free(fr);
  strata_free(fx);
  return st;
}

strata_status SFX(km_stream_lloyd)(km_stream *src, const km_problem *p, km_run *run) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d;
  T *packed = NULL, *next = NULL;
  double *pass = NULL;
  km_totals kept = {NULL, 0};
  T *centers = (T *)run->centers;
  const size_t plen = km_partial_len(k, d);
  STRATA_TRY(
      strata_alloc(p->ctx, KM_PACKED_LEN(k, d), sizeof(T), "packed centres", (void **)&packed));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * d), sizeof(T), "centres", (void **)&next));
  STRATA_TRY(strata_alloc(p->ctx, plen, sizeof(double), "centre sums", (void **)&pass));
  STRATA_TRY(km_totals_init(p, &kept));
  double *sums = kept.sum;
  for (int64_t i = 0; i < p->n; i++) run->labels[i] = -1;
  run->converged = 0;
  SFX(st_job) job = {p, packed, NULL, src->bpart, plen, 0, NULL, 0};
  for (int it = 0; it < p->max_iter; it++) {
    KM_PACK(k, d, centers, d, packed);
    job.deltas = kept.deltas;
    STRATA_TRY(SFX(st_pass)(src, p, &job, run->labels, pass, 0));
    km_totals_add(p, &kept, pass);
    int64_t n_empty = 0;
    for (int64_t j = 0; j < k; j++) n_empty += sums[k * d + j] == 0.0;
    if (n_empty > 0) STRATA_TRY(SFX(st_relocate)(src, p, run->labels, centers, sums, n_empty));
    /* km_update's centre update (its relocation, which reads the data, ran above). */
    double shift = 0.0;
    for (int64_t j = 0; j < k; j++) {
      const double wj = sums[k * d + j];
      for (int64_t t = 0; t < d; t++) {
        double v = wj > 0.0 ? sums[j * d + t] / wj : (double)centers[j * d + t];
        next[j * d + t] = (T)v;
        double diff = (double)next[j * d + t] - (double)centers[j * d + t];
        shift += diff * diff;
      }
    }
    memcpy(centers, next, (size_t)(k * d) * sizeof(T));
    run->n_iter = it + 1;
    if (pass[k * d + k + 1] == 0.0 || shift <= p->tol_abs) {
      run->converged = 1;
      break;
    }
  }
  KM_PACK(k, d, centers, d, packed);
  job.mode = 1;
  job.plen = 1;
  double inertia = 0.0;
  STRATA_TRY(SFX(st_pass)(src, p, &job, run->labels, &inertia, 0));
  run->inertia = inertia;
cleanup:
  strata_free(packed);
  strata_free(next);
  strata_free(pass);
  km_totals_free(&kept);
  return st;
}
