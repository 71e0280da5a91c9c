/*
** test_misuse.c: the public API called wrongly. Every function of netc.h
** gets NULL for each handle and pointer argument in turn: functions that
** return a status return NETC_EINVAL (and fill the netc_error or the
** handle's message where they have one), getters return their documented
** empty value, destroy functions accept NULL; none crashes. Then wrong
** names and types through a live session: an unknown entry point, input or
** fetch, a feed of the wrong dtype or shape, each with a message that
** names it. In a debug build (configure --enable-debug, as tools/check.sh
** builds for the sanitizers), a destroyed session and a session used by
** two threads at once are refused too.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "netc.h"
#include "tests/unit/test_case.h"

static const char MODEL[] =
    "model misuse\n"
    "input x : f32[batch, 3]\n"
    "input label : i32[batch]\n"
    "logits = dense(x, 2)\n"
    "output probs = softmax(logits)\n"
    "loss xent = sparse_cross_entropy(logits, label)\n"
    "train sgd(lr=0.1) minimizes xent with batch=4\n";

/* A status call that must refuse: NETC_EINVAL. */
#define EXPECT_EINVAL(call) CU_ASSERT_EQUAL((call), NETC_EINVAL)

/* A status call that must refuse with a message in `e`. */
#define EXPECT_EINVAL_MESSAGE(call, e)      \
  do {                                      \
    (e).message[0] = '\0';                  \
    CU_ASSERT_EQUAL((call), NETC_EINVAL);   \
    CU_ASSERT((e).message[0] != '\0');      \
  } while (0)

static int sink(const char *data, size_t size, void *user) {
  (void)data, (void)size, (void)user;
  return 0;
}

static netc_model *compile_model(void) {
  netc_model *m = NULL;
  CU_ASSERT_EQUAL(netc_model_compile_source("misuse.net", MODEL, sizeof MODEL - 1, NULL, &m),
                  NETC_OK);
  return m;
}

/* Eight rows for the model's x and label: zeros, labels 0 1 0 1 ... */
static netc_dataset *eight_rows(void) {
  float xs[24] = {0};
  int32_t labels[8] = {0, 1, 0, 1, 0, 1, 0, 1};
  netc_tensor x = {NETC_F32, 2, {8, 3}, xs}, label = {NETC_I32, 1, {8}, labels};
  netc_dataset *d = NULL;
  netc_error e;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_create(&d), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_add(d, "x", &x, &e), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_add(d, "label", &label, &e), NETC_OK);
  return d;
}

static void test_null_model_and_compile(void) {
  netc_model *m = NULL;
  EXPECT_EINVAL(netc_model_compile_file(NULL, NULL, &m));
  CU_ASSERT_PTR_NULL(m);
  EXPECT_EINVAL(netc_model_compile_file("x.net", NULL, NULL));
  EXPECT_EINVAL(netc_model_compile_source("x.net", NULL, 3, NULL, &m));
  EXPECT_EINVAL(netc_model_compile_source("x.net", MODEL, sizeof MODEL - 1, NULL, NULL));
  CU_ASSERT_PTR_NULL(m);
  netc_model_destroy(NULL);
  CU_ASSERT_PTR_NULL(netc_model_name(NULL));
  int64_t a, b;
  EXPECT_EINVAL(netc_model_param_counts(NULL, &a, &b));
  EXPECT_EINVAL(netc_model_write_summary(NULL, sink, NULL));
  EXPECT_EINVAL(netc_model_write_dot(NULL, sink, NULL));
  netc_tensor t;
  EXPECT_EINVAL(netc_model_input(NULL, NULL, &t));
  CU_ASSERT_EQUAL(netc_tensor_elements(NULL), 0);
  m = compile_model();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  EXPECT_EINVAL(netc_model_write_summary(m, NULL, NULL));
  EXPECT_EINVAL(netc_model_write_dot(m, NULL, NULL));
  EXPECT_EINVAL(netc_model_input(m, "x", NULL));
  CU_ASSERT_EQUAL(netc_model_input(m, "nope", &t), NETC_ENOTFOUND);
  CU_ASSERT_EQUAL(netc_model_param_counts(m, NULL, NULL), NETC_OK);
  netc_model_destroy(m);
}

static void test_null_session(void) {
  netc_model *m = compile_model();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = NULL;
  EXPECT_EINVAL(netc_session_create(NULL, NULL, &s));
  CU_ASSERT_PTR_NULL(s);
  EXPECT_EINVAL(netc_session_create(m, NULL, NULL));
  netc_session_destroy(NULL);
  CU_ASSERT_PTR_NOT_NULL(netc_session_error(NULL));
  CU_ASSERT_EQUAL(netc_session_step(NULL), 0);
  CU_ASSERT_EQUAL(netc_session_world_size(NULL), 0);
  netc_tensor result;
  EXPECT_EINVAL(netc_session_run(NULL, "predict", NULL, 0, NULL, 0, &result));
  float w[6];
  EXPECT_EINVAL(netc_session_get_weight(NULL, "logits/kernel", w, 6));
  EXPECT_EINVAL(netc_session_set_weight(NULL, "logits/kernel", w, 6));
  netc_dataset *d = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_create(&d), NETC_OK);
  netc_fit_options fo = {0};
  EXPECT_EINVAL(netc_session_fit(NULL, d, &fo));
  const char *names[2];
  double values[2];
  int count;
  EXPECT_EINVAL(netc_session_evaluate(NULL, d, 4, names, values, 2, &count));
  EXPECT_EINVAL(netc_session_predict(NULL, d, 4, NULL, w, 6, NULL));
  EXPECT_EINVAL(netc_session_save(NULL, "x.h5"));
  EXPECT_EINVAL(netc_session_write_state(NULL, sink, NULL));

  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, NULL, &s), NETC_OK);
  /* With a session, each NULL argument gets a message from it. */
  const char *x = "x";
  EXPECT_EINVAL(netc_session_run(s, NULL, NULL, 0, NULL, 0, NULL));
  CU_ASSERT(netc_session_error(s)[0] != '\0');
  EXPECT_EINVAL(netc_session_run(s, "predict", NULL, 1, NULL, 0, NULL));
  EXPECT_EINVAL(netc_session_run(s, "predict", NULL, 0, &x, 1, NULL));
  EXPECT_EINVAL(netc_session_run(s, "predict", NULL, 0, NULL, 1, &result));
  EXPECT_EINVAL(netc_session_run(s, "predict", NULL, -1, NULL, 0, NULL));
  EXPECT_EINVAL(netc_session_get_weight(s, NULL, w, 6));
  EXPECT_EINVAL(netc_session_get_weight(s, "logits/kernel", NULL, 6));
  EXPECT_EINVAL(netc_session_set_weight(s, NULL, w, 6));
  EXPECT_EINVAL(netc_session_set_weight(s, "logits/kernel", NULL, 6));
  EXPECT_EINVAL(netc_session_fit(s, NULL, &fo));
  EXPECT_EINVAL(netc_session_evaluate(s, NULL, 4, names, values, 2, &count));
  EXPECT_EINVAL(netc_session_evaluate(s, d, 4, NULL, NULL, 2, &count));
  EXPECT_EINVAL(netc_session_predict(s, NULL, 4, NULL, w, 6, NULL));
  EXPECT_EINVAL(netc_session_predict(s, d, 4, NULL, NULL, 6, NULL));
  EXPECT_EINVAL(netc_session_save(s, NULL));
  CU_ASSERT(netc_session_error(s)[0] != '\0');
  EXPECT_EINVAL(netc_session_write_state(s, NULL, NULL));
  netc_session_destroy(s);
  netc_dataset_destroy(d);
  netc_model_destroy(m);
}

static void test_null_load(void) {
  netc_model *m = NULL;
  netc_session *s = NULL;
  netc_error e;
  EXPECT_EINVAL_MESSAGE(netc_session_load(NULL, NULL, &m, &s, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_session_load("x.h5", NULL, NULL, &s, &e), e);
  CU_ASSERT_PTR_NULL(m);
  CU_ASSERT_PTR_NULL(s);
  EXPECT_EINVAL(netc_session_load(NULL, NULL, &m, NULL, NULL));
}

static void test_null_datasets(void) {
  netc_error e;
  netc_dataset *d = NULL, *d2 = NULL;
  EXPECT_EINVAL(netc_dataset_create(NULL));
  netc_dataset_destroy(NULL);
  float values[4] = {1, 2, 3, 4};
  netc_tensor col = {NETC_F32, 1, {4}, values};
  EXPECT_EINVAL_MESSAGE(netc_dataset_add(NULL, "a", &col, &e), e);
  CU_ASSERT_EQUAL(netc_dataset_rows(NULL), 0);
  netc_tensor view;
  EXPECT_EINVAL(netc_dataset_column(NULL, "a", &view));
  EXPECT_EINVAL_MESSAGE(netc_dataset_slice(NULL, 0, 1, &d2, &e), e);
  CU_ASSERT_PTR_NULL(d2);
  EXPECT_EINVAL_MESSAGE(netc_dataset_load_idx(NULL, "l", NULL, &d2, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_dataset_load_idx("i", NULL, NULL, &d2, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_dataset_load_idx("i", "l", NULL, NULL, &e), e);
  const char *paths[1] = {"a.png"};
  EXPECT_EINVAL_MESSAGE(netc_dataset_load_image_files(NULL, 1, 4, 4, 3, NULL, &d2, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_dataset_load_image_files(paths, 1, 4, 4, 3, NULL, NULL, &e), e);
  netc_image_options io = {NULL, NULL, 4, 4, NETC_ON_ERROR_SKIP, 0, 1};
  netc_image_report report;
  EXPECT_EINVAL_MESSAGE(netc_dataset_load_images(NULL, &io, &d2, &report, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_dataset_load_images(".", NULL, &d2, &report, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_dataset_load_images(".", &io, NULL, &report, &e), e);
  CU_ASSERT_EQUAL(netc_dataset_class_count(NULL), 0);
  CU_ASSERT_PTR_NULL(netc_dataset_class_name(NULL, 0));
  netc_dataset *train = NULL, *val = NULL;
  EXPECT_EINVAL_MESSAGE(netc_dataset_split(NULL, 0.5, 1, &train, &val, &e), e);
  netc_augment aug = {0};
  EXPECT_EINVAL_MESSAGE(netc_dataset_set_augment(NULL, "a", &aug, &e), e);

  CU_ASSERT_EQUAL_FATAL(netc_dataset_create(&d), NETC_OK);
  EXPECT_EINVAL_MESSAGE(netc_dataset_add(d, NULL, &col, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_dataset_add(d, "a", NULL, &e), e);
  col.data = NULL;
  EXPECT_EINVAL_MESSAGE(netc_dataset_add(d, "a", &col, &e), e);
  col.data = values;
  CU_ASSERT_EQUAL(netc_dataset_add(d, "a", &col, &e), NETC_OK);
  EXPECT_EINVAL(netc_dataset_column(d, NULL, &view));
  EXPECT_EINVAL(netc_dataset_column(d, "a", NULL));
  EXPECT_EINVAL_MESSAGE(netc_dataset_slice(d, 0, 1, NULL, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_dataset_split(d, 0.5, 1, NULL, &val, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_dataset_split(d, 0.5, 1, &train, NULL, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_dataset_set_augment(d, NULL, &aug, &e), e);
  CU_ASSERT_EQUAL(netc_dataset_class_count(d), 0);
  CU_ASSERT_PTR_NULL(netc_dataset_class_name(d, 0));
  netc_dataset_destroy(d);
  CU_ASSERT_EQUAL(netc_progress_format(NULL, NULL, 0), -1);
}

static void test_null_rl(void) {
  netc_env *env = NULL;
  double state[4];
  EXPECT_EINVAL(netc_env_create(NULL, 1, &env));
  EXPECT_EINVAL(netc_env_create("CartPole-v1", 1, NULL));
  netc_env_destroy(NULL);
  CU_ASSERT_PTR_NOT_NULL(netc_env_error(NULL));
  EXPECT_EINVAL(netc_env_reset(NULL, state));
  EXPECT_EINVAL(netc_env_set_state(NULL, state));
  EXPECT_EINVAL(netc_env_step(NULL, 0, state, NULL, NULL, NULL));
  CU_ASSERT_EQUAL_FATAL(netc_env_create("CartPole-v1", 1, &env), NETC_OK);
  EXPECT_EINVAL(netc_env_reset(env, NULL));
  EXPECT_EINVAL(netc_env_set_state(env, NULL));
  CU_ASSERT(netc_env_error(env)[0] != '\0');
  netc_env_destroy(env);

  netc_replay *r = NULL;
  float s4[4] = {0};
  int32_t action;
  float reward, done;
  EXPECT_EINVAL(netc_replay_create(10, 4, 1, NULL));
  netc_replay_destroy(NULL);
  CU_ASSERT_PTR_NOT_NULL(netc_replay_error(NULL));
  EXPECT_EINVAL(netc_replay_add(NULL, s4, 0, 1, s4, 0));
  CU_ASSERT_EQUAL(netc_replay_size(NULL), 0);
  EXPECT_EINVAL(netc_replay_sample(NULL, 1, s4, &action, &reward, s4, &done));
  CU_ASSERT_EQUAL_FATAL(netc_replay_create(10, 4, 1, &r), NETC_OK);
  EXPECT_EINVAL(netc_replay_add(r, NULL, 0, 1, s4, 0));
  EXPECT_EINVAL(netc_replay_add(r, s4, 0, 1, NULL, 0));
  CU_ASSERT(netc_replay_error(r)[0] != '\0');
  CU_ASSERT_EQUAL(netc_replay_add(r, s4, 0, 1, s4, 0), NETC_OK);
  EXPECT_EINVAL(netc_replay_sample(r, 1, NULL, &action, &reward, s4, &done));
  netc_replay_destroy(r);

  netc_explore *x = NULL;
  float q[2] = {0, 1};
  int a;
  EXPECT_EINVAL(netc_explore_create(1, 0.1, 10, 1, NULL));
  netc_explore_destroy(NULL);
  CU_ASSERT_EQUAL(netc_explore_epsilon(NULL), 0);
  EXPECT_EINVAL(netc_explore_select(NULL, q, 2, &a));
  CU_ASSERT_EQUAL_FATAL(netc_explore_create(1, 0.1, 10, 1, &x), NETC_OK);
  EXPECT_EINVAL(netc_explore_select(x, NULL, 2, &a));
  EXPECT_EINVAL(netc_explore_select(x, q, 2, NULL));
  netc_explore_destroy(x);

  netc_episode_stats *st = NULL;
  EXPECT_EINVAL(netc_episode_stats_create(100, NULL));
  netc_episode_stats_destroy(NULL);
  netc_episode_stats_add(NULL, 1.0);
  CU_ASSERT_EQUAL(netc_episode_stats_count(NULL), 0);
  CU_ASSERT_EQUAL(netc_episode_stats_average(NULL), 0);
  CU_ASSERT_EQUAL_FATAL(netc_episode_stats_create(100, &st), NETC_OK);
  netc_episode_stats_destroy(st);
}

/* Wrong names, dtypes and shapes through a live session: refused before
** anything runs, with a message naming what is wrong. */
static void test_wrong_feeds(void) {
  netc_model *m = compile_model();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, NULL, &s), NETC_OK);
  float xs[6] = {0};
  int32_t labels[2] = {0, 1};
  netc_feed feeds[2] = {{"x", {NETC_F32, 2, {2, 3}, xs}},
                        {"label", {NETC_I32, 1, {2}, labels}}};
  const char *probs = "probs";
  netc_tensor out;
  CU_ASSERT_EQUAL(netc_session_run(s, "predict", feeds, 1, &probs, 1, &out), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_run(s, "fly", feeds, 1, &probs, 1, &out), NETC_ENOTFOUND);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "fly"));
  const char *nope = "nope";
  CU_ASSERT_EQUAL(netc_session_run(s, "predict", feeds, 1, &nope, 1, &out), NETC_ENOTFOUND);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "nope"));
  netc_feed unknown = {"y", feeds[0].tensor};
  CU_ASSERT_NOT_EQUAL(netc_session_run(s, "predict", &unknown, 1, &probs, 1, &out), NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "'y'"));
  netc_feed wrong_dtype = {"x", {NETC_I32, 2, {2, 3}, xs}};
  CU_ASSERT_EQUAL(netc_session_run(s, "predict", &wrong_dtype, 1, &probs, 1, &out),
                  NETC_EDTYPE);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "'x'"));
  netc_feed wrong_shape = {"x", {NETC_F32, 2, {3, 2}, xs}};
  CU_ASSERT_EQUAL(netc_session_run(s, "predict", &wrong_shape, 1, &probs, 1, &out),
                  NETC_ESHAPE);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "'x'"));
  netc_feed no_data = {"x", {NETC_F32, 2, {2, 3}, NULL}};
  CU_ASSERT_NOT_EQUAL(netc_session_run(s, "predict", &no_data, 1, &probs, 1, &out), NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "has no data"));
  netc_feed bad_rank = {"x", {NETC_F32, 99, {2, 3}, xs}};
  CU_ASSERT_NOT_EQUAL(netc_session_run(s, "predict", &bad_rank, 1, &probs, 1, &out), NETC_OK);
  /* train without its label, and a missing feed, are refused too */
  CU_ASSERT_NOT_EQUAL(netc_session_run(s, "train", feeds, 1, NULL, 0, NULL), NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "label"));
  CU_ASSERT_EQUAL(netc_session_run(s, "train", feeds, 2, NULL, 0, NULL), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_step(s), 1);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* Debug builds refuse a destroyed session without touching its memory. */
static void test_destroyed_session(void) {
#ifdef NETC_DEBUG_CHECKS
  netc_model *m = compile_model();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, NULL, &s), NETC_OK);
  netc_session_destroy(s);
  netc_tensor out;
  const char *probs = "probs";
  float w[6];
  EXPECT_EINVAL(netc_session_run(s, "predict", NULL, 0, &probs, 1, &out));
  EXPECT_EINVAL(netc_session_set_weight(s, "logits/kernel", w, 6));
  EXPECT_EINVAL(netc_session_save(s, "never.h5"));
  netc_session_destroy(s); /* a second destroy is ignored */
  netc_model_destroy(m);
#else
  printf("(skipped: configure --enable-debug)");
#endif
}

#ifdef NETC_DEBUG_CHECKS
typedef struct intruder {
  netc_session *s;   /* the session the main thread is training */
  netc_status seen;  /* what a call from a second thread got */
  int calls;         /* progress callbacks so far */
} intruder;

static void *run_from_other_thread(void *arg) {
  intruder *in = arg;
  float xs[6] = {0};
  netc_feed feed = {"x", {NETC_F32, 2, {2, 3}, xs}};
  netc_tensor out;
  const char *probs = "probs";
  in->seen = netc_session_run(in->s, "predict", &feed, 1, &probs, 1, &out);
  return NULL;
}

/* Inside fit (the main thread holds the session), a second thread calls. */
static int on_progress(const netc_progress *p, void *user) {
  (void)p;
  intruder *in = user;
  if (in->calls++ == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, run_from_other_thread, in) == 0) pthread_join(t, NULL);
  }
  return 0;
}
#endif

/* Debug builds refuse a call from a second thread while one is inside. */
static void test_two_threads(void) {
#ifdef NETC_DEBUG_CHECKS
  netc_model *m = compile_model();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = NULL;
  netc_session_options o = {1, 4, 1};
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &o, &s), NETC_OK);
  netc_dataset *d = eight_rows();
  intruder in = {s, NETC_OK, 0};
  netc_fit_options fo = {.epochs = 1, .batch_size = 4, .no_shuffle = 1, .progress = on_progress,
                        .user = &in};
  CU_ASSERT_EQUAL(netc_session_fit(s, d, &fo), NETC_OK);
  CU_ASSERT(in.calls > 0);
  CU_ASSERT_EQUAL(in.seen, NETC_ESTATE);
  /* Once fit returned, the other thread may use it. */
  run_from_other_thread(&in);
  CU_ASSERT_EQUAL(in.seen, NETC_OK);
  netc_dataset_destroy(d);
  netc_session_destroy(s);
  netc_model_destroy(m);
#else
  printf("(skipped: configure --enable-debug)");
#endif
}

/* Data-parallel options where they cannot work: without MPI in the build,
** or with MPI not started by the caller; a negative timeout. Nothing is
** trained. */
static void test_distributed_misuse(void) {
  netc_model *m = compile_model();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, NULL, &s), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_world_size(s), 1);
  netc_dataset *d = eight_rows();
  long not_started = 0; /* stands for an MPI_Comm: MPI_Init never ran */
  netc_fit_options fo = {.epochs = 1, .batch_size = 4, .mpi_comm = &not_started};
  netc_status expected = netc_has_mpi() ? NETC_ESTATE : NETC_EUNSUPPORTED;
  CU_ASSERT_EQUAL(netc_session_fit(s, d, &fo), expected);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "MPI"));
  fo.comm_timeout = -1;
  CU_ASSERT_EQUAL(netc_session_fit(s, d, &fo),
                  netc_has_mpi() ? NETC_EINVAL : NETC_EUNSUPPORTED);
  CU_ASSERT_EQUAL(netc_session_step(s), 0);
  netc_dataset_destroy(d);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* The functions added with the Keras import, image folders, profiling and
** memory plans; the names of enum values outside their range. */
static void test_null_later_additions(void) {
  netc_memory_plan plan;
  double scale = 0;
  EXPECT_EINVAL(netc_model_memory_plan(NULL, 4, &plan));
  EXPECT_EINVAL(netc_model_pixel_scale(NULL, NULL, &scale));
  CU_ASSERT_EQUAL(netc_session_class_count(NULL), 0);
  CU_ASSERT_PTR_NULL(netc_session_class_name(NULL, 0));
  CU_ASSERT_EQUAL(netc_session_pixel_scale(NULL), 1);
  const char *names[1] = {"cat"};
  EXPECT_EINVAL(netc_session_set_classes(NULL, names, 1, 1));
  netc_import_report report;
  EXPECT_EINVAL(netc_session_import_keras(NULL, "w.h5", &report));
  netc_op_profile ops[2];
  int count = -1;
  EXPECT_EINVAL(netc_session_profile(NULL, ops, 2, &count));
  EXPECT_EINVAL(netc_session_profile_enable(NULL, 1));
  netc_error e;
  float pixels[4];
  EXPECT_EINVAL_MESSAGE(netc_dataset_augmented_images(NULL, "a", 1, 0, 0, 1, pixels, &e), e);
  EXPECT_EINVAL(netc_set_allocator(NULL, NULL, NULL));
  CU_ASSERT_PTR_NOT_NULL(netc_dtype_name((netc_dtype)99));
  CU_ASSERT_PTR_NOT_NULL(netc_dtype_name((netc_dtype)-1));
  CU_ASSERT_PTR_NOT_NULL(netc_status_name((netc_status)99));
  CU_ASSERT_PTR_NOT_NULL(netc_status_name((netc_status)-99));
  CU_ASSERT_PTR_NOT_NULL(netc_strerror((netc_status)99));
  CU_ASSERT_PTR_NOT_NULL(netc_strerror((netc_status)-99));

  netc_model *m = compile_model();
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  EXPECT_EINVAL(netc_model_memory_plan(m, 4, NULL));
  EXPECT_EINVAL(netc_model_pixel_scale(m, NULL, NULL));
  CU_ASSERT_EQUAL(netc_model_pixel_scale(m, "nope", &scale), NETC_ENOTFOUND);
  netc_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, NULL, &s), NETC_OK);
  /* With a session, each NULL argument gets a message from it. */
  EXPECT_EINVAL(netc_session_set_classes(s, NULL, 1, 1));
  CU_ASSERT(netc_session_error(s)[0] != '\0');
  EXPECT_EINVAL(netc_session_set_classes(s, names, -1, 1));
  EXPECT_EINVAL(netc_session_set_classes(s, names, 1, 0));
  const char *no_name[1] = {NULL};
  EXPECT_EINVAL(netc_session_set_classes(s, no_name, 1, 1));
  CU_ASSERT_EQUAL(netc_session_class_count(s), 0);
  CU_ASSERT_PTR_NULL(netc_session_class_name(s, 0));
  CU_ASSERT_PTR_NULL(netc_session_class_name(s, -1));
  CU_ASSERT_EQUAL(netc_session_pixel_scale(s), 1);
  EXPECT_EINVAL(netc_session_import_keras(s, NULL, &report));
  CU_ASSERT(netc_session_error(s)[0] != '\0');
  EXPECT_EINVAL(netc_session_profile(s, NULL, 2, &count));
  /* count may be NULL; out too when nothing is to be copied */
  CU_ASSERT_EQUAL(netc_session_profile(s, ops, 2, NULL), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_profile(s, NULL, -1, &count), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_profile(s, NULL, 0, &count), NETC_OK);
  CU_ASSERT_EQUAL(count, 0);
  netc_session_destroy(s);
  netc_model_destroy(m);

  netc_dataset *d = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_create(&d), NETC_OK);
  EXPECT_EINVAL_MESSAGE(netc_dataset_augmented_images(d, NULL, 1, 0, 0, 1, pixels, &e), e);
  EXPECT_EINVAL_MESSAGE(netc_dataset_augmented_images(d, "a", 1, 0, 0, 1, NULL, &e), e);
  netc_dataset_destroy(d);
}

static const test_case TESTS[] = {
    {"NULL arguments: models and compiling", test_null_model_and_compile},
    {"NULL arguments: sessions", test_null_session},
    {"NULL arguments: loading", test_null_load},
    {"NULL arguments: datasets", test_null_datasets},
    {"NULL arguments: environments, replay, exploration, stats", test_null_rl},
    {"NULL arguments: classes, profiles, plans, Keras import, names",
     test_null_later_additions},
    {"wrong entry points, names, dtypes and shapes", test_wrong_feeds},
    {"data-parallel options without MPI running", test_distributed_misuse},
    {"debug build: a destroyed session", test_destroyed_session},
    {"debug build: two threads on one session", test_two_threads},
    {0},
};

#include "tests/unit/cunit_main.h"
