/*
** summary.c: the Keras-style model summary. A table of inputs and layers
** with output shapes and parameter counts, the totals, the cost of one
** example (FLOPs, activation memory), the declared outputs with the number
** of parameters each depends on, the training declaration and the entry
** points. Everything is appended to an nc_buf; running out of memory sets
** the buffer's `failed` flag like any other append.
*/
#include <stdio.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "compiler/model.h"

/* ORDER cc_output_kind */
static const char *const output_kind_names[] = {"output", "loss", "metric"};
/* ORDER cc_entry_kind */
/* What running each kind of entry point does. ORDER cc_entry_kind */
static const char *const entry_kind_names[] = {
    "inference: outputs", "inference: outputs, losses, metrics",
    "one training step", "weight copies"};

enum { TABLE_COLUMNS = 4, COLUMN_GAP = 2 };

static size_t dtype_size(netc_dtype dtype) {
  switch (dtype) {
  case NETC_F32:
  case NETC_I32:
    return 4;
  case NETC_U8:
  case NETC_BOOL:
    return 1;
  }
  return 0;
}

/* 1199882 -> "1,199,882". */
static void put_count(nc_buf *out, int64_t value) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%lld", (long long)value);
  int first = digits[0] == '-';
  for (int i = 0; i < n; i++) {
    if (i > first && (n - i) % 3 == 0) nc_buf_putc(out, ',');
    nc_buf_putc(out, digits[i]);
  }
}

/* "label: 24,023,456 (24.0 MFLOPs)": the exact count, then the value scaled
** by powers of `base` with the matching unit when it is that large. */
static void put_quantity(nc_buf *out, const char *label, int64_t value,
                         double base, const char *const unit[5]) {
  nc_buf_printf(out, "%s: ", label);
  put_count(out, value);
  if (*unit[0]) nc_buf_printf(out, " %s", unit[0]);
  double scaled = (double)value;
  int i = 0;
  while (scaled >= base && i < 4) {
    scaled /= base;
    i++;
  }
  if (i) nc_buf_printf(out, " (%.1f %s)", scaled, unit[i]);
  nc_buf_putc(out, '\n');
}

/* Elements of parameter p; 0 if its shape is not known. */
static int64_t param_elements(const cc_graph *g, int p) {
  int64_t n = cc_shape_elements(&g->nodes[g->params[p].node].shape);
  return n < 0 ? 0 : n;
}

/* Parameter elements that node `root` depends on, each PARAM counted once.
** Inputs come before their users, so one backward sweep over `mark` (one
** byte per node) finds everything `root` reads. */
static int64_t upstream_params(const cc_graph *g, int root, char *mark) {
  memset(mark, 0, (size_t)g->n_nodes);
  mark[root] = 1;
  for (int i = root; i >= 0; i--)
    if (mark[i])
      for (int j = 0; j < g->nodes[i].n_inputs; j++)
        mark[g->nodes[i].inputs[j]] = 1;
  int64_t total = 0;
  for (int i = 0; i <= root; i++)
    if (mark[i] && g->nodes[i].op == CC_OP_PARAM && g->nodes[i].param >= 0)
      total = cc_count_add(total, param_elements(g, g->nodes[i].param));
  return total;
}

/* ---------------------------------------------------- aligned columns */

/* Column widths of a block of text lines whose cells are separated by
** tabs. Every column but the last is padded to its width. */
typedef struct columns {
  size_t width[TABLE_COLUMNS]; /* widest cell plus the gap, or a minimum */
  int count;                   /* columns seen */
} columns;

/* Widens `c` so that every cell of `text` fits. */
static void columns_measure(columns *c, const char *text) {
  int col = 0;
  size_t len = 0;
  for (const char *p = text; *p; p++) {
    if (*p == '\t' || *p == '\n') {
      if (col < TABLE_COLUMNS && len + COLUMN_GAP > c->width[col])
        c->width[col] = len + COLUMN_GAP;
      if (col + 1 > c->count) c->count = col + 1;
      col = *p == '\t' ? col + 1 : 0;
      len = 0;
    } else {
      len++;
    }
  }
}

static size_t columns_total(const columns *c) {
  size_t total = 0;
  for (int i = 0; i < c->count && i < TABLE_COLUMNS; i++) total += c->width[i];
  return total;
}

/* Writes the line of `text` at `line` with its cells aligned, without
** trailing blanks; returns the start of the next line. */
static const char *columns_put_line(nc_buf *out, const columns *c,
                                    const char *indent, const char *line) {
  nc_buf_puts(out, indent);
  int col = 0;
  const char *p = line;
  for (;;) {
    size_t len = strcspn(p, "\t\n");
    nc_buf_append(out, p, len);
    p += len;
    if (*p != '\t') break;
    if (col < TABLE_COLUMNS) nc_buf_repeat(out, ' ', c->width[col] - len);
    col++;
    p++;
  }
  nc_buf_putc(out, '\n');
  return *p ? p + 1 : p;
}

static void columns_put_all(nc_buf *out, const char *indent,
                            const nc_buf *text) {
  columns c = {{0}, 0};
  columns_measure(&c, nc_buf_str(text));
  for (const char *p = nc_buf_str(text); *p;)
    p = columns_put_line(out, &c, indent, p);
}

/* ------------------------------------------------------------ sections */

/* The layer table: inputs first, then layers in creation order. Returns
** the width of its rule lines. */
static size_t put_layer_table(const cc_graph *g, nc_buf *out, nc_buf *rows) {
  nc_buf_clear(rows);
  nc_buf_puts(rows, "Layer (type)\tOutput Shape\tParam #\n");
  for (int i = 0; i < g->n_inputs; i++) {
    const cc_input *in = &g->inputs[i];
    nc_buf_printf(rows, "%s (input)\t", in->name);
    cc_format_shape(rows, g, &g->nodes[in->node].shape);
    nc_buf_puts(rows, "\t0\n");
  }
  for (int i = 0; i < g->n_layers; i++) {
    const cc_layer *l = &g->layers[i];
    int64_t params = 0;
    for (int p = l->first_param; p < l->first_param + l->n_params; p++)
      params = cc_count_add(params, param_elements(g, p));
    nc_buf_printf(rows, "%s (%s)\t", l->name, l->type);
    if (l->output >= 0) cc_format_shape(rows, g, &g->nodes[l->output].shape);
    nc_buf_putc(rows, '\t');
    put_count(rows, params);
    nc_buf_putc(rows, '\n');
  }
  /* Keras's widths, widened for long names and shapes. */
  columns c = {{29, 26, 10}, 0};
  columns_measure(&c, nc_buf_str(rows));
  size_t rule = columns_total(&c);
  const char *p = nc_buf_str(rows);
  nc_buf_repeat(out, '_', rule);
  nc_buf_putc(out, '\n');
  p = columns_put_line(out, &c, "", p);
  nc_buf_repeat(out, '=', rule);
  nc_buf_putc(out, '\n');
  while (*p) {
    p = columns_put_line(out, &c, "", p);
    nc_buf_repeat(out, *p ? '_' : '=', rule);
    nc_buf_putc(out, '\n');
  }
  return rule;
}

static void put_totals(const cc_graph *g, nc_buf *out, size_t rule) {
  int64_t trainable = 0, frozen = 0;
  for (int p = 0; p < g->n_params; p++) {
    if (g->params[p].trainable)
      trainable = cc_count_add(trainable, param_elements(g, p));
    else
      frozen = cc_count_add(frozen, param_elements(g, p));
  }
  nc_buf_puts(out, "Total params: ");
  put_count(out, cc_count_add(trainable, frozen));
  nc_buf_puts(out, "\nTrainable params: ");
  put_count(out, trainable);
  nc_buf_puts(out, "\nNon-trainable params: ");
  put_count(out, frozen);
  nc_buf_putc(out, '\n');
  nc_buf_repeat(out, '_', rule);
  nc_buf_putc(out, '\n');
}

/* The cost of one example for inference: every node but the ones autodiff
** made for training (gradients, optimizer slots, updates). */
static void put_costs(const cc_graph *g, nc_buf *out) {
  int64_t flops = 0, bytes = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    const cc_node *n = &g->nodes[i];
    if (n->backward) continue;
    flops = cc_count_add(flops, cc_node_flops(g, n));
    int64_t elements = cc_shape_elements_per_example(&n->shape);
    if (n->op != CC_OP_PARAM && n->op != CC_OP_CONST && elements > 0)
      bytes = cc_count_add(bytes, cc_count_mul(elements, (int64_t)dtype_size(n->dtype)));
  }
  static const char *const flop_units[5] = {"", "KFLOPs", "MFLOPs", "GFLOPs",
                                            "TFLOPs"};
  static const char *const byte_units[5] = {"bytes", "KiB", "MiB", "GiB",
                                            "TiB"};
  put_quantity(out, "FLOPs per example", flops, 1000.0, flop_units);
  put_quantity(out, "Activation memory per example", bytes, 1024.0,
               byte_units);
}

static void put_outputs(const cc_graph *g, nc_buf *out, nc_buf *rows,
                        char *mark) {
  if (g->n_outputs == 0) return;
  nc_buf_clear(rows);
  for (int i = 0; i < g->n_outputs; i++) {
    const cc_output *o = &g->outputs[i];
    const cc_node *n = &g->nodes[o->node];
    nc_buf_printf(rows, "%s\t%s\t", output_kind_names[o->kind], o->name);
    cc_format_type(rows, g, n->dtype, &n->shape);
    nc_buf_puts(rows, "\tdepends on ");
    put_count(rows, upstream_params(g, o->node, mark));
    nc_buf_puts(rows, " params\n");
  }
  nc_buf_puts(out, "\nOutputs:\n");
  columns_put_all(out, "  ", rows);
}

/* "lr=0.001, beta1=0.9" */
static void put_settings(nc_buf *out, const cc_setting *s, int n) {
  for (int i = 0; i < n; i++) {
    nc_buf_printf(out, "%s%s=", i ? ", " : "", s[i].key);
    if (s[i].text)
      nc_buf_puts(out, s[i].text);
    else
      nc_buf_printf(out, "%g", s[i].value);
  }
}

static void put_train(const cc_graph *g, nc_buf *out) {
  const cc_train *t = &g->train;
  if (!t->present) return;
  nc_buf_printf(out, "\nTrain: %s(", t->optimizer);
  put_settings(out, t->hyper, t->n_hyper);
  nc_buf_putc(out, ')');
  if (t->loss >= 0 && t->loss < g->n_outputs)
    nc_buf_printf(out, " minimizes %s", g->outputs[t->loss].name);
  nc_buf_putc(out, '\n');
  /* A constant rate is the default and needs no line of its own. */
  if (t->schedule && (t->n_schedule_args || strcmp(t->schedule, "constant"))) {
    nc_buf_printf(out, "  schedule: %s(", t->schedule);
    put_settings(out, t->schedule_args, t->n_schedule_args);
    nc_buf_puts(out, ")\n");
  }
  if (t->n_settings) {
    nc_buf_puts(out, "  with ");
    put_settings(out, t->settings, t->n_settings);
    nc_buf_putc(out, '\n');
  }
}

static void put_entries(const cc_graph *g, nc_buf *out, nc_buf *rows) {
  if (g->n_entries == 0) return;
  nc_buf_clear(rows);
  for (int i = 0; i < g->n_entries; i++) {
    const cc_entry *e = &g->entries[i];
    nc_buf_printf(rows, "%s\t%s\t", e->name, entry_kind_names[e->kind]);
    if (e->kind == CC_ENTRY_STEP) {
      nc_buf_printf(rows, "copies %d weight tensor%s", e->n_copies,
                    e->n_copies == 1 ? "" : "s");
    } else {
      nc_buf_puts(rows, "feeds ");
      for (int j = 0; j < e->n_feeds; j++)
        nc_buf_printf(rows, "%s%s", j ? ", " : "",
                      g->inputs[e->feeds[j]].name);
      if (e->n_feeds == 0) nc_buf_puts(rows, "nothing");
    }
    nc_buf_putc(rows, '\n');
  }
  nc_buf_puts(out, "\nEntry points:\n");
  columns_put_all(out, "  ", rows);
}

void cc_write_summary(const cc_graph *g, nc_buf *out) {
  nc_buf rows;
  nc_buf_init(&rows);
  /* One mark per node for upstream_params. */
  char *mark = nc_malloc((size_t)g->n_nodes);
  if (!mark) {
    out->failed = 1;
    return;
  }
  nc_buf_printf(out, "Model: \"%s\"\n",
                g->model_name ? g->model_name : "");
  put_totals(g, out, put_layer_table(g, out, &rows));
  put_costs(g, out);
  put_outputs(g, out, &rows, mark);
  put_train(g, out);
  put_entries(g, out, &rows);
  if (rows.failed) out->failed = 1;
  nc_buf_release(&rows);
  nc_free(mark);
}

netc_status netc_model_write_summary(const netc_model *model,
                                     netc_write_fn write, void *user) {
  return cc_model_write_report(model, cc_write_summary, write, user);
}
