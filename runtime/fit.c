/*
** fit.c: the training loop and its siblings over datasets: fit (shuffled
** batches through "train", progress after each batch, validation after each
** epoch), evaluate (means of losses and metrics) and predict. Batches are
** gathered into buffers allocated once per call; the steps themselves
** allocate nothing.
*/
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/nc_alloc.h"
#include "runtime/data/dataset.h"
#include "runtime/session.h"

enum { MAX_VALUES = 64 };

/* Batch buffers for the inputs an entry needs, filled row by row. */
typedef struct batcher {
  int n;                          /* feeds */
  netc_feed feeds[MAX_VALUES];    /* name and tensor (data: our buffer) */
  const rt_column *column[MAX_VALUES]; /* where each feed's rows come from */
} batcher;

static void batcher_release(batcher *b) {
  for (int i = 0; i < b->n; i++) nc_free(b->feeds[i].tensor.data);
  b->n = 0;
}

static netc_status batcher_init(netc_session *s, const cc_entry *e,
                                const netc_dataset *data, int64_t batch,
                                batcher *b) {
  memset(b, 0, sizeof *b);
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
    netc_feed *f = &b->feeds[b->n];
    f->name = in->name;
    f->tensor = c->data;
    f->tensor.data = nc_malloc(c->row_bytes * (size_t)batch + 1);
    b->column[b->n++] = c;
    if (!f->tensor.data) {
      batcher_release(b);
      return rt_fail(s, NETC_ENOMEM, "out of memory for a batch of %lld", (long long)batch);
    }
  }
  return NETC_OK;
}

/* Copies rows order[first .. first+count) into the batch buffers. */
static void batcher_fill(batcher *b, const int64_t *order, int64_t first,
                         int64_t count) {
  for (int i = 0; i < b->n; i++) {
    const rt_column *c = b->column[i];
    char *dst = b->feeds[i].tensor.data;
    for (int64_t r = 0; r < count; r++) {
      int64_t row = order ? order[first + r] : first + r;
      memcpy(dst + (size_t)r * c->row_bytes,
             (const char *)c->data.data + (size_t)row * c->row_bytes, c->row_bytes);
    }
    b->feeds[i].tensor.dims[0] = count;
  }
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
** by the batch size into sums (count of rows in *rows). */
static netc_status sweep(netc_session *s, int entry, const netc_dataset *data,
                         int64_t batch, const int *fetch, int n_fetch,
                         double *sums) {
  const cc_entry *e = &s->g->entries[entry];
  batcher b;
  netc_status st = batcher_init(s, e, data, batch, &b);
  const char *names[MAX_VALUES];
  netc_tensor results[MAX_VALUES];
  for (int i = 0; i < n_fetch; i++) {
    names[i] = s->g->nodes[fetch[i]].name;
    sums[i] = 0;
  }
  for (int64_t first = 0; st == NETC_OK && first < data->rows; first += batch) {
    int64_t count = data->rows - first < batch ? data->rows - first : batch;
    batcher_fill(&b, NULL, first, count);
    st = netc_session_run(s, e->name, b.feeds, b.n, names, n_fetch, results);
    for (int i = 0; st == NETC_OK && i < n_fetch; i++)
      sums[i] += (double)*(const float *)results[i].data * (double)count;
  }
  batcher_release(&b);
  return st;
}

netc_status netc_session_evaluate(netc_session *s, const netc_dataset *data,
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

netc_status netc_session_predict(netc_session *s, const netc_dataset *data,
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
  st = batcher_init(s, &s->g->entries[entry], data, batch, &b);
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
  double sums[MAX_VALUES];       /* weighted sums of the train fetches */
  double values[MAX_VALUES];     /* what the callback sees */
  int n_train;                   /* train fetches */
  int n;                         /* all values */
  int64_t rows;                  /* rows seen this epoch */
} epoch_log;

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

netc_status netc_session_fit(netc_session *s, const netc_dataset *data,
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
  batcher b;
  st = batcher_init(s, e, data, batch, &b);
  int64_t *order = nc_malloc((size_t)data->rows * sizeof *order);
  if (st == NETC_OK && !order) st = rt_fail(s, NETC_ENOMEM, "out of memory");
  epoch_log log;
  memset(&log, 0, sizeof log);
  log.n_train = e->n_fetches < MAX_VALUES / 2 ? e->n_fetches : MAX_VALUES / 2;
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
    memset(log.sums, 0, sizeof log.sums);
    log.rows = 0;
    netc_progress p = {NETC_PROGRESS_BATCH, (int)(epochs - (last_epoch - s->epoch)) + 1,
                       epochs, 0, batches, 0, log.n_train, log.names, log.values};
    for (; st == NETC_OK && !stop && s->epoch_batch < batches; s->epoch_batch++) {
      int64_t first = s->epoch_batch * batch;
      int64_t count = data->rows - first < batch ? data->rows - first : batch;
      netc_tensor results[MAX_VALUES];
      batcher_fill(&b, order, first, count);
      st = netc_session_run(s, "train", b.feeds, b.n, fetch, log.n_train, results);
      if (st != NETC_OK) break;
      log.rows += count;
      for (int i = 0; i < log.n_train; i++) {
        log.sums[i] += (double)*(const float *)results[i].data * (double)count;
        log.values[i] = log.sums[i] / (double)log.rows;
      }
      p.batch = s->epoch_batch + 1;
      p.seconds = seconds_since(&start);
      if (o->progress && o->progress(&p, o->user)) stop = 1;
    }
    if (st != NETC_OK || s->epoch_batch < batches) break;
    s->epoch++;
    s->epoch_batch = 0;
    log.n = log.n_train;
    if (o->validation) st = validate(s, o->validation, batch, &log);
    if (st != NETC_OK) break;
    p.event = NETC_PROGRESS_EPOCH;
    p.n_values = log.n;
    p.seconds = seconds_since(&start);
    if (o->progress && o->progress(&p, o->user)) stop = 1;
  }
  nc_free(order);
  batcher_release(&b);
  return st;
}
