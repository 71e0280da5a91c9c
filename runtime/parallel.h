/*
** parallel.h: kernels run across the session's thread pool (parallel.c).
*/
#ifndef RT_PARALLEL_H
#define RT_PARALLEL_H

#include "runtime/kernels/kernels.h"
#include "runtime/thread_pool.h"
#include "runtime/session.h"

/* Thread `thread`'s private scratch (s->scratch_floats floats). */
float *rt_thread_scratch(const netc_session *s, int thread);
/* Batch chunks of a filter gradient: fixed for a batch size, so the sum
** order does not depend on the thread count. */
int rt_filter_chunks(int64_t batch);

/* Forward products take the epilogue the plan fused into them (or NULL). */
void rt_par_conv2d_forward(netc_session *s, const rt_window *w, const float *x,
                           const float *k, const rt_epilogue *epilogue, float *y);
void rt_par_conv2d_backward_input(netc_session *s, const rt_window *w,
                                  const float *dy, const float *k, float *dx);
void rt_par_conv2d_backward_filter(netc_session *s, const rt_window *w,
                                   const float *x, const float *dy, float *dw);
void rt_par_maxpool_forward(netc_session *s, const rt_window *w, const float *x,
                            float *y);
void rt_par_maxpool_backward(netc_session *s, const rt_window *w, const float *x,
                             const float *y, const float *dy, float *dx);
void rt_par_avgpool_forward(netc_session *s, const rt_window *w, const float *x,
                            float *y);
void rt_par_avgpool_backward(netc_session *s, const rt_window *w,
                             const float *dy, float *dx);
void rt_par_matmul(netc_session *s, int64_t m, int64_t k, int64_t p, int ta,
                   int tb, const float *a, const float *b,
                   const rt_epilogue *epilogue, float *c);

/* An elementwise kernel on items [first, first + count). */
typedef void (*rt_range_fn)(const void *ctx, int64_t first, int64_t count);
/* Runs fn over n items split in ranges (work_per_item sizes the split). */
void rt_par_range(netc_session *s, int64_t n, int64_t work_per_item,
                  rt_range_fn fn, const void *ctx);

#endif
