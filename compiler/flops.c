/*
** flops.c: floating-point operations of one IR node, per example, for the
** summary. A multiply-add counts as 2; the count is for one forward
** evaluation of one example (a leading symbolic dim, the batch, left out).
** A node whose size depends on another symbolic dim counts 0: there is no
** honest number for it.
*/
#include "compiler/ir.h"

/* Elements per example of the node's input i; -1 when not countable. */
static int64_t input_elements(const cc_graph *g, const cc_node *n, int i) {
  return cc_shape_elements_per_example(&g->nodes[n->inputs[i]].shape);
}

/* `per` operations for each of `elements`, or 0 when they are unknown. */
static int64_t times(int64_t elements, int64_t per) {
  return elements < 0 || per < 0 ? 0 : cc_count_mul(elements, per);
}

/* CONV2D: each output element is a dot product over the window and the
** input channels, KH*KW*C multiply-adds; the kernel is [KH,KW,C,F]. Both
** gradients cost the same as the forward pass: one multiply-add per output
** element of the forward (dy) and window element. */
static int64_t conv2d_flops(const cc_graph *g, const cc_node *n,
                            int64_t forward_out, int kernel) {
  const cc_shape *k = &g->nodes[n->inputs[kernel]].shape;
  int64_t window = cc_shape_elements(k);
  if (k->rank != 4 || window < 0) return 0;
  return times(forward_out, cc_count_mul(2, window / k->dim[3]));
}

/* MATMUL: [rows, K] x [K, M]; each output element is K multiply-adds. */
static int64_t matmul_flops(const cc_graph *g, const cc_node *n, int64_t out) {
  const cc_shape *a = &g->nodes[n->inputs[0]].shape;
  if (a->rank != 2) return 0;
  /* A weight gradient x^T dy contracts over the batch: per example, each
  ** output element is one multiply-add. */
  int64_t k = a->dim[n->attr.matmul.transpose_a ? 0 : 1];
  return times(out, cc_count_mul(2, CC_DIM_IS_SYMBOL(k) ? 1 : k));
}

int64_t cc_node_flops(const cc_graph *g, const cc_node *n) {
  int64_t out = cc_shape_elements_per_example(&n->shape);
  if (out < 0) return 0;
  switch (n->op) {
  /* Sources and pure data movement compute nothing. */
  case CC_OP_INPUT:
  case CC_OP_PARAM:
  case CC_OP_CONST:
  case CC_OP_RESHAPE:
  case CC_OP_STOP_GRADIENT:
  case CC_OP_GATHER:
  case CC_OP_PICK:
  case CC_OP_ONE_HOT:
  case CC_OP_CAST:
  case CC_OP_SLOT:
    return 0;
  case CC_OP_CONV2D:
    return conv2d_flops(g, n, out, 1);
  case CC_OP_CONV2D_GRAD_INPUT:
    return conv2d_flops(g, n, input_elements(g, n, 0), 1);
  case CC_OP_CONV2D_GRAD_FILTER:
    return conv2d_flops(g, n, input_elements(g, n, 1), 2);
  case CC_OP_MATMUL:
    return matmul_flops(g, n, out);
  /* One comparison or addition per window element of each output. */
  case CC_OP_MAXPOOL:
  case CC_OP_AVGPOOL:
    return times(out, (int64_t)n->attr.window.kh * n->attr.window.kw);
  /* One operation per output element: the add, compare, mask multiply or
  ** function evaluation that produces it (exp and friends count as one). */
  case CC_OP_BIAS_ADD:
  case CC_OP_DROPOUT:
  case CC_OP_CAFFE_PREPROCESS:
  case CC_OP_RELU:
  case CC_OP_SIGMOID:
  case CC_OP_TANH:
  case CC_OP_EXP:
  case CC_OP_LOG:
  case CC_OP_SQRT:
  case CC_OP_ABS:
  case CC_OP_NEG:
  case CC_OP_ADD:
  case CC_OP_SUB:
  case CC_OP_MUL:
  case CC_OP_DIV:
  case CC_OP_MAXIMUM:
  case CC_OP_MINIMUM:
  case CC_OP_LESS:
  case CC_OP_GREATER:
  case CC_OP_LESS_EQUAL:
  case CC_OP_GREATER_EQUAL:
  case CC_OP_EQUAL:
  case CC_OP_NOT_EQUAL:
  case CC_OP_WHERE:
    return out;
  /* Batchnorm folds into one multiply-add per element: x * scale + shift. */
  case CC_OP_BATCHNORM:
    return times(out, 2);
  /* Exp, sum and divide (log_softmax: exp, sum and subtract) per element;
  ** the max pass that keeps exp finite is a comparison and not counted. */
  case CC_OP_SOFTMAX:
  case CC_OP_LOG_SOFTMAX:
    return times(out, 3);
  /* One addition or comparison per input element. */
  case CC_OP_REDUCE_SUM:
  case CC_OP_REDUCE_MAX:
  case CC_OP_REDUCE_MEAN:
  case CC_OP_ARGMAX:
    return times(input_elements(g, n, 0), 1);
  /* Losses and metrics: per prediction element (input 0) of an example.
  ** Sparse cross entropy is a log_softmax (3); categorical adds the
  ** multiply-add with the target (5); binary is a log-sigmoid, a multiply
  ** and an add (4); mse a subtract, a square and a sum (3); huber also
  ** compares and picks a branch (4); accuracy is an argmax (1). */
  case CC_OP_SPARSE_XENT:
  case CC_OP_MSE:
    return times(input_elements(g, n, 0), 3);
  case CC_OP_XENT:
    return times(input_elements(g, n, 0), 5);
  case CC_OP_BCE:
  case CC_OP_HUBER:
    return times(input_elements(g, n, 0), 4);
  case CC_OP_ACCURACY:
    return times(input_elements(g, n, 0), 1);
  /* Other gradients and updates: a few operations per element they write
  ** (the optimizer's arithmetic is counted as one). */
  case CC_OP_MAXPOOL_GRAD:
  case CC_OP_AVGPOOL_GRAD:
  case CC_OP_BIAS_GRAD:
  case CC_OP_RELU_GRAD:
  case CC_OP_SIGMOID_GRAD:
  case CC_OP_TANH_GRAD:
  case CC_OP_SUM_TO:
  case CC_OP_UNREDUCE:
  case CC_OP_UNREDUCE_MEAN:
  case CC_OP_REDUCE_MAX_GRAD:
  case CC_OP_GATHER_GRAD:
  case CC_OP_PICK_GRAD:
  case CC_OP_APPLY_UPDATE:
    return out;
  case CC_OP_SOFTMAX_GRAD:
  case CC_OP_LOG_SOFTMAX_GRAD:
  case CC_OP_BATCHNORM_GRAD_INPUT:
  case CC_OP_BATCHNORM_GRAD_GAMMA:
  case CC_OP_SPARSE_XENT_GRAD:
  case CC_OP_XENT_GRAD:
  case CC_OP_BCE_GRAD:
  case CC_OP_MSE_GRAD:
  case CC_OP_HUBER_GRAD:
    return times(out, 3);
  case CC_OP_COUNT:
    break;
  }
  return 0;
}
