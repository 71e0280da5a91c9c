/*
** mpi_fit.c: data-parallel training through the C API, run by tests/mpi.sh
** under `mpirun -np N` (2 and 3: with 3 ranks the last batch of 2 rows
** leaves one rank without rows). A small model with batchnorm (moving
** statistics to keep in step) and dropout (masks drawn per global row):
** - fit over the ranks leaves the same bytes on every rank, and the
**   profile times one gradient all-reduce per step;
** - without the batchnorm (whose batch statistics are each rank's own),
**   the weights are close to those of one process training alone on the
**   same batches;
** - ranks that disagree on the dataset are refused before any step;
** - replicas made to differ are caught by check_replicas, naming the rank;
** - a rank that fails (a NaN weight) makes the others fail, naming it;
** - netc frees every block it allocated (counted through its allocator
**   hook: under mpirun LeakSanitizer cannot tell netc's leaks from Open
**   MPI's, whose components are unloaded before it reports).
** Prints "mpi_fit: rank R: ok" and exits 0, or says what failed.
*/
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netc.h"

enum { ROWS = 50, FEATURES = 6, CLASSES = 3, BATCH = 8, MAX_WEIGHTS = 4096 };

static const char model_head[] =
    "model mlp\n"
    "input x : f32[batch, 6]\n"
    "input label : i32[batch]\n"
    "h = dense(x, 16, act=relu)\n";
static const char batchnorm_line[] = "h = batchnorm(h, momentum=0.9)\n";
static const char model_tail[] =
    "h = dropout(h, 0.3)\n"
    "logits = dense(h, 3)\n"
    "loss xent = sparse_cross_entropy(logits, label)\n"
    "metric acc = accuracy(logits, label)\n"
    "train momentum(lr=0.05, momentum=0.9) minimizes xent with batch=8\n";

/* The model's weights and their sizes, in the order the checks read them. */
static const struct {
  const char *name;
  int64_t count;
  int batchnorm; /* a weight of the batchnorm layer */
} weights[] = {{"dense/kernel", FEATURES * 16, 0},   {"dense/bias", 16, 0},
               {"batchnorm/gamma", 16, 1},           {"batchnorm/beta", 16, 1},
               {"batchnorm/moving_mean", 16, 1},     {"batchnorm/moving_variance", 16, 1},
               {"logits/kernel", 16 * CLASSES, 0}, {"logits/bias", CLASSES, 0}};
enum { N_WEIGHTS = sizeof weights / sizeof *weights };

static int rank, failures;
static MPI_Comm world;
static long live_blocks; /* netc's allocations not yet freed */

static void *counted_malloc(size_t size) {
  void *p = malloc(size);
  live_blocks += p != NULL;
  return p;
}

static void *counted_realloc(void *old, size_t size) {
  void *p = realloc(old, size);
  live_blocks += p != NULL && old == NULL;
  return p;
}

static void counted_free(void *p) {
  live_blocks -= p != NULL;
  free(p);
}

static void check(int ok, const char *what, const char *detail) {
  if (ok) return;
  fprintf(stderr, "mpi_fit: rank %d: %s%s%s\n", rank, what, detail ? ": " : "",
          detail ? detail : "");
  failures++;
}

/* All weights, one after the other, into w (MAX_WEIGHTS floats); returns
** how many. */
static int64_t read_weights(const netc_session *s, int batchnorm, float *w) {
  int64_t n = 0;
  for (int i = 0; i < N_WEIGHTS; i++) {
    if (weights[i].batchnorm && !batchnorm) continue;
    if (netc_session_get_weight(s, weights[i].name, w + n, weights[i].count) != NETC_OK) {
      check(0, "cannot read weight", netc_session_error(s));
      return n;
    }
    n += weights[i].count;
  }
  return n;
}

/* Rows that are the same on every rank: features from a fixed formula,
** labels from their sum. */
static netc_dataset *make_data(int64_t rows) {
  static float x[ROWS * FEATURES];
  static int32_t label[ROWS];
  for (int64_t r = 0; r < rows; r++) {
    float sum = 0;
    for (int f = 0; f < FEATURES; f++) {
      x[r * FEATURES + f] = (float)sin(0.37 * (double)(r * FEATURES + f) + 0.1 * f);
      sum += x[r * FEATURES + f];
    }
    label[r] = sum > 0.5f ? 2 : sum > -0.5f ? 1 : 0;
  }
  netc_tensor tx = {NETC_F32, 2, {rows, FEATURES}, x};
  netc_tensor tl = {NETC_I32, 1, {rows}, label};
  netc_dataset *d = NULL;
  netc_error e;
  if (netc_dataset_create(&d) != NETC_OK || netc_dataset_add(d, "x", &tx, &e) != NETC_OK ||
      netc_dataset_add(d, "label", &tl, &e) != NETC_OK) {
    check(0, "cannot make the dataset", NULL);
    netc_dataset_destroy(d);
    return NULL;
  }
  return d;
}

static netc_session *new_session(const netc_model *m) {
  netc_session_options o = {.seed = 7, .threads = 1};
  netc_session *s = NULL;
  if (netc_session_create(m, &o, &s) != NETC_OK) check(0, "cannot create a session", NULL);
  return s;
}

static netc_status fit(netc_session *s, const netc_dataset *d, int epochs, int distributed,
                       int64_t check_every) {
  netc_fit_options o = {.epochs = epochs, .batch_size = BATCH,
                        .mpi_comm = distributed ? &world : NULL,
                        .comm_timeout = 60, .check_replicas = check_every};
  return netc_session_fit(s, d, &o);
}

/* The ranks hold the same bytes: each compares its weights with rank 0's. */
static void check_same_bytes(const float *w, int64_t n) {
  static float first[MAX_WEIGHTS];
  memcpy(first, w, (size_t)n * sizeof *w);
  MPI_Bcast(first, (int)n, MPI_FLOAT, 0, world);
  check(memcmp(first, w, (size_t)n * sizeof *w) == 0, "weights differ from rank 0's", NULL);
}

/* Data-parallel weights against one process training alone. */
static void check_close(const float *mine, const float *alone, int64_t n) {
  double worst = 0, scale = 0;
  for (int64_t i = 0; i < n; i++) {
    worst = fmax(worst, fabs((double)mine[i] - (double)alone[i]));
    scale = fmax(scale, fabs((double)alone[i]));
  }
  char detail[128];
  snprintf(detail, sizeof detail, "largest difference %g of weights up to %g", worst, scale);
  check(worst <= 1e-4 * scale, "weights not close to one process's", detail);
}

static void expect_failure(netc_status got, netc_status want, const netc_session *s,
                           const char *needle, const char *what) {
  char detail[700];
  snprintf(detail, sizeof detail, "got %s (%s)", netc_status_name(got),
           netc_session_error(s));
  check(got == want && strstr(netc_session_error(s), needle), what, detail);
}

static netc_model *compile_model(int batchnorm) {
  char text[1024];
  snprintf(text, sizeof text, "%s%s%s", model_head, batchnorm ? batchnorm_line : "",
           model_tail);
  netc_model *m = NULL;
  if (netc_model_compile_source("mlp.net", text, strlen(text), NULL, &m) != NETC_OK) {
    fprintf(stderr, "mpi_fit: the model does not compile\n");
    MPI_Abort(world, 1);
  }
  return m;
}

/* Three epochs over the ranks (checking replicas after each step) and,
** for the model without batchnorm, alone. Returns the session. */
static netc_session *train_both_ways(const netc_model *m, const netc_dataset *data,
                                     int batchnorm, int size) {
  static float w[MAX_WEIGHTS], w_alone[MAX_WEIGHTS];
  netc_session *s = new_session(m);
  check(s && netc_session_profile_enable(s, 1) == NETC_OK, "cannot profile", NULL);
  netc_status st = fit(s, data, 3, 1, 1);
  check(st == NETC_OK, "data-parallel fit failed", netc_session_error(s));
  check(netc_session_world_size(s) == size, "world size not recorded", NULL);
  int64_t steps = 3 * ((ROWS + BATCH - 1) / BATCH);
  check(netc_session_step(s) == steps, "wrong step count", NULL);
  netc_op_profile ops[64];
  int count = 0;
  netc_session_profile(s, ops, 64, &count);
  check(count > 2 && count <= 64 && strcmp(ops[count - 2].op, "allreduce") == 0 &&
            strcmp(ops[count - 1].op, "allreduce_wait") == 0 &&
            ops[count - 2].calls == steps && ops[count - 1].calls == steps,
        "the profile does not count one all-reduce per step", NULL);
  int64_t n = read_weights(s, batchnorm, w);
  check_same_bytes(w, n);
  if (batchnorm) return s;
  netc_session *alone = new_session(m);
  check(fit(alone, data, 3, 0, 0) == NETC_OK, "fit alone failed", netc_session_error(alone));
  read_weights(alone, 0, w_alone);
  check_close(w, w_alone, n);
  netc_session_destroy(alone);
  return s;
}

int main(int argc, char **argv) {
  netc_set_allocator(counted_malloc, counted_realloc, counted_free);
  MPI_Init(&argc, &argv);
  world = MPI_COMM_WORLD;
  int size;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &size);
  netc_model *plain = compile_model(0), *m = compile_model(1);
  netc_dataset *data = make_data(ROWS), *fewer = make_data(ROWS - 1);
  netc_session_destroy(train_both_ways(plain, data, 0, size));
  netc_session *s = train_both_ways(m, data, 1, size);
  netc_status st;

  /* rank 1 holds one row fewer: refused before any step */
  int64_t step = netc_session_step(s);
  st = fit(s, rank == 1 ? fewer : data, 1, 1, 0);
  expect_failure(st, NETC_EINVAL, s, "disagree on the dataset's rows",
                 "a dataset of another size was not refused");
  check(netc_session_step(s) == step, "a refused fit took steps", NULL);

  /* rank 1's weights drift: the next step's check names it */
  if (rank == 1) {
    float b[CLASSES];
    netc_session_get_weight(s, "logits/bias", b, CLASSES);
    b[0] += 1e-3f;
    netc_session_set_weight(s, "logits/bias", b, CLASSES);
  }
  st = fit(s, data, 1, 1, 1);
  expect_failure(st, NETC_ESTATE, s, "weights of rank 1", "drifted replicas were not caught");

  /* rank 1's loss becomes NaN: it fails, and the others name it */
  if (rank == 1) {
    float b[CLASSES] = {NAN, 0, 0};
    netc_session_set_weight(s, "logits/bias", b, CLASSES);
  }
  st = fit(s, data, 1, 1, 0);
  if (rank == 1)
    expect_failure(st, NETC_ENUMERIC, s, "not finite", "the NaN was not reported");
  else
    expect_failure(st, NETC_ECOMM, s, "rank 1 failed", "rank 1's failure was not passed on");

  netc_session_destroy(s);
  netc_dataset_destroy(fewer);
  netc_dataset_destroy(data);
  netc_model_destroy(m);
  netc_model_destroy(plain);
  char leaked[64];
  snprintf(leaked, sizeof leaked, "%ld blocks", live_blocks);
  check(live_blocks == 0, "netc did not free what it allocated", leaked);
  int all = 0;
  MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, world);
  if (!failures) printf("mpi_fit: rank %d of %d: ok\n", rank, size);
  MPI_Finalize();
  return all ? 1 : 0;
}
