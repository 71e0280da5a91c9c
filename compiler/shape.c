/*
** shape.c: shape inference. Derives each node's dtype and shape from its
** inputs, one op family at a time, and explains failures in terms of the
** .net function that made the node ("dense expects a rank-2 input, ...").
** Also the shape helpers that reports and feeds share: formatting, element
** counts and equality.
*/
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compiler/ir.h"

/* ------------------------------------------------------------- helpers */

/* The name of symbolic dim `d`, or "?" when the graph does not know it. */
static const char *symbol_name(const cc_graph *g, int64_t d) {
  if (!g || d < -(int64_t)g->n_symbols) return "?";
  return g->symbols[CC_DIM_SYMBOL_INDEX(d)];
}

static int rank_ok(int rank) { return rank >= 0 && rank <= CC_MAX_RANK; }

/* Product of n dims; -1 when one is symbolic or the product overflows. */
static int64_t dims_product(const int64_t *dim, int n) {
  int64_t product = 1;
  for (int i = 0; i < n; i++) {
    if (dim[i] <= 0 || product > INT64_MAX / dim[i]) return -1;
    product *= dim[i];
  }
  return product;
}

static void format_dims(nc_buf *out, const cc_graph *g, const cc_shape *shape,
                        const char *separator) {
  int rank = rank_ok(shape->rank) ? shape->rank : 0;
  for (int i = 0; i < rank; i++) {
    if (i) nc_buf_puts(out, separator);
    if (CC_DIM_IS_SYMBOL(shape->dim[i]))
      nc_buf_puts(out, symbol_name(g, shape->dim[i]));
    else
      nc_buf_printf(out, "%" PRId64, shape->dim[i]);
  }
}

void cc_format_type(nc_buf *out, const cc_graph *g, netc_dtype dtype,
                    const cc_shape *shape) {
  nc_buf_puts(out, netc_dtype_name(dtype));
  nc_buf_putc(out, '[');
  format_dims(out, g, shape, ",");
  nc_buf_putc(out, ']');
}

void cc_format_shape(nc_buf *out, const cc_graph *g, const cc_shape *shape) {
  nc_buf_putc(out, '(');
  format_dims(out, g, shape, ", ");
  nc_buf_putc(out, ')');
}

int64_t cc_shape_elements_per_example(const cc_shape *shape) {
  if (!rank_ok(shape->rank)) return -1;
  int skip = shape->rank > 0 && CC_DIM_IS_SYMBOL(shape->dim[0]);
  return dims_product(shape->dim + skip, shape->rank - skip);
}

int64_t cc_shape_elements(const cc_shape *shape) {
  return rank_ok(shape->rank) ? dims_product(shape->dim, shape->rank) : -1;
}

int cc_shape_equal(const cc_shape *a, const cc_shape *b) {
  if (a->rank != b->rank || !rank_ok(a->rank)) return 0;
  for (int i = 0; i < a->rank; i++)
    if (a->dim[i] != b->dim[i]) return 0;
  return 1;
}

/* ------------------------------------------------------ inference state */

enum { TEXT_SLOTS = 4, TEXT_SIZE = 96 };

typedef struct infer {
  const cc_graph *g;
  cc_node *n;                       /* the node being inferred */
  const char *origin;               /* what messages call it */
  const cc_node *in[CC_MAX_INPUTS]; /* its inputs */
  cc_infer_error *err;
  netc_dtype dtype;                 /* the result, preset to input 0's */
  cc_shape shape;
  char text[TEXT_SLOTS][TEXT_SIZE]; /* formatted types quoted by a message */
  int n_text;
} infer;

#define DT(d) (1u << (d))
#define DT_NUMERIC (DT(NETC_F32) | DT(NETC_I32))

static int fail(infer *c, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(infer *c, const char *hint, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
  va_end(ap);
  snprintf(c->err->hint, sizeof c->err->hint, "%s", hint);
  return -1;
}

/* Keeps formatted text in the next slot; a message quotes at most
** TEXT_SLOTS types. */
static const char *keep_text(infer *c, nc_buf *b) {
  char *slot = c->text[c->n_text++ % TEXT_SLOTS];
  snprintf(slot, TEXT_SIZE, "%s", b->failed ? "?" : nc_buf_str(b));
  if (b->failed) c->err->out_of_memory = 1;
  nc_buf_release(b);
  return slot;
}

static const char *show_type(infer *c, netc_dtype dtype,
                             const cc_shape *shape) {
  nc_buf b;
  nc_buf_init(&b);
  cc_format_type(&b, c->g, dtype, shape);
  return keep_text(c, &b);
}

static const char *show_shape(infer *c, const cc_shape *shape) {
  nc_buf b;
  nc_buf_init(&b);
  cc_format_shape(&b, c->g, shape);
  return keep_text(c, &b);
}

/* A reshape target as the user wrote it: [-1, 5] (0 is the inferred dim). */
static const char *show_target(infer *c, const cc_shape *target) {
  nc_buf b;
  nc_buf_init(&b);
  nc_buf_putc(&b, '[');
  for (int i = 0; i < target->rank; i++)
    nc_buf_printf(&b, "%s%" PRId64, i ? ", " : "", target->dim[i] ? target->dim[i] : -1);
  nc_buf_putc(&b, ']');
  return keep_text(c, &b);
}

static const char *show_in(infer *c, int i) {
  return show_type(c, c->in[i]->dtype, &c->in[i]->shape);
}

static const cc_shape *shape_of(const infer *c, int i) {
  return &c->in[i]->shape;
}

static int64_t last_dim(const cc_shape *s) { return s->dim[s->rank - 1]; }

/* A valid dtype, rank and dims, known symbols, and a representable size. */
static int type_ok(const cc_graph *g, netc_dtype dtype, const cc_shape *s) {
  if ((unsigned)dtype > NETC_BOOL || !rank_ok(s->rank)) return 0;
  int64_t concrete = 1;
  for (int i = 0; i < s->rank; i++) {
    int64_t d = s->dim[i];
    if (d == 0 || d < -(int64_t)g->n_symbols) return 0;
    if (d > 0 && concrete > INT64_MAX / d) return 0;
    if (d > 0) concrete *= d;
  }
  return 1;
}

static int require_rank(infer *c, int i, int rank, const char *noun) {
  if (shape_of(c, i)->rank == rank) return 0;
  return fail(c, "", "%s expects a rank-%d %s, got %s", c->origin, rank, noun,
              show_in(c, i));
}

static int require_min_rank(infer *c, int i, int rank, const char *noun) {
  if (shape_of(c, i)->rank >= rank) return 0;
  return fail(c, "", "%s needs its %s to have rank %d or more, got %s",
              c->origin, noun, rank, show_in(c, i));
}

static int require_dtype(infer *c, int i, unsigned allowed, const char *noun) {
  if (allowed & DT(c->in[i]->dtype)) return 0;
  char names[32] = "";
  for (int d = NETC_F32; d <= NETC_BOOL; d++)
    if (allowed & DT(d))
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
               names[0] ? " or " : "", netc_dtype_name((netc_dtype)d));
  return fail(c, "", "%s needs its %s to be %s, got %s", c->origin, noun,
              names, show_in(c, i));
}

static int require_concrete(infer *c, int i, int axis, const char *noun) {
  if (!CC_DIM_IS_SYMBOL(shape_of(c, i)->dim[axis])) return 0;
  return fail(c, "", "%s needs a concrete size in dim %d of its %s, got %s",
              c->origin, axis, noun, show_in(c, i));
}

static int require_same_dtype(infer *c, int i, int j) {
  if (c->in[i]->dtype == c->in[j]->dtype) return 0;
  return fail(c, "use cast(x, f32)", "%s mixes %s and %s", c->origin,
              netc_dtype_name(c->in[i]->dtype),
              netc_dtype_name(c->in[j]->dtype));
}

/* Input i is an f32 vector with one entry per channel (last dim) of x. */
static int require_per_channel(infer *c, int i, const char *noun) {
  if (require_dtype(c, i, DT(NETC_F32), noun) || require_rank(c, i, 1, noun))
    return -1;
  if (shape_of(c, i)->dim[0] == last_dim(shape_of(c, 0))) return 0;
  return fail(c, "", "%s %s %s does not match the last dim of %s", c->origin,
              noun, show_in(c, i), show_in(c, 0));
}

static int require_result_rank(infer *c, int rank) {
  if (rank <= CC_MAX_RANK) return 0;
  return fail(c, "", "%s result would have rank %d, more than %d", c->origin,
              rank, CC_MAX_RANK);
}

/* Python-style: -1 is the last axis. Normalized in place, so inferring
** twice is harmless. */
static int normalize_axis(infer *c, int rank) {
  int *axis = &c->n->attr.axis.axis;
  if (*axis < -rank || *axis >= rank)
    return fail(c, "", "%s axis %d is out of range for %s", c->origin, *axis,
                show_in(c, 0));
  if (*axis < 0) *axis += rank;
  return 0;
}

/* Numpy broadcasting, right-aligned; a concrete 1 stretches to anything,
** and a symbol matches only itself. */
static int broadcast(const cc_shape *a, const cc_shape *b, cc_shape *out) {
  const cc_shape *longer = a->rank >= b->rank ? a : b;
  out->rank = longer->rank;
  for (int i = 1; i <= out->rank; i++) {
    int64_t da = i <= a->rank ? a->dim[a->rank - i] : 1;
    int64_t db = i <= b->rank ? b->dim[b->rank - i] : 1;
    if (da != db && da != 1 && db != 1) return -1;
    out->dim[out->rank - i] = da == 1 ? db : da;
  }
  return 0;
}

/* ------------------------------------------------------------- op rules */

/* Output size and leading zero padding of one spatial dim, see cc_padding.
** `in` is at least k for VALID. */
static int64_t window_size(int64_t in, int k, int stride, cc_padding padding,
                           int *pad) {
  if (padding == CC_PAD_VALID) {
    *pad = 0;
    return (in - k) / stride + 1;
  }
  int64_t out = in / stride + (in % stride != 0);
  /* total = (out-1)*stride + k - in, written so that it cannot overflow */
  int64_t total = k - (in - (out - 1) * stride);
  *pad = total > 0 ? (int)(total / 2) : 0;
  return out;
}

/* Spatial arithmetic shared by conv and pools: [N,H,W,*] -> [N,OH,OW,ch]. */
static int infer_window(infer *c, int64_t channels) {
  cc_attrs *a = &c->n->attr;
  const cc_shape *x = shape_of(c, 0);
  if (a->window.kh < 1 || a->window.kw < 1 || a->window.sh < 1 ||
      a->window.sw < 1)
    return fail(c, "", "%s needs a window and strides of at least 1, got %dx%d "
                "and %dx%d", c->origin, a->window.kh, a->window.kw,
                a->window.sh, a->window.sw);
  if (a->window.padding != CC_PAD_VALID && a->window.padding != CC_PAD_SAME)
    return fail(c, "", "%s has an unknown padding %d", c->origin,
                (int)a->window.padding);
  if (a->window.padding == CC_PAD_VALID &&
      (x->dim[1] < a->window.kh || x->dim[2] < a->window.kw))
    return fail(c, "use padding=\"same\"",
                "%s window %dx%d does not fit the input %s with padding valid",
                c->origin, a->window.kh, a->window.kw, show_in(c, 0));
  c->shape = (cc_shape){4, {x->dim[0], 0, 0, channels}};
  c->shape.dim[1] = window_size(x->dim[1], a->window.kh, a->window.sh,
                                a->window.padding, &a->window.pad_top);
  c->shape.dim[2] = window_size(x->dim[2], a->window.kw, a->window.sw,
                                a->window.padding, &a->window.pad_left);
  return 0;
}

/* x [N,H,W,C] * kernel [KH,KW,C,F] -> [N,OH,OW,F] (NHWC, HWIO). */
static int infer_conv2d(infer *c) {
  if (require_dtype(c, 0, DT(NETC_F32), "input") ||
      require_rank(c, 0, 4, "input") ||
      require_dtype(c, 1, DT(NETC_F32), "kernel") ||
      require_rank(c, 1, 4, "kernel"))
    return -1;
  for (int axis = 1; axis < 4; axis++)
    if (require_concrete(c, 0, axis, "input")) return -1;
  for (int axis = 0; axis < 4; axis++)
    if (require_concrete(c, 1, axis, "kernel")) return -1;
  const cc_shape *k = shape_of(c, 1);
  if (k->dim[0] > INT_MAX || k->dim[1] > INT_MAX)
    return fail(c, "", "%s kernel %s is too large", c->origin, show_in(c, 1));
  if (k->dim[2] != shape_of(c, 0)->dim[3])
    return fail(c, "", "%s kernel %s expects %" PRId64 " input channels, got %s",
                c->origin, show_in(c, 1), k->dim[2], show_in(c, 0));
  c->n->attr.window.kh = (int)k->dim[0];
  c->n->attr.window.kw = (int)k->dim[1];
  return infer_window(c, k->dim[3]);
}

/* MAXPOOL, AVGPOOL: [N,H,W,C] -> [N,OH,OW,C]. */
static int infer_pool(infer *c) {
  if (require_dtype(c, 0, DT(NETC_F32), "input") ||
      require_rank(c, 0, 4, "input") || require_concrete(c, 0, 1, "input") ||
      require_concrete(c, 0, 2, "input"))
    return -1;
  return infer_window(c, shape_of(c, 0)->dim[3]);
}

/* [N,K] x [K,M] -> [N,M]. */
static int infer_matmul(infer *c) {
  const cc_shape *a = shape_of(c, 0), *b = shape_of(c, 1);
  if (a->rank != 2)
    return fail(c, a->rank > 2 ? "did you mean flatten(x)?" : "",
                "%s expects a rank-2 input, got %s", c->origin, show_in(c, 0));
  /* Gradients multiply by transposes, contracting over the batch dim. */
  int ta = c->n->attr.matmul.transpose_a, tb = c->n->attr.matmul.transpose_b;
  if (require_dtype(c, 0, DT(NETC_F32), "input") ||
      (!ta && require_concrete(c, 0, 1, "input")) ||
      require_dtype(c, 1, DT(NETC_F32), "kernel") ||
      require_rank(c, 1, 2, "kernel"))
    return -1;
  if (a->dim[ta ? 0 : 1] != b->dim[tb ? 1 : 0])
    return fail(c, "", "%s cannot multiply %s by %s: inner dims differ",
                c->origin, show_in(c, 0), show_in(c, 1));
  c->shape = (cc_shape){2, {a->dim[ta ? 1 : 0], b->dim[tb ? 0 : 1]}};
  return 0;
}

static int infer_bias_add(infer *c) {
  if (require_dtype(c, 0, DT(NETC_F32), "input") ||
      require_min_rank(c, 0, 1, "input"))
    return -1;
  return require_per_channel(c, 1, "bias");
}

/* The target excludes the leading dim; 0 marks the dim to infer. It is left
** as written (so inference can run again); the result is the node's shape. */
static int infer_reshape(infer *c) {
  const cc_shape *target = &c->n->attr.reshape.target;
  const cc_shape *x = shape_of(c, 0);
  if (require_min_rank(c, 0, 1, "input")) return -1;
  if (target->rank < 0 || target->rank >= CC_MAX_RANK)
    return fail(c, "", "%s target has rank %d, at most %d is allowed",
                c->origin, target->rank, CC_MAX_RANK - 1);
  int64_t have = dims_product(x->dim + 1, x->rank - 1);
  if (have < 0)
    return fail(c, "", "%s needs concrete sizes after the leading dim, got %s",
                c->origin, show_in(c, 0));
  cc_shape out = {target->rank + 1, {x->dim[0]}};
  memcpy(out.dim + 1, target->dim, (size_t)target->rank * sizeof *out.dim);
  int infer_at = -1, fits = 1;
  int64_t known = 1;
  for (int i = 1; i < out.rank; i++) {
    int64_t d = out.dim[i];
    if (d < 0 || (d == 0 && infer_at >= 0))
      return fail(c, "", "%s target dims must be positive, with at most one "
                  "0 to infer", c->origin);
    if (d == 0)
      infer_at = i;
    else if (d > have / known) /* known * d > have: stop before overflow */
      fits = 0;
    else
      known *= d;
  }
  if (!fits || (infer_at < 0 ? known != have : have % known != 0))
    return fail(c, "", "%s cannot turn %s (%" PRId64 " elements per example) "
                "into %s", c->origin, show_in(c, 0), have, show_target(c, target));
  if (infer_at >= 0) out.dim[infer_at] = have / known;
  c->shape = out;
  return 0;
}

static int infer_dropout(infer *c) {
  float rate = c->n->attr.dropout.rate;
  if (require_dtype(c, 0, DT(NETC_F32), "input")) return -1;
  if (!(rate >= 0.0f && rate < 1.0f)) /* also rejects NaN */
    return fail(c, "", "%s rate must be in [0, 1), got %g", c->origin,
                (double)rate);
  return 0;
}

static int infer_batchnorm(infer *c) {
  static const char *const nouns[] = {"gamma", "beta", "moving_mean",
                                      "moving_var"};
  if (require_dtype(c, 0, DT(NETC_F32), "input") ||
      require_min_rank(c, 0, 1, "input"))
    return -1;
  for (int i = 1; i < 5; i++)
    if (require_per_channel(c, i, nouns[i - 1])) return -1;
  return 0;
}

static int infer_caffe_preprocess(infer *c) {
  if (require_dtype(c, 0, DT(NETC_F32), "input") ||
      require_min_rank(c, 0, 1, "input"))
    return -1;
  if (last_dim(shape_of(c, 0)) != 3)
    return fail(c, "", "%s expects 3 channels (RGB) in the last dim, got %s",
                c->origin, show_in(c, 0));
  return 0;
}

static int infer_unary(infer *c) {
  int integral = c->n->op == CC_OP_NEG || c->n->op == CC_OP_ABS;
  return require_dtype(c, 0, integral ? DT_NUMERIC : DT(NETC_F32), "input");
}

static int infer_softmax(infer *c) {
  if (require_dtype(c, 0, DT(NETC_F32), "input") ||
      require_min_rank(c, 0, 1, "input"))
    return -1;
  return normalize_axis(c, shape_of(c, 0)->rank);
}

/* BINARY and COMPARE ops; comparisons yield bool. */
static int infer_binary(infer *c) {
  for (int i = 0; i < 2; i++)
    if (c->in[i]->dtype == NETC_BOOL)
      return fail(c, "use where(condition, a, b), or cast(x, f32) for 0 and 1",
                  "%s does not take bool operands, got %s", c->origin, show_in(c, i));
  if (require_same_dtype(c, 0, 1) ||
      require_dtype(c, 0, DT_NUMERIC, "operands"))
    return -1;
  if (broadcast(shape_of(c, 0), shape_of(c, 1), &c->shape))
    return fail(c, "", "cannot broadcast %s and %s in %s", show_in(c, 0),
                show_in(c, 1), c->origin);
  if (cc_op_get(c->n->op)->flags & CC_OPF_COMPARE) c->dtype = NETC_BOOL;
  return 0;
}

/* where(cond, a, b): all three broadcast together; the dtype is a's. */
static int infer_where(infer *c) {
  if (require_dtype(c, 0, DT(NETC_BOOL), "condition") ||
      require_same_dtype(c, 1, 2))
    return -1;
  cc_shape ab;
  if (broadcast(shape_of(c, 1), shape_of(c, 2), &ab) ||
      broadcast(shape_of(c, 0), &ab, &c->shape))
    return fail(c, "", "cannot broadcast %s, %s and %s in %s", show_in(c, 0),
                show_in(c, 1), show_in(c, 2), c->origin);
  c->dtype = c->in[1]->dtype;
  return 0;
}

/* REDUCE_* and ARGMAX: drop the axis (or every axis), or keep it as 1. */
static int infer_reduce(infer *c) {
  cc_op op = c->n->op;
  int keep = c->n->attr.axis.keepdims;
  unsigned allowed = op == CC_OP_REDUCE_MEAN ? DT(NETC_F32) : DT_NUMERIC;
  if (require_dtype(c, 0, allowed, "input")) return -1;
  cc_shape *s = &c->shape;
  if (op != CC_OP_ARGMAX && c->n->attr.axis.axis == CC_AXIS_ALL) {
    for (int i = 0; i < s->rank; i++) s->dim[i] = 1;
    if (!keep) s->rank = 0;
    return 0;
  }
  if (normalize_axis(c, s->rank)) return -1;
  int axis = c->n->attr.axis.axis;
  if (keep) {
    s->dim[axis] = 1;
  } else {
    memmove(s->dim + axis, s->dim + axis + 1,
            (size_t)(s->rank - axis - 1) * sizeof *s->dim);
    s->rank--;
  }
  if (op == CC_OP_ARGMAX) c->dtype = NETC_I32;
  return 0;
}

/* x.shape[:axis] + idx.shape + x.shape[axis+1:]. */
static int infer_gather(infer *c) {
  const cc_shape *x = shape_of(c, 0), *idx = shape_of(c, 1);
  if (require_min_rank(c, 0, 1, "input") ||
      require_dtype(c, 1, DT(NETC_I32), "indices") ||
      normalize_axis(c, x->rank) ||
      require_result_rank(c, x->rank - 1 + idx->rank))
    return -1;
  int axis = c->n->attr.axis.axis;
  cc_shape *s = &c->shape;
  s->rank = x->rank - 1 + idx->rank;
  memcpy(s->dim + axis, idx->dim, (size_t)idx->rank * sizeof *s->dim);
  memcpy(s->dim + axis + idx->rank, x->dim + axis + 1,
         (size_t)(x->rank - axis - 1) * sizeof *s->dim);
  return 0;
}

/* PICK, SPARSE_XENT, ACCURACY: input [..., C] with i32 labels [...]. */
static int infer_labels(infer *c) {
  int pick = c->n->op == CC_OP_PICK;
  const char *noun = pick ? "input" : "logits";
  const char *labels = pick ? "indices" : "labels";
  if ((!pick && require_dtype(c, 0, DT(NETC_F32), noun)) ||
      require_min_rank(c, 0, 1, noun))
    return -1;
  cc_shape want = *shape_of(c, 0);
  want.rank--;
  if (c->in[1]->dtype != NETC_I32 || !cc_shape_equal(shape_of(c, 1), &want)) {
    int one_hot = c->n->op == CC_OP_SPARSE_XENT &&
                  c->in[1]->dtype == NETC_F32 &&
                  cc_shape_equal(shape_of(c, 1), shape_of(c, 0));
    return fail(c, one_hot ? "use categorical_cross_entropy for one-hot labels"
                           : "",
                "%s expects i32 %s of shape %s, got %s for %s %s", c->origin,
                labels, show_shape(c, &want), show_in(c, 1), noun,
                show_in(c, 0));
  }
  if (pick) {
    c->shape = want;
  } else {
    c->dtype = NETC_F32;
    c->shape.rank = 0;
  }
  return 0;
}

static int infer_one_hot(infer *c) {
  int depth = c->n->attr.one_hot.depth;
  const cc_shape *idx = shape_of(c, 0);
  if (require_dtype(c, 0, DT(NETC_I32), "indices") ||
      require_result_rank(c, idx->rank + 1))
    return -1;
  if (depth < 1)
    return fail(c, "", "%s depth must be at least 1, got %d", c->origin, depth);
  c->dtype = NETC_F32;
  c->shape.dim[c->shape.rank++] = depth;
  return 0;
}

static int infer_cast(infer *c) {
  netc_dtype to = c->n->attr.cast.to;
  if ((unsigned)to > NETC_BOOL)
    return fail(c, "", "%s to an unknown dtype %d", c->origin, (int)to);
  c->dtype = to;
  return 0;
}

/* XENT, BCE, MSE, HUBER: two f32 tensors of the same shape -> f32 scalar. */
static int infer_pair_loss(infer *c) {
  int xent = c->n->op == CC_OP_XENT;
  int regression = c->n->op == CC_OP_MSE || c->n->op == CC_OP_HUBER;
  const char *a = regression ? "prediction" : "logits";
  const char *b = regression ? "target" : "targets";
  if (require_dtype(c, 0, DT(NETC_F32), a) ||
      (xent && require_min_rank(c, 0, 1, a)))
    return -1;
  if (c->n->op == CC_OP_HUBER && !(c->n->attr.huber.delta > 0.0f))
    return fail(c, "", "%s delta must be positive, got %g", c->origin,
                (double)c->n->attr.huber.delta);
  if (xent && c->in[1]->dtype == NETC_I32) {
    cc_shape labels = *shape_of(c, 0);
    labels.rank--;
    if (cc_shape_equal(shape_of(c, 1), &labels))
      return fail(c, "use sparse_cross_entropy for integer labels",
                  "%s expects f32 targets of shape %s, got %s", c->origin,
                  show_shape(c, shape_of(c, 0)), show_in(c, 1));
  }
  if (require_dtype(c, 1, DT(NETC_F32), b)) return -1;
  if (!cc_shape_equal(shape_of(c, 0), shape_of(c, 1)))
    return fail(c, "", "%s expects %s and %s of the same shape, got %s and %s",
                c->origin, a, b, show_in(c, 0), show_in(c, 1));
  c->shape.rank = 0;
  return 0;
}

/* ------------------------------------------------------------- gradients */

int cc_grad_like_input(cc_op op) {
  switch (op) {
  case CC_OP_CONV2D_GRAD_INPUT:
  case CC_OP_CONV2D_GRAD_FILTER:
  case CC_OP_GATHER_GRAD:
  case CC_OP_PICK_GRAD:
  case CC_OP_BATCHNORM_GRAD_GAMMA:
    return 2;
  case CC_OP_MAXPOOL_GRAD:
  case CC_OP_AVGPOOL_GRAD:
  case CC_OP_BIAS_GRAD:
  case CC_OP_RELU_GRAD:
  case CC_OP_SIGMOID_GRAD:
  case CC_OP_TANH_GRAD:
  case CC_OP_SOFTMAX_GRAD:
  case CC_OP_LOG_SOFTMAX_GRAD:
  case CC_OP_SUM_TO:
  case CC_OP_UNREDUCE:
  case CC_OP_UNREDUCE_MEAN:
  case CC_OP_REDUCE_MAX_GRAD:
  case CC_OP_BATCHNORM_GRAD_INPUT:
  case CC_OP_SPARSE_XENT_GRAD:
  case CC_OP_XENT_GRAD:
  case CC_OP_BCE_GRAD:
  case CC_OP_MSE_GRAD:
  case CC_OP_HUBER_GRAD:
    return 1;
  case CC_OP_APPLY_UPDATE:
    return 0;
  default:
    return -1;
  }
}

/* Gradient ops are made by autodiff from shapes that were already checked:
** the result is an f32 tensor shaped like one of the inputs. */
static int infer_gradient(infer *c, int like) {
  if (require_dtype(c, 0, DT(NETC_F32), "gradient")) return -1;
  c->dtype = NETC_F32;
  c->shape = *shape_of(c, like);
  return 0;
}

/* ------------------------------------------------------------- dispatch */

/* Checks what the op rules take for granted: the input count, input
** indices, and well-formed input types. */
static int check_inputs(infer *c, int index) {
  const cc_op_info *info = cc_op_get(c->n->op);
  /* APPLY_UPDATE is the one op with a variable count: param, grad, slots. */
  int variable = info->inputs < 0;
  if (variable ? c->n->n_inputs < 2 || c->n->n_inputs > 4
               : c->n->n_inputs != info->inputs)
    return fail(c, "", "%s: %s takes %d inputs, got %d", c->origin, info->name,
                info->inputs, c->n->n_inputs);
  for (int i = 0; i < c->n->n_inputs; i++) {
    int at = c->n->inputs[i];
    if (at < 0 || at >= index)
      return fail(c, "", "%s: input %d is not an earlier node", c->origin, i);
    c->in[i] = &c->g->nodes[at];
    if (!type_ok(c->g, c->in[i]->dtype, &c->in[i]->shape))
      return fail(c, "", "%s: input %d has a malformed type", c->origin, i);
  }
  return 0;
}

static int infer_op(infer *c) {
  switch (c->n->op) {
  case CC_OP_CONV2D: return infer_conv2d(c);
  case CC_OP_MAXPOOL:
  case CC_OP_AVGPOOL: return infer_pool(c);
  case CC_OP_MATMUL: return infer_matmul(c);
  case CC_OP_BIAS_ADD: return infer_bias_add(c);
  case CC_OP_RESHAPE: return infer_reshape(c);
  case CC_OP_DROPOUT: return infer_dropout(c);
  case CC_OP_BATCHNORM: return infer_batchnorm(c);
  case CC_OP_CAFFE_PREPROCESS: return infer_caffe_preprocess(c);
  case CC_OP_SOFTMAX:
  case CC_OP_LOG_SOFTMAX: return infer_softmax(c);
  case CC_OP_WHERE: return infer_where(c);
  case CC_OP_REDUCE_SUM:
  case CC_OP_REDUCE_MAX:
  case CC_OP_REDUCE_MEAN:
  case CC_OP_ARGMAX: return infer_reduce(c);
  case CC_OP_GATHER: return infer_gather(c);
  case CC_OP_PICK:
  case CC_OP_SPARSE_XENT:
  case CC_OP_ACCURACY: return infer_labels(c);
  case CC_OP_ONE_HOT: return infer_one_hot(c);
  case CC_OP_CAST: return infer_cast(c);
  case CC_OP_STOP_GRADIENT: return 0;
  case CC_OP_XENT:
  case CC_OP_BCE:
  case CC_OP_MSE:
  case CC_OP_HUBER: return infer_pair_loss(c);
  default: break;
  }
  int like = cc_grad_like_input(c->n->op);
  if (like >= 0) return infer_gradient(c, like);
  /* the elementwise families go by flag, so new ops there need no case */
  unsigned flags = cc_op_get(c->n->op)->flags;
  if (flags & CC_OPF_UNARY) return infer_unary(c);
  if (flags & (CC_OPF_BINARY | CC_OPF_COMPARE)) return infer_binary(c);
  return fail(c, "", "%s: no shape rule for %s", c->origin,
              cc_op_get(c->n->op)->name);
}

int cc_infer(cc_graph *g, int index, cc_infer_error *err) {
  cc_infer_error scratch;
  infer c = {.g = g, .err = err ? err : &scratch};
  c.err->message[0] = c.err->hint[0] = '\0';
  c.err->out_of_memory = 0;
  if (!g || index < 0 || index >= g->n_nodes)
    return fail(&c, "", "no node %d to infer", index);
  c.n = &g->nodes[index];
  const cc_op_info *info = cc_op_get(c.n->op);
  if (!info) return fail(&c, "", "node %d has an unknown op", index);
  c.origin = c.n->origin ? c.n->origin : info->name;
  /* sources are typed by the lowering */
  if (info->inputs == 0 && c.n->n_inputs == 0) return 0;
  if (check_inputs(&c, index)) return -1;
  c.dtype = c.in[0]->dtype;
  c.shape = c.in[0]->shape;
  if (infer_op(&c)) return -1;
  if (!type_ok(g, c.dtype, &c.shape))
    return fail(&c, "", "%s result %s is too large", c.origin,
                show_type(&c, c.dtype, &c.shape));
  c.n->dtype = c.dtype;
  c.n->shape = c.shape;
  return 0;
}
