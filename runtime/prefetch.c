/*
** prefetch.c: a helper thread with a one-job mailbox, guarded by a mutex
** and a condition variable. Posting and waiting allocate nothing, so a
** training step that overlaps a prefetch still allocates nothing.
*/
#include <pthread.h>

#include "common/nc_alloc.h"
#include "runtime/prefetch.h"

struct rt_prefetch {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t changed;   /* a job was posted, finished, or quit was set */
  void (*fn)(void *);       /* the posted job, NULL when none is waiting */
  void *arg;                /* its argument */
  int busy;                 /* posted and not finished */
  int quit;                 /* the thread should end */
};

static void *prefetch_main(void *arg) {
  rt_prefetch *p = arg;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->fn && !p->quit) pthread_cond_wait(&p->changed, &p->lock);
    if (!p->fn) break; /* quit with nothing left to do */
    void (*fn)(void *) = p->fn;
    void *job = p->arg;
    p->fn = NULL;
    pthread_mutex_unlock(&p->lock);
    fn(job);
    pthread_mutex_lock(&p->lock);
    p->busy = 0;
    pthread_cond_broadcast(&p->changed);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

rt_prefetch *rt_prefetch_start(void) {
  rt_prefetch *p = nc_calloc(1, sizeof *p);
  if (!p) return NULL;
  if (pthread_mutex_init(&p->lock, NULL) != 0) {
    nc_free(p);
    return NULL;
  }
  if (pthread_cond_init(&p->changed, NULL) != 0) {
    pthread_mutex_destroy(&p->lock);
    nc_free(p);
    return NULL;
  }
  if (pthread_create(&p->thread, NULL, prefetch_main, p) != 0) {
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
    nc_free(p);
    return NULL;
  }
  return p;
}

void rt_prefetch_post(rt_prefetch *p, void (*fn)(void *), void *arg) {
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->arg = arg;
  p->busy = 1;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
}

void rt_prefetch_wait(rt_prefetch *p) {
  pthread_mutex_lock(&p->lock);
  while (p->busy) pthread_cond_wait(&p->changed, &p->lock);
  pthread_mutex_unlock(&p->lock);
}

void rt_prefetch_stop(rt_prefetch *p) {
  if (!p) return;
  rt_prefetch_wait(p);
  pthread_mutex_lock(&p->lock);
  p->quit = 1;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
  pthread_join(p->thread, NULL);
  pthread_cond_destroy(&p->changed);
  pthread_mutex_destroy(&p->lock);
  nc_free(p);
}
