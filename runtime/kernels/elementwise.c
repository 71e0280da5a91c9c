/*
** elementwise.c: elementwise kernels. Unary maps and their gradients,
** binary ops and `where` with numpy broadcasting, the sum of a broadcast
** gradient back to its operand's shape, and the bias add of dense layers.
** Broadcasting is walked by one iterator (bcast_*) shared by all three.
*/
#include <math.h>
#include <string.h>

#include "runtime/kernels/kernels.h"

/* The loop of one case of a switch over ops: STMT runs for i in [0, n). */
#define EACH(STMT)                                                            \
  for (int64_t i = 0; i < n; i++) {                                           \
    STMT;                                                                     \
  }                                                                           \
  break

/* ---------------------------------------------------------------- unary */

/* The logistic function without overflow: exp only sees x <= 0. */
static float sigmoid(float x) {
  if (x >= 0) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

void rt_unary_f32(rt_unary_op op, int64_t n, const float *x, float *y) {
  switch (op) {
  case RT_RELU: EACH(y[i] = x[i] > 0 ? x[i] : 0.0f);
  case RT_SIGMOID: EACH(y[i] = sigmoid(x[i]));
  case RT_TANH: EACH(y[i] = tanhf(x[i]));
  case RT_EXP: EACH(y[i] = expf(x[i]));
  case RT_LOG: EACH(y[i] = logf(x[i]));
  case RT_SQRT: EACH(y[i] = sqrtf(x[i]));
  case RT_ABS: EACH(y[i] = fabsf(x[i]));
  case RT_NEG: EACH(y[i] = -x[i]);
  }
}

/* Integer NEG, ABS and RELU wrap like two's complement hardware (so
** -INT32_MIN is INT32_MIN, not undefined behaviour). The float-only maps
** (SIGMOID, TANH, EXP, LOG, SQRT) are never emitted on i32: they copy x. */
void rt_unary_i32(rt_unary_op op, int64_t n, const int32_t *x, int32_t *y) {
  switch (op) {
  case RT_NEG: EACH(y[i] = (int32_t)(0u - (uint32_t)x[i]));
  case RT_ABS:
    EACH(y[i] = x[i] < 0 ? (int32_t)(0u - (uint32_t)x[i]) : x[i]);
  case RT_RELU: EACH(y[i] = x[i] > 0 ? x[i] : 0);
  case RT_SIGMOID:
  case RT_TANH:
  case RT_EXP:
  case RT_LOG:
  case RT_SQRT: EACH(y[i] = x[i]);
  }
}

/* dx[n] = dy[n] f'(x) through the saved output y. Beyond the header's
** RELU, SIGMOID and TANH, every map whose derivative is a function of y is
** covered: EXP (y), LOG (1/x = exp(-y)), SQRT (1 / 2y), NEG (-1). ABS is
** not (the sign of x is lost in y): the autodiff builds it from where and
** neg, and this kernel writes zeros for it. */
void rt_unary_grad(rt_unary_op op, int64_t n, const float *dy, const float *y,
                   float *dx) {
  switch (op) {
  case RT_RELU: EACH(const float d = dy[i]; dx[i] = y[i] > 0 ? d : 0.0f); /* load first: vectorizes */
  case RT_SIGMOID: EACH(dx[i] = dy[i] * y[i] * (1.0f - y[i]));
  case RT_TANH: EACH(dx[i] = dy[i] * (1.0f - y[i] * y[i]));
  case RT_EXP: EACH(dx[i] = dy[i] * y[i]);
  case RT_LOG: EACH(dx[i] = dy[i] * expf(-y[i]));
  case RT_SQRT: EACH(dx[i] = dy[i] * 0.5f / y[i]);
  case RT_NEG: EACH(dx[i] = -dy[i]);
  case RT_ABS: EACH(dx[i] = 0.0f);
  }
}

/* ---------------------------------------------------------- broadcasting */

/* Up to three operands broadcast against an output shape, walked one row
** (the output's last dim) at a time. Shapes are right-aligned; an operand
** dim of size 1 (or a missing one) gets stride 0 so it stretches. When
** every operand has either all the output's elements or just one (equal
** shapes, scalars), the whole output is one flat row: the fast path. */
typedef struct bcast {
  int rank;             /* dims walked, at least 1 */
  int nops;             /* operands, at most 3 */
  int64_t dim[8];       /* output dims; the last is the row length */
  int64_t stride[3][8]; /* element stride of each operand along each dim */
  int64_t pos[8];       /* index of the current row in dims 0..rank-2 */
  int64_t off[3];       /* element offset of the current row per operand */
} bcast;

static int64_t numel(const rt_shape *s) {
  int64_t n = 1;
  for (int d = 0; d < s->rank; d++) n *= s->dim[d];
  return n;
}

/* Sets up the walk and returns the number of rows (0 for an empty
** output); the row length is w->dim[w->rank - 1]. */
static int64_t bcast_init(bcast *w, const rt_shape *out, int nops,
                          const rt_shape *const *ops) {
  memset(w, 0, sizeof *w);
  int64_t n = numel(out);
  int flat = 1;
  for (int k = 0; k < nops; k++) {
    int64_t m = numel(ops[k]);
    if (m != n && m != 1) flat = 0;
  }
  w->nops = nops;
  if (flat) {
    w->rank = 1;
    w->dim[0] = n;
    for (int k = 0; k < nops; k++)
      w->stride[k][0] = numel(ops[k]) == n && n != 1 ? 1 : 0;
  } else {
    w->rank = out->rank;
    for (int d = 0; d < w->rank; d++) w->dim[d] = out->dim[d];
    for (int k = 0; k < nops; k++) {
      int64_t s = 1;
      for (int d = w->rank - 1; d >= 0; d--) {
        int od = d - (w->rank - ops[k]->rank);
        int64_t size = od >= 0 ? ops[k]->dim[od] : 1;
        w->stride[k][d] = size == 1 ? 0 : s;
        s *= size;
      }
    }
  }
  for (int d = 0; d < w->rank; d++) w->pos[d] = 0;
  for (int k = 0; k < nops; k++) w->off[k] = 0;
  int64_t len = w->dim[w->rank - 1];
  return len > 0 ? n / len : 0;
}

/* Moves to the next row: an odometer over dims rank-2 .. 0. */
static void bcast_next(bcast *w) {
  for (int d = w->rank - 2; d >= 0; d--) {
    for (int k = 0; k < w->nops; k++) w->off[k] += w->stride[k][d];
    if (++w->pos[d] < w->dim[d]) return;
    for (int k = 0; k < w->nops; k++)
      w->off[k] -= w->stride[k][d] * w->dim[d];
    w->pos[d] = 0;
  }
}

/* ---------------------------------------------------------------- binary */

/* One op over a run of n elements: a[i * sa] op b[i * sb] into out[i],
** strides 0 (broadcast) or 1. The op's expression sees u and v. */
#define RUN(T, R, EXPR)                                                       \
  do {                                                                        \
    const T *pa = a, *pb = b;                                                 \
    R *po = out;                                                              \
    for (int64_t i = 0; i < n; i++) {                                         \
      T u = pa[i * sa], v = pb[i * sb];                                       \
      po[i] = (R)(EXPR);                                                      \
    }                                                                         \
  } while (0)

/* f32: MAXIMUM and MINIMUM are fmaxf/fminf (a NaN loses to a number). */
static void binary_f32(rt_binary_op op, int64_t n, const void *a, int64_t sa,
                       const void *b, int64_t sb, void *out) {
  switch (op) {
  case RT_ADD: RUN(float, float, u + v); break;
  case RT_SUB: RUN(float, float, u - v); break;
  case RT_MUL: RUN(float, float, u * v); break;
  case RT_DIV: RUN(float, float, u / v); break;
  case RT_MAXIMUM: RUN(float, float, fmaxf(u, v)); break;
  case RT_MINIMUM: RUN(float, float, fminf(u, v)); break;
  case RT_LESS: RUN(float, uint8_t, u < v); break;
  case RT_GREATER: RUN(float, uint8_t, u > v); break;
  case RT_LESS_EQUAL: RUN(float, uint8_t, u <= v); break;
  case RT_GREATER_EQUAL: RUN(float, uint8_t, u >= v); break;
  case RT_EQUAL: RUN(float, uint8_t, u == v); break;
  case RT_NOT_EQUAL: RUN(float, uint8_t, u != v); break;
  }
}

/* i32 never traps: ADD, SUB and MUL wrap modulo 2^32; DIV truncates
** toward zero like C, x / 0 is 0 and INT32_MIN / -1 wraps to INT32_MIN. */
static int32_t div_i32(int32_t u, int32_t v) {
  if (v == 0) return 0;
  if (v == -1) return (int32_t)(0u - (uint32_t)u);
  return u / v;
}

static void binary_i32(rt_binary_op op, int64_t n, const void *a, int64_t sa,
                       const void *b, int64_t sb, void *out) {
  switch (op) {
  case RT_ADD: RUN(int32_t, int32_t, (uint32_t)u + (uint32_t)v); break;
  case RT_SUB: RUN(int32_t, int32_t, (uint32_t)u - (uint32_t)v); break;
  case RT_MUL: RUN(int32_t, int32_t, (uint32_t)u * (uint32_t)v); break;
  case RT_DIV: RUN(int32_t, int32_t, div_i32(u, v)); break;
  case RT_MAXIMUM: RUN(int32_t, int32_t, u > v ? u : v); break;
  case RT_MINIMUM: RUN(int32_t, int32_t, u < v ? u : v); break;
  case RT_LESS: RUN(int32_t, uint8_t, u < v); break;
  case RT_GREATER: RUN(int32_t, uint8_t, u > v); break;
  case RT_LESS_EQUAL: RUN(int32_t, uint8_t, u <= v); break;
  case RT_GREATER_EQUAL: RUN(int32_t, uint8_t, u >= v); break;
  case RT_EQUAL: RUN(int32_t, uint8_t, u == v); break;
  case RT_NOT_EQUAL: RUN(int32_t, uint8_t, u != v); break;
  }
}

/* Operands are 4 bytes (f32 or i32); comparisons (RT_LESS onwards in the
** enum, ORDER rt_binary_op) write 1-byte 0/1. */
void rt_binary(rt_binary_op op, int dtype_i32, const void *a,
               const rt_shape *as, const void *b, const rt_shape *bs,
               void *out, const rt_shape *out_shape) {
  const rt_shape *ops[2] = {as, bs};
  size_t osize = op >= RT_LESS ? 1 : 4;
  bcast w;
  int64_t rows = bcast_init(&w, out_shape, 2, ops);
  int last = w.rank - 1;
  int64_t len = w.dim[last];
  for (int64_t r = 0; r < rows; r++, bcast_next(&w)) {
    const char *ra = (const char *)a + 4 * w.off[0];
    const char *rb = (const char *)b + 4 * w.off[1];
    char *ro = (char *)out + osize * (size_t)(r * len);
    if (dtype_i32)
      binary_i32(op, len, ra, w.stride[0][last], rb, w.stride[1][last], ro);
    else
      binary_f32(op, len, ra, w.stride[0][last], rb, w.stride[1][last], ro);
  }
}

/* out = cond ? a : b, elements of elem_size bytes (1 or 4). */
void rt_where(const uint8_t *cond, const rt_shape *cs, const void *a,
              const rt_shape *as, const void *b, const rt_shape *bs,
              void *out, const rt_shape *out_shape, size_t elem_size) {
  const rt_shape *ops[3] = {cs, as, bs};
  bcast w;
  int64_t rows = bcast_init(&w, out_shape, 3, ops);
  int last = w.rank - 1;
  int64_t len = w.dim[last];
  char *o = out;
  for (int64_t r = 0; r < rows; r++, bcast_next(&w)) {
    for (int64_t i = 0; i < len; i++, o += elem_size) {
      int take_a = cond[w.off[0] + i * w.stride[0][last]] != 0;
      const char *src = take_a ? a : b;
      int k = take_a ? 1 : 2;
      memcpy(o, src + elem_size * (size_t)(w.off[k] + i * w.stride[k][last]),
             elem_size);
    }
  }
}

/* y[ys] = x[xs] summed over the dims broadcasting stretched: ys is walked
** as the one operand of xs, each x element added to the y element it was
** broadcast from, in x's row-major order (deterministic). A y element
** shared by a whole row is summed in double first. */
void rt_sum_to(const float *x, const rt_shape *xs, float *y,
               const rt_shape *ys) {
  const rt_shape *ops[1] = {ys};
  bcast w;
  int64_t rows = bcast_init(&w, xs, 1, ops);
  int last = w.rank - 1;
  int64_t len = w.dim[last], sy = w.stride[0][last];
  memset(y, 0, sizeof *y * (size_t)numel(ys));
  for (int64_t r = 0; r < rows; r++, bcast_next(&w), x += len) {
    float *py = y + w.off[0];
    if (sy == 0) {
      double acc = 0;
      for (int64_t i = 0; i < len; i++) acc += x[i];
      *py += (float)acc;
    } else {
      for (int64_t i = 0; i < len; i++) py[i] += x[i];
    }
  }
}

/* ------------------------------------------------------------------ bias */

void rt_bias_add(int64_t rows, int64_t c, const float *x, const float *b,
                 float *y) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < c; j++) y[r * c + j] = x[r * c + j] + b[j];
}

void rt_epilogue_apply(const rt_epilogue *e, int64_t rows, int64_t c, float *y) {
  if (e->bias) rt_bias_add(rows, c, y, e->bias, y);
  if (e->relu) rt_unary_f32(RT_RELU, rows * c, y, y);
}

/* db[c]: rows summed in order, one row at a time (cache-friendly). */
void rt_bias_grad(int64_t rows, int64_t c, const float *dy, float *db) {
  memset(db, 0, sizeof *db * (size_t)c);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < c; j++) db[j] += dy[r * c + j];
}
