/*
** exec.c: runs one IR node through its kernel. Values and concrete shapes of
** the inputs are in s->value and s->shape; the output buffer is already in
** place (the plan decided where). Shapes are read with fixed letters: for a
** tensor viewed as [outer, len, inner] around an axis, rows x channels for
** the last axis.
*/
#include <math.h>
#include <string.h>

#include "runtime/parallel.h"
#include "runtime/session.h"

/* Input k of the node being run: its data and its concrete shape. */
#define IN(k) (s->value[n->inputs[k]])
#define IN_SHAPE(k) (&s->shape[n->inputs[k]])
#define F32(p) ((float *)(p))
#define I32(p) ((int32_t *)(p))

void rt_window_for(const cc_node *n, const cc_shape *x, const cc_shape *y,
                   const cc_shape *k, rt_window *w) {
  w->n = x->dim[0];
  w->h = x->dim[1];
  w->w = x->dim[2];
  w->c = x->dim[3];
  w->kh = k ? k->dim[0] : n->attr.window.kh;
  w->kw = k ? k->dim[1] : n->attr.window.kw;
  w->sh = n->attr.window.sh;
  w->sw = n->attr.window.sw;
  w->pad_top = n->attr.window.pad_top;
  w->pad_left = n->attr.window.pad_left;
  w->oh = y->dim[1];
  w->ow = y->dim[2];
  w->f = y->dim[3];
}

/* ---- elementwise kernels on ranges, for rt_par_range */

typedef struct map_args {
  rt_unary_op op;        /* unary ops and their gradients */
  const float *x, *y;    /* inputs: x (or dy) and the saved output y */
  const float *b;        /* bias_add: the bias */
  float *out;            /* result */
  int64_t c;             /* bias_add: channels per row */
  float rate;            /* dropout */
  uint64_t seed, key, step; /* dropout's mask */
  uint64_t counter;      /* dropout: the mask's counter at our first element */
} map_args;

static void unary_range(const void *ctx, int64_t first, int64_t count) {
  const map_args *m = ctx;
  rt_unary_f32(m->op, count, m->x + first, m->out + first);
}

static void unary_grad_range(const void *ctx, int64_t first, int64_t count) {
  const map_args *m = ctx;
  rt_unary_grad(m->op, count, m->x + first, m->y + first, m->out + first);
}

static void bias_range(const void *ctx, int64_t first, int64_t count) {
  const map_args *m = ctx;
  rt_bias_add(count, m->c, m->x + first * m->c, m->b, m->out + first * m->c);
}

static void dropout_range(const void *ctx, int64_t first, int64_t count) {
  const map_args *m = ctx;
  rt_dropout(count, m->rate, m->seed, m->key, m->step, m->counter + (uint64_t)first,
             m->x + first, m->out + first);
}

/* Sizes around `axis` (CC_AXIS_ALL: the whole tensor is the axis). */
static void split_axis(const cc_shape *shape, int axis, int64_t *outer,
                       int64_t *len, int64_t *inner) {
  *outer = *inner = 1;
  if (axis == CC_AXIS_ALL) {
    *len = rt_elements(shape);
    return;
  }
  *len = shape->dim[axis];
  for (int i = 0; i < axis; i++) *outer *= shape->dim[i];
  for (int i = axis + 1; i < shape->rank; i++) *inner *= shape->dim[i];
}

static rt_shape broadcast_shape(const cc_shape *shape) {
  rt_shape r;
  r.rank = shape->rank;
  for (int i = 0; i < shape->rank; i++) r.dim[i] = shape->dim[i];
  return r;
}

static int64_t last_dim(const cc_shape *shape) {
  return shape->rank ? shape->dim[shape->rank - 1] : 1;
}

static rt_unary_op unary_of(cc_op op) {
  switch (op) {
  case CC_OP_SIGMOID: case CC_OP_SIGMOID_GRAD: return RT_SIGMOID;
  case CC_OP_TANH: case CC_OP_TANH_GRAD: return RT_TANH;
  case CC_OP_EXP: return RT_EXP;
  case CC_OP_LOG: return RT_LOG;
  case CC_OP_SQRT: return RT_SQRT;
  case CC_OP_ABS: return RT_ABS;
  case CC_OP_NEG: return RT_NEG;
  default: return RT_RELU;
  }
}

static rt_binary_op binary_of(cc_op op) {
  switch (op) {
  case CC_OP_SUB: return RT_SUB;
  case CC_OP_MUL: return RT_MUL;
  case CC_OP_DIV: return RT_DIV;
  case CC_OP_MAXIMUM: return RT_MAXIMUM;
  case CC_OP_MINIMUM: return RT_MINIMUM;
  case CC_OP_LESS: return RT_LESS;
  case CC_OP_GREATER: return RT_GREATER;
  case CC_OP_LESS_EQUAL: return RT_LESS_EQUAL;
  case CC_OP_GREATER_EQUAL: return RT_GREATER_EQUAL;
  case CC_OP_EQUAL: return RT_EQUAL;
  case CC_OP_NOT_EQUAL: return RT_NOT_EQUAL;
  default: return RT_ADD;
  }
}

/* An index input held a value outside its range: name the op and place. */
static netc_status bad_index(netc_session *s, const cc_node *n, const char *what,
                             int64_t limit) {
  char at[256];
  rt_location(s, n->span, at, sizeof at);
  return rt_fail(s, NETC_EINVAL, "%s: %s: a %s is outside [0, %lld)", at,
                 n->origin, what, (long long)limit);
}

/* The epilogue the plan fused into product `index`, in *e; NULL for none. */
static const rt_epilogue *epilogue_of(const netc_session *s, const rt_plan *plan,
                                      int index, rt_epilogue *e) {
  const rt_fused *f = &plan->fused[index];
  if (!f->what) return NULL;
  e->bias = f->what & RT_FUSED_BIAS ? F32(s->value[f->bias]) : NULL;
  e->relu = (f->what & RT_FUSED_RELU) != 0;
  return e;
}

static netc_status exec_window(netc_session *s, const rt_plan *plan, const cc_node *n,
                               int index) {
  void *out = s->value[index];
  rt_window w;
  rt_epilogue e;
  switch (n->op) {
  case CC_OP_CONV2D:
    rt_window_for(n, IN_SHAPE(0), &s->shape[index], IN_SHAPE(1), &w);
    rt_par_conv2d_forward(s, &w, F32(IN(0)), F32(IN(1)), epilogue_of(s, plan, index, &e),
                          F32(out));
    break;
  case CC_OP_CONV2D_GRAD_INPUT: /* dy, w, x */
    rt_window_for(n, IN_SHAPE(2), IN_SHAPE(0), IN_SHAPE(1), &w);
    rt_par_conv2d_backward_input(s, &w, F32(IN(0)), F32(IN(1)), F32(out));
    break;
  case CC_OP_CONV2D_GRAD_FILTER: /* x, dy, w */
    rt_window_for(n, IN_SHAPE(0), IN_SHAPE(1), IN_SHAPE(2), &w);
    rt_par_conv2d_backward_filter(s, &w, F32(IN(0)), F32(IN(1)), F32(out));
    break;
  case CC_OP_MAXPOOL:
    rt_window_for(n, IN_SHAPE(0), &s->shape[index], NULL, &w);
    rt_par_maxpool_forward(s, &w, F32(IN(0)), F32(out));
    break;
  case CC_OP_AVGPOOL:
    rt_window_for(n, IN_SHAPE(0), &s->shape[index], NULL, &w);
    rt_par_avgpool_forward(s, &w, F32(IN(0)), F32(out));
    break;
  case CC_OP_MAXPOOL_GRAD: /* dy, x, y */
    rt_window_for(n, IN_SHAPE(1), IN_SHAPE(0), NULL, &w);
    rt_par_maxpool_backward(s, &w, F32(IN(1)), F32(IN(2)), F32(IN(0)), F32(out));
    break;
  case CC_OP_AVGPOOL_GRAD: /* dy, x */
    rt_window_for(n, IN_SHAPE(1), IN_SHAPE(0), NULL, &w);
    rt_par_avgpool_backward(s, &w, F32(IN(0)), F32(out));
    break;
  default:
    break;
  }
  return NETC_OK;
}

static int is_loss_grad(cc_op op) {
  return op == CC_OP_SPARSE_XENT_GRAD || op == CC_OP_XENT_GRAD ||
         op == CC_OP_BCE_GRAD || op == CC_OP_MSE_GRAD || op == CC_OP_HUBER_GRAD;
}

/* Losses read (prediction, target); their gradients (dloss, prediction,
** target). */
static netc_status exec_loss(netc_session *s, const cc_node *n, int index) {
  float *out = F32(s->value[index]);
  int grad = is_loss_grad(n->op);
  const cc_shape *xs = IN_SHAPE(grad ? 1 : 0);
  int64_t c = last_dim(xs), rows = rt_elements(xs) / (c ? c : 1), all = rt_elements(xs);
  float dloss = grad ? F32(IN(0))[0] : 0;
  const void *x = grad ? IN(1) : IN(0), *t = grad ? IN(2) : IN(1);
  int rc = 0;
  switch (n->op) {
  case CC_OP_SPARSE_XENT: rc = rt_sparse_xent(rows, c, x, t, out); break;
  case CC_OP_SPARSE_XENT_GRAD: rc = rt_sparse_xent_grad(rows, c, x, t, dloss, out); break;
  case CC_OP_ACCURACY: rc = rt_accuracy(rows, c, x, t, out); break;
  case CC_OP_XENT: rt_xent(rows, c, x, t, out); break;
  case CC_OP_XENT_GRAD:
    if (!n->attr.loss_grad.wrt_target) {
      rt_xent_grad(rows, c, x, t, dloss, out);
      break;
    }
    /* d/dt of -mean_rows(sum t log softmax(z)) = -log softmax(z) / rows */
    rt_log_softmax(rows, c, 1, x, out);
    for (int64_t i = 0; i < all; i++) out[i] *= -dloss / (float)rows;
    break;
  case CC_OP_BCE: rt_bce(all, x, t, out); break;
  case CC_OP_BCE_GRAD:
    if (!n->attr.loss_grad.wrt_target) {
      rt_bce_grad(all, x, t, dloss, out);
      break;
    }
    /* d/dt of mean(max(z,0) - z t + log1p(exp(-|z|))) = -z / n */
    for (int64_t i = 0; i < all; i++) out[i] = -((const float *)x)[i] * dloss / (float)all;
    break;
  case CC_OP_MSE: rt_mse(all, x, t, out); break;
  case CC_OP_MSE_GRAD: rt_mse_grad(all, x, t, dloss, out); break;
  case CC_OP_HUBER: rt_huber(all, n->attr.huber.delta, x, t, out); break;
  case CC_OP_HUBER_GRAD: rt_huber_grad(all, n->attr.huber.delta, x, t, dloss, out); break;
  default: break;
  }
  return rc ? bad_index(s, n, "label", c) : NETC_OK;
}

static netc_status exec_axis(netc_session *s, const cc_node *n, int index) {
  void *out = s->value[index];
  int64_t outer, len, inner;
  /* Gradients split their forward input's shape (input 1). */
  int src = n->op == CC_OP_UNREDUCE || n->op == CC_OP_UNREDUCE_MEAN ||
            n->op == CC_OP_REDUCE_MAX_GRAD;
  split_axis(IN_SHAPE(src), n->attr.axis.axis, &outer, &len, &inner);
  int i32 = s->g->nodes[n->inputs[0]].dtype == NETC_I32;
  switch (n->op) {
  case CC_OP_SOFTMAX: rt_softmax(outer, len, inner, F32(IN(0)), F32(out)); break;
  case CC_OP_LOG_SOFTMAX: rt_log_softmax(outer, len, inner, F32(IN(0)), F32(out)); break;
  case CC_OP_SOFTMAX_GRAD: rt_softmax_grad(outer, len, inner, F32(IN(0)), F32(IN(1)), F32(out)); break;
  case CC_OP_LOG_SOFTMAX_GRAD: rt_log_softmax_grad(outer, len, inner, F32(IN(0)), F32(IN(1)), F32(out)); break;
  case CC_OP_REDUCE_SUM:
  case CC_OP_REDUCE_MAX:
  case CC_OP_REDUCE_MEAN: {
    rt_reduce_op op = n->op == CC_OP_REDUCE_SUM ? RT_REDUCE_SUM
                      : n->op == CC_OP_REDUCE_MAX ? RT_REDUCE_MAX : RT_REDUCE_MEAN;
    if (i32) rt_reduce_i32(op, outer, len, inner, I32(IN(0)), I32(out));
    else rt_reduce_f32(op, outer, len, inner, F32(IN(0)), F32(out));
    break;
  }
  case CC_OP_ARGMAX:
    if (i32) rt_argmax_i32(outer, len, inner, I32(IN(0)), I32(out));
    else rt_argmax_f32(outer, len, inner, F32(IN(0)), I32(out));
    break;
  case CC_OP_UNREDUCE:
  case CC_OP_UNREDUCE_MEAN:
    rt_unreduce(outer, len, inner, F32(IN(0)), F32(out));
    if (n->op == CC_OP_UNREDUCE_MEAN) {
      int64_t total = outer * len * inner;
      for (int64_t i = 0; i < total; i++) F32(out)[i] /= (float)len;
    }
    break;
  case CC_OP_REDUCE_MAX_GRAD: /* dy, x, y */
    rt_reduce_max_grad(outer, len, inner, F32(IN(1)), F32(IN(2)), F32(IN(0)), F32(out));
    break;
  default:
    break;
  }
  return NETC_OK;
}

static netc_status exec_index(netc_session *s, const cc_node *n, int index) {
  void *out = s->value[index];
  size_t elem = rt_dtype_size(n->dtype);
  int64_t outer, len, inner;
  switch (n->op) {
  case CC_OP_GATHER:
    split_axis(IN_SHAPE(0), n->attr.axis.axis, &outer, &len, &inner);
    if (rt_gather(outer, len, inner, elem, IN(0), rt_elements(IN_SHAPE(1)), I32(IN(1)), out))
      return bad_index(s, n, "index", len);
    break;
  case CC_OP_GATHER_GRAD: /* dy, indices, x */
    split_axis(IN_SHAPE(2), n->attr.axis.axis, &outer, &len, &inner);
    if (rt_gather_grad(outer, len, inner, rt_elements(IN_SHAPE(1)), I32(IN(1)), F32(IN(0)), F32(out)))
      return bad_index(s, n, "index", len);
    break;
  case CC_OP_PICK:
    if (rt_pick(rt_elements(IN_SHAPE(1)), last_dim(IN_SHAPE(0)), elem, IN(0), I32(IN(1)), out))
      return bad_index(s, n, "index", last_dim(IN_SHAPE(0)));
    break;
  case CC_OP_PICK_GRAD: /* dy, indices, x */
    if (rt_pick_grad(rt_elements(IN_SHAPE(1)), last_dim(IN_SHAPE(2)), I32(IN(1)), F32(IN(0)), F32(out)))
      return bad_index(s, n, "index", last_dim(IN_SHAPE(2)));
    break;
  case CC_OP_ONE_HOT:
    rt_one_hot(rt_elements(IN_SHAPE(0)), n->attr.one_hot.depth, I32(IN(0)), F32(out));
    break;
  case CC_OP_CAST:
    rt_cast(rt_elements(IN_SHAPE(0)), (int)s->g->nodes[n->inputs[0]].dtype, IN(0),
            (int)n->dtype, out);
    break;
  default:
    break;
  }
  return NETC_OK;
}

typedef struct update_args {
  const netc_session *s; /* optimizer, settings, clipping, scratch */
  float *param;          /* updated in place */
  const float *grad;     /* its gradient */
  float *slot[2];        /* optimizer state, or NULL */
} update_args;

/* A clipped gradient is scaled into scratch: the gradient tensor itself may
** feed other updates. Ranges of one tensor never overlap in scratch. */
static void update_range(const void *ctx, int64_t first, int64_t count) {
  const update_args *u = ctx;
  const netc_session *s = u->s;
  const float *grad = u->grad + first;
  if (s->clip_scale != 1.0f || s->clip_value > 0) {
    float *clipped = s->scratch + first;
    for (int64_t i = 0; i < count; i++) {
      float g = grad[i] * s->clip_scale;
      if (s->clip_value > 0) g = fminf(fmaxf(g, -s->clip_value), s->clip_value);
      clipped[i] = g;
    }
    grad = clipped;
  }
  rt_optimizer_step(s->optimizer, &s->hyper, count, u->param + first, grad,
                    u->slot[0] ? u->slot[0] + first : NULL,
                    u->slot[1] ? u->slot[1] + first : NULL);
}

/* APPLY_UPDATE(param, grad, slots...). */
static netc_status exec_update(netc_session *s, const cc_node *n) {
  update_args u = {s, F32(IN(0)), F32(IN(1)), {NULL, NULL}};
  for (int k = 2; k < n->n_inputs; k++) u.slot[k - 2] = F32(IN(k));
  rt_par_range(s, rt_elements(IN_SHAPE(0)), 8, update_range, &u);
  return NETC_OK;
}

netc_status rt_exec_node(netc_session *s, const rt_plan *plan, int index) {
  const cc_node *n = &s->g->nodes[index];
  void *out = s->value[index];
  int64_t count = rt_elements(&s->shape[index]);
  unsigned flags = cc_op_get(n->op)->flags;
  if (plan->storage[index] == RT_ALIAS) return NETC_OK;
  map_args m = {.op = unary_of(n->op), .out = F32(out)};
  if (flags & CC_OPF_UNARY) {
    m.x = F32(IN(0));
    if (n->dtype == NETC_I32) rt_unary_i32(m.op, count, I32(IN(0)), I32(out));
    else rt_par_range(s, count, 4, unary_range, &m);
    return NETC_OK;
  }
  if (flags & (CC_OPF_BINARY | CC_OPF_COMPARE)) {
    rt_shape a = broadcast_shape(IN_SHAPE(0)), b = broadcast_shape(IN_SHAPE(1));
    rt_shape o = broadcast_shape(&s->shape[index]);
    rt_binary(binary_of(n->op), s->g->nodes[n->inputs[0]].dtype == NETC_I32, IN(0), &a,
              IN(1), &b, out, &o);
    return NETC_OK;
  }
  switch (n->op) {
  case CC_OP_CONV2D:
  case CC_OP_CONV2D_GRAD_INPUT:
  case CC_OP_CONV2D_GRAD_FILTER:
  case CC_OP_MAXPOOL:
  case CC_OP_AVGPOOL:
  case CC_OP_MAXPOOL_GRAD:
  case CC_OP_AVGPOOL_GRAD:
    return exec_window(s, plan, n, index);
  case CC_OP_MATMUL: {
    const cc_shape *as = IN_SHAPE(0), *bs = IN_SHAPE(1);
    int ta = n->attr.matmul.transpose_a, tb = n->attr.matmul.transpose_b;
    rt_epilogue e;
    rt_par_matmul(s, as->dim[ta ? 1 : 0], as->dim[ta ? 0 : 1], bs->dim[tb ? 0 : 1], ta, tb,
                  F32(IN(0)), F32(IN(1)), epilogue_of(s, plan, index, &e), F32(out));
    return NETC_OK;
  }
  case CC_OP_BIAS_ADD:
    m.c = last_dim(&s->shape[index]);
    m.x = F32(IN(0));
    m.b = F32(IN(1));
    rt_par_range(s, count / m.c, m.c, bias_range, &m);
    return NETC_OK;
  case CC_OP_BIAS_GRAD: {
    int64_t c = count, rows = rt_elements(IN_SHAPE(0)) / (c ? c : 1);
    rt_bias_grad(rows, c, F32(IN(0)), F32(out));
    return NETC_OK;
  }
  case CC_OP_RELU_GRAD:
  case CC_OP_SIGMOID_GRAD:
  case CC_OP_TANH_GRAD:
    m.x = F32(IN(0));
    m.y = F32(IN(1));
    rt_par_range(s, count, 2, unary_grad_range, &m);
    return NETC_OK;
  case CC_OP_DROPOUT:
    m.x = F32(IN(0));
    m.rate = n->attr.dropout.rate;
    m.seed = s->seed;
    m.key = (uint64_t)n->attr.dropout.key;
    m.step = (uint64_t)s->step;
    m.counter = s->row_offset && s->shape[index].dim[0] > 0
                    ? (uint64_t)(s->row_offset * (count / s->shape[index].dim[0]))
                    : 0;
    rt_par_range(s, count, 8, dropout_range, &m);
    return NETC_OK;
  case CC_OP_CAFFE_PREPROCESS:
    rt_caffe_preprocess(count / 3, F32(IN(0)), F32(out));
    return NETC_OK;
  case CC_OP_BATCHNORM: {
    int64_t c = last_dim(&s->shape[index]);
    if (plan->training)
      rt_batchnorm_train(count / c, c, n->attr.batchnorm.epsilon, n->attr.batchnorm.momentum,
                         F32(IN(0)), F32(IN(1)), F32(IN(2)), F32(IN(3)), F32(IN(4)), F32(out));
    else
      rt_batchnorm_infer(count / c, c, n->attr.batchnorm.epsilon, F32(IN(0)), F32(IN(1)),
                         F32(IN(2)), F32(IN(3)), F32(IN(4)), F32(out));
    return NETC_OK;
  }
  case CC_OP_BATCHNORM_GRAD_INPUT:
  case CC_OP_BATCHNORM_GRAD_GAMMA: { /* dy, x, gamma */
    int64_t c = last_dim(IN_SHAPE(1)), rows = rt_elements(IN_SHAPE(1)) / c;
    float *dx = n->op == CC_OP_BATCHNORM_GRAD_INPUT ? F32(out) : s->scratch;
    float *dgamma = n->op == CC_OP_BATCHNORM_GRAD_GAMMA ? F32(out) : s->scratch + rows * c;
    rt_batchnorm_grad(rows, c, n->attr.batchnorm.epsilon, F32(IN(1)), F32(IN(2)), F32(IN(0)),
                      dx, dgamma, s->scratch + rows * c + c);
    return NETC_OK;
  }
  case CC_OP_WHERE: {
    rt_shape cs = broadcast_shape(IN_SHAPE(0)), as = broadcast_shape(IN_SHAPE(1));
    rt_shape bs = broadcast_shape(IN_SHAPE(2)), os = broadcast_shape(&s->shape[index]);
    rt_where(IN(0), &cs, IN(1), &as, IN(2), &bs, out, &os, rt_dtype_size(n->dtype));
    return NETC_OK;
  }
  case CC_OP_SUM_TO: {
    rt_shape xs = broadcast_shape(IN_SHAPE(0)), ys = broadcast_shape(&s->shape[index]);
    rt_sum_to(F32(IN(0)), &xs, F32(out), &ys);
    return NETC_OK;
  }
  case CC_OP_SOFTMAX:
  case CC_OP_LOG_SOFTMAX:
  case CC_OP_SOFTMAX_GRAD:
  case CC_OP_LOG_SOFTMAX_GRAD:
  case CC_OP_REDUCE_SUM:
  case CC_OP_REDUCE_MAX:
  case CC_OP_REDUCE_MEAN:
  case CC_OP_ARGMAX:
  case CC_OP_UNREDUCE:
  case CC_OP_UNREDUCE_MEAN:
  case CC_OP_REDUCE_MAX_GRAD:
    return exec_axis(s, n, index);
  case CC_OP_GATHER:
  case CC_OP_GATHER_GRAD:
  case CC_OP_PICK:
  case CC_OP_PICK_GRAD:
  case CC_OP_ONE_HOT:
  case CC_OP_CAST:
    return exec_index(s, n, index);
  case CC_OP_SPARSE_XENT:
  case CC_OP_XENT:
  case CC_OP_BCE:
  case CC_OP_MSE:
  case CC_OP_HUBER:
  case CC_OP_ACCURACY:
  case CC_OP_SPARSE_XENT_GRAD:
  case CC_OP_XENT_GRAD:
  case CC_OP_BCE_GRAD:
  case CC_OP_MSE_GRAD:
  case CC_OP_HUBER_GRAD:
    return exec_loss(s, n, index);
  case CC_OP_APPLY_UPDATE:
    return exec_update(s, n);
  default:
    return rt_fail(s, NETC_EUNSUPPORTED, "no kernel for op %s", cc_op_get(n->op)->name);
  }
}
