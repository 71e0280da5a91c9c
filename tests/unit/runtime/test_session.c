/*
** test_session.c: sessions through the public API (include/netc.h) on the
** repository's models and on small models written here:
**   - feeds are checked before anything runs (unknown name, dtype, rank,
**     fixed dims, batch above max_batch, inconsistent batch, missing feed),
**     unknown entry points and fetches, each with its status code and a
**     message naming the input and its `.net` declaration;
**   - MNIST overfits one fixed random batch;
**   - determinism: same seed, same weights bit for bit (also across thread
**     counts), different seeds differ; a smaller batch gives the same rows;
**   - CartPole DQN: sync_target copies, training leaves the target alone;
**   - the NaN tripwire names the op and its line;
**   - every optimizer, a schedule and gradient clipping against updates
**     worked out here in double from Keras's documented rules;
**   - the per-op profile counts each op's runs, time and FLOPs.
**
** The models are read from $top_srcdir/models (`make check` sets it), else
** from ../models, ./models or ../../models.
**
** To add a test: write `static void test_x(void)` and list it in TESTS at
** the end.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "netc.h"
#include "runtime/session.h"
#include "tests/unit/test_case.h"

/* ------------------------------------------------------------ helpers */

static uint64_t rng_state = 0x5e55;

/* SplitMix64: the test's own fixed-seed generator. */
static uint64_t next64(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static float urand(void) { return (float)((double)(next64() >> 11) * 0x1p-53); }

static char diagnostics[8192];

static void collect(const netc_diagnostic *d, void *user) {
  (void)user;
  size_t len = strlen(diagnostics);
  snprintf(diagnostics + len, sizeof diagnostics - len, "%s", d->rendered);
}

static netc_compile_options compile_options(void) {
  netc_compile_options opt;
  memset(&opt, 0, sizeof opt);
  opt.on_diagnostic = collect;
  diagnostics[0] = '\0';
  return opt;
}

/* The path of models/NAME in the source tree (static buffer). */
static const char *model_path(const char *name) {
  static char path[1024];
  const char *top = getenv("top_srcdir");
  if (top && *top) {
    snprintf(path, sizeof path, "%s/models/%s", top, name);
    return path;
  }
  static const char *const dirs[] = {"..", ".", "../.."};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    snprintf(path, sizeof path, "%s/models/%s", dirs[i], name);
    FILE *f = fopen(path, "r");
    if (f) {
      fclose(f);
      return path;
    }
  }
  return path;
}

static netc_model *compile_model_file(const char *name) {
  netc_compile_options opt = compile_options();
  netc_model *m = NULL;
  netc_status st = netc_model_compile_file(model_path(name), &opt, &m);
  if (st != NETC_OK)
    fprintf(stderr, "\n%s: %s\n%s", model_path(name), netc_status_name(st), diagnostics);
  return m;
}

static netc_model *compile_text(const char *name, const char *text) {
  netc_compile_options opt = compile_options();
  netc_model *m = NULL;
  netc_status st = netc_model_compile_source(name, text, strlen(text), &opt, &m);
  if (st != NETC_OK) fprintf(stderr, "\n%s: %s\n%s%s", name, netc_status_name(st), text, diagnostics);
  return m;
}

static netc_session *session(const netc_model *m, uint64_t seed, int max_batch, int threads) {
  netc_session_options opt = {.seed = seed, .max_batch = max_batch, .threads = threads};
  netc_session *s = NULL;
  netc_status st = netc_session_create(m, &opt, &s);
  CU_ASSERT_EQUAL(st, NETC_OK);
  return s;
}

static netc_feed feed(const char *name, netc_dtype dtype, void *data, int rank, int64_t d0,
                      int64_t d1, int64_t d2, int64_t d3) {
  netc_feed f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.tensor.dtype = dtype;
  f.tensor.rank = rank;
  int64_t dims[4] = {d0, d1, d2, d3};
  for (int i = 0; i < rank; i++) f.tensor.dims[i] = dims[i];
  f.tensor.data = data;
  return f;
}

/* Checks a failed call: its status and every substring in its message. */
static void expect_error(const netc_session *s, netc_status got, netc_status want,
                         const char *const *parts) {
  const char *msg = netc_session_error(s);
  int ok = got == want;
  for (int i = 0; parts[i]; i++)
    if (!strstr(msg, parts[i])) ok = 0;
  if (!ok)
    fprintf(stderr, "\n  got %s \"%s\", want %s with", netc_status_name(got), msg,
            netc_status_name(want));
  for (int i = 0; !ok && parts[i]; i++) fprintf(stderr, " \"%s\"", parts[i]);
  CU_ASSERT_EQUAL(got, want);
  for (int i = 0; parts[i]; i++) CU_ASSERT_PTR_NOT_NULL(strstr(msg, parts[i]));
}

#define EXPECT_ERROR(s, got, want, ...) \
  expect_error(s, got, want, (const char *const[]){__VA_ARGS__, NULL})

/* ---------------------------------------------------------------- MNIST */

enum { MNIST_PIXELS = 28 * 28, MNIST_MAX = 32 };

static float images[MNIST_MAX * MNIST_PIXELS];
static int32_t labels[MNIST_MAX];

static void mnist_data(uint64_t seed) {
  rng_state = seed;
  for (int i = 0; i < MNIST_MAX * MNIST_PIXELS; i++) images[i] = urand();
  for (int i = 0; i < MNIST_MAX; i++) labels[i] = (int32_t)(next64() % 10);
}

/* Image and label feeds for the first `batch` rows. */
static void mnist_feeds(netc_feed f[2], int batch) {
  f[0] = feed("image", NETC_F32, images, 4, batch, 28, 28, 1);
  f[1] = feed("label", NETC_I32, labels, 1, batch, 0, 0, 0);
}

static const struct {
  const char *name;
  int64_t count;
} MNIST_WEIGHTS[] = {
    {"conv2d/kernel", 3 * 3 * 1 * 32}, {"conv2d/bias", 32},
    {"conv2d_1/kernel", 3 * 3 * 32 * 64}, {"conv2d_1/bias", 64},
    {"dense/kernel", 9216 * 128}, {"dense/bias", 128},
    {"logits/kernel", 128 * 10}, {"logits/bias", 10},
};
enum { N_MNIST_WEIGHTS = sizeof MNIST_WEIGHTS / sizeof *MNIST_WEIGHTS };

/* Compares every weight of two MNIST sessions bit for bit: 1 when equal. */
static int mnist_same_weights(const netc_session *a, const netc_session *b) {
  static float wa[9216 * 128], wb[9216 * 128];
  int same = 1;
  for (int i = 0; i < N_MNIST_WEIGHTS; i++) {
    CU_ASSERT_EQUAL(netc_session_get_weight(a, MNIST_WEIGHTS[i].name, wa, MNIST_WEIGHTS[i].count),
                    NETC_OK);
    CU_ASSERT_EQUAL(netc_session_get_weight(b, MNIST_WEIGHTS[i].name, wb, MNIST_WEIGHTS[i].count),
                    NETC_OK);
    if (memcmp(wa, wb, (size_t)MNIST_WEIGHTS[i].count * sizeof(float)) != 0) same = 0;
  }
  return same;
}

static void train_steps(netc_session *s, int batch, int steps) {
  netc_feed f[2];
  mnist_feeds(f, batch);
  for (int i = 0; i < steps; i++) {
    netc_status st = netc_session_run(s, "train", f, 2, NULL, 0, NULL);
    if (st != NETC_OK) fprintf(stderr, "\ntrain: %s\n", netc_session_error(s));
    CU_ASSERT_EQUAL_FATAL(st, NETC_OK);
  }
}

static float evaluate_loss(netc_session *s, int batch) {
  netc_feed f[2];
  mnist_feeds(f, batch);
  const char *fetch[] = {"xent"};
  netc_tensor out;
  netc_status st = netc_session_run(s, "evaluate", f, 2, fetch, 1, &out);
  CU_ASSERT_EQUAL(st, NETC_OK);
  return st == NETC_OK ? *(const float *)out.data : NAN;
}

/* Every kind of bad feed, entry and fetch, each with its status and a
** message naming the input and the .net line it was declared on. */
static void test_feed_errors(void) {
  netc_model *m = compile_model_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = session(m, 1, 8, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  mnist_data(1);
  netc_feed f[2];
  const char *fetch[] = {"xent"};
  netc_tensor out;

  /* a good run first: no error message afterwards */
  mnist_feeds(f, 4);
  CU_ASSERT_EQUAL(netc_session_run(s, "evaluate", f, 2, fetch, 1, &out), NETC_OK);
  CU_ASSERT_STRING_EQUAL(netc_session_error(s), "");

  /* unknown feed name, with a suggestion */
  mnist_feeds(f, 4);
  f[0].name = "images";
  netc_status st = netc_session_run(s, "evaluate", f, 2, fetch, 1, &out);
  EXPECT_ERROR(s, st, NETC_ENOTFOUND, "'images'", "image", "mnist");

  /* wrong dtype */
  mnist_feeds(f, 4);
  f[1].tensor.dtype = NETC_F32;
  st = netc_session_run(s, "evaluate", f, 2, fetch, 1, &out);
  EXPECT_ERROR(s, st, NETC_EDTYPE, "'label'", "f32", "models/mnist.net:8:1", "i32[batch]");

  /* wrong rank */
  mnist_feeds(f, 4);
  f[0].tensor.rank = 3;
  st = netc_session_run(s, "evaluate", f, 2, fetch, 1, &out);
  EXPECT_ERROR(s, st, NETC_ESHAPE, "'image'", "rank 3", "models/mnist.net:7:1",
               "f32[batch,28,28,1]");

  /* wrong fixed dim */
  mnist_feeds(f, 4);
  f[0].tensor.dims[2] = 27;
  st = netc_session_run(s, "evaluate", f, 2, fetch, 1, &out);
  EXPECT_ERROR(s, st, NETC_ESHAPE, "'image'", "27", "models/mnist.net:7:1");

  /* batch above max_batch (8) */
  mnist_feeds(f, 9);
  st = netc_session_run(s, "evaluate", f, 2, fetch, 1, &out);
  EXPECT_ERROR(s, st, NETC_ESHAPE, "'image'", "9", "max_batch", "models/mnist.net:7:1");

  /* inconsistent batch between two feeds */
  mnist_feeds(f, 4);
  f[1].tensor.dims[0] = 3;
  st = netc_session_run(s, "evaluate", f, 2, fetch, 1, &out);
  EXPECT_ERROR(s, st, NETC_ESHAPE, "'label'", "batch", "3", "4", "models/mnist.net:8:1");

  /* missing feed: train needs the label */
  mnist_feeds(f, 4);
  st = netc_session_run(s, "train", f, 1, NULL, 0, NULL);
  EXPECT_ERROR(s, st, NETC_EINVAL, "'label'", "models/mnist.net:8:1");
  CU_ASSERT_EQUAL(netc_session_step(s), 0);

  /* no data: an error, whichever code */
  mnist_feeds(f, 4);
  f[0].tensor.data = NULL;
  st = netc_session_run(s, "evaluate", f, 2, fetch, 1, &out);
  CU_ASSERT_NOT_EQUAL(st, NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "'image'"));

  /* unknown entry point: the message lists the real ones */
  mnist_feeds(f, 4);
  st = netc_session_run(s, "trian", f, 2, NULL, 0, NULL);
  EXPECT_ERROR(s, st, NETC_ENOTFOUND, "'trian'", "train", "predict", "evaluate");

  /* unknown fetch */
  const char *bad_fetch[] = {"xnet"};
  st = netc_session_run(s, "evaluate", f, 2, bad_fetch, 1, &out);
  EXPECT_ERROR(s, st, NETC_ENOTFOUND, "'xnet'");

  /* bad arguments */
  CU_ASSERT_EQUAL(netc_session_run(s, "evaluate", f, -1, fetch, 1, &out), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_session_run(s, "evaluate", f, 2, fetch, 1, NULL), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_session_run(NULL, "evaluate", f, 2, fetch, 1, &out), NETC_EINVAL);

  /* weights: unknown names and wrong counts */
  float w[32];
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "conv2d/kernal", w, 32), NETC_ENOTFOUND);
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "conv2d/bias", w, 31), NETC_ESHAPE);
  CU_ASSERT_EQUAL(netc_session_set_weight(s, "conv2d/bias", w, 33), NETC_ESHAPE);
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "conv2d/bias", w, 32), NETC_OK);

  /* after all that, the session still works and the message is cleared */
  mnist_feeds(f, 4);
  CU_ASSERT_EQUAL(netc_session_run(s, "evaluate", f, 2, fetch, 1, &out), NETC_OK);
  CU_ASSERT_STRING_EQUAL(netc_session_error(s), "");
  CU_ASSERT_EQUAL(netc_session_step(s), 0);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* Thirty Adam steps on one fixed random batch memorize it: the evaluate
** loss (no dropout) falls by a large factor and accuracy reaches 100%. */
static void test_mnist_overfits(void) {
  netc_model *m = compile_model_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  enum { BATCH = 16, STEPS = 30 };
  netc_session *s = session(m, 42, BATCH, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  mnist_data(2);
  float before = evaluate_loss(s, BATCH);
  train_steps(s, BATCH, STEPS);
  CU_ASSERT_EQUAL(netc_session_step(s), STEPS);
  float after = evaluate_loss(s, BATCH);
  if (!(after < before / 10))
    fprintf(stderr, "\n  loss %g -> %g after %d steps\n", before, after, STEPS);
  CU_ASSERT(before > 1.5f && before < 4.0f); /* about log(10) at the start */
  CU_ASSERT(after < before / 10);
  netc_feed f[2];
  mnist_feeds(f, BATCH);
  const char *fetch[] = {"acc"};
  netc_tensor out;
  CU_ASSERT_EQUAL(netc_session_run(s, "evaluate", f, 2, fetch, 1, &out), NETC_OK);
  CU_ASSERT_EQUAL(*(const float *)out.data, 1.0f);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* Same seed: the same weights bit for bit, at creation and after training
** (dropout included); another seed: other weights. Threads 1, 2 and 3 give
** the same bits (DESIGN: bit-identical for any thread count); batch 13
** makes the work split unevenly and differently for each thread count. */
static void test_determinism(void) {
  netc_model *m = compile_model_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  enum { BATCH = 13, STEPS = 3 };
  mnist_data(3);
  netc_session *a = session(m, 7, BATCH, 1);
  netc_session *b = session(m, 7, BATCH, 1);
  netc_session *c = session(m, 8, BATCH, 1);
  CU_ASSERT_FATAL(a && b && c);
  CU_ASSERT(mnist_same_weights(a, b));
  float wa[288], wc[288];
  CU_ASSERT_EQUAL(netc_session_get_weight(a, "conv2d/kernel", wa, 288), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_get_weight(c, "conv2d/kernel", wc, 288), NETC_OK);
  int differ = 0;
  for (int i = 0; i < 288; i++) differ += wa[i] != wc[i];
  CU_ASSERT(differ > 280); /* glorot_uniform draws: almost all differ */
  train_steps(a, BATCH, STEPS);
  train_steps(b, BATCH, STEPS);
  CU_ASSERT_EQUAL(netc_session_step(a), STEPS);
  CU_ASSERT(mnist_same_weights(a, b));
  /* the same evaluate loss, bit for bit */
  CU_ASSERT_EQUAL(evaluate_loss(a, BATCH), evaluate_loss(b, BATCH));
  netc_session_destroy(b);
  netc_session_destroy(c);
  for (int threads = 2; threads <= 3; threads++) {
    netc_session *t = session(m, 7, BATCH, threads);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    train_steps(t, BATCH, STEPS);
    if (!mnist_same_weights(a, t)) fprintf(stderr, "\n  threads 1 and %d differ\n", threads);
    CU_ASSERT(mnist_same_weights(a, t));
    CU_ASSERT_EQUAL(evaluate_loss(a, BATCH), evaluate_loss(t, BATCH));
    netc_session_destroy(t);
  }
  netc_session_destroy(a);
  netc_model_destroy(m);
}

/* A session planned for 32 rows runs 7 and 32 alternately: rows do not
** influence each other, so the 7 rows give the same bits every time and
** the same bits as in a session planned for 7. The first 7 rows of a
** 32-row batch agree to rounding only: OpenBLAS blocks a GEMM by its row
** count, so M = 7 and M = 32 may round differently (a batch size is not
** promised to be invisible in the last bit). */
static void test_smaller_batch(void) {
  netc_model *m = compile_model_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  mnist_data(4);
  netc_session *big = session(m, 9, 32, 1);
  netc_session *small = session(m, 9, 7, 1);
  CU_ASSERT_FATAL(big && small);
  const char *fetch[] = {"probs"};
  netc_tensor out;
  netc_feed f[2];
  static float p7[7 * 10], again[7 * 10], p32[32 * 10], alone[7 * 10];
  mnist_feeds(f, 7);
  CU_ASSERT_EQUAL_FATAL(netc_session_run(small, "predict", f, 1, fetch, 1, &out), NETC_OK);
  memcpy(alone, out.data, sizeof alone);
  for (int round = 0; round < 2; round++) {
    mnist_feeds(f, 7);
    CU_ASSERT_EQUAL_FATAL(netc_session_run(big, "predict", f, 1, fetch, 1, &out), NETC_OK);
    CU_ASSERT_EQUAL(out.rank, 2);
    CU_ASSERT_EQUAL(out.dims[0], 7);
    CU_ASSERT_EQUAL(out.dims[1], 10);
    memcpy(round ? again : p7, out.data, sizeof p7);
    mnist_feeds(f, 32);
    CU_ASSERT_EQUAL_FATAL(netc_session_run(big, "predict", f, 1, fetch, 1, &out), NETC_OK);
    CU_ASSERT_EQUAL(out.dims[0], 32);
    memcpy(p32, out.data, sizeof p32);
  }
  CU_ASSERT_EQUAL(memcmp(p7, again, sizeof p7), 0);
  CU_ASSERT_EQUAL(memcmp(p7, alone, sizeof p7), 0);
  double worst = 0;
  for (int i = 0; i < 7 * 10; i++)
    worst = fmax(worst, fabs((double)p7[i] - p32[i]) / (1e-6 + fabs((double)p7[i])));
  if (!(worst < 1e-5)) fprintf(stderr, "\n  rows at batch 32 differ from batch 7 by %g\n", worst);
  CU_ASSERT(worst < 1e-5);
  /* each row of probs sums to 1 */
  for (int r = 0; r < 7; r++) {
    double sum = 0;
    for (int k = 0; k < 10; k++) sum += p7[r * 10 + k];
    CU_ASSERT(fabs(sum - 1) < 1e-5);
  }
  /* the evaluate loss of the 7 rows is the same in both sessions */
  CU_ASSERT_EQUAL(evaluate_loss(big, 7), evaluate_loss(small, 7));
  netc_session_destroy(big);
  netc_session_destroy(small);
  netc_model_destroy(m);
}

/* ------------------------------------------------------------- CartPole */

static const struct {
  const char *name;
  int64_t count;
} QNET[] = {
    {"dense/kernel", 4 * 16}, {"dense/bias", 16},  {"dense_1/kernel", 16 * 16},
    {"dense_1/bias", 16},     {"dense_2/kernel", 16 * 2}, {"dense_2/bias", 2},
};
enum { N_QNET = sizeof QNET / sizeof *QNET };

/* 1 when every weight of weight set `a` equals the same weight of `b`. */
static int qnet_equal(const netc_session *s, const char *a, const char *b) {
  int same = 1;
  for (int i = 0; i < N_QNET; i++) {
    float wa[256], wb[256];
    char na[64], nb[64];
    snprintf(na, sizeof na, "%s/%s", a, QNET[i].name);
    snprintf(nb, sizeof nb, "%s/%s", b, QNET[i].name);
    CU_ASSERT_EQUAL(netc_session_get_weight(s, na, wa, QNET[i].count), NETC_OK);
    CU_ASSERT_EQUAL(netc_session_get_weight(s, nb, wb, QNET[i].count), NETC_OK);
    if (memcmp(wa, wb, (size_t)QNET[i].count * sizeof(float)) != 0) same = 0;
  }
  return same;
}

static void qnet_get(const netc_session *s, const char *set, float *all) {
  for (int i = 0; i < N_QNET; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s/%s", set, QNET[i].name);
    CU_ASSERT_EQUAL(netc_session_get_weight(s, name, all, QNET[i].count), NETC_OK);
    all += QNET[i].count;
  }
}

enum { QNET_TOTAL = 4 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2 };

static void test_cartpole(void) {
  netc_model *m = compile_model_file("cartpole_dqn.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  enum { BATCH = 16 };
  netc_session *s = session(m, 5, BATCH, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  float state[BATCH * 4], next[BATCH * 4], reward[BATCH], done[BATCH];
  int32_t action[BATCH];
  rng_state = 77;
  for (int i = 0; i < BATCH * 4; i++) {
    state[i] = urand() - 0.5f;
    next[i] = urand() - 0.5f;
  }
  for (int i = 0; i < BATCH; i++) {
    reward[i] = 1;
    done[i] = i % 5 == 0;
    action[i] = (int32_t)(next64() % 2);
  }
  netc_feed f[5] = {
      feed("state", NETC_F32, state, 2, BATCH, 4, 0, 0),
      feed("next_state", NETC_F32, next, 2, BATCH, 4, 0, 0),
      feed("action", NETC_I32, action, 1, BATCH, 0, 0, 0),
      feed("reward", NETC_F32, reward, 1, BATCH, 0, 0, 0),
      feed("done", NETC_F32, done, 1, BATCH, 0, 0, 0),
  };
  /* two weight sets, initialized differently */
  CU_ASSERT_FALSE(qnet_equal(s, "online", "target"));
  /* the TD target is behind stop_gradient: no gradient for target weights */
  const char *grad_target[] = {"td", "grad/target/dense/kernel"};
  netc_tensor out[2];
  netc_status st = netc_session_run(s, "train", f, 5, grad_target, 2, out);
  CU_ASSERT_EQUAL(st, NETC_ENOTFOUND);
  const char *grad_online[] = {"td", "grad/online/dense/kernel"};
  CU_ASSERT_EQUAL(netc_session_run(s, "train", f, 5, grad_online, 2, out), NETC_OK);
  CU_ASSERT_EQUAL(netc_tensor_elements(&out[1]), 4 * 16);

  /* training moves online weights only */
  static float online0[QNET_TOTAL], target0[QNET_TOTAL], online1[QNET_TOTAL],
      target1[QNET_TOTAL];
  qnet_get(s, "online", online0);
  qnet_get(s, "target", target0);
  for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(netc_session_run(s, "train", f, 5, NULL, 0, NULL), NETC_OK);
  qnet_get(s, "online", online1);
  qnet_get(s, "target", target1);
  CU_ASSERT(memcmp(online0, online1, sizeof online0) != 0);
  CU_ASSERT_EQUAL(memcmp(target0, target1, sizeof target0), 0);

  /* sync_target copies every online weight; it is not a training step */
  int64_t step = netc_session_step(s);
  CU_ASSERT_EQUAL(netc_session_run(s, "sync_target", NULL, 0, NULL, 0, NULL), NETC_OK);
  CU_ASSERT(qnet_equal(s, "online", "target"));
  CU_ASSERT_EQUAL(netc_session_step(s), step);
  qnet_get(s, "target", target1);
  CU_ASSERT_EQUAL(memcmp(online1, target1, sizeof online1), 0);

  /* after the copy, training moves online away again, target stays */
  CU_ASSERT_EQUAL(netc_session_run(s, "train", f, 5, NULL, 0, NULL), NETC_OK);
  CU_ASSERT_FALSE(qnet_equal(s, "online", "target"));
  qnet_get(s, "target", target0);
  CU_ASSERT_EQUAL(memcmp(target0, target1, sizeof target0), 0);

  /* predict needs only the state */
  const char *q[] = {"q"};
  CU_ASSERT_EQUAL(netc_session_run(s, "predict", f, 1, q, 1, out), NETC_OK);
  CU_ASSERT_EQUAL(out[0].rank, 2);
  CU_ASSERT_EQUAL(out[0].dims[0], BATCH);
  CU_ASSERT_EQUAL(out[0].dims[1], 2);
  /* an action outside [0, 2) is an input error, not a crash */
  action[3] = 2;
  st = netc_session_run(s, "train", f, 5, NULL, 0, NULL);
  CU_ASSERT_NOT_EQUAL(st, NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "cartpole_dqn.net:"));
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* ------------------------------------------------------- NaN tripwire */

static void test_nan_tripwire(void) {
  const char *text =
      "model nan\n"
      "input x : f32[batch, 4]\n"
      "h = dense(x, 3, name=\"h\")\n"
      "loss l = reduce_mean(log(h - 1000))\n"
      "train sgd(lr=0.1) minimizes l\n";
  netc_model *m = compile_text("nan.net", text);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = session(m, 1, 4, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  float x[8] = {0.1f, 0.2f, 0.3f, 0.4f, -0.5f, 0.6f, -0.7f, 0.8f};
  netc_feed f = feed("x", NETC_F32, x, 2, 2, 4, 0, 0);
  float k0[12], k1[12];
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "h/kernel", k0, 12), NETC_OK);
  netc_status st = netc_session_run(s, "train", &f, 1, NULL, 0, NULL);
  EXPECT_ERROR(s, st, NETC_ENUMERIC, "nan.net:4:", "log", "'l'");
  /* nothing was updated, no step was counted */
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "h/kernel", k1, 12), NETC_OK);
  CU_ASSERT_EQUAL(memcmp(k0, k1, sizeof k0), 0);
  CU_ASSERT_EQUAL(netc_session_step(s), 0);
  netc_session_destroy(s);
  netc_model_destroy(m);

  /* an infinite feed: the first non-finite value is the feed itself */
  const char *text2 =
      "model inf\n"
      "input x : f32[batch, 4]\n"
      "input t : f32[batch, 3]\n"
      "h = dense(x, 3, name=\"h\")\n"
      "loss l = mse(h, t)\n"
      "train sgd(lr=0.1) minimizes l\n";
  m = compile_text("inf.net", text2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  s = session(m, 1, 4, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  float t[6] = {0};
  netc_feed f2[2] = {feed("x", NETC_F32, x, 2, 2, 4, 0, 0), feed("t", NETC_F32, t, 2, 2, 3, 0, 0)};
  CU_ASSERT_EQUAL(netc_session_run(s, "train", f2, 2, NULL, 0, NULL), NETC_OK);
  x[5] = INFINITY;
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "h/kernel", k0, 12), NETC_OK);
  st = netc_session_run(s, "train", f2, 2, NULL, 0, NULL);
  EXPECT_ERROR(s, st, NETC_ENUMERIC, "inf.net:2:", "'x'", "'l'");
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "h/kernel", k1, 12), NETC_OK);
  CU_ASSERT_EQUAL(memcmp(k0, k1, sizeof k0), 0);
  CU_ASSERT_EQUAL(netc_session_step(s), 1);
  /* good data again: training goes on */
  x[5] = 0.6f;
  CU_ASSERT_EQUAL(netc_session_run(s, "train", f2, 2, NULL, 0, NULL), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_step(s), 2);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* ---------------------------------------------------------- fetches */

/* Any node can be fetched, and its value must not depend on what else is
** fetched: a fetched node that later nodes read stays alive in the memory
** plan until the run returns. */
static void test_fetch_intermediate(void) {
  const char *text =
      "model fetch\n"
      "input x : f32[batch, 4]\n"
      "a = tanh(x)\n"
      "b = tanh(a * 2)\n"
      "output o = tanh(b * 2)\n";
  netc_model *m = compile_text("fetch.net", text);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = session(m, 1, 2, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  float x[8] = {0.1f, 0.2f, 0.3f, 0.4f, -0.1f, -0.2f, -0.3f, -0.4f};
  netc_feed f = feed("x", NETC_F32, x, 2, 2, 4, 0, 0);
  netc_tensor out[2];
  const char *a_alone[] = {"a"}, *o_alone[] = {"o"}, *both[] = {"a", "o"};
  float a[8], o[8];
  CU_ASSERT_EQUAL_FATAL(netc_session_run(s, "predict", &f, 1, a_alone, 1, out), NETC_OK);
  memcpy(a, out[0].data, sizeof a);
  CU_ASSERT_EQUAL_FATAL(netc_session_run(s, "predict", &f, 1, o_alone, 1, out), NETC_OK);
  memcpy(o, out[0].data, sizeof o);
  for (int i = 0; i < 8; i++) {
    CU_ASSERT(fabsf(a[i] - tanhf(x[i])) < 1e-6f);
    CU_ASSERT(fabsf(o[i] - tanhf(2 * tanhf(2 * tanhf(x[i])))) < 1e-6f);
  }
  CU_ASSERT_EQUAL_FATAL(netc_session_run(s, "predict", &f, 1, both, 2, out), NETC_OK);
  CU_ASSERT_EQUAL(memcmp(out[0].data, a, sizeof a), 0);
  CU_ASSERT_EQUAL(memcmp(out[1].data, o, sizeof o), 0);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* The plan computes a bias_add and relu that only read a product inside
** the product's epilogue; fetching an intermediate keeps it separate. The
** bits must not change either way: training steps give the same weights,
** and predictions the same probabilities. */
static void test_fused_epilogues(void) {
  netc_model *m = compile_model_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *fused = session(m, 7, 8, 2), *apart = session(m, 7, 8, 2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(fused);
  CU_ASSERT_PTR_NOT_NULL_FATAL(apart);
  mnist_data(11);
  netc_feed f[2];
  mnist_feeds(f, 8);
  const char *pre[] = {"conv2d/conv2d", "conv2d_1/bias_add", "dense/matmul"};
  netc_tensor out[4];
  for (int step = 0; step < 2; step++) {
    CU_ASSERT_EQUAL_FATAL(netc_session_run(fused, "train", f, 2, NULL, 0, NULL), NETC_OK);
    CU_ASSERT_EQUAL_FATAL(netc_session_run(apart, "train", f, 2, pre, 3, out), NETC_OK);
  }
  CU_ASSERT(mnist_same_weights(fused, apart));
  /* The fused plan folded conv2d_1's bias and relu into it. */
  const rt_plan *plan = fused->plans;
  int folded = 0;
  for (int i = 0; plan && i < fused->g->n_nodes; i++)
    if (strcmp(fused->g->nodes[i].name, "conv2d_1/conv2d") == 0)
      folded = plan->fused[i].what == (RT_FUSED_BIAS | RT_FUSED_RELU);
  CU_ASSERT(folded);

  static float probs[8 * 10], relu[8 * 24 * 24 * 64];
  const char *fused_fetch[] = {"probs", "conv2d_1/relu"};
  const char *apart_fetch[] = {"probs", "conv2d_1/bias_add", "conv2d_1/relu"};
  CU_ASSERT_EQUAL_FATAL(netc_session_run(fused, "predict", f, 1, fused_fetch, 2, out), NETC_OK);
  memcpy(probs, out[0].data, sizeof probs);
  memcpy(relu, out[1].data, sizeof relu);
  CU_ASSERT_EQUAL_FATAL(netc_session_run(apart, "predict", f, 1, apart_fetch, 3, out), NETC_OK);
  CU_ASSERT_EQUAL(memcmp(probs, out[0].data, sizeof probs), 0);
  CU_ASSERT_EQUAL(memcmp(relu, out[2].data, sizeof relu), 0);
  const float *biased = out[1].data;
  int64_t wrong = 0;
  for (int64_t i = 0; i < 8 * 24 * 24 * 64; i++)
    wrong += relu[i] != (biased[i] > 0 ? biased[i] : 0.0f);
  CU_ASSERT_EQUAL(wrong, 0);
  netc_session_destroy(fused);
  netc_session_destroy(apart);
  netc_model_destroy(m);
}

/* ----------------------------------------------------------- optimizers */

/* Reference updates, in double, written from Keras 3's documented rules
** (keras.optimizers.*, keras.optimizers.schedules.*), step t = 1, 2, ...:
**   SGD        w -= lr g
**   momentum   v = m v - lr g;  w += v              (SGD with momentum)
**   nesterov   v = m v - lr g;  w += m v - lr g     (SGD, nesterov=True)
**   Adam       m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
**              w -= lr sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + eps)
**   AdamW      w -= lr wd w (decoupled decay, with the step's lr), then Adam
**   RMSprop    s = rho s + (1-rho) g^2;  inc = lr g / sqrt(s + eps);
**              momentum > 0: b = momentum b + inc, w -= b; else w -= inc
**   Adagrad    a starts at initial_accumulator_value;  a += g^2;
**              w -= lr g / sqrt(a + eps)
**   CosineDecay(lr, decay_steps, alpha = min_lr / lr) at iteration k (0
**   for the first update): lr ((1-alpha) (1 + cos(pi min(k, steps) /
**   steps)) / 2 + alpha);  ExponentialDecay: lr factor^(k / every);
**   step_decay is ExponentialDecay with staircase=True: lr factor^floor(k /
**   every).
**   Gradient clipping: by global norm, g * clip / max(|g|, clip); by
**   value, each element into [-clip, clip].
** The model is one dense layer without bias, W [2,2], under an mse loss, on
** fixed data; the gradient is worked out here too. */

enum { OPT_ROWS = 3 };

static const double OPT_X[OPT_ROWS][2] = {{1.0, 2.0}, {-1.0, 0.5}, {0.3, -0.7}};
static const double OPT_T[OPT_ROWS][2] = {{0.2, -0.1}, {0.4, 1.0}, {-0.6, 0.3}};
static const double OPT_W0[4] = {0.5, -0.3, 0.8, 0.2};

typedef enum opt_kind { SGD, MOMENTUM, NESTEROV, ADAM, ADAMW, RMSPROP, ADAGRAD } opt_kind;
typedef enum sched_kind { CONSTANT, COSINE, EXPONENTIAL, STEP } sched_kind;

typedef struct opt_case {
  const char *train; /* the model's train line */
  opt_kind kind;
  double lr, momentum, beta1, beta2, epsilon, rho, weight_decay, accumulator;
  sched_kind schedule;
  double sched_a, sched_b; /* cosine: steps, min_lr; exponential, step: factor, every */
  double clip_norm, clip_value;
} opt_case;

/* Keras's defaults, written out per optimizer. */
#define SGD_D(lr) SGD, lr, 0, 0, 0, 0, 0, 0, 0
#define MOM_D(kind, lr, m) kind, lr, m, 0, 0, 0, 0, 0, 0
#define ADAM_D(lr, b1, b2, eps) ADAM, lr, 0, b1, b2, eps, 0, 0, 0
#define ADAMW_D(lr, wd) ADAMW, lr, 0, 0.9, 0.999, 1e-7, 0, wd, 0
#define RMS_D(lr, rho, m, eps) RMSPROP, lr, m, 0, 0, eps, rho, 0, 0
#define ADAGRAD_D(lr, acc) ADAGRAD, lr, 0, 0, 0, 1e-7, 0, 0, acc
#define NO_SCHEDULE CONSTANT, 0, 0
#define NO_CLIP 0, 0

static const opt_case OPTIMIZERS[] = {
    {"train sgd(lr=0.1) minimizes l", SGD_D(0.1), NO_SCHEDULE, NO_CLIP},
    {"train sgd minimizes l", SGD_D(0.01), NO_SCHEDULE, NO_CLIP},
    {"train momentum(lr=0.1, momentum=0.5) minimizes l", MOM_D(MOMENTUM, 0.1, 0.5),
     NO_SCHEDULE, NO_CLIP},
    {"train momentum(lr=0.05) minimizes l", MOM_D(MOMENTUM, 0.05, 0.9), NO_SCHEDULE, NO_CLIP},
    {"train nesterov(lr=0.1, momentum=0.7) minimizes l", MOM_D(NESTEROV, 0.1, 0.7),
     NO_SCHEDULE, NO_CLIP},
    {"train nesterov minimizes l", MOM_D(NESTEROV, 0.01, 0.9), NO_SCHEDULE, NO_CLIP},
    {"train adam(lr=0.01, beta1=0.8, beta2=0.99, epsilon=1e-3) minimizes l",
     ADAM_D(0.01, 0.8, 0.99, 1e-3), NO_SCHEDULE, NO_CLIP},
    {"train adam minimizes l", ADAM_D(0.001, 0.9, 0.999, 1e-7), NO_SCHEDULE, NO_CLIP},
    {"train adamw(lr=0.01, weight_decay=0.1) minimizes l", ADAMW_D(0.01, 0.1), NO_SCHEDULE,
     NO_CLIP},
    {"train adamw(lr=0.01) minimizes l", ADAMW_D(0.01, 0.004), NO_SCHEDULE, NO_CLIP},
    {"train rmsprop(lr=0.01, rho=0.8) minimizes l", RMS_D(0.01, 0.8, 0, 1e-7), NO_SCHEDULE,
     NO_CLIP},
    {"train rmsprop(lr=0.01, momentum=0.5, epsilon=1e-4) minimizes l",
     RMS_D(0.01, 0.9, 0.5, 1e-4), NO_SCHEDULE, NO_CLIP},
    {"train rmsprop minimizes l", RMS_D(0.001, 0.9, 0, 1e-7), NO_SCHEDULE, NO_CLIP},
    {"train adagrad(lr=0.1, initial_accumulator=0) minimizes l", ADAGRAD_D(0.1, 0),
     NO_SCHEDULE, NO_CLIP},
    /* schedules */
    {"train sgd(lr=0.1, schedule=cosine_decay(steps=4, min_lr=0.01)) minimizes l", SGD_D(0.1),
     COSINE, 4, 0.01, NO_CLIP},
    {"train sgd(lr=0.1, schedule=exponential_decay(factor=0.5)) minimizes l", SGD_D(0.1),
     EXPONENTIAL, 0.5, 1, NO_CLIP},
    {"train momentum(lr=0.1, momentum=0.5, schedule=exponential_decay(factor=0.5, every=2)) "
     "minimizes l",
     MOM_D(MOMENTUM, 0.1, 0.5), EXPONENTIAL, 0.5, 2, NO_CLIP},
    {"train sgd(lr=0.1, schedule=step_decay(every=2, factor=0.3)) minimizes l", SGD_D(0.1),
     STEP, 0.3, 2, NO_CLIP},
    {"train sgd(lr=0.1, schedule=step_decay(every=1)) minimizes l", SGD_D(0.1), STEP, 0.1, 1,
     NO_CLIP},
    {"train adamw(lr=0.01, weight_decay=0.1, schedule=cosine_decay(steps=3)) minimizes l",
     ADAMW_D(0.01, 0.1), COSINE, 3, 0, NO_CLIP},
    /* clipping (one weight tensor: global and per-tensor norms agree) */
    {"train sgd(lr=0.1) minimizes l with clip_norm=0.05", SGD_D(0.1), NO_SCHEDULE, 0.05, 0},
    {"train momentum(lr=0.1, momentum=0.5) minimizes l with clip_norm=0.2",
     MOM_D(MOMENTUM, 0.1, 0.5), NO_SCHEDULE, 0.2, 0},
    {"train sgd(lr=0.1) minimizes l with clip_value=0.02", SGD_D(0.1), NO_SCHEDULE, 0, 0.02},
    {NULL, SGD_D(0), NO_SCHEDULE, NO_CLIP},
};

/* Adagrad's accumulator starts at initial_accumulator (Keras: 0.1). */
static const opt_case ADAGRAD_START[] = {
    {"train adagrad(lr=0.1) minimizes l", ADAGRAD_D(0.1, 0.1), NO_SCHEDULE, NO_CLIP},
    {"train adagrad(lr=0.1, initial_accumulator=0.5) minimizes l", ADAGRAD_D(0.1, 0.5),
     NO_SCHEDULE, NO_CLIP},
    {NULL, SGD_D(0), NO_SCHEDULE, NO_CLIP},
};

/* d mse(x W, t) / dW, mean over all OPT_ROWS * 2 elements. */
static void opt_gradient(const double w[4], double g[4]) {
  memset(g, 0, 4 * sizeof *g);
  for (int r = 0; r < OPT_ROWS; r++)
    for (int j = 0; j < 2; j++) {
      double p = OPT_X[r][0] * w[0 * 2 + j] + OPT_X[r][1] * w[1 * 2 + j];
      double dp = 2 * (p - OPT_T[r][j]) / (OPT_ROWS * 2);
      for (int i = 0; i < 2; i++) g[i * 2 + j] += OPT_X[r][i] * dp;
    }
}

static double opt_lr(const opt_case *c, int k) { /* k: 0-based iteration */
  if (c->schedule == COSINE) {
    double steps = c->sched_a, alpha = c->sched_b / c->lr;
    double decayed = 0.5 * (1 + cos(3.141592653589793 * fmin(k, steps) / steps));
    return c->lr * ((1 - alpha) * decayed + alpha);
  }
  if (c->schedule == EXPONENTIAL) return c->lr * pow(c->sched_a, k / c->sched_b);
  if (c->schedule == STEP) return c->lr * pow(c->sched_a, floor(k / c->sched_b));
  return c->lr;
}

/* One reference step t (1-based) with slots s1, s2. */
static void opt_reference_step(const opt_case *c, int t, double w[4], double s1[4],
                               double s2[4]) {
  double g[4];
  opt_gradient(w, g);
  double norm = 0;
  for (int i = 0; i < 4; i++) norm += g[i] * g[i];
  norm = sqrt(norm);
  for (int i = 0; i < 4; i++) {
    if (c->clip_norm > 0) g[i] = g[i] * c->clip_norm / fmax(norm, c->clip_norm);
    if (c->clip_value > 0) g[i] = fmin(fmax(g[i], -c->clip_value), c->clip_value);
  }
  double lr = opt_lr(c, t - 1);
  for (int i = 0; i < 4; i++) {
    switch (c->kind) {
    case SGD: w[i] -= lr * g[i]; break;
    case MOMENTUM:
      s1[i] = c->momentum * s1[i] - lr * g[i];
      w[i] += s1[i];
      break;
    case NESTEROV:
      s1[i] = c->momentum * s1[i] - lr * g[i];
      w[i] += c->momentum * s1[i] - lr * g[i];
      break;
    case ADAMW: w[i] -= lr * c->weight_decay * w[i]; /* fall through */
    case ADAM: {
      s1[i] = c->beta1 * s1[i] + (1 - c->beta1) * g[i];
      s2[i] = c->beta2 * s2[i] + (1 - c->beta2) * g[i] * g[i];
      double alpha = lr * sqrt(1 - pow(c->beta2, t)) / (1 - pow(c->beta1, t));
      w[i] -= alpha * s1[i] / (sqrt(s2[i]) + c->epsilon);
      break;
    }
    case RMSPROP: {
      s1[i] = c->rho * s1[i] + (1 - c->rho) * g[i] * g[i];
      double inc = lr * g[i] / sqrt(s1[i] + c->epsilon);
      if (c->momentum > 0) {
        s2[i] = c->momentum * s2[i] + inc;
        w[i] -= s2[i];
      } else {
        w[i] -= inc;
      }
      break;
    }
    case ADAGRAD:
      if (t == 1) s1[i] = c->accumulator;
      s1[i] += g[i] * g[i];
      w[i] -= lr * g[i] / sqrt(s1[i] + c->epsilon);
      break;
    }
  }
}

/* Runs one case for three steps; returns the number of mismatches. */
static int check_optimizer(const opt_case *c) {
  char text[1024];
  snprintf(text, sizeof text,
           "model opt\n"
           "input x : f32[batch, 2]\n"
           "input t : f32[batch, 2]\n"
           "p = dense(x, 2, use_bias=false, name=\"w\")\n"
           "loss l = mse(p, t)\n"
           "%s\n",
           c->train);
  netc_model *m = compile_text("opt.net", text);
  CU_ASSERT_PTR_NOT_NULL(m);
  if (!m) return 1;
  netc_session *s = session(m, 1, OPT_ROWS, 1);
  if (!s) {
    netc_model_destroy(m);
    return 1;
  }
  float x[OPT_ROWS * 2], t[OPT_ROWS * 2], w0[4];
  for (int r = 0; r < OPT_ROWS; r++)
    for (int j = 0; j < 2; j++) {
      x[r * 2 + j] = (float)OPT_X[r][j];
      t[r * 2 + j] = (float)OPT_T[r][j];
    }
  double w[4], s1[4] = {0}, s2[4] = {0};
  for (int i = 0; i < 4; i++) w0[i] = (float)(w[i] = OPT_W0[i]);
  CU_ASSERT_EQUAL(netc_session_set_weight(s, "w/kernel", w0, 4), NETC_OK);
  netc_feed f[2] = {feed("x", NETC_F32, x, 2, OPT_ROWS, 2, 0, 0),
                    feed("t", NETC_F32, t, 2, OPT_ROWS, 2, 0, 0)};
  int bad = 0;
  for (int step = 1; step <= 3; step++) {
    netc_status st = netc_session_run(s, "train", f, 2, NULL, 0, NULL);
    CU_ASSERT_EQUAL(st, NETC_OK);
    opt_reference_step(c, step, w, s1, s2);
    float got[4];
    CU_ASSERT_EQUAL(netc_session_get_weight(s, "w/kernel", got, 4), NETC_OK);
    for (int i = 0; i < 4; i++)
      if (!(fabs(got[i] - w[i]) <= 2e-6 * (1 + fabs(w[i])))) {
        if (!bad)
          fprintf(stderr, "\n  %s: step %d: w[%d] = %.9g, Keras's rule gives %.9g\n", c->train,
                  step, i, got[i], w[i]);
        bad++;
      }
    /* the weights moved from the start by more than the tolerance */
    if (step == 1) CU_ASSERT(fabs(w[0] - OPT_W0[0]) > 1e-4);
  }
  CU_ASSERT_EQUAL(netc_session_step(s), 3);
  netc_session_destroy(s);
  netc_model_destroy(m);
  return bad;
}

static void test_optimizers(void) {
  int failed = 0;
  for (const opt_case *c = OPTIMIZERS; c->train; c++) failed += check_optimizer(c) != 0;
  for (const opt_case *c = ADAGRAD_START; c->train; c++) failed += check_optimizer(c) != 0;
  CU_ASSERT_EQUAL(failed, 0);
}

/* Real data: the MNIST CNN trained on the first 512 Fashion-MNIST images
** (2 epochs of batch 32, dropout and shuffling on) brings the loss on the
** next 256 images well below chance (ln 10 = 2.30), and the same run with
** 1 and 2 threads ends with the same bits. Skipped without the dataset. */
static void test_fashion_mnist_subset(void) {
  const char *dir = "/usr/share/datasets/fashion-mnist";
  netc_idx_options io = {NULL, NULL, 768, 0};
  netc_dataset *all = NULL, *train = NULL, *held = NULL;
  netc_error err;
  if (netc_dataset_load_idx("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                            "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
                            &io, &all, &err) != NETC_OK) {
    printf("\n  (skipped: %s not installed)\n", dir);
    return;
  }
  CU_ASSERT_EQUAL_FATAL(netc_dataset_slice(all, 0, 512, &train, &err), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_slice(all, 512, 256, &held, &err), NETC_OK);
  netc_model *m = compile_model_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  enum { WEIGHTS = 9216 * 128 };
  static float weights[2][WEIGHTS];
  for (int threads = 1; threads <= 2; threads++) {
    netc_session_options so = {11, 32, threads};
    netc_session *s = NULL;
    CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &so, &s), NETC_OK);
    netc_fit_options fo = {0};
    fo.epochs = 2;
    fo.batch_size = 32;
    CU_ASSERT_EQUAL_FATAL(netc_session_fit(s, train, &fo), NETC_OK);
    const char *names[4];
    double values[4];
    int count = 0;
    CU_ASSERT_EQUAL(netc_session_evaluate(s, held, 32, names, values, 4, &count), NETC_OK);
    CU_ASSERT_EQUAL(count, 2);
    CU_ASSERT_STRING_EQUAL(names[0], "xent");
    CU_ASSERT(values[0] < 1.2);  /* chance is 2.30 */
    CU_ASSERT(values[1] > 0.55); /* chance is 0.10 */
    CU_ASSERT_EQUAL(netc_session_get_weight(s, "dense/kernel", weights[threads - 1], WEIGHTS),
                    NETC_OK);
    netc_session_destroy(s);
  }
  CU_ASSERT_EQUAL(memcmp(weights[0], weights[1], sizeof weights[0]), 0);
  netc_model_destroy(m);
  netc_dataset_destroy(all);
  netc_dataset_destroy(train);
  netc_dataset_destroy(held);
}

/* IDX labels load as i32 classes or, on request, as one-hot f32 rows. */
static void test_idx_one_hot(void) {
  const char *image_file = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  const char *label_file = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
  netc_idx_options sparse = {NULL, NULL, 50, 0}, dense = {NULL, "target", 50, 1};
  netc_dataset *a = NULL, *b = NULL;
  netc_error err;
  if (netc_dataset_load_idx(image_file, label_file, &sparse, &a, &err) != NETC_OK) return;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_load_idx(image_file, label_file, &dense, &b, &err), NETC_OK);
  netc_tensor classes, rows, image;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_column(a, "label", &classes), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_column(b, "target", &rows), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_column(b, "image", &image), NETC_OK);
  CU_ASSERT_EQUAL(image.rank, 4);
  CU_ASSERT_EQUAL(rows.dtype, NETC_F32);
  CU_ASSERT_EQUAL(rows.rank, 2);
  CU_ASSERT_EQUAL(rows.dims[0], 50);
  CU_ASSERT_EQUAL(rows.dims[1], 10);
  for (int i = 0; i < 50; i++) {
    const float *row = (const float *)rows.data + i * rows.dims[1];
    float sum = 0;
    for (int k = 0; k < rows.dims[1]; k++) sum += row[k];
    CU_ASSERT_EQUAL(sum, 1.0f);
    CU_ASSERT_EQUAL(row[((const int32_t *)classes.data)[i]], 1.0f);
  }
  netc_dataset_destroy(a);
  netc_dataset_destroy(b);
}

/* u8 image columns feed f32 inputs (rescaled); with augmentation attached,
** training draws each image through it, the same way for the same seed. */
static double train_images(netc_model *m, const netc_dataset *d, float *kernel) {
  netc_session_options so = {5, 8, 2};
  netc_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &so, &s), NETC_OK);
  netc_fit_options fo = {0};
  fo.epochs = 3;
  fo.batch_size = 8;
  CU_ASSERT_EQUAL(netc_session_fit(s, d, &fo), NETC_OK);
  const char *names[2];
  double values[2];
  int count = 0;
  CU_ASSERT_EQUAL(netc_session_evaluate(s, d, 8, names, values, 2, &count), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "logits/kernel", kernel, 6 * 6 * 3 * 2), NETC_OK);
  netc_session_destroy(s);
  return values[0];
}

static void test_image_batches(void) {
  netc_model *m = compile_text("img.net",
                               "model img\n"
                               "input image : f32[batch, 6, 6, 3]\n"
                               "input label : i32[batch]\n"
                               "logits = dense(flatten(image), 2)\n"
                               "loss xent = sparse_cross_entropy(logits, label)\n"
                               "train sgd(lr=0.05) minimizes xent\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  enum { N = 16, PIXELS = 6 * 6 * 3 };
  static uint8_t pixels[N * PIXELS];
  int32_t classes[N];
  for (int i = 0; i < N; i++) {
    classes[i] = i % 2; /* class 1 is bright on the left half */
    for (int p = 0; p < PIXELS; p++)
      pixels[i * PIXELS + p] = (uint8_t)(classes[i] && (p / 3) % 6 < 3 ? 220 : 30 + (i * 7 + p) % 20);
  }
  netc_tensor image = {NETC_U8, 4, {N, 6, 6, 3}, pixels};
  netc_tensor label = {NETC_I32, 1, {N}, classes};
  netc_dataset *d = NULL;
  netc_error err;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_create(&d), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_add(d, "image", &image, &err), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_add(d, "label", &label, &err), NETC_OK);
  static float plain[2][6 * 6 * 3 * 2], augmented[2][6 * 6 * 3 * 2];
  double loss = train_images(m, d, plain[0]);
  CU_ASSERT(loss < 0.69); /* learns from rescaled pixels (chance: ln 2) */
  netc_augment a = {1, 20.0, 0.1, 0.1, 0.1, 1.0 / 255.0};
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, "image", &a, &err), NETC_OK);
  train_images(m, d, augmented[0]);
  train_images(m, d, augmented[1]);
  CU_ASSERT_EQUAL(memcmp(augmented[0], augmented[1], sizeof augmented[0]), 0);
  CU_ASSERT_NOT_EQUAL(memcmp(plain[0], augmented[0], sizeof plain[0]), 0);

  /* fit makes each next augmented batch on a helper thread during the
  ** step: the same bits as feeding the rows training shows, batch by batch */
  netc_session_options so = {5, 4, 2};
  netc_session *fitted = NULL, *stepped = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &so, &fitted), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &so, &stepped), NETC_OK);
  netc_fit_options fo = {0};
  fo.epochs = 1;
  fo.batch_size = 4;
  fo.no_shuffle = 1;
  CU_ASSERT_EQUAL(netc_session_fit(fitted, d, &fo), NETC_OK);
  static float batch[4 * PIXELS];
  for (int first = 0; first < N; first += 4) {
    CU_ASSERT_EQUAL(netc_dataset_augmented_images(d, "image", 5, 0, first, 4, batch, &err), NETC_OK);
    netc_feed f[2] = {feed("image", NETC_F32, batch, 4, 4, 6, 6, 3),
                      feed("label", NETC_I32, classes + first, 1, 4, 0, 0, 0)};
    CU_ASSERT_EQUAL(netc_session_run(stepped, "train", f, 2, NULL, 0, NULL), NETC_OK);
  }
  static float w_fitted[PIXELS * 2], w_stepped[PIXELS * 2];
  CU_ASSERT_EQUAL(netc_session_get_weight(fitted, "logits/kernel", w_fitted, PIXELS * 2), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_get_weight(stepped, "logits/kernel", w_stepped, PIXELS * 2), NETC_OK);
  CU_ASSERT_EQUAL(memcmp(w_fitted, w_stepped, sizeof w_fitted), 0);
  netc_session_destroy(fitted);
  netc_session_destroy(stepped);
  netc_dataset_destroy(d);
  netc_model_destroy(m);
}

/* ------------------------------------------------------------ profile */

/* Per-op counters: off by default, then every op of a run once per run,
** with the FLOPs of the run's batch (conv2d: 2 * outputs * 3*3*1). */
static void test_profile(void) {
  netc_model *m = compile_model_file("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = session(m, 1, MNIST_MAX, 1);
  mnist_data(3);
  netc_feed f[2];
  mnist_feeds(f, 4);
  const char *probs[] = {"probs"};
  netc_tensor out;
  netc_op_profile ops[64];
  int count = -1;
  CU_ASSERT_EQUAL(netc_session_run(s, "predict", f, 1, probs, 1, &out), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_profile(s, ops, 64, &count), NETC_OK);
  CU_ASSERT_EQUAL(count, 0);
  CU_ASSERT_EQUAL(netc_session_profile_enable(s, 1), NETC_OK);
  for (int i = 0; i < 2; i++)
    CU_ASSERT_EQUAL(netc_session_run(s, "predict", f, 1, probs, 1, &out), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_profile(s, ops, 64, &count), NETC_OK);
  CU_ASSERT(count > 4 && count <= 64);
  int convs = 0;
  for (int i = 0; i < count && i < 64; i++) {
    CU_ASSERT_EQUAL(ops[i].calls, 2);
    CU_ASSERT(ops[i].seconds >= 0);
    if (strcmp(ops[i].op, "conv2d") || strcmp(ops[i].layer, "conv2d")) continue;
    convs++;
    CU_ASSERT_DOUBLE_EQUAL(ops[i].flops, 2.0 * 2 * 4 * 26 * 26 * 32 * 9, 0.5);
    CU_ASSERT(ops[i].seconds > 0);
  }
  CU_ASSERT_EQUAL(convs, 1);
  CU_ASSERT_EQUAL(netc_session_profile_enable(s, 0), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_profile(s, ops, 64, &count), NETC_OK);
  CU_ASSERT_EQUAL(count, 0);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

static const test_case TESTS[] = {
    {"u8 image batches, rescaled and augmented", test_image_batches},
    {"IDX labels as classes or one-hot rows", test_idx_one_hot},
    {"feeds, entries and fetches are checked", test_feed_errors},
    {"Fashion-MNIST subset: loss falls, threads give the same bits", test_fashion_mnist_subset},
    {"MNIST overfits a fixed batch", test_mnist_overfits},
    {"same seed, same bits; threads do not matter", test_determinism},
    {"a smaller batch gives the same rows", test_smaller_batch},
    {"CartPole: sync_target and the frozen target", test_cartpole},
    {"NaN tripwire names the op and its line", test_nan_tripwire},
    {"fetched values do not depend on the fetch set", test_fetch_intermediate},
    {"fused bias and relu give the bits of separate ops", test_fused_epilogues},
    {"optimizers, schedules and clipping follow Keras", test_optimizers},
    {"per-op profile counts runs, time and FLOPs", test_profile},
    {NULL, NULL},
};

#include "tests/unit/cunit_main.h"
