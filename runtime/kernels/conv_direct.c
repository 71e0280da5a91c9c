/*
** conv_direct.c: direct convolution for thin inputs (a network's first
** layer: 1 to 3 channels, so a 3x3 window is 9 to 27 taps). There im2col
** plus sgemm spends its time packing a matrix only 27 columns wide; here
** each output cell keeps up to 64 filters' sums in AVX2 registers and
** reads its taps straight from the image, one broadcast and a row of FMAs
** per tap. Used on CPUs with AVX2 and FMA (checked at run time); elsewhere
** conv.c keeps im2col.
*/
#include <immintrin.h>

#include "runtime/kernels/kernels.h"

enum {
  DIRECT_MAX_TAPS = 32, /* KH*KW*C up to this: thin enough to go direct */
  LANES = 8             /* floats in an AVX2 register */
};

/* libgcc fills the CPU model in a constructor, so this is two loads and
** safe from any thread. */
static int cpu_has_avx2_fma(void) {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int rt_conv2d_direct_applies(const rt_window *g) {
  return g->kh * g->kw * g->c <= DIRECT_MAX_TAPS && g->f > 0 && g->f % LANES == 0 &&
         cpu_has_avx2_fma();
}

/* Filters [f0, f0 + 8 * vecs) of output cell (oh, ow) into cell: the taps
** inside the image in (row, column, channel) order, each broadcast against
** the filter row it multiplies. Inlined with a constant vecs, the
** accumulators stay in registers. Returns the next f0. */
__attribute__((target("avx2,fma"), always_inline)) static inline int64_t
direct_cell(const rt_window *g, const float *image, const float *w, int64_t oh,
            int64_t ow, int64_t f0, int vecs, float *cell) {
  __m256 acc[8];
  for (int v = 0; v < vecs; v++) acc[v] = _mm256_setzero_ps();
  for (int64_t i = 0; i < g->kh; i++) {
    const int64_t r = oh * g->sh - g->pad_top + i;
    if (r < 0 || r >= g->h) continue;
    for (int64_t j = 0; j < g->kw; j++) {
      const int64_t s = ow * g->sw - g->pad_left + j;
      if (s < 0 || s >= g->w) continue;
      const float *px = image + (r * g->w + s) * g->c;
      const float *wk = w + (i * g->kw + j) * g->c * g->f + f0;
      for (int64_t c = 0; c < g->c; c++) {
        const __m256 b = _mm256_broadcast_ss(px + c);
        for (int v = 0; v < vecs; v++)
          acc[v] = _mm256_fmadd_ps(b, _mm256_loadu_ps(wk + c * g->f + v * LANES), acc[v]);
      }
    }
  }
  for (int v = 0; v < vecs; v++) _mm256_storeu_ps(cell + f0 + v * LANES, acc[v]);
  return f0 + vecs * LANES;
}

/* Filters [f0, f0 + 32) of three neighbouring cells (oh, ow .. ow + 2)
** whose windows lie inside the image's columns: each filter row loaded
** serves three cells, so the FMAs, not the loads, set the pace. Returns
** the next f0. */
__attribute__((target("avx2,fma"), always_inline)) static inline int64_t
direct_three_cells(const rt_window *g, const float *image, const float *w, int64_t oh,
                   int64_t ow, int64_t f0, float *cell) {
  __m256 acc[3][4];
  for (int k = 0; k < 3; k++)
    for (int v = 0; v < 4; v++) acc[k][v] = _mm256_setzero_ps();
  const int64_t step = g->sw * g->c; /* floats from one cell's tap to the next cell's */
  for (int64_t i = 0; i < g->kh; i++) {
    const int64_t r = oh * g->sh - g->pad_top + i;
    if (r < 0 || r >= g->h) continue;
    for (int64_t j = 0; j < g->kw; j++) {
      const float *px = image + (r * g->w + ow * g->sw - g->pad_left + j) * g->c;
      const float *wk = w + (i * g->kw + j) * g->c * g->f + f0;
      for (int64_t c = 0; c < g->c; c++) {
        __m256 row[4];
        for (int v = 0; v < 4; v++) row[v] = _mm256_loadu_ps(wk + c * g->f + v * LANES);
        for (int k = 0; k < 3; k++) {
          const __m256 b = _mm256_broadcast_ss(px + k * step + c);
          for (int v = 0; v < 4; v++) acc[k][v] = _mm256_fmadd_ps(b, row[v], acc[k][v]);
        }
      }
    }
  }
  for (int k = 0; k < 3; k++)
    for (int v = 0; v < 4; v++)
      _mm256_storeu_ps(cell + k * g->f + f0 + v * LANES, acc[k][v]);
  return f0 + 4 * LANES;
}

/* Whether the windows of cells ow .. ow + 2 lie inside the image's columns. */
static int columns_inside(const rt_window *g, int64_t ow) {
  const int64_t first = ow * g->sw - g->pad_left, last = (ow + 2) * g->sw - g->pad_left + g->kw;
  return ow + 2 < g->ow && first >= 0 && last <= g->w;
}

__attribute__((target("avx2,fma")))
void rt_conv2d_direct_rows(const rt_window *g, const float *image, const float *w,
                           int64_t row, int64_t rows, float *y) {
  for (int64_t oh = row; oh < row + rows; oh++)
    for (int64_t ow = 0; ow < g->ow;) {
      float *cell = y + ((oh - row) * g->ow + ow) * g->f;
      int64_t f0 = 0;
      if (g->f % (4 * LANES) == 0 && columns_inside(g, ow)) {
        while (f0 < g->f) f0 = direct_three_cells(g, image, w, oh, ow, f0, cell);
        ow += 3;
        continue;
      }
      while (g->f - f0 >= 8 * LANES) f0 = direct_cell(g, image, w, oh, ow, f0, 8, cell);
      if (g->f - f0 >= 4 * LANES) f0 = direct_cell(g, image, w, oh, ow, f0, 4, cell);
      while (f0 < g->f) f0 = direct_cell(g, image, w, oh, ow, f0, 1, cell);
      ow++;
    }
}
