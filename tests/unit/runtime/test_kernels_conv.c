/*
** test_kernels_conv.c: the BLAS-backed kernels (matmul, conv2d forward and
** both backwards) against their plain-loop references in reference.c on
** random shapes, central finite-difference gradient checks of the conv and
** pooling backwards against their forwards, and exact hand-computed values.
**
** To add a convolution shape, append a row to CONV_CASES (or, for padding
** outside TensorFlow's rules, to ODD_PADDING); to add a pooling shape,
** append one to POOL_CASES. Both tables feed every check that takes
** random geometry. New test functions go in TESTS at the bottom.
*/
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "runtime/kernels/kernels.h"
#include "tests/unit/test_case.h"

/* ------------------------------------------------------------- helpers */

static uint64_t rng_state;

static void rng_seed(uint64_t seed) { rng_state = seed; }

/* splitmix64: a fixed seed gives the same shapes and values on every run. */
static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Uniform in [lo, hi], inclusive. */
static int64_t rng_int(int64_t lo, int64_t hi) {
  return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

/* Uniform in [-1, 1). */
static float rng_float(void) {
  return (float)((double)(rng_next() >> 40) / (double)(1u << 23) - 1.0);
}

static float *floats(int64_t count) {
  float *p = malloc((size_t)count * sizeof *p);
  CU_ASSERT_FATAL(p != NULL);
  return p;
}

static float *random_floats(int64_t count) {
  float *p = floats(count);
  for (int64_t i = 0; i < count; i++) p[i] = rng_float();
  return p;
}

/* Outputs start as NaN so that any element a kernel fails to write shows. */
static float *nan_floats(int64_t count) {
  float *p = floats(count);
  for (int64_t i = 0; i < count; i++) p[i] = NAN;
  return p;
}

/* 1 when |got - want| <= tol (1 + |want|) everywhere (NaN never is);
** otherwise reports the first bad element on stderr and returns 0. */
static int near(const char *what, const float *got, const float *want,
                int64_t count, double tol) {
  for (int64_t i = 0; i < count; i++) {
    const double d = fabs((double)got[i] - (double)want[i]);
    if (!(d <= tol * (1.0 + fabs((double)want[i])))) {
      fprintf(stderr, "\n  %s: element %" PRId64 ": got %.9g, want %.9g\n",
              what, i, (double)got[i], (double)want[i]);
      return 0;
    }
  }
  return 1;
}

/* One axis the TensorFlow way. VALID: out = (size - k) / s + 1, no padding.
** SAME: out = ceil(size / s), pad_total = max((out-1) s + k - size, 0),
** the smaller half before. */
static void tf_axis(int64_t size, int64_t k, int64_t s, int same,
                    int64_t *out, int64_t *pad_before) {
  if (!same) {
    *out = (size - k) / s + 1;
    *pad_before = 0;
    return;
  }
  *out = (size + s - 1) / s;
  int64_t total = (*out - 1) * s + k - size;
  *pad_before = (total > 0 ? total : 0) / 2;
}

/* A convolution or pooling geometry (pooling: f = c). */
typedef struct geometry {
  int64_t n, h, w, c; /* input */
  int64_t kh, kw;     /* window */
  int64_t sh, sw;     /* strides */
  int same;           /* SAME (1) or VALID (0) padding */
  int64_t f;          /* output channels */
} geometry;

static rt_window window_of(geometry s) {
  rt_window g = {s.n, s.h, s.w, s.c, s.kh, s.kw, s.sh, s.sw, 0, 0, 0, 0, s.f};
  tf_axis(s.h, s.kh, s.sh, s.same, &g.oh, &g.pad_top);
  tf_axis(s.w, s.kw, s.sw, s.same, &g.ow, &g.pad_left);
  return g;
}

static int64_t in_size(const rt_window *g) { return g->n * g->h * g->w * g->c; }
static int64_t out_size(const rt_window *g) {
  return g->n * g->oh * g->ow * g->f;
}
static int64_t filter_size(const rt_window *g) {
  return g->kh * g->kw * g->c * g->f;
}

/* A random geometry with odd sizes, 1x1 to 5x5 windows, strides 1 to 3,
** both paddings; VALID windows never exceed the input. */
static geometry random_geometry(int pooling) {
  geometry s;
  s.n = rng_int(1, 3);
  s.h = rng_int(1, 11);
  s.w = rng_int(1, 11);
  s.c = rng_int(1, 5);
  s.same = (int)rng_int(0, 1);
  s.kh = rng_int(1, s.same ? 5 : (s.h < 5 ? s.h : 5));
  s.kw = rng_int(1, s.same ? 5 : (s.w < 5 ? s.w : 5));
  s.sh = rng_int(1, 3);
  s.sw = rng_int(1, 3);
  s.f = pooling ? s.c : rng_int(1, 6);
  return s;
}

/* Central differences in double: for each parameter p[i], the slope of
** L = sum y r between p[i] -/+ step (as rounded to float), y from
** `forward`; compared with the analytic gradient. */
typedef struct fd_problem {
  const rt_window *g;                              /* geometry */
  float *x, *w, *scratch;                          /* forward's inputs */
  void (*forward)(const struct fd_problem *, float *y); /* y from x, w */
} fd_problem;

static double fd_loss(const fd_problem *pb, float *y, const float *r) {
  pb->forward(pb, y);
  double sum = 0.0;
  for (int64_t i = 0; i < out_size(pb->g); i++) sum += (double)y[i] * r[i];
  return sum;
}

static int fd_check(const char *what, const fd_problem *pb, float *param,
                    int64_t count, const float *analytic, const float *r,
                    double step, double tol) {
  float *y = floats(out_size(pb->g));
  float *numeric = floats(count);
  for (int64_t i = 0; i < count; i++) {
    const float saved = param[i];
    const float up = (float)(saved + step), down = (float)(saved - step);
    param[i] = up;
    const double loss_up = fd_loss(pb, y, r);
    param[i] = down;
    const double loss_down = fd_loss(pb, y, r);
    param[i] = saved;
    numeric[i] = (float)((loss_up - loss_down) / ((double)up - (double)down));
  }
  const int ok = near(what, analytic, numeric, count, tol);
  free(numeric);
  free(y);
  return ok;
}

static void fd_conv(const fd_problem *pb, float *y) {
  rt_conv2d_forward(pb->g, pb->x, pb->w, y, pb->scratch);
}
static void fd_maxpool(const fd_problem *pb, float *y) {
  rt_maxpool_forward(pb->g, pb->x, y);
}
static void fd_avgpool(const fd_problem *pb, float *y) {
  rt_avgpool_forward(pb->g, pb->x, y);
}

static float *scratch_for(const rt_window *g) {
  const size_t size = rt_conv2d_scratch(g);
  return size ? floats((int64_t)size) : NULL;
}

/* -------------------------------------------------------------- matmul */

/* Both kernels on one random problem of each transpose combination. */
static void check_matmul(int64_t m, int64_t k, int64_t p) {
  float *a = random_floats(m * k), *b = random_floats(k * p);
  float *fast = nan_floats(m * p), *ref = nan_floats(m * p);
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      char what[96];
      snprintf(what, sizeof what, "matmul m=%" PRId64 " k=%" PRId64
               " p=%" PRId64 " ta=%d tb=%d", m, k, p, ta, tb);
      rt_matmul(m, k, p, ta, tb, a, b, fast);
      rt_ref_matmul(m, k, p, ta, tb, a, b, ref);
      CU_ASSERT(near(what, fast, ref, m * p, 1e-4));
    }
  free(a);
  free(b);
  free(fast);
  free(ref);
}

static void test_matmul_random(void) {
  rng_seed(1);
  check_matmul(1, 1, 1);
  check_matmul(1, 7, 1);
  check_matmul(5, 1, 3);
  check_matmul(64, 301, 50);
  for (int t = 0; t < 25; t++)
    check_matmul(rng_int(1, 37), rng_int(1, 37), rng_int(1, 37));
}

/* [[1,2],[3,4]] [[5,6],[7,8]] = [[19,22],[43,50]], reached through every
** transpose flag by passing the transposed storage. */
static void test_matmul_exact(void) {
  const float a[] = {1, 2, 3, 4}, at[] = {1, 3, 2, 4};
  const float b[] = {5, 6, 7, 8}, bt[] = {5, 7, 6, 8};
  const float want[] = {19, 22, 43, 50};
  const float *as[] = {a, at}, *bs[] = {b, bt};
  void (*kernels[])(int64_t, int64_t, int64_t, int, int, const float *,
                    const float *, float *) = {rt_matmul, rt_ref_matmul};
  for (int kernel = 0; kernel < 2; kernel++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++) {
        float c[4];
        kernels[kernel](2, 2, 2, ta, tb, as[ta], bs[tb], c);
        CU_ASSERT(near("matmul 2x2", c, want, 4, 0.0));
      }
  /* A 2x3 times 3x1 column: a non-square K. */
  const float r[] = {1, 2, 3, 4, 5, 6}, col[] = {1, 0, -1};
  const float rwant[] = {-2, -2};
  float out[2];
  rt_matmul(2, 3, 1, 0, 0, r, col, out);
  CU_ASSERT(near("matmul 2x3x1", out, rwant, 2, 0.0));
}

/* -------------------------------------------------------- convolution */

/* Fixed shapes: batch 1, C = 1, pointwise (the no-im2col path) and 1x1
** strided, strides 2 and 3 with SAME and VALID, windows larger than the
** image, asymmetric strides and kernels. */
static const geometry CONV_CASES[] = {
    /* n  h   w  c kh kw sh sw same f */
    {1, 5, 5, 1, 3, 3, 1, 1, 0, 1},
    {2, 7, 6, 3, 3, 3, 1, 1, 1, 4},
    {3, 9, 11, 2, 3, 3, 2, 2, 1, 5},
    {2, 10, 8, 3, 3, 2, 3, 3, 0, 2},
    {2, 5, 7, 4, 1, 1, 1, 1, 0, 3},
    {1, 4, 4, 2, 1, 1, 1, 1, 1, 2},
    {2, 6, 5, 3, 1, 1, 2, 2, 0, 3},
    {1, 1, 1, 3, 3, 3, 1, 1, 1, 2},
    {2, 8, 8, 3, 5, 5, 3, 3, 1, 2},
    {1, 13, 13, 3, 2, 2, 2, 2, 1, 3},
    {2, 6, 6, 3, 3, 3, 2, 3, 1, 4},
    {1, 12, 9, 1, 5, 2, 3, 1, 0, 1},
    /* several tiles per image, the last one shorter: wide windows of many
    ** channels, a pointwise one, and a strided one */
    {2, 27, 10, 64, 3, 3, 1, 1, 1, 5},
    {1, 40, 7, 40, 2, 3, 1, 1, 0, 3},
    {1, 23, 40, 1024, 1, 1, 1, 1, 0, 2},
    {2, 61, 9, 70, 3, 3, 2, 1, 1, 4},
    /* thin inputs with filters in multiples of 8: the direct path on AVX2
    ** (8, 4 and 1 registers of sums per cell) */
    {2, 9, 11, 3, 3, 3, 1, 1, 1, 64},
    {1, 28, 28, 1, 3, 3, 1, 1, 0, 32},
    {2, 10, 7, 3, 3, 3, 2, 2, 1, 72},
    {1, 6, 6, 2, 5, 3, 1, 2, 1, 8},
    {1, 5, 5, 3, 3, 3, 1, 1, 0, 104},
    /* filters in multiples of 32: three cells at a time inside the image */
    {1, 13, 17, 3, 3, 3, 2, 2, 0, 96},
    {2, 8, 12, 2, 3, 5, 1, 3, 1, 32},
};

/* All three fast kernels against the references on one geometry, with
** scratch of exactly the advertised size (so ASan sees any overrun). */
static void check_conv(const rt_window *g) {
  float *x = random_floats(in_size(g)), *w = random_floats(filter_size(g));
  float *dy = random_floats(out_size(g));
  float *scratch = scratch_for(g);
  float *fast = nan_floats(in_size(g) + out_size(g) + filter_size(g));
  float *ref = nan_floats(in_size(g) + out_size(g) + filter_size(g));
  char what[200];
  snprintf(what, sizeof what, "conv n=%" PRId64 " %" PRId64 "x%" PRId64
           "x%" PRId64 " k=%" PRId64 "x%" PRId64 " s=%" PRId64 "x%" PRId64
           " pad=%" PRId64 ",%" PRId64 " out=%" PRId64 "x%" PRId64
           " f=%" PRId64, g->n, g->h, g->w, g->c, g->kh, g->kw, g->sh, g->sw,
           g->pad_top, g->pad_left, g->oh, g->ow, g->f);

  rt_conv2d_forward(g, x, w, fast, scratch);
  rt_ref_conv2d_forward(g, x, w, ref);
  CU_ASSERT(near(what, fast, ref, out_size(g), 1e-4));

  rt_conv2d_backward_input(g, dy, w, fast, scratch);
  rt_ref_conv2d_backward_input(g, dy, w, ref);
  CU_ASSERT(near(what, fast, ref, in_size(g), 1e-4));

  rt_conv2d_backward_filter(g, x, dy, fast, scratch);
  rt_ref_conv2d_backward_filter(g, x, dy, ref);
  CU_ASSERT(near(what, fast, ref, filter_size(g), 1e-4));

  free(x);
  free(w);
  free(dy);
  free(scratch);
  free(fast);
  free(ref);
}

/* Padding that TensorFlow's rules never produce but the kernel interface
** allows: 1x1 windows with padding (not pointwise, despite the 1x1 stride-1
** kernel), on both sides or only before. */
static const rt_window ODD_PADDING[] = {
    /* n h  w  c kh kw sh sw pt pl oh ow f */
    {2, 4, 5, 3, 1, 1, 1, 1, 1, 1, 6, 7, 2},
    {1, 4, 5, 2, 1, 1, 1, 1, 0, 1, 4, 5, 3},
    {1, 5, 4, 2, 1, 1, 1, 1, 1, 0, 5, 4, 3},
    {2, 5, 5, 2, 3, 3, 2, 2, 2, 1, 4, 3, 2},
};

static void test_conv_vs_reference(void) {
  rng_seed(2);
  for (size_t i = 0; i < sizeof CONV_CASES / sizeof *CONV_CASES; i++) {
    const rt_window g = window_of(CONV_CASES[i]);
    check_conv(&g);
  }
  for (size_t i = 0; i < sizeof ODD_PADDING / sizeof *ODD_PADDING; i++)
    check_conv(&ODD_PADDING[i]);
  for (int t = 0; t < 60; t++) {
    const rt_window g = window_of(random_geometry(0));
    check_conv(&g);
  }
}

/* The scratch sizes promised in conv.c: one tile's columns, none for a
** pointwise convolution. VGG16's block1_conv1 (27 taps a cell) fits 21
** rows in the 512 KiB budget (11 tiles of 21 rows); block5 (4608 taps)
** takes the least tile, 96 cells = 7 rows of 14, evened to 2 x 7 rows. */
static void test_conv_scratch(void) {
  const rt_window block1 = window_of((geometry){8, 224, 224, 3, 3, 3, 1, 1, 1, 64});
  const rt_window block5 = window_of((geometry){8, 14, 14, 512, 3, 3, 1, 1, 1, 512});
  const rt_window pointwise = window_of((geometry){8, 7, 7, 64, 1, 1, 1, 1, 0, 32});
  CU_ASSERT_EQUAL(rt_conv2d_scratch(&block1), (size_t)21 * 224 * 27);
  CU_ASSERT_EQUAL(rt_conv2d_tiles(&block1), 8 * 11);
  CU_ASSERT_EQUAL(rt_conv2d_scratch(&block5), (size_t)7 * 14 * 4608);
  CU_ASSERT_EQUAL(rt_conv2d_tiles(&block5), 8 * 2);
  CU_ASSERT_EQUAL(rt_conv2d_scratch(&pointwise), 0);
}

/* Tiles are independent: computed one by one in reverse order they give
** the bytes of the whole forward pass. */
static void test_conv_tiles_independent(void) {
  rng_seed(5);
  const rt_window g = window_of((geometry){2, 27, 10, 64, 3, 3, 1, 1, 1, 5});
  CU_ASSERT_FATAL(rt_conv2d_tiles(&g) > 2); /* more than one per image */
  float *x = random_floats(in_size(&g)), *w = random_floats(filter_size(&g));
  float *scratch = scratch_for(&g);
  float *whole = nan_floats(out_size(&g)), *tiled = nan_floats(out_size(&g));
  rt_conv2d_forward(&g, x, w, whole, scratch);
  for (int64_t t = rt_conv2d_tiles(&g) - 1; t >= 0; t--)
    rt_conv2d_forward_tile(&g, t, x, w, NULL, tiled, scratch);
  CU_ASSERT_EQUAL(memcmp(whole, tiled, (size_t)out_size(&g) * sizeof *whole), 0);
  free(x);
  free(w);
  free(scratch);
  free(whole);
  free(tiled);
}

/* Backward kernels against central differences of the fast forward, on
** small shapes. The convolution is linear in each argument, so a large step
** keeps rounding error small. */
static void check_conv_gradients(geometry s) {
  const rt_window g = window_of(s);
  float *x = random_floats(in_size(&g)), *w = random_floats(filter_size(&g));
  float *r = random_floats(out_size(&g));
  float *dx = nan_floats(in_size(&g)), *dw = nan_floats(filter_size(&g));
  float *scratch = scratch_for(&g);
  const fd_problem pb = {&g, x, w, scratch, fd_conv};
  rt_conv2d_backward_input(&g, r, w, dx, scratch);
  rt_conv2d_backward_filter(&g, x, r, dw, scratch);
  CU_ASSERT(fd_check("conv dx", &pb, x, in_size(&g), dx, r, 0.25, 1e-3));
  CU_ASSERT(fd_check("conv dw", &pb, w, filter_size(&g), dw, r, 0.25, 1e-3));
  free(x);
  free(w);
  free(r);
  free(dx);
  free(dw);
  free(scratch);
}

static void test_conv_gradcheck(void) {
  rng_seed(3);
  check_conv_gradients((geometry){2, 5, 4, 2, 3, 2, 2, 2, 1, 3});
  check_conv_gradients((geometry){1, 4, 5, 3, 3, 3, 1, 1, 0, 2});
  check_conv_gradients((geometry){2, 7, 7, 1, 2, 3, 3, 2, 1, 2});
  check_conv_gradients((geometry){2, 3, 3, 2, 1, 1, 1, 1, 0, 2});
}

/* Runs the fast or the reference kernels (slot 0 or 1) of one kind. */
static void conv_run(int ref, int kind, const rt_window *g, const float *a,
                     const float *b, float *out) {
  float scratch[64];
  CU_ASSERT_FATAL(rt_conv2d_scratch(g) <= 64);
  if (kind == 0)
    ref ? rt_ref_conv2d_forward(g, a, b, out)
        : rt_conv2d_forward(g, a, b, out, scratch);
  else if (kind == 1)
    ref ? rt_ref_conv2d_backward_input(g, a, b, out)
        : rt_conv2d_backward_input(g, a, b, out, scratch);
  else
    ref ? rt_ref_conv2d_backward_filter(g, a, b, out)
        : rt_conv2d_backward_filter(g, a, b, out, scratch);
}

/* x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]], one channel. */
static void test_conv_exact(void) {
  const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[] = {1, 2, 3, 4};
  const float ones[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  const rt_window valid = window_of((geometry){1, 3, 3, 1, 2, 2, 1, 1, 0, 1});
  const rt_window same = window_of((geometry){1, 3, 3, 1, 2, 2, 1, 1, 1, 1});
  /* Pointwise, C = 2 to F = 2: one pixel [1,2], w[c,f] = [[1,2],[3,4]]. */
  const rt_window point = window_of((geometry){1, 1, 1, 2, 1, 1, 1, 1, 0, 2});
  const float pixel[] = {1, 2}, dpixel[] = {1, 1};
  const float y_valid[] = {37, 47, 67, 77};
  const float y_same[] = {37, 47, 21, 67, 77, 33, 23, 26, 9};
  const float dx_valid[] = {1, 3, 2, 4, 10, 6, 3, 7, 4}; /* dy = ones */
  const float dw_valid[] = {12, 16, 24, 28};             /* dy = ones */
  const float y_point[] = {7, 10}, dx_point[] = {3, 7}, dw_point[] = {1, 1, 2, 2};
  for (int ref = 0; ref < 2; ref++) {
    const char *who = ref ? "ref" : "fast";
    float out[9];
    conv_run(ref, 0, &valid, x, w, out);
    CU_ASSERT(near(who, out, y_valid, 4, 0.0));
    conv_run(ref, 0, &same, x, w, out);
    CU_ASSERT(near(who, out, y_same, 9, 0.0));
    conv_run(ref, 1, &valid, ones, w, out);
    CU_ASSERT(near(who, out, dx_valid, 9, 0.0));
    conv_run(ref, 2, &valid, x, ones, out);
    CU_ASSERT(near(who, out, dw_valid, 4, 0.0));
    conv_run(ref, 0, &point, pixel, w, out);
    CU_ASSERT(near(who, out, y_point, 2, 0.0));
    conv_run(ref, 1, &point, dpixel, w, out);
    CU_ASSERT(near(who, out, dx_point, 2, 0.0));
    conv_run(ref, 2, &point, pixel, dpixel, out);
    CU_ASSERT(near(who, out, dw_point, 4, 0.0));
  }
}

/* ------------------------------------------------------------- pooling */

static const geometry POOL_CASES[] = {
    /* n  h  w  c kh kw sh sw same f=c */
    {1, 3, 3, 1, 2, 2, 2, 2, 1, 1},
    {2, 7, 6, 3, 3, 3, 2, 2, 1, 3},
    {2, 5, 5, 2, 2, 2, 2, 2, 0, 2},
    {1, 8, 7, 2, 2, 2, 3, 3, 1, 2},
    {2, 6, 9, 1, 3, 2, 3, 1, 0, 1},
    {1, 2, 2, 4, 5, 5, 1, 1, 1, 4},
};

/* An independent oracle: one output element at a time, bounds checked per
** cell, the max starting from -inf. */
static void naive_pool(const rt_window *g, int is_max, const float *x,
                       float *y) {
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t oh = 0; oh < g->oh; oh++)
      for (int64_t ow = 0; ow < g->ow; ow++)
        for (int64_t c = 0; c < g->c; c++) {
          double acc = is_max ? -INFINITY : 0.0;
          int64_t count = 0;
          for (int64_t i = 0; i < g->kh; i++)
            for (int64_t j = 0; j < g->kw; j++) {
              const int64_t ih = oh * g->sh - g->pad_top + i;
              const int64_t iw = ow * g->sw - g->pad_left + j;
              if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
              const double v = x[((n * g->h + ih) * g->w + iw) * g->c + c];
              acc = is_max ? fmax(acc, v) : acc + v;
              count++;
            }
          y[((n * g->oh + oh) * g->ow + ow) * g->c + c] =
              (float)(is_max ? acc : acc / (double)count);
        }
}

static void check_pool_forward(geometry s) {
  const rt_window g = window_of(s);
  float *x = random_floats(in_size(&g));
  float *y = nan_floats(out_size(&g)), *want = floats(out_size(&g));
  rt_maxpool_forward(&g, x, y);
  naive_pool(&g, 1, x, want);
  CU_ASSERT(near("maxpool", y, want, out_size(&g), 0.0));
  rt_avgpool_forward(&g, x, y);
  naive_pool(&g, 0, x, want);
  CU_ASSERT(near("avgpool", y, want, out_size(&g), 1e-6));
  free(x);
  free(y);
  free(want);
}

static void test_pool_forward(void) {
  rng_seed(4);
  for (size_t i = 0; i < sizeof POOL_CASES / sizeof *POOL_CASES; i++)
    check_pool_forward(POOL_CASES[i]);
  for (int t = 0; t < 40; t++) check_pool_forward(random_geometry(1));
}

/* Both backwards against central differences. Inputs are a shuffled ramp
** with gaps of 0.05, so a step of 1e-3 never changes which cell wins. */
static void check_pool_gradients(geometry s) {
  const rt_window g = window_of(s);
  const int64_t count = in_size(&g);
  float *x = floats(count), *y = floats(out_size(&g));
  float *r = random_floats(out_size(&g)), *dx = nan_floats(count);
  for (int64_t i = 0; i < count; i++) x[i] = 0.05f * (float)(i - count / 2);
  for (int64_t i = count - 1; i > 0; i--) {
    const int64_t j = rng_int(0, i);
    const float t = x[i];
    x[i] = x[j];
    x[j] = t;
  }
  const fd_problem maxp = {&g, x, NULL, NULL, fd_maxpool};
  const fd_problem avgp = {&g, x, NULL, NULL, fd_avgpool};
  rt_maxpool_forward(&g, x, y);
  rt_maxpool_backward(&g, x, y, r, dx);
  CU_ASSERT(fd_check("maxpool dx", &maxp, x, count, dx, r, 1e-3, 1e-3));
  for (int64_t i = 0; i < count; i++) dx[i] = NAN;
  rt_avgpool_backward(&g, r, dx);
  CU_ASSERT(fd_check("avgpool dx", &avgp, x, count, dx, r, 0.25, 1e-4));
  free(x);
  free(y);
  free(r);
  free(dx);
}

static void test_pool_gradcheck(void) {
  rng_seed(5);
  for (size_t i = 0; i < sizeof POOL_CASES / sizeof *POOL_CASES; i++)
    check_pool_gradients(POOL_CASES[i]);
}

/* x = [[1,2,3],[4,5,6],[7,8,9]], 2x2 windows, stride 2, SAME: one padding
** row and column after the image, so the windows hold 4, 2, 2, 1 cells. */
static void test_pool_exact(void) {
  const rt_window g = window_of((geometry){1, 3, 3, 1, 2, 2, 2, 2, 1, 1});
  const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const float neg[] = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
  const float max_want[] = {5, 6, 8, 9}, avg_want[] = {3, 4.5f, 7.5f, 9};
  const float neg_want[] = {-1, -3, -7, -9}; /* padding never wins */
  const float dy[] = {4, 4, 4, 4};
  const float avg_dx[] = {1, 1, 2, 1, 1, 2, 2, 2, 4};
  const float max_dx[] = {0, 0, 0, 0, 4, 4, 0, 4, 4};
  float y[4], dx[9];
  CU_ASSERT_EQUAL(g.pad_top, 0);
  CU_ASSERT_EQUAL(g.oh, 2);
  rt_maxpool_forward(&g, x, y);
  CU_ASSERT(near("maxpool", y, max_want, 4, 0.0));
  rt_maxpool_backward(&g, x, y, dy, dx);
  CU_ASSERT(near("maxpool dx", dx, max_dx, 9, 0.0));
  rt_maxpool_forward(&g, neg, y);
  CU_ASSERT(near("maxpool negative", y, neg_want, 4, 0.0));
  rt_avgpool_forward(&g, x, y);
  CU_ASSERT(near("avgpool", y, avg_want, 4, 0.0));
  rt_avgpool_backward(&g, dy, dx);
  CU_ASSERT(near("avgpool dx", dx, avg_dx, 9, 0.0));
}

/* Ties: the gradient goes to the first maximal cell in row-major window
** order, per channel. One 2x2 window, two channels: channel 0 is
** [[0,5],[5,1]] (first max at (0,1)), channel 1 is all 7 (at (0,0)). */
static void test_maxpool_ties(void) {
  const rt_window g = window_of((geometry){1, 2, 2, 2, 2, 2, 2, 2, 0, 2});
  const float x[] = {0, 7, 5, 7, 5, 7, 1, 7};
  const float dy[] = {3, 2};
  const float want_y[] = {5, 7}, want_dx[] = {0, 2, 3, 0, 0, 0, 0, 0};
  float y[2], dx[8];
  rt_maxpool_forward(&g, x, y);
  CU_ASSERT(near("maxpool ties", y, want_y, 2, 0.0));
  rt_maxpool_backward(&g, x, y, dy, dx);
  CU_ASSERT(near("maxpool ties dx", dx, want_dx, 8, 0.0));
}

static const test_case TESTS[] = {
    {"matmul_random", test_matmul_random},
    {"matmul_exact", test_matmul_exact},
    {"conv_vs_reference", test_conv_vs_reference},
    {"conv_scratch", test_conv_scratch},
    {"conv_tiles_independent", test_conv_tiles_independent},
    {"conv_gradcheck", test_conv_gradcheck},
    {"conv_exact", test_conv_exact},
    {"pool_forward", test_pool_forward},
    {"pool_gradcheck", test_pool_gradcheck},
    {"pool_exact", test_pool_exact},
    {"maxpool_ties", test_maxpool_ties},
    {0, 0},
};

#include "tests/unit/cunit_main.h"
