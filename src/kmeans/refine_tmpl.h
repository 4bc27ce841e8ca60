/*
 * Non-local refinement of a converged k-means solution, in the spirit of Fritzke's
 * k-means-u* ("The k-means-u* algorithm: non-local jumps and greedy retries improve k-means++
 * clustering", 2017) and Franti's random swap. Lloyd-type iterations only move centres
 * locally, so a solution can keep two centres inside one true cluster while one centre
 * covers two: a local optimum that restarts (n_init) only escape by luck. Here the centre
 * whose removal costs least (the cheaper of the closest pair by the exact merge cost
 * w_a w_b / (w_a + w_b) ||c_a - c_b||^2) jumps into the cluster with the largest error, at a
 * row drawn with probability ~ w D^2 inside it; k-means then converges again, and the jump is
 * kept only when the inertia drops. A failed jump is retried with the next-largest-error
 * cluster; refinement ends after three failures in a row or 4 + k/4 jumps. A trial runs at
 * most KM_REFINE_TRIAL_ITERS iterations; the last accepted one is then run to convergence.
 *
 * Cost per jump: one assignment pass O(n k d) for per-cluster errors, O(k^2 d) for the merge
 * costs, and a warm-started k-means run (usually a few iterations). Deterministic: the draws
 * are Philox functions of (seed, jump), the rest is in fixed order.
 *
 * Template: instantiated by refine.c for float and double (see typed.h).
 */

#define KM_REFINE_TRIAL_ITERS 20

/* The exact iterations of `alg` (all three give the same result; see their files). */
strata_status SFX(km_iterate)(const km_problem *p, strata_kmeans_algorithm alg, km_run *run) {
  if (alg == STRATA_KMEANS_YINYANG) return SFX(km_yinyang)(p, run);
  if (alg == STRATA_KMEANS_HAMERLY) return SFX(km_hamerly)(p, run);
  return SFX(km_lloyd)(p, run);
}

strata_status SFX(km_refine)(const km_problem *p, uint64_t seed, strata_kmeans_algorithm alg,
                             km_run *run) {
  strata_status st = STRATA_OK;
  const int64_t n = p->n, d = p->d, k = p->k;
  const T *x = (const T *)p->x;
  T *trial_centers = NULL;
  int32_t *trial_labels = NULL;
  double *dist = NULL, *weight = NULL, *error = NULL;
  int64_t *order = NULL;
  if (k < 3) goto cleanup; /* a jump needs a pair to merge and a third cluster to split */
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)(k * d), sizeof(T), "refined centres", (void **)&trial_centers));
  STRATA_TRY(
      strata_alloc(p->ctx, (size_t)n, sizeof(int32_t), "refined labels", (void **)&trial_labels));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)n, sizeof(double), "distances", (void **)&dist));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)k, sizeof(double), "cluster weights", (void **)&weight));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)k, sizeof(double), "cluster errors", (void **)&error));
  STRATA_TRY(strata_alloc(p->ctx, (size_t)k, sizeof(int64_t), "cluster order", (void **)&order));
  T *centers = (T *)run->centers;
  const int max_jumps = 4 + (int)(k / 4);
  int failures = 0, stale = 1;
  for (int jump = 0; jump < max_jumps && failures < 3; jump++) {
    if (stale) {
      /* Per-cluster weight and error of the current solution (its own labels). */
      double inertia;
      STRATA_TRY(SFX(km_assign)(p, centers, run->labels, dist, &inertia));
      for (int64_t j = 0; j < k; j++) weight[j] = error[j] = 0.0;
      for (int64_t i = 0; i < n; i++) {
        double w = p->w ? p->w[i] : 1.0;
        weight[run->labels[i]] += w;
        error[run->labels[i]] += w * dist[i];
      }
      stale = 0;
    }
    /* The cheapest merge. */
    int64_t a = -1, b = -1;
    double merge_cost = INFINITY;
    for (int64_t j = 0; j < k; j++)
      for (int64_t m = j + 1; m < k; m++) {
        double acc = 0.0;
        for (int64_t t = 0; t < d; t++) {
          double diff = (double)centers[j * d + t] - (double)centers[m * d + t];
          acc += diff * diff;
        }
        double wsum = weight[j] + weight[m];
        double cost = wsum > 0.0 ? weight[j] * weight[m] / wsum * acc : 0.0;
        if (cost < merge_cost) merge_cost = cost, a = j, b = m;
      }
    /* The lighter centre of the pair jumps; the heavier takes the pair's mean. */
    if (weight[b] > weight[a]) {
      int64_t tmp = a;
      a = b;
      b = tmp;
    }
    /* Clusters by decreasing error (ties: lower index), skipping the merged pair; a failed
     * jump moves on to the next one. */
    int64_t n_order = 0;
    for (int64_t j = 0; j < k; j++)
      if (j != a && j != b) order[n_order++] = j;
    for (int64_t s = 1; s < n_order; s++)
      for (int64_t r = s; r > 0 && error[order[r - 1]] < error[order[r]]; r--) {
        int64_t tmp = order[r];
        order[r] = order[r - 1];
        order[r - 1] = tmp;
      }
    int64_t target = order[failures < n_order ? failures : n_order - 1];
    /* Splitting recovers at most the target's error: no jump can pay otherwise. */
    if (!(merge_cost < error[target])) break;

    memcpy(trial_centers, centers, (size_t)(k * d) * sizeof(T));
    double wsum = weight[a] + weight[b];
    if (wsum > 0.0)
      for (int64_t t = 0; t < d; t++)
        trial_centers[a * d + t] =
            (T)((weight[a] * (double)centers[a * d + t] + weight[b] * (double)centers[b * d + t]) /
                wsum);
    strata_rng g;
    strata_rng_init(&g, seed, KM_STREAM_REFINE, (uint64_t)jump);
    double u = strata_rng_uniform(&g) * error[target], acc = 0.0;
    int64_t row = -1;
    for (int64_t i = 0; i < n; i++) {
      if (run->labels[i] != target) continue;
      double m = (p->w ? p->w[i] : 1.0) * dist[i];
      if (m <= 0.0) continue;
      row = i;
      acc += m;
      if (acc > u) break;
    }
    if (row < 0) break;
    memcpy(trial_centers + b * d, x + row * p->ldx, (size_t)d * sizeof(T));

    /* A trial runs a bounded number of iterations: its inertia only falls with more, so a
     * trial that already beats the current solution is kept and finished below, and one
     * that does not is almost never a win (and costs far less to reject). */
    km_run trial = {trial_centers, trial_labels, 0.0, 0, 0, 0};
    km_problem bounded = *p;
    if (bounded.max_iter > KM_REFINE_TRIAL_ITERS) bounded.max_iter = KM_REFINE_TRIAL_ITERS;
    STRATA_TRY(SFX(km_iterate)(&bounded, alg, &trial));
    if (trial.inertia < run->inertia) {
      memcpy(centers, trial_centers, (size_t)(k * d) * sizeof(T));
      memcpy(run->labels, trial_labels, (size_t)n * sizeof(int32_t));
      run->inertia = trial.inertia;
      run->n_iter = trial.n_iter;
      run->converged = trial.converged;
      run->jumps++;
      failures = 0;
      stale = 1;
    } else {
      failures++;
    }
  }
  if (run->jumps > 0 && !run->converged) {
    /* Finish the last accepted trial with the full iteration budget. */
    km_run rest = {centers, run->labels, 0.0, 0, 0, 0};
    STRATA_TRY(SFX(km_iterate)(p, alg, &rest));
    run->inertia = rest.inertia;
    run->n_iter = rest.n_iter;
    run->converged = rest.converged;
  }
cleanup:
  strata_free(trial_centers);
  strata_free(trial_labels);
  strata_free(dist);
  strata_free(weight);
  strata_free(error);
  strata_free(order);
  return st;
}
