/*
** test_memory_plan.c: the memory `netc summary` reports is what a session
** allocates. netc_model_memory_plan (whose figures the summary prints) is
** compared with the session's own plans (runtime/session.h) after the
** session really ran them:
**   - the predict arena after a predict run fetching every output;
**   - the train arena after netc_session_fit (a train run with the
**     entry's losses and metrics);
**   - the session's arena buffer holds the larger of the two;
**   - the weights and slots figures are the parameter counts in bytes;
**   - the arena reuses memory: it is smaller than the sum of the values
**     it holds.
** on the MNIST CNN and the CartPole DQN, at a batch other than the model's.
**
** To add a test: write `static void test_x(void)` and list it in TESTS at
** the end.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "netc.h"
#include "runtime/session.h"
#include "tests/unit/test_case.h"

enum { BATCH = 12, ROWS = 2 * BATCH };

static float values[ROWS * 28 * 28];
static int32_t ints[ROWS];

static const char *model_path(const char *name) {
  static char path[1024];
  const char *top = getenv("top_srcdir");
  snprintf(path, sizeof path, "%s/models/%s", top && *top ? top : "..", name);
  return path;
}

/* The plan the session made for `entry` (the most recent one). */
static const rt_plan *session_plan(const netc_session *s, const char *entry) {
  for (const rt_plan *p = s->plans; p; p = p->next)
    if (strcmp(s->g->entries[p->entry].name, entry) == 0) return p;
  return NULL;
}

/* Bytes of every arena value of a plan, each in its own buffer. */
static size_t unshared_bytes(const netc_session *s, const rt_plan *p) {
  size_t total = 0;
  for (int t = 0; t < p->n_order; t++) {
    const cc_node *n = &s->g->nodes[p->order[t]];
    if (p->storage[p->order[t]] != RT_IN_ARENA) continue;
    size_t elements = 1;
    for (int d = 0; d < n->shape.rank; d++)
      elements *= (size_t)(CC_DIM_IS_SYMBOL(n->shape.dim[d]) ? s->max_batch : n->shape.dim[d]);
    total += elements * rt_dtype_size(n->dtype);
  }
  return total;
}

/* A dataset of ROWS random rows for every input of the model. */
static netc_dataset *random_dataset(const netc_model *m) {
  netc_dataset *d = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_create(&d), NETC_OK);
  for (int i = 0; i < ROWS * 28 * 28; i++) values[i] = (float)(i % 97) / 97.0f;
  for (int i = 0; i < ROWS; i++) ints[i] = i % 2;
  static const char *const names[] = {"image", "label", "state", "next_state",
                                      "action", "reward", "done"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    netc_tensor column;
    if (netc_model_input(m, names[i], &column) != NETC_OK) continue;
    column.dims[0] = ROWS;
    column.data = column.dtype == NETC_I32 ? (void *)ints : (void *)values;
    CU_ASSERT_EQUAL(netc_dataset_add(d, names[i], &column, NULL), NETC_OK);
  }
  return d;
}

static void check_model(const char *file, const char *output) {
  netc_model *m = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_model_compile_file(model_path(file), NULL, &m), NETC_OK);
  netc_memory_plan plan;
  CU_ASSERT_EQUAL_FATAL(netc_model_memory_plan(m, BATCH, &plan), NETC_OK);
  CU_ASSERT_EQUAL(plan.batch, BATCH);
  int64_t trainable = 0, frozen = 0;
  CU_ASSERT_EQUAL(netc_model_param_counts(m, &trainable, &frozen), NETC_OK);
  CU_ASSERT_EQUAL(plan.weights, 4 * (trainable + frozen));

  netc_session_options opt = {.seed = 1, .max_batch = BATCH, .threads = 2};
  netc_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &opt, &s), NETC_OK);
  netc_dataset *d = random_dataset(m);
  float *out = malloc(ROWS * 10 * sizeof *out);
  CU_ASSERT_EQUAL(netc_session_predict(s, d, BATCH, output, out, ROWS * 10, NULL), NETC_OK);
  const rt_plan *predict = session_plan(s, "predict");
  CU_ASSERT_PTR_NOT_NULL_FATAL(predict);
  CU_ASSERT_EQUAL((int64_t)predict->arena_bytes, plan.predict_arena);
  CU_ASSERT((int64_t)s->arena_bytes >= plan.predict_arena);
  CU_ASSERT(predict->arena_bytes < unshared_bytes(s, predict));

  netc_fit_options fit = {.epochs = 1, .batch_size = BATCH};
  CU_ASSERT_EQUAL(netc_session_fit(s, d, &fit), NETC_OK);
  const rt_plan *train = session_plan(s, "train");
  CU_ASSERT_PTR_NOT_NULL_FATAL(train);
  CU_ASSERT_EQUAL((int64_t)train->arena_bytes, plan.train_arena);
  CU_ASSERT(train->arena_bytes < unshared_bytes(s, train));
  int64_t larger = plan.train_arena > plan.predict_arena ? plan.train_arena : plan.predict_arena;
  CU_ASSERT((int64_t)s->arena_bytes >= larger);
  CU_ASSERT((int64_t)s->arena_bytes <= larger + 64); /* alignment slack only */
  CU_ASSERT(plan.slots > 0);
  CU_ASSERT(plan.scratch_per_thread <= (int64_t)(s->scratch_floats * sizeof(float)));

  free(out);
  netc_dataset_destroy(d);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

static void test_mnist(void) { check_model("mnist.net", "probs"); }
static void test_cartpole(void) { check_model("cartpole_dqn.net", "q"); }

/* The default batch is the one a session plans for: the model's setting. */
static void test_default_batch(void) {
  netc_model *m = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_model_compile_file(model_path("mnist.net"), NULL, &m), NETC_OK);
  netc_memory_plan plan, at128;
  CU_ASSERT_EQUAL(netc_model_memory_plan(m, 0, &plan), NETC_OK);
  CU_ASSERT_EQUAL(netc_model_memory_plan(m, 128, &at128), NETC_OK);
  CU_ASSERT_EQUAL(plan.batch, 128);
  CU_ASSERT_EQUAL(memcmp(&plan, &at128, sizeof plan), 0);
  CU_ASSERT_EQUAL(netc_model_memory_plan(m, -1, &plan), NETC_EINVAL);
  netc_model_destroy(m);
}

static const test_case TESTS[] = {
    {"MNIST: the planned arenas are the session's", test_mnist},
    {"CartPole DQN: the planned arenas are the session's", test_cartpole},
    {"the default batch is the model's", test_default_batch},
    {0},
};

#include "tests/unit/cunit_main.h"
