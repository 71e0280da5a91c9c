/*
** dot.c: the graph IR as Graphviz DOT. Each layer is a cluster around the
** nodes it made; its weights are listed in the cluster's label rather than
** drawn as nodes, so that big models stay readable. For the same reason only
** the inference graph is drawn: the nodes autodiff made for training
** (gradients, optimizer slots, updates) are counted in a comment. Inputs are
** ellipses, constants plain text, and the declared outputs, losses and
** metrics are extra sink nodes. Node ids are `n<index>`, sinks `out<index>`.
*/
#include "compiler/model.h"

/* ORDER cc_output_kind */
static const char *const sink_kind_names[] = {"output", "loss", "metric"};

/* Writes `text` as a DOT string: quoted, `"` and `\` escaped, newlines as
** the `\n` line break of labels. */
static void put_quoted(nc_buf *out, const char *text) {
  nc_buf_putc(out, '"');
  for (const char *p = text; *p; p++) {
    if (*p == '\n') {
      nc_buf_puts(out, "\\n");
      continue;
    }
    if (*p == '"' || *p == '\\') nc_buf_putc(out, '\\');
    nc_buf_putc(out, *p);
  }
  nc_buf_putc(out, '"');
}

/* Whether node i is drawn. */
static int drawn(const cc_graph *g, int i) {
  return !g->nodes[i].backward && g->nodes[i].op != CC_OP_PARAM;
}

/* `[label="name\nop\ntype", shape=...]` for node i; `label` is scratch. */
static void put_node(const cc_graph *g, int i, nc_buf *out, nc_buf *label,
                     const char *indent) {
  const cc_node *n = &g->nodes[i];
  nc_buf_clear(label);
  if (n->name)
    nc_buf_printf(label, "%s\n", n->name);
  else
    nc_buf_printf(label, "n%d\n", i);
  nc_buf_puts(label, cc_op_get(n->op)->name);
  if (n->op == CC_OP_CONST) nc_buf_printf(label, " %g", n->attr.constant.value);
  nc_buf_putc(label, '\n');
  cc_format_type(label, g, n->dtype, &n->shape);
  nc_buf_printf(out, "%sn%d [label=", indent, i);
  put_quoted(out, nc_buf_str(label));
  if (n->op == CC_OP_INPUT) nc_buf_puts(out, ", shape=ellipse");
  if (n->op == CC_OP_CONST) nc_buf_puts(out, ", shape=plaintext");
  nc_buf_puts(out, "];\n");
}

/* The cluster of layer l: its name and type, its weights, then its nodes. */
static void put_layer(const cc_graph *g, int l, nc_buf *out, nc_buf *label) {
  const cc_layer *layer = &g->layers[l];
  nc_buf_clear(label);
  nc_buf_printf(label, "%s (%s)", layer->name, layer->type);
  for (int p = layer->first_param; p < layer->first_param + layer->n_params;
       p++) {
    const cc_node *w = &g->nodes[g->params[p].node];
    nc_buf_printf(label, "\n%s%s ", g->params[p].short_name,
                  g->params[p].trainable ? "" : " (frozen)");
    cc_format_type(label, g, w->dtype, &w->shape);
  }
  nc_buf_printf(out, "  subgraph cluster_%d {\n    label=", l);
  put_quoted(out, nc_buf_str(label));
  nc_buf_puts(out, ";\n    style=rounded;\n    color=gray50;\n");
  for (int i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].layer == l && drawn(g, i))
      put_node(g, i, out, label, "    ");
  nc_buf_puts(out, "  }\n");
}

void cc_write_dot(const cc_graph *g, nc_buf *out) {
  nc_buf label;
  nc_buf_init(&label);
  nc_buf_puts(out, "digraph ");
  put_quoted(out, g->model_name ? g->model_name : "model");
  nc_buf_puts(out, " {\n  rankdir=TB;\n"
                   "  graph [fontname=\"Helvetica\", fontsize=11];\n"
                   "  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n"
                   "  edge [fontname=\"Helvetica\", fontsize=9];\n");
  for (int l = 0; l < g->n_layers; l++) put_layer(g, l, out, &label);
  int training = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const cc_node *n = &g->nodes[i];
    training += n->backward != 0;
    if ((n->layer < 0 || n->layer >= g->n_layers) && drawn(g, i))
      put_node(g, i, out, &label, "  ");
  }
  /* Weights are in the cluster labels, so edges from them are left out. */
  for (int i = 0; i < g->n_nodes; i++) {
    if (!drawn(g, i)) continue;
    for (int j = 0; j < g->nodes[i].n_inputs; j++)
      if (drawn(g, g->nodes[i].inputs[j]))
        nc_buf_printf(out, "  n%d -> n%d;\n", g->nodes[i].inputs[j], i);
  }
  if (training)
    nc_buf_printf(out, "  // %d training nodes (gradients, optimizer slots, "
                       "updates) are not drawn\n", training);
  for (int i = 0; i < g->n_outputs; i++) {
    const cc_output *o = &g->outputs[i];
    nc_buf_clear(&label);
    nc_buf_printf(&label, "%s %s", sink_kind_names[o->kind], o->name);
    nc_buf_printf(out, "  out%d [label=", i);
    put_quoted(out, nc_buf_str(&label));
    nc_buf_printf(out, ", shape=doubleoctagon];\n  n%d -> out%d;\n", o->node,
                  i);
  }
  nc_buf_puts(out, "}\n");
  if (label.failed) out->failed = 1;
  nc_buf_release(&label);
}

netc_status netc_model_write_dot(const netc_model *model, netc_write_fn write,
                                 void *user) {
  return cc_model_write_report(model, cc_write_dot, write, user);
}
