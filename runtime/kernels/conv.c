/*
** conv.c: 2-D convolution (cross-correlation) in NHWC with HWIO filters,
** lowered to matrix products by im2col. For one image the column matrix
** col[OH*OW, KH*KW*C] holds, in row oh*OW+ow, the window that output cell
** reads (zeros where it hangs over the padding), so the filter viewed as
** [KH*KW*C, F] turns the convolution into one sgemm. The plain-loop
** references are in reference.c.
*/
#include <string.h>

#include <cblas.h>

#include "runtime/kernels/kernels.h"

/* A 1x1, stride-1, unpadded convolution reads every input cell once, in
** order: the image x[H,W,C] already is its column matrix [OH*OW, C]. */
static int conv_is_pointwise(const rt_window *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 &&
         g->pad_top == 0 && g->pad_left == 0 && g->oh == g->h &&
         g->ow == g->w;
}

/* The one index walk of im2col and col2im, for one image. With x set it
** gathers x[H,W,C] into col[OH*OW, KH*KW*C], writing zeros for padding;
** with x NULL it scatter-adds col back into dx[H,W,C]. For a fixed output
** cell and kernel row the KW taps are contiguous in both arrays, so each
** step moves one run of up to KW*C floats. */
static void conv_col_walk(const rt_window *g, const float *x, float *dx,
                          float *col) {
  const int64_t run = g->kw * g->c; /* floats in one kernel row of taps */
  for (int64_t oh = 0; oh < g->oh; oh++) {
    const int64_t ih = oh * g->sh - g->pad_top; /* row of tap i = 0 */
    for (int64_t ow = 0; ow < g->ow; ow++) {
      const int64_t iw = ow * g->sw - g->pad_left; /* column of tap j = 0 */
      /* Taps j in [lo, hi) fall inside the image; they are the same for
      ** every kernel row. */
      int64_t lo = iw < 0 ? -iw : 0;
      int64_t hi = g->w - iw < g->kw ? g->w - iw : g->kw;
      if (hi < lo) hi = lo;
      float *seg = col + (oh * g->ow + ow) * g->kh * run;
      for (int64_t i = 0; i < g->kh; i++, seg += run) {
        const int64_t r = ih + i;
        const int64_t len = r >= 0 && r < g->h ? (hi - lo) * g->c : 0;
        if (x) {
          const int64_t head = len ? lo * g->c : 0;
          memset(seg, 0, (size_t)head * sizeof *seg);
          if (len)
            memcpy(seg + head, x + (r * g->w + iw + lo) * g->c,
                   (size_t)len * sizeof *seg);
          memset(seg + head + len, 0, (size_t)(run - head - len) * sizeof *seg);
        } else if (len) {
          float *dst = dx + (r * g->w + iw + lo) * g->c;
          const float *src = seg + lo * g->c;
          for (int64_t t = 0; t < len; t++) dst[t] += src[t];
        }
      }
    }
  }
}

/* The column matrix [OH*OW, KH*KW*C] of image x[H,W,C]: x itself for a
** pointwise convolution, otherwise built in scratch. */
static const float *conv_columns(const rt_window *g, const float *x,
                                 float *scratch) {
  if (conv_is_pointwise(g)) return x;
  conv_col_walk(g, x, NULL, scratch);
  return scratch;
}

/* One image's column matrix, OH*OW*KH*KW*C floats, reused image after
** image (VGG16 block1: 224*224*27; its 512-channel layers: 14*14*4608).
** A pointwise convolution needs none and gets 0. */
size_t rt_conv2d_scratch(const rt_window *g) {
  if (conv_is_pointwise(g)) return 0;
  return (size_t)(g->oh * g->ow * g->kh * g->kw * g->c);
}

/* Per image: y[OH*OW, F] = col[OH*OW, KH*KW*C] x w[KH*KW*C, F]. */
void rt_conv2d_forward(const rt_window *g, const float *x, const float *w,
                       float *y, float *scratch) {
  const int64_t rows = g->oh * g->ow, depth = g->kh * g->kw * g->c;
  for (int64_t n = 0; n < g->n; n++)
    rt_matmul(rows, depth, g->f, 0, 0,
              conv_columns(g, x + n * g->h * g->w * g->c, scratch), w,
              y + n * rows * g->f);
}

/* Per image: dcol[OH*OW, KH*KW*C] = dy[OH*OW, F] x w^T, then col2im adds
** dcol into dx[H,W,C], zeroed first. A pointwise convolution writes dcol
** straight into dx, since there dcol is dx. */
void rt_conv2d_backward_input(const rt_window *g, const float *dy,
                              const float *w, float *dx, float *scratch) {
  const int64_t rows = g->oh * g->ow, depth = g->kh * g->kw * g->c;
  const int pointwise = conv_is_pointwise(g);
  for (int64_t n = 0; n < g->n; n++) {
    float *dx_n = dx + n * g->h * g->w * g->c;
    rt_matmul(rows, g->f, depth, 0, 1, dy + n * rows * g->f, w,
              pointwise ? dx_n : scratch);
    if (pointwise) continue;
    memset(dx_n, 0, (size_t)(g->h * g->w * g->c) * sizeof *dx_n);
    conv_col_walk(g, NULL, dx_n, scratch);
  }
}

/* dw[KH*KW*C, F] = sum over images of col^T x dy[OH*OW, F]. The first image
** overwrites dw (beta 0), later ones accumulate into it (beta 1), so only
** one image's columns are ever held. */
void rt_conv2d_backward_filter(const rt_window *g, const float *x,
                               const float *dy, float *dw, float *scratch) {
  const int64_t rows = g->oh * g->ow, depth = g->kh * g->kw * g->c;
  if (depth <= 0 || g->f <= 0) return;
  if (g->n <= 0 || rows <= 0) {
    memset(dw, 0, (size_t)(depth * g->f) * sizeof *dw);
    return;
  }
  for (int64_t n = 0; n < g->n; n++)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (blasint)depth,
                (blasint)g->f, (blasint)rows, 1.0f,
                conv_columns(g, x + n * g->h * g->w * g->c, scratch),
                (blasint)depth, dy + n * rows * g->f, (blasint)g->f,
                n ? 1.0f : 0.0f, dw, (blasint)g->f);
}
