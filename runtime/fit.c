/*
** fit.c: the training loop and its siblings over datasets: fit (shuffled
** batches through "train", progress after each batch, validation after each
** epoch), evaluate (means of losses and metrics) and predict. Batches are
** gathered into buffers allocated once per call; the steps themselves
** allocate nothing. When images are augmented, the next batch is made on
** a helper thread (prefetch.c) while the current step runs. The data cursor (epoch, batch in it and the epoch's
** running sums) lives in the session and each finished epoch's means go to
** its history, so a saved and reloaded session goes on mid-epoch exactly
** where it stopped.
*/
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/nc_alloc.h"
#include "runtime/data/augment.h"
#include "runtime/data/dataset.h"
#include "runtime/distributed.h"
#include "runtime/parallel.h"
#include "runtime/prefetch.h"
#include "runtime/session.h"

enum { MAX_VALUES = 64 };

/* Where one feed's rows come from and how they are turned into its batch. */
typedef struct batch_column {
  const rt_column *column;      /* the dataset column */
  int to_f32;                   /* u8 pixels feeding an f32 input */
  float scale;                  /* u8 -> f32 factor (the rescale, else 1) */
  const netc_augment *augment;  /* random transform of u8 images, or NULL */
  size_t row_bytes;             /* bytes of one batch row */
} batch_column;

/* Batch buffers for the inputs an entry needs, filled row by row. */
typedef struct batcher {
  netc_session *s;                /* for the thread pool and the seed */
  int n;                          /* feeds */
  netc_feed feeds[MAX_VALUES];    /* name and tensor (data: our buffer) */
  batch_column col[MAX_VALUES];   /* where each feed's rows come from */
  int augmenting;                 /* training batches: apply augment */
  uint64_t epoch;                 /* the augmentation's epoch */
  const int64_t *order;           /* row order of the batch being filled */
  int64_t first;                  /* its first position in order */
} batcher;

static void batcher_release(batcher *b) {
  for (int i = 0; i < b->n; i++) nc_free(b->feeds[i].tensor.data);
  b->n = 0;
}

static netc_status batcher_init(netc_session *s, const cc_entry *e,
                                const netc_dataset *data, int64_t batch,
                                int augmenting, batcher *b) {
  memset(b, 0, sizeof *b);
  b->s = s;
  b->augmenting = augmenting;
  for (int i = 0; i < e->n_feeds && i < MAX_VALUES; i++) {
    const cc_input *in = &s->g->inputs[e->feeds[i]];
    const rt_column *c = rt_dataset_find(data, in->name);
    if (!c) {
      char at[256];
      rt_location(s, in->span, at, sizeof at);
      batcher_release(b);
      return rt_fail(s, NETC_ENOTFOUND, "the dataset has no column '%s' for input '%s' "
                     "(declared at %s)", in->name, in->name, at);
    }
    batch_column *bc = &b->col[b->n];
    netc_feed *f = &b->feeds[b->n];
    bc->column = c;
    bc->row_bytes = c->row_bytes;
    bc->to_f32 = c->data.dtype == NETC_U8 && s->g->nodes[in->node].dtype == NETC_F32;
    bc->augment = rt_dataset_augment(data, in->name);
    bc->scale = bc->augment && bc->augment->rescale != 0 ? bc->augment->rescale : 1.0f;
    f->name = in->name;
    f->tensor = c->data;
    if (bc->to_f32) {
      f->tensor.dtype = NETC_F32;
      bc->row_bytes *= sizeof(float);
    }
    f->tensor.data = nc_malloc(bc->row_bytes * (size_t)batch + 1);
    b->n++;
    if (!f->tensor.data) {
      batcher_release(b);
      return rt_fail(s, NETC_ENOMEM, "out of memory for a batch of %lld", (long long)batch);
    }
  }
  return NETC_OK;
}

/* Batch rows [first, first+count): copied, or u8 images converted to f32
** (augmented in training: the transform depends on the seed, the epoch
** and the dataset row only, so any thread may do any row). */
static void fill_rows(const void *ctx, int64_t first, int64_t count) {
  const batcher *b = ctx;
  for (int i = 0; i < b->n; i++) {
    const batch_column *bc = &b->col[i];
    const netc_tensor *src = &bc->column->data;
    char *dst = b->feeds[i].tensor.data;
    for (int64_t r = first; r < first + count; r++) {
      int64_t row = b->order ? b->order[b->first + r] : b->first + r;
      const char *from = (const char *)src->data + (size_t)row * bc->column->row_bytes;
      char *to = dst + (size_t)r * bc->row_bytes;
      if (!bc->to_f32)
        memcpy(to, from, bc->row_bytes);
      else if (bc->augment && b->augmenting && src->rank == 4)
        rt_augment_image(bc->augment, b->s->seed, b->epoch, (uint64_t)row,
                         (const uint8_t *)from, src->dims[1], src->dims[2], src->dims[3],
                         (float *)to);
      else
        rt_u8_to_f32((int64_t)bc->column->row_bytes, bc->scale, (const uint8_t *)from,
                     (float *)to);
    }
  }
}

/* Points the batch at rows order[first .. first+count) (in order when
** order is NULL); returns the work of one row. */
static int64_t batcher_aim(batcher *b, const int64_t *order, int64_t first,
                           int64_t count) {
  b->order = order;
  b->first = first;
  b->epoch = (uint64_t)b->s->epoch;
  int64_t row_work = 0;
  for (int i = 0; i < b->n; i++) {
    row_work += (int64_t)b->col[i].row_bytes;
    b->feeds[i].tensor.dims[0] = count;
  }
  return row_work;
}

/* Fills the batch, spreading rows over the session's threads. */
static void batcher_fill(batcher *b, const int64_t *order, int64_t first,
                         int64_t count) {
  rt_par_range(b->s, count, batcher_aim(b, order, first, count), fill_rows, b);
}

/* The prefetch thread's job: all rows of an aimed batch, on its own (the
** session's threads are busy with the step). */
static void fill_all_rows(void *arg) {
  batcher *b = arg;
  fill_rows(b, 0, b->feeds[0].tensor.dims[0]);
}

/* Whether training batches are augmented: then the next batch is made on
** a helper thread while the step runs, since decoding is long done but
** each augmented image costs a warp of every pixel. */
static int batcher_augments(const batcher *b) {
  for (int i = 0; i < b->n; i++)
    if (b->col[i].augment && b->col[i].to_f32) return 1;
  return 0;
}

/* The batch size: the option, else the model's setting, else 32. */
static int64_t batch_size(const netc_session *s, int requested) {
  if (requested > 0) return requested;
  for (int i = 0; s->g->train.present && i < s->g->train.n_settings; i++)
    if (strcmp(s->g->train.settings[i].key, "batch") == 0)
      return (int64_t)s->g->train.settings[i].value;
  return 32;
}

static int train_setting(const netc_session *s, const char *key, int fallback) {
  for (int i = 0; s->g->train.present && i < s->g->train.n_settings; i++)
    if (strcmp(s->g->train.settings[i].key, key) == 0)
      return (int)s->g->train.settings[i].value;
  return fallback;
}

static netc_status check_batch(netc_session *s, int64_t batch) {
  if (batch >= 1 && batch <= s->max_batch) return NETC_OK;
  return rt_fail(s, NETC_EINVAL, "batch size %lld is outside 1..%lld (the session's max_batch)",
                 (long long)batch, (long long)s->max_batch);
}

/* Names of an entry's fetches: the declared loss and metric names. */
static const char *fetch_name(const cc_graph *g, int node) {
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i].node == node) return g->outputs[i].name;
  return g->nodes[node].name;
}

/* Runs `entry` over all rows in order, summing each scalar fetch weighted
** by the batch size into sums. In a data-parallel fit each rank sweeps its
** own block of rows and the sums are added up over the ranks. */
static netc_status sweep(netc_session *s, int entry, const netc_dataset *data,
                         int64_t batch, const int *fetch, int n_fetch,
                         double *sums) {
  const cc_entry *e = &s->g->entries[entry];
  batcher b;
  netc_status st = batcher_init(s, e, data, batch, 0, &b);
  const char *names[MAX_VALUES];
  netc_tensor results[MAX_VALUES];
  for (int i = 0; i < n_fetch; i++) {
    names[i] = s->g->nodes[fetch[i]].name;
    sums[i] = 0;
  }
  int64_t from = 0, to = data->rows;
  if (s->group) {
    int64_t rank = rt_group_rank(s->group), ranks = rt_group_size(s->group);
    from = data->rows * rank / ranks;
    to = data->rows * (rank + 1) / ranks;
  }
  for (int64_t first = from; st == NETC_OK && first < to; first += batch) {
    int64_t count = to - first < batch ? to - first : batch;
    batcher_fill(&b, NULL, first, count);
    st = netc_session_run(s, e->name, b.feeds, b.n, names, n_fetch, results);
    for (int i = 0; st == NETC_OK && i < n_fetch; i++)
      sums[i] += (double)*(const float *)results[i].data * (double)count;
  }
  batcher_release(&b);
  if (st == NETC_OK && s->group) st = rt_group_sum(s, sums, n_fetch);
  return st;
}

static netc_status session_evaluate(netc_session *s, const netc_dataset *data,
                                    int batch_size_option, const char **names,
                                    double *values, int capacity, int *count) {
  if (!s || !data || (capacity && (!names || !values))) return NETC_EINVAL;
  int entry = cc_graph_find_entry(s->g, "evaluate");
  if (entry < 0)
    return rt_fail(s, NETC_ENOTFOUND, "model '%s' declares no loss or metric to evaluate",
                   s->g->model_name);
  int64_t batch = batch_size(s, batch_size_option);
  netc_status st = check_batch(s, batch);
  if (st != NETC_OK) return st;
  int fetch[MAX_VALUES] = {0}, n = 0;
  for (int i = 0; i < s->g->n_outputs && n < MAX_VALUES; i++)
    if (s->g->outputs[i].kind != CC_OUTPUT) fetch[n++] = s->g->outputs[i].node;
  double sums[MAX_VALUES];
  st = sweep(s, entry, data, batch, fetch, n, sums);
  if (st != NETC_OK) return st;
  for (int i = 0; i < n && i < capacity; i++) {
    names[i] = fetch_name(s->g, fetch[i]);
    values[i] = data->rows ? sums[i] / (double)data->rows : 0;
  }
  if (count) *count = n;
  return NETC_OK;
}

netc_status netc_session_evaluate(netc_session *s, const netc_dataset *data,
                                  int batch_size_option, const char **names,
                                  double *values, int capacity, int *count) {
  netc_status st = rt_guard_enter(s);
  if (st != NETC_OK) return st;
  st = session_evaluate(s, data, batch_size_option, names, values, capacity, count);
  rt_guard_leave(s);
  return st;
}

static netc_status session_predict(netc_session *s, const netc_dataset *data,
                                   int batch_size_option, const char *output,
                                   float *out, int64_t capacity, int64_t *written_out) {
  if (written_out) *written_out = 0;
  if (!s || !data || !out) return NETC_EINVAL;
  int entry = cc_graph_find_entry(s->g, "predict");
  int node = -1;
  for (int i = 0; i < s->g->n_outputs && node < 0; i++)
    if (s->g->outputs[i].kind == CC_OUTPUT &&
        (!output || strcmp(output, s->g->outputs[i].name) == 0))
      node = s->g->outputs[i].node;
  if (entry < 0 || node < 0)
    return rt_fail(s, NETC_ENOTFOUND, "model '%s' has no output '%s'", s->g->model_name,
                   output ? output : "(any)");
  int64_t batch = batch_size(s, batch_size_option);
  netc_status st = check_batch(s, batch);
  if (st != NETC_OK) return st;
  batcher b;
  st = batcher_init(s, &s->g->entries[entry], data, batch, 0, &b);
  const char *name = s->g->nodes[node].name;
  int64_t written = 0;
  for (int64_t first = 0; st == NETC_OK && first < data->rows; first += batch) {
    int64_t count = data->rows - first < batch ? data->rows - first : batch;
    netc_tensor result;
    batcher_fill(&b, NULL, first, count);
    st = netc_session_run(s, "predict", b.feeds, b.n, &name, 1, &result);
    if (st != NETC_OK) break;
    int64_t n = netc_tensor_elements(&result);
    if (written + n > capacity) {
      st = rt_fail(s, NETC_ESHAPE, "predict output needs %lld floats, the buffer holds %lld",
                   (long long)(n * ((data->rows + count - 1) / count)), (long long)capacity);
      break;
    }
    memcpy(out + written, result.data, (size_t)n * sizeof *out);
    written += n;
    if (written_out) *written_out = written;
  }
  batcher_release(&b);
  return st;
}

netc_status netc_session_predict(netc_session *s, const netc_dataset *data,
                                 int batch_size_option, const char *output,
                                 float *out, int64_t capacity, int64_t *written_out) {
  netc_status st = rt_guard_enter(s);
  if (st != NETC_OK) return st;
  st = session_predict(s, data, batch_size_option, output, out, capacity, written_out);
  rt_guard_leave(s);
  return st;
}

/* The epoch's row order: Fisher-Yates driven by (seed, epoch), so a resumed
** run reshuffles identically. */
static void shuffle_rows(const netc_session *s, int64_t *order, int64_t rows,
                         int shuffle) {
  for (int64_t i = 0; i < rows; i++) order[i] = i;
  if (!shuffle) return;
  for (int64_t i = rows - 1; i > 0; i--) {
    double u = rt_uniform(s->seed, 0x5eedULL, (uint64_t)s->epoch, (uint64_t)i);
    int64_t j = (int64_t)(u * (double)(i + 1));
    int64_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

static double seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + 1e-9 * (double)(now.tv_nsec - start->tv_nsec);
}

typedef struct epoch_log {
  const char *names[MAX_VALUES]; /* train fetch names, then val_ names */
  char val_names[MAX_VALUES / 2][72]; /* storage for "val_<name>" */
  double values[MAX_VALUES];     /* what the callback sees */
  int n_train;                   /* train fetches */
  int n;                         /* all values */
} epoch_log;

/* The epoch's means so far, from the session's sums (which a saved file
** keeps, so a resumed epoch goes on with them). */
static void epoch_means(const netc_session *s, epoch_log *log) {
  for (int i = 0; i < log->n_train; i++)
    log->values[i] = s->epoch_rows ? s->epoch_sums[i] / (double)s->epoch_rows : 0;
}

/* Closes an epoch: its figures go to the history, its sums start over. */
static netc_status close_epoch(netc_session *s, const epoch_log *log) {
  netc_status st = NETC_OK;
  for (int i = 0; st == NETC_OK && i < log->n; i++)
    st = rt_history_add(s, s->epoch, log->names[i], log->values[i]);
  memset(s->epoch_sums, 0, (size_t)s->n_epoch_sums * sizeof *s->epoch_sums);
  s->epoch_rows = 0;
  return st;
}

static netc_status validate(netc_session *s, const netc_dataset *val, int64_t batch,
                            epoch_log *log) {
  const char *names[MAX_VALUES / 2];
  double values[MAX_VALUES / 2];
  int count = 0;
  netc_status st = netc_session_evaluate(s, val, (int)batch, names, values,
                                         MAX_VALUES / 2, &count);
  for (int i = 0; st == NETC_OK && i < count && log->n < MAX_VALUES; i++) {
    snprintf(log->val_names[i], sizeof log->val_names[i], "val_%s", names[i]);
    log->names[log->n] = log->val_names[i];
    log->values[log->n++] = values[i];
  }
  return st;
}

/* This process's rows of a global batch of `count`: it computes on
** [*first, *first + *rows) of the batch (all of it when training alone).
** Returns the rows that count for the figures. */
static int64_t my_share(const netc_session *s, int64_t count, int64_t *first,
                        int64_t *rows) {
  if (s->group) return rt_group_share(s->group, count, first, rows);
  *first = 0;
  return *rows = count;
}

/* A stop asked for on any rank stops them all. */
static netc_status agree_to_stop(netc_session *s, int *stop) {
  double flag = *stop;
  netc_status st = s->group ? rt_group_sum(s, &flag, 1) : NETC_OK;
  *stop = flag > 0;
  return st;
}

/* One step of "train" on the global batch order[first .. first+count):
** this rank's share of it, whose figures (fetches times rows) go to
** figures, summed over the ranks. */
static netc_status train_step(netc_session *s, batcher *b, int ready, const int64_t *order,
                              int64_t first, int64_t count, const char *const *fetch,
                              int n_fetch, double *figures) {
  int64_t mine, rows, counted = my_share(s, count, &mine, &rows);
  if (!ready) batcher_fill(b, order, first + mine, rows);
  if (s->group) rt_group_begin_step(s->group, count);
  s->row_offset = mine;
  netc_tensor results[MAX_VALUES];
  netc_status st = netc_session_run(s, "train", b->feeds, b->n, fetch, n_fetch, results);
  if (st != NETC_OK) {
    if (s->group) rt_group_fail_step(s);
    return st;
  }
  for (int i = 0; i < n_fetch; i++)
    figures[i] = (double)*(const float *)results[i].data * (double)counted;
  return s->group ? rt_group_sum(s, figures, n_fetch) : NETC_OK;
}

static netc_status session_fit(netc_session *s, const netc_dataset *data,
                               const netc_fit_options *options) {
  if (!s || !data) return NETC_EINVAL;
  netc_fit_options none = {0};
  const netc_fit_options *o = options ? options : &none;
  int entry = cc_graph_find_entry(s->g, "train");
  if (entry < 0)
    return rt_fail(s, NETC_ENOTFOUND, "model '%s' has no train declaration", s->g->model_name);
  const cc_entry *e = &s->g->entries[entry];
  int64_t batch = batch_size(s, o->batch_size);
  netc_status st = check_batch(s, batch);
  if (st != NETC_OK) return st;
  if (data->rows < 1) return rt_fail(s, NETC_EINVAL, "the training dataset is empty");
  int epochs = o->epochs > 0 ? o->epochs : train_setting(s, "epochs", 1);
  int shuffle = !o->no_shuffle && train_setting(s, "shuffle", 1);
  int64_t batches = (data->rows + batch - 1) / batch;
  int n_fetch = s->n_epoch_sums < MAX_VALUES / 2 ? s->n_epoch_sums : MAX_VALUES / 2;
  rt_group *group = NULL;
  st = rt_group_open(s, o, entry, n_fetch, batch, data->rows, &group);
  if (st != NETC_OK) return st;
  s->group = group;
  s->world_size = group ? rt_group_size(group) : 1;
  batcher two[2]; /* the step's batch and, when prefetching, the next one */
  memset(two, 0, sizeof two);
  st = batcher_init(s, e, data, batch, 1, &two[0]);
  rt_prefetch *helper = NULL;
  if (st == NETC_OK && batcher_augments(&two[0]) && batches > 1) {
    st = batcher_init(s, e, data, batch, 1, &two[1]);
    if (st == NETC_OK && !(helper = rt_prefetch_start()))
      st = rt_fail(s, NETC_ENOMEM, "cannot start the batch prefetch thread");
  }
  int cur = 0;        /* two[cur] feeds the step */
  int ready = 0;      /* two[cur] already holds the step's batch */
  int64_t *order = nc_malloc((size_t)data->rows * sizeof *order);
  if (st == NETC_OK && !order) st = rt_fail(s, NETC_ENOMEM, "out of memory");
  epoch_log log;
  memset(&log, 0, sizeof log);
  log.n_train = n_fetch;
  const char *fetch[MAX_VALUES];
  for (int i = 0; i < log.n_train; i++) {
    fetch[i] = s->g->nodes[e->fetches[i]].name;
    log.names[i] = fetch_name(s->g, e->fetches[i]);
  }
  int64_t last_epoch = s->epoch + epochs;
  int stop = 0;
  while (st == NETC_OK && !stop && s->epoch < last_epoch) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    shuffle_rows(s, order, data->rows, shuffle);
    netc_progress p = {NETC_PROGRESS_BATCH, (int)(epochs - (last_epoch - s->epoch)) + 1,
                       epochs, 0, batches, 0, log.n_train, log.names, log.values};
    ready = 0;
    while (st == NETC_OK && !stop && s->epoch_batch < batches) {
      int64_t first = s->epoch_batch * batch;
      int64_t count = data->rows - first < batch ? data->rows - first : batch;
      int was_ready = ready;
      ready = 0;
      int64_t next = first + batch;
      if (helper && next < data->rows) { /* our share of the next batch, meanwhile */
        int64_t mine, rows;
        my_share(s, data->rows - next < batch ? data->rows - next : batch, &mine, &rows);
        batcher_aim(&two[1 - cur], order, next + mine, rows);
        rt_prefetch_post(helper, fill_all_rows, &two[1 - cur]);
        ready = 1;
      }
      double figures[MAX_VALUES];
      st = train_step(s, &two[cur], was_ready, order, first, count, fetch, log.n_train,
                      figures);
      if (helper && ready) {
        rt_prefetch_wait(helper);
        cur = 1 - cur;
      }
      if (st != NETC_OK) break;
      /* the cursor moves before the callback, which may save the session */
      s->epoch_batch++;
      s->epoch_rows += count;
      for (int i = 0; i < log.n_train; i++) s->epoch_sums[i] += figures[i];
      epoch_means(s, &log);
      p.batch = s->epoch_batch;
      p.seconds = seconds_since(&start);
      if (o->progress && o->progress(&p, o->user)) stop = 1;
      st = agree_to_stop(s, &stop);
      if (st == NETC_OK && group && o->check_replicas > 0 && s->step % o->check_replicas == 0)
        st = rt_group_check_replicas(s);
    }
    if (st != NETC_OK || s->epoch_batch < batches) break;
    s->epoch++;
    s->epoch_batch = 0;
    epoch_means(s, &log);
    log.n = log.n_train;
    if (o->validation) st = validate(s, o->validation, batch, &log);
    if (st == NETC_OK) st = close_epoch(s, &log);
    if (st != NETC_OK) break;
    p.event = NETC_PROGRESS_EPOCH;
    p.n_values = log.n;
    p.seconds = seconds_since(&start);
    if (o->progress && o->progress(&p, o->user)) stop = 1;
    st = agree_to_stop(s, &stop);
  }
  s->group = NULL;
  s->row_offset = 0;
  rt_group_close(group);
  rt_prefetch_stop(helper);
  nc_free(order);
  batcher_release(&two[0]);
  batcher_release(&two[1]);
  return st;
}

netc_status netc_session_fit(netc_session *s, const netc_dataset *data,
                             const netc_fit_options *options) {
  netc_status st = rt_guard_enter(s);
  if (st != NETC_OK) return st;
  st = session_fit(s, data, options);
  rt_guard_leave(s);
  return st;
}
