/*
** conv.c: 2-D convolution (cross-correlation) in NHWC with HWIO filters,
** lowered to matrix products by im2col. For a band of output rows of one
** image, the column matrix col[rows*OW, KH*KW*C] holds in each row the
** window that output cell reads (zeros where it hangs over the padding), so
** the filter viewed as [KH*KW*C, F] turns the band into one sgemm. Bands
** (tiles) are sized so their columns stay in cache between im2col and the
** product; they also split one image across threads. The plain-loop
** references are in reference.c.
*/
#include <string.h>

#include <cblas.h>

#include "runtime/kernels/kernels.h"

enum {
  TILE_FLOATS = 1 << 17,  /* column budget of a tile: 512 KiB, half an L2 */
  TILE_MIN_PIXELS = 96    /* fewer output cells starve sgemm's M dimension */
};

/* A 1x1, stride-1, unpadded convolution reads every input cell once, in
** order: the image x[H,W,C] already is its column matrix [OH*OW, C]. */
static int conv_is_pointwise(const rt_window *g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 &&
         g->pad_top == 0 && g->pad_left == 0 && g->oh == g->h &&
         g->ow == g->w;
}

static int64_t conv_depth(const rt_window *g) { return g->kh * g->kw * g->c; }

/* Output rows per tile: what the column budget allows, at least
** TILE_MIN_PIXELS cells, then evened out so the image's tiles are alike.
** It depends on the geometry alone, never on the thread count. */
static int64_t tile_rows(const rt_window *g) {
  if (g->oh <= 0 || g->ow <= 0) return 1;
  int64_t row_floats = g->ow * (conv_depth(g) > 0 ? conv_depth(g) : 1);
  int64_t rows = TILE_FLOATS / row_floats;
  int64_t least = (TILE_MIN_PIXELS + g->ow - 1) / g->ow;
  if (rows < least) rows = least;
  if (rows > g->oh) rows = g->oh;
  int64_t tiles = (g->oh + rows - 1) / rows;
  return (g->oh + tiles - 1) / tiles;
}

static int64_t tiles_per_image(const rt_window *g) {
  int64_t rows = tile_rows(g);
  return g->oh > 0 ? (g->oh + rows - 1) / rows : 0;
}

int64_t rt_conv2d_tiles(const rt_window *g) { return g->n * tiles_per_image(g); }

/* One tile's place: its image, its first output row and its row count. */
typedef struct conv_tile {
  int64_t image, row, rows;
} conv_tile;

static conv_tile tile_at(const rt_window *g, int64_t tile) {
  int64_t per_image = tiles_per_image(g), rows = tile_rows(g);
  conv_tile t = {tile / per_image, tile % per_image * rows, rows};
  if (t.row + t.rows > g->oh) t.rows = g->oh - t.row;
  return t;
}

/* The one index walk of im2col and col2im, over output rows
** [row, row + rows) of one image. With x set it gathers x[H,W,C] into
** col[rows*OW, KH*KW*C], writing zeros for padding; with x NULL it
** scatter-adds col back into dx[H,W,C]. For a fixed output cell and kernel
** row the KW taps are contiguous in both arrays, so each step moves one run
** of up to KW*C floats. */
static void conv_col_walk(const rt_window *g, const float *x, float *dx,
                          float *col, int64_t row, int64_t rows) {
  const int64_t run = g->kw * g->c; /* floats in one kernel row of taps */
  for (int64_t oh = row; oh < row + rows; oh++) {
    const int64_t ih = oh * g->sh - g->pad_top; /* row of tap i = 0 */
    for (int64_t ow = 0; ow < g->ow; ow++) {
      const int64_t iw = ow * g->sw - g->pad_left; /* column of tap j = 0 */
      /* Taps j in [lo, hi) fall inside the image; they are the same for
      ** every kernel row. */
      int64_t lo = iw < 0 ? -iw : 0;
      int64_t hi = g->w - iw < g->kw ? g->w - iw : g->kw;
      if (hi < lo) hi = lo;
      float *seg = col + ((oh - row) * g->ow + ow) * g->kh * run;
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

/* The column matrix of tile t of the batch x: a slice of x itself for a
** pointwise convolution, otherwise built in scratch. */
static const float *tile_columns(const rt_window *g, conv_tile t,
                                 const float *x, float *scratch) {
  const float *image = x + t.image * g->h * g->w * g->c;
  if (conv_is_pointwise(g)) return image + t.row * g->w * g->c;
  conv_col_walk(g, image, NULL, scratch, t.row, t.rows);
  return scratch;
}

/* One tile's column matrix; a pointwise convolution needs none. For VGG16
** that is 0.5 to 2.6 MiB where whole images would take up to 113 MiB. */
size_t rt_conv2d_scratch(const rt_window *g) {
  if (conv_is_pointwise(g)) return 0;
  return (size_t)(tile_rows(g) * g->ow * conv_depth(g));
}

/* y rows of the tile = col[cells, KH*KW*C] x w[KH*KW*C, F]. */
void rt_conv2d_forward_tile(const rt_window *g, int64_t tile, const float *x,
                            const float *w, const rt_epilogue *epilogue,
                            float *y, float *scratch) {
  conv_tile t = tile_at(g, tile);
  float *out = y + (t.image * g->oh + t.row) * g->ow * g->f;
  if (rt_conv2d_direct_applies(g))
    rt_conv2d_direct_rows(g, x + t.image * g->h * g->w * g->c, w, t.row, t.rows, out);
  else
    rt_matmul(t.rows * g->ow, conv_depth(g), g->f, 0, 0,
              tile_columns(g, t, x, scratch), w, out);
  if (epilogue) rt_epilogue_apply(epilogue, t.rows * g->ow, g->f, out);
}

void rt_conv2d_forward(const rt_window *g, const float *x, const float *w,
                       float *y, float *scratch) {
  for (int64_t tile = 0, tiles = rt_conv2d_tiles(g); tile < tiles; tile++)
    rt_conv2d_forward_tile(g, tile, x, w, NULL, y, scratch);
}

/* Per tile: dcol[cells, KH*KW*C] = dy[cells, F] x w^T, then col2im adds
** dcol into dx[H,W,C], zeroed first. Tiles of one image overlap in dx, so
** they run in order on one thread. A pointwise convolution writes dcol
** straight into dx, since there dcol is dx. */
void rt_conv2d_backward_input(const rt_window *g, const float *dy,
                              const float *w, float *dx, float *scratch) {
  const int pointwise = conv_is_pointwise(g);
  if (!pointwise)
    memset(dx, 0, (size_t)(g->n * g->h * g->w * g->c) * sizeof *dx);
  for (int64_t tile = 0, tiles = rt_conv2d_tiles(g); tile < tiles; tile++) {
    conv_tile t = tile_at(g, tile);
    float *dx_n = dx + t.image * g->h * g->w * g->c;
    const int64_t cells = t.rows * g->ow;
    const float *dy_t = dy + (t.image * g->oh + t.row) * g->ow * g->f;
    rt_matmul(cells, g->f, conv_depth(g), 0, 1, dy_t, w,
              pointwise ? dx_n + t.row * g->w * g->c : scratch);
    if (!pointwise) conv_col_walk(g, NULL, dx_n, scratch, t.row, t.rows);
  }
}

/* dw[KH*KW*C, F] = sum over tiles of col^T x dy[cells, F]. The first tile
** overwrites dw (beta 0), later ones accumulate into it (beta 1), so only
** one tile's columns are ever held. */
void rt_conv2d_backward_filter(const rt_window *g, const float *x,
                               const float *dy, float *dw, float *scratch) {
  const int64_t depth = conv_depth(g);
  if (depth <= 0 || g->f <= 0) return;
  const int64_t tiles = rt_conv2d_tiles(g);
  if (tiles <= 0 || g->ow <= 0) {
    memset(dw, 0, (size_t)(depth * g->f) * sizeof *dw);
    return;
  }
  for (int64_t tile = 0; tile < tiles; tile++) {
    conv_tile t = tile_at(g, tile);
    const float *dy_t = dy + (t.image * g->oh + t.row) * g->ow * g->f;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (blasint)depth,
                (blasint)g->f, (blasint)(t.rows * g->ow), 1.0f,
                tile_columns(g, t, x, scratch), (blasint)depth, dy_t,
                (blasint)g->f, tile ? 1.0f : 0.0f, dw, (blasint)g->f);
  }
}
