/*
** reduce.c: reductions along one axis and their gradients, and argmax.
** x is viewed as [outer, len, inner]; line `at` of the outer * inner lines
** (at = o * inner + i) holds len elements `inner` apart and reduces to
** y[at]. The f32 and i32 versions share one body, written as a macro.
*/
#include <math.h>
#include <string.h>

#include "runtime/kernels/kernels.h"

/* Offset in x[outer, len, inner] of the first element of line `at`. */
static int64_t line_start(int64_t at, int64_t len, int64_t inner) {
  return at / inner * len * inner + at % inner;
}

/* y[at] = sum, max or mean of line `at`, accumulated in ACC (double for
** f32, int64_t for i32), in index order. An empty line gives 0 for SUM
** and MEAN and LOWEST for MAX. The i32 MEAN truncates toward zero, and an
** i32 SUM outside the int32 range wraps. */
#define DEFINE_REDUCE(NAME, T, ACC, LOWEST)                                   \
  void NAME(rt_reduce_op op, int64_t outer, int64_t len, int64_t inner,      \
            const T *x, T *y) {                                               \
    for (int64_t at = 0; at < outer * inner; at++) {                          \
      const T *p = x + line_start(at, len, inner);                            \
      ACC acc = op == RT_REDUCE_MAX ? (ACC)(LOWEST) : 0;                      \
      for (int64_t l = 0; l < len; l++) {                                     \
        T v = p[l * inner];                                                   \
        if (op != RT_REDUCE_MAX)                                              \
          acc += v;                                                           \
        else if (v > acc)                                                     \
          acc = v;                                                            \
      }                                                                       \
      if (op == RT_REDUCE_MEAN && len > 0) acc /= (ACC)len;                   \
      y[at] = (T)acc;                                                         \
    }                                                                         \
  }

DEFINE_REDUCE(rt_reduce_f32, float, double, -INFINITY)
DEFINE_REDUCE(rt_reduce_i32, int32_t, int64_t, INT32_MIN)

/* y[at] = index of the first maximum of line `at` (0 for an empty line;
** comparisons with NaN are false, so a NaN wins only in first place). */
#define DEFINE_ARGMAX(NAME, T)                                                \
  void NAME(int64_t outer, int64_t len, int64_t inner, const T *x,           \
            int32_t *y) {                                                     \
    for (int64_t at = 0; at < outer * inner; at++) {                          \
      const T *p = x + line_start(at, len, inner);                            \
      int64_t best = 0;                                                       \
      for (int64_t l = 1; l < len; l++)                                       \
        if (p[l * inner] > p[best * inner]) best = l;                         \
      y[at] = (int32_t)best;                                                  \
    }                                                                         \
  }

DEFINE_ARGMAX(rt_argmax_f32, float)
DEFINE_ARGMAX(rt_argmax_i32, int32_t)

/* dx[outer, len, inner]: every element of line `at` gets dy[at]. */
void rt_unreduce(int64_t outer, int64_t len, int64_t inner, const float *dy,
                 float *dx) {
  for (int64_t at = 0; at < outer * inner; at++) {
    float *p = dx + line_start(at, len, inner);
    for (int64_t l = 0; l < len; l++) p[l * inner] = dy[at];
  }
}

/* dx[outer, len, inner] = dy[at] at the first element of line `at` equal
** to its max y[at], 0 elsewhere: ties do not split the gradient. */
void rt_reduce_max_grad(int64_t outer, int64_t len, int64_t inner,
                        const float *x, const float *y, const float *dy,
                        float *dx) {
  memset(dx, 0, sizeof *dx * (size_t)(outer * len * inner));
  for (int64_t at = 0; at < outer * inner; at++) {
    int64_t start = line_start(at, len, inner);
    for (int64_t l = 0; l < len; l++)
      if (x[start + l * inner] == y[at]) {
        dx[start + l * inner] = dy[at];
        break;
      }
  }
}
