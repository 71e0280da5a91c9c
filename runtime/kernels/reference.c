/*
** reference.c: plain-loop references of the BLAS-backed kernels (matmul
** and the three convolution kernels). They are the test oracles and the
** fallback: slow, obvious, and independent of matmul.c and conv.c (no
** im2col; the input gradient is gathered, not scattered). Every sum runs
** in double in a fixed order and is rounded to float once.
*/
#include "runtime/kernels/kernels.h"

/* C[M,P] = op(A) op(B), summing over K in increasing order. */
void rt_ref_matmul(int64_t m, int64_t k, int64_t p, int transpose_a,
                   int transpose_b, const float *a, const float *b, float *c) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < p; j++) {
      double sum = 0.0;
      for (int64_t t = 0; t < k; t++)
        sum += (double)a[transpose_a ? t * m + i : i * k + t] *
               (double)b[transpose_b ? j * k + t : t * p + j];
      c[i * p + j] = (float)sum;
    }
}

/* y[n,oh,ow,f] = sum over i,j,c of x[n, oh*SH-PT+i, ow*SW-PL+j, c]
** w[i,j,c,f], cells outside x counting as zero. */
void rt_ref_conv2d_forward(const rt_window *g, const float *x, const float *w,
                           float *y) {
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t oh = 0; oh < g->oh; oh++)
      for (int64_t ow = 0; ow < g->ow; ow++)
        for (int64_t f = 0; f < g->f; f++) {
          double sum = 0.0;
          for (int64_t i = 0; i < g->kh; i++)
            for (int64_t j = 0; j < g->kw; j++)
              for (int64_t c = 0; c < g->c; c++) {
                const int64_t ih = oh * g->sh - g->pad_top + i;
                const int64_t iw = ow * g->sw - g->pad_left + j;
                if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
                sum += (double)x[((n * g->h + ih) * g->w + iw) * g->c + c] *
                       (double)w[((i * g->kw + j) * g->c + c) * g->f + f];
              }
          y[((n * g->oh + oh) * g->ow + ow) * g->f + f] = (float)sum;
        }
}

/* Output index o whose tap k reads input index at (o*S - P + k == at), or
** -1 when none does. */
static int64_t ref_output_of(int64_t at, int64_t k, int64_t stride,
                             int64_t pad, int64_t out) {
  const int64_t t = at + pad - k;
  if (t < 0 || t % stride) return -1;
  return t / stride < out ? t / stride : -1;
}

/* dx[n,ih,iw,c] = sum over taps i,j and filters f of dy[n,oh,ow,f]
** w[i,j,c,f], over the output cells (oh,ow) whose tap (i,j) reads (ih,iw). */
void rt_ref_conv2d_backward_input(const rt_window *g, const float *dy,
                                  const float *w, float *dx) {
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t ih = 0; ih < g->h; ih++)
      for (int64_t iw = 0; iw < g->w; iw++)
        for (int64_t c = 0; c < g->c; c++) {
          double sum = 0.0;
          for (int64_t i = 0; i < g->kh; i++)
            for (int64_t j = 0; j < g->kw; j++) {
              const int64_t oh = ref_output_of(ih, i, g->sh, g->pad_top, g->oh);
              const int64_t ow = ref_output_of(iw, j, g->sw, g->pad_left, g->ow);
              if (oh < 0 || ow < 0) continue;
              for (int64_t f = 0; f < g->f; f++)
                sum += (double)dy[((n * g->oh + oh) * g->ow + ow) * g->f + f] *
                       (double)w[((i * g->kw + j) * g->c + c) * g->f + f];
            }
          dx[((n * g->h + ih) * g->w + iw) * g->c + c] = (float)sum;
        }
}

/* dw[i,j,c,f] = sum over n,oh,ow of x[n, oh*SH-PT+i, ow*SW-PL+j, c]
** dy[n,oh,ow,f]. */
void rt_ref_conv2d_backward_filter(const rt_window *g, const float *x,
                                   const float *dy, float *dw) {
  for (int64_t i = 0; i < g->kh; i++)
    for (int64_t j = 0; j < g->kw; j++)
      for (int64_t c = 0; c < g->c; c++)
        for (int64_t f = 0; f < g->f; f++) {
          double sum = 0.0;
          for (int64_t n = 0; n < g->n; n++)
            for (int64_t oh = 0; oh < g->oh; oh++)
              for (int64_t ow = 0; ow < g->ow; ow++) {
                const int64_t ih = oh * g->sh - g->pad_top + i;
                const int64_t iw = ow * g->sw - g->pad_left + j;
                if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
                sum += (double)x[((n * g->h + ih) * g->w + iw) * g->c + c] *
                       (double)dy[((n * g->oh + oh) * g->ow + ow) * g->f + f];
              }
          dw[((i * g->kw + j) * g->c + c) * g->f + f] = (float)sum;
        }
}
