/*
** ir_codec.c: the graph IR to and from HDF5. Every table of cc_graph is one
** compound dataset below /graph, described here by a field list and moved
** by the generic table code of h5_file.c; ops, dtypes, initializers and
** kinds are stored by name, never by enum value, so reordering ops.def does
** not break saved files. The attribute union is stored per op family: one
** table per union member (/graph/attrs/window, /graph/attrs/axis, ...)
** with a row for each node of an op that uses it.
**
** Reading is followed by a check of every index and a fresh shape inference
** of every node (cc_infer from the IR contract), which must reproduce the
** stored types: a file that passes can be run like a freshly compiled graph.
*/
#include <stddef.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "runtime/io/ir_codec.h"

_Static_assert(sizeof(cc_op) == sizeof(int) && sizeof(netc_dtype) == sizeof(int) &&
                   sizeof(cc_init) == sizeof(int) && sizeof(cc_padding) == sizeof(int) &&
                   sizeof(int) == 4,
               "enums are stored through int-sized fields");
_Static_assert(sizeof(cc_copy) == 2 * sizeof(int), "copies are stored as int pairs");

/* ----------------------------------------------------------- enum names */

static const char *op_name(int v) { return cc_op_get((cc_op)v)->name; }
static const char *dtype_name(int v) { return netc_dtype_name((netc_dtype)v); }
static const char *init_name(int v) { return cc_init_name((cc_init)v); }
/* ORDER cc_output_kind, cc_entry_kind, cc_padding */
static const char *const output_kinds[] = {"output", "loss", "metric"};
static const char *const entry_kinds[] = {"predict", "evaluate", "train", "step"};
static const char *const paddings[] = {"valid", "same"};

static const rt_h5_names ops = {"op", CC_OP_COUNT, NULL, op_name};
static const rt_h5_names dtypes = {"dtype", NETC_BOOL + 1, NULL, dtype_name};
static const rt_h5_names inits = {"initializer", CC_INIT_LECUN_UNIFORM + 1, NULL,
                                  init_name};
static const rt_h5_names output_kind_names = {"output kind", 3, output_kinds, NULL};
static const rt_h5_names entry_kind_names = {"entry kind", 4, entry_kinds, NULL};
static const rt_h5_names padding_names = {"padding", 2, paddings, NULL};

/* --------------------------------------------------------- field lists */

#define FIELD(T, name, kind, member) {name, kind, offsetof(T, member), 0, 0, NULL}
#define ARRAY(T, name, kind, member, n) {name, kind, offsetof(T, member), n, 0, NULL}
#define NAMED(T, name, member, names) \
  {name, RT_H5_NAME, offsetof(T, member), 0, 0, &names}
#define LIST(T, name, member, length, width) \
  {name, RT_H5_LIST, offsetof(T, member), width, offsetof(T, length), NULL}
#define SPAN(T, member)                                   \
  FIELD(T, "span_file", RT_H5_I32, member.file),          \
  FIELD(T, "span_start", RT_H5_U32, member.start),        \
  FIELD(T, "span_end", RT_H5_U32, member.end)
#define ROW {"node", RT_H5_ROW, 0, 0, 0, NULL}
#define TABLE(path, T, fields) {path, fields, sizeof fields / sizeof *fields, sizeof(T)}

static const rt_h5_field node_fields[] = {
    NAMED(cc_node, "op", op, ops),
    FIELD(cc_node, "name", RT_H5_OPT_TEXT, name),
    FIELD(cc_node, "origin", RT_H5_OPT_TEXT, origin),
    NAMED(cc_node, "dtype", dtype, dtypes),
    FIELD(cc_node, "rank", RT_H5_I32, shape.rank),
    ARRAY(cc_node, "shape", RT_H5_I64S, shape.dim, CC_MAX_RANK),
    FIELD(cc_node, "n_inputs", RT_H5_I32, n_inputs),
    ARRAY(cc_node, "inputs", RT_H5_I32S, inputs, CC_MAX_INPUTS),
    SPAN(cc_node, span),
    FIELD(cc_node, "layer", RT_H5_I32, layer),
    FIELD(cc_node, "param", RT_H5_I32, param),
    FIELD(cc_node, "input", RT_H5_I32, input),
    FIELD(cc_node, "backward", RT_H5_I32, backward),
};
static const rt_h5_field param_fields[] = {
    FIELD(cc_param, "name", RT_H5_TEXT, name),
    FIELD(cc_param, "short_name", RT_H5_TEXT, short_name),
    FIELD(cc_param, "layer", RT_H5_I32, layer),
    FIELD(cc_param, "node", RT_H5_I32, node),
    NAMED(cc_param, "init", init, inits),
    FIELD(cc_param, "trainable", RT_H5_I32, trainable),
    FIELD(cc_param, "is_state", RT_H5_I32, is_state),
};
static const rt_h5_field slot_fields[] = {
    FIELD(cc_slot, "name", RT_H5_TEXT, name),
    FIELD(cc_slot, "param", RT_H5_I32, param),
    FIELD(cc_slot, "node", RT_H5_I32, node),
};
static const rt_h5_field layer_fields[] = {
    FIELD(cc_layer, "name", RT_H5_TEXT, name),
    FIELD(cc_layer, "type", RT_H5_TEXT, type),
    FIELD(cc_layer, "output", RT_H5_I32, output),
    FIELD(cc_layer, "first_param", RT_H5_I32, first_param),
    FIELD(cc_layer, "n_params", RT_H5_I32, n_params),
    FIELD(cc_layer, "scope", RT_H5_OPT_TEXT, scope),
    SPAN(cc_layer, span),
};
static const rt_h5_field input_fields[] = {
    FIELD(cc_input, "name", RT_H5_TEXT, name),
    FIELD(cc_input, "node", RT_H5_I32, node),
    SPAN(cc_input, span),
};
static const rt_h5_field output_fields[] = {
    FIELD(cc_output, "name", RT_H5_TEXT, name),
    NAMED(cc_output, "kind", kind, output_kind_names),
    FIELD(cc_output, "node", RT_H5_I32, node),
    SPAN(cc_output, span),
};
static const rt_h5_field entry_fields[] = {
    FIELD(cc_entry, "name", RT_H5_TEXT, name),
    NAMED(cc_entry, "kind", kind, entry_kind_names),
    FIELD(cc_entry, "n_fetches", RT_H5_I32, n_fetches),
    LIST(cc_entry, "fetches", fetches, n_fetches, 1),
    FIELD(cc_entry, "n_feeds", RT_H5_I32, n_feeds),
    LIST(cc_entry, "feeds", feeds, n_feeds, 1),
    FIELD(cc_entry, "n_copies", RT_H5_I32, n_copies),
    LIST(cc_entry, "copies", copies, n_copies, 2),
    FIELD(cc_entry, "n_updates", RT_H5_I32, n_updates),
    LIST(cc_entry, "updates", updates, n_updates, 1),
    SPAN(cc_entry, span),
};
static const rt_h5_field symbol_fields[] = {{"name", RT_H5_TEXT, 0, 0, 0, NULL}};
static const rt_h5_field setting_fields[] = {
    FIELD(cc_setting, "key", RT_H5_TEXT, key),
    FIELD(cc_setting, "value", RT_H5_F64, value),
    FIELD(cc_setting, "text", RT_H5_OPT_TEXT, text),
    SPAN(cc_setting, span),
};
static const rt_h5_field train_fields[] = {
    FIELD(cc_train, "present", RT_H5_I32, present),
    FIELD(cc_train, "optimizer", RT_H5_OPT_TEXT, optimizer),
    FIELD(cc_train, "schedule", RT_H5_OPT_TEXT, schedule),
    FIELD(cc_train, "loss", RT_H5_I32, loss),
    SPAN(cc_train, span),
};
static const rt_h5_field source_fields[] = {
    FIELD(nc_source, "path", RT_H5_TEXT, path),
    FIELD(nc_source, "text", RT_H5_TEXT, text),
};

/* One table of cc_graph: where its array and count live in the struct. */
typedef struct graph_table {
  rt_h5_table table; /* the dataset and its fields */
  size_t items;      /* offset in cc_graph of the array pointer */
  size_t count;      /* offset of its int count */
  int has_cap;       /* an int capacity follows the count */
} graph_table;

#define GRAPH_TABLE(path, T, fields, member, n, cap) \
  {TABLE(path, T, fields), offsetof(cc_graph, member), offsetof(cc_graph, n), cap}

static const graph_table graph_tables[] = {
    GRAPH_TABLE("/graph/nodes", cc_node, node_fields, nodes, n_nodes, 1),
    GRAPH_TABLE("/graph/params", cc_param, param_fields, params, n_params, 1),
    GRAPH_TABLE("/graph/layers", cc_layer, layer_fields, layers, n_layers, 1),
    GRAPH_TABLE("/graph/slots", cc_slot, slot_fields, slots, n_slots, 1),
    GRAPH_TABLE("/graph/inputs", cc_input, input_fields, inputs, n_inputs, 1),
    GRAPH_TABLE("/graph/outputs", cc_output, output_fields, outputs, n_outputs, 1),
    GRAPH_TABLE("/graph/entries", cc_entry, entry_fields, entries, n_entries, 1),
    GRAPH_TABLE("/graph/symbols", const char *, symbol_fields, symbols, n_symbols, 1),
    GRAPH_TABLE("/graph/train_hyper", cc_setting, setting_fields, train.hyper,
                train.n_hyper, 0),
    GRAPH_TABLE("/graph/train_schedule", cc_setting, setting_fields,
                train.schedule_args, train.n_schedule_args, 0),
    GRAPH_TABLE("/graph/train_settings", cc_setting, setting_fields,
                train.settings, train.n_settings, 0),
};
enum { N_GRAPH_TABLES = sizeof graph_tables / sizeof *graph_tables };

static const rt_h5_table train_table = TABLE("/graph/train", cc_train, train_fields);
static const rt_h5_table source_table = TABLE("/sources", nc_source, source_fields);

/* ------------------------------------------------ attributes per op family */

typedef enum family {
  FAM_NONE, FAM_WINDOW, FAM_AXIS, FAM_DROPOUT, FAM_MATMUL, FAM_BATCHNORM,
  FAM_HUBER, FAM_LOSS_GRAD, FAM_CONSTANT, FAM_ONE_HOT, FAM_CAST, FAM_RESHAPE,
  FAM_COUNT
} family;

/* Which member of cc_attrs each op uses (ir.h; gradients share their
** forward op's). */
static const unsigned char family_of[CC_OP_COUNT] = {
    [CC_OP_CONV2D] = FAM_WINDOW, [CC_OP_MAXPOOL] = FAM_WINDOW,
    [CC_OP_AVGPOOL] = FAM_WINDOW, [CC_OP_CONV2D_GRAD_INPUT] = FAM_WINDOW,
    [CC_OP_CONV2D_GRAD_FILTER] = FAM_WINDOW, [CC_OP_MAXPOOL_GRAD] = FAM_WINDOW,
    [CC_OP_AVGPOOL_GRAD] = FAM_WINDOW,
    [CC_OP_REDUCE_SUM] = FAM_AXIS, [CC_OP_REDUCE_MAX] = FAM_AXIS,
    [CC_OP_REDUCE_MEAN] = FAM_AXIS, [CC_OP_ARGMAX] = FAM_AXIS,
    [CC_OP_SOFTMAX] = FAM_AXIS, [CC_OP_LOG_SOFTMAX] = FAM_AXIS,
    [CC_OP_GATHER] = FAM_AXIS, [CC_OP_SOFTMAX_GRAD] = FAM_AXIS,
    [CC_OP_LOG_SOFTMAX_GRAD] = FAM_AXIS, [CC_OP_UNREDUCE] = FAM_AXIS,
    [CC_OP_UNREDUCE_MEAN] = FAM_AXIS, [CC_OP_REDUCE_MAX_GRAD] = FAM_AXIS,
    [CC_OP_GATHER_GRAD] = FAM_AXIS,
    [CC_OP_DROPOUT] = FAM_DROPOUT,
    [CC_OP_MATMUL] = FAM_MATMUL,
    [CC_OP_BATCHNORM] = FAM_BATCHNORM, [CC_OP_BATCHNORM_GRAD_INPUT] = FAM_BATCHNORM,
    [CC_OP_BATCHNORM_GRAD_GAMMA] = FAM_BATCHNORM,
    [CC_OP_HUBER] = FAM_HUBER, [CC_OP_HUBER_GRAD] = FAM_HUBER,
    [CC_OP_XENT_GRAD] = FAM_LOSS_GRAD, [CC_OP_BCE_GRAD] = FAM_LOSS_GRAD,
    [CC_OP_CONST] = FAM_CONSTANT,
    [CC_OP_ONE_HOT] = FAM_ONE_HOT,
    [CC_OP_CAST] = FAM_CAST,
    [CC_OP_RESHAPE] = FAM_RESHAPE,
};

static const rt_h5_field window_fields[] = {
    ROW,
    FIELD(cc_node, "kh", RT_H5_I32, attr.window.kh),
    FIELD(cc_node, "kw", RT_H5_I32, attr.window.kw),
    FIELD(cc_node, "sh", RT_H5_I32, attr.window.sh),
    FIELD(cc_node, "sw", RT_H5_I32, attr.window.sw),
    NAMED(cc_node, "padding", attr.window.padding, padding_names),
    FIELD(cc_node, "pad_top", RT_H5_I32, attr.window.pad_top),
    FIELD(cc_node, "pad_left", RT_H5_I32, attr.window.pad_left),
};
static const rt_h5_field axis_fields[] = {
    ROW,
    FIELD(cc_node, "axis", RT_H5_I32, attr.axis.axis),
    FIELD(cc_node, "keepdims", RT_H5_I32, attr.axis.keepdims),
};
static const rt_h5_field dropout_fields[] = {
    ROW,
    FIELD(cc_node, "rate", RT_H5_F32, attr.dropout.rate),
    FIELD(cc_node, "key", RT_H5_I32, attr.dropout.key),
};
static const rt_h5_field matmul_fields[] = {
    ROW,
    FIELD(cc_node, "transpose_a", RT_H5_I32, attr.matmul.transpose_a),
    FIELD(cc_node, "transpose_b", RT_H5_I32, attr.matmul.transpose_b),
};
static const rt_h5_field batchnorm_fields[] = {
    ROW,
    FIELD(cc_node, "epsilon", RT_H5_F32, attr.batchnorm.epsilon),
    FIELD(cc_node, "momentum", RT_H5_F32, attr.batchnorm.momentum),
};
static const rt_h5_field huber_fields[] = {
    ROW, FIELD(cc_node, "delta", RT_H5_F32, attr.huber.delta)};
static const rt_h5_field loss_grad_fields[] = {
    ROW, FIELD(cc_node, "wrt_target", RT_H5_I32, attr.loss_grad.wrt_target)};
static const rt_h5_field constant_fields[] = {
    ROW, FIELD(cc_node, "value", RT_H5_F64, attr.constant.value)};
static const rt_h5_field one_hot_fields[] = {
    ROW, FIELD(cc_node, "depth", RT_H5_I32, attr.one_hot.depth)};
static const rt_h5_field cast_fields[] = {
    ROW, NAMED(cc_node, "to", attr.cast.to, dtypes)};
static const rt_h5_field reshape_fields[] = {
    ROW,
    FIELD(cc_node, "rank", RT_H5_I32, attr.reshape.target.rank),
    ARRAY(cc_node, "shape", RT_H5_I64S, attr.reshape.target.dim, CC_MAX_RANK),
};

static const rt_h5_table family_tables[FAM_COUNT] = {
    [FAM_WINDOW] = TABLE("/graph/attrs/window", cc_node, window_fields),
    [FAM_AXIS] = TABLE("/graph/attrs/axis", cc_node, axis_fields),
    [FAM_DROPOUT] = TABLE("/graph/attrs/dropout", cc_node, dropout_fields),
    [FAM_MATMUL] = TABLE("/graph/attrs/matmul", cc_node, matmul_fields),
    [FAM_BATCHNORM] = TABLE("/graph/attrs/batchnorm", cc_node, batchnorm_fields),
    [FAM_HUBER] = TABLE("/graph/attrs/huber", cc_node, huber_fields),
    [FAM_LOSS_GRAD] = TABLE("/graph/attrs/loss_grad", cc_node, loss_grad_fields),
    [FAM_CONSTANT] = TABLE("/graph/attrs/constant", cc_node, constant_fields),
    [FAM_ONE_HOT] = TABLE("/graph/attrs/one_hot", cc_node, one_hot_fields),
    [FAM_CAST] = TABLE("/graph/attrs/cast", cc_node, cast_fields),
    [FAM_RESHAPE] = TABLE("/graph/attrs/reshape", cc_node, reshape_fields),
};

/* Indices of the nodes in family f, into rows (n_nodes entries). */
static int family_rows(const cc_graph *g, family f, int *rows) {
  int n = 0;
  for (int i = 0; i < g->n_nodes; i++)
    if (family_of[g->nodes[i].op] == f) rows[n++] = i;
  return n;
}

/* ---------------------------------------------------------------- write */

void rt_ir_write(rt_h5 *h, const cc_graph *g, const nc_source_table *sources) {
  hid_t group = rt_h5_group(h, "/graph");
  rt_h5_set_text(h, group, "model", g->model_name ? g->model_name : "");
  rt_h5_close(group);
  for (int t = 0; t < N_GRAPH_TABLES; t++) {
    const graph_table *gt = &graph_tables[t];
    const void *items;
    int n;
    memcpy(&items, (const char *)g + gt->items, sizeof items);
    memcpy(&n, (const char *)g + gt->count, sizeof n);
    rt_h5_write_table(h, &gt->table, items, NULL, n);
  }
  rt_h5_write_table(h, &train_table, &g->train, NULL, 1);
  int *rows = nc_malloc(((size_t)g->n_nodes + 1) * sizeof *rows);
  if (!rows) rt_h5_fail(h, NETC_ENOMEM, 0, "out of memory");
  for (int f = FAM_NONE + 1; rows && f < FAM_COUNT; f++)
    rt_h5_write_table(h, &family_tables[f], g->nodes, rows,
                      family_rows(g, (family)f, rows));
  nc_free(rows);
  rt_h5_write_table(h, &source_table, sources->files, NULL, (int64_t)sources->count);
}

/* ---------------------------------------------------------------- check */

#define BAD(...) rt_h5_fail(h, NETC_EFORMAT, 0, "the graph is inconsistent: " __VA_ARGS__)

static int in_range(int v, int n) { return v >= 0 && v < n; }

/* A node's name for messages (anonymous nodes may have none). */
static const char *label(const cc_node *n) { return n->name ? n->name : "?"; }

static int span_ok(const nc_source_table *src, nc_span s) {
  if (s.file < 0) return s.file == -1;
  const nc_source *f = nc_source_get(src, s.file);
  return f && s.start <= s.end && s.end <= f->size;
}

static int list_ok(const int *items, int n, int limit) {
  for (int i = 0; i < n; i++)
    if (!in_range(items[i], limit)) return 0;
  return 1;
}

/* Well-formed type: rank in range, dims positive or known symbols. */
static int type_ok(const cc_graph *g, const cc_node *n, int concrete) {
  if (n->shape.rank < 0 || n->shape.rank > CC_MAX_RANK) return 0;
  for (int d = 0; d < n->shape.rank; d++) {
    int64_t v = n->shape.dim[d];
    if (CC_DIM_IS_SYMBOL(v) ? concrete || CC_DIM_SYMBOL_INDEX(v) >= g->n_symbols : v == 0)
      return 0;
  }
  return 1;
}

/* What node i refers to by index, by kind of op. */
static void check_node(rt_h5 *h, const cc_graph *g, const nc_source_table *src, int i) {
  const cc_node *n = &g->nodes[i];
  int is_param = n->op == CC_OP_PARAM, is_slot = n->op == CC_OP_SLOT;
  int needs_param = is_param || n->op == CC_OP_APPLY_UPDATE;
  if (!type_ok(g, n, is_param || is_slot))
    BAD("node %d '%s' has a malformed type", i, label(n));
  else if (!span_ok(src, n->span))
    BAD("node %d '%s' points outside the sources", i, label(n));
  else if (n->layer < -1 || n->layer >= g->n_layers ||
           (needs_param ? !in_range(n->param, g->n_params)
            : is_slot   ? !in_range(n->param, g->n_slots)
                        : n->param != -1) ||
           (n->op == CC_OP_INPUT ? !in_range(n->input, g->n_inputs) : n->input != -1))
    BAD("node %d '%s' has a layer, param or input index out of range", i, label(n));
  else if ((is_param && g->params[n->param].node != i) ||
           (is_slot && g->slots[n->param].node != i) ||
           (n->op == CC_OP_INPUT && g->inputs[n->input].node != i))
    BAD("node %d '%s' and its table entry disagree", i, label(n));
}

/* APPLY_UPDATE writes its param and slots in place: they must be one. */
static void check_update(rt_h5 *h, const cc_graph *g, int i) {
  const cc_node *n = &g->nodes[i];
  const cc_node *p = &g->nodes[n->inputs[0]];
  int ok = p->op == CC_OP_PARAM && p->param == n->param;
  for (int k = 1; ok && k < n->n_inputs; k++) {
    const cc_node *in = &g->nodes[n->inputs[k]];
    ok = cc_shape_equal(&in->shape, &p->shape) && in->dtype == NETC_F32 &&
         (k == 1 || (in->op == CC_OP_SLOT && g->slots[in->param].param == n->param));
  }
  if (!ok) BAD("update node %d '%s' does not match its parameter", i, label(n));
}

/* Infers node i again from its inputs; the stored type must come back. */
static void reinfer(rt_h5 *h, cc_graph *g, int i) {
  cc_node *n = &g->nodes[i];
  netc_dtype dtype = n->dtype;
  cc_shape shape = n->shape;
  cc_infer_error err;
  if (cc_infer(g, i, &err) != 0)
    BAD("node %d '%s': %s", i, label(n), err.message);
  else if (n->dtype != dtype || !cc_shape_equal(&n->shape, &shape))
    BAD("node %d '%s' is stored with another type than its inputs give", i, label(n));
  else if (n->op == CC_OP_APPLY_UPDATE)
    check_update(h, g, i);
}

static void check_tables(rt_h5 *h, const cc_graph *g, const nc_source_table *src) {
  for (int i = 0; h->status == NETC_OK && i < g->n_params; i++) {
    const cc_param *p = &g->params[i];
    if (!in_range(p->node, g->n_nodes) || g->nodes[p->node].op != CC_OP_PARAM ||
        g->nodes[p->node].param != i || p->layer < -1 || p->layer >= g->n_layers)
      BAD("param %d '%s' has a node or layer out of range", i, p->name);
  }
  for (int i = 0; h->status == NETC_OK && i < g->n_slots; i++) {
    const cc_slot *s = &g->slots[i];
    if (!in_range(s->param, g->n_params) || !in_range(s->node, g->n_nodes) ||
        g->nodes[s->node].op != CC_OP_SLOT || g->nodes[s->node].param != i ||
        !cc_shape_equal(&g->nodes[s->node].shape, &g->nodes[g->params[s->param].node].shape))
      BAD("slot %d '%s' does not match its parameter", i, s->name);
  }
  for (int i = 0; h->status == NETC_OK && i < g->n_layers; i++) {
    const cc_layer *l = &g->layers[i];
    if (l->output < -1 || l->output >= g->n_nodes || l->first_param < 0 || l->n_params < 0 ||
        l->first_param > g->n_params - l->n_params || !span_ok(src, l->span))
      BAD("layer %d '%s' has an index out of range", i, l->name);
  }
  for (int i = 0; h->status == NETC_OK && i < g->n_inputs; i++)
    if (!in_range(g->inputs[i].node, g->n_nodes) ||
        g->nodes[g->inputs[i].node].op != CC_OP_INPUT || !span_ok(src, g->inputs[i].span))
      BAD("input %d '%s' has no input node", i, g->inputs[i].name);
  for (int i = 0; h->status == NETC_OK && i < g->n_outputs; i++)
    if (!in_range(g->outputs[i].node, g->n_nodes) || !span_ok(src, g->outputs[i].span))
      BAD("output %d '%s' has a node out of range", i, g->outputs[i].name);
  for (int i = 0; h->status == NETC_OK && i < g->n_entries; i++) {
    const cc_entry *e = &g->entries[i];
    int ok = list_ok(e->fetches, e->n_fetches, g->n_nodes) &&
             list_ok(e->feeds, e->n_feeds, g->n_inputs) &&
             list_ok((const int *)e->copies, 2 * e->n_copies, g->n_params) &&
             list_ok(e->updates, e->n_updates, g->n_nodes) && span_ok(src, e->span) &&
             (e->kind != CC_ENTRY_TRAIN || g->train.present);
    for (int k = 0; ok && k < e->n_updates; k++)
      ok = g->nodes[e->updates[k]].op == CC_OP_APPLY_UPDATE;
    for (int k = 0; ok && k < e->n_copies; k++)
      ok = cc_shape_equal(&g->nodes[g->params[e->copies[k].dst].node].shape,
                          &g->nodes[g->params[e->copies[k].src].node].shape);
    if (!ok) BAD("entry %d '%s' refers to nodes, inputs, params or a train "
                 "declaration that are not there", i, e->name);
  }
  const cc_train *t = &g->train;
  if (h->status == NETC_OK && t->present &&
      (!t->optimizer || !in_range(t->loss, g->n_outputs) || !span_ok(src, t->span)))
    BAD("the train declaration has no optimizer or loss");
}

/* ----------------------------------------------------------------- read */

void rt_ir_read(rt_h5 *h, cc_graph *g, nc_source_table *sources) {
  nc_arena *arena = g->arena;
  char name[256] = "";
  hid_t group = rt_h5_open(h, "/graph");
  if (group >= 0 && rt_h5_get_text(h, group, "/graph", "model", name, sizeof name) == 0)
    rt_h5_fail(h, NETC_EFORMAT, 0, "/graph has no attribute 'model'");
  rt_h5_close(group);
  g->model_name = h->status == NETC_OK ? nc_arena_strdup(arena, name) : NULL;
  if (h->status == NETC_OK && !g->model_name)
    rt_h5_fail(h, NETC_ENOMEM, 0, "out of memory");
  for (int t = 0; h->status == NETC_OK && t < N_GRAPH_TABLES; t++) {
    const graph_table *gt = &graph_tables[t];
    int64_t rows;
    void *items = rt_h5_read_table(h, &gt->table, arena, &rows);
    int n = (int)rows;
    memcpy((char *)g + gt->items, &items, sizeof items);
    memcpy((char *)g + gt->count, &n, sizeof n);
    if (gt->has_cap) memcpy((char *)g + gt->count + sizeof n, &n, sizeof n);
  }
  int64_t rows = 0;
  cc_setting *hyper = g->train.hyper, *args = g->train.schedule_args;
  cc_setting *settings = g->train.settings;
  int n_hyper = g->train.n_hyper, n_args = g->train.n_schedule_args;
  int n_settings = g->train.n_settings;
  cc_train *train = h->status == NETC_OK ? rt_h5_read_table(h, &train_table, arena, &rows)
                                         : NULL;
  if (h->status == NETC_OK && rows != 1)
    rt_h5_fail(h, NETC_EFORMAT, 0, "/graph/train has %lld rows, not 1", (long long)rows);
  if (train) {
    g->train = *train;
    g->train.hyper = hyper;
    g->train.n_hyper = n_hyper;
    g->train.schedule_args = args;
    g->train.n_schedule_args = n_args;
    g->train.settings = settings;
    g->train.n_settings = n_settings;
  }
  int *scratch = nc_malloc(((size_t)g->n_nodes + 1) * sizeof *scratch);
  if (h->status == NETC_OK && !scratch) rt_h5_fail(h, NETC_ENOMEM, 0, "out of memory");
  for (int f = FAM_NONE + 1; h->status == NETC_OK && f < FAM_COUNT; f++) {
    int64_t got = rt_h5_scatter_table(h, &family_tables[f], arena, g->nodes, g->n_nodes);
    int want = family_rows(g, (family)f, scratch);
    if (h->status == NETC_OK && got != want)
      rt_h5_fail(h, NETC_EFORMAT, 0, "%s has %lld rows for %d nodes",
                 family_tables[f].path, (long long)got, want);
  }
  nc_free(scratch);
  nc_source *files = h->status == NETC_OK ? rt_h5_read_table(h, &source_table, arena, &rows)
                                          : NULL;
  for (int64_t i = 0; h->status == NETC_OK && i < rows; i++)
    if (nc_source_add(sources, files[i].path, files[i].text, strlen(files[i].text)) < 0)
      rt_h5_fail(h, NETC_ENOMEM, 0, "out of memory for source %s", files[i].path);
  for (int i = 0; h->status == NETC_OK && i < g->n_nodes; i++) {
    check_node(h, g, sources, i);
    if (h->status == NETC_OK) reinfer(h, g, i);
  }
  if (h->status == NETC_OK) check_tables(h, g, sources);
}
