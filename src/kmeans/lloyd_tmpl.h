/*
 * Lloyd's algorithm (Lloyd 1982) and the two steps every exact variant shares: assignment of
 * rows to their nearest centre, and the centre update with scikit-learn's empty-cluster
 * policy. Cost: O(n k d) per iteration for the assignment (the packed direct-form kernel,
 * bit-identical on every ISA; labels only during the iterations), O(n d) for the first
 * update and O(d) per changed row after it (km_totals). Per-block partial sums are added in
 * block order, so results do not depend on the thread count.
 *
 * Template: instantiated by lloyd.c for float and double (see typed.h).
 */

typedef struct SFX(assign_job) {
  const km_problem *p;
  const T *packed;
  int32_t *labels;
  double *sqdist; /* NULL or n squared distances (final assignment) */
  int update;     /* 1: labels only, plus centre sums and the count of label changes */
  int first;      /* first iteration: the labels hold nothing yet, every row has changed */
  int deltas;     /* send the changed rows' moves, not full sums (km_totals) */
  T *lb;          /* NULL or n lower bounds from sqdist_argmin_lb (iterations only) */
} SFX(assign_job);

/* Sub-blocks bound the stack buffers (new labels, for the change count; distances) and keep a
 * sub-block's rows in L2 from the assignment to the accumulation; 2048 rather than 512 rows,
 * since each kernel call starts on rows that its prefetch did not reach and ends with a
 * partial batch of the rows its screens left undecided (d = 16, k = 64: -1 ns a row). */
#define KM_SUB_ROWS 2048

#ifndef KM_V4I_ONCE
#define KM_V4I_ONCE
/* Four labels in one SSE2 (or NEON) register: GCC and Clang vector extensions. */
typedef int32_t km_v4i __attribute__((vector_size(16)));
#endif

static void SFX(assign_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                              double *partial) {
  (void)block;
  const SFX(assign_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  const int64_t k = p->k, d = p->d;
  if (!job->update) {
    /* Distances through a small buffer rather than an n-row array (4 MB of page faults and a
     * cold pass per million float rows); the inertia adds up in row order either way. */
    double inertia = 0.0;
    for (int64_t s = begin; s < end; s += KM_SUB_ROWS) {
      int64_t rows = end - s < KM_SUB_ROWS ? end - s : KM_SUB_ROWS;
      T dist[KM_SUB_ROWS];
      p->kern->KERN(sqdist_argmin)(rows, d, k, x + s * p->ldx, p->ldx, job->packed,
                                   job->labels + s, dist);
      for (int64_t i = 0; i < rows; i++) {
        inertia += (p->w ? p->w[s + i] : 1.0) * (double)dist[i];
        if (job->sqdist) job->sqdist[s + i] = (double)dist[i];
      }
    }
    partial[0] = inertia;
    return;
  }
  /* An iteration needs labels only (the kernel then skips the exact distances); the inertia
   * of the final centres comes from km_assign. */
  int64_t changed = 0;
  for (int64_t s = begin; s < end; s += KM_SUB_ROWS) {
    int64_t rows = end - s < KM_SUB_ROWS ? end - s : KM_SUB_ROWS;
    int32_t fresh[KM_SUB_ROWS];
    if (job->lb != NULL)
      p->kern->KERN(sqdist_argmin_lb)(rows, d, k, x + s * p->ldx, p->ldx, job->packed, fresh,
                                      job->lb + s);
    else
      p->kern->KERN(sqdist_argmin)(rows, d, k, x + s * p->ldx, p->ldx, job->packed, fresh, NULL);
    int32_t *labels = job->labels + s;
    if (job->first) {
      changed += rows;
      memcpy(labels, fresh, (size_t)rows * sizeof(int32_t));
    } else if (job->deltas) {
      /* After the first passes few rows change (under 1 % after three on blob data): find
       * them 16 at a time by a compare the compiler vectorises, not a branch per row. */
      for (int64_t i0 = 0; i0 < rows; i0 += 16) {
        const int64_t stop = rows - i0 >= 16 ? i0 + 16 : rows;
        if (stop - i0 == 16) {
          km_v4i diff = {0, 0, 0, 0};
          for (int q = 0; q < 16; q += 4) {
            km_v4i a, b;
            memcpy(&a, fresh + i0 + q, sizeof a);
            memcpy(&b, labels + i0 + q, sizeof b);
            diff |= a ^ b;
          }
          if ((diff[0] | diff[1] | diff[2] | diff[3]) == 0) continue;
        }
        for (int64_t i = i0; i < stop; i++)
          if (fresh[i] != labels[i]) {
            changed++;
            SFX(km_move_row)(x + (s + i) * p->ldx, d, k, labels[i], fresh[i], partial);
            labels[i] = fresh[i];
          }
      }
    } else {
      for (int64_t i = 0; i < rows; i++) {
        changed += fresh[i] != labels[i];
        labels[i] = fresh[i];
      }
    }
    /* Accumulate while the sub-block's rows are still in cache; sub-blocks in order keep the
     * row order of the sums, hence the same result as one call over the block. */
    if (!job->deltas)
      p->kern->KERN(accumulate)(rows, d, x + s * p->ldx, p->ldx, fresh, p->w ? p->w + s : NULL,
                                partial, d, partial + k * d);
  }
  partial[k * d + k] = 0.0;
  partial[k * d + k + 1] = (double)changed;
}

strata_status SFX(km_assign)(const km_problem *p, const T *centers, int32_t *labels, double *sqdist,
                             double *inertia) {
  strata_status st = STRATA_OK;
  T *packed = NULL;
  STRATA_TRY(strata_alloc(p->ctx, KM_PACKED_LEN(p->k, p->d), sizeof(T), "packed centres",
                          (void **)&packed));
  KM_PACK(p->k, p->d, centers, p->d, packed);
  SFX(assign_job) job = {p, packed, labels, sqdist, 0, 0, 0, NULL};
  double total = 0.0;
  STRATA_TRY(
      strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, 1, SFX(assign_block), &job, &total));
  if (inertia) *inertia = total;
cleanup:
  strata_free(packed);
  return st;
}

/* The final assignment from candidate labels, e.g. the last iteration's (Lloyd, Hamerly): the
 * same labels, distances and inertia as km_assign, faster for large k d when most rows keep
 * their centre or move to a near neighbour of it.
 *
 * Centre-gap test (Elkan 2003, Hamerly 2010): for a row x with candidate a and any other centre
 * b, ||x - c_b|| >= ||c_a - c_b|| - ||x - c_a||, so b is strictly farther than a whenever
 * ||x - c_a||^2 < ||c_a - c_b||^2 / 4. With the direct form's relative error below (d + 2) u on
 * either distance, the computed distance to a below (1 - 4 (d + 2) u) ||c_a - c_b||^2 / 4 (in
 * double, far more accurate than the margin) makes the argmin kernel's distance to b exceed its
 * distance to a, so b cannot be its label. Each centre's neighbours are sorted by that limit;
 * a row's candidate is checked against them in order, and the ones it does not exclude (its
 * near neighbours: usually none, at most KM_HINT_NEAR) get their direct distances; the label
 * is the smallest of these, lowest index on a tie, exactly as the kernel would choose among
 * all k. Rows with more near neighbours, or beyond the KM_HINT_LIST nearest, or with a
 * candidate out of range, go through the argmin kernel. Cost: O(k^2 d) for the centre gaps,
 * so it serves k <= n / 8, and d <= KM_HINT_DMAX (gathered rows live on the stack); and the
 * bookkeeping costs 10-20 ns a row, so it pays only where a full argmin costs several times
 * that: k d >= KM_HINT_MIN_KD. km_assign otherwise. Measured on the benchmark blobs after 10
 * Lloyd iterations (one thread, ms for 1M rows, plain / hinted): d = 32, k = 256: 170 / 102
 * (28 % of the rows need the full argmin); d = 16, k = 64: 25 / 27, hence the threshold.
 * Distances are the direct chain (sqdist_label), bit for bit the kernel's; limits below a
 * tiny floor are zeroed, where subnormal distances would void the relative error bound. */
#define KM_HINT_GATHER 64
#define KM_HINT_DMAX 64
#define KM_HINT_MIN_KD 4096
#define KM_HINT_LIST 32
#define KM_HINT_NEAR 8
#define KM_HINT_FLOOR (KM_EPS > 0x1.0p-30 ? 0x1.0p-100 : 0x1.0p-1000)

#ifndef KM_HINT_ONCE /* type-independent parts, once for both instantiations */
#define KM_HINT_ONCE
typedef struct km_hint_nbr {
  double limit; /* candidate distances below it exclude centre b */
  int32_t b;
} km_hint_nbr;
#endif

typedef struct SFX(hint_job) {
  const km_problem *p;
  const T *packed;
  int32_t *labels;          /* in: candidates; out: labels */
  const km_hint_nbr *nbr;   /* k x list: each centre's neighbours by increasing limit */
  const int32_t *len;       /* neighbours listed per centre */
  int64_t list;             /* row stride of nbr */
} SFX(hint_job);

/* Rows gathered for a kernel call, with the row (of the sub-block) each one stands for. */
typedef struct SFX(hint_batch) {
  T x[KM_HINT_GATHER * KM_HINT_DMAX];
  int32_t label[KM_HINT_GATHER];
  int64_t row[KM_HINT_GATHER];
  int64_t m;
} SFX(hint_batch);

/* Full argmins of the gathered rows. */
static void SFX(hint_full)(const km_problem *p, const T *packed, SFX(hint_batch) *bt,
                           int32_t *lab, T *dist) {
  int32_t gl[KM_HINT_GATHER];
  T gd[KM_HINT_GATHER];
  p->kern->KERN(sqdist_argmin)(bt->m, p->d, p->k, bt->x, p->d, packed, gl, gd);
  for (int64_t r = 0; r < bt->m; r++) {
    lab[bt->row[r]] = gl[r];
    dist[bt->row[r]] = gd[r];
  }
  bt->m = 0;
}

/* Distances of the gathered (row, neighbour) pairs; the smaller wins, the lower index on a
 * tie, as in the kernel's sweep over all centres. */
static void SFX(hint_pairs)(const km_problem *p, const T *packed, SFX(hint_batch) *bt,
                            int32_t *lab, T *dist) {
  T gd[KM_HINT_GATHER];
  p->kern->KERN(sqdist_label)(bt->m, p->d, p->k, bt->x, p->d, packed, bt->label, gd);
  for (int64_t r = 0; r < bt->m; r++) {
    const int64_t i = bt->row[r];
    if (gd[r] < dist[i] || (gd[r] == dist[i] && bt->label[r] < lab[i])) {
      dist[i] = gd[r];
      lab[i] = bt->label[r];
    }
  }
  bt->m = 0;
}

static void SFX(hinted_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                              double *partial) {
  (void)block;
  const SFX(hint_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  const int64_t k = p->k, d = p->d;
  double inertia = 0.0;
  SFX(hint_batch) full, pairs;
  full.m = pairs.m = 0;
  for (int64_t s = begin; s < end; s += KM_SUB_ROWS) {
    const int64_t rows = end - s < KM_SUB_ROWS ? end - s : KM_SUB_ROWS;
    int32_t *lab = job->labels + s;
    T dist[KM_SUB_ROWS];
    for (int64_t i = 0; i < rows; i++)
      if (lab[i] < 0 || lab[i] >= k) lab[i] = -1; /* out of range: no candidate */
    {
      int32_t cand[KM_SUB_ROWS];
      for (int64_t i = 0; i < rows; i++) cand[i] = lab[i] >= 0 ? lab[i] : 0;
      p->kern->KERN(sqdist_label)(rows, d, k, x + s * p->ldx, p->ldx, job->packed, cand, dist);
    }
    for (int64_t i = 0; i < rows; i++) {
      const T *xi = x + (s + i) * p->ldx;
      const int32_t a = lab[i];
      int32_t near[KM_HINT_NEAR];
      int n_near = 0, full_row = a < 0;
      if (!full_row) {
        const km_hint_nbr *nb = job->nbr + (int64_t)a * job->list;
        int32_t q = 0;
        for (; q < job->len[a] && !((double)dist[i] < nb[q].limit); q++) {
          if (n_near == KM_HINT_NEAR) break;
          near[n_near++] = nb[q].b;
        }
        /* Undecided: too many near neighbours, or the list ran out before the limits did. */
        if (q < job->len[a] ? !((double)dist[i] < nb[q].limit) : job->len[a] < k - 1)
          full_row = 1;
      }
      if (full_row) {
        memcpy(full.x + full.m * d, xi, (size_t)d * sizeof(T));
        full.row[full.m++] = i;
        if (full.m == KM_HINT_GATHER) SFX(hint_full)(p, job->packed, &full, lab, dist);
        continue;
      }
      for (int q = 0; q < n_near; q++) {
        memcpy(pairs.x + pairs.m * d, xi, (size_t)d * sizeof(T));
        pairs.label[pairs.m] = near[q];
        pairs.row[pairs.m++] = i;
        if (pairs.m == KM_HINT_GATHER) SFX(hint_pairs)(p, job->packed, &pairs, lab, dist);
      }
    }
    if (full.m > 0) SFX(hint_full)(p, job->packed, &full, lab, dist);
    if (pairs.m > 0) SFX(hint_pairs)(p, job->packed, &pairs, lab, dist);
    for (int64_t i = 0; i < rows; i++) inertia += (p->w ? p->w[s + i] : 1.0) * (double)dist[i];
  }
  partial[0] = inertia;
}

strata_status SFX(km_assign_hinted)(const km_problem *p, const T *centers, int32_t *labels,
                                    double *inertia) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d;
  if (k > p->n / 8 || d > KM_HINT_DMAX || k * d < KM_HINT_MIN_KD)
    return SFX(km_assign)(p, centers, labels, NULL, inertia);
  T *packed = NULL;
  km_hint_nbr *nbr = NULL;
  int32_t *len = NULL;
  const int64_t list = k - 1 < KM_HINT_LIST ? k - 1 : KM_HINT_LIST;
  STRATA_TRY(
      strata_alloc(p->ctx, KM_PACKED_LEN(k, d), sizeof(T), "packed centres", (void **)&packed));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * (list > 0 ? list : 1)), sizeof(km_hint_nbr),
                          "centre neighbours", (void **)&nbr));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)k, sizeof(int32_t), "centre neighbours", (void **)&len));
  KM_PACK(k, d, centers, d, packed);
  const double margin = 1.0 - 4.0 * (double)(d + 2) * KM_EPS;
  for (int64_t j = 0; j < k; j++) {
    /* The `list` smallest limits, by insertion (b ascending: a tie keeps the lower index
     * first). */
    km_hint_nbr *row = nbr + j * list;
    int64_t m = 0;
    for (int64_t b = 0; b < k; b++) {
      if (b == j) continue;
      double acc = 0.0;
      for (int64_t t = 0; t < d; t++) {
        double diff = (double)centers[j * d + t] - (double)centers[b * d + t];
        acc += diff * diff;
      }
      double lim = 0.25 * acc * margin;
      if (!(lim >= KM_HINT_FLOOR)) lim = 0.0;
      if (m == list && !(lim < row[m - 1].limit)) continue;
      int64_t q = m < list ? m++ : m - 1;
      for (; q > 0 && lim < row[q - 1].limit; q--) row[q] = row[q - 1];
      row[q].limit = lim;
      row[q].b = (int32_t)b;
    }
    len[j] = (int32_t)m;
  }
  SFX(hint_job) job = {p, packed, labels, nbr, len, list};
  double total = 0.0;
  STRATA_TRY(
      strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, 1, SFX(hinted_block), &job, &total));
  if (inertia) *inertia = total;
cleanup:
  strata_free(packed);
  strata_free(nbr);
  strata_free(len);
  return st;
}

/* The final assignment of Lloyd from the last iteration's labels and lower bounds (the kernel's
 * sqdist_argmin_lb at the centres `old`): the same labels, distances and inertia as km_assign.
 *
 * Hamerly's test (2010): centre j moved by s_j from old to new, so ||x - c_j(new)|| >=
 * sqrt(lb) - max_{j != a} s_j for every j other than the label a. When the direct chain to a,
 * chain_a, is below that bound squared times 1 - 4 (d + 2) u, every other chain (within
 * (d + 2) u of its exact value) exceeds it: a is the argmin kernel's label, chain_a its
 * distance. The other rows (bound unknown, centres moved too far) get the argmin kernel.
 * Cost: one chain per row (sqdist_label) where the full argmin costs k of them; after ten
 * iterations on the benchmark blobs about 95 % of the rows pass. lb NULL: the centres are the
 * old ones bit for bit (a strict convergence), so every label stands as it is. */
#ifndef KM_LB_NEAR
/* Lloyd writes bounds from where the last centre shift is within this factor of the
 * tolerance (the next iterations may be the last), and in the last one max_iter allows. */
#define KM_LB_NEAR 1000.0
#endif
typedef struct SFX(bound_job) {
  const km_problem *p;
  const T *packed;
  int32_t *labels;       /* in: the last iteration's labels; out: final labels */
  const T *lb;           /* the last iteration's lower bounds */
  double shift1, shift2; /* largest and second largest centre shift, rounded up */
  int64_t arg1;          /* the centre that moved most */
} SFX(bound_job);

static void SFX(bounded_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                               double *partial) {
  (void)block;
  const SFX(bound_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  const int64_t d = p->d;
  const double margin = 1.0 - 4.0 * (double)(d + 2) * KM_EPS;
  const T margin_t = (T)(margin * (1.0 - 8.0 * KM_EPS)), shrink = (T)(1.0 - 2.0 * KM_EPS);
  const T shift1 = (T)(job->shift1 * (1.0 + 8.0 * KM_EPS));
  const T shift2 = (T)(job->shift2 * (1.0 + 8.0 * KM_EPS));
  double inertia = 0.0;
  SFX(hint_batch) full;
  full.m = 0;
  for (int64_t s = begin; s < end; s += KM_SUB_ROWS) {
    const int64_t rows = end - s < KM_SUB_ROWS ? end - s : KM_SUB_ROWS;
    int32_t *lab = job->labels + s;
    T dist[KM_SUB_ROWS];
    p->kern->KERN(sqdist_label)(rows, d, p->k, x + s * p->ldx, p->ldx, job->packed, lab, dist);
    /* The test on its own and in T, branch-free, so that it runs in SIMD lanes (lloyd.c is
     * built with -fno-math-errno for the sqrt); row by row in double it cost more than the
     * chains. Rounded against the row: sqrt(lb) (1 + u) times 1 - 2 u stays below sqrt(lb),
     * the shifts are rounded up, and with the margin cut by 8 u the products' few roundings
     * (each within u of the result, the difference included) keep the test no looser than
     * the exact one. */
    int32_t kept[KM_SUB_ROWS];
    const T *lb = job->lb != NULL ? job->lb + s : NULL;
    const int32_t fastest = (int32_t)job->arg1;
    if (job->lb == NULL) /* the centres have not moved: every label stands */
      for (int64_t i = 0; i < rows; i++) kept[i] = 1;
    else
      for (int64_t i = 0; i < rows; i++) {
        const T other = lab[i] == fastest ? shift2 : shift1;
        const T room = KM_SQRT(lb[i]) * shrink - other;
        kept[i] = (room > 0) & (dist[i] < room * room * margin_t);
      }
    for (int64_t i = 0; i < rows; i++) {
      if (kept[i]) continue;
      memcpy(full.x + full.m * d, x + (s + i) * p->ldx, (size_t)d * sizeof(T));
      full.row[full.m++] = i;
      if (full.m == KM_HINT_GATHER) SFX(hint_full)(p, job->packed, &full, lab, dist);
    }
    if (full.m > 0) SFX(hint_full)(p, job->packed, &full, lab, dist);
    for (int64_t i = 0; i < rows; i++) inertia += (p->w ? p->w[s + i] : 1.0) * (double)dist[i];
  }
  partial[0] = inertia;
}

static strata_status SFX(km_assign_bounded)(const km_problem *p, const T *centers, const T *old,
                                            int32_t *labels, const T *lb, double *inertia) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d;
  T *packed = NULL;
  STRATA_TRY(
      strata_alloc(p->ctx, KM_PACKED_LEN(k, d), sizeof(T), "packed centres", (void **)&packed));
  KM_PACK(k, d, centers, d, packed);
  SFX(bound_job) job = {p, packed, labels, lb, 0.0, 0.0, -1};
  SFX(km_centre_moves)(k, d, old, centers, NULL, &job.arg1, &job.shift1, &job.shift2);
  job.shift1 *= 1.0 + 1e-12; /* rounded up */
  job.shift2 *= 1.0 + 1e-12;
  double total = 0.0;
  STRATA_TRY(strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, 1, SFX(bounded_block),
                               &job, &total));
  if (inertia) *inertia = total;
cleanup:
  strata_free(packed);
  return st;
}

typedef struct SFX(farthest_job) {
  const km_problem *p;
  const int32_t *labels;
  const T *centers;
  double *dist;
} SFX(farthest_job);

static void SFX(distance_to_own_block)(void *arg, int64_t block, int64_t begin, int64_t end,
                                       double *partial) {
  (void)block;
  (void)partial;
  const SFX(farthest_job) *job = arg;
  const km_problem *p = job->p;
  const T *x = (const T *)p->x;
  for (int64_t i = begin; i < end; i++) {
    const T *xi = x + i * p->ldx;
    const T *c = job->centers + (int64_t)job->labels[i] * p->d;
    double acc = 0.0;
    for (int64_t t = 0; t < p->d; t++) {
      double diff = (double)xi[t] - (double)c[t];
      acc += diff * diff;
    }
    job->dist[i] = acc;
  }
}

/* scikit-learn's policy (_relocate_empty_clusters_dense): each empty cluster takes the row
 * farthest from its (old) centre, in decreasing order of distance, and that row's weight
 * moves out of its own cluster's sums. Ties go to the lowest row index. */
static strata_status SFX(relocate_empty)(const km_problem *p, const int32_t *labels,
                                         const T *old_centers, double *sums, double *wsum,
                                         int64_t n_empty) {
  strata_status st = STRATA_OK;
  double *dist = NULL;
  const T *x = (const T *)p->x;
  STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(double), "distances for empty clusters",
                          (void **)&dist));
  SFX(farthest_job) job = {p, labels, old_centers, dist};
  STRATA_TRY(strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, 0,
                               SFX(distance_to_own_block), &job, NULL));
  int64_t next_empty = 0;
  for (int64_t e = 0; e < n_empty; e++) {
    while (next_empty < p->k && wsum[next_empty] != 0.0) next_empty++;
    if (next_empty == p->k) break;
    int64_t far = -1;
    for (int64_t i = 0; i < p->n; i++)
      if (dist[i] >= 0.0 && (far < 0 || dist[i] > dist[far])) far = i;
    if (far < 0) break;
    dist[far] = -1.0; /* taken */
    double w = p->w ? p->w[far] : 1.0;
    int64_t from = labels[far];
    const T *xf = x + far * p->ldx;
    for (int64_t t = 0; t < p->d; t++) {
      sums[from * p->d + t] -= w * (double)xf[t];
      sums[next_empty * p->d + t] = w * (double)xf[t];
    }
    wsum[from] -= w;
    wsum[next_empty] = w;
  }
cleanup:
  strata_free(dist);
  return st;
}

strata_status SFX(km_update)(const km_problem *p, const int32_t *labels, const T *old_centers,
                             T *new_centers, double *sums, double *shift) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d;
  double *wsum = sums + k * d;
  int64_t n_empty = 0;
  for (int64_t j = 0; j < k; j++) n_empty += wsum[j] == 0.0;
  if (n_empty > 0) STRATA_TRY(SFX(relocate_empty)(p, labels, old_centers, sums, wsum, n_empty));
  double total_shift = 0.0;
  for (int64_t j = 0; j < k; j++) {
    for (int64_t t = 0; t < d; t++) {
      double v = wsum[j] > 0.0 ? sums[j * d + t] / wsum[j] : (double)old_centers[j * d + t];
      new_centers[j * d + t] = (T)v;
      double diff = (double)new_centers[j * d + t] - (double)old_centers[j * d + t];
      total_shift += diff * diff;
    }
  }
  *shift = total_shift;
cleanup:
  return st;
}

void SFX(km_centre_moves)(int64_t k, int64_t d, const T *from, const T *to, double *move,
                          int64_t *fastest, double *first, double *second) {
  *fastest = -1;
  *first = *second = 0.0;
  for (int64_t j = 0; j < k; j++) {
    double acc = 0.0;
    for (int64_t t = 0; t < d; t++) {
      const double diff = (double)to[j * d + t] - (double)from[j * d + t];
      acc += diff * diff;
    }
    const double m = sqrt(acc);
    if (move != NULL) move[j] = m;
    if (*fastest < 0 || m > *first) {
      *second = *first;
      *first = m;
      *fastest = j;
    } else if (m > *second) {
      *second = m;
    }
  }
}

strata_status SFX(km_update_kept)(const km_problem *p, const int32_t *labels, const T *old_centers,
                                  T *new_centers, km_totals *kept, const double *pass,
                                  double *shift) {
  km_totals_add(p, kept, pass);
  return SFX(km_update)(p, labels, old_centers, new_centers, kept->sum, shift);
}

strata_status SFX(km_lloyd)(const km_problem *p, km_run *run) {
  strata_status st = STRATA_OK;
  const int64_t k = p->k, d = p->d;
  T *packed = NULL, *next = NULL, *prev = NULL, *lb = NULL;
  double *sums = NULL;
  km_totals kept = {NULL, 0};
  T *centers = (T *)run->centers;
  const size_t plen = km_partial_len(k, d);
  STRATA_TRY(km_totals_init(p, &kept));
  /* Where the kernel gives lower bounds for free, keep them (and the centres they belong to)
   * for a bounded final assignment. */
  const int bounded = p->kern->KERN(sqdist_argmin_lb) != NULL && d <= KM_HINT_DMAX;
  if (bounded) {
    STRATA_TRY(strata_alloc(p->ctx, (size_t)p->n, sizeof(T), "distance bounds", (void **)&lb));
    STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * d), sizeof(T), "centres", (void **)&prev));
  }
  STRATA_TRY(
      strata_alloc(p->ctx, KM_PACKED_LEN(k, d), sizeof(T), "packed centres", (void **)&packed));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)(k * d), sizeof(T), "centres", (void **)&next));
  STRATA_TRY(strata_alloc(p->ctx, plen, sizeof(double), "centre sums", (void **)&sums));
  /* No -1 fill of the labels: the first iteration counts every row as changed, and its
   * writes touch the (often fresh) label pages in parallel instead of one serial pass. */
  run->converged = 0;
  SFX(assign_job) job = {p, packed, run->labels, NULL, 1, 1, 0, NULL};
  int ran = 0;          /* the labels hold an assignment */
  double shift = -1.0;  /* the last iteration's, once there is one */
  for (int it = 0; it < p->max_iter; it++) {
    job.first = it == 0;
    job.deltas = kept.deltas;
    /* Only the last iteration's bounds serve: write them in the last one that max_iter
     * allows, and from where the centres move little enough that the tolerance may stop the
     * loop (past iterations' bounds cost a 4-byte store a row and, at the first, a page fault
     * per 1024 rows). Should the tolerance stop an iteration without them, the final
     * assignment falls back to the centre-gap test. */
    job.lb =
        lb != NULL && (it == p->max_iter - 1 || (shift >= 0.0 && shift <= KM_LB_NEAR * p->tol_abs))
            ? lb
            : NULL;
    ran = 1;
    KM_PACK(k, d, centers, d, packed);
    STRATA_TRY(strata_for_blocks(p->ctx, p->phase, p->n, KM_BLOCK_ROWS, plen, SFX(assign_block),
                                 &job, sums));
    STRATA_TRY(SFX(km_update_kept)(p, run->labels, centers, next, &kept, sums, &shift));
    if (prev != NULL) memcpy(prev, centers, (size_t)(k * d) * sizeof(T));
    memcpy(centers, next, (size_t)(k * d) * sizeof(T));
    run->n_iter = it + 1;
    if (sums[k * d + k + 1] == 0.0 || shift <= p->tol_abs) {
      /* Labels unchanged (the new centres then equal the old ones bit for bit), or moved less
       * than the tolerance. */
      run->converged = 1;
      break;
    }
  }
  /* As scikit-learn: assign once more so that the labels and inertia belong to the final
   * centres (after a strict convergence the labels come back unchanged). The iterations
   * compute labels only, so this is also where the exact inertia comes from; the last
   * iteration's labels serve as candidates. */
  if (ran && job.lb != NULL)
    STRATA_TRY(SFX(km_assign_bounded)(p, centers, prev, run->labels, lb, &run->inertia));
  else if (ran && prev != NULL && memcmp(prev, centers, (size_t)(k * d) * sizeof(T)) == 0)
    STRATA_TRY(SFX(km_assign_bounded)(p, centers, prev, run->labels, NULL, &run->inertia));
  else if (ran)
    STRATA_TRY(SFX(km_assign_hinted)(p, centers, run->labels, &run->inertia));
  else
    STRATA_TRY(SFX(km_assign)(p, centers, run->labels, NULL, &run->inertia));
cleanup:
  strata_free(packed);
  strata_free(next);
  strata_free(prev);
  strata_free(lb);
  strata_free(sums);
  km_totals_free(&kept);
  return st;
}
