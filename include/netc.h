/*
** netc.h: the one public header of libnetc.
**
** Ownership, once for the whole API: netc never takes ownership of its
** arguments; every object returned through a `*_create` or `*_compile_*`
** function is released with the matching `*_destroy`; strings and structs
** passed to callbacks are borrowed for the duration of the call only.
**
** Every function that can fail returns a netc_status: NETC_OK (0) on success,
** a negative code otherwise. The library never prints, exits or aborts.
*/
#ifndef NETC_H
#define NETC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status */

/* X(name, value, message): the single table of status codes. ORDER STATUS */
#define NETC_STATUS_MAP(X)                                                   \
  X(OK, 0, "success")                                                        \
  X(ENOMEM, -1, "out of memory")                                             \
  X(EINVAL, -2, "invalid argument")                                          \
  X(EIO, -3, "cannot read or write a file")                                  \
  X(ECOMPILE, -4, "the model has errors (see the diagnostics)")              \
  X(ENOTFOUND, -5, "no such name")                                           \
  X(EFORMAT, -6, "malformed or foreign file")                                \
  X(ESHAPE, -7, "shape mismatch")                                            \
  X(EDTYPE, -8, "dtype mismatch")                                            \
  X(ENUMERIC, -9, "a value became NaN or infinite")                          \
  X(EUNSUPPORTED, -10, "not supported")                                      \
  X(ESTATE, -11, "operation not valid in the current state")

typedef enum netc_status {
#define NETC_STATUS_ENUM_(name, value, message) NETC_##name = value,
  NETC_STATUS_MAP(NETC_STATUS_ENUM_)
#undef NETC_STATUS_ENUM_
} netc_status;

/* A short sentence describing `status`; never NULL. */
const char *netc_strerror(netc_status status);
/* The code's name, e.g. "NETC_ENOMEM"; never NULL. */
const char *netc_status_name(netc_status status);

/* ------------------------------------------------------------- allocator */

typedef void *(*netc_malloc_fn)(size_t size);
typedef void *(*netc_realloc_fn)(void *ptr, size_t size);
typedef void (*netc_free_fn)(void *ptr);

/* Replaces the allocator used by the whole library. Call it before any other
** netc function; all three must be given. Returns NETC_EINVAL otherwise. */
netc_status netc_set_allocator(netc_malloc_fn malloc_fn,
                               netc_realloc_fn realloc_fn,
                               netc_free_fn free_fn);

/* ----------------------------------------------------------------- dtype */

typedef enum netc_dtype {
  NETC_F32,  /* 32-bit IEEE float */
  NETC_I32,  /* 32-bit signed integer (labels, indices) */
  NETC_U8,   /* unsigned byte (raw pixels) */
  NETC_BOOL  /* result of a comparison, one byte per element */
} netc_dtype;

/* "f32", "i32", "u8" or "bool". */
const char *netc_dtype_name(netc_dtype dtype);

/* ----------------------------------------------------------- diagnostics */

typedef enum netc_severity {
  NETC_SEVERITY_ERROR,   /* the model cannot be compiled */
  NETC_SEVERITY_WARNING, /* suspicious but compiled (e.g. an unused variable) */
  NETC_SEVERITY_NOTE     /* extra context for the diagnostic before it */
} netc_severity;

/* One compiler message. All strings are borrowed for the callback's duration. */
typedef struct netc_diagnostic {
  netc_severity severity;  /* error, warning or note */
  const char *file;        /* source file as given, "" when there is none */
  int line;                /* 1-based line, 0 when there is no location */
  int column;              /* 1-based column of the first byte */
  const char *message;     /* short, lowercase, no trailing period */
  const char *hint;        /* a suggestion, or NULL */
  const char *rendered;    /* the full text: location, message, source line,
                              caret underline and hint, ending in a newline */
} netc_diagnostic;

typedef void (*netc_diagnostic_fn)(const netc_diagnostic *diagnostic,
                                   void *user);

/* Output sink for text reports (summary, DOT). Returns 0 to go on. */
typedef int (*netc_write_fn)(const char *data, size_t size, void *user);

/* --------------------------------------------------------------- compile */

/* A compiled model: immutable after compilation, safe to share by threads. */
typedef struct netc_model netc_model;

typedef struct netc_compile_options {
  netc_diagnostic_fn on_diagnostic; /* NULL: diagnostics are only counted */
  void *user;                       /* passed to on_diagnostic */
  const char *const *import_paths;  /* extra folders for `import`, NULL-ended;
                                       the importing file's folder is first */
  int max_errors;                   /* stop after this many errors; 0 = 50 */
} netc_compile_options;

/* Compiles the .net file at `path`. On NETC_ECOMPILE the diagnostics went to
** options->on_diagnostic and *out is NULL. `options` may be NULL. */
netc_status netc_model_compile_file(const char *path,
                                    const netc_compile_options *options,
                                    netc_model **out);

/* The same for text in memory; `name` is used in diagnostics. */
netc_status netc_model_compile_source(const char *name, const char *text,
                                      size_t size,
                                      const netc_compile_options *options,
                                      netc_model **out);

void netc_model_destroy(netc_model *model);

/* The model's name from its `model NAME` line. */
const char *netc_model_name(const netc_model *model);

/* Parameter counts: trainable and frozen (non-trainable state included). */
netc_status netc_model_param_counts(const netc_model *model,
                                    int64_t *trainable, int64_t *frozen);

/* Writes a Keras-style table of layers, shapes and parameters, then totals,
** FLOPs per example and activation memory per example. */
netc_status netc_model_write_summary(const netc_model *model,
                                     netc_write_fn write, void *user);

/* Writes the graph in Graphviz DOT. */
netc_status netc_model_write_dot(const netc_model *model, netc_write_fn write,
                                 void *user);

/* ---------------------------------------------------------------- tensors */

enum { NETC_MAX_RANK = 8 };

/* A view of row-major data owned by whoever filled it in. */
typedef struct netc_tensor {
  netc_dtype dtype;             /* element type */
  int rank;                     /* number of dims, 0 for a scalar */
  int64_t dims[NETC_MAX_RANK];  /* sizes */
  void *data;                   /* the elements */
} netc_tensor;

/* Number of elements (1 for a scalar). */
int64_t netc_tensor_elements(const netc_tensor *tensor);

/* One named input value for a run. */
typedef struct netc_feed {
  const char *name;    /* an `input` of the model */
  netc_tensor tensor;  /* its value; read during the call only */
} netc_feed;

/* --------------------------------------------------------------- sessions */

/* A session: the weights, optimizer state, RNG state and working memory of
** one model. The model must outlive it. One thread at a time may use a
** session; several sessions may share a model. */
typedef struct netc_session netc_session;

typedef struct netc_session_options {
  uint64_t seed;   /* initializers, dropout and shuffling */
  int max_batch;   /* largest batch ever fed (every symbolic dim is planned
                      at this size); 0 = the model's train batch, else 32 */
  int threads;     /* worker threads; 0 = one per core */
} netc_session_options;

/* Creates a session and initializes every weight from its initializer
** (seeded): there is no separate init step. `options` may be NULL. */
netc_status netc_session_create(const netc_model *model,
                                const netc_session_options *options,
                                netc_session **out);
void netc_session_destroy(netc_session *session);

/* Why the last call on the session failed ("" after a success): names the
** input, tensor or op and the .net line it comes from. */
const char *netc_session_error(const netc_session *session);

/* Runs entry point `entry`: "predict", "evaluate", "train" (one optimizer
** step) or a user step such as "sync_target". Feeds are checked by name,
** dtype and shape before anything runs. `fetches` names declared outputs,
** losses and metrics (or any node); results[i] receives a view of the i-th
** value, borrowed until the next call on the session. */
netc_status netc_session_run(netc_session *session, const char *entry,
                             const netc_feed *feeds, int n_feeds,
                             const char *const *fetches, int n_fetches,
                             netc_tensor *results);

/* Training steps taken so far. */
int64_t netc_session_step(const netc_session *session);

/* A copy of weight `name` (e.g. "dense/kernel") into `out` (f32, `count`
** elements), or NETC_ENOTFOUND / NETC_ESHAPE. */
netc_status netc_session_get_weight(const netc_session *session,
                                    const char *name, float *out,
                                    int64_t count);
/* Overwrites weight `name` from `values` (`count` f32 elements). */
netc_status netc_session_set_weight(netc_session *session, const char *name,
                                    const float *values, int64_t count);

/* --------------------------------------------------------------- datasets */

/* Why creating or loading something failed, for calls without a handle to
** ask. Every function taking one fills it on failure (when not NULL). */
typedef struct netc_error {
  char message[512]; /* names the file, record or column and the problem */
} netc_error;

/* A dataset: named columns (e.g. "image" f32[N,28,28,1], "label" i32[N])
** with the same number of rows, matched to the model's inputs by name. */
typedef struct netc_dataset netc_dataset;

netc_status netc_dataset_create(netc_dataset **out);
void netc_dataset_destroy(netc_dataset *dataset);
/* Adds a column, copying the data. Its first dim is the row count, which
** must agree with the columns already there. */
netc_status netc_dataset_add(netc_dataset *dataset, const char *name,
                             const netc_tensor *column, netc_error *error);
int64_t netc_dataset_rows(const netc_dataset *dataset);
/* A view of a column (borrowed while the dataset lives), or NETC_ENOTFOUND. */
netc_status netc_dataset_column(const netc_dataset *dataset, const char *name,
                                netc_tensor *view);
/* A new dataset with rows [first, first + count) of every column. */
netc_status netc_dataset_slice(const netc_dataset *dataset, int64_t first,
                               int64_t count, netc_dataset **out,
                               netc_error *error);

/* Options of the IDX loader (MNIST and Fashion-MNIST files). */
typedef struct netc_idx_options {
  const char *image_column;  /* NULL: "image" */
  const char *label_column;  /* NULL: "label" */
  int64_t limit;             /* keep the first `limit` records; 0 = all */
  int one_hot;               /* labels as f32 [N, classes] one-hot rows
                                (classes = largest label + 1), not i32 [N] */
} netc_idx_options;

/* Loads an IDX image file (u8 [N,H,W], raw or gzip) and its IDX label file
** (u8 [N]) into a dataset: images f32 [N,H,W,1] scaled to [0,1], labels i32
** [N]. Magic numbers, dims, counts and file sizes are checked. `options`
** may be NULL. */
netc_status netc_dataset_load_idx(const char *images_path,
                                  const char *labels_path,
                                  const netc_idx_options *options,
                                  netc_dataset **out, netc_error *error);

/* --------------------------------------------------------------- training */

typedef enum netc_progress_event {
  NETC_PROGRESS_BATCH, /* a training batch finished */
  NETC_PROGRESS_EPOCH  /* an epoch finished (validation figures included) */
} netc_progress_event;

/* What the progress callback sees. Values are means over the epoch so far,
** weighted by batch size: the losses and metrics of the train entry, then
** (at epoch end, with validation data) the same prefixed with "val_". */
typedef struct netc_progress {
  netc_progress_event event;  /* why the callback runs */
  int epoch, epochs;          /* 1-based epoch, total */
  int64_t batch, batches;     /* 1-based batch in the epoch, total */
  double seconds;             /* since the epoch started */
  int n_values;               /* entries in names and values */
  const char *const *names;   /* "xent", "acc", "val_xent", ... */
  const double *values;       /* their values */
} netc_progress;

/* Returns 0 to go on, non-zero to stop training after this batch. */
typedef int (*netc_progress_fn)(const netc_progress *progress, void *user);

typedef struct netc_fit_options {
  int epochs;                       /* 0: the model's `with epochs=` (or 1) */
  int batch_size;                   /* 0: the model's `with batch=` (or 32) */
  int no_shuffle;                   /* keep the dataset order */
  const netc_dataset *validation;   /* evaluated after each epoch, or NULL */
  netc_progress_fn progress;        /* NULL: silent */
  void *user;                       /* passed to progress */
} netc_fit_options;

/* Trains on `data` (columns named like the model's inputs). Each epoch is
** shuffled with the session's seed and the epoch number, so a resumed run
** sees the same order. The last batch of an epoch may be smaller. */
netc_status netc_session_fit(netc_session *session, const netc_dataset *data,
                             const netc_fit_options *options);

/* Evaluates the losses and metrics over `data` (inference mode), writing up
** to `capacity` means into values and their names into names (borrowed
** from the model); *count receives how many there are. */
netc_status netc_session_evaluate(netc_session *session,
                                  const netc_dataset *data, int batch_size,
                                  const char **names, double *values,
                                  int capacity, int *count);

/* Runs "predict" over `data` and copies output `output` (NULL: the first
** declared output), row after row, into out (f32, `capacity` elements);
** *written (when not NULL) receives the number of floats written. */
netc_status netc_session_predict(netc_session *session,
                                 const netc_dataset *data, int batch_size,
                                 const char *output, float *out,
                                 int64_t capacity, int64_t *written);

/* Formats a Keras-style progress line such as
** "1875/1875 [==============================] - 12s 6ms/step - xent: 0.3000 - acc: 0.9000"
** into buf. Returns the length it needed (like snprintf). */
int netc_progress_format(const netc_progress *progress, char *buf,
                         size_t size);

#ifdef __cplusplus
}
#endif

#endif /* NETC_H */
