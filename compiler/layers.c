/*
** layers.c: what each layer-like built-in becomes in the IR. A layer gets a
** stable name (explicit name=, else the variable it is assigned to, else its
** type with a Keras-style counter: conv2d, conv2d_1, ...), prefixed by the
** weight set it runs in ("online/dense"). Running the same call site again
** under the same prefix reuses the layer and its weights: that is how a block
** called twice shares weights while two weight sets keep their own.
*/
#include <stdio.h>
#include <string.h>

#include "compiler/builtins.h"

static int same_site(nc_span a, nc_span b) {
  return a.file == b.file && a.start == b.start && a.end == b.end;
}

static const char *scope_label(const cc_lower_ctx *L, const cc_scope *scope) {
  if (scope->alias) return scope->alias;
  size_t n = strlen(scope->prefix);
  if (n == 0) return NULL;
  return nc_arena_strndup(L->g->arena, scope->prefix, n - 1);
}

/* Finds or creates the layer for this call; *reused tells which. Returns
** the layer index, or -1 after an error (duplicate name, out of memory). */
static int layer_begin(cc_lower_ctx *L, cc_scope *scope, const char *type,
                       const char *name, nc_span span, int *reused) {
  cc_graph *g = L->g;
  *reused = 0;
  const char *full = NULL;
  if (name) {
    full = nc_arena_printf(g->arena, "%s%s", scope->prefix, name);
    if (!full) goto oom;
    int existing = nc_strmap_get(&L->layer_names, full);
    if (existing >= 0) {
      if (same_site(g->layers[existing].span, span)) {
        *reused = 1;
        return existing;
      }
      nc_error_hint(L->sink, span, "choose another one with name=\"...\"",
                    "layer name '%s' is already used", full);
      nc_diag_report(L->sink, NETC_SEVERITY_NOTE, g->layers[existing].span,
                     NULL, "the %s layer '%s' is defined here",
                     g->layers[existing].type, full);
      return -1;
    }
  } else {
    for (int k = 0;; k++) {
      full = k ? nc_arena_printf(g->arena, "%s%s_%d", scope->prefix, type, k)
               : nc_arena_printf(g->arena, "%s%s", scope->prefix, type);
      if (!full) goto oom;
      int existing = nc_strmap_get(&L->layer_names, full);
      if (existing < 0) break;
      if (same_site(g->layers[existing].span, span)) {
        *reused = 1;
        return existing;
      }
    }
  }
  cc_layer *layer = CC_PUSH(g, layers);
  if (!layer || nc_strmap_put(&L->layer_names, full, g->n_layers - 1)) goto oom;
  layer->name = full;
  layer->type = type;
  layer->output = -1;
  layer->first_param = g->n_params;
  layer->scope = scope_label(L, scope);
  layer->span = span;
  return g->n_layers - 1;
oom:
  L->out_of_memory = 1;
  return -1;
}

/* A weight of `layer`: created on first use, looked up (and its shape
** checked) when the layer is reused. Returns the PARAM node or -1. */
static int layer_param(cc_lower_ctx *L, int layer, int reused,
                       const char *short_name, const cc_shape *shape,
                       cc_init init, int trainable, int is_state,
                       nc_span span) {
  cc_graph *g = L->g;
  const char *name =
      nc_arena_printf(g->arena, "%s/%s", g->layers[layer].name, short_name);
  if (!name) {
    L->out_of_memory = 1;
    return -1;
  }
  if (reused) {
    int p = cc_graph_find_param(g, name);
    if (p < 0) return -1; /* the first run failed; already reported */
    const cc_node *n = &g->nodes[g->params[p].node];
    if (!cc_shape_equal(&n->shape, shape)) {
      nc_buf have, want;
      nc_buf_init(&have);
      nc_buf_init(&want);
      cc_format_type(&have, g, NETC_F32, &n->shape);
      cc_format_type(&want, g, NETC_F32, shape);
      nc_error_hint(L->sink, span,
                    "calls that share weights must see inputs of one shape",
                    "shared layer '%s' has %s weights '%s', this call needs %s",
                    g->layers[layer].name, nc_buf_str(&have), short_name,
                    nc_buf_str(&want));
      if (have.failed || want.failed) L->out_of_memory = 1;
      nc_buf_release(&have);
      nc_buf_release(&want);
      return -1;
    }
    return g->params[p].node;
  }
  int node = cc_emit(L, CC_OP_PARAM, NULL, 0, span, "param", layer);
  cc_param *p = CC_PUSH(g, params);
  if (node < 0 || !p) {
    L->out_of_memory = 1;
    return -1;
  }
  p->name = name;
  p->short_name = short_name;
  p->layer = layer;
  p->node = node;
  p->init = init;
  p->trainable = trainable && !is_state;
  p->is_state = is_state;
  g->nodes[node].param = g->n_params - 1;
  g->nodes[node].dtype = NETC_F32;
  g->nodes[node].shape = *shape;
  g->nodes[node].name = name;
  nc_strmap_put(&L->node_names, name, node);
  g->layers[layer].n_params++;
  return node;
}

/* Records the layer's result on its first run and names the node. */
static cc_value layer_end(cc_lower_ctx *L, int layer, int reused, int node) {
  if (node < 0) return cc_value_error();
  if (!reused) {
    L->g->layers[layer].output = node;
    cc_name_node(L, node, L->g->layers[layer].name);
  }
  return cc_value_tensor(node);
}

/* Emits an intermediate node of a layer, named "<layer>/<op>". */
static int layer_step(cc_lower_ctx *L, int layer, int reused, cc_op op,
                      const int *inputs, int n, const cc_attrs *attr,
                      nc_span span, const char *origin) {
  int node = cc_emit_attr(L, op, inputs, n, attr, span, origin, layer);
  if (node >= 0 && !reused) {
    const char *name = nc_arena_printf(L->g->arena, "%s/%s",
                                       L->g->layers[layer].name,
                                       cc_op_get(op)->name);
    if (name)
      cc_name_node(L, node, name);
    else
      L->out_of_memory = 1;
  }
  return node;
}

/* The input's type must be known and of `rank` with a concrete last dim;
** otherwise reports `what` (e.g. "a rank-4 input (batch, height, width,
** channels)") and returns -1. */
static int require_input(cc_lower_ctx *L, int x, int rank, const char *fn,
                         const char *what, const char *hint, nc_span span) {
  if (cc_is_poisoned(L, x)) return -1;
  const cc_node *n = &L->g->nodes[x];
  int rank_ok = n->shape.rank == rank;
  if (rank_ok && n->dtype == NETC_F32 && !CC_DIM_IS_SYMBOL(n->shape.dim[rank - 1]))
    return 0;
  nc_buf type;
  nc_buf_init(&type);
  cc_format_type(&type, L->g, n->dtype, &n->shape);
  if (!rank_ok)
    nc_error_hint(L->sink, span, n->shape.rank > rank ? hint : NULL,
                  "%s expects %s, got %s", fn, what, nc_buf_str(&type));
  else if (n->dtype != NETC_F32)
    nc_error_hint(L->sink, span, "use cast(x, f32)", "%s expects an f32 input, got %s",
                  fn, nc_buf_str(&type));
  else
    nc_error(L->sink, span, "%s needs a known size in the last dim, got %s", fn,
             nc_buf_str(&type));
  if (type.failed) L->out_of_memory = 1;
  nc_buf_release(&type);
  return -1;
}

static cc_op activation_op(const char *act) {
  if (strcmp(act, "relu") == 0) return CC_OP_RELU;
  if (strcmp(act, "sigmoid") == 0) return CC_OP_SIGMOID;
  if (strcmp(act, "tanh") == 0) return CC_OP_TANH;
  if (strcmp(act, "softmax") == 0) return CC_OP_SOFTMAX;
  return CC_OP_COUNT; /* linear */
}

/* Bias and activation shared by conv2d and dense. */
static int bias_and_activation(cc_lower_ctx *L, const cc_args *args,
                               int layer, int reused, int y, int64_t units,
                               int trainable, nc_span span,
                               const char *origin) {
  if (cc_args_get(args, "use_bias")->number) {
    cc_shape bshape = {1, {units}};
    int b = layer_param(L, layer, reused, "bias", &bshape,
                        (cc_init)cc_init_find(cc_args_get(args, "bias_init")->text),
                        trainable, 0, span);
    if (b < 0) return -1;
    int in[2] = {y, b};
    y = layer_step(L, layer, reused, CC_OP_BIAS_ADD, in, 2, NULL, span, origin);
  }
  cc_op act = activation_op(cc_args_get(args, "act")->text);
  if (y >= 0 && act != CC_OP_COUNT) {
    cc_attrs attr = {.axis = {-1, 0}};
    y = layer_step(L, layer, reused, act, &y, 1, &attr, span, origin);
  }
  return y;
}

cc_value cc_layer_conv2d(cc_lower_ctx *L, const cc_args *args, nc_span span,
                         const char *origin, const char *layer_name,
                         cc_scope *scope) {
  int x = cc_args_get(args, "x")->node;
  if (require_input(L, x, 4, origin,
                    "a rank-4 input (batch, height, width, channels)", NULL,
                    span))
    return cc_value_error();
  int reused;
  int layer = layer_begin(L, scope, origin, layer_name, span, &reused);
  if (layer < 0) return cc_value_error();
  const cc_arg *kernel = cc_args_get(args, "kernel");
  const cc_arg *stride = cc_args_get(args, "stride");
  int64_t filters = (int64_t)cc_args_get(args, "filters")->number;
  int trainable = (int)cc_args_get(args, "trainable")->number;
  cc_shape wshape = {4, {kernel->pair[0], kernel->pair[1],
                         L->g->nodes[x].shape.dim[3], filters}};
  int w = layer_param(L, layer, reused, "kernel", &wshape,
                      (cc_init)cc_init_find(cc_args_get(args, "kernel_init")->text),
                      trainable, 0, span);
  if (w < 0) return cc_value_error();
  cc_attrs attr;
  memset(&attr, 0, sizeof attr);
  attr.window.sh = stride->pair[0];
  attr.window.sw = stride->pair[1];
  attr.window.padding = strcmp(cc_args_get(args, "padding")->text, "same") == 0
                            ? CC_PAD_SAME : CC_PAD_VALID;
  int in[2] = {x, w};
  int y = layer_step(L, layer, reused, CC_OP_CONV2D, in, 2, &attr, span, origin);
  if (y >= 0)
    y = bias_and_activation(L, args, layer, reused, y, filters, trainable,
                            span, origin);
  return layer_end(L, layer, reused, y);
}

cc_value cc_layer_dense(cc_lower_ctx *L, const cc_args *args, nc_span span,
                        const char *origin, const char *layer_name,
                        cc_scope *scope) {
  int x = cc_args_get(args, "x")->node;
  if (require_input(L, x, 2, origin, "a rank-2 input",
                    "did you mean flatten(x)?", span))
    return cc_value_error();
  int reused;
  int layer = layer_begin(L, scope, origin, layer_name, span, &reused);
  if (layer < 0) return cc_value_error();
  int64_t units = (int64_t)cc_args_get(args, "units")->number;
  int trainable = (int)cc_args_get(args, "trainable")->number;
  cc_shape wshape = {2, {L->g->nodes[x].shape.dim[1], units}};
  int w = layer_param(L, layer, reused, "kernel", &wshape,
                      (cc_init)cc_init_find(cc_args_get(args, "kernel_init")->text),
                      trainable, 0, span);
  if (w < 0) return cc_value_error();
  int in[2] = {x, w};
  int y = layer_step(L, layer, reused, CC_OP_MATMUL, in, 2, NULL, span, origin);
  if (y >= 0)
    y = bias_and_activation(L, args, layer, reused, y, units, trainable, span,
                            origin);
  return layer_end(L, layer, reused, y);
}

/* A layer without weights that is a single node. */
static cc_value single_node_layer(cc_lower_ctx *L, cc_op op,
                                  const cc_attrs *attr, const cc_args *args,
                                  nc_span span, const char *origin,
                                  const char *layer_name, cc_scope *scope) {
  int x = cc_args_get(args, "x")->node;
  int reused;
  int layer = layer_begin(L, scope, origin, layer_name, span, &reused);
  if (layer < 0) return cc_value_error();
  int y = cc_emit_attr(L, op, &x, 1, attr, span, origin, layer);
  return layer_end(L, layer, reused, y);
}

cc_value cc_layer_pool(cc_lower_ctx *L, const cc_args *args, nc_span span,
                       const char *origin, const char *layer_name,
                       cc_scope *scope) {
  const cc_arg *pool = cc_args_get(args, "pool");
  const cc_arg *stride = cc_args_get(args, "stride");
  cc_attrs attr;
  memset(&attr, 0, sizeof attr);
  attr.window.kh = pool->pair[0];
  attr.window.kw = pool->pair[1];
  /* Keras: the stride defaults to the pool size. */
  attr.window.sh = stride->given ? stride->pair[0] : pool->pair[0];
  attr.window.sw = stride->given ? stride->pair[1] : pool->pair[1];
  attr.window.padding = strcmp(cc_args_get(args, "padding")->text, "same") == 0
                            ? CC_PAD_SAME : CC_PAD_VALID;
  cc_op op = strcmp(origin, "maxpool") == 0 ? CC_OP_MAXPOOL : CC_OP_AVGPOOL;
  return single_node_layer(L, op, &attr, args, span, origin, layer_name, scope);
}

cc_value cc_layer_reshape(cc_lower_ctx *L, const cc_args *args, nc_span span,
                          const char *origin, const char *layer_name,
                          cc_scope *scope) {
  cc_attrs attr;
  memset(&attr, 0, sizeof attr);
  const cc_arg *shape = cc_args_get(args, "shape");
  if (shape) {
    attr.reshape.target = shape->shape;
  } else { /* flatten: everything after the batch dim in one */
    attr.reshape.target.rank = 1;
    attr.reshape.target.dim[0] = 0;
  }
  return single_node_layer(L, CC_OP_RESHAPE, &attr, args, span, origin,
                           layer_name, scope);
}

cc_value cc_layer_dropout(cc_lower_ctx *L, const cc_args *args, nc_span span,
                          const char *origin, const char *layer_name,
                          cc_scope *scope) {
  cc_attrs attr;
  memset(&attr, 0, sizeof attr);
  attr.dropout.rate = (float)cc_args_get(args, "rate")->number;
  /* Each dropout draws its own mask: the stream is its node's index. */
  attr.dropout.key = L->g->n_nodes;
  return single_node_layer(L, CC_OP_DROPOUT, &attr, args, span, origin,
                           layer_name, scope);
}

cc_value cc_layer_caffe(cc_lower_ctx *L, const cc_args *args, nc_span span,
                        const char *origin, const char *layer_name,
                        cc_scope *scope) {
  return single_node_layer(L, CC_OP_CAFFE_PREPROCESS, NULL, args, span, origin,
                           layer_name, scope);
}

cc_value cc_layer_batchnorm(cc_lower_ctx *L, const cc_args *args,
                            nc_span span, const char *origin,
                            const char *layer_name, cc_scope *scope) {
  int x = cc_args_get(args, "x")->node;
  if (cc_is_poisoned(L, x)) return cc_value_error();
  const cc_node *xn = &L->g->nodes[x];
  if (require_input(L, x, xn->shape.rank >= 2 ? xn->shape.rank : 2, origin,
                    "an input with known channels (last dim)", NULL, span))
    return cc_value_error();
  int reused;
  int layer = layer_begin(L, scope, origin, layer_name, span, &reused);
  if (layer < 0) return cc_value_error();
  int trainable = (int)cc_args_get(args, "trainable")->number;
  cc_shape cshape = {1, {xn->shape.dim[xn->shape.rank - 1]}};
  static const struct {
    const char *name; /* Keras weight name */
    cc_init init;     /* starting value */
    int is_state;     /* moving statistics are not trained */
  } weights[4] = {{"gamma", CC_INIT_ONES, 0},
                  {"beta", CC_INIT_ZEROS, 0},
                  {"moving_mean", CC_INIT_ZEROS, 1},
                  {"moving_variance", CC_INIT_ONES, 1}};
  int in[5] = {x};
  for (int i = 0; i < 4; i++) {
    in[i + 1] = layer_param(L, layer, reused, weights[i].name, &cshape,
                            weights[i].init, trainable, weights[i].is_state, span);
    if (in[i + 1] < 0) return cc_value_error();
  }
  cc_attrs attr;
  memset(&attr, 0, sizeof attr);
  attr.batchnorm.momentum = (float)cc_args_get(args, "momentum")->number;
  attr.batchnorm.epsilon = (float)cc_args_get(args, "epsilon")->number;
  int y = cc_emit_attr(L, CC_OP_BATCHNORM, in, 5, &attr, span, origin, layer);
  return layer_end(L, layer, reused, y);
}
