/*
** softmax.c: softmax and log-softmax along one axis, and their gradients.
** x is viewed as [outer, c, inner]: each of the outer * inner lines holds c
** elements `inner` apart, and all four kernels walk them the same way.
*/
#include <math.h>

#include "runtime/kernels/kernels.h"

typedef enum line_op {
  LINE_SOFTMAX,         /* y = exp(x - max) / sum exp(x - max) */
  LINE_LOG_SOFTMAX,     /* y = x - max - log sum exp(x - max) */
  LINE_SOFTMAX_GRAD,    /* dx = y (dy - sum dy y) */
  LINE_LOG_SOFTMAX_GRAD /* dx = dy - exp(y) sum dy */
} line_op;

/* One line of c elements at stride s. Forward: p = x (q unused); backward:
** p = dy, q = the forward output y. The max is subtracted before exp so
** nothing overflows; sums are in double, in index order. out may be p. */
static void line(line_op op, int64_t c, int64_t s, const float *p,
                 const float *q, float *out) {
  double acc = 0;
  switch (op) {
  case LINE_SOFTMAX:
  case LINE_LOG_SOFTMAX: {
    float m = -INFINITY;
    for (int64_t j = 0; j < c; j++)
      if (p[j * s] > m) m = p[j * s];
    for (int64_t j = 0; j < c; j++) {
      double e = exp((double)p[j * s] - m);
      acc += e;
      if (op == LINE_SOFTMAX) out[j * s] = (float)e;
    }
    if (op == LINE_SOFTMAX)
      for (int64_t j = 0; j < c; j++) out[j * s] = (float)(out[j * s] / acc);
    else
      for (int64_t j = 0; j < c; j++)
        out[j * s] = (float)((double)p[j * s] - m - log(acc));
    break;
  }
  case LINE_SOFTMAX_GRAD:
    for (int64_t j = 0; j < c; j++) acc += (double)p[j * s] * q[j * s];
    for (int64_t j = 0; j < c; j++)
      out[j * s] = (float)(q[j * s] * (p[j * s] - acc));
    break;
  case LINE_LOG_SOFTMAX_GRAD:
    for (int64_t j = 0; j < c; j++) acc += p[j * s];
    for (int64_t j = 0; j < c; j++)
      out[j * s] = (float)(p[j * s] - exp((double)q[j * s]) * acc);
    break;
  }
}

/* Applies `line` to every line of [outer, c, inner]. */
static void lines(line_op op, int64_t outer, int64_t c, int64_t inner,
                  const float *p, const float *q, float *out) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      int64_t at = o * c * inner + i;
      line(op, c, inner, p + at, q ? q + at : NULL, out + at);
    }
}

void rt_softmax(int64_t outer, int64_t c, int64_t inner, const float *x,
                float *y) {
  lines(LINE_SOFTMAX, outer, c, inner, x, NULL, y);
}

void rt_log_softmax(int64_t outer, int64_t c, int64_t inner, const float *x,
                    float *y) {
  lines(LINE_LOG_SOFTMAX, outer, c, inner, x, NULL, y);
}

void rt_softmax_grad(int64_t outer, int64_t c, int64_t inner, const float *dy,
                     const float *y, float *dx) {
  lines(LINE_SOFTMAX_GRAD, outer, c, inner, dy, y, dx);
}

void rt_log_softmax_grad(int64_t outer, int64_t c, int64_t inner,
                         const float *dy, const float *y, float *dx) {
  lines(LINE_LOG_SOFTMAX_GRAD, outer, c, inner, dy, y, dx);
}
