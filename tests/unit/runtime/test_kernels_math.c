/*
** test_kernels_math.c: the math kernels of runtime/kernels (elementwise,
** softmax, losses, reductions, indexing, random, batchnorm, preprocessing,
** optimizers). Each kernel is compared with a plain-loop reference written
** here (the oracle) on random inputs from a fixed-seed generator, with odd
** sizes and batch 1; every gradient kernel is checked against central
** differences of its forward kernel; optimizers against numbers worked out
** by hand over two steps.
**
** To add a kernel test: write its reference loop (ref_*) and a
** `static void test_x(void)` below, then list it in TESTS at the end. For
** a gradient, write an objective (the forward kernel dotted with fixed
** weights) and call gradcheck().
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "netc.h"
#include "runtime/kernels/kernels.h"
#include "tests/unit/test_case.h"

#define MAXN 1024 /* the largest array of any test below but the random ones */

/* ---------------------------------------------------------- helpers */

static uint64_t rng = 0x5eed;

/* SplitMix64: the tests' own generator, independent of rt_uniform. */
static uint64_t next64(void) {
  uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static double urand(void) { return (double)(next64() >> 11) * 0x1p-53; }

static void fill(float *x, int64_t n, double lo, double hi) {
  for (int64_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * urand());
}

static int32_t irand(int32_t lo, int32_t hi) { /* in [lo, hi] */
  return lo + (int32_t)(next64() % (uint64_t)(hi - lo + 1));
}

static double dot(const float *a, const float *b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)a[i] * b[i];
  return s;
}

/* Every got[i] within tol (1 + |want[i]|) of want[i]; the first miss is
** shown on stderr. */
static void expect_near(const char *what, const float *got,
                        const double *want, int64_t n, double tol) {
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++)
    if (!(fabs(got[i] - want[i]) <= tol * (1 + fabs(want[i])))) {
      if (!bad)
        fprintf(stderr, "\n  %s[%lld]: got %.9g, want %.9g\n", what,
                (long long)i, got[i], want[i]);
      bad++;
    }
  CU_ASSERT_EQUAL(bad, 0);
}

/* "3,1,5" -> [3,1,5]; "" is a scalar. */
static rt_shape shape(const char *dims) {
  rt_shape s = {0, {0}};
  for (const char *p = dims; *p;) {
    char *end;
    s.dim[s.rank++] = strtoll(p, &end, 10);
    p = *end == ',' ? end + 1 : end;
  }
  return s;
}

static int64_t numel(const rt_shape *s) {
  int64_t n = 1;
  for (int d = 0; d < s->rank; d++) n *= s->dim[d];
  return n;
}

/* The numpy broadcast of two shapes (assumed compatible). */
static rt_shape broadcast(const rt_shape *a, const rt_shape *b) {
  rt_shape o = {a->rank > b->rank ? a->rank : b->rank, {0}};
  for (int d = 0; d < o.rank; d++) {
    int da = d - (o.rank - a->rank), db = d - (o.rank - b->rank);
    int64_t x = da >= 0 ? a->dim[da] : 1, y = db >= 0 ? b->dim[db] : 1;
    o.dim[d] = x == 1 ? y : x;
  }
  return o;
}

/* Offset in an operand of shape s of output element k (flat, row-major
** in shape out) under right-aligned broadcasting: coordinates by div/mod. */
static int64_t ref_offset(const rt_shape *out, int64_t k, const rt_shape *s) {
  int64_t off = 0, mul = 1;
  for (int d = out->rank - 1; d >= 0; d--) {
    int64_t coord = k % out->dim[d];
    k /= out->dim[d];
    int sd = d - (out->rank - s->rank);
    if (sd >= 0) {
      if (s->dim[sd] != 1) off += coord * mul;
      mul *= s->dim[sd];
    }
  }
  return off;
}

/* A scalar function of some float array held in ctx, computed in double:
** a forward kernel dotted with fixed random weights. */
typedef double (*objective)(void *ctx);

/* Central differences of f in each entry of v[n] (an array f reads through
** ctx, perturbed in place by +-h and restored) against the analytic
** gradient g[n]. Tolerance: 1e-3 absolute plus 1e-2 relative. */
static void gradcheck(const char *what, objective f, void *ctx, float *v,
                      int64_t n, const float *g, float h) {
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++) {
    float save = v[i];
    v[i] = save + h;
    double xp = v[i], fp = f(ctx);
    v[i] = save - h;
    double xm = v[i], fm = f(ctx);
    v[i] = save;
    double num = (fp - fm) / (xp - xm);
    if (!(fabs(num - g[i]) <= 1e-3 + 1e-2 * fabs(num))) {
      if (!bad)
        fprintf(stderr, "\n  %s: d[%lld] analytic %.7g, numeric %.7g\n", what,
                (long long)i, g[i], num);
      bad++;
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
}

/* -------------------------------------------------------------- unary */

static double ref_unary(rt_unary_op op, double x) {
  switch (op) {
  case RT_RELU: return x > 0 ? x : 0;
  case RT_SIGMOID: return 1 / (1 + exp(-x));
  case RT_TANH: return tanh(x);
  case RT_EXP: return exp(x);
  case RT_LOG: return log(x);
  case RT_SQRT: return sqrt(x);
  case RT_ABS: return fabs(x);
  case RT_NEG: return -x;
  }
  return NAN;
}

static const int64_t SIZES[] = {1, 37};

static void test_unary_f32(void) {
  float x[64], y[64];
  double want[64];
  for (int op = RT_RELU; op <= RT_NEG; op++)
    for (int s = 0; s < 2; s++) {
      int64_t n = SIZES[s];
      int positive = op == RT_LOG || op == RT_SQRT;
      fill(x, n, positive ? 0.05 : -4, 4);
      rt_unary_f32((rt_unary_op)op, n, x, y);
      for (int64_t i = 0; i < n; i++)
        want[i] = ref_unary((rt_unary_op)op, x[i]);
      expect_near("unary", y, want, n, 1e-6);
    }
  /* The logistic saturates without overflow. */
  float big[2] = {-100, 100}, sig[2];
  rt_unary_f32(RT_SIGMOID, 2, big, sig);
  CU_ASSERT(sig[0] >= 0 && sig[0] < 1e-30f);
  CU_ASSERT_EQUAL(sig[1], 1.0f);
}

static void test_unary_i32(void) {
  int32_t x[37], y[37];
  for (int i = 0; i < 37; i++) x[i] = irand(-1000, 1000);
  rt_unary_i32(RT_NEG, 37, x, y);
  for (int i = 0; i < 37; i++) CU_ASSERT_EQUAL(y[i], -x[i]);
  rt_unary_i32(RT_ABS, 37, x, y);
  for (int i = 0; i < 37; i++) CU_ASSERT_EQUAL(y[i], x[i] < 0 ? -x[i] : x[i]);
  rt_unary_i32(RT_RELU, 37, x, y);
  for (int i = 0; i < 37; i++) CU_ASSERT_EQUAL(y[i], x[i] > 0 ? x[i] : 0);
  /* Two's complement wrap instead of undefined behaviour. */
  int32_t min = INT32_MIN, r;
  rt_unary_i32(RT_NEG, 1, &min, &r);
  CU_ASSERT_EQUAL(r, INT32_MIN);
  rt_unary_i32(RT_ABS, 1, &min, &r);
  CU_ASSERT_EQUAL(r, INT32_MIN);
}

typedef struct unary_ctx {
  rt_unary_op op;
  int64_t n;
  float *x;
  const float *w;
} unary_ctx;

static double unary_obj(void *p) {
  unary_ctx *c = p;
  float y[MAXN];
  rt_unary_f32(c->op, c->n, c->x, y);
  return dot(y, c->w, c->n);
}

/* Every op whose derivative the kernel covers; x keeps away from the
** ReLU kink and from the poles of log and sqrt. */
static void test_unary_grad(void) {
  static const rt_unary_op ops[] = {RT_RELU, RT_SIGMOID, RT_TANH, RT_EXP,
                                    RT_LOG,  RT_SQRT,    RT_NEG};
  float x[37], w[37], y[37], dx[37];
  for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
    for (int s = 0; s < 2; s++) {
      int64_t n = SIZES[s];
      fill(w, n, -1, 1);
      if (ops[k] == RT_LOG || ops[k] == RT_SQRT) {
        fill(x, n, 0.5, 3);
      } else {
        fill(x, n, 0.1, 2);
        for (int64_t i = 0; i < n; i += 2) x[i] = -x[i];
      }
      unary_ctx c = {ops[k], n, x, w};
      rt_unary_f32(ops[k], n, x, y);
      rt_unary_grad(ops[k], n, w, y, dx);
      gradcheck("unary_grad", unary_obj, &c, x, n, dx, 1e-3f);
    }
  /* ABS is outside the y-only kernel (documented): zeros. */
  rt_unary_grad(RT_ABS, 37, w, y, dx);
  for (int i = 0; i < 37; i++) CU_ASSERT_EQUAL(dx[i], 0.0f);
}

/* ------------------------------------------------------------- binary */

/* Operand shape pairs: equal, scalars (rank 0 and [1]), stretching on
** either side, rank padding, batch 1, and an empty output. */
static const char *const PAIRS[][2] = {
    {"5,7", "5,7"}, {"", "3,5"},   {"3,5", "1"},       {"3,1,5", "4,1"},
    {"1,4,1", "3,1,5"}, {"1", "1"}, {"1,7", "1,1"},   {"", ""},
    {"7", "3,1"}, {"2,1,3,1,3", "3,2,1"}, {"0,3", "3"}};
#define NPAIRS (sizeof PAIRS / sizeof *PAIRS)

static float ref_binary_f32(rt_binary_op op, float u, float v) {
  switch (op) {
  case RT_ADD: return u + v;
  case RT_SUB: return u - v;
  case RT_MUL: return u * v;
  case RT_DIV: return u / v;
  case RT_MAXIMUM: return u > v ? u : v;
  case RT_MINIMUM: return u < v ? u : v;
  case RT_LESS: return u < v;
  case RT_GREATER: return u > v;
  case RT_LESS_EQUAL: return u <= v;
  case RT_GREATER_EQUAL: return u >= v;
  case RT_EQUAL: return u == v;
  case RT_NOT_EQUAL: return u != v;
  }
  return NAN;
}

/* In int64, wrapped to int32 afterwards; x / 0 = 0 by definition. */
static int64_t ref_binary_i32(rt_binary_op op, int64_t u, int64_t v) {
  switch (op) {
  case RT_ADD: return u + v;
  case RT_SUB: return u - v;
  case RT_MUL: return u * v;
  case RT_DIV: return v == 0 ? 0 : u / v;
  case RT_MAXIMUM: return u > v ? u : v;
  case RT_MINIMUM: return u < v ? u : v;
  case RT_LESS: return u < v;
  case RT_GREATER: return u > v;
  case RT_LESS_EQUAL: return u <= v;
  case RT_GREATER_EQUAL: return u >= v;
  case RT_EQUAL: return u == v;
  case RT_NOT_EQUAL: return u != v;
  }
  return 0;
}

static int32_t wrap32(int64_t v) { return (int32_t)(uint32_t)(uint64_t)v; }

/* Every op, both dtypes, every shape pair, in both operand orders.
** Values are small integers (f32: plus 0.5, never 0) so ties occur. */
static void test_binary(void) {
  float fa[MAXN], fb[MAXN], fo[MAXN];
  int32_t ia[MAXN], ib[MAXN], io[MAXN];
  uint8_t co[MAXN];
  for (size_t k = 0; k < NPAIRS; k++)
    for (int swap = 0; swap < 2; swap++) {
      rt_shape as = shape(PAIRS[k][swap]), bs = shape(PAIRS[k][!swap]);
      rt_shape os = broadcast(&as, &bs);
      int64_t na = numel(&as), nb = numel(&bs), n = numel(&os);
      for (int64_t i = 0; i < na; i++) {
        ia[i] = irand(-3, 3);
        fa[i] = (float)irand(-3, 2) + 0.5f;
      }
      for (int64_t i = 0; i < nb; i++) {
        ib[i] = irand(-3, 3);
        fb[i] = (float)irand(-3, 2) + 0.5f;
      }
      for (int op = RT_ADD; op <= RT_NOT_EQUAL; op++) {
        int cmp = op >= RT_LESS, bad = 0;
        rt_binary((rt_binary_op)op, 0, fa, &as, fb, &bs, cmp ? (void *)co : fo,
                  &os);
        for (int64_t i = 0; i < n; i++) {
          float want = ref_binary_f32((rt_binary_op)op,
                                      fa[ref_offset(&os, i, &as)],
                                      fb[ref_offset(&os, i, &bs)]);
          bad += (cmp ? co[i] : fo[i]) != want;
        }
        rt_binary((rt_binary_op)op, 1, ia, &as, ib, &bs, cmp ? (void *)co : io,
                  &os);
        for (int64_t i = 0; i < n; i++) {
          int64_t want = ref_binary_i32((rt_binary_op)op,
                                        ia[ref_offset(&os, i, &as)],
                                        ib[ref_offset(&os, i, &bs)]);
          bad += (cmp ? co[i] : io[i]) != wrap32(want);
        }
        if (bad)
          fprintf(stderr, "\n  binary op %d, %s with %s\n", op,
                  PAIRS[k][swap], PAIRS[k][!swap]);
        CU_ASSERT_EQUAL(bad, 0);
      }
    }
}

/* Integer edge cases: division by zero is 0, overflow wraps. */
static void test_binary_i32_edges(void) {
  rt_shape s = shape("3");
  int32_t a[3] = {7, INT32_MIN, INT32_MAX}, b[3] = {0, -1, 1}, o[3];
  rt_binary(RT_DIV, 1, a, &s, b, &s, o, &s);
  CU_ASSERT_EQUAL(o[0], 0);
  CU_ASSERT_EQUAL(o[1], INT32_MIN);
  CU_ASSERT_EQUAL(o[2], INT32_MAX);
  rt_binary(RT_ADD, 1, a, &s, b, &s, o, &s);
  CU_ASSERT_EQUAL(o[2], INT32_MIN);
  int32_t c[3] = {-7, 7, -7}, d[3] = {2, -2, -2};
  rt_binary(RT_DIV, 1, c, &s, d, &s, o, &s); /* truncation toward zero */
  CU_ASSERT(o[0] == -3 && o[1] == -3 && o[2] == 3);
}

/* where on shape triples, 4-byte and 1-byte elements. */
static void test_where(void) {
  static const char *const triples[][3] = {
      {"5,7", "5,7", "5,7"}, {"", "3,5", ""},     {"3,1,5", "4,1", "5"},
      {"1,4,1", "3,1,5", "1"}, {"1", "1", "1"},   {"7", "3,1", "3,7"},
      {"2,1", "", "1,3"}};
  uint8_t c[MAXN], ua[MAXN], ub[MAXN], uo[MAXN];
  float fa[MAXN], fb[MAXN], fo[MAXN];
  for (size_t k = 0; k < sizeof triples / sizeof *triples; k++) {
    rt_shape cs = shape(triples[k][0]), as = shape(triples[k][1]),
             bs = shape(triples[k][2]);
    rt_shape ab = broadcast(&as, &bs), os = broadcast(&cs, &ab);
    int64_t n = numel(&os);
    for (int64_t i = 0; i < numel(&cs); i++) c[i] = (uint8_t)irand(0, 1);
    fill(fa, numel(&as), -1, 1);
    fill(fb, numel(&bs), -1, 1);
    for (int64_t i = 0; i < numel(&as); i++) ua[i] = (uint8_t)irand(0, 255);
    for (int64_t i = 0; i < numel(&bs); i++) ub[i] = (uint8_t)irand(0, 255);
    rt_where(c, &cs, fa, &as, fb, &bs, fo, &os, 4);
    rt_where(c, &cs, ua, &as, ub, &bs, uo, &os, 1);
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
      int take = c[ref_offset(&os, i, &cs)];
      int64_t ja = ref_offset(&os, i, &as), jb = ref_offset(&os, i, &bs);
      bad += fo[i] != (take ? fa[ja] : fb[jb]);
      bad += uo[i] != (take ? ua[ja] : ub[jb]);
    }
    CU_ASSERT_EQUAL(bad, 0);
  }
}

/* ------------------------------------------------- sum_to and bias */

/* Big shape, small shape: the pairs of a broadcast gradient. */
static const char *const SUMS[][2] = {
    {"3,4,5", "4,1"}, {"3,4,5", "5"},   {"3,4,5", ""},    {"3,4,5", "3,4,5"},
    {"1,7", "7"},     {"6,1,5", "1,1,5"}, {"3,4,5", "3,1,1"}, {"1", ""},
    {"2,3,1,5", "3,1,1"}};
#define NSUMS (sizeof SUMS / sizeof *SUMS)

typedef struct sum_ctx {
  rt_shape xs, ys;
  float *w;        /* small [ys]: perturbed */
  const float *v;  /* big [xs]: weights */
} sum_ctx;

/* <broadcast(w), v>, broadcasting with rt_binary (w + 0). */
static double sum_obj(void *p) {
  sum_ctx *c = p;
  float zero[MAXN] = {0}, big[MAXN];
  rt_binary(RT_ADD, 0, c->w, &c->ys, zero, &c->xs, big, &c->xs);
  return dot(big, c->v, numel(&c->xs));
}

/* sum_to against its oracle, and as the adjoint of broadcasting: the
** gradient of <broadcast(w), v> in w is sum_to(v). */
static void test_sum_to(void) {
  float x[MAXN], y[MAXN], w[MAXN];
  double want[MAXN];
  for (size_t k = 0; k < NSUMS; k++) {
    rt_shape xs = shape(SUMS[k][0]), ys = shape(SUMS[k][1]);
    int64_t n = numel(&xs), m = numel(&ys);
    fill(x, n, -1, 1);
    rt_sum_to(x, &xs, y, &ys);
    for (int64_t j = 0; j < m; j++) want[j] = 0;
    for (int64_t i = 0; i < n; i++) want[ref_offset(&xs, i, &ys)] += x[i];
    expect_near("sum_to", y, want, m, 1e-5);
    fill(w, m, -1, 1);
    sum_ctx c = {xs, ys, w, x};
    gradcheck("sum_to", sum_obj, &c, w, m, y, 1e-3f);
  }
}

typedef struct bias_ctx {
  int64_t rows, c;
  const float *x, *w;
  float *b;
} bias_ctx;

static double bias_obj(void *p) {
  bias_ctx *c = p;
  float y[MAXN];
  rt_bias_add(c->rows, c->c, c->x, c->b, y);
  return dot(y, c->w, c->rows * c->c);
}

static void test_bias(void) {
  static const int64_t shapes[][2] = {{7, 5}, {1, 5}, {3, 1}};
  float x[64], b[8], y[64], w[64], db[8];
  double want[64];
  for (int k = 0; k < 3; k++) {
    int64_t rows = shapes[k][0], c = shapes[k][1];
    fill(x, rows * c, -1, 1);
    fill(b, c, -1, 1);
    fill(w, rows * c, -1, 1);
    rt_bias_add(rows, c, x, b, y);
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = 0; j < c; j++)
        want[r * c + j] = (double)x[r * c + j] + b[j];
    expect_near("bias_add", y, want, rows * c, 1e-6);
    rt_bias_grad(rows, c, w, db);
    bias_ctx ctx = {rows, c, x, w, b};
    gradcheck("bias_grad", bias_obj, &ctx, b, c, db, 1e-3f);
  }
}

/* ------------------------------------------------------------ softmax */

/* (outer, c, inner): a middle axis, the last axis with batch 1, a single
** class, and everything 1. */
static const int64_t AXES[][3] = {{3, 5, 2}, {1, 7, 1}, {2, 1, 3}, {1, 1, 1}};

static void ref_softmax(int log_, int64_t outer, int64_t c, int64_t inner,
                        const float *x, double *y) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      double m = -INFINITY, s = 0;
      for (int64_t j = 0; j < c; j++)
        m = fmax(m, x[(o * c + j) * inner + i]);
      for (int64_t j = 0; j < c; j++) s += exp(x[(o * c + j) * inner + i] - m);
      for (int64_t j = 0; j < c; j++) {
        double z = x[(o * c + j) * inner + i] - m;
        y[(o * c + j) * inner + i] = log_ ? z - log(s) : exp(z) / s;
      }
    }
}

static void test_softmax(void) {
  float x[64], y[64];
  double want[64];
  for (int k = 0; k < 4; k++) {
    int64_t outer = AXES[k][0], c = AXES[k][1], inner = AXES[k][2];
    int64_t n = outer * c * inner;
    for (int log_ = 0; log_ < 2; log_++) {
      fill(x, n, -5, 5);
      if (k == 0) x[0] = 1000, x[1] = -1000; /* still stable */
      (log_ ? rt_log_softmax : rt_softmax)(outer, c, inner, x, y);
      ref_softmax(log_, outer, c, inner, x, want);
      expect_near(log_ ? "log_softmax" : "softmax", y, want, n, 1e-6);
    }
  }
}

typedef struct softmax_ctx {
  int log_;
  int64_t outer, c, inner;
  float *x;
  const float *w;
} softmax_ctx;

static double softmax_obj(void *p) {
  softmax_ctx *s = p;
  float y[64];
  (s->log_ ? rt_log_softmax : rt_softmax)(s->outer, s->c, s->inner, s->x, y);
  return dot(y, s->w, s->outer * s->c * s->inner);
}

static void test_softmax_grad(void) {
  float x[64], y[64], w[64], dx[64];
  for (int k = 0; k < 4; k++)
    for (int log_ = 0; log_ < 2; log_++) {
      int64_t outer = AXES[k][0], c = AXES[k][1], inner = AXES[k][2];
      int64_t n = outer * c * inner;
      fill(x, n, -2, 2);
      fill(w, n, -1, 1);
      softmax_ctx s = {log_, outer, c, inner, x, w};
      (log_ ? rt_log_softmax : rt_softmax)(outer, c, inner, x, y);
      (log_ ? rt_log_softmax_grad : rt_softmax_grad)(outer, c, inner, w, y,
                                                      dx);
      gradcheck(log_ ? "log_softmax_grad" : "softmax_grad", softmax_obj, &s, x,
                n, dx, 1e-3f);
    }
}

/* ------------------------------------------------------------- losses */

typedef enum loss_kind { SPARSE, XENT, BCE, MSE, HUBER } loss_kind;
static const char *const LOSS_NAMES[] = {"sparse_xent", "xent", "bce", "mse",
                                         "huber"};

/* One problem for any loss: logits or predictions a[rows, c], labels,
** target rows t[rows, c] (probabilities for xent, in [0, 1] for bce). */
typedef struct loss_ctx {
  loss_kind kind;
  int64_t rows, c;
  float *a;
  const float *t;
  const int32_t *labels;
  float delta, dloss;
} loss_ctx;

static float run_loss(const loss_ctx *l) {
  float loss = NAN;
  int64_t n = l->rows * l->c;
  switch (l->kind) {
  case SPARSE:
    CU_ASSERT_EQUAL(rt_sparse_xent(l->rows, l->c, l->a, l->labels, &loss), 0);
    break;
  case XENT: rt_xent(l->rows, l->c, l->a, l->t, &loss); break;
  case BCE: rt_bce(n, l->a, l->t, &loss); break;
  case MSE: rt_mse(n, l->a, l->t, &loss); break;
  case HUBER: rt_huber(n, l->delta, l->a, l->t, &loss); break;
  }
  return loss;
}

static void run_loss_grad(const loss_ctx *l, float *da) {
  int64_t n = l->rows * l->c;
  switch (l->kind) {
  case SPARSE:
    CU_ASSERT_EQUAL(
        rt_sparse_xent_grad(l->rows, l->c, l->a, l->labels, l->dloss, da), 0);
    break;
  case XENT: rt_xent_grad(l->rows, l->c, l->a, l->t, l->dloss, da); break;
  case BCE: rt_bce_grad(n, l->a, l->t, l->dloss, da); break;
  case MSE: rt_mse_grad(n, l->a, l->t, l->dloss, da); break;
  case HUBER: rt_huber_grad(n, l->delta, l->a, l->t, l->dloss, da); break;
  }
}

/* The definitions, term by term in double: -log softmax via log of a sum
** of exps (fine for the moderate logits of the random problems). */
static double ref_loss(const loss_ctx *l) {
  double s = 0;
  int64_t n = l->rows * l->c;
  for (int64_t r = 0; r < l->rows; r++) {
    const float *z = l->a + r * l->c;
    double se = 0;
    for (int64_t j = 0; j < l->c; j++) se += exp(z[j]);
    if (l->kind == SPARSE) s += log(se) - z[l->labels[r]];
    if (l->kind == XENT)
      for (int64_t j = 0; j < l->c; j++)
        s += -l->t[r * l->c + j] * log(exp(z[j]) / se);
  }
  if (l->kind == SPARSE || l->kind == XENT) return s / l->rows;
  for (int64_t i = 0; i < n; i++) {
    double a = l->a[i], t = l->t[i], d = a - t;
    if (l->kind == BCE) {
      double p = 1 / (1 + exp(-a));
      s += -(t * log(p) + (1 - t) * log(1 - p));
    } else if (l->kind == MSE) {
      s += d * d;
    } else {
      s += fabs(d) <= l->delta ? 0.5 * d * d
                               : l->delta * (fabs(d) - 0.5 * l->delta);
    }
  }
  return s / n;
}

static double loss_obj(void *p) {
  loss_ctx *l = p;
  return (double)l->dloss * run_loss(l);
}

/* A random problem of the given kind; targets of xent rows sum to 1 except
** in the last row (the gradient is exact for any targets). Huber
** differences keep 0.05 away from the kink at |d| = delta. */
static loss_ctx make_loss(loss_kind kind, int64_t rows, int64_t c, float *a,
                          float *t, int32_t *labels) {
  loss_ctx l = {kind, rows, c, a, t, labels, 1.0f, 0.7f};
  fill(a, rows * c, -3, 3);
  fill(t, rows * c, 0, 1);
  for (int64_t r = 0; r < rows; r++) {
    labels[r] = irand(0, (int32_t)c - 1);
    double s = 0;
    for (int64_t j = 0; j < c; j++) s += t[r * c + j];
    if (kind == XENT && r + 1 < rows)
      for (int64_t j = 0; j < c; j++) t[r * c + j] = (float)(t[r * c + j] / s);
  }
  for (int64_t i = 0; kind == HUBER && i < rows * c; i++)
    while (fabs(fabs(a[i] - t[i]) - l.delta) < 0.05) a[i] += 0.1f;
  return l;
}

static void test_losses(void) {
  static const int64_t shapes[][2] = {{5, 7}, {1, 7}, {3, 1}, {1, 1}};
  float a[64], t[64];
  int32_t labels[8];
  for (int kind = SPARSE; kind <= HUBER; kind++)
    for (int k = 0; k < 4; k++) {
      loss_ctx l = make_loss((loss_kind)kind, shapes[k][0], shapes[k][1], a, t,
                             labels);
      double want = ref_loss(&l);
      float got = run_loss(&l);
      expect_near(LOSS_NAMES[kind], &got, &want, 1, 1e-5);
    }
}

static void test_loss_grads(void) {
  static const int64_t shapes[][2] = {{5, 7}, {1, 7}, {3, 1}};
  float a[64], t[64], da[64];
  int32_t labels[8];
  for (int kind = SPARSE; kind <= HUBER; kind++)
    for (int k = 0; k < 3; k++) {
      loss_ctx l = make_loss((loss_kind)kind, shapes[k][0], shapes[k][1], a, t,
                             labels);
      run_loss_grad(&l, da);
      gradcheck(LOSS_NAMES[kind], loss_obj, &l, a, l.rows * l.c, da, 1e-3f);
    }
}

/* Logits of +-1000 give finite losses and gradients with the right
** limits: a confident right answer costs 0, a confident wrong one 2000
** (cross-entropies) or 1000 (bce). */
static void test_loss_extremes(void) {
  float z[6] = {1000, -1000, 0, -1000, 1000, -1000}, g[6], loss;
  float t[6] = {1, 0, 0, 1, 0, 0};
  int32_t labels[2] = {0, 0};
  CU_ASSERT_EQUAL(rt_sparse_xent(2, 3, z, labels, &loss), 0);
  CU_ASSERT(isfinite(loss) && fabs(loss - 1000) < 1e-3);
  CU_ASSERT_EQUAL(rt_sparse_xent_grad(2, 3, z, labels, 1, g), 0);
  for (int i = 0; i < 6; i++) CU_ASSERT(isfinite(g[i]));
  CU_ASSERT(fabs(g[3] + 0.5) < 1e-6 && fabs(g[4] - 0.5) < 1e-6);
  rt_xent(2, 3, z, t, &loss);
  CU_ASSERT(isfinite(loss) && fabs(loss - 1000) < 1e-3);
  rt_xent_grad(2, 3, z, t, 1, g);
  for (int i = 0; i < 6; i++) CU_ASSERT(isfinite(g[i]));
  float bz[4] = {1000, -1000, 1000, -1000}, bt[4] = {1, 0, 0, 1};
  rt_bce(4, bz, bt, &loss); /* terms 0, 0, 1000, 1000 */
  CU_ASSERT(isfinite(loss) && fabs(loss - 500) < 1e-3);
  rt_bce_grad(4, bz, bt, 1, g);
  CU_ASSERT(g[0] == 0 && g[1] == 0 && g[2] == 0.25f && g[3] == -0.25f);
}

/* A label outside [0, c) is an error, and nothing is written. */
static void test_bad_labels(void) {
  float z[6] = {0}, out[6] = {9, 9, 9, 9, 9, 9}, loss = 9;
  static const int32_t bad[][2] = {{0, 3}, {-1, 0}, {INT32_MAX, 1}};
  for (int k = 0; k < 3; k++) {
    CU_ASSERT_EQUAL(rt_sparse_xent(2, 3, z, bad[k], &loss), -1);
    CU_ASSERT_EQUAL(rt_sparse_xent_grad(2, 3, z, bad[k], 1, out), -1);
    CU_ASSERT_EQUAL(rt_accuracy(2, 3, z, bad[k], &loss), -1);
  }
  CU_ASSERT_EQUAL(loss, 9);
  for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(out[i], 9);
}

static void test_accuracy(void) {
  float z[7 * 5], acc;
  int32_t labels[7];
  for (int trial = 0; trial < 4; trial++) {
    int64_t rows = trial ? 7 : 1;
    for (int64_t i = 0; i < rows * 5; i++) z[i] = (float)irand(0, 3); /* ties */
    int hits = 0;
    for (int64_t r = 0; r < rows; r++) {
      labels[r] = irand(0, 4);
      int best = 0;
      for (int j = 1; j < 5; j++)
        if (z[r * 5 + j] > z[r * 5 + best]) best = j;
      hits += best == labels[r];
    }
    CU_ASSERT_EQUAL(rt_accuracy(rows, 5, z, labels, &acc), 0);
    CU_ASSERT(fabs(acc - (double)hits / rows) < 1e-7);
  }
}

/* --------------------------------------------------------- reductions */

static void ref_reduce(rt_reduce_op op, int64_t outer, int64_t len,
                       int64_t inner, const float *x, double *y) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      double acc = op == RT_REDUCE_MAX ? -INFINITY : 0;
      for (int64_t l = 0; l < len; l++) {
        double v = x[(o * len + l) * inner + i];
        acc = op == RT_REDUCE_MAX ? fmax(acc, v) : acc + v;
      }
      y[o * inner + i] = op == RT_REDUCE_MEAN ? acc / len : acc;
    }
}

/* f32 against the oracle; i32 on the same values rounded to integers,
** compared exactly (the i32 mean truncates toward zero). */
static void test_reduce(void) {
  float x[64], y[64];
  int32_t xi[64], yi[64];
  double want[64];
  for (int k = 0; k < 4; k++) {
    int64_t outer = AXES[k][0], len = AXES[k][1], inner = AXES[k][2];
    int64_t n = outer * len * inner;
    for (int op = RT_REDUCE_SUM; op <= RT_REDUCE_MEAN; op++) {
      fill(x, n, -5, 5);
      rt_reduce_f32((rt_reduce_op)op, outer, len, inner, x, y);
      ref_reduce((rt_reduce_op)op, outer, len, inner, x, want);
      expect_near("reduce_f32", y, want, outer * inner, 1e-6);
      for (int64_t i = 0; i < n; i++) {
        xi[i] = (int32_t)lrint(x[i] * 100);
        x[i] = (float)xi[i];
      }
      rt_reduce_i32((rt_reduce_op)op, outer, len, inner, xi, yi);
      ref_reduce((rt_reduce_op)op, outer, len, inner, x, want);
      for (int64_t i = 0; i < outer * inner; i++)
        CU_ASSERT_EQUAL(yi[i], (int32_t)trunc(want[i]));
    }
  }
  /* Empty lines: sum and mean 0, max the lowest value. */
  rt_reduce_f32(RT_REDUCE_SUM, 2, 0, 1, x, y);
  CU_ASSERT(y[0] == 0 && y[1] == 0);
  rt_reduce_f32(RT_REDUCE_MAX, 1, 0, 1, x, y);
  CU_ASSERT(isinf(y[0]) && y[0] < 0);
  rt_reduce_i32(RT_REDUCE_MAX, 1, 0, 1, xi, yi);
  CU_ASSERT_EQUAL(yi[0], INT32_MIN);
}

/* Ties everywhere (values 0..2): the first maximum wins. */
static void test_argmax(void) {
  float x[64];
  int32_t xi[64], y[64], yi[64];
  for (int k = 0; k < 4; k++) {
    int64_t outer = AXES[k][0], len = AXES[k][1], inner = AXES[k][2];
    for (int64_t i = 0; i < outer * len * inner; i++) {
      xi[i] = irand(0, 2);
      x[i] = (float)xi[i] - 0.25f;
    }
    rt_argmax_f32(outer, len, inner, x, y);
    rt_argmax_i32(outer, len, inner, xi, yi);
    for (int64_t o = 0; o < outer; o++)
      for (int64_t i = 0; i < inner; i++) {
        int32_t best = 0;
        for (int32_t l = 1; l < len; l++)
          if (xi[(o * len + l) * inner + i] > xi[(o * len + best) * inner + i])
            best = l;
        CU_ASSERT_EQUAL(y[o * inner + i], best);
        CU_ASSERT_EQUAL(yi[o * inner + i], best);
      }
  }
}

typedef struct reduce_ctx {
  rt_reduce_op op;
  int64_t outer, len, inner;
  float *x;
  const float *w;
} reduce_ctx;

static double reduce_obj(void *p) {
  reduce_ctx *r = p;
  float y[64];
  rt_reduce_f32(r->op, r->outer, r->len, r->inner, r->x, y);
  return dot(y, r->w, r->outer * r->inner);
}

/* unreduce is the gradient of SUM, reduce_max_grad that of MAX (random
** values, so no ties); with ties only the first maximum gets dy. */
static void test_reduce_grads(void) {
  float x[64], y[64], w[64], dx[64];
  for (int k = 0; k < 4; k++) {
    int64_t outer = AXES[k][0], len = AXES[k][1], inner = AXES[k][2];
    int64_t n = outer * len * inner;
    fill(x, n, -2, 2);
    fill(w, outer * inner, -1, 1);
    reduce_ctx r = {RT_REDUCE_SUM, outer, len, inner, x, w};
    rt_unreduce(outer, len, inner, w, dx);
    gradcheck("unreduce", reduce_obj, &r, x, n, dx, 1e-3f);
    r.op = RT_REDUCE_MAX;
    rt_reduce_f32(RT_REDUCE_MAX, outer, len, inner, x, y);
    rt_reduce_max_grad(outer, len, inner, x, y, w, dx);
    gradcheck("reduce_max_grad", reduce_obj, &r, x, n, dx, 1e-3f);
  }
  float tx[6] = {1, 3, 3, 2, 2, 0}, ty[2], tdy[2] = {5, 7}, tdx[6];
  rt_reduce_f32(RT_REDUCE_MAX, 2, 3, 1, tx, ty);
  rt_reduce_max_grad(2, 3, 1, tx, ty, tdy, tdx);
  static const float want[6] = {0, 5, 0, 7, 0, 0};
  for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(tdx[i], want[i]);
}

/* ----------------------------------------------------------- indexing */

typedef struct gather_ctx {
  int pick;
  int64_t outer, len, inner, n;
  const int32_t *idx;
  float *x;
  const float *w;
} gather_ctx;

static double gather_obj(void *p) {
  gather_ctx *g = p;
  float y[MAXN];
  if (g->pick) {
    CU_ASSERT_EQUAL(rt_pick(g->outer, g->len, 4, g->x, g->idx, y), 0);
    return dot(y, g->w, g->outer);
  }
  CU_ASSERT_EQUAL(
      rt_gather(g->outer, g->len, g->inner, 4, g->x, g->n, g->idx, y), 0);
  return dot(y, g->w, g->outer * g->n * g->inner);
}

/* gather with repeated indices (f32 and 1-byte elements) against its
** oracle, then gather_grad by differences. */
static void test_gather(void) {
  static const int64_t shapes[][4] = {/* outer, len, inner, n */
                                      {3, 5, 2, 7}, {1, 7, 1, 3},
                                      {2, 1, 3, 2}, {1, 4, 5, 1}};
  float x[64], y[MAXN], w[MAXN], dx[64];
  uint8_t xb[64], yb[MAXN];
  int32_t idx[8];
  for (int k = 0; k < 4; k++) {
    int64_t outer = shapes[k][0], len = shapes[k][1], inner = shapes[k][2];
    int64_t n = shapes[k][3], ny = outer * n * inner;
    for (int64_t j = 0; j < n; j++) idx[j] = irand(0, (int32_t)len - 1);
    fill(x, outer * len * inner, -1, 1);
    for (int64_t i = 0; i < outer * len * inner; i++)
      xb[i] = (uint8_t)irand(0, 255);
    CU_ASSERT_EQUAL(rt_gather(outer, len, inner, 4, x, n, idx, y), 0);
    CU_ASSERT_EQUAL(rt_gather(outer, len, inner, 1, xb, n, idx, yb), 0);
    int bad = 0;
    for (int64_t o = 0; o < outer; o++)
      for (int64_t j = 0; j < n; j++)
        for (int64_t i = 0; i < inner; i++) {
          int64_t from = (o * len + idx[j]) * inner + i;
          int64_t to = (o * n + j) * inner + i;
          bad += y[to] != x[from] || yb[to] != xb[from];
        }
    CU_ASSERT_EQUAL(bad, 0);
    fill(w, ny, -1, 1);
    CU_ASSERT_EQUAL(rt_gather_grad(outer, len, inner, n, idx, w, dx), 0);
    gather_ctx g = {0, outer, len, inner, n, idx, x, w};
    gradcheck("gather_grad", gather_obj, &g, x, outer * len * inner, dx,
              1e-3f);
  }
}

static void test_pick(void) {
  float x[64], y[8], w[8], dx[64];
  int32_t xi[64], yi[8], idx[8];
  for (int k = 0; k < 2; k++) {
    int64_t rows = k ? 7 : 1, c = 5;
    for (int64_t r = 0; r < rows; r++) idx[r] = irand(0, 4);
    fill(x, rows * c, -1, 1);
    for (int64_t i = 0; i < rows * c; i++) xi[i] = irand(-9, 9);
    CU_ASSERT_EQUAL(rt_pick(rows, c, 4, x, idx, y), 0);
    CU_ASSERT_EQUAL(rt_pick(rows, c, 4, xi, idx, yi), 0);
    for (int64_t r = 0; r < rows; r++) {
      CU_ASSERT_EQUAL(y[r], x[r * c + idx[r]]);
      CU_ASSERT_EQUAL(yi[r], xi[r * c + idx[r]]);
    }
    fill(w, rows, -1, 1);
    CU_ASSERT_EQUAL(rt_pick_grad(rows, c, idx, w, dx), 0);
    gather_ctx g = {1, rows, c, 1, rows, idx, x, w};
    gradcheck("pick_grad", gather_obj, &g, x, rows * c, dx, 1e-3f);
  }
}

/* Bad indices: -1 and nothing written, for all four kernels. */
static void test_bad_indices(void) {
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {9, 9, 9, 9, 9, 9};
  static const int32_t bad[][2] = {{0, 3}, {-1, 0}, {INT32_MIN, 1}};
  for (int k = 0; k < 3; k++) {
    CU_ASSERT_EQUAL(rt_gather(2, 3, 1, 4, x, 2, bad[k], y), -1);
    CU_ASSERT_EQUAL(rt_gather_grad(2, 3, 1, 2, bad[k], x, y), -1);
    CU_ASSERT_EQUAL(rt_pick(2, 3, 4, x, bad[k], y), -1);
    CU_ASSERT_EQUAL(rt_pick_grad(2, 3, bad[k], x, y), -1);
  }
  for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(y[i], 9);
}

static void test_one_hot(void) {
  int32_t idx[5] = {2, 0, -1, 3, 1};
  float y[5 * 3];
  rt_one_hot(5, 3, idx, y);
  for (int r = 0; r < 5; r++)
    for (int j = 0; j < 3; j++)
      CU_ASSERT_EQUAL(y[r * 3 + j], idx[r] == j ? 1.0f : 0.0f);
}

/* Every (from, to) pair on hand-picked values, results written by hand. */
static void test_cast(void) {
  enum { N = 10 };
  const float f[N] = {-2.7f, -0.5f, 0, 0.5f, 2.7f, 300.25f, -1e10f, 1e10f,
                      NAN,   255.9f};
  const int32_t i[N] = {-3, -1, 0, 1, 3, 300, INT32_MIN, INT32_MAX, 255, 7};
  const uint8_t u[N] = {0, 1, 2, 3, 127, 128, 200, 254, 255, 9};
  const uint8_t b[N] = {0, 1, 1, 0, 1, 0, 0, 1, 1, 0};
  const int32_t f_i[N] = {-2, 0, 0, 0, 2, 300, INT32_MIN, INT32_MAX, 0, 255};
  const uint8_t f_u[N] = {0, 0, 0, 0, 2, 255, 0, 255, 0, 255};
  const uint8_t f_b[N] = {1, 1, 0, 1, 1, 1, 1, 1, 1, 1};
  const uint8_t i_u[N] = {0, 0, 0, 1, 3, 255, 0, 255, 255, 7};
  const uint8_t i_b[N] = {1, 1, 0, 1, 1, 1, 1, 1, 1, 1};
  const uint8_t u_b[N] = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  float yf[N];
  int32_t yi[N];
  uint8_t yu[N];
  rt_cast(N, NETC_F32, f, NETC_I32, yi);
  CU_ASSERT_EQUAL(memcmp(yi, f_i, sizeof yi), 0);
  rt_cast(N, NETC_F32, f, NETC_U8, yu);
  CU_ASSERT_EQUAL(memcmp(yu, f_u, sizeof yu), 0);
  rt_cast(N, NETC_F32, f, NETC_BOOL, yu);
  CU_ASSERT_EQUAL(memcmp(yu, f_b, sizeof yu), 0);
  rt_cast(N, NETC_F32, f, NETC_F32, yf);
  CU_ASSERT_EQUAL(memcmp(yf, f, sizeof yf), 0);
  rt_cast(N, NETC_I32, i, NETC_F32, yf);
  for (int k = 0; k < N; k++) CU_ASSERT_EQUAL(yf[k], (float)i[k]);
  rt_cast(N, NETC_I32, i, NETC_U8, yu);
  CU_ASSERT_EQUAL(memcmp(yu, i_u, sizeof yu), 0);
  rt_cast(N, NETC_I32, i, NETC_BOOL, yu);
  CU_ASSERT_EQUAL(memcmp(yu, i_b, sizeof yu), 0);
  rt_cast(N, NETC_I32, i, NETC_I32, yi);
  CU_ASSERT_EQUAL(memcmp(yi, i, sizeof yi), 0);
  for (int from = NETC_U8; from <= NETC_BOOL; from++) {
    const uint8_t *x = from == NETC_U8 ? u : b;
    rt_cast(N, from, x, NETC_F32, yf);
    rt_cast(N, from, x, NETC_I32, yi);
    for (int k = 0; k < N; k++) CU_ASSERT(yf[k] == x[k] && yi[k] == x[k]);
    rt_cast(N, from, x, NETC_BOOL, yu);
    CU_ASSERT_EQUAL(memcmp(yu, from == NETC_U8 ? u_b : b, sizeof yu), 0);
    rt_cast(N, from, x, NETC_U8, yu);
    CU_ASSERT_EQUAL(memcmp(yu, x, sizeof yu), 0);
  }
}

/* ------------------------------------------------------------- random */

static void test_uniform(void) {
  enum { DRAWS = 100000, BINS = 10 };
  double sum = 0, sq = 0;
  int64_t bins[BINS] = {0}, same_stream = 0, same_step = 0, same_seed = 0;
  for (uint64_t i = 0; i < DRAWS; i++) {
    float u = rt_uniform(42, 7, 3, i);
    CU_ASSERT_FATAL(u >= 0.0f && u < 1.0f);
    CU_ASSERT_FATAL(u == rt_uniform(42, 7, 3, i));
    sum += u;
    sq += (double)u * u;
    bins[(int)(u * BINS)]++;
    same_stream += u == rt_uniform(42, 8, 3, i);
    same_step += u == rt_uniform(42, 7, 4, i);
    same_seed += u == rt_uniform(43, 7, 3, i);
  }
  double mean = sum / DRAWS, var = sq / DRAWS - mean * mean;
  CU_ASSERT(fabs(mean - 0.5) < 0.005);      /* sd of the mean: 0.0009 */
  CU_ASSERT(fabs(var - 1.0 / 12) < 0.002);
  for (int k = 0; k < BINS; k++)             /* 10000 +- 100 expected */
    CU_ASSERT(bins[k] > 9500 && bins[k] < 10500);
  /* Equal draws by chance: 100000 / 2^24 expected, about 0.006. */
  CU_ASSERT(same_stream < 5 && same_step < 5 && same_seed < 5);
  /* All arguments zero is not a fixed point. */
  CU_ASSERT(rt_uniform(0, 0, 0, 0) != rt_uniform(0, 0, 0, 1));
}

static void test_dropout(void) {
  enum { N = 100001 };
  float *x = malloc(sizeof *x * N), *y = malloc(sizeof *y * N);
  float *g = malloc(sizeof *g * N), *dg = malloc(sizeof *dg * N);
  CU_ASSERT_FATAL(x && y && g && dg);
  fill(x, N, 0.5, 2);
  fill(g, N, 0.5, 2);
  const float rate = 0.3f, scale = 1.0f / (1.0f - rate);
  rt_dropout(N, rate, 11, 5, 2, 0, x, y);
  rt_dropout(N, rate, 11, 5, 2, 0, g, dg);
  int64_t kept = 0, bad = 0, moved = 0;
  for (int64_t i = 0; i < N; i++) {
    kept += y[i] != 0;
    bad += y[i] != 0 && y[i] != x[i] * scale;
    bad += (y[i] != 0) != (dg[i] != 0); /* the gradient's mask is the same */
    bad += dg[i] != 0 && dg[i] != g[i] * scale;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(fabs((double)kept / N - 0.7) < 0.01);
  rt_dropout(N, rate, 11, 5, 3, 0, x, dg); /* the next step: another mask */
  for (int64_t i = 0; i < N; i++) moved += (y[i] != 0) != (dg[i] != 0);
  CU_ASSERT(moved > N / 4);
  rt_dropout(N, 0, 11, 5, 2, 0, x, y);
  CU_ASSERT_EQUAL(memcmp(x, y, sizeof *x * N), 0);
  rt_dropout(N, 1, 11, 5, 2, 0, x, y);
  for (int64_t i = 0; i < N; i++) bad += y[i] != 0;
  CU_ASSERT_EQUAL(bad, 0);
  free(x);
  free(y);
  free(g);
  free(dg);
}

/* ---------------------------------------------------------- batchnorm */

/* rows and channels: 19 channels span two blocks of the kernel. */
static const int64_t BN[][2] = {{7, 19}, {1, 3}, {5, 1}};

static void test_batchnorm(void) {
  float x[MAXN], gamma[32], beta[32], mean[32], var[32], y[MAXN];
  double want[MAXN], wm[32], wv[32];
  const float eps = 1e-3f, momentum = 0.99f;
  for (int k = 0; k < 3; k++) {
    int64_t rows = BN[k][0], c = BN[k][1];
    fill(x, rows * c, -2, 3);
    fill(gamma, c, 0.5, 2);
    fill(beta, c, -1, 1);
    fill(mean, c, -1, 1);
    fill(var, c, 0.5, 2);
    rt_batchnorm_infer(rows, c, eps, x, gamma, beta, mean, var, y);
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = 0; j < c; j++)
        want[r * c + j] = gamma[j] * ((double)x[r * c + j] - mean[j]) /
                              sqrt((double)var[j] + eps) +
                          beta[j];
    expect_near("batchnorm_infer", y, want, rows * c, 1e-5);
    for (int64_t j = 0; j < c; j++) {
      double m = 0, v = 0;
      for (int64_t r = 0; r < rows; r++) m += x[r * c + j];
      m /= rows;
      for (int64_t r = 0; r < rows; r++)
        v += (x[r * c + j] - m) * (x[r * c + j] - m);
      v /= rows;
      for (int64_t r = 0; r < rows; r++)
        want[r * c + j] =
            gamma[j] * (x[r * c + j] - m) / sqrt(v + eps) + beta[j];
      wm[j] = momentum * (double)mean[j] + (1 - momentum) * m;
      wv[j] = momentum * (double)var[j] + (1 - momentum) * v;
    }
    rt_batchnorm_train(rows, c, eps, momentum, x, gamma, beta, mean, var, y);
    expect_near("batchnorm_train", y, want, rows * c, 1e-5);
    expect_near("moving_mean", mean, wm, c, 1e-6);
    expect_near("moving_var", var, wv, c, 1e-6);
  }
}

typedef struct bn_ctx {
  int64_t rows, c;
  float *x, *gamma, *beta;
  const float *w;
} bn_ctx;

static double bn_obj(void *p) {
  bn_ctx *b = p;
  float y[MAXN], mm[32] = {0}, mv[32] = {0};
  rt_batchnorm_train(b->rows, b->c, 1e-3f, 0.9f, b->x, b->gamma, b->beta, mm,
                     mv, y);
  return dot(y, b->w, b->rows * b->c);
}

static void test_batchnorm_grad(void) {
  float x[MAXN], gamma[32], beta[32], w[MAXN], dx[MAXN], dg[32], db[32];
  for (int k = 0; k < 3; k++) {
    int64_t rows = BN[k][0], c = BN[k][1];
    if (rows == 1) continue; /* var 0: y = beta whatever x is */
    fill(x, rows * c, -2, 3);
    fill(gamma, c, 0.5, 2);
    fill(beta, c, -1, 1);
    fill(w, rows * c, -1, 1);
    rt_batchnorm_grad(rows, c, 1e-3f, x, gamma, w, dx, dg, db);
    bn_ctx b = {rows, c, x, gamma, beta, w};
    gradcheck("batchnorm dx", bn_obj, &b, x, rows * c, dx, 1e-3f);
    gradcheck("batchnorm dgamma", bn_obj, &b, gamma, c, dg, 1e-3f);
    gradcheck("batchnorm dbeta", bn_obj, &b, beta, c, db, 1e-3f);
  }
}

/* ------------------------------------------------------ preprocessing */

static void test_caffe(void) {
  float x[6] = {0, 128, 255, 10, 20, 30}, y[6];
  static const double want[6] = {255 - 103.939, 128 - 116.779, 0 - 123.68,
                                 30 - 103.939,  20 - 116.779,  10 - 123.68};
  rt_caffe_preprocess(2, x, y);
  expect_near("caffe", y, want, 6, 1e-6);
  rt_caffe_preprocess(2, x, x); /* in place */
  expect_near("caffe in place", x, want, 6, 1e-6);
}

/* --------------------------------------------------------- optimizers */

/* Two steps from p = (1, -2) with g = (0.5, -1) then (-0.25, 2); lr 0.1,
** momentum 0.9, b1 0.9, b2 0.999, eps 1e-7, rho 0.9, weight decay 0.1.
** want[0] is p after step 1, want[1] after step 2. */
static void expect_two_steps(const char *what, rt_optimizer opt,
                             float momentum, const double want[2][2]) {
  rt_hyper h = {0.1f, momentum, 0.9f, 0.999f, 1e-7f, 0.9f, 0.1f, 0};
  float p[2] = {1, -2}, s1[2] = {0, 0}, s2[2] = {0, 0};
  static const float g[2][2] = {{0.5f, -1}, {-0.25f, 2}};
  for (int t = 0; t < 2; t++) {
    h.step = t + 1;
    rt_optimizer_step(opt, &h, 2, p, g[t], s1, s2);
    expect_near(what, p, want[t], 2, 1e-6);
  }
}

static void test_optimizers(void) {
  /* p -= 0.1 g: 1 - 0.05, -2 + 0.1; then 0.95 + 0.025, -1.9 - 0.2. */
  expect_two_steps("sgd", RT_SGD, 0, (const double[2][2]){{0.95, -1.9},
                                                          {0.975, -2.1}});
  /* v1 = -0.1 g1 = (-0.05, 0.1); v2 = 0.9 v1 - 0.1 g2 = (-0.02, -0.11). */
  expect_two_steps("momentum", RT_MOMENTUM, 0.9f,
                   (const double[2][2]){{0.95, -1.9}, {0.93, -2.01}});
  /* p += 0.9 v - 0.1 g: step 1 (-0.095, 0.19); step 2 with v2 above:
  ** 0.9 (-0.02) + 0.025 = 0.007, 0.9 (-0.11) - 0.2 = -0.299. */
  expect_two_steps("nesterov", RT_NESTEROV, 0.9f,
                   (const double[2][2]){{0.905, -1.81}, {0.912, -2.109}});
  /* Step 1: m = 0.1 g, v = 0.001 g^2, lr_t = 0.1 sqrt(0.001) / 0.1, so
  ** p -= lr_t (0.1 g) / (sqrt(0.001) |g| + eps) ~ 0.1 sign(g). Step 2:
  ** m = (0.025, 0.11), v = (0.0001874375, 0.004999), lr_t = 0.1
  ** sqrt(0.001999) / 0.19; computed in double. */
  expect_two_steps("adam", RT_ADAM, 0,
                   (const double[2][2]){{0.900000632, -1.90000032},
                                        {0.873367079, -1.93661062}});
  /* p -= 0.1 * 0.1 p first (1 -> 0.99, -2 -> -1.98), then Adam's steps. */
  expect_two_steps("adamw", RT_ADAMW, 0,
                   (const double[2][2]){{0.890000632, -1.88000032},
                                        {0.854467073, -1.89781061}});
  /* ms1 = 0.1 g^2, inc = 0.1 g / sqrt(0.1 g^2 + eps) ~ 0.316 sign(g);
  ** ms2 = 0.9 ms1 + 0.1 g2^2 = (0.02875, 0.49), inc2 = 0.1 g2 / sqrt(ms2). */
  expect_two_steps("rmsprop", RT_RMSPROP, 0,
                   (const double[2][2]){{0.683772866, -1.68377239},
                                        {0.831214566, -1.96948665}});
  /* With momentum 0.9: mom2 = 0.9 inc1 + inc2. */
  expect_two_steps("rmsprop momentum", RT_RMSPROP, 0.9f,
                   (const double[2][2]){{0.683772866, -1.68377239},
                                        {0.546610146, -1.6848818}});
  /* acc1 = g1^2, step 0.1 g / |g| (eps aside); acc2 = (0.3125, 5),
  ** step 2 = 0.1 g2 / sqrt(acc2) = (-0.0447214, 0.0894427). */
  expect_two_steps("adagrad", RT_ADAGRAD, 0,
                   (const double[2][2]){{0.90000002, -1.9},
                                        {0.944721372, -1.98944272}});
}

/* Where epsilon goes: one step from p = 1, g = 0.1, lr 0.1, eps 0.01.
** Adam: m = 0.01, v = 1e-5, p -= 0.1 sqrt(0.001) / 0.1 * 0.01 /
** (sqrt(1e-5) + 0.01). RMSprop: p -= 0.01 / sqrt(0.001 + 0.01). Adagrad:
** p -= 0.01 / sqrt(0.01 + 0.01). */
static void test_optimizer_epsilon(void) {
  static const rt_optimizer opts[3] = {RT_ADAM, RT_RMSPROP, RT_ADAGRAD};
  static const double want[3] = {0.975974693, 0.904653741, 0.929289322};
  rt_hyper h = {0.1f, 0, 0.9f, 0.999f, 0.01f, 0.9f, 0, 1};
  for (int k = 0; k < 3; k++) {
    float p = 1, g = 0.1f, s1 = 0, s2 = 0;
    rt_optimizer_step(opts[k], &h, 1, &p, &g, &s1, &s2);
    expect_near("optimizer epsilon", &p, &want[k], 1, 1e-6);
  }
}

static const test_case TESTS[] = {
    {"unary_f32", test_unary_f32},
    {"unary_i32", test_unary_i32},
    {"unary_grad", test_unary_grad},
    {"binary", test_binary},
    {"binary_i32_edges", test_binary_i32_edges},
    {"where", test_where},
    {"sum_to", test_sum_to},
    {"bias", test_bias},
    {"softmax", test_softmax},
    {"softmax_grad", test_softmax_grad},
    {"losses", test_losses},
    {"loss_grads", test_loss_grads},
    {"loss_extremes", test_loss_extremes},
    {"bad_labels", test_bad_labels},
    {"accuracy", test_accuracy},
    {"reduce", test_reduce},
    {"argmax", test_argmax},
    {"reduce_grads", test_reduce_grads},
    {"gather", test_gather},
    {"pick", test_pick},
    {"bad_indices", test_bad_indices},
    {"one_hot", test_one_hot},
    {"cast", test_cast},
    {"uniform", test_uniform},
    {"dropout", test_dropout},
    {"batchnorm", test_batchnorm},
    {"batchnorm_grad", test_batchnorm_grad},
    {"caffe", test_caffe},
    {"optimizers", test_optimizers},
    {"optimizer_epsilon", test_optimizer_epsilon},
    {0, 0}};

#include "tests/unit/cunit_main.h"
