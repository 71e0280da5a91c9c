/*
** pool.c: max and average pooling in NHWC, forward and backward, with
** TensorFlow's SAME semantics: padding cells are not part of any window,
** so they never win a max and are left out of an average's count. The
** loops are already plain, so these kernels are their own reference. A
** window lying wholly in the padding (impossible with TensorFlow's SAME
** or VALID geometry) yields 0 and passes no gradient back.
*/
#include <string.h>

#include "runtime/kernels/kernels.h"

/* The input cells [*lo, *hi) of one axis that the window of output index o
** covers, clipped to [0, size): window start o*S - P, length K. */
static void pool_span(int64_t o, int64_t stride, int64_t pad, int64_t k,
                      int64_t size, int64_t *lo, int64_t *hi) {
  const int64_t start = o * stride - pad;
  *lo = start < 0 ? 0 : start;
  *hi = start + k < size ? start + k : size;
  if (*hi < *lo) *hi = *lo;
}

/* The window of output cell (oh, ow): rows [r0, r1), columns [c0, c1). */
typedef struct pool_box {
  int64_t r0, r1; /* input rows */
  int64_t c0, c1; /* input columns */
} pool_box;

static pool_box pool_window(const rt_window *g, int64_t oh, int64_t ow) {
  pool_box b;
  pool_span(oh, g->sh, g->pad_top, g->kh, g->h, &b.r0, &b.r1);
  pool_span(ow, g->sw, g->pad_left, g->kw, g->w, &b.c0, &b.c1);
  return b;
}

/* y[N,OH,OW,C] = max of x[N,H,W,C] over each window's real cells; the
** channel loop is innermost so every step reads a contiguous C-vector. */
void rt_maxpool_forward(const rt_window *g, const float *x, float *y) {
  const int64_t c = g->c;
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t oh = 0; oh < g->oh; oh++)
      for (int64_t ow = 0; ow < g->ow; ow++) {
        const pool_box b = pool_window(g, oh, ow);
        float *out = y + ((n * g->oh + oh) * g->ow + ow) * c;
        const int empty = b.r0 == b.r1 || b.c0 == b.c1;
        for (int64_t k = 0; k < c; k++)
          out[k] = empty ? 0.0f : x[((n * g->h + b.r0) * g->w + b.c0) * c + k];
        for (int64_t r = b.r0; r < b.r1; r++)
          for (int64_t s = b.c0; s < b.c1; s++) {
            const float *in = x + ((n * g->h + r) * g->w + s) * c;
            for (int64_t k = 0; k < c; k++) /* a select, so it vectorizes */
              out[k] = in[k] > out[k] ? in[k] : out[k];
          }
      }
}

/* Index into x[N,H,W,C] of the first cell of image n's box b, in row-major
** order, whose channel k equals v; -1 when none does (v is NaN). */
static int64_t pool_first_equal(const rt_window *g, const float *x, int64_t n,
                                pool_box b, int64_t k, float v) {
  for (int64_t r = b.r0; r < b.r1; r++)
    for (int64_t s = b.c0; s < b.c1; s++) {
      const int64_t cell = ((n * g->h + r) * g->w + s) * g->c + k;
      if (x[cell] == v) return cell;
    }
  return -1;
}

/* dx[N,H,W,C]: zeroed, then each dy[n,oh,ow,k] is added to the first cell
** of its window, in row-major order, where x equals the saved max y. No
** argmax buffer is kept, so ties go to the first cell deterministically. */
void rt_maxpool_backward(const rt_window *g, const float *x, const float *y,
                         const float *dy, float *dx) {
  const int64_t c = g->c;
  memset(dx, 0, (size_t)(g->n * g->h * g->w * c) * sizeof *dx);
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t oh = 0; oh < g->oh; oh++)
      for (int64_t ow = 0; ow < g->ow; ow++) {
        const pool_box b = pool_window(g, oh, ow);
        const int64_t at = ((n * g->oh + oh) * g->ow + ow) * c;
        for (int64_t k = 0; k < c; k++) {
          const int64_t cell = pool_first_equal(g, x, n, b, k, y[at + k]);
          if (cell >= 0) dx[cell] += dy[at + k];
        }
      }
}

/* y[N,OH,OW,C] = mean of x[N,H,W,C] over each window's real cells. */
void rt_avgpool_forward(const rt_window *g, const float *x, float *y) {
  const int64_t c = g->c;
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t oh = 0; oh < g->oh; oh++)
      for (int64_t ow = 0; ow < g->ow; ow++) {
        const pool_box b = pool_window(g, oh, ow);
        const int64_t count = (b.r1 - b.r0) * (b.c1 - b.c0);
        float *out = y + ((n * g->oh + oh) * g->ow + ow) * c;
        memset(out, 0, (size_t)c * sizeof *out);
        for (int64_t r = b.r0; r < b.r1; r++)
          for (int64_t s = b.c0; s < b.c1; s++) {
            const float *in = x + ((n * g->h + r) * g->w + s) * c;
            for (int64_t k = 0; k < c; k++) out[k] += in[k];
          }
        if (count)
          for (int64_t k = 0; k < c; k++) out[k] /= (float)count;
      }
}

/* dx[N,H,W,C]: zeroed, then each window's real cells get dy / count. */
void rt_avgpool_backward(const rt_window *g, const float *dy, float *dx) {
  const int64_t c = g->c;
  memset(dx, 0, (size_t)(g->n * g->h * g->w * c) * sizeof *dx);
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t oh = 0; oh < g->oh; oh++)
      for (int64_t ow = 0; ow < g->ow; ow++) {
        const pool_box b = pool_window(g, oh, ow);
        const int64_t count = (b.r1 - b.r0) * (b.c1 - b.c0);
        if (!count) continue;
        const float scale = 1.0f / (float)count;
        const float *grad = dy + ((n * g->oh + oh) * g->ow + ow) * c;
        for (int64_t r = b.r0; r < b.r1; r++)
          for (int64_t s = b.c0; s < b.c1; s++) {
            float *in = dx + ((n * g->h + r) * g->w + s) * c;
            for (int64_t k = 0; k < c; k++) in[k] += grad[k] * scale;
          }
      }
}
