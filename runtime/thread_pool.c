/*
** thread_pool.c: a fork-join pool on pthreads. Workers sleep on a condition
** variable between jobs; within a job every thread takes the next part
** from an atomic counter, and the caller waits (spinning briefly, since
** parts are short) until the last part is done.
*/
#define _POSIX_C_SOURCE 200809L /* sched_yield */

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "common/nc_alloc.h"
#include "runtime/thread_pool.h"

enum { POOL_MAX_THREADS = 64 };

typedef struct worker_start {
  struct rt_pool *pool; /* the pool */
  int index;            /* 1 .. threads-1 */
} worker_start;

struct rt_pool {
  int threads;               /* caller included */
  pthread_t worker[POOL_MAX_THREADS]; /* threads - 1 workers */
  worker_start start[POOL_MAX_THREADS]; /* their arguments, kept here so
                                          that no worker frees memory once
                                          steps have begun */
  pthread_mutex_t lock;      /* guards generation, quit and the job fields */
  pthread_cond_t wake;       /* a new job or quit */
  unsigned long generation;  /* bumped for every job */
  int quit;                  /* workers exit */
  rt_part_fn fn;             /* the job */
  void *arg;                 /* its argument */
  int parts;                 /* its number of parts */
  atomic_int next;           /* next part to take */
  atomic_int done;           /* parts finished */
  atomic_int active;         /* workers inside a job; a new job waits for 0
                                so nobody runs old parts with new fields */
};

static void take_parts(rt_pool *p, rt_part_fn fn, void *arg, int parts,
                       int thread) {
  for (int part; (part = atomic_fetch_add(&p->next, 1)) < parts;) {
    fn(arg, part, thread);
    atomic_fetch_add(&p->done, 1);
  }
}

static void *worker_main(void *start_arg) {
  worker_start *start = start_arg;
  rt_pool *p = start->pool;
  int index = start->index;
  unsigned long seen = 0;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    while (p->generation == seen && !p->quit) pthread_cond_wait(&p->wake, &p->lock);
    if (p->quit) {
      pthread_mutex_unlock(&p->lock);
      return NULL;
    }
    seen = p->generation;
    atomic_fetch_add(&p->active, 1);
    rt_part_fn fn = p->fn;
    void *arg = p->arg;
    int parts = p->parts;
    pthread_mutex_unlock(&p->lock);
    take_parts(p, fn, arg, parts, index);
    atomic_fetch_sub(&p->active, 1);
  }
}

rt_pool *rt_pool_create(int threads) {
  if (threads < 1) threads = 1;
  if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
  rt_pool *p = nc_calloc(1, sizeof *p);
  if (!p) return NULL;
  p->threads = 1;
  if (pthread_mutex_init(&p->lock, NULL) != 0) {
    nc_free(p);
    return NULL;
  }
  if (pthread_cond_init(&p->wake, NULL) != 0) {
    pthread_mutex_destroy(&p->lock);
    nc_free(p);
    return NULL;
  }
  atomic_init(&p->next, 0);
  atomic_init(&p->done, 0);
  atomic_init(&p->active, 0);
  for (int i = 1; i < threads; i++) {
    worker_start *start = &p->start[i - 1];
    start->pool = p;
    start->index = i;
    if (pthread_create(&p->worker[i - 1], NULL, worker_main, start) != 0) break;
    p->threads++;
  }
  if (p->threads < threads) {
    rt_pool_destroy(p);
    return NULL;
  }
  return p;
}

void rt_pool_destroy(rt_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->quit = 1;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  for (int i = 0; i < p->threads - 1; i++) pthread_join(p->worker[i], NULL);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  nc_free(p);
}

int rt_pool_threads(const rt_pool *p) { return p ? p->threads : 1; }

void rt_pool_run(rt_pool *p, rt_part_fn fn, void *arg, int parts) {
  if (!p || p->threads == 1 || parts <= 1) {
    for (int part = 0; part < parts; part++) fn(arg, part, 0);
    return;
  }
  pthread_mutex_lock(&p->lock);
  while (atomic_load(&p->active) > 0) { /* late workers leaving the last job */
    pthread_mutex_unlock(&p->lock);
    sched_yield();
    pthread_mutex_lock(&p->lock);
  }
  p->fn = fn;
  p->arg = arg;
  p->parts = parts;
  atomic_store(&p->next, 0);
  atomic_store(&p->done, 0);
  p->generation++;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  take_parts(p, fn, arg, parts, 0);
  while (atomic_load(&p->done) < parts) sched_yield();
}
