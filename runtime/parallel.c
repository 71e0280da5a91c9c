/*
** parallel.c: the heavy kernels spread over the session's threads. Work is
** cut where no sum crosses the cut (images of a batch, rows of a product,
** ranges of elements), so every element is computed the same way whatever
** the thread count. The one reduction, a filter gradient summed over the
** batch, uses a fixed number of chunks added in a fixed order.
*/
#include <string.h>

#include "runtime/parallel.h"

enum {
  MIN_PART_ELEMENTS = 1 << 15, /* below this an elementwise part is not worth a thread */
  FILTER_CHUNKS = 8,           /* batch chunks of a filter gradient, fixed */
  MATMUL_ROWS = 64,            /* least rows per product slice */
  MATMUL_PARTS = 16,           /* most slices of one product */
  MATMUL_MIN_SPLIT = 1 << 18   /* multiply-adds below which waking threads costs more */
};

float *rt_thread_scratch(const netc_session *s, int thread) {
  return s->scratch + (size_t)thread * s->scratch_floats;
}

/* Parts for n independent items of `work` operations each. */
static int parts_for(const netc_session *s, int64_t n, int64_t work) {
  int threads = rt_pool_threads(s->pool);
  if (threads == 1 || n < 2 || n * work < MIN_PART_ELEMENTS) return 1;
  return n < 4 * threads ? (int)n : 4 * threads;
}

static void part_range(int64_t n, int part, int parts, int64_t *first,
                       int64_t *count) {
  *first = n * part / parts;
  *count = n * (part + 1) / parts - *first;
}

/* ----------------------------------------------------- convolution, pools */

typedef struct window_job {
  const netc_session *s;
  rt_window w;          /* whole-batch geometry */
  int op;               /* which kernel, below */
  int parts;            /* parts of the batch */
  const float *a, *b, *c; /* inputs (see each kernel) */
  float *out;           /* output */
} window_job;

enum { JOB_CONV_INPUT, JOB_MAXPOOL, JOB_MAXPOOL_GRAD, JOB_AVGPOOL, JOB_AVGPOOL_GRAD };

/* One slice of images through a window kernel: pointers move by whole
** images of each tensor. */
static void window_part(void *arg, int part, int thread) {
  const window_job *j = arg;
  int64_t first, count;
  part_range(j->w.n, part, j->parts, &first, &count);
  rt_window w = j->w;
  w.n = count;
  int64_t in = w.h * w.w * w.c, out = w.oh * w.ow * w.f;
  float *scratch = rt_thread_scratch(j->s, thread);
  switch (j->op) {
  case JOB_CONV_INPUT:
    rt_conv2d_backward_input(&w, j->a + first * out, j->b, j->out + first * in, scratch);
    break;
  case JOB_MAXPOOL: rt_maxpool_forward(&w, j->a + first * in, j->out + first * out); break;
  case JOB_AVGPOOL: rt_avgpool_forward(&w, j->a + first * in, j->out + first * out); break;
  case JOB_AVGPOOL_GRAD: rt_avgpool_backward(&w, j->a + first * out, j->out + first * in); break;
  case JOB_MAXPOOL_GRAD: /* a = x, b = y, c = dy */
    rt_maxpool_backward(&w, j->a + first * in, j->b + first * out, j->c + first * out,
                        j->out + first * in);
    break;
  default: break;
  }
}

static void run_window(netc_session *s, const rt_window *w, int op,
                       const float *a, const float *b, const float *c, float *out) {
  window_job j = {s, *w, op, parts_for(s, w->n, w->oh * w->ow * w->f * w->kh * w->kw),
                  a, b, c, out};
  rt_pool_run(s->pool, window_part, &j, j.parts);
}

/* Convolution forward: tiles (bands of output rows) are independent, so
** one image can keep every thread busy. */
typedef struct conv_job {
  const netc_session *s;
  rt_window w;          /* whole-batch geometry */
  int64_t tiles;        /* rt_conv2d_tiles */
  int parts;            /* ranges of tiles */
  const float *x, *k;   /* input and filter */
  const rt_epilogue *epilogue; /* fused bias and activation, or NULL */
  float *y;             /* output */
} conv_job;

static void conv_part(void *arg, int part, int thread) {
  const conv_job *j = arg;
  int64_t first, count;
  part_range(j->tiles, part, j->parts, &first, &count);
  float *scratch = rt_thread_scratch(j->s, thread);
  for (int64_t t = first; t < first + count; t++)
    rt_conv2d_forward_tile(&j->w, t, j->x, j->k, j->epilogue, j->y, scratch);
}

void rt_par_conv2d_forward(netc_session *s, const rt_window *w, const float *x,
                           const float *k, const rt_epilogue *epilogue, float *y) {
  conv_job j = {s, *w, rt_conv2d_tiles(w), 1, x, k, epilogue, y};
  if (j.tiles > 0)
    j.parts = parts_for(s, j.tiles, w->n * w->oh * w->ow * w->f * w->kh * w->kw / j.tiles);
  rt_pool_run(s->pool, conv_part, &j, j.parts);
}

void rt_par_conv2d_backward_input(netc_session *s, const rt_window *w,
                                  const float *dy, const float *k, float *dx) {
  run_window(s, w, JOB_CONV_INPUT, dy, k, NULL, dx);
}

void rt_par_maxpool_forward(netc_session *s, const rt_window *w, const float *x,
                            float *y) {
  run_window(s, w, JOB_MAXPOOL, x, NULL, NULL, y);
}

void rt_par_avgpool_forward(netc_session *s, const rt_window *w, const float *x,
                            float *y) {
  run_window(s, w, JOB_AVGPOOL, x, NULL, NULL, y);
}

void rt_par_avgpool_backward(netc_session *s, const rt_window *w,
                             const float *dy, float *dx) {
  run_window(s, w, JOB_AVGPOOL_GRAD, dy, NULL, NULL, dx);
}

void rt_par_maxpool_backward(netc_session *s, const rt_window *w, const float *x,
                             const float *y, const float *dy, float *dx) {
  run_window(s, w, JOB_MAXPOOL_GRAD, x, y, dy, dx);
}

/* Filter gradient: each of a fixed number of batch chunks sums its images
** into its own partial buffer, then the partials are added in chunk order. */
typedef struct filter_job {
  const netc_session *s;
  rt_window w;         /* whole-batch geometry */
  int chunks;          /* batch chunks, independent of the thread count */
  const float *x, *dy; /* forward input and output gradient */
  float *dw;           /* result */
  int64_t size;        /* floats in dw */
} filter_job;

static void filter_part(void *arg, int part, int thread) {
  const filter_job *j = arg;
  int64_t first, count;
  part_range(j->w.n, part, j->chunks, &first, &count);
  rt_window w = j->w;
  w.n = count;
  float *dst = j->chunks == 1 ? j->dw : j->s->partials + (size_t)part * (size_t)j->size;
  rt_conv2d_backward_filter(&w, j->x + first * w.h * w.w * w.c,
                            j->dy + first * w.oh * w.ow * w.f, dst,
                            rt_thread_scratch(j->s, thread));
}

static void filter_sum_part(void *arg, int part, int thread) {
  const filter_job *j = arg;
  (void)thread;
  int64_t first, count;
  part_range(j->size, part, rt_pool_threads(j->s->pool), &first, &count);
  for (int64_t i = first; i < first + count; i++) {
    float sum = j->s->partials[i];
    for (int c = 1; c < j->chunks; c++) sum += j->s->partials[(size_t)c * (size_t)j->size + (size_t)i];
    j->dw[i] = sum;
  }
}

int rt_filter_chunks(int64_t batch) {
  return batch < FILTER_CHUNKS ? (int)(batch > 0 ? batch : 1) : FILTER_CHUNKS;
}

void rt_par_conv2d_backward_filter(netc_session *s, const rt_window *w,
                                   const float *x, const float *dy, float *dw) {
  filter_job j = {s, *w, rt_filter_chunks(w->n), x, dy, dw, w->kh * w->kw * w->c * w->f};
  rt_pool_run(s->pool, filter_part, &j, j.chunks);
  if (j.chunks > 1) rt_pool_run(s->pool, filter_sum_part, &j, rt_pool_threads(s->pool));
}

/* ------------------------------------------------------------- matmul */

typedef struct matmul_job {
  int64_t m, k, p;   /* C[M,P] = op(A)[M,K] op(B)[K,P] */
  int ta, tb;        /* transposes */
  const float *a, *b;
  const rt_epilogue *epilogue; /* on each slice of C, or NULL */
  float *c;
  int64_t rows;      /* rows of C per slice */
  int parts;         /* slices */
} matmul_job;

static void matmul_part(void *arg, int part, int thread) {
  const matmul_job *j = arg;
  (void)thread;
  int64_t first = (int64_t)part * j->rows;
  int64_t count = j->m - first < j->rows ? j->m - first : j->rows;
  rt_matmul_rows(j->m, j->k, j->p, j->ta, j->tb, j->a, j->b, j->c, first, count);
  if (j->epilogue && count > 0) rt_epilogue_apply(j->epilogue, count, j->p, j->c + first * j->p);
}

/* Slices sized from the product's shape alone, whatever the thread count,
** so each element is computed by the same OpenBLAS call shape with 1 thread
** or many: at least MATMUL_ROWS rows, at most MATMUL_PARTS slices, and one
** slice for a product too small to share. */
void rt_par_matmul(netc_session *s, int64_t m, int64_t k, int64_t p, int ta,
                   int tb, const float *a, const float *b,
                   const rt_epilogue *epilogue, float *c) {
  int64_t rows = (m + MATMUL_PARTS - 1) / MATMUL_PARTS;
  if (rows < MATMUL_ROWS) rows = MATMUL_ROWS;
  if (m * k * p < MATMUL_MIN_SPLIT) rows = m > 0 ? m : 1;
  matmul_job j = {m, k, p, ta, tb, a, b, epilogue, c, rows, (int)((m + rows - 1) / rows)};
  rt_pool_run(s->pool, matmul_part, &j, j.parts > 0 ? j.parts : 1);
}

/* ---------------------------------------------------------- elementwise */

typedef struct range_job {
  rt_range_fn fn;   /* the kernel on a range */
  const void *ctx;  /* its arguments */
  int64_t n;        /* elements (or rows) in all */
  int parts;        /* ranges */
} range_job;

static void range_part(void *arg, int part, int thread) {
  const range_job *j = arg;
  (void)thread;
  int64_t first, count;
  part_range(j->n, part, j->parts, &first, &count);
  if (count) j->fn(j->ctx, first, count);
}

void rt_par_range(netc_session *s, int64_t n, int64_t work_per_item,
                  rt_range_fn fn, const void *ctx) {
  range_job j = {fn, ctx, n, parts_for(s, n, work_per_item)};
  if (j.parts > rt_pool_threads(s->pool)) j.parts = rt_pool_threads(s->pool);
  rt_pool_run(s->pool, range_part, &j, j.parts);
}
