/*
** test_faults.c: fault injection in the runtime. Allocation N fails, for
** N = 1, 2, ... until a run completes, while a session is created, saved
** and loaded: every failing run returns NETC_ENOMEM with no half-made
** result, frees everything it allocated, and a failing save leaves the
** previous model file byte for byte and no temporary file beside it. HDF5
** allocates through its own malloc, so a full disk is simulated besides:
** a save over an existing model in a child process limited by
** RLIMIT_FSIZE (SIGXFSZ ignored, so writes fail with EFBIG) fails with
** NETC_EIO and the old file stays whole. (Compile has its sweeps in
** tests/unit/common/test_common.c.)
*/
#define _XOPEN_SOURCE 700 /* mkdtemp, fork, setrlimit */

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "netc.h"
#include "tests/unit/counting_heap.h"
#include "tests/unit/test_case.h"

/* Small, with every part of a saved file: a layer, Adam's slots, a loss. */
static const char MODEL[] =
    "model faults\n"
    "input x : f32[batch, 3]\n"
    "input label : i32[batch]\n"
    "logits = dense(x, 2)\n"
    "output probs = softmax(logits)\n"
    "loss xent = sparse_cross_entropy(logits, label)\n"
    "metric acc = accuracy(logits, label)\n"
    "train adam(lr=0.01) minimizes xent with batch=4\n";

/* One thread: the counting allocator is not thread-safe. */
static const netc_session_options ONE_THREAD = {7, 4, 1};

static char folder[256];
static char model_path[300];

/* The whole file, from malloc (not the library's allocator); NULL if it
** cannot be read. */
static unsigned char *read_all(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *data = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    data = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (data && (fseek(f, 0, SEEK_SET) != 0 || fread(data, 1, (size_t)n, f) != (size_t)n)) {
      free(data);
      data = NULL;
    }
    *size = data ? (size_t)n : 0;
  }
  fclose(f);
  return data;
}

/* Entries of the test folder besides . and .. (a stray temporary shows). */
static int folder_entries(void) {
  DIR *d = opendir(folder);
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  closedir(d);
  return n;
}

/* The model file is still exactly `want`, alone in its folder. */
static int file_intact(const unsigned char *want, size_t want_size) {
  size_t size = 0;
  unsigned char *now = read_all(model_path, &size);
  int same = now && size == want_size && memcmp(now, want, size) == 0;
  free(now);
  return same && folder_entries() == 1;
}

/* The sweep: what happened over the runs. */
typedef struct sweep {
  long runs;       /* attempts made */
  long bad_status; /* failing runs not NETC_ENOMEM, or a completing one not OK */
  long leaks;      /* runs after which more blocks were live than before */
  long broken;     /* failing runs whose outputs or files were wrong */
} sweep;

/* One attempt: returns its status, sets *broken when a failure left a
** half-made result, and destroys whatever it made on success. */
typedef netc_status (*attempt_fn)(void *ctx, int *broken);

static sweep oom_sweep(attempt_fn attempt, void *ctx) {
  sweep r = {0, 0, 0, 0};
  for (long n = 1; n < 100000; n++) {
    long before = heap.live;
    int broken = 0;
    heap_reset(n);
    netc_status status = attempt(ctx, &broken);
    int completed = heap.failed == 0;
    heap_reset(0);
    r.runs = n;
    if (completed ? status != NETC_OK : status != NETC_ENOMEM) r.bad_status++;
    if (!completed && broken) r.broken++;
    if (heap.live != before) r.leaks++;
    if (completed) break;
  }
  return r;
}

static void expect_clean(sweep r, long min_runs, unsigned line) {
  char what[160];
  snprintf(what, sizeof what, "%ld runs, %ld bad statuses, %ld leaking, %ld broken",
           r.runs, r.bad_status, r.leaks, r.broken);
  int ok = r.runs >= min_runs && r.runs < 100000 && r.bad_status == 0 && r.leaks == 0 &&
           r.broken == 0;
  CU_assertImplementation(ok, line, what, __FILE__, "", CU_FALSE);
}

static netc_model *compile_model(void) {
  netc_model *m = NULL;
  CU_ASSERT_EQUAL(netc_model_compile_source("faults.net", MODEL, sizeof MODEL - 1, NULL, &m),
                  NETC_OK);
  return m;
}

static netc_status try_create(void *ctx, int *broken) {
  netc_session *s = (netc_session *)&heap; /* must be overwritten */
  netc_status status = netc_session_create(ctx, &ONE_THREAD, &s);
  if (status == NETC_OK) netc_session_destroy(s);
  else *broken = s != NULL;
  return status;
}

typedef struct save_ctx {
  netc_session *session;
  const unsigned char *old; /* the file before the sweep */
  size_t old_size;
} save_ctx;

static netc_status try_save(void *ctx, int *broken) {
  save_ctx *c = ctx;
  netc_status status = netc_session_save(c->session, model_path);
  if (status != NETC_OK)
    *broken = !file_intact(c->old, c->old_size) || !netc_session_error(c->session)[0];
  return status;
}

static netc_status try_load(void *ctx, int *broken) {
  (void)ctx;
  netc_model *m = (netc_model *)&heap;
  netc_session *s = (netc_session *)&heap;
  netc_error error = {""};
  netc_status status = netc_session_load(model_path, &ONE_THREAD, &m, &s, &error);
  if (status == NETC_OK) {
    netc_session_destroy(s);
    netc_model_destroy(m);
  } else {
    *broken = m != NULL || s != NULL || !error.message[0];
  }
  return status;
}

/* A folder with the model saved in it, everything made under the counting
** allocator; NULL session on failure. */
static netc_session *setup(netc_model **model) {
  snprintf(folder, sizeof folder, "%s/netc-faults.XXXXXX",
           getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(folder)) return NULL;
  snprintf(model_path, sizeof model_path, "%s/model.h5", folder);
  heap_reset(0);
  CU_ASSERT_EQUAL(netc_set_allocator(counting_malloc, counting_realloc, counting_free),
                  NETC_OK);
  *model = compile_model();
  netc_session *s = NULL;
  if (*model) CU_ASSERT_EQUAL(netc_session_create(*model, &ONE_THREAD, &s), NETC_OK);
  if (s) CU_ASSERT_EQUAL(netc_session_save(s, model_path), NETC_OK);
  return s;
}

static void teardown(netc_model *model, netc_session *s) {
  netc_session_destroy(s);
  netc_model_destroy(model);
  CU_ASSERT_EQUAL(heap_free_leftovers(), 0);
  CU_ASSERT_EQUAL(netc_set_allocator(malloc, realloc, free), NETC_OK);
  unlink(model_path);
  rmdir(folder);
}

static void test_oom_session_create(void) {
  netc_model *model = NULL;
  netc_session *s = setup(&model);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  expect_clean(oom_sweep(try_create, model), 5, __LINE__);
  teardown(model, s);
}

static void test_oom_save(void) {
  netc_model *model = NULL;
  netc_session *s = setup(&model);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  save_ctx c = {s, NULL, 0};
  unsigned char *old = read_all(model_path, &c.old_size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(old);
  c.old = old;
  expect_clean(oom_sweep(try_save, &c), 3, __LINE__);
  CU_ASSERT_EQUAL(folder_entries(), 1);
  free(old);
  teardown(model, s);
}

static void test_oom_load(void) {
  netc_model *model = NULL;
  netc_session *s = setup(&model);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  expect_clean(oom_sweep(try_load, NULL), 5, __LINE__);
  teardown(model, s);
}

/* Child exit statuses of the file-size test. */
enum { SAVE_FAILED_CLEANLY = 0, SAVE_SUCCEEDED = 3, SAVE_WRONG_STATUS = 4, NO_MESSAGE = 5 };

static void test_save_file_size_limit(void) {
  netc_model *model = NULL;
  netc_session *s = setup(&model);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  size_t old_size = 0;
  unsigned char *old = read_all(model_path, &old_size);
  CU_ASSERT_PTR_NOT_NULL_FATAL(old);
  CU_ASSERT(old_size > 4096);
  fflush(NULL);
  pid_t pid = fork();
  CU_ASSERT_FATAL(pid >= 0);
  if (pid == 0) {
    /* A disk that fills up after 4 KiB of the new file. */
    struct rlimit limit = {4096, 4096};
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(9);
    netc_status st = netc_session_save(s, model_path);
    _exit(st == NETC_OK    ? SAVE_SUCCEEDED
          : st != NETC_EIO ? SAVE_WRONG_STATUS
          : !strstr(netc_session_error(s), model_path) ? NO_MESSAGE
                                                       : SAVE_FAILED_CLEANLY);
  }
  int status = 0;
  CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
  CU_ASSERT_TRUE(WIFEXITED(status));
  CU_ASSERT_EQUAL(WEXITSTATUS(status), SAVE_FAILED_CLEANLY);
  CU_ASSERT_TRUE(file_intact(old, old_size));
  /* The old file still loads. */
  netc_model *m = NULL;
  netc_session *loaded = NULL;
  netc_error error;
  CU_ASSERT_EQUAL(netc_session_load(model_path, &ONE_THREAD, &m, &loaded, &error), NETC_OK);
  netc_session_destroy(loaded);
  netc_model_destroy(m);
  free(old);
  teardown(model, s);
}

static const test_case TESTS[] = {
    {"out of memory: session creation", test_oom_session_create},
    {"out of memory: save keeps the old file", test_oom_save},
    {"out of memory: load", test_oom_load},
    {"full disk (RLIMIT_FSIZE): save keeps the old file", test_save_file_size_limit},
    {0},
};

#include "tests/unit/cunit_main.h"
