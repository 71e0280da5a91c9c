/*
** autodiff.c: reverse-mode differentiation as a graph-to-graph pass. For the
** train entry point it appends, after the forward graph, the nodes that
** compute the loss's gradient with respect to every trainable parameter,
** then one optimizer update per parameter with its slots (optimizer state).
**
** Only nodes on a path from a trainable parameter to the loss get a
** gradient: frozen parameters, stop_gradient and integer tensors cut the
** path, and branches that do not reach the loss are never visited. Each
** gradient node inherits the span of the forward node it differentiates, so
** an error inside a gradient still points at user source. Contributions to
** one tensor are summed with explicit adds in a fixed order.
*/
#include <string.h>

#include "compiler/autodiff.h"

typedef struct ad_ctx {
  cc_graph *g;          /* the graph being extended */
  nc_diag_sink *sink;   /* internal errors */
  int *grad;            /* per forward node: its gradient node, or -1 */
  unsigned char *needs; /* per forward node: depends on a trainable param */
  int failed;           /* an internal error or out of memory */
  int out_of_memory;    /* allocation failed */
  int forward;          /* the node being differentiated (for spans) */
} ad_ctx;

/* Appends a gradient node and infers its type. A failure here is a bug in
** a gradient rule; it is reported at the forward node that caused it. */
static int emit(ad_ctx *a, cc_op op, const int *inputs, int n,
                const cc_attrs *attr) {
  if (a->failed) return -1;
  const cc_node *fwd = &a->g->nodes[a->forward];
  int node = cc_graph_add_node(a->g, op, inputs, n, fwd->span);
  if (node < 0) {
    a->failed = a->out_of_memory = 1;
    return -1;
  }
  cc_node *nn = &a->g->nodes[node];
  if (attr) nn->attr = *attr;
  nn->origin = fwd->origin;
  nn->layer = fwd->layer;
  nn->backward = 1;
  cc_infer_error err;
  if (cc_infer(a->g, node, &err) != 0) {
    nc_error(a->sink, fwd->span, "internal error in the gradient of %s: %s",
             cc_op_get(fwd->op)->name, err.message);
    a->failed = 1;
    return -1;
  }
  return node;
}

static int emit1(ad_ctx *a, cc_op op, int x, const cc_attrs *attr) {
  return emit(a, op, &x, 1, attr);
}

static int emit2(ad_ctx *a, cc_op op, int x, int y, const cc_attrs *attr) {
  int in[2] = {x, y};
  return emit(a, op, in, 2, attr);
}

static int emit3(ad_ctx *a, cc_op op, int x, int y, int z,
                 const cc_attrs *attr) {
  int in[3] = {x, y, z};
  return emit(a, op, in, 3, attr);
}

static int constant(ad_ctx *a, double value) {
  if (a->failed) return -1;
  int node = cc_graph_add_node(a->g, CC_OP_CONST, NULL, 0,
                               a->g->nodes[a->forward].span);
  if (node < 0) {
    a->failed = a->out_of_memory = 1;
    return -1;
  }
  a->g->nodes[node].dtype = NETC_F32;
  a->g->nodes[node].attr.constant.value = value;
  a->g->nodes[node].backward = 1;
  return node;
}

/* The gradient of a broadcast operand: dy summed back to x's shape. */
static int sum_to(ad_ctx *a, int dy, int x) {
  if (dy < 0) return -1;
  if (cc_shape_equal(&a->g->nodes[dy].shape, &a->g->nodes[x].shape)) return dy;
  return emit2(a, CC_OP_SUM_TO, dy, x, NULL);
}

/* Which inputs of an op carry gradient (labels, indices, conditions and
** running statistics do not). */
static int differentiable_input(const cc_node *n, int i) {
  switch (n->op) {
  case CC_OP_SPARSE_XENT:
  case CC_OP_GATHER:
  case CC_OP_PICK:
    return i == 0;
  case CC_OP_WHERE:
    return i > 0;
  case CC_OP_BATCHNORM:
    return i < 3;
  default:
    return (cc_op_get(n->op)->flags & CC_OPF_DIFF) != 0;
  }
}

/* Adds `contribution` to the gradient of node x. */
static void accumulate(ad_ctx *a, int x, int contribution) {
  if (contribution < 0) return;
  if (a->grad[x] < 0) {
    a->grad[x] = contribution;
    return;
  }
  a->grad[x] = emit2(a, CC_OP_ADD, a->grad[x], contribution, NULL);
}

/* The gradient of input i of node n given the output gradient dy. */
static int input_gradient(ad_ctx *a, int index, int i, int dy) {
  const cc_node *n = &a->g->nodes[index];
  int x = n->inputs[0];
  int b = n->n_inputs > 1 ? n->inputs[1] : -1;
  int other = n->n_inputs == 2 ? n->inputs[1 - i] : -1; /* binary ops */
  int self = n->inputs[i];
  cc_attrs attr = n->attr;
  switch (n->op) {
  case CC_OP_ADD: return sum_to(a, dy, self);
  case CC_OP_SUB:
    return sum_to(a, i == 0 ? dy : emit1(a, CC_OP_NEG, dy, NULL), self);
  case CC_OP_MUL: return sum_to(a, emit2(a, CC_OP_MUL, dy, other, NULL), self);
  case CC_OP_DIV:
    if (i == 0) return sum_to(a, emit2(a, CC_OP_DIV, dy, b, NULL), self);
    /* d(x/b)/db = -y/b */
    return sum_to(a, emit1(a, CC_OP_NEG,
                           emit2(a, CC_OP_MUL, dy,
                                 emit2(a, CC_OP_DIV, index, b, NULL), NULL),
                           NULL),
                  self);
  case CC_OP_MAXIMUM:
  case CC_OP_MINIMUM: {
    /* The winner takes the gradient; ties go to the first operand. */
    cc_op pick_first = n->op == CC_OP_MAXIMUM ? CC_OP_GREATER_EQUAL : CC_OP_LESS_EQUAL;
    int first = emit2(a, pick_first, x, b, NULL);
    int zero = constant(a, 0);
    int routed = i == 0 ? emit3(a, CC_OP_WHERE, first, dy, zero, NULL)
                        : emit3(a, CC_OP_WHERE, first, zero, dy, NULL);
    return sum_to(a, routed, self);
  }
  case CC_OP_WHERE: {
    int zero = constant(a, 0);
    int routed = i == 1 ? emit3(a, CC_OP_WHERE, x, dy, zero, NULL)
                        : emit3(a, CC_OP_WHERE, x, zero, dy, NULL);
    return sum_to(a, routed, self);
  }
  case CC_OP_NEG: return emit1(a, CC_OP_NEG, dy, NULL);
  case CC_OP_RELU: return emit2(a, CC_OP_RELU_GRAD, dy, index, NULL);
  case CC_OP_SIGMOID: return emit2(a, CC_OP_SIGMOID_GRAD, dy, index, NULL);
  case CC_OP_TANH: return emit2(a, CC_OP_TANH_GRAD, dy, index, NULL);
  case CC_OP_EXP: return emit2(a, CC_OP_MUL, dy, index, NULL);
  case CC_OP_LOG: return emit2(a, CC_OP_DIV, dy, x, NULL);
  case CC_OP_SQRT: /* dy / (2 sqrt(x)) */
    return emit2(a, CC_OP_DIV, dy,
                 emit2(a, CC_OP_MUL, index, constant(a, 2), NULL), NULL);
  case CC_OP_ABS: { /* dy * sign(x), with sign(0) = 1 */
    int positive = emit2(a, CC_OP_GREATER_EQUAL, x, constant(a, 0), NULL);
    return emit3(a, CC_OP_WHERE, positive, dy, emit1(a, CC_OP_NEG, dy, NULL), NULL);
  }
  case CC_OP_SOFTMAX: return emit2(a, CC_OP_SOFTMAX_GRAD, dy, index, &attr);
  case CC_OP_LOG_SOFTMAX: return emit2(a, CC_OP_LOG_SOFTMAX_GRAD, dy, index, &attr);
  case CC_OP_MATMUL: {
    /* y = x b: dx = dy b^T, db = x^T dy */
    cc_attrs t;
    memset(&t, 0, sizeof t);
    if (i == 0) {
      t.matmul.transpose_b = 1;
      return emit2(a, CC_OP_MATMUL, dy, b, &t);
    }
    t.matmul.transpose_a = 1;
    return emit2(a, CC_OP_MATMUL, x, dy, &t);
  }
  case CC_OP_BIAS_ADD:
    return i == 0 ? dy : emit2(a, CC_OP_BIAS_GRAD, dy, b, NULL);
  case CC_OP_CONV2D:
    return i == 0 ? emit3(a, CC_OP_CONV2D_GRAD_INPUT, dy, b, x, &attr)
                  : emit3(a, CC_OP_CONV2D_GRAD_FILTER, x, dy, b, &attr);
  case CC_OP_MAXPOOL: return emit3(a, CC_OP_MAXPOOL_GRAD, dy, x, index, &attr);
  case CC_OP_AVGPOOL: return emit2(a, CC_OP_AVGPOOL_GRAD, dy, x, &attr);
  case CC_OP_RESHAPE: {
    /* Back to x's shape: x's dims after the first are concrete. */
    const cc_shape *xs = &a->g->nodes[x].shape;
    cc_attrs r;
    memset(&r, 0, sizeof r);
    r.reshape.target.rank = xs->rank - 1;
    for (int d = 1; d < xs->rank; d++) r.reshape.target.dim[d - 1] = xs->dim[d];
    return emit1(a, CC_OP_RESHAPE, dy, &r);
  }
  case CC_OP_DROPOUT:
    /* The same mask (same key, same step) applied to the gradient. */
    return emit1(a, CC_OP_DROPOUT, dy, &attr);
  case CC_OP_BATCHNORM:
    if (i == 0) {
      int in[3] = {dy, x, n->inputs[1]};
      return emit(a, CC_OP_BATCHNORM_GRAD_INPUT, in, 3, &attr);
    }
    if (i == 1) return emit3(a, CC_OP_BATCHNORM_GRAD_GAMMA, dy, x, n->inputs[1], &attr);
    return emit2(a, CC_OP_BIAS_GRAD, dy, n->inputs[2], NULL);
  case CC_OP_REDUCE_SUM: return emit2(a, CC_OP_UNREDUCE, dy, x, &attr);
  case CC_OP_REDUCE_MEAN: return emit2(a, CC_OP_UNREDUCE_MEAN, dy, x, &attr);
  case CC_OP_REDUCE_MAX: return emit3(a, CC_OP_REDUCE_MAX_GRAD, dy, x, index, &attr);
  case CC_OP_GATHER: return emit3(a, CC_OP_GATHER_GRAD, dy, b, x, &attr);
  case CC_OP_PICK: return emit3(a, CC_OP_PICK_GRAD, dy, b, x, NULL);
  case CC_OP_CAST: return emit1(a, CC_OP_CAST, dy, &(cc_attrs){.cast = {NETC_F32}});
  case CC_OP_SPARSE_XENT: return emit3(a, CC_OP_SPARSE_XENT_GRAD, dy, x, b, NULL);
  case CC_OP_XENT:
  case CC_OP_BCE: {
    cc_attrs side;
    memset(&side, 0, sizeof side);
    side.loss_grad.wrt_target = i == 1;
    return emit3(a, n->op == CC_OP_XENT ? CC_OP_XENT_GRAD : CC_OP_BCE_GRAD, dy, x, b, &side);
  }
  case CC_OP_MSE:
  case CC_OP_HUBER: {
    cc_op op = n->op == CC_OP_MSE ? CC_OP_MSE_GRAD : CC_OP_HUBER_GRAD;
    int dpred = emit3(a, op, dy, x, b, &attr);
    return i == 0 ? dpred : emit1(a, CC_OP_NEG, dpred, NULL);
  }
  default:
    nc_error(a->sink, n->span, "internal error: no gradient rule for %s",
             cc_op_get(n->op)->name);
    a->failed = 1;
    return -1;
  }
}

/* Marks nodes that depend on a trainable parameter through differentiable
** edges of f32 tensors. */
static void mark_dependents(ad_ctx *a, int last) {
  const cc_graph *g = a->g;
  for (int i = 0; i <= last; i++) {
    const cc_node *n = &g->nodes[i];
    if (n->op == CC_OP_PARAM) {
      a->needs[i] = g->params[n->param].trainable;
      continue;
    }
    if (n->dtype != NETC_F32) continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (a->needs[n->inputs[k]] && differentiable_input(n, k)) a->needs[i] = 1;
  }
}

/* Optimizer state per parameter, Keras names: momentum, m and v, ... */
static int slot_names(const char *optimizer, const char *names[2]) {
  names[0] = names[1] = NULL;
  if (strcmp(optimizer, "momentum") == 0 || strcmp(optimizer, "nesterov") == 0) {
    names[0] = "momentum";
    return 1;
  }
  if (strcmp(optimizer, "adam") == 0 || strcmp(optimizer, "adamw") == 0) {
    names[0] = "m";
    names[1] = "v";
    return 2;
  }
  if (strcmp(optimizer, "rmsprop") == 0) {
    names[0] = "velocity";
    names[1] = "momentum";
    return 2;
  }
  if (strcmp(optimizer, "adagrad") == 0) {
    names[0] = "accumulator";
    return 1;
  }
  return 0;
}

/* The optimizer's update of one parameter: APPLY_UPDATE(param, grad,
** slots...), which writes the parameter and slots in place. */
static int add_update(ad_ctx *a, int param_index, int grad) {
  cc_graph *g = a->g;
  const cc_param *p = &g->params[param_index];
  const char *names[2];
  int n_slots = slot_names(g->train.optimizer, names);
  int inputs[CC_MAX_INPUTS] = {p->node, grad};
  for (int s = 0; s < n_slots; s++) {
    cc_slot *slot = CC_PUSH(g, slots);
    int node = cc_graph_add_node(g, CC_OP_SLOT, NULL, 0, g->nodes[p->node].span);
    if (!slot || node < 0) {
      a->failed = a->out_of_memory = 1;
      return -1;
    }
    slot->name = nc_arena_printf(g->arena, "%s/%s", p->name, names[s]);
    slot->param = param_index;
    slot->node = node;
    cc_node *sn = &g->nodes[node];
    sn->dtype = NETC_F32;
    sn->shape = g->nodes[p->node].shape;
    sn->name = slot->name ? nc_arena_printf(g->arena, "slot/%s", slot->name) : NULL;
    sn->param = g->n_slots - 1;
    sn->backward = 1;
    if (!slot->name || !sn->name) {
      a->failed = a->out_of_memory = 1;
      return -1;
    }
    inputs[2 + s] = node;
  }
  a->forward = p->node;
  int update = emit(a, CC_OP_APPLY_UPDATE, inputs, 2 + n_slots, NULL);
  if (update >= 0) {
    g->nodes[update].param = param_index;
    g->nodes[update].name = nc_arena_printf(g->arena, "update/%s", p->name);
    if (!g->nodes[update].name) a->failed = a->out_of_memory = 1;
  }
  return update;
}

/* Gradient nodes are named after what they differentiate. */
static void name_gradients(ad_ctx *a, int first_new) {
  cc_graph *g = a->g;
  for (int i = 0; i < first_new && !a->failed; i++) {
    int gi = a->grad[i];
    if (gi < first_new || g->nodes[gi].name) continue;
    g->nodes[gi].name = nc_arena_printf(g->arena, "grad/%s", g->nodes[i].name);
    if (!g->nodes[gi].name) a->failed = a->out_of_memory = 1;
  }
  for (int i = first_new; i < g->n_nodes && !a->failed; i++) {
    if (g->nodes[i].name) continue;
    g->nodes[i].name = nc_arena_printf(g->arena, "grad/%s_%d",
                                       cc_op_get(g->nodes[i].op)->name, i);
    if (!g->nodes[i].name) a->failed = a->out_of_memory = 1;
  }
}

int cc_autodiff(cc_graph *g, nc_diag_sink *sink) {
  if (!g->train.present) return 0;
  int loss = g->outputs[g->train.loss].node;
  int n_forward = g->n_nodes;
  ad_ctx a = {.g = g, .sink = sink};
  a.grad = nc_arena_array(g->arena, (size_t)n_forward, sizeof *a.grad);
  a.needs = nc_arena_alloc(g->arena, (size_t)n_forward);
  if (!a.grad || !a.needs) return -2;
  for (int i = 0; i < n_forward; i++) a.grad[i] = -1;
  mark_dependents(&a, loss);

  a.forward = loss;
  a.grad[loss] = constant(&a, 1.0);
  for (int i = loss; i >= 0 && !a.failed; i--) {
    if (a.grad[i] < 0 || !a.needs[i] || g->nodes[i].op == CC_OP_PARAM) continue;
    int dy = a.grad[i];
    for (int k = 0; k < g->nodes[i].n_inputs && !a.failed; k++) {
      int input = g->nodes[i].inputs[k];
      if (!a.needs[input] || !differentiable_input(&g->nodes[i], k)) continue;
      a.forward = i;
      accumulate(&a, input, input_gradient(&a, i, k, dy));
    }
  }
  name_gradients(&a, n_forward);

  /* Updates run after every gradient is known (clipping needs them all). */
  int first_update = g->n_nodes;
  for (int p = 0; p < g->n_params && !a.failed; p++) {
    int node = g->params[p].node;
    if (g->params[p].trainable && a.grad[node] >= 0) add_update(&a, p, a.grad[node]);
  }
  if (a.out_of_memory) return -2;
  if (a.failed) return -1;

  /* The train entry fetches its losses and metrics and runs every update. */
  int entry = cc_graph_find_entry(g, "train");
  if (entry < 0) return 0;
  cc_entry *e = &g->entries[entry];
  int n_updates = g->n_nodes - first_update, n = 0;
  int *updates = nc_arena_array(g->arena, (size_t)n_updates + 1, sizeof *updates);
  if (!updates) return -2;
  for (int i = first_update; i < g->n_nodes; i++)
    if (g->nodes[i].op == CC_OP_APPLY_UPDATE) updates[n++] = i;
  e->updates = updates;
  e->n_updates = n;
  return 0;
}
