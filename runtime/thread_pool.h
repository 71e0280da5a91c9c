/*
** thread_pool.h: the session's worker threads. A job is split into parts whose
** boundaries never depend on the number of threads, so results are
** bit-identical for any thread count; threads only decide who runs which
** part. The caller's thread works too.
*/
#ifndef RT_POOL_H
#define RT_POOL_H

typedef struct rt_pool rt_pool;

/* Runs part `part` of a job on thread `thread` (0 = the caller). */
typedef void (*rt_part_fn)(void *arg, int part, int thread);

/* A pool of `threads` threads in all (the caller plus threads - 1 workers).
** Returns NULL when threads cannot be started. */
rt_pool *rt_pool_create(int threads);
void rt_pool_destroy(rt_pool *pool);
int rt_pool_threads(const rt_pool *pool);

/* Runs fn for parts 0 .. parts-1 and returns when all are done. */
void rt_pool_run(rt_pool *pool, rt_part_fn fn, void *arg, int parts);

#endif
