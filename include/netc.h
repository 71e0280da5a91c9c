/*
** netc.h: the one public header of libnetc.
**
** Ownership, once for the whole API: netc never takes ownership of its
** arguments; every object returned through a `*_create`, `*_compile_*` or
** `*_load*` function is released with the matching `*_destroy`; strings and
** structs passed to callbacks are borrowed for the duration of the call
** only.
**
** Every function that can fail returns a netc_status: NETC_OK (0) on success,
** a negative code otherwise. The library never prints, exits or aborts.
**
** Misuse: a NULL handle or a NULL pointer argument where data is needed
** gives NETC_EINVAL (with a message in the netc_error, or in the handle's
** error when there is a handle); getters given NULL return 0, NULL or a
** non-NULL string; destroy functions accept NULL. Using a destroyed handle
** is undefined, and so is calling into one session from two threads at
** once; a build configured with --enable-debug checks both for sessions:
** a destroyed session gives NETC_EINVAL (a second destroy is ignored) and
** a call while another thread is inside the session gives NETC_ESTATE.
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
  X(ESTATE, -11, "operation not valid in the current state")               \
  X(ECOMM, -12, "another process of a distributed run failed or stopped answering")

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

/* A compiled model: immutable after compilation, safe to share by threads.
** Ownership: made by netc_model_compile_* or netc_session_load, released by
** netc_model_destroy after every session on it. */
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

/* Number of elements (1 for a scalar, 0 for NULL). */
int64_t netc_tensor_elements(const netc_tensor *tensor);

/* The declared type of input `name` of a model (NULL: the first input):
** dtype, rank and dims into `type`, -1 for a symbolic dim such as batch;
** type->data is set to NULL. NETC_ENOTFOUND when there is no such input. */
netc_status netc_model_input(const netc_model *model, const char *name,
                             netc_tensor *type);

/* One named input value for a run. */
typedef struct netc_feed {
  const char *name;    /* an `input` of the model */
  netc_tensor tensor;  /* its value; read during the call only */
} netc_feed;

/* --------------------------------------------------------------- sessions */

/* A session: the weights, optimizer state, RNG state and working memory of
** one model. The model must outlive it. One thread at a time may use a
** session; several sessions may share a model. Ownership: made by
** netc_session_create or netc_session_load, released by
** netc_session_destroy; tensors it returns are borrowed until its next call. */
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
** losses and metrics (or any node or layer); results[i] receives a view of the i-th
** value, borrowed until the next call on the session. */
netc_status netc_session_run(netc_session *session, const char *entry,
                             const netc_feed *feeds, int n_feeds,
                             const char *const *fetches, int n_fetches,
                             netc_tensor *results);

/* Training steps taken so far. */
int64_t netc_session_step(const netc_session *session);
/* How many processes trained these weights last (1 unless data-parallel);
** kept in saved files. 0 for NULL. */
int64_t netc_session_world_size(const netc_session *session);

/* A copy of weight `name` (e.g. "dense/kernel") into `out` (f32, `count`
** elements), or NETC_ENOTFOUND / NETC_ESHAPE. */
netc_status netc_session_get_weight(const netc_session *session,
                                    const char *name, float *out,
                                    int64_t count);
/* Overwrites weight `name` from `values` (`count` f32 elements). */
netc_status netc_session_set_weight(netc_session *session, const char *name,
                                    const float *values, int64_t count);

/* ------------------------------------------------- memory plan, profiling */

/* What a session on a model allocates, in bytes, at one planned batch. The
** arena holds every activation (and, training, every gradient) of a step,
** reusing a buffer once its last reader has run; its size is that of the
** entry's plan with the entry's own fetches (every output for predict, the
** losses and metrics for train, as netc_session_fit runs it). */
typedef struct netc_memory_plan {
  int64_t batch;              /* the planned batch (the session's max_batch) */
  int64_t weights;            /* every weight tensor */
  int64_t slots;              /* the optimizer's state; 0 without training */
  int64_t predict_arena;      /* the arena of one "predict" step */
  int64_t train_arena;        /* the arena of one "train" step; 0 without */
  int64_t scratch_per_thread; /* kernel scratch (im2col), each thread */
  int64_t partials;           /* per-chunk filter gradients (training) */
} netc_memory_plan;

/* Plans `model` at `batch` (0: as netc_session_create with max_batch 0):
** inference needs weights + predict_arena, a training step weights + slots
** + train_arena, each plus the kernel scratch. */
netc_status netc_model_memory_plan(const netc_model *model, int batch,
                                   netc_memory_plan *out);


/* Turns per-op timing on (zeroing the counters) or off. While on, each run
** adds every op's wall time and FLOPs to the session's counters: two clock
** reads per op, and no allocation after this call. */
netc_status netc_session_profile_enable(netc_session *session, int on);

/* The counters of one op of the graph. */
typedef struct netc_op_profile {
  const char *name;  /* the node, e.g. "block1_conv1" (borrowed from the model) */
  const char *op;    /* its operation, e.g. "conv2d", "conv2d_grad_filter" */
  const char *layer; /* the layer it belongs to, or "" */
  int64_t calls;     /* times it ran since profiling was turned on */
  double seconds;    /* their total wall time */
  double flops;      /* their total floating-point operations (a multiply-add
                        counts 2) at the batch of each run */
} netc_op_profile;

/* Every op that ran while profiling was on, in graph order, then (in
** data-parallel training) the gradient sums over the ranks as op
** "allreduce" and the wait for the other ranks to reach them as op
** "allreduce_wait": the first `capacity` into out, the number of such ops into
** *count. `count` may be NULL, and `out` too when capacity is 0 or less
** (nothing is copied then); NETC_EINVAL for a NULL session, or a NULL out
** with a capacity above 0. */
netc_status netc_session_profile(const netc_session *session,
                                 netc_op_profile *out, int capacity,
                                 int *count);

/* --------------------------------------------------------------- datasets */

/* Why creating or loading something failed, for calls without a handle to
** ask. Every function taking one fills it on failure (when not NULL). */
typedef struct netc_error {
  char message[512]; /* names the file, record or column and the problem */
} netc_error;

/* A dataset: named columns (e.g. "image" f32[N,28,28,1], "label" i32[N])
** with the same number of rows, matched to the model's inputs by name.
** Ownership: made by netc_dataset_create, a loader, slice or split, and
** released by netc_dataset_destroy; it copies whatever it is given. */
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
  /* Data-parallel training over MPI (docs/distributed.md): the address of
  ** an MPI_Comm whose ranks all call fit with the same model, seed, data
  ** and options, or NULL to train alone. Each rank computes its share of
  ** every global batch of batch_size rows; the gradients are summed over
  ** the ranks, so every replica takes the same step. Progress goes to
  ** every rank's callback with the global figures; a stop on any rank
  ** stops all. NETC_EUNSUPPORTED when netc was built without MPI. */
  const void *mpi_comm;
  double comm_timeout;              /* seconds to wait for another rank
                                       before NETC_ECOMM; 0: 300 */
  int64_t check_replicas;           /* every N steps, NETC_ESTATE unless
                                       all ranks hold the same weights
                                       and optimizer state; 0: never */
} netc_fit_options;

/* Whether this netc was built with MPI (configure --with-mpi). */
int netc_has_mpi(void);

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
** into buf. Returns the length it needed (like snprintf), -1 for NULL. */
int netc_progress_format(const netc_progress *progress, char *buf,
                         size_t size);

/* ------------------------------------------------------------ model files */

/* Saves the session and its model to the HDF5 file `path`, the format of
** docs/file-format.md: the graph, the .net sources, the weights, the
** optimizer slots, the step, seed, data cursor and training history, all a
** later netc_session_load needs to serve the model or to resume training bit
** for bit. The file is written under a temporary name in the same folder,
** flushed to disk and renamed over `path`, so a crash leaves the previous
** file whole. May be called from a progress callback of netc_session_fit
** (checkpoints). On failure netc_session_error says why. */
netc_status netc_session_save(netc_session *session, const char *path);

/* Loads a file written by netc_session_save: *model receives the graph and
** its sources (for the summary and messages), and *session (unless
** `session` is NULL: the model only) a session on it holding the saved
** weights, optimizer state, step, seed, data cursor and history.
** `options` gives max_batch and threads as for netc_session_create and may
** be NULL; the seed is the file's. Destroy the session, then the model. A
** missing, unreadable, truncated, corrupted, foreign (not written by netc)
** or newer-version file gives NETC_EIO or NETC_EFORMAT, both outputs NULL
** and `error` naming the file and what is wrong. */
netc_status netc_session_load(const char *path,
                              const netc_session_options *options,
                              netc_model **model, netc_session **session,
                              netc_error *error);

/* Writes the training state as text: step, epoch and the batch reached in
** it, seed, the optimizer with its settings, the training settings, the
** history (one line per epoch) and the class names when set. */
netc_status netc_session_write_state(const netc_session *session,
                                     netc_write_fn write, void *user);

/* Reads JPEG or PNG files (recognized by content, decoded as by
** netc_dataset_load_images) into a new dataset with one column `column`
** (NULL: "image"), f32 [count, height, width, channels] in [0, 1]: each
** image converted to `channels` 1 (gray, as PIL's convert("L")) or 3 (RGB),
** then resized to height x width (bilinear, half-pixel centers). An image of
** that size and kind gives exactly the values the IDX loader gives. */
netc_status netc_dataset_load_image_files(const char *const *paths, int count,
                                          int height, int width, int channels,
                                          const char *column,
                                          netc_dataset **out,
                                          netc_error *error);

/* ------------------------------------------------- reinforcement learning */

/* Each object below takes all the memory it will ever need in its
** `_create`, so no later call allocates, and gives it back in `_destroy`;
** arrays passed to a call are read or written during that call only. */

/* An environment: gym's CartPole, stepped in double precision with gym's
** equations in gym's order. A state is 4 doubles: cart position x (m),
** cart velocity, pole angle theta (rad, 0 = upright), angular velocity.
** Ownership: made by netc_env_create, released by netc_env_destroy. */
typedef struct netc_env netc_env;

enum {
  NETC_CARTPOLE_STATE = 4,  /* doubles in a CartPole state */
  NETC_CARTPOLE_ACTIONS = 2 /* 0 pushes the cart left, 1 pushes it right */
};

/* Creates environment `id`: "CartPole-v0" (episodes end after 200 steps)
** or "CartPole-v1" (500 steps); NETC_ENOTFOUND for other names. The start
** of the k-th episode (k = 0, 1, ... counting resets) depends on (seed, k)
** only. */
netc_status netc_env_create(const char *id, uint64_t seed, netc_env **out);
void netc_env_destroy(netc_env *env);

/* Why the last call on `env` failed ("" after a success). */
const char *netc_env_error(const netc_env *env);

/* Starts the next episode: each state value uniform in [-0.05, 0.05),
** written to state[NETC_CARTPOLE_STATE]. */
netc_status netc_env_reset(netc_env *env, double *state);

/* Starts an episode from `state` (4 finite values) instead; the count of
** resets, and so the following random starts, stay as they are. */
netc_status netc_env_set_state(netc_env *env, const double *state);

/* One step with `action` 0 or 1 (else NETC_EINVAL): writes the new state to
** next_state, 1 to *reward, whether the pole fell past 12 degrees or the
** cart left [-2.4, 2.4] to *done (that step still earns 1), and whether the
** episode reached its step limit to *truncated. Outputs may be NULL. Once
** done or truncated, stepping is NETC_ESTATE until the next reset. */
netc_status netc_env_step(netc_env *env, int action, double *next_state,
                          double *reward, int *done, int *truncated);

/* A replay buffer: a ring of the last `capacity` transitions (state,
** action, reward, next state, done), states of `state_size` floats.
** Ownership: made by netc_replay_create, released by netc_replay_destroy. */
typedef struct netc_replay netc_replay;

/* Sampling is seeded: the same adds and draws give the same batches. */
netc_status netc_replay_create(int64_t capacity, int state_size, uint64_t seed,
                               netc_replay **out);
void netc_replay_destroy(netc_replay *replay);

/* Why the last call on `replay` failed ("" after a success). */
const char *netc_replay_error(const netc_replay *replay);

/* Stores one transition (finite values, done 0 or 1), overwriting the
** oldest once the buffer is full. */
netc_status netc_replay_add(netc_replay *replay, const float *state,
                            int32_t action, float reward,
                            const float *next_state, int done);

/* Transitions stored: at most the capacity. */
int64_t netc_replay_size(const netc_replay *replay);

/* Draws `batch` different stored transitions, each batch-sized subset
** equally likely, and writes them row by row: states and next_states
** [batch, state_size], the others [batch], dones as 0 or 1 (the feeds of a
** DQN train step). NETC_EINVAL when batch exceeds the size. */
netc_status netc_replay_sample(netc_replay *replay, int batch, float *states,
                               int32_t *actions, float *rewards,
                               float *next_states, float *dones);

/* Epsilon-greedy action selection. Epsilon goes linearly from `start` to
** `end` over the first `decay_steps` selections, then stays at `end`.
** Ownership: made by netc_explore_create, released by netc_explore_destroy. */
typedef struct netc_explore netc_explore;

/* start and end in [0, 1], decay_steps >= 0; draws are seeded. */
netc_status netc_explore_create(double start, double end, int64_t decay_steps,
                                uint64_t seed, netc_explore **out);
void netc_explore_destroy(netc_explore *explore);

/* The epsilon of the next selection. */
double netc_explore_epsilon(const netc_explore *explore);

/* With probability epsilon a uniformly random action in [0, n_actions),
** else the first action of largest q[a]; writes it to *action and moves
** the schedule on by one selection. */
netc_status netc_explore_select(netc_explore *explore, const float *q,
                                int n_actions, int *action);

/* Episode statistics: the returns of finished episodes, averaged over a
** sliding window (100 for gym's "solved" criteria). Ownership: made by
** netc_episode_stats_create, released by netc_episode_stats_destroy. */
typedef struct netc_episode_stats netc_episode_stats;

/* window >= 1. */
netc_status netc_episode_stats_create(int window, netc_episode_stats **out);
void netc_episode_stats_destroy(netc_episode_stats *stats);

/* Records the return of one finished episode. */
void netc_episode_stats_add(netc_episode_stats *stats, double episode_return);

/* Episodes recorded so far. */
int64_t netc_episode_stats_count(const netc_episode_stats *stats);

/* The mean return of the last min(count, window) episodes; 0 before any. */
double netc_episode_stats_average(const netc_episode_stats *stats);

/* ---------------------------------------------------------- image folders */

/* What the image loader does with a file it cannot read or decode. */
typedef enum netc_on_error {
  NETC_ON_ERROR_SKIP, /* leave it out and describe it in the report */
  NETC_ON_ERROR_FAIL  /* stop: NETC_EIO (unreadable) or NETC_EFORMAT
                         (not a valid JPEG or PNG), naming the file */
} netc_on_error;

typedef struct netc_image_options {
  const char *image_column;  /* NULL: "image" */
  const char *label_column;  /* NULL: "label" */
  int height, width;         /* every image is resized to this; required */
  netc_on_error on_error;    /* default (0): skip */
  int64_t limit_per_class;   /* the first `limit` image files of each class
                                (in sorted order); 0 = all */
  int threads;               /* decoding threads; 0 = one per core */
} netc_image_options;

enum { NETC_IMAGE_REPORT_FILES = 8 };

/* One file the loader left out. */
typedef struct netc_skipped_file {
  char path[512];   /* DIR/<class>/<name> (cut short if longer) */
  char reason[160]; /* why, e.g. "truncated JPEG" */
} netc_skipped_file;

/* What netc_dataset_load_images read and what it left out. */
typedef struct netc_image_report {
  int64_t loaded;  /* images in the dataset */
  int64_t skipped; /* image files that could not be read or decoded */
  int64_t ignored; /* other files in class folders (other extensions,
                      hidden files), never opened */
  int listed;      /* entries of files[]: min(skipped, NETC_IMAGE_REPORT_FILES) */
  netc_skipped_file files[NETC_IMAGE_REPORT_FILES]; /* the first skipped
                      files, in load order */
} netc_image_report;

/* Loads DIR/<class>/<file> for files named *.jpg, *.jpeg or *.png (any
** case) into a dataset: images u8 [N,height,width,3] (RGB, resized with
** bilinear interpolation, half-pixel centers as in TensorFlow, no
** antialiasing) and labels i32 [N]. Classes are DIR's subfolders sorted
** by strcmp (Keras's flow_from_directory order), label i being the i-th;
** rows follow the classes, then the file names sorted by strcmp. Gray
** images are replicated to RGB, alpha is dropped, 16-bit PNGs keep their
** high byte, palettes are expanded, CMYK JPEGs are converted. Files and
** folders whose names start with '.' are ignored. A DIR without class
** folders, a class folder without image files, or one where no image
** could be read is NETC_EFORMAT. `options` is required (for the size);
** `report` may be NULL and is filled on success and on failure. *out is
** released with netc_dataset_destroy. */
netc_status netc_dataset_load_images(const char *dir,
                                     const netc_image_options *options,
                                     netc_dataset **out,
                                     netc_image_report *report,
                                     netc_error *error);

/* The class names of a dataset from an image folder (0 and NULL for
** other datasets and out-of-range indices). Borrowed while it lives. */
int netc_dataset_class_count(const netc_dataset *dataset);
const char *netc_dataset_class_name(const netc_dataset *dataset, int label);

/* Splits `dataset` into two new ones: round(validation_fraction * rows)
** rows (fraction in [0, 1]) chosen by a shuffle seeded with `seed` go to
** *val, the others to *train; both keep the original row order, the class
** names and the augmentation settings. The same seed gives the same split.
** Both are released with netc_dataset_destroy; on failure both are NULL. */
netc_status netc_dataset_split(const netc_dataset *dataset,
                               double validation_fraction, uint64_t seed,
                               netc_dataset **train, netc_dataset **val,
                               netc_error *error);

/* The classes of a model trained on an image folder, kept by the session
** and saved in its file (/classes), so that a program loading the model can
** feed images as training did and name its predictions: `count` names
** (label i's first; copied) and the factor `pixel_scale` (> 0) that turned
** 0..255 pixels into the model's input (the augmentation's rescale: 1 for
** VGG's caffe preprocessing, 1/255.0 for [0, 1]). Count 0 removes them. */
netc_status netc_session_set_classes(netc_session *session,
                                     const char *const *names, int count,
                                     double pixel_scale);
/* Their number (0 when none are set), label's name (NULL outside 0 ..
** count - 1; borrowed until the next set or the session's end), and the
** pixel scale (1 when none are set). */
int netc_session_class_count(const netc_session *session);
const char *netc_session_class_name(const netc_session *session, int label);
double netc_session_pixel_scale(const netc_session *session);

/* The factor that turns 0..255 pixels into what input `input` (NULL: the
** first) of the model expects, for a model never trained on an image
** folder: 1 when the input goes straight into caffe_preprocess (raw pixels,
** as Keras's VGG16 and its weights take them), else 1/255.0 (pixels in
** [0, 1], as the IDX and image file loaders give them). NETC_ENOTFOUND
** when the model has no such input. */
netc_status netc_model_pixel_scale(const netc_model *model, const char *input,
                                   double *scale);

/* ----------------------------------------------------------- augmentation */

/* Random image transforms for training, as Keras's ImageDataGenerator: one
** affine transform per image (rotation, shift, zoom about the center, with
** bilinear sampling; points outside the image take the nearest edge
** pixel), then the flip, then the rescale. Each image's parameters depend
** only on (seed, epoch, row), never on batch position or thread count.
** All zero is no augmentation. */
typedef struct netc_augment {
  int horizontal_flip;       /* mirror left-right with probability 1/2 */
  double rotation_range;     /* degrees: angle uniform in [-r, r] */
  double width_shift_range;  /* fraction of the width: uniform in [-r, r] */
  double height_shift_range; /* fraction of the height: uniform in [-r, r] */
  double zoom_range;         /* in [0, 1): row and column zoom factors, each
                                uniform in [1 - z, 1 + z] (Keras draws
                                both); above 1 zooms out */
  double rescale;            /* every value is multiplied by it (1/255.0,
                                or 1 for VGG's caffe preprocessing); 0 = 1 */
} netc_augment;

/* Attaches augmentation to `column` (u8 [N,H,W,C] images): training draws
** each image through it. `augment` is copied; NULL removes it. A dataset
** augments one column: a second call replaces the first. */
netc_status netc_dataset_set_augment(netc_dataset *dataset, const char *column,
                                     const netc_augment *augment,
                                     netc_error *error);

/* ----------------------------------------------------------- Keras import */

/* What became of one layer in netc_session_import_keras. */
typedef enum netc_import_outcome {
  NETC_IMPORT_FILLED,     /* every weight of the model's layer came from the
                             file */
  NETC_IMPORT_SKIPPED,    /* a layer of the file with weights that the model
                             has no layer for */
  NETC_IMPORT_NOT_FILLED  /* a model layer with weights that the file has no
                             layer for: it keeps the weights it had */
} netc_import_outcome;

enum { NETC_IMPORT_REPORT_LAYERS = 64 };

typedef struct netc_import_layer {
  char name[128];              /* the model's layer name (filled, not
                                  filled) or the file's (skipped) */
  netc_import_outcome outcome; /* what became of it */
  int64_t params;              /* elements of its weights */
} netc_import_layer;

/* What netc_session_import_keras read and what it left. */
typedef struct netc_import_report {
  int filled, skipped, not_filled; /* layers of each outcome */
  int64_t params_imported;         /* weight elements written */
  int64_t params_total;            /* weight elements of the whole model */
  int listed;                      /* entries of layers[]: the first
                                      NETC_IMPORT_REPORT_LAYERS */
  netc_import_layer layers[NETC_IMPORT_REPORT_LAYERS]; /* filled and skipped
                                      layers in the file's order, then the
                                      not filled ones in the model's */
} netc_import_report;

/* Overwrites the session's weights with those of a Keras HDF5 weight file
** (save_weights or model.save of Keras 1 and 2, such as `applications`'
** vgg16_weights_tf_dim_ordering_tf_kernels(_notop).h5), as
** docs/keras-import.md describes: the file's `layer_names` and each
** layer's `weight_names` are followed, and each layer with weights fills
** the model layer of the same name (or of a name ending in "/NAME", such
** as an import's), kernels and biases matched by their names. Layouts are
** Keras's (HWIO convolution kernels, (in, out) dense kernels), so values
** are copied as they are. A model layer the file lacks is left as it was
** and a file layer the model lacks is skipped (both are reported); a
** layer whose weights differ in number or shape from the model's is an
** error naming the layer, the weight and both shapes. Everything is
** checked, and every weight read once, before any weight is written: on
** failure the session is unchanged and netc_session_error says why.
** `report` may be NULL; it is filled on success. */
netc_status netc_session_import_keras(netc_session *session, const char *path,
                                      netc_import_report *report);

/* Rows [first, first + count) of u8 image column `column` [N,H,W,C] as
** training feeds them in epoch `epoch` (0-based) of a session seeded with
** `seed`: augmented when the column has augmentation, rescaled, into
** `out` (f32, count*H*W*C elements). For showing what a model is trained
** on (netc samples). NETC_EINVAL with a message for a NULL dataset,
** column or out, or rows outside the dataset; NETC_ENOTFOUND or
** NETC_EDTYPE when the column is missing or is not u8 [N,H,W,C]. */
netc_status netc_dataset_augmented_images(const netc_dataset *dataset,
                                          const char *column, uint64_t seed,
                                          int64_t epoch, int64_t first,
                                          int64_t count, float *out,
                                          netc_error *error);

#ifdef __cplusplus
}
#endif

#endif /* NETC_H */
