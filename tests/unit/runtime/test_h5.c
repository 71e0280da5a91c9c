/*
** test_h5.c: one-file HDF5 models (runtime/io/):
**   - round trip: every model of models/ that is small enough plus a model
**     using every attribute family of the IR: save then load gives the same
**     graph (node by node, attributes byte for byte), the same summary text,
**     weights, optimizer slots, step, seed, cursor and history to the bit,
**     the same feed errors (located in the stored .net source), and the
**     same predictions and next training step;
**   - resume: N steps, save, load, M more steps is byte-identical to N+M
**     uninterrupted steps of MNIST (dropout on, shuffled, validation),
**     stopping mid-epoch in the first and in the second epoch;
**   - damaged files: truncated at several offsets, each byte of the header
**     flipped, bits flipped anywhere, empty, a folder, a missing file, text,
**     a foreign HDF5 file, a newer format version, a file changed by HDF5,
**     deleted datasets and attributes: each a clear error naming the file,
**     both outputs NULL, no crash (and no leak under ASan);
**   - a save killed by SIGKILL mid-way leaves the previous file loadable;
**   - every allocation of a load and of a save failed in turn: NETC_ENOMEM,
**     nothing returned, nothing leaked;
**   - PNG images load to the same floats as the IDX loader.
**
** Files go to a fresh folder under $TMPDIR, removed at exit. The models are
** read from $top_srcdir/models (`make check` sets it) or ../models etc.
** To add a test: write `static void test_x(void)` and list it in TESTS.
*/
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw, fork, kill */

#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <hdf5.h>

#include "netc.h"
#include "runtime/io/seal.h"
#include "runtime/session.h"
#include "tests/unit/test_files.h"
#include "tests/unit/test_case.h"

/* ------------------------------------------------------------ helpers */

static uint64_t rng_state = 0x4d5f;

/* SplitMix64: the test's own fixed-seed generator. */
static uint64_t next64(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static float urand(void) { return (float)((double)(next64() >> 11) * 0x1p-53); }

/* Every attribute family of the IR (window, axis, dropout, matmul,
** batchnorm, huber, loss gradients, constants, one_hot, cast, reshape), a
** schedule and clipping. */
static const char zoo_source[] =
    "model zoo\n"
    "input image : f32[batch, 8, 8, 3]\n"
    "input label : i32[batch]\n"
    "input onehot : f32[batch, 4]\n"
    "input value : f32[batch]\n"
    "input cols : i32[3]\n"
    "x = caffe_preprocess(image)\n"
    "x = conv2d(x, filters=4, kernel=3, padding=\"same\", act=relu)\n"
    "x = batchnorm(x)\n"
    "x = avgpool(x, 2)\n"
    "x = maxpool(x, 2, stride=1, padding=\"same\")\n"
    "x = dropout(x, 0.25)\n"
    "x = flatten(reshape(x, shape=[4, -1]))\n"
    "h = dense(dense(x, 6, act=tanh), 6, act=sigmoid)\n"
    "logits = dense(h, 4)\n"
    "picked = gather(logits, cols, axis=1)\n"
    "hot = one_hot(label, depth=4)\n"
    "scale = reduce_max(abs(logits), axis=1, keepdims=true)\n"
    "soft = log_softmax(logits / (1 + scale))\n"
    "output probs = softmax(logits)\n"
    "output best = argmax(logits)\n"
    "loss a = sparse_cross_entropy(logits, label)\n"
    "loss b = categorical_cross_entropy(logits, onehot)\n"
    "loss c = huber(reduce_sum(picked, axis=1), value, delta=2)\n"
    "loss d = binary_cross_entropy(logits, hot) + mse(reduce_mean(soft, axis=1), "
    "cast(label, f32))\n"
    "loss total = a + b + c + d + reduce_mean(where(logits > 0.0, logits, 0.0 - logits))\n"
    "metric acc = accuracy(logits, label)\n"
    "train momentum(lr=0.01, schedule=step_decay(every=10, factor=0.5)) minimizes total "
    "with batch=4, clip_norm=5.0\n";

static netc_model *compile_zoo(void) {
  netc_model *m = NULL;
  CU_ASSERT_EQUAL(netc_model_compile_source("zoo.net", zoo_source, strlen(zoo_source),
                                            NULL, &m), NETC_OK);
  return m;
}

static netc_session *new_session(const netc_model *m, uint64_t seed) {
  netc_session_options opt = {.seed = seed, .max_batch = 32, .threads = 2};
  netc_session *s = NULL;
  CU_ASSERT_EQUAL(netc_session_create(m, &opt, &s), NETC_OK);
  return s;
}

static netc_status save(netc_session *s, const char *path) {
  netc_status st = netc_session_save(s, path);
  if (st != NETC_OK) fprintf(stderr, "\nsave: %s\n", netc_session_error(s));
  return st;
}

/* Loads a file that must load. */
static netc_session *load(const char *path, netc_model **model) {
  netc_session_options opt = {.max_batch = 32, .threads = 2};
  netc_session *s = NULL;
  netc_error error = {""};
  netc_status st = netc_session_load(path, &opt, model, &s, &error);
  if (st != NETC_OK) fprintf(stderr, "\nload: %s\n", error.message);
  CU_ASSERT_EQUAL(st, NETC_OK);
  return s;
}

/* Random feeds for every input of a model: f32 uniform, i32 0 or 1 (valid
** labels, actions and indices for every model here), `batch` rows. */
typedef struct feeds {
  int n;                 /* inputs */
  netc_feed feed[8];     /* their values */
} feeds;

static void make_feeds(const netc_model *m, int batch, feeds *f) {
  const cc_graph *g = cc_model_graph(m);
  memset(f, 0, sizeof *f);
  for (int i = 0; i < g->n_inputs && f->n < 8; i++) {
    netc_feed *x = &f->feed[f->n++];
    CU_ASSERT_EQUAL(netc_model_input(m, g->inputs[i].name, &x->tensor), NETC_OK);
    x->name = g->inputs[i].name;
    for (int d = 0; d < x->tensor.rank; d++)
      if (x->tensor.dims[d] < 0) x->tensor.dims[d] = batch;
    int64_t n = netc_tensor_elements(&x->tensor);
    x->tensor.data = calloc((size_t)n, 4);
    for (int64_t k = 0; k < n; k++) {
      if (x->tensor.dtype == NETC_F32) ((float *)x->tensor.data)[k] = urand();
      else ((int32_t *)x->tensor.data)[k] = (int32_t)(next64() % 2);
    }
  }
}

static void free_feeds(feeds *f) {
  for (int i = 0; i < f->n; i++) free(f->feed[i].tensor.data);
}

/* Runs "predict" and copies the first output into a new buffer. */
static float *predict(netc_session *s, const feeds *f, int64_t *count) {
  netc_tensor out;
  const cc_graph *g = s->g;
  const char *name = NULL;
  for (int i = 0; i < g->n_outputs && !name; i++)
    if (g->outputs[i].kind == CC_OUTPUT) name = g->outputs[i].name;
  netc_status st = netc_session_run(s, "predict", f->feed, f->n, &name, 1, &out);
  CU_ASSERT_EQUAL_FATAL(st, NETC_OK);
  *count = netc_tensor_elements(&out);
  float *copy = malloc((size_t)*count * sizeof *copy);
  memcpy(copy, out.data, (size_t)*count * sizeof *copy);
  return copy;
}

static netc_status train_step(netc_session *s, const feeds *f) {
  netc_status st = netc_session_run(s, "train", f->feed, f->n, NULL, 0, NULL);
  if (st != NETC_OK) fprintf(stderr, "\ntrain: %s\n", netc_session_error(s));
  return st;
}

static int same_text(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The graph tables a loaded model must reproduce exactly. */
static void expect_same_graph(const cc_graph *a, const cc_graph *b) {
  CU_ASSERT_STRING_EQUAL(a->model_name, b->model_name);
  CU_ASSERT_EQUAL_FATAL(a->n_nodes, b->n_nodes);
  CU_ASSERT_EQUAL(a->n_params, b->n_params);
  CU_ASSERT_EQUAL(a->n_slots, b->n_slots);
  CU_ASSERT_EQUAL(a->n_layers, b->n_layers);
  CU_ASSERT_EQUAL(a->n_inputs, b->n_inputs);
  CU_ASSERT_EQUAL(a->n_outputs, b->n_outputs);
  CU_ASSERT_EQUAL_FATAL(a->n_entries, b->n_entries);
  CU_ASSERT_EQUAL(a->n_symbols, b->n_symbols);
  for (int i = 0; i < a->n_nodes; i++) {
    const cc_node *x = &a->nodes[i], *y = &b->nodes[i];
    /* elementwise ops use no attributes (the compiler may leave an
    ** activation's softmax axis there, which the file does not keep) */
    int elementwise = cc_op_get(x->op)->flags & (CC_OPF_UNARY | CC_OPF_BINARY | CC_OPF_COMPARE);
    int same = x->op == y->op && x->dtype == y->dtype && x->shape.rank == y->shape.rank &&
               cc_shape_equal(&x->shape, &y->shape) && x->n_inputs == y->n_inputs &&
               memcmp(x->inputs, y->inputs, sizeof x->inputs) == 0 &&
               (elementwise || memcmp(&x->attr, &y->attr, sizeof x->attr) == 0) &&
               memcmp(&x->span, &y->span, sizeof x->span) == 0 && x->layer == y->layer &&
               x->param == y->param && x->input == y->input && x->backward == y->backward &&
               same_text(x->name, y->name) && same_text(x->origin, y->origin);
    if (!same) fprintf(stderr, "\nnode %d (%s %s) differs\n", i, cc_op_get(x->op)->name,
                       x->name ? x->name : "?");
    CU_ASSERT(same);
  }
  for (int i = 0; i < a->n_params && i < b->n_params; i++) {
    const cc_param *x = &a->params[i], *y = &b->params[i];
    CU_ASSERT(strcmp(x->name, y->name) == 0 && strcmp(x->short_name, y->short_name) == 0 &&
              x->layer == y->layer && x->node == y->node && x->init == y->init &&
              x->trainable == y->trainable && x->is_state == y->is_state);
  }
  for (int i = 0; i < a->n_entries; i++) {
    const cc_entry *x = &a->entries[i], *y = &b->entries[i];
    CU_ASSERT_STRING_EQUAL(x->name, y->name);
    CU_ASSERT(x->kind == y->kind && x->n_fetches == y->n_fetches && x->n_feeds == y->n_feeds &&
              x->n_copies == y->n_copies && x->n_updates == y->n_updates);
    if (x->n_fetches == y->n_fetches && x->n_updates == y->n_updates &&
        x->n_copies == y->n_copies) {
      CU_ASSERT(!x->n_fetches ||
                memcmp(x->fetches, y->fetches, (size_t)x->n_fetches * sizeof(int)) == 0);
      CU_ASSERT(!x->n_updates ||
                memcmp(x->updates, y->updates, (size_t)x->n_updates * sizeof(int)) == 0);
      CU_ASSERT(!x->n_copies ||
                memcmp(x->copies, y->copies, (size_t)x->n_copies * sizeof(cc_copy)) == 0);
    }
  }
  CU_ASSERT(a->train.present == b->train.present && a->train.loss == b->train.loss &&
            same_text(a->train.optimizer, b->train.optimizer) &&
            same_text(a->train.schedule, b->train.schedule));
}

/* Weights, slots, counters, cursor and history, bit for bit. */
static void expect_same_state(const netc_session *a, const netc_session *b) {
  const cc_graph *g = a->g;
  for (int p = 0; p < g->n_params; p++) {
    size_t n = (size_t)cc_shape_elements(&g->nodes[g->params[p].node].shape);
    int same = memcmp(a->params + a->param_offset[p], b->params + b->param_offset[p],
                      n * sizeof(float)) == 0;
    if (!same) fprintf(stderr, "\nweight %s differs\n", g->params[p].name);
    CU_ASSERT(same);
  }
  for (int i = 0; i < g->n_slots; i++) {
    size_t n = (size_t)cc_shape_elements(&g->nodes[g->slots[i].node].shape);
    int same = memcmp(a->slots + a->slot_offset[i], b->slots + b->slot_offset[i],
                      n * sizeof(float)) == 0;
    if (!same) fprintf(stderr, "\nslot %s differs\n", g->slots[i].name);
    CU_ASSERT(same);
  }
  CU_ASSERT_EQUAL(a->step, b->step);
  CU_ASSERT_EQUAL(a->seed, b->seed);
  CU_ASSERT_EQUAL(a->epoch, b->epoch);
  CU_ASSERT_EQUAL(a->epoch_batch, b->epoch_batch);
  CU_ASSERT_EQUAL(a->epoch_rows, b->epoch_rows);
  CU_ASSERT_EQUAL_FATAL(a->n_epoch_sums, b->n_epoch_sums);
  CU_ASSERT(memcmp(a->epoch_sums, b->epoch_sums, (size_t)a->n_epoch_sums * sizeof(double)) == 0);
  CU_ASSERT_EQUAL_FATAL(a->n_history, b->n_history);
  for (int64_t i = 0; i < a->n_history; i++) {
    const rt_record *x = &a->history[i], *y = &b->history[i];
    CU_ASSERT(x->epoch == y->epoch && strcmp(x->name, y->name) == 0 &&
              memcmp(&x->value, &y->value, sizeof x->value) == 0);
  }
}

/* A report as a string (malloc'ed). */
typedef struct text {
  char *data;
  size_t len;
} text;

static int append(const char *data, size_t size, void *user) {
  text *t = user;
  t->data = realloc(t->data, t->len + size + 1);
  memcpy(t->data + t->len, data, size);
  t->len += size;
  t->data[t->len] = '\0';
  return 0;
}

static char *summary_of(const netc_model *m) {
  text t = {NULL, 0};
  CU_ASSERT_EQUAL(netc_model_write_summary(m, append, &t), NETC_OK);
  return t.data;
}

/* ---------------------------------------------------------- round trip */

/* Trains a few steps, saves, loads and compares everything; then both
** sessions predict and train one more step identically. */
static void round_trip(netc_model *m, const char *file) {
  netc_session *a = new_session(m, 7);
  feeds f;
  make_feeds(m, 4, &f);
  for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(train_step(a, &f), NETC_OK);
  a->epoch = 2; /* a cursor and history as fit leaves them */
  a->epoch_batch = 5;
  a->epoch_rows = 20;
  for (int i = 0; i < a->n_epoch_sums; i++) a->epoch_sums[i] = 0.1 * (i + 1);
  CU_ASSERT_EQUAL(rt_history_add(a, 1, "xent", 0.5), NETC_OK);
  CU_ASSERT_EQUAL(rt_history_add(a, 1, "val_xent", 1.0 / 3.0), NETC_OK);
  const char *path = tmp_path(0, file);
  CU_ASSERT_EQUAL_FATAL(save(a, path), NETC_OK);
  netc_model *m2 = NULL;
  netc_session *b = load(path, &m2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  expect_same_graph(cc_model_graph(m), cc_model_graph(m2));
  expect_same_state(a, b);
  char *s1 = summary_of(m), *s2 = summary_of(m2);
  CU_ASSERT_STRING_EQUAL(s1, s2);
  free(s1);
  free(s2);
  const nc_source_table *src = cc_model_sources(m), *src2 = cc_model_sources(m2);
  CU_ASSERT_EQUAL_FATAL(src->count, src2->count);
  for (size_t i = 0; i < src->count; i++) {
    CU_ASSERT_STRING_EQUAL(src->files[i].path, src2->files[i].path);
    CU_ASSERT_STRING_EQUAL(src->files[i].text, src2->files[i].text);
  }
  /* errors on the loaded model point into the stored .net source */
  netc_feed bad = f.feed[0];
  bad.tensor.dtype = bad.tensor.dtype == NETC_F32 ? NETC_I32 : NETC_F32;
  CU_ASSERT_EQUAL(netc_session_run(b, "predict", &bad, 1, NULL, 0, NULL), NETC_EDTYPE);
  CU_ASSERT_EQUAL(netc_session_run(a, "predict", &bad, 1, NULL, 0, NULL), NETC_EDTYPE);
  CU_ASSERT_STRING_EQUAL(netc_session_error(a), netc_session_error(b));
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(b), ".net:"));
  int64_t na, nb;
  float *pa = predict(a, &f, &na), *pb = predict(b, &f, &nb);
  CU_ASSERT(na == nb && memcmp(pa, pb, (size_t)na * sizeof *pa) == 0);
  free(pa);
  free(pb);
  CU_ASSERT_EQUAL(train_step(a, &f), NETC_OK);
  CU_ASSERT_EQUAL(train_step(b, &f), NETC_OK);
  expect_same_state(a, b);
  free_feeds(&f);
  netc_session_destroy(b);
  netc_model_destroy(m2);
  netc_session_destroy(a);
}

static void test_round_trip_mnist(void) {
  netc_model *m = compile_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  round_trip(m, "mnist.h5");
  netc_model_destroy(m);
}

static void test_round_trip_cartpole(void) {
  netc_model *m = compile_file("cartpole_dqn.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  round_trip(m, "cartpole.h5");
  netc_model_destroy(m);
}

static void test_round_trip_every_attribute(void) {
  netc_model *m = compile_zoo();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  round_trip(m, "zoo.h5");
  netc_model_destroy(m);
}

/* Loading the model only (no session), and the state report. */
static void test_model_only_and_state_text(void) {
  netc_model *m = compile_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = new_session(m, 3);
  feeds f;
  make_feeds(m, 4, &f);
  CU_ASSERT_EQUAL(train_step(s, &f), NETC_OK);
  CU_ASSERT_EQUAL(rt_history_add(s, 1, "acc", 0.25), NETC_OK);
  const char *path = tmp_path(0, "state.h5");
  CU_ASSERT_EQUAL_FATAL(save(s, path), NETC_OK);
  netc_model *m2 = NULL;
  netc_error error = {""};
  CU_ASSERT_EQUAL(netc_session_load(path, NULL, &m2, NULL, &error), NETC_OK);
  CU_ASSERT_STRING_EQUAL(netc_model_name(m2), "mnist");
  text t = {NULL, 0};
  CU_ASSERT_EQUAL(netc_session_write_state(s, append, &t), NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(t.data, "step: 1\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(t.data, "seed: 3\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(t.data, "optimizer: adam, minimizing xent\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(t.data, "epoch 1: acc: 0.2500\n"));
  free(t.data);
  free_feeds(&f);
  netc_model_destroy(m2);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* -------------------------------------------------------------- resume */

enum { RESUME_ROWS = 200, RESUME_VALIDATION = 40, RESUME_BATCH = 32 };

/* Fashion-MNIST's first rows, or random images when it is not installed. */
static netc_dataset *resume_data(int64_t first, int64_t rows) {
  netc_dataset *all = NULL, *part = NULL;
  netc_idx_options o = {.limit = RESUME_ROWS + RESUME_VALIDATION};
  if (netc_dataset_load_idx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                            "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
                            &o, &all, NULL) != NETC_OK) {
    int64_t n = RESUME_ROWS + RESUME_VALIDATION;
    float *image = malloc((size_t)n * 784 * sizeof *image);
    int32_t *label = malloc((size_t)n * sizeof *label);
    for (int64_t i = 0; i < n * 784; i++) image[i] = urand();
    for (int64_t i = 0; i < n; i++) label[i] = (int32_t)(next64() % 10);
    netc_tensor ti = {NETC_F32, 4, {n, 28, 28, 1}, image};
    netc_tensor tl = {NETC_I32, 1, {n}, label};
    CU_ASSERT_EQUAL(netc_dataset_create(&all), NETC_OK);
    CU_ASSERT_EQUAL(netc_dataset_add(all, "image", &ti, NULL), NETC_OK);
    CU_ASSERT_EQUAL(netc_dataset_add(all, "label", &tl, NULL), NETC_OK);
    free(image);
    free(label);
  }
  CU_ASSERT_EQUAL(netc_dataset_slice(all, first, rows, &part, NULL), NETC_OK);
  netc_dataset_destroy(all);
  return part;
}

typedef struct stopper {
  netc_session *s;   /* the session being trained */
  int64_t step;      /* stop once it has taken this many steps */
} stopper;

static int stop_at_step(const netc_progress *p, void *user) {
  (void)p;
  const stopper *x = user;
  return netc_session_step(x->s) >= x->step;
}

/* Trains on `train` until epoch `epochs` is done, stopping (when stop > 0)
** after `stop` steps. */
static void fit(netc_session *s, const netc_dataset *train, const netc_dataset *val,
                int64_t epochs, int64_t stop) {
  stopper x = {s, stop};
  netc_fit_options o = {.epochs = (int)(epochs - s->epoch), .batch_size = RESUME_BATCH,
                        .validation = val, .progress = stop ? stop_at_step : NULL,
                        .user = &x};
  netc_status st = netc_session_fit(s, train, &o);
  if (st != NETC_OK) fprintf(stderr, "\nfit: %s\n", netc_session_error(s));
  CU_ASSERT_EQUAL(st, NETC_OK);
}

static void test_resume_equivalence(void) {
  netc_model *m = compile_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_dataset *train = resume_data(0, RESUME_ROWS);
  netc_dataset *val = resume_data(RESUME_ROWS, RESUME_VALIDATION);
  netc_session *whole = new_session(m, 11);
  fit(whole, train, val, 2, 0);
  int64_t steps = 2 * ((RESUME_ROWS + RESUME_BATCH - 1) / RESUME_BATCH);
  CU_ASSERT_EQUAL(whole->step, steps);
  CU_ASSERT_EQUAL(whole->epoch, 2);
  CU_ASSERT(whole->n_history == 2 * 4); /* xent, acc, val_xent, val_acc */
  /* mid-epoch 1, mid-epoch 2, and right after the last batch of epoch 1 */
  const int64_t stops[] = {3, 10, steps / 2};
  for (size_t k = 0; k < sizeof stops / sizeof *stops; k++) {
    netc_session *first = new_session(m, 11);
    fit(first, train, val, 2, stops[k]);
    CU_ASSERT_EQUAL(first->step, stops[k]);
    const char *path = tmp_path(0, "resume.h5");
    CU_ASSERT_EQUAL_FATAL(save(first, path), NETC_OK);
    netc_session_destroy(first);
    netc_model *m2 = NULL;
    netc_session *second = load(path, &m2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(second);
    CU_ASSERT_EQUAL(second->step, stops[k]);
    fit(second, train, val, 2, 0);
    expect_same_state(whole, second);
    netc_session_destroy(second);
    netc_model_destroy(m2);
  }
  netc_session_destroy(whole);
  netc_dataset_destroy(val);
  netc_dataset_destroy(train);
  netc_model_destroy(m);
}

/* -------------------------------------------------------- damaged files */

/* Loads `path`, which must fail with `want` (or, when want is NETC_OK,
** with EIO or EFORMAT), a message naming the file and containing `part`,
** and nothing returned. */
static void expect_load_error(const char *path, netc_status want, const char *part) {
  netc_model *m = (netc_model *)1;
  netc_session *s = (netc_session *)1;
  netc_error error = {""};
  netc_status st = netc_session_load(path, NULL, &m, &s, &error);
  int ok = want == NETC_OK ? st == NETC_EIO || st == NETC_EFORMAT : st == want;
  ok = ok && strstr(error.message, path) && (!part || strstr(error.message, part));
  if (!ok) fprintf(stderr, "\n  %s: got %s \"%s\", want %s \"%s\"\n", path,
                   netc_status_name(st), error.message, netc_status_name(want),
                   part ? part : "");
  CU_ASSERT(ok);
  CU_ASSERT_PTR_NULL(m);
  CU_ASSERT_PTR_NULL(s);
  if (st == NETC_OK) {
    netc_session_destroy(s);
    netc_model_destroy(m);
  }
}

static unsigned char *read_all(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fseek(f, 0, SEEK_END);
  *size = (size_t)ftell(f);
  rewind(f);
  unsigned char *data = malloc(*size);
  CU_ASSERT_EQUAL(fread(data, 1, *size, f), *size);
  fclose(f);
  return data;
}

static void write_all(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(fwrite(data, 1, size, f), size);
  fclose(f);
}

/* A saved model of `m`'s kind: its bytes (malloc'ed) and size. */
static unsigned char *saved_bytes(netc_model *m, const char *name, size_t *size) {
  netc_session *s = new_session(m, 5);
  CU_ASSERT_EQUAL(save(s, tmp_path(0, name)), NETC_OK);
  netc_session_destroy(s);
  return read_all(tmp_path(0, name), size);
}

static void test_truncated(void) {
  netc_model *m = compile_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  size_t size;
  unsigned char *bytes = saved_bytes(m, "whole.h5", &size);
  const size_t cuts[] = {1, 8, 47, 100, 511, 512, 1000, 4096, size / 3, size / 2,
                         size - 4096, size - 1};
  const char *path = tmp_path(1, "truncated.h5");
  for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
    write_all(path, bytes, cuts[i]);
    expect_load_error(path, NETC_EFORMAT, cuts[i] >= 512 ? "truncated" : NULL);
  }
  write_all(path, bytes, 0);
  expect_load_error(path, NETC_EFORMAT, "is empty");
  free(bytes);
  netc_model_destroy(m);
}

/* Each byte of the header (the netc seal and HDF5's superblock) flipped,
** then bits flipped anywhere: every change is an error. */
static void test_flipped_bytes(void) {
  netc_model *m = compile_zoo();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  size_t size;
  unsigned char *bytes = saved_bytes(m, "zoo.h5", &size);
  const char *path = tmp_path(1, "flipped.h5");
  for (size_t at = 0; at < RT_SEAL_BYTES + 48; at++) {
    bytes[at] ^= 0xff;
    write_all(path, bytes, size);
    bytes[at] ^= 0xff;
    expect_load_error(path, NETC_EFORMAT, NULL);
  }
  for (int k = 0; k < 100; k++) {
    size_t at = next64() % size;
    unsigned char mask = (unsigned char)(1u << (next64() % 8));
    bytes[at] ^= mask;
    write_all(path, bytes, size);
    bytes[at] ^= mask;
    expect_load_error(path, NETC_EFORMAT, "damaged");
  }
  free(bytes);
  netc_model_destroy(m);
}

static void test_not_a_model(void) {
  expect_load_error(tmp_path(1, "absent.h5"), NETC_EIO, "No such file");
  expect_load_error(folder, NETC_EIO, "is a folder");
  const char *path = tmp_path(1, "text.h5");
  write_all(path, "model mnist\n", 12);
  expect_load_error(path, NETC_EFORMAT, "not an HDF5 file");
  /* an HDF5 file from somebody else */
  hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dim = 3;
  hid_t space = H5Screate_simple(1, &dim, NULL);
  hid_t d = H5Dcreate2(file, "weights", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  float w[3] = {1, 2, 3};
  CU_ASSERT(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w) >= 0);
  H5Dclose(d);
  H5Sclose(space);
  H5Fclose(file);
  expect_load_error(path, NETC_EFORMAT, "an HDF5 file but not a netc model file");
}

/* Opens a copy of a good file for writing, to change it with HDF5. */
static hid_t open_copy(const unsigned char *bytes, size_t size, const char *path) {
  write_all(path, bytes, size);
  hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  CU_ASSERT(file >= 0);
  return file;
}

/* Seals a changed file again, as netc would have written it. */
static void reseal(const char *path) {
  rt_h5 h;
  rt_h5_begin(&h, path);
  rt_seal_write(&h, path);
  CU_ASSERT_EQUAL(rt_h5_end(&h), NETC_OK);
}

static void test_newer_version_and_missing_objects(void) {
  netc_model *m = compile_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  size_t size;
  unsigned char *bytes = saved_bytes(m, "good.h5", &size);
  const char *path = tmp_path(1, "damaged.h5");
  /* a newer netc's file: its version in the seal */
  char *version = strstr((char *)bytes, "format_version 1\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(version);
  version[15] = '2';
  write_all(path, bytes, size);
  version[15] = '1';
  expect_load_error(path, NETC_EFORMAT, "format version 2 is newer than this netc reads (1)");
  /* changed by another program: the seal no longer matches */
  hid_t file = open_copy(bytes, size, path);
  CU_ASSERT(H5Ldelete(file, "/params/dense/kernel", H5P_DEFAULT) >= 0);
  H5Fclose(file);
  expect_load_error(path, NETC_EFORMAT, "damaged: its checksum does not match");
  /* ... and sealed again: each missing object is named */
  static const char *const objects[] = {"/params/dense/kernel", "/optimizer/logits/bias/v",
                                        "/graph/nodes", "/graph/attrs/window", "/state",
                                        "/history", "/sources", "/graph/train"};
  for (size_t i = 0; i < sizeof objects / sizeof *objects; i++) {
    file = open_copy(bytes, size, path);
    CU_ASSERT(H5Ldelete(file, objects[i], H5P_DEFAULT) >= 0);
    H5Fclose(file);
    reseal(path);
    expect_load_error(path, NETC_EFORMAT, objects[i]);
  }
  /* the format attribute, for readers without the seal */
  file = open_copy(bytes, size, path);
  CU_ASSERT(H5Adelete_by_name(file, "/", "format", H5P_DEFAULT) >= 0);
  H5Fclose(file);
  reseal(path);
  expect_load_error(path, NETC_EFORMAT, "no 'format' attribute");
  free(bytes);
  netc_model_destroy(m);
}

/* Files of the test folder with ".tmp-" in their name (temporaries left
** by interrupted saves), removed when `remove_them`. */
static int temporaries(int remove_them) {
  DIR *dir = opendir(folder);
  int n = 0;
  for (struct dirent *e; dir && (e = readdir(dir));) {
    if (!strstr(e->d_name, ".tmp-")) continue;
    n++;
    if (remove_them) remove(tmp_path(3, e->d_name));
  }
  if (dir) closedir(dir);
  return n;
}

static void test_save_errors(void) {
  netc_model *m = compile_file("cartpole_dqn.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = new_session(m, 1);
  const char *path = tmp_path(1, "no/such/folder/model.h5");
  CU_ASSERT_EQUAL(netc_session_save(s, path), NETC_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), path));
  /* a good save over an existing file replaces it and leaves no temporary */
  const char *good = tmp_path(2, "replace.h5");
  write_all(good, "old", 3);
  CU_ASSERT_EQUAL(save(s, good), NETC_OK);
  netc_model *m2 = NULL;
  netc_session *s2 = load(good, &m2);
  netc_session_destroy(s2);
  netc_model_destroy(m2);
  CU_ASSERT_EQUAL(temporaries(0), 0);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* ------------------------------------------------------------ kill test */

/* A child saves a model over `path` again and again, telling the parent
** through a pipe when each save starts, until it is killed. */
static void saving_child(const char *path, int signal_fd) {
  netc_model *m = NULL;
  netc_session *s = NULL;
  netc_session_options opt = {.seed = 2, .max_batch = 1, .threads = 1};
  if (netc_model_compile_file(model_path("mnist.net"), NULL, &m) != NETC_OK ||
      netc_session_create(m, &opt, &s) != NETC_OK)
    _exit(3);
  for (;;) {
    if (write(signal_fd, "s", 1) != 1 || netc_session_save(s, path) != NETC_OK) _exit(4);
  }
}

static void test_killed_save_leaves_old_file(void) {
  netc_model *m = compile_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = new_session(m, 1);
  const char *path = tmp_path(1, "killed.h5");
  CU_ASSERT_EQUAL_FATAL(save(s, path), NETC_OK);
  netc_session_destroy(s);
  const int waits_us[] = {0, 2000, 10000, 30000, 60000, 100000};
  for (size_t k = 0; k < sizeof waits_us / sizeof *waits_us; k++) {
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    fflush(NULL);
    pid_t child = fork();
    CU_ASSERT_FATAL(child >= 0);
    if (child == 0) {
      close(fds[0]);
      saving_child(path, fds[1]);
    }
    close(fds[1]);
    char c;
    /* wait for the k-th save to start (the first ones may finish) */
    for (size_t i = 0; i <= k % 3; i++) CU_ASSERT_EQUAL(read(fds[0], &c, 1), 1);
    struct timespec nap = {0, waits_us[k] * 1000L};
    nanosleep(&nap, NULL);
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    close(fds[0]);
    CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    netc_model *m2 = NULL;
    netc_session *s2 = load(path, &m2);
    CU_ASSERT_PTR_NOT_NULL(s2);
    if (s2) CU_ASSERT(s2->seed == 1 || s2->seed == 2);
    netc_session_destroy(s2);
    netc_model_destroy(m2);
  }
  /* the kills did interrupt saves: their temporaries are left */
  CU_ASSERT(temporaries(1) > 0);
  netc_model_destroy(m);
}

/* ----------------------------------------------------------- OOM sweeps */

/* An allocator that fails call number fail_at and counts live blocks. */
static struct {
  long calls;   /* allocations so far */
  long fail_at; /* the one to fail, 0 for none */
  long live;    /* blocks allocated and not freed */
  int failed;   /* fail_at was reached */
} heap;

static void *failing_malloc(size_t size) {
  if (++heap.calls == heap.fail_at) {
    heap.failed = 1;
    return NULL;
  }
  void *p = malloc(size);
  heap.live += p != NULL;
  return p;
}

static void *failing_realloc(void *ptr, size_t size) {
  if (++heap.calls == heap.fail_at) {
    heap.failed = 1;
    return NULL;
  }
  void *p = realloc(ptr, size);
  heap.live += p && !ptr;
  return p;
}

static void failing_free(void *ptr) {
  heap.live -= ptr != NULL;
  free(ptr);
}

/* Fails the allocations of a load, then of a save, one after the other:
** each failed call returns NETC_ENOMEM, gives nothing back and leaves no
** block allocated (and, for save, no file). */
static void test_out_of_memory(void) {
  CU_ASSERT_EQUAL(netc_set_allocator(failing_malloc, failing_realloc, failing_free), NETC_OK);
  memset(&heap, 0, sizeof heap);
  netc_model *m = compile_file("cartpole_dqn.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = new_session(m, 4);
  const char *path = tmp_path(1, "oom.h5");
  CU_ASSERT_EQUAL_FATAL(save(s, path), NETC_OK);
  long before = heap.live, runs = 0, bad = 0;
  for (long k = 1; k < 100000; k++, runs++) {
    heap.fail_at = heap.calls + k;
    heap.failed = 0;
    netc_model *m2 = NULL;
    netc_session *s2 = NULL;
    netc_error error = {""};
    netc_status st = netc_session_load(path, NULL, &m2, &s2, &error);
    int completed = !heap.failed;
    if (completed ? st != NETC_OK : st != NETC_ENOMEM || m2 || s2) {
      if (bad++ < 3) fprintf(stderr, "\n  load, allocation %ld failed: %s %s", k,
                             netc_status_name(st), error.message);
    }
    netc_session_destroy(s2);
    netc_model_destroy(m2);
    bad += heap.live != before;
    if (completed) break;
  }
  const char *copy = tmp_path(2, "oom-save.h5");
  for (long k = 1; k < 100000; k++, runs++) {
    heap.fail_at = heap.calls + k;
    heap.failed = 0;
    netc_status st = netc_session_save(s, copy);
    int completed = !heap.failed;
    if (completed ? st != NETC_OK : st != NETC_ENOMEM || access(copy, F_OK) == 0) {
      if (bad++ < 3) fprintf(stderr, "\n  save, allocation %ld failed: %s %s", k,
                             netc_status_name(st), netc_session_error(s));
    }
    bad += heap.live != before;
    if (completed) break;
  }
  heap.fail_at = 0;
  CU_ASSERT(runs > 20);
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(temporaries(0), 0);
  netc_session_destroy(s);
  netc_model_destroy(m);
  CU_ASSERT_EQUAL(heap.live, 0);
  CU_ASSERT_EQUAL(netc_set_allocator(malloc, realloc, free), NETC_OK);
}

/* ----------------------------------------------------------------- PNG */

static void test_png(void) {
  enum { H = 7, W = 5 };
  unsigned char gray[H * W];
  for (int i = 0; i < H * W; i++) gray[i] = (unsigned char)(next64() & 0xff);
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = W;
  image.height = H;
  image.format = PNG_FORMAT_GRAY;
  const char *path = tmp_path(1, "digit.png");
  CU_ASSERT_FATAL(png_image_write_to_file(&image, path, 0, gray, 0, NULL) != 0);
  const char *paths[] = {path, path};
  netc_dataset *d = NULL;
  netc_error error = {""};
  CU_ASSERT_EQUAL_FATAL(netc_dataset_load_image_files(paths, 2, H, W, 1, NULL, &d, &error), NETC_OK);
  netc_tensor t;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_column(d, "image", &t), NETC_OK);
  CU_ASSERT(t.rank == 4 && t.dims[0] == 2 && t.dims[1] == H && t.dims[2] == W && t.dims[3] == 1);
  int same = 1;
  for (int i = 0; i < 2 * H * W; i++)
    same &= ((const float *)t.data)[i] == (float)gray[i % (H * W)] / 255.0f;
  CU_ASSERT(same);
  netc_dataset_destroy(d);
  /* resized and in color: a constant image stays constant */
  memset(gray, 200, sizeof gray);
  CU_ASSERT_FATAL(png_image_write_to_file(&image, path, 0, gray, 0, NULL) != 0);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_load_image_files(paths, 1, 28, 28, 3, "x", &d, &error), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_column(d, "x", &t), NETC_OK);
  same = 1;
  for (int i = 0; i < 28 * 28 * 3; i++)
    same &= fabsf(((const float *)t.data)[i] - 200.0f / 255.0f) < 1e-6f;
  CU_ASSERT(same);
  netc_dataset_destroy(d);
  const char *bad[] = {tmp_path(2, "absent.png")};
  CU_ASSERT_EQUAL(netc_dataset_load_image_files(bad, 1, 28, 28, 1, NULL, &d, &error), NETC_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(error.message, bad[0]));
  CU_ASSERT_PTR_NULL(d);
}

static const test_case TESTS[] = {
    {"round trip: MNIST", test_round_trip_mnist},
    {"round trip: CartPole DQN (weight sets, a user step)", test_round_trip_cartpole},
    {"round trip: every attribute family", test_round_trip_every_attribute},
    {"model-only load, state report", test_model_only_and_state_text},
    {"resume: N + M steps equal N+M steps, bit for bit", test_resume_equivalence},
    {"truncated and empty files", test_truncated},
    {"flipped bytes", test_flipped_bytes},
    {"missing, folder, text, foreign HDF5", test_not_a_model},
    {"newer version, missing datasets", test_newer_version_and_missing_objects},
    {"save errors and replacing a file", test_save_errors},
    {"a killed save leaves the old file", test_killed_save_leaves_old_file},
    {"out of memory in load and save", test_out_of_memory},
    {"PNG images", test_png},
    {NULL, NULL},
};

#include "tests/unit/cunit_main.h"
