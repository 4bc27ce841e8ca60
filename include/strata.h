/*
 * strata.h — the one public header of strata, a customer-segmentation engine.
 *
 * This header is also the manual. Conventions that hold for every function below:
 *
 *  - Every call that can fail takes a `strata_ctx *` first and returns a `strata_status`.
 *    On failure the context keeps a message naming the file, dataset, row or parameter at
 *    fault (`strata_ctx_error`). The library never prints and never exits.
 *  - Handles are opaque; each has a create/open function that fills an out-parameter and a
 *    free/close function that accepts NULL.
 *  - Pointers passed in are borrowed for the duration of the call unless stated otherwise.
 *  - A context is not thread-safe: use one context per calling thread. The library runs its
 *    own OpenMP team inside calls, sized by `strata_ctx_set_threads`.
 *  - Every randomised routine takes a seed and gives identical output for any thread count.
 */
#ifndef STRATA_H
#define STRATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ version */

#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 1
#define STRATA_VERSION_PATCH 0
#define STRATA_VERSION_STRING "0.1.0"
#define STRATA_VERSION_NUMBER \
  (STRATA_VERSION_MAJOR * 10000 + STRATA_VERSION_MINOR * 100 + STRATA_VERSION_PATCH)

/* The version of the library actually linked, e.g. "0.1.0" (static storage). */
const char *strata_version(void);
/* STRATA_VERSION_NUMBER of the linked library; compare with the macro to detect a mismatch. */
unsigned strata_version_number(void);

/* ------------------------------------------------------------------ status */

/* Values are stable once published; new ones are only ever appended. */
typedef enum strata_status {
  STRATA_OK = 0,
  STRATA_ERR_USAGE = 1,         /* invalid parameter or call sequence */
  STRATA_ERR_DATA = 2,          /* bad input data: missing dataset, rank, type, shape, NaN... */
  STRATA_ERR_IO = 3,            /* a file cannot be opened, read, written or renamed */
  STRATA_ERR_EXISTS = 4,        /* the output exists and replacing it was not allowed */
  STRATA_ERR_NOMEM = 5,         /* an allocation failed */
  STRATA_ERR_BUDGET = 6,        /* the work would exceed the context's memory budget */
  STRATA_ERR_NOT_CONVERGED = 7, /* an iterative fit did not converge */
  STRATA_ERR_INTERNAL = 8       /* a bug in strata: please report it */
} strata_status;

/* A short constant name for a status, e.g. "bad input data". Never NULL. */
const char *strata_status_str(strata_status status);

/* ------------------------------------------------------------------ data types */

typedef enum strata_dtype {
  STRATA_F32 = 1,
  STRATA_F64 = 2,
  STRATA_I32 = 3,
  STRATA_I64 = 4
} strata_dtype;

/* Size in bytes of one element (0 for an unknown value). */
size_t strata_dtype_size(strata_dtype dtype);
/* "float32", "float64", "int32", "int64" or "unknown". */
const char *strata_dtype_name(strata_dtype dtype);

/* A borrowed row-major view: row i starts at (char *)data + i * ld * strata_dtype_size(dtype).
 * ld >= d. The view never owns `data`. */
typedef struct strata_matrix {
  void *data;
  int64_t n;  /* rows */
  int64_t d;  /* columns */
  int64_t ld; /* elements between the starts of consecutive rows */
  strata_dtype dtype;
} strata_matrix;

/* ------------------------------------------------------------------ context */

typedef struct strata_ctx_s strata_ctx;

/* Progress callback: `phase` names the work, `fraction` runs from 0 to 1. Called only from
 * the thread that made the library call (which is thread 0 of strata's OpenMP team inside
 * parallel work), so the callback needs no locking; at most a few hundred times
 * per phase. Progress never changes results. */
typedef void (*strata_progress_fn)(void *user, const char *phase, double fraction);

/* Creates a context with all threads OpenMP offers, the default memory budget (three
 * quarters of physical memory) and no progress callback. Returns STRATA_ERR_NOMEM or
 * STRATA_ERR_USAGE (out == NULL); *out is NULL on failure. */
strata_status strata_ctx_create(strata_ctx **out);
/* Frees the context; NULL is accepted. */
void strata_ctx_free(strata_ctx *ctx);

/* Number of threads for later calls; 0 means the OpenMP default. Fails with
 * STRATA_ERR_USAGE for a negative count. */
strata_status strata_ctx_set_threads(strata_ctx *ctx, int threads);
/* The thread count that calls will use (resolved, >= 1). */
int strata_ctx_threads(const strata_ctx *ctx);

/* Memory budget in bytes for large allocations; 0 restores the default. */
void strata_ctx_set_memory_budget(strata_ctx *ctx, uint64_t bytes);
uint64_t strata_ctx_memory_budget(const strata_ctx *ctx);

/* Installs (or with fn == NULL removes) a progress callback. */
void strata_ctx_set_progress(strata_ctx *ctx, strata_progress_fn fn, void *user);

/* The message of the most recent failed call on this context, or "" when none has failed.
 * Valid until the next call on the context. */
const char *strata_ctx_error(const strata_ctx *ctx);
/* Status of the most recent failed call (STRATA_OK when none). */
strata_status strata_ctx_last_status(const strata_ctx *ctx);
/* Forgets the last error. */
void strata_ctx_clear_error(strata_ctx *ctx);

/* Wall-clock seconds spent in each named phase of the calls made on this context, in the
 * order the phases first started. Names are static strings owned by the library. */
size_t strata_ctx_phase_count(const strata_ctx *ctx);
const char *strata_ctx_phase_name(const strata_ctx *ctx, size_t i);
double strata_ctx_phase_seconds(const strata_ctx *ctx, size_t i);
/* Adds seconds to a phase (created if new); `name` must outlive the context (a literal). */
void strata_ctx_add_phase(strata_ctx *ctx, const char *name, double seconds);

/* ------------------------------------------------------------------ HDF5 input */

typedef struct strata_h5_file_s strata_h5_file;
typedef struct strata_h5_dataset_s strata_h5_dataset;

/* Shape and element type of a dataset of rank 1 or 2 (dims[1] == 1 for rank 1). */
typedef struct strata_dataset_info {
  int rank;
  int64_t dims[2];
  strata_dtype dtype;
} strata_dataset_info;

/* Opens an HDF5 file read-only. STRATA_ERR_IO when the file is missing or unreadable,
 * STRATA_ERR_DATA when it is not an HDF5 file. The file is never modified. */
strata_status strata_h5_open(strata_ctx *ctx, const char *path, strata_h5_file **out);
/* Closes the file; NULL accepted. Datasets opened from it must be closed first. */
void strata_h5_close(strata_h5_file *file);
/* The path the file was opened with (owned by the handle). */
const char *strata_h5_path(const strata_h5_file *file);
/* 1 when an object (group or dataset) exists at `name`, else 0. */
int strata_h5_exists(const strata_h5_file *file, const char *name);

/* Bit masks of accepted element types for strata_h5_dataset_open. */
#define STRATA_TYPES_FLOAT ((1u << STRATA_F32) | (1u << STRATA_F64))
#define STRATA_TYPES_INT ((1u << STRATA_I32) | (1u << STRATA_I64))
#define STRATA_TYPES_ANY (STRATA_TYPES_FLOAT | STRATA_TYPES_INT)

/* Opens dataset `name` and checks it: it must exist (else STRATA_ERR_DATA naming it), have
 * rank `rank` (1 or 2), an element type in `types`, at least one row, and, when
 * `cols` > 0, exactly `cols` columns. Any failed check names the file, the dataset, what was
 * expected and what was found. */
strata_status strata_h5_dataset_open(strata_ctx *ctx, strata_h5_file *file, const char *name,
                                     int rank, unsigned types, int64_t cols,
                                     strata_h5_dataset **out);
void strata_h5_dataset_close(strata_h5_dataset *ds);
const strata_dataset_info *strata_h5_dataset_info(const strata_h5_dataset *ds);
/* Reads rows [row0, row0 + nrows) into `buf` (nrows * cols elements of `memtype`, row-major,
 * dense), converting from the stored type when they differ. Reading only a block of rows
 * (a hyperslab) keeps memory bounded for any dataset size. */
strata_status strata_h5_dataset_read_rows(strata_ctx *ctx, strata_h5_dataset *ds, int64_t row0,
                                          int64_t nrows, strata_dtype memtype, void *buf);

/* Reads a whole rank-2 dataset (element type in `types`, read as stored: no conversion) into
 * memory, block by block, checking that every value is finite; a NaN or infinity fails with
 * STRATA_ERR_DATA naming the file, dataset, row and column. The allocation counts against the
 * memory budget. On success out->data is owned by the caller: release it with
 * strata_matrix_release. */
strata_status strata_h5_read_matrix(strata_ctx *ctx, strata_h5_file *file, const char *name,
                                    unsigned types, strata_matrix *out);
/* Reads a rank-1 dataset into a new array of `memtype` (converted if needed; floats checked
 * finite). With expected_rows > 0 the length must match. Free *out with strata_buffer_free. */
strata_status strata_h5_read_vector(strata_ctx *ctx, strata_h5_file *file, const char *name,
                                    unsigned types, int64_t expected_rows, strata_dtype memtype,
                                    void **out);
/* Frees the data of a matrix filled by strata_h5_read_matrix and zeroes the view; NULL
 * accepted. */
void strata_matrix_release(strata_matrix *m);
/* Frees an array returned by the library (e.g. strata_h5_read_vector); NULL accepted. */
void strata_buffer_free(void *p);

/* Reads a rank-1 dataset of strings (variable or fixed length). On success *out is an array
 * of *count strings in one allocation, released with free(*out). */
strata_status strata_h5_read_strings(strata_ctx *ctx, strata_h5_file *file, const char *name,
                                     char ***out, int64_t *count);
/* Reads a numeric scalar attribute `attr` of object `obj` ("/" for the root). */
strata_status strata_h5_read_attr_double(strata_ctx *ctx, strata_h5_file *file, const char *obj,
                                         const char *attr, double *value);

/* Reads a numeric attribute of up to `max` values into `values`; *count gets how many. */
strata_status strata_h5_read_attr_doubles(strata_ctx *ctx, strata_h5_file *file, const char *obj,
                                          const char *attr, double *values, int64_t max,
                                          int64_t *count);
/* Reads a string attribute into buf (truncated to len - 1 characters). */
strata_status strata_h5_read_attr_string(strata_ctx *ctx, strata_h5_file *file, const char *obj,
                                         const char *attr, char *buf, size_t len);

/* Checks that every value of a float block is finite. `first_row` is the block's row in the
 * dataset, so that the message names the real row and column, e.g.
 * "base.h5: /accounts/features row 17, column 3 is NaN". */
strata_status strata_check_finite(strata_ctx *ctx, const strata_matrix *block, int64_t first_row,
                                  const char *file, const char *dataset);

/* ------------------------------------------------------------------ HDF5 inventory */

/* One object of a file as seen by strata_h5_describe. Strings are valid during the callback. */
typedef struct strata_h5_entry {
  const char *path;    /* "/accounts/features" */
  int is_group;        /* 1 for a group, 0 for a dataset */
  int rank;            /* datasets: 0 (scalar) to 32 */
  const int64_t *dims; /* datasets: rank extents */
  const char *type;    /* datasets: "float64", "int32", "string", "compound", ... */
  size_t n_attrs;
  const char *const *attr_names;
  const char *const *attr_values; /* values formatted as text */
} strata_h5_entry;

typedef int (*strata_h5_visit_fn)(void *user, const strata_h5_entry *entry);

/* Walks every group and dataset of `path` in name order, root first, calling `visit` for
 * each; a non-zero return from `visit` stops the walk (not an error). */
strata_status strata_h5_describe(strata_ctx *ctx, const char *path, strata_h5_visit_fn visit,
                                 void *user);

/* ------------------------------------------------------------------ HDF5 output */

typedef struct strata_h5_writer_s strata_h5_writer;

/* Starts an output file. Everything is written to a temporary file in the destination's
 * directory and only renamed to `path` by strata_h5_writer_commit, so a failed run leaves no
 * partial output. Without `force`, an existing `path` fails now with STRATA_ERR_EXISTS (and
 * again at commit, should one appear meanwhile); an unwritable directory fails with
 * STRATA_ERR_IO. The root gets the attribute strata_version. */
strata_status strata_h5_writer_create(strata_ctx *ctx, const char *path, int force,
                                      strata_h5_writer **out);
/* Abandons an uncommitted writer and removes its temporary file; NULL accepted. */
void strata_h5_writer_free(strata_h5_writer *w);
/* Closes, flushes to disk and renames the output into place. The writer is freed whatever
 * the outcome; on failure no output file is left behind. */
strata_status strata_h5_writer_commit(strata_ctx *ctx, strata_h5_writer *w);

/* Writes a whole dataset of rank 1 or 2, creating missing parent groups. */
strata_status strata_h5_write(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                              strata_dtype dtype, int rank, const int64_t *dims, const void *data);
/* Creates a chunked dataset to be filled block by block with strata_h5_write_rows. */
strata_status strata_h5_create_dataset(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                                       strata_dtype dtype, int rank, const int64_t *dims);
/* Writes rows [row0, row0 + nrows) of a dataset made by strata_h5_create_dataset. */
strata_status strata_h5_write_rows(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                                   int64_t row0, int64_t nrows, const void *data);
/* Writes a table of `rows` records with `cols` named float64 fields (an HDF5 compound
 * dataset, read by h5py/pandas as named columns); values are rows x cols, row-major. */
strata_status strata_h5_write_table(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                                    int64_t rows, int64_t cols, const char *const *col_names,
                                    const double *values);
/* Creates a group (and missing parents); an existing group is left as it is. */
strata_status strata_h5_create_group(strata_ctx *ctx, strata_h5_writer *w, const char *name);
/* Writes a rank-1 dataset of variable-length UTF-8 strings. */
strata_status strata_h5_write_strings(strata_ctx *ctx, strata_h5_writer *w, const char *name,
                                      int64_t count, const char *const *strings);
/* Attributes on an existing object ("/" for the root). Arrays are rank 1. */
strata_status strata_h5_write_attr_double(strata_ctx *ctx, strata_h5_writer *w, const char *obj,
                                          const char *attr, const double *values, int64_t count);
strata_status strata_h5_write_attr_int64(strata_ctx *ctx, strata_h5_writer *w, const char *obj,
                                         const char *attr, const int64_t *values, int64_t count);
strata_status strata_h5_write_attr_string(strata_ctx *ctx, strata_h5_writer *w, const char *obj,
                                          const char *attr, const char *value);
/* Records provenance on the root: the command line and the size of the input
 * (input_rows, input_cols; 0 where a dimension does not apply, e.g. the columns of
 * `strata gen`, whose input is just the number of customers asked for). */
strata_status strata_h5_write_provenance(strata_ctx *ctx, strata_h5_writer *w,
                                         const char *command_line, int64_t input_rows,
                                         int64_t input_cols);

/* ------------------------------------------------------------------ import */

typedef enum strata_import_format {
  STRATA_IMPORT_CDNOW = 1, /* "id [sample_id] YYYYMMDD quantity amount", whitespace separated */
  STRATA_IMPORT_CSV = 2    /* a header line names the columns */
} strata_import_format;

typedef struct strata_import_params {
  strata_import_format format;
  const char *id_col;       /* CSV: integer customer id column (default "customer_id") */
  const char *date_col;     /* CSV: YYYY-MM-DD (a time of day is ignored) or YYYYMMDD ("date") */
  const char *amount_col;   /* CSV: money value ("amount") */
  const char *quantity_col; /* CSV: optional count column (NULL: none) */
  char delimiter;           /* CSV: field separator (default ',') */
  int skip_bad_rows;        /* 0: the first bad row fails the import, naming its line */
} strata_import_params;

void strata_import_params_init(strata_import_params *params);

typedef struct strata_import_summary {
  int64_t rows;          /* transactions imported */
  int64_t skipped;       /* bad rows skipped (skip_bad_rows) */
  int32_t first_day, last_day;
  double total_amount;
  char first_bad[320];   /* "line 17: ..." of the first bad row, or "" */
} strata_import_summary;

/* Reads a transaction log and writes /transactions/{customer_id, day, amount[, quantity]} to
 * `out` atomically (see strata_h5_writer_create for `force`). A bad row (unparseable id, date,
 * amount or quantity, wrong number of columns) fails with STRATA_ERR_DATA naming the file and
 * the line (CDNOW) or record (CSV), unless skip_bad_rows, which counts them instead; a CSV
 * header without a named column fails naming it and listing the header. `summary` may be
 * NULL. The input is only read. */
strata_status strata_import(strata_ctx *ctx, const char *in, const strata_import_params *params,
                            const char *out, int force, const char *command_line,
                            strata_import_summary *summary);

/* ------------------------------------------------------------------ k-means */

typedef enum strata_kmeans_algorithm {
  STRATA_KMEANS_AUTO = 0,     /* the fastest exact algorithm for the shape, measured: Lloyd for
                                 k <= 32, Hamerly below 384, Yinyang from 384 (Hamerly when
                                 Yinyang's bounds would take over half the memory budget) */
  STRATA_KMEANS_LLOYD = 1,    /* Lloyd 1982: every distance every iteration */
  STRATA_KMEANS_HAMERLY = 2,  /* Hamerly 2010: same result as Lloyd, most distances skipped */
  STRATA_KMEANS_YINYANG = 3,  /* Ding et al. 2015: same result as Lloyd, for large k: centres in
                                 about k / 64 groups, one lower bound per group and row */
  STRATA_KMEANS_MINIBATCH = 4 /* Sculley 2010, as scikit-learn's MiniBatchKMeans: steps on
                                 batch_size rows drawn with replacement, per-centre learning
                                 rates from running weights; approximate (never chosen by
                                 AUTO); no refinement jumps; max_iter counts epochs */
} strata_kmeans_algorithm;

typedef enum strata_kmeans_init {
  STRATA_KMEANS_INIT_KMEANSPP = 0,        /* greedy k-means++ (Arthur & Vassilvitskii 2007), as
                                             scikit-learn: 2 + floor(ln k) local trials per centre;
                                             one pass over the data per centre */
  STRATA_KMEANS_INIT_RANDOM = 1,          /* k distinct rows drawn with probability ~ weight */
  STRATA_KMEANS_INIT_GIVEN = 2,           /* params.init_centers */
  STRATA_KMEANS_INIT_KMEANS_PARALLEL = 3, /* k-means|| (Bahmani et al. 2012): init_rounds
                                             passes drawing about `oversampling` rows each,
                                             reduced to k by weighted greedy k-means++ */
  STRATA_KMEANS_INIT_AUTO = 4             /* default: k-means|| when k >= 16 and n >= 10,000
                                             (greedy k-means++ would make k + 1 passes over
                                             a large data set), else k-means++ */
} strata_kmeans_init;

typedef struct strata_kmeans_params {
  int64_t k;                         /* clusters, 1 <= k <= n */
  strata_kmeans_algorithm algorithm; /* default AUTO */
  strata_kmeans_init init;           /* default AUTO */
  int max_iter;                      /* default 300 (mini-batch: epochs) */
  double tol;                        /* default 1e-4, relative to the mean feature variance */
  int n_init;                        /* runs from different seeds, best inertia kept; default 1 */
  uint64_t seed;                     /* default 0 */
  int64_t local_trials;              /* k-means++ candidates per centre; 0 = 2 + floor(ln k) */
  int refine;                        /* 1 (default): after convergence, non-local jumps of
                                        single centres out of local optima, each kept only
                                        when the inertia drops (see src/kmeans/refine_tmpl.h);
                                        0: plain k-means as scikit-learn. Exact
                                        algorithms in memory only (not mini-batch, not
                                        strata_kmeans_fit_h5) */
  const double *weights;             /* n non-negative sample weights or NULL (all 1); borrowed */
  const void *init_centers;          /* k x d, dtype of the data, for INIT_GIVEN; borrowed */
  double oversampling;               /* k-means||: rows drawn per round (l); 0 = 2k */
  int init_rounds;                   /* k-means||: rounds; 0 = 3 */
  int64_t batch_size;                /* mini-batch: rows per step, default 1024 */
  int max_no_improvement;            /* mini-batch: stop after this many steps without a
                                        better smoothed batch inertia; default 10, 0 = off */
  double reassignment_ratio;         /* mini-batch: centres lighter than this x the heaviest
                                        move to batch rows every 10 k rows; default 0.01,
                                        0 = off */
  int64_t sample_rows;               /* > 0 and < n: fit (init, iterations, refinement,
                                        n_init) on this many rows drawn uniformly by the seed,
                                        with their weights, then assign every row to the
                                        fitted centres (labels and inertia over all rows);
                                        faiss trains on such a sample by default. 0 (default):
                                        all rows. In-memory fits only */
} strata_kmeans_params;

/* Fills the defaults above (k = 8 as scikit-learn; set it). */
void strata_kmeans_params_init(strata_kmeans_params *params);

typedef struct strata_kmeans_s strata_kmeans;

/* Clusters the rows of x (float32 or float64, read in place: no conversion copy) and returns
 * a model holding centres, labels, inertia, iterations and convergence. Semantics follow
 * scikit-learn's KMeans: convergence when the labels no longer change or when the squared
 * centre shift summed over clusters is at most tol x the mean variance of the features; an
 * empty cluster is re-seeded from the row farthest from its centre; inertia is the weighted
 * sum of squared distances to the final centres. The same seed gives identical results for
 * any thread count. Errors: STRATA_ERR_USAGE (k < 1, k > n, d = 0, bad parameters),
 * STRATA_ERR_DATA (NaN or infinite values, negative or all-zero weights), STRATA_ERR_BUDGET /
 * STRATA_ERR_NOMEM. */
strata_status strata_kmeans_fit(strata_ctx *ctx, const strata_matrix *x,
                                const strata_kmeans_params *params, strata_kmeans **out);
void strata_kmeans_free(strata_kmeans *model);
int64_t strata_kmeans_k(const strata_kmeans *model);
int64_t strata_kmeans_d(const strata_kmeans *model);
strata_dtype strata_kmeans_dtype(const strata_kmeans *model);
/* k x d centres in the data's dtype, row-major; owned by the model. */
const void *strata_kmeans_centers(const strata_kmeans *model);
/* n labels in [0, k) of the training rows; owned by the model. */
const int32_t *strata_kmeans_labels(const strata_kmeans *model);
double strata_kmeans_inertia(const strata_kmeans *model);
int strata_kmeans_n_iter(const strata_kmeans *model);
int strata_kmeans_converged(const strata_kmeans *model);
/* Refinement jumps that were kept (0 when params.refine was 0). */
int strata_kmeans_jumps(const strata_kmeans *model);
/* The algorithm that actually ran (AUTO resolved). */
strata_kmeans_algorithm strata_kmeans_algorithm_used(const strata_kmeans *model);
/* The initialisation that actually ran (AUTO resolved). */
strata_kmeans_init strata_kmeans_init_used(const strata_kmeans *model);

/* Out-of-core k-means: clusters the rows of a rank-2 float32/float64 dataset of an open file
 * without loading it, reading it in chunks of whole 8192-row blocks every pass, so that
 * memory stays within the context's budget (the labels, 4 bytes a row, must fit; then one
 * chunk and its partial sums; STRATA_ERR_BUDGET naming the need otherwise). Runs exact Lloyd
 * (AUTO, LLOYD, HAMERLY and YINYANG all mean Lloyd here: the same result; MINIBATCH is refused
 * with STRATA_ERR_USAGE) and no refinement jumps: from the same initial centres the result is
 * the in-memory Lloyd's bit for bit. Initialisation: given centres, or the chosen method on a
 * seeded sample of max(65536, 100 k) rows (fewer if the budget is tight) read in one pass.
 * Values are checked finite as they are read (STRATA_ERR_DATA naming file, dataset, row and
 * column). params.weights, when given, are n weights in memory. */
strata_status strata_kmeans_fit_h5(strata_ctx *ctx, strata_h5_file *file, const char *dataset,
                                   const strata_kmeans_params *params, strata_kmeans **out);

/* A model made of given centres (k x d of dtype, copied), for prediction only: no labels
 * (strata_kmeans_labels returns NULL), inertia NaN. */
strata_status strata_kmeans_from_centers(strata_ctx *ctx, const void *centers, int64_t k, int64_t d,
                                         strata_dtype dtype, strata_kmeans **out);
/* Assigns rows of x (same dtype and d as the model) to their nearest centre: labels[i], and
 * when sqdist is not NULL the squared distance. Both arrays have x->n elements, caller-owned. */
strata_status strata_kmeans_predict(strata_ctx *ctx, const strata_kmeans *model,
                                    const strata_matrix *x, int32_t *labels, double *sqdist);

/* ------------------------------------------------------------------ hierarchical clustering */

/* Linkage methods, with SciPy's and fastcluster's definitions on Euclidean distances. The
 * algorithm used for each (Müllner 2011, "Modern hierarchical, agglomerative clustering
 * algorithms", arXiv:1109.2378):
 *   SINGLE    Prim's minimum spanning tree straight from the vectors: O(n^2 d) time, O(n d)
 *             memory.
 *   COMPLETE, AVERAGE, WEIGHTED
 *             nearest-neighbour chain on the stored distance matrix: O(n^2) time after the
 *             O(n^2 d) matrix, O(n^2) memory (checked against the memory budget first).
 *   WARD      nearest-neighbour chain from the vectors (cluster centroids and sizes): O(n d)
 *             memory; or on the stored matrix with params.ward_matrix.
 *   CENTROID, MEDIAN
 *             the generic algorithm from the vectors: O(n d) memory, O(n^2 d) typical time.
 * Values are stable once published. */
typedef enum strata_hier_method {
  STRATA_HIER_SINGLE = 0,
  STRATA_HIER_COMPLETE = 1,
  STRATA_HIER_AVERAGE = 2,
  STRATA_HIER_WEIGHTED = 3,
  STRATA_HIER_WARD = 4,
  STRATA_HIER_CENTROID = 5,
  STRATA_HIER_MEDIAN = 6
} strata_hier_method;

/* "single", "complete", ... ("unknown" out of range). Static storage. */
const char *strata_hier_method_name(strata_hier_method method);
/* Parses a method name (as above, lower case) into *out; returns 1 on success, 0 otherwise
 * (*out untouched). */
int strata_hier_method_from_name(const char *name, strata_hier_method *out);

typedef struct strata_hier_params {
  strata_hier_method method; /* default WARD */
  int ward_matrix;           /* WARD only: 1 runs the NN-chain on the stored squared-distance
                                matrix (O(n^2) memory) instead of from the vectors; 0 (default) */
  const double *weights;     /* n positive sizes or NULL (all 1); borrowed. The starting size of
                                each row as a cluster, used by the methods whose update depends
                                on sizes (AVERAGE, WARD, CENTROID); ignored by the others. The
                                two-stage path passes its micro-cluster sizes here. */
  int64_t micro;             /* 0 (default): exact. M > 0: two-stage, see strata_hier_fit */
  uint64_t seed;             /* two-stage k-means seed, default 0 */
  int micro_max_iter;        /* two-stage k-means iterations, default 25 */
} strata_hier_params;

/* Fills the defaults above. */
void strata_hier_params_init(strata_hier_params *params);

typedef struct strata_hier_s strata_hier;

/* Builds the tree of the rows of x (float32 or float64; NaN or infinity fail with
 * STRATA_ERR_DATA naming the row and column). The result holds the linkage matrix in SciPy's
 * layout (see strata_hier_linkage).
 *
 * Exact (params.micro == 0): the tree of SciPy's `linkage(x, method)` and fastcluster's. Ties
 * are broken as fastcluster breaks them: the nearest-neighbour chain and Prim's algorithm
 * scan clusters in index order and keep the lowest index among equal distances (a chain keeps
 * its previous element on a tie); rows are then sorted by height with a stable sort, so equal
 * heights keep the order in which the merges were found. For the methods whose distances are
 * only updated (complete, average, weighted, matrix Ward) the arithmetic is fastcluster's, so
 * ties resolve identically; distances computed from vectors can differ from a pdist-based
 * peer in the last bit, and so can the choice between merges whose heights agree to that bit.
 *
 * Two-stage (params.micro = M > 0): k-means (strata_kmeans_fit, random init, no refinement,
 * params.seed, params.micro_max_iter) cuts the rows into min(M, n) micro-clusters; their exact
 * means (recomputed in double from the final labels) and sizes go through the exact linkage
 * of the chosen method with the sizes as weights; every row takes its micro-cluster's place in
 * the tree. What is exact: for WARD and CENTROID, every merge height is the exact
 * Ward/centroid distance between the unions of micro-clusters it joins (their real means and
 * sizes), i.e. the tree is exact Ward agglomeration started from the micro partition. What is
 * approximate: the micro partition itself (rows of one micro-cluster never separate) and, for
 * the other methods, distances measured between micro-cluster centres. With M >= n and no
 * duplicate rows every micro-cluster is a single row and the result is the exact tree.
 *
 * Errors: STRATA_ERR_USAGE (x->n < 2, d < 1, unknown method, micro < 0, bad weights),
 * STRATA_ERR_DATA (NaN/infinite values), STRATA_ERR_BUDGET when a method that stores the
 * O(n^2) distance matrix would exceed the context's memory budget (checked before allocating;
 * the message names the two-stage option --micro), STRATA_ERR_NOMEM. */
strata_status strata_hier_fit(strata_ctx *ctx, const strata_matrix *x,
                              const strata_hier_params *params, strata_hier **out);
void strata_hier_free(strata_hier *tree);
/* Leaves of the tree: n, or the number of micro-clusters in two-stage. */
int64_t strata_hier_leaves(const strata_hier *tree);
/* Rows of the input (the length of row label arrays). */
int64_t strata_hier_rows(const strata_hier *tree);
strata_hier_method strata_hier_method_used(const strata_hier *tree);
/* "mst", "nn-chain-matrix", "nn-chain-vector" or "generic" (static storage). */
const char *strata_hier_algorithm(const strata_hier *tree);
/* The (leaves - 1) x 4 linkage matrix, row-major, SciPy's layout: row i merges clusters
 * Z[i,0] < Z[i,1] (ids < leaves are leaves, id leaves + j is the cluster of row j) at height
 * Z[i,2], making a cluster of Z[i,3] leaves. Rows are sorted by height for every method but
 * CENTROID and MEDIAN, whose rows stay in merge order (their heights can decrease), as in
 * SciPy. Owned by the tree. */
const double *strata_hier_linkage(const strata_hier *tree);
/* Two-stage only (NULL otherwise): the micro-cluster of each input row (rows entries), the
 * micro-cluster sizes (leaves entries) and centres (leaves x d, float64). Owned by the tree. */
const int32_t *strata_hier_micro_labels(const strata_hier *tree);
const double *strata_hier_micro_sizes(const strata_hier *tree);
const double *strata_hier_micro_centers(const strata_hier *tree);

/* Flat clusters from a linkage matrix (SciPy's fcluster). */
typedef enum strata_hier_cut {
  STRATA_HIER_CUT_MAXCLUST = 0, /* at most `value` clusters */
  STRATA_HIER_CUT_DISTANCE = 1  /* clusters whose cophenetic distance is <= value */
} strata_hier_cut;

/* Labels the `leaves` leaves of the linkage Z ((leaves - 1) x 4, SciPy's layout, e.g. from
 * strata_hier_linkage or scipy) with 0-based flat clusters, numbered in SciPy's traversal
 * order: labels[i] + 1 is what scipy.cluster.hierarchy.fcluster returns (with "distance" or
 * "maxclust"). A cluster is a maximal subtree whose largest merge height (over the subtree)
 * is <= the cutoff. MAXCLUST picks the cutoff among those heights with SciPy's search; it
 * differs from fcluster only where fcluster is off by one (k >= leaves - 1 gives leaves - 2
 * clusters in SciPy; here the k or leaves clusters asked for). Returns the number of clusters
 * in *count (may be NULL). Errors: STRATA_ERR_USAGE (leaves < 2, MAXCLUST value < 1, NaN
 * cutoff), STRATA_ERR_DATA (Z is not a valid linkage). */
strata_status strata_linkage_cut(strata_ctx *ctx, const double *Z, int64_t leaves,
                                 strata_hier_cut criterion, double value, int32_t *labels,
                                 int64_t *count);
/* The leaves in dendrogram order, left (Z[i,0]) subtree first: scipy's leaves_list. */
strata_status strata_linkage_leaf_order(strata_ctx *ctx, const double *Z, int64_t leaves,
                                        int32_t *order);
/* Cophenetic correlation of the tree Z with the Euclidean distances of the rows of x
 * (x->n == leaves): scipy's cophenet(Z, pdist(x))[0]. O(n^2 d) time, O(n d) memory: the
 * pairs are visited merge by merge in leaf order, never stored. */
strata_status strata_linkage_cophenetic(strata_ctx *ctx, const double *Z, const strata_matrix *x,
                                        double *correlation);

/* Labels every input row of a tree (through its micro-cluster in two-stage) with a cut as
 * strata_linkage_cut; labels has strata_hier_rows entries. */
strata_status strata_hier_cut_rows(strata_ctx *ctx, const strata_hier *tree,
                                   strata_hier_cut criterion, double value, int32_t *labels,
                                   int64_t *count);

/* Internal validity scores of a partition, with scikit-learn's definitions (sklearn.metrics
 * calinski_harabasz_score, davies_bouldin_score, silhouette_score): computed from the means of
 * the clusters as labelled, unweighted, over the clusters that have rows. */
typedef struct strata_cluster_scores {
  int64_t clusters;         /* clusters with at least one row */
  double inertia;           /* sum of squared distances of rows to their cluster's mean */
  double calinski_harabasz; /* between / within dispersion, scaled by (n - k) / (k - 1); higher
                               is better; NaN unless 2 <= clusters < n */
  double davies_bouldin;    /* mean over clusters of the worst (S_i + S_j) / d(c_i, c_j), S the
                               mean distance to the cluster's mean; lower is better; NaN unless
                               2 <= clusters < n */
  double silhouette;        /* mean silhouette of the sampled rows, in [-1, 1]; higher is better;
                               NaN unless the sample holds 2 .. rows - 1 clusters */
  int64_t silhouette_rows;  /* rows in the silhouette sample */
} strata_cluster_scores;

/* Scores the partition of the rows of x (float32 or float64, finite) by labels (x->n values in
 * [0, k)). The silhouette is exact (O(s^2 d)) on s = silhouette_sample rows drawn without
 * replacement as a pure function of (seed, row), or on all rows when silhouette_sample <= 0
 * or >= n. The same seed gives the same result for any thread count. Errors:
 * STRATA_ERR_USAGE (NULL pointers, k < 1), STRATA_ERR_DATA (a label outside [0, k), naming
 * the row; NaN or infinite values). */
strata_status strata_kmeans_scores(strata_ctx *ctx, const strata_matrix *x, const int32_t *labels,
                                   int64_t k, int64_t silhouette_sample, uint64_t seed,
                                   strata_cluster_scores *out);

/* ------------------------------------------------------------------ synthetic customer bases */

/* Parameters of `strata gen` (datasets/customer_base.md is the full specification).
 *
 * Each account belongs to one of `segments` latent segments, the first K prototypes of the
 * chosen profile (B2C or B2B) with their weights renormalised. A segment has its own
 * purchase behaviour and its own distribution of every account feature, numeric and
 * categorical. Purchases follow BG/NBD (Fader, Hardie & Lee 2005) in days: a customer buys at
 * a Poisson rate lambda ~ Gamma(r, rate alpha) while alive and drops out after each repeat
 * purchase with probability p ~ Beta(a, b). Each transaction's amount follows Gamma-Gamma
 * (Fader, Hardie & Lee 2005b): amount ~ Gamma(shape p_spend, rate nu), nu ~ Gamma(q, rate
 * gamma). With STRATA_GEN_BEHAVIOUR_SEGMENT these seven parameters are the segment's own;
 * with STRATA_GEN_BEHAVIOUR_SHARED every account uses the fields r .. gamma below (one
 * population, the truth a CLV fit should recover).
 *
 * `separation` S moves every per-segment parameter along a log-linear path from the
 * base-wide (weight-averaged in logs) value m_0 to the prototype's value m_k:
 * m_k(S) = m_0^(1 - S) m_k^S for positive parameters, the same on the logit scale for shares,
 * and level probabilities p_k(S) proportional to p_0^(1 - S) p_k^S. S = 0: no latent
 * structure; S = 1: the prototypes; S > 1: sharper. */
enum { STRATA_GEN_B2C = 0, STRATA_GEN_B2B = 1 };
/* Limits of extra_numeric and extra_categorical (strata_gen_params). */
#define STRATA_GEN_MAX_EXTRA_NUMERIC 32
#define STRATA_GEN_MAX_EXTRA_CATEGORICAL 8
enum { STRATA_GEN_BEHAVIOUR_SEGMENT = 0, STRATA_GEN_BEHAVIOUR_SHARED = 1 };

typedef struct strata_gen_params {
  int64_t customers;        /* number of accounts, >= 1 */
  uint64_t seed;            /* every draw is a pure function of (seed, account, draw) */
  int segments;             /* latent segments, 1..8 */
  int profile;              /* STRATA_GEN_B2C or STRATA_GEN_B2B */
  int behaviour;            /* STRATA_GEN_BEHAVIOUR_SEGMENT or STRATA_GEN_BEHAVIOUR_SHARED */
  double separation;        /* 0..3; 0 = segments indistinguishable, 1 = the prototypes */
  double r, alpha;          /* shared behaviour: BG/NBD purchase rate (alpha in days) */
  double a, b;              /* shared behaviour: BG/NBD dropout heterogeneity */
  double p_spend, q, gamma; /* shared behaviour: Gamma-Gamma spend */
  int32_t start_day;        /* first day of the cohort window, days since 1970-01-01 */
  int32_t cohort_days; /* first purchases fall uniformly in [start_day, start_day + cohort_days) */
  int32_t window_days; /* observation ends at start_day + window_days (exclusive) */
  /* Columns appended after the profile's, for wider bases (benchmarks): extra_numeric
   * (0..STRATA_GEN_MAX_EXTRA_NUMERIC) Gamma columns extra_num_01.. and extra_categorical
   * (0..STRATA_GEN_MAX_EXTRA_CATEGORICAL) six-level columns extra_cat_01.., each with
   * per-segment parameters derived from the seed (datasets/customer_base.md) and drawn from
   * their own random stream: with both 0 (the default) the output is what it was without
   * them, and with any value the profile's columns, segments and transactions are unchanged.
   * They enter the posterior behind bayes_segment like every other column. */
  int extra_numeric, extra_categorical;
} strata_gen_params;

/* Fills the defaults: B2C profile, 5 segments with their own behaviour, separation 1;
 * shared-behaviour parameters r = 0.9, alpha = 25, a = 0.9, b = 9, p_spend = 6.25, q = 3.74,
 * gamma = 15.44; a 365-day cohort in a 730-day window starting 2024-01-01. */
void strata_gen_params_init(strata_gen_params *params);

/* Generates the customer base and writes /accounts, /transactions and /truth to `path`
 * atomically (see strata_h5_writer_create for `force`). /truth holds each account's segment
 * and behaviour, every per-segment parameter, and the attribute bayes_accuracy: the share of
 * accounts whose most probable segment given their features (the generator knows every
 * density) is their own. `command_line` (may be NULL) is recorded as provenance. Output is
 * byte-identical for any thread count. STRATA_ERR_USAGE names the flag of a bad parameter. */
strata_status strata_gen_write(strata_ctx *ctx, const strata_gen_params *params, const char *path,
                               int force, const char *command_line);

#ifdef __cplusplus
}
#endif
#endif /* STRATA_H */
