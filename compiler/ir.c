/*
** ir.c: graph construction and lookup; the op and initializer tables.
*/
#include <string.h>

#include "compiler/ir.h"

static const cc_op_info op_table[CC_OP_COUNT] = {
#define X(e, name, inputs, flags) {name, inputs, flags},
#include "compiler/ops.def"
#undef X
};

const cc_op_info *cc_op_get(cc_op op) {
  if ((int)op < 0 || op >= CC_OP_COUNT) return NULL;
  return &op_table[op];
}

int cc_op_find(const char *name) {
  for (int i = 0; i < CC_OP_COUNT; i++)
    if (strcmp(op_table[i].name, name) == 0) return i;
  return -1;
}

/* ORDER INIT: must follow enum cc_init. */
static const char *const init_names[] = {
    "zeros",      "ones",      "glorot_uniform", "glorot_normal",
    "he_uniform", "he_normal", "lecun_uniform",
};

const char *cc_init_name(cc_init init) {
  if ((size_t)init >= sizeof init_names / sizeof *init_names) return "?";
  return init_names[init];
}

int cc_init_find(const char *name) {
  for (size_t i = 0; i < sizeof init_names / sizeof *init_names; i++)
    if (strcmp(init_names[i], name) == 0) return (int)i;
  return -1;
}

void cc_graph_init(cc_graph *g, nc_arena *arena) {
  memset(g, 0, sizeof *g);
  g->arena = arena;
  g->train.loss = -1;
}

void *cc_graph_push(cc_graph *g, void **items, int *count, int *capacity,
                    size_t elem_size) {
  if (*count == *capacity) {
    int cap = *capacity ? *capacity * 2 : 16;
    void *grown = nc_arena_array(g->arena, (size_t)cap, elem_size);
    if (!grown) return NULL;
    if (*count) memcpy(grown, *items, (size_t)*count * elem_size);
    *items = grown;
    *capacity = cap;
  }
  char *slot = (char *)*items + (size_t)(*count)++ * elem_size;
  memset(slot, 0, elem_size);
  return slot;
}

int cc_graph_add_node(cc_graph *g, cc_op op, const int *inputs, int n_inputs,
                      nc_span span) {
  if (n_inputs < 0 || n_inputs > CC_MAX_INPUTS) return -1;
  cc_node *n = CC_PUSH(g, nodes);
  if (!n) return -1;
  n->op = op;
  n->n_inputs = n_inputs;
  for (int i = 0; i < n_inputs; i++) n->inputs[i] = inputs[i];
  n->span = span;
  n->layer = n->param = n->input = -1;
  n->origin = cc_op_get(op)->name;
  return g->n_nodes - 1;
}

int cc_graph_symbol(cc_graph *g, const char *name) {
  for (int i = 0; i < g->n_symbols; i++)
    if (strcmp(g->symbols[i], name) == 0) return i;
  const char **slot = CC_PUSH(g, symbols);
  if (!slot) return -1;
  *slot = nc_arena_strdup(g->arena, name);
  return *slot ? g->n_symbols - 1 : -1;
}

int cc_graph_find_node(const cc_graph *g, const char *name) {
  for (int i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].name && strcmp(g->nodes[i].name, name) == 0) return i;
  return -1;
}

int cc_graph_find_layer(const cc_graph *g, const char *name) {
  for (int i = 0; i < g->n_layers; i++)
    if (strcmp(g->layers[i].name, name) == 0) return i;
  return -1;
}

int cc_graph_find_param(const cc_graph *g, const char *name) {
  for (int i = 0; i < g->n_params; i++)
    if (strcmp(g->params[i].name, name) == 0) return i;
  return -1;
}

int cc_graph_find_entry(const cc_graph *g, const char *name) {
  for (int i = 0; i < g->n_entries; i++)
    if (strcmp(g->entries[i].name, name) == 0) return i;
  return -1;
}
