/*
** test_alloc.c: a steady-state step allocates nothing. The binary defines
** malloc, calloc, realloc, free and the aligned allocators itself, counting
** every call (OpenBLAS's, HDF5's and the C library's included, from any
** thread) before handing it to glibc's own __libc_* functions. After a few
** warm-up steps (plans, scratch, OpenBLAS's buffers), further steps must
** leave the count where it was:
**   - netc_session_run of predict, evaluate and train on the MNIST CNN, with
**     1 and 2 threads (per-op profiling on), and of the CartPole DQN's train and sync_target;
**   - netc_session_fit: the count seen by the progress callback after each
**     batch stays put from the third batch of an epoch on.
** Under AddressSanitizer, which owns malloc, the binary skips (exit 77).
**
** To add a test: write `static void test_x(void)` and list it in TESTS at
** the end.
*/
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "netc.h"
#include "tests/unit/test_case.h"

#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNTING 0
#endif
#endif
#ifndef COUNTING
#define COUNTING 1
#endif

/* ------------------------------------------------- counting allocator */

static atomic_long allocations; /* calls that allocate, resize or free */

#if COUNTING
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void __libc_free(void *ptr);
/* Not declared in strict C11 mode. */
void *memalign(size_t alignment, size_t size);
int posix_memalign(void **out, size_t alignment, size_t size);

void *malloc(size_t size) {
  atomic_fetch_add(&allocations, 1);
  return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
  atomic_fetch_add(&allocations, 1);
  return __libc_calloc(count, size);
}

void *realloc(void *ptr, size_t size) {
  atomic_fetch_add(&allocations, 1);
  return __libc_realloc(ptr, size);
}

void free(void *ptr) {
  if (ptr) atomic_fetch_add(&allocations, 1);
  __libc_free(ptr);
}

void *aligned_alloc(size_t alignment, size_t size) {
  atomic_fetch_add(&allocations, 1);
  return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
  atomic_fetch_add(&allocations, 1);
  return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  atomic_fetch_add(&allocations, 1);
  if (alignment < sizeof(void *) || (alignment & (alignment - 1))) return EINVAL;
  void *p = __libc_memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
#endif

static long counted(void) { return atomic_load(&allocations); }

/* ------------------------------------------------------------ helpers */

enum { BATCH = 16, WARMUP = 3, STEPS = 4, FIT_BATCHES = 6 };

static float images[BATCH * FIT_BATCHES * 28 * 28];
static int32_t labels[BATCH * FIT_BATCHES];

static void fill_data(void) {
  uint64_t x = 0xa110c;
  for (size_t i = 0; i < sizeof images / sizeof *images; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    images[i] = (float)(x >> 40) * 0x1p-24f;
  }
  for (size_t i = 0; i < sizeof labels / sizeof *labels; i++) labels[i] = (int32_t)(i * 7 % 10);
}

static const char *model_path(const char *name) {
  static char path[1024];
  const char *top = getenv("top_srcdir");
  snprintf(path, sizeof path, "%s/models/%s", top && *top ? top : "..", name);
  return path;
}

static netc_model *compile(const char *name) {
  netc_model *m = NULL;
  netc_status st = netc_model_compile_file(model_path(name), NULL, &m);
  if (st != NETC_OK) fprintf(stderr, "\n%s: %s\n", model_path(name), netc_status_name(st));
  return m;
}

static netc_session *session(const netc_model *m, int threads) {
  netc_session_options opt = {.seed = 3, .max_batch = BATCH, .threads = threads};
  netc_session *s = NULL;
  CU_ASSERT_EQUAL(netc_session_create(m, &opt, &s), NETC_OK);
  return s;
}

static netc_feed feed(const char *name, netc_dtype dtype, void *data, int rank,
                      const int64_t *dims) {
  netc_feed f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.tensor.dtype = dtype;
  f.tensor.rank = rank;
  memcpy(f.tensor.dims, dims, (size_t)rank * sizeof *dims);
  f.tensor.data = data;
  return f;
}

/* One call of `entry`, WARMUP times, then STEPS more: returns how many
** allocations those STEPS made (-1 when a call failed). */
static long steady_allocations(netc_session *s, const char *entry, const netc_feed *feeds,
                               int n_feeds, const char *const *fetches, int n_fetches) {
  netc_tensor results[4];
  long before = 0;
  for (int i = 0; i < WARMUP + STEPS; i++) {
    if (i == WARMUP) before = counted();
    if (netc_session_run(s, entry, feeds, n_feeds, fetches, n_fetches, results) != NETC_OK) {
      fprintf(stderr, "\n%s: %s\n", entry, netc_session_error(s));
      return -1;
    }
  }
  long made = counted() - before;
  if (made) fprintf(stderr, "\n  %s: %ld allocations in %d steps\n", entry, made, STEPS);
  return made;
}

/* ---------------------------------------------------------------- tests */

static void mnist_steps(int threads, int profiled) {
  netc_model *m = compile("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = session(m, threads);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(netc_session_profile_enable(s, profiled), NETC_OK);
  fill_data();
  int64_t image_dims[] = {BATCH, 28, 28, 1}, label_dims[] = {BATCH};
  netc_feed f[2] = {feed("image", NETC_F32, images, 4, image_dims),
                    feed("label", NETC_I32, labels, 1, label_dims)};
  const char *probs[] = {"probs"}, *figures[] = {"xent", "acc"};
  CU_ASSERT_EQUAL(steady_allocations(s, "predict", f, 1, probs, 1), 0);
  CU_ASSERT_EQUAL(steady_allocations(s, "evaluate", f, 2, figures, 2), 0);
  CU_ASSERT_EQUAL(steady_allocations(s, "train", f, 2, figures, 2), 0);
  CU_ASSERT_EQUAL(steady_allocations(s, "train", f, 2, NULL, 0), 0);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

static void test_mnist_one_thread(void) { mnist_steps(1, 0); }
static void test_mnist_two_threads_profiled(void) { mnist_steps(2, 1); }

static void test_cartpole(void) {
  netc_model *m = compile("cartpole_dqn.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = session(m, 2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  fill_data();
  static float rewards[BATCH], dones[BATCH];
  static int32_t actions[BATCH];
  for (int i = 0; i < BATCH; i++) {
    rewards[i] = 1;
    dones[i] = (float)(i % 5 == 0);
    actions[i] = i % 2;
  }
  int64_t states[] = {BATCH, 4}, rows[] = {BATCH};
  netc_feed f[5] = {feed("state", NETC_F32, images, 2, states),
                    feed("next_state", NETC_F32, images + 4 * BATCH, 2, states),
                    feed("action", NETC_I32, actions, 1, rows),
                    feed("reward", NETC_F32, rewards, 1, rows),
                    feed("done", NETC_F32, dones, 1, rows)};
  const char *q[] = {"q"}, *td[] = {"td"};
  CU_ASSERT_EQUAL(steady_allocations(s, "predict", f, 1, q, 1), 0);
  CU_ASSERT_EQUAL(steady_allocations(s, "train", f, 5, td, 1), 0);
  CU_ASSERT_EQUAL(steady_allocations(s, "sync_target", NULL, 0, NULL, 0), 0);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* The allocation count after each batch of each epoch. */
typedef struct fit_counts {
  long after[2][FIT_BATCHES];
} fit_counts;

static int record(const netc_progress *p, void *user) {
  fit_counts *c = user;
  if (p->event == NETC_PROGRESS_BATCH && p->epoch <= 2 && p->batch <= FIT_BATCHES)
    c->after[p->epoch - 1][p->batch - 1] = counted();
  return 0;
}

static void test_fit(void) {
  netc_model *m = compile("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = session(m, 2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  fill_data();
  netc_dataset *d = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_create(&d), NETC_OK);
  netc_tensor image = {NETC_F32, 4, {BATCH * FIT_BATCHES, 28, 28, 1}, images};
  netc_tensor label = {NETC_I32, 1, {BATCH * FIT_BATCHES}, labels};
  CU_ASSERT_EQUAL(netc_dataset_add(d, "image", &image, NULL), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_add(d, "label", &label, NULL), NETC_OK);
  fit_counts c;
  memset(&c, 0, sizeof c);
  netc_fit_options opt = {.epochs = 2, .batch_size = BATCH, .progress = record, .user = &c};
  CU_ASSERT_EQUAL(netc_session_fit(s, d, &opt), NETC_OK);
  for (int e = 0; e < 2; e++)
    for (int b = 2; b < FIT_BATCHES; b++) {
      if (c.after[e][b] != c.after[e][1])
        fprintf(stderr, "\n  fit epoch %d batch %d: %ld allocations since batch 2\n", e + 1,
                b + 1, c.after[e][b] - c.after[e][1]);
      CU_ASSERT_EQUAL(c.after[e][b], c.after[e][1]);
    }
  netc_dataset_destroy(d);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* The counter itself counts: otherwise every test above passes vacuously. */
static void test_counter_counts(void) {
  long before = counted();
  void *volatile p = malloc(16);
  free(p);
  CU_ASSERT_EQUAL(counted() - before, 2);
  /* the library's allocations go through it too */
  netc_dataset *d = NULL;
  before = counted();
  CU_ASSERT_EQUAL(netc_dataset_create(&d), NETC_OK);
  netc_dataset_destroy(d);
  CU_ASSERT(counted() - before >= 2);
}

static const test_case TESTS[] = {
    {"counter_counts", test_counter_counts},
    {"mnist_one_thread", test_mnist_one_thread},
    {"mnist_two_threads_profiled", test_mnist_two_threads_profiled},
    {"cartpole", test_cartpole},
    {"fit", test_fit},
    {0},
};

#if COUNTING
#include "tests/unit/cunit_main.h"
#else
int main(void) {
  (void)TESTS;
  puts("SKIP test_alloc: AddressSanitizer replaces malloc");
  return 77;
}
#endif
