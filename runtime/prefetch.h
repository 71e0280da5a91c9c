/*
** prefetch.h: one helper thread that runs a single job while its caller
** does something else (fit.c fills the next batch while a step runs).
*/
#ifndef RT_PREFETCH_H
#define RT_PREFETCH_H

typedef struct rt_prefetch rt_prefetch;

/* Starts the thread; NULL when out of memory or threads. */
rt_prefetch *rt_prefetch_start(void);
/* Hands fn(arg) to the thread; the previous job must have been waited for. */
void rt_prefetch_post(rt_prefetch *p, void (*fn)(void *), void *arg);
/* Returns once the posted job (if any) is done. */
void rt_prefetch_wait(rt_prefetch *p);
/* Waits for the job, then ends the thread and frees p (NULL: nothing). */
void rt_prefetch_stop(rt_prefetch *p);

#endif
