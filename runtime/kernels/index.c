/*
** index.c: indexing kernels (gather, pick, one-hot), their gradients, and
** dtype casts. Indices are int32 and checked against their range before
** anything is written: a bad index is an input error (-1), never an
** out-of-bounds access.
*/
#include <math.h>
#include <string.h>

#include "netc.h"
#include "runtime/kernels/kernels.h"

static int indices_ok(int64_t n, const int32_t *idx, int64_t len) {
  for (int64_t k = 0; k < n; k++)
    if (idx[k] < 0 || idx[k] >= len) return 0;
  return 1;
}

/* y[outer, n, inner] = x[outer, idx[k], inner]: whole inner blocks of
** elem_size-byte elements are copied. */
int rt_gather(int64_t outer, int64_t len, int64_t inner, size_t elem_size,
              const void *x, int64_t n, const int32_t *idx, void *y) {
  if (!indices_ok(n, idx, len)) return -1;
  size_t block = elem_size * (size_t)inner;
  const char *src = x;
  char *dst = y;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t k = 0; k < n; k++, dst += block)
      memcpy(dst, src + block * (size_t)(o * len + idx[k]), block);
  return 0;
}

/* dx[outer, len, inner] = sum over k with idx[k] = l of dy[outer, k, inner]:
** a repeated index accumulates, in k order. */
int rt_gather_grad(int64_t outer, int64_t len, int64_t inner, int64_t n,
                   const int32_t *idx, const float *dy, float *dx) {
  if (!indices_ok(n, idx, len)) return -1;
  memset(dx, 0, sizeof *dx * (size_t)(outer * len * inner));
  for (int64_t o = 0; o < outer; o++)
    for (int64_t k = 0; k < n; k++, dy += inner) {
      float *row = dx + (o * len + idx[k]) * inner;
      for (int64_t i = 0; i < inner; i++) row[i] += dy[i];
    }
  return 0;
}

/* y[r] = x[r, idx[r]] for x[rows, c] (one index per row, e.g. the value of
** the action taken in Q-learning). */
int rt_pick(int64_t rows, int64_t c, size_t elem_size, const void *x,
            const int32_t *idx, void *y) {
  if (!indices_ok(rows, idx, c)) return -1;
  for (int64_t r = 0; r < rows; r++)
    memcpy((char *)y + elem_size * (size_t)r,
           (const char *)x + elem_size * (size_t)(r * c + idx[r]), elem_size);
  return 0;
}

int rt_pick_grad(int64_t rows, int64_t c, const int32_t *idx, const float *dy,
                 float *dx) {
  if (!indices_ok(rows, idx, c)) return -1;
  memset(dx, 0, sizeof *dx * (size_t)(rows * c));
  for (int64_t r = 0; r < rows; r++) dx[r * c + idx[r]] = dy[r];
  return 0;
}

void rt_one_hot(int64_t n, int64_t depth, const int32_t *idx, float *y) {
  memset(y, 0, sizeof *y * (size_t)(n * depth));
  for (int64_t k = 0; k < n; k++)
    if (idx[k] >= 0 && idx[k] < depth) y[k * depth + idx[k]] = 1.0f;
}

/* ------------------------------------------------------------------ cast */

/* Element i of an array of dtype `t`, exactly, as a double. */
static double load(int t, const void *x, int64_t i) {
  switch (t) {
  case NETC_F32: return ((const float *)x)[i];
  case NETC_I32: return ((const int32_t *)x)[i];
  default: return ((const uint8_t *)x)[i]; /* NETC_U8, NETC_BOOL */
  }
}

/* Truncation toward zero clamped to [lo, hi]; NaN gives 0. */
static double clamp_trunc(double v, double lo, double hi) {
  if (isnan(v)) return 0;
  return v < lo ? lo : v > hi ? hi : trunc(v);
}

static void store(int t, void *y, int64_t i, double v) {
  switch (t) {
  case NETC_F32: ((float *)y)[i] = (float)v; break;
  case NETC_I32:
    ((int32_t *)y)[i] = (int32_t)clamp_trunc(v, INT32_MIN, INT32_MAX);
    break;
  case NETC_U8: ((uint8_t *)y)[i] = (uint8_t)clamp_trunc(v, 0, 255); break;
  default: ((uint8_t *)y)[i] = v != 0; break; /* NETC_BOOL */
  }
}

/* Every value goes through a double, which holds f32, i32 and u8 exactly:
** to f32 rounds to nearest; to i32 truncates toward zero and saturates at
** the int32 limits (NaN -> 0); to u8 truncates and saturates to [0, 255];
** to bool is x != 0 (so NaN -> 1). A dtype code outside 0..3 is a no-op. */
void rt_cast(int64_t n, int from, const void *x, int to, void *y) {
  if (from < NETC_F32 || from > NETC_BOOL || to < NETC_F32 || to > NETC_BOOL)
    return;
  for (int64_t i = 0; i < n; i++) store(to, y, i, load(from, x, i));
}
