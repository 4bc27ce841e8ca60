/*
 * Mini-batch k-means (Sculley, "Web-scale k-means clustering", WWW 2010), with the semantics
 * of scikit-learn's MiniBatchKMeans (1.2): each step draws `batch` rows uniformly with
 * replacement, assigns them to the nearest centre (exact direct-form kernel), and moves each
 * centre j that got rows to the weighted mean of its old position, counted with its running
 * weight c_j, and its new rows:
 *     c_j <- (c_j v_j + sum_{i -> j} w_i x_i) / (v_j + sum_{i -> j} w_i),  v_j += sum w_i
 * so the learning rate of a centre is the share of its weight that the step brought. Every
 * 10 k rows seen (or when a centre has no weight yet), centres whose weight is below
 * `reassignment_ratio` x the largest are moved to distinct rows of the current batch drawn
 * uniformly (at most half a batch of them) and get the smallest weight of the others.
 * Stopping: at most max_iter epochs (max_iter n / batch steps), earlier when the squared
 * centre change of a step is <= tol x mean feature variance, or when an exponentially
 * weighted average of the batch inertia has not improved for max_no_improvement steps.
 * Labels and inertia are then those of a full assignment to the final centres.
 *
 * Initialisation (as scikit-learn): the chosen method on max(3 batch, 3 k) rows drawn
 * uniformly with replacement.
 *
 * Cost: O(batch k d) per step plus O(k d) for the update; memory O(batch d + k d), the data is
 * only read (the final assignment is one O(n k d) pass).
 *
 * Deterministic for any thread count: the rows of step s are Philox functions of (seed, s);
 * a batch is assigned in fixed blocks and its per-centre sums added in block order.
 *
 * Template: instantiated by minibatch.c for float and double (see typed.h).
 */

#define KM_MB_BLOCK 256

typedef struct SFX(mb_job) {
  const km_problem *p;
  const T *batch; /* gathered rows of the step, dense */
  const double *bw;
  int64_t rows;
  const T *packed;
  int32_t *labels;
  T *dist;
} SFX(mb_job);

/* Assignment of a block of batch rows and their per-centre sums (row order). */
static void SFX(mb_block)(void *arg, int64_t block, int64_t begin, int64_t end, double *partial) {
  (void)block;
  const SFX(mb_job) *job = arg;
  const km_problem *p = job->p;
  const int64_t k = p->k, d = p->d;
  p->kern->KERN(sqdist_argmin)(end - begin, d, k, job->batch + begin * d, d, job->packed,
                               job->labels + begin, job->dist + begin);
  p->kern->KERN(accumulate)(end - begin, d, job->batch + begin * d, d, job->labels + begin,
                            job->bw + begin, partial, d, partial + k * d);
  double inertia = 0.0;
  for (int64_t i = begin; i < end; i++) inertia += job->bw[i] * (double)job->dist[i];
  partial[k * d + k] = inertia;
}

/* Rows drawn for step `step` (or the init sample: step = -1), uniform with replacement. */
static void SFX(mb_draw)(uint64_t seed, int64_t step, int64_t n, int64_t count, int64_t *rows) {
  strata_rng g;
  strata_rng_init(&g, seed, KM_STREAM_MINIBATCH, (uint64_t)(step + 1));
  for (int64_t i = 0; i < count; i++) rows[i] = (int64_t)strata_rng_below(&g, (uint64_t)n);
}

strata_status SFX(km_minibatch)(const km_problem *p, const km_minibatch_opts *o, uint64_t seed,
                                km_run *run) {
  strata_status st = STRATA_OK;
  const int64_t n = p->n, d = p->d, k = p->k;
  const T *x = (const T *)p->x;
  const int64_t batch = o->batch_size < n ? o->batch_size : n;
  T *rows_buf = NULL, *packed = NULL, *dist = NULL;
  double *bw = NULL, *sums = NULL, *counts = NULL, *old = NULL;
  int32_t *labels = NULL;
  int64_t *idx = NULL, *order = NULL;
  T *centers = (T *)run->centers;
  const size_t plen = km_partial_len(k, d);
  STRATA_TRY(strata_alloc(p->ctx, (size_t)batch, (size_t)d * sizeof(T), "mini-batch rows",
                          (void **)&rows_buf));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)batch, sizeof(double), "mini-batch weights", (void **)&bw));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)batch, sizeof(T), "mini-batch distances", (void **)&dist));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)batch, sizeof(int32_t), "mini-batch labels", (void **)&labels));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)batch, sizeof(int64_t), "mini-batch rows", (void **)&idx));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)k, sizeof(int64_t), "centre order", (void **)&order));
  STRATA_TRY(
      strata_alloc(p->ctx, KM_PACKED_LEN(k, d), sizeof(T), "packed centres", (void **)&packed));
  STRATA_TRY(strata_alloc(p->ctx, plen, sizeof(double), "centre sums", (void **)&sums));
  STRATA_TRY(strata_calloc(p->ctx, (size_t)k, sizeof(double), "centre weights", (void **)&counts));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * d), sizeof(double), "centres", (void **)&old));

  const int64_t n_steps = (int64_t)((double)p->max_iter * (double)n / (double)batch);
  double ewa = 0.0, ewa_min = 0.0;
  int have_ewa = 0, have_min = 0, no_improvement = 0;
  int64_t since_reassign = 0, step = 0;
  run->converged = 0;
  SFX(mb_job) job = {p, rows_buf, bw, batch, packed, labels, dist};
  for (step = 0; step < (n_steps > 0 ? n_steps : 1); step++) {
    SFX(mb_draw)(seed, step, n, batch, idx);
    for (int64_t r = 0; r < batch; r++) {
      memcpy(rows_buf + r * d, x + idx[r] * p->ldx, (size_t)d * sizeof(T));
      bw[r] = p->w ? p->w[idx[r]] : 1.0;
    }
    KM_PACK(k, d, centers, d, packed);
    STRATA_TRY(
        strata_for_blocks(p->ctx, p->phase, batch, KM_MB_BLOCK, plen, SFX(mb_block), &job, sums));
    const double *wsum = sums + k * d;
    double batch_inertia = sums[k * d + k];
    double shift = 0.0;
    /* Whether this step reassigns is decided on the weights before it (_random_reassign). */
    since_reassign += batch;
    int reassign = 0;
    for (int64_t j = 0; j < k; j++) reassign |= counts[j] == 0.0;
    if (reassign || since_reassign >= 10 * k) {
      since_reassign = 0;
      reassign = 1;
    }
    for (int64_t j = 0; j < k; j++) {
      for (int64_t t = 0; t < d; t++) old[j * d + t] = (double)centers[j * d + t];
      if (!(wsum[j] > 0.0)) continue;
      const double total = counts[j] + wsum[j];
      for (int64_t t = 0; t < d; t++)
        centers[j * d + t] = (T)((old[j * d + t] * counts[j] + sums[j * d + t]) / total);
      counts[j] = total;
    }
    if (reassign && o->reassignment_ratio > 0.0) {
      double top = 0.0;
      for (int64_t j = 0; j < k; j++)
        if (counts[j] > top) top = counts[j];
      int64_t m = 0;
      for (int64_t j = 0; j < k; j++)
        if (counts[j] < o->reassignment_ratio * top) order[m++] = j;
      const int64_t cap = (int64_t)(0.5 * (double)batch);
      if (m > cap) {
        /* At most half a batch: the lightest (equal weights: the lower index first). */
        for (int64_t a = 1; a < m; a++)
          for (int64_t b = a; b > 0 && counts[order[b - 1]] > counts[order[b]]; b--) {
            int64_t tmp = order[b];
            order[b] = order[b - 1];
            order[b - 1] = tmp;
          }
        m = cap;
        for (int64_t a = 1; a < m; a++) /* back to centre order */
          for (int64_t b = a; b > 0 && order[b - 1] > order[b]; b--) {
            int64_t tmp = order[b];
            order[b] = order[b - 1];
            order[b - 1] = tmp;
          }
      }
      if (m > 0) {
        double floor_w = INFINITY;
        for (int64_t j = 0, e = 0; j < k; j++) {
          if (e < m && order[e] == j) {
            e++;
            continue;
          }
          if (counts[j] < floor_w) floor_w = counts[j];
        }
        /* Distinct batch rows, uniformly: a partial Fisher-Yates shuffle of the positions. */
        strata_rng g;
        strata_rng_init(&g, seed, KM_STREAM_REASSIGN, (uint64_t)step);
        for (int64_t r = 0; r < batch; r++) idx[r] = r;
        for (int64_t e = 0; e < m; e++) {
          int64_t pick = e + (int64_t)strata_rng_below(&g, (uint64_t)(batch - e));
          int64_t tmp = idx[e];
          idx[e] = idx[pick];
          idx[pick] = tmp;
          memcpy(centers + order[e] * d, rows_buf + idx[e] * d, (size_t)d * sizeof(T));
          counts[order[e]] = floor_w;
        }
      }
    }
    for (int64_t j = 0; j < k; j++)
      for (int64_t t = 0; t < d; t++) {
        const double diff = (double)centers[j * d + t] - old[j * d + t];
        shift += diff * diff;
      }
    /* Early stopping as scikit-learn's _mini_batch_convergence; the first step's inertia
     * belongs to the initial centres and is not counted. */
    if (step == 0) continue;
    const double mean_inertia = batch_inertia / (double)batch;
    double alpha = (double)batch * 2.0 / ((double)n + 1.0);
    if (alpha > 1.0) alpha = 1.0;
    ewa = have_ewa ? ewa * (1.0 - alpha) + mean_inertia * alpha : mean_inertia;
    have_ewa = 1;
    if (p->tol_abs > 0.0 && shift <= p->tol_abs) {
      run->converged = 1;
      step++;
      break;
    }
    if (!have_min || ewa < ewa_min) {
      no_improvement = 0;
      ewa_min = ewa;
      have_min = 1;
    } else {
      no_improvement++;
    }
    if (o->max_no_improvement > 0 && no_improvement >= o->max_no_improvement) {
      run->converged = 1;
      step++;
      break;
    }
  }
  /* Epochs, as scikit-learn's n_iter_. */
  run->n_iter = (int)(((double)step * (double)batch + (double)n - 1.0) / (double)n);
  STRATA_TRY(SFX(km_assign)(p, centers, run->labels, NULL, &run->inertia));
cleanup:
  strata_free(rows_buf);
  strata_free(bw);
  strata_free(dist);
  strata_free(labels);
  strata_free(idx);
  strata_free(order);
  strata_free(packed);
  strata_free(sums);
  strata_free(counts);
  strata_free(old);
  return st;
}

/* The init sample: max(3 batch, 3 k) rows (at most n) drawn with replacement, and their
 * weights. The caller frees both. */
strata_status SFX(km_minibatch_sample)(const km_problem *p, const km_minibatch_opts *o,
                                       uint64_t seed, int64_t *count, void **rows,
                                       double **weights) {
  strata_status st = STRATA_OK;
  int64_t m = 3 * (o->batch_size < p->n ? o->batch_size : p->n);
  if (m < 3 * p->k) m = 3 * p->k;
  if (m > p->n) m = p->n;
  int64_t *idx = NULL;
  T *buf = NULL;
  double *w = NULL;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)m, sizeof(int64_t), "init sample", (void **)&idx));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)m, (size_t)p->d * sizeof(T), "init sample", (void **)&buf));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)m, sizeof(double), "init sample", (void **)&w));
  SFX(mb_draw)(seed, -1, p->n, m, idx);
  for (int64_t i = 0; i < m; i++) {
    memcpy(buf + i * p->d, (const T *)p->x + idx[i] * p->ldx, (size_t)p->d * sizeof(T));
    w[i] = p->w ? p->w[idx[i]] : 1.0;
  }
  *count = m;
  *rows = buf;
  *weights = w;
  buf = NULL;
  w = NULL;
cleanup:
  strata_free(idx);
  strata_free(buf);
  strata_free(w);
  return st;
}
