/*
** session.c: creating and destroying sessions, their weights, history and
** error messages, and the declared types of a model's inputs. A session
** owns one buffer for the weights, one for the optimizer slots, one arena
** for activations and gradients and one scratch buffer, all sized when it
** is created (the arena grows only when a new fetch set needs a bigger
** plan, never during a step).
*/
#define _POSIX_C_SOURCE 200809L /* sysconf */

#include <cblas.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/nc_alloc.h"
#include "runtime/thread_pool.h"
#include "runtime/session.h"

netc_status rt_fail(netc_session *s, netc_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->error, sizeof s->error, fmt, ap);
  va_end(ap);
  return status;
}

void rt_location(const netc_session *s, nc_span span, char *buf, size_t size) {
  const nc_source *src = nc_source_get(s->sources, span.file);
  if (!src) {
    snprintf(buf, size, "(no location)");
    return;
  }
  int line, column;
  nc_source_position(src, span.start, &line, &column);
  snprintf(buf, size, "%s:%d:%d", src->path, line, column);
}

int64_t netc_tensor_elements(const netc_tensor *t) {
  if (!t) return 0;
  int64_t n = 1;
  for (int i = 0; t && i < t->rank && i < NETC_MAX_RANK; i++) n *= t->dims[i];
  return n;
}

netc_status netc_model_input(const netc_model *model, const char *name,
                             netc_tensor *type) {
  if (!model || !type) return NETC_EINVAL;
  const cc_graph *g = cc_model_graph(model);
  for (int i = 0; i < g->n_inputs; i++) {
    if (name && strcmp(g->inputs[i].name, name) != 0) continue;
    const cc_node *n = &g->nodes[g->inputs[i].node];
    memset(type, 0, sizeof *type);
    type->dtype = n->dtype;
    type->rank = n->shape.rank;
    for (int d = 0; d < n->shape.rank; d++)
      type->dims[d] = CC_DIM_IS_SYMBOL(n->shape.dim[d]) ? -1 : n->shape.dim[d];
    return NETC_OK;
  }
  return NETC_ENOTFOUND;
}

int64_t rt_planned_batch(const cc_graph *g, int64_t requested) {
  if (requested > 0) return requested;
  for (int i = 0; g->train.present && i < g->train.n_settings; i++)
    if (strcmp(g->train.settings[i].key, "batch") == 0)
      return (int64_t)g->train.settings[i].value;
  return 32;
}

/* Lays weights (or slots) out one after another in one buffer. */
static float *alloc_tensors(const cc_graph *g, const int *nodes, int count,
                            size_t **offsets) {
  size_t total = 0;
  *offsets = nc_calloc((size_t)count + 1, sizeof **offsets);
  if (!*offsets) return NULL;
  for (int i = 0; i < count; i++) {
    (*offsets)[i] = total;
    total += (size_t)cc_shape_elements(&g->nodes[nodes[i]].shape);
  }
  return nc_calloc(total + 1, sizeof(float));
}

/* CONST nodes are scalars: their bits are kept per node. */
static void fill_constants(netc_session *s) {
  for (int i = 0; i < s->g->n_nodes; i++) {
    const cc_node *n = &s->g->nodes[i];
    if (n->op != CC_OP_CONST) continue;
    if (n->dtype == NETC_I32) {
      int32_t v = (int32_t)n->attr.constant.value;
      memcpy(&s->consts[i], &v, sizeof v);
    } else {
      float v = (float)n->attr.constant.value;
      memcpy(&s->consts[i], &v, sizeof v);
    }
  }
}

netc_status netc_session_create(const netc_model *model,
                                const netc_session_options *options,
                                netc_session **out) {
  if (!out) return NETC_EINVAL;
  *out = NULL;
  if (!model) return NETC_EINVAL;
  netc_session *s = nc_calloc(1, sizeof *s);
  if (!s) return NETC_ENOMEM;
  rt_guard_register(s);
  s->model = model;
  s->g = cc_model_graph(model);
  s->sources = cc_model_sources(model);
  s->seed = options ? options->seed : 0;
  s->world_size = 1;
  s->pixel_scale = 1.0;
  s->threads = options ? options->threads : 0;
  s->max_batch = rt_planned_batch(s->g, options ? options->max_batch : 0);
  const cc_graph *g = s->g;
  int *param_nodes = nc_calloc((size_t)g->n_params + 1, sizeof *param_nodes);
  int *slot_nodes = nc_calloc((size_t)g->n_slots + 1, sizeof *slot_nodes);
  if (param_nodes && slot_nodes) {
    for (int i = 0; i < g->n_params; i++) param_nodes[i] = g->params[i].node;
    for (int i = 0; i < g->n_slots; i++) slot_nodes[i] = g->slots[i].node;
    s->params = alloc_tensors(g, param_nodes, g->n_params, &s->param_offset);
    s->slots = alloc_tensors(g, slot_nodes, g->n_slots, &s->slot_offset);
  }
  nc_free(param_nodes);
  nc_free(slot_nodes);
  size_t n = (size_t)g->n_nodes + 1;
  s->consts = nc_calloc(n, sizeof *s->consts);
  s->value = nc_calloc(n, sizeof *s->value);
  s->shape = nc_calloc(n, sizeof *s->shape);
  s->fetch_buffer = nc_calloc(n, sizeof *s->fetch_buffer);
  s->symbol = nc_calloc((size_t)g->n_symbols + 1, sizeof *s->symbol);
  int train = cc_graph_find_entry(g, "train");
  s->n_epoch_sums = train < 0 ? 0 : g->entries[train].n_fetches;
  s->epoch_sums = nc_calloc((size_t)s->n_epoch_sums + 1, sizeof *s->epoch_sums);
  if (!s->params || !s->slots || !s->consts || !s->value || !s->shape ||
      !s->fetch_buffer || !s->symbol || !s->epoch_sums) {
    netc_session_destroy(s);
    return NETC_ENOMEM;
  }
  fill_constants(s);
  rt_init_params(s);
  rt_init_slots(s);
  /* The session's own threads split the work (parallel.c); OpenBLAS runs
  ** single-threaded inside them. Its setting is process-wide. */
  if (s->threads <= 0) s->threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (s->threads <= 0) s->threads = 1;
  openblas_set_num_threads(1);
  s->pool = rt_pool_create(s->threads);
  if (!s->pool) {
    netc_session_destroy(s);
    return NETC_ENOMEM;
  }
  *out = s;
  return NETC_OK;
}

void netc_session_destroy(netc_session *s) {
  /* debug builds: a destroyed session, or one in use by another thread,
  ** is left alone */
  if (rt_guard_enter(s) != NETC_OK) return;
  rt_guard_unregister(s);
  rt_plan_free_all(s);
  nc_free(s->params);
  nc_free(s->param_offset);
  nc_free(s->slots);
  nc_free(s->slot_offset);
  nc_free(s->consts);
  nc_free(s->arena);
  nc_free(s->scratch);
  nc_free(s->partials);
  rt_pool_destroy(s->pool);
  nc_free(s->value);
  nc_free(s->shape);
  nc_free(s->fetch_buffer);
  nc_free(s->symbol);
  nc_free(s->epoch_sums);
  nc_free(s->history);
  rt_profile_free(s->profile);
  rt_classes_free(s);
  nc_free(s);
}

const char *netc_session_error(const netc_session *s) {
  return s ? s->error : "no session";
}

int64_t netc_session_step(const netc_session *s) { return s ? s->step : 0; }

int64_t netc_session_world_size(const netc_session *s) { return s ? s->world_size : 0; }

netc_status rt_history_add(netc_session *s, int64_t epoch, const char *name,
                           double value) {
  if (s->n_history == s->cap_history) {
    int64_t cap = s->cap_history ? 2 * s->cap_history : 16;
    rt_record *grown = nc_realloc(s->history, (size_t)cap * sizeof *grown);
    if (!grown) return rt_fail(s, NETC_ENOMEM, "out of memory for the training history");
    s->history = grown;
    s->cap_history = cap;
  }
  rt_record *r = &s->history[s->n_history++];
  r->epoch = epoch;
  snprintf(r->name, sizeof r->name, "%s", name);
  r->value = value;
  return NETC_OK;
}

/* The weight called `name` with `count` elements, or why not. */
static netc_status find_weight(const netc_session *s, const char *name,
                               int64_t count, float **data) {
  if (!s || !name) return NETC_EINVAL;
  int p = cc_graph_find_param(s->g, name);
  if (p < 0) return NETC_ENOTFOUND;
  if (cc_shape_elements(&s->g->nodes[s->g->params[p].node].shape) != count)
    return NETC_ESHAPE;
  *data = s->params + s->param_offset[p];
  return NETC_OK;
}

netc_status netc_session_get_weight(const netc_session *s, const char *name,
                                    float *out, int64_t count) {
  float *data;
  netc_status st = find_weight(s, name, count, &data);
  if (st != NETC_OK) return st;
  if (!out) return NETC_EINVAL;
  memcpy(out, data, (size_t)count * sizeof *out);
  return NETC_OK;
}

static netc_status session_set_weight(netc_session *s, const char *name,
                                      const float *values, int64_t count) {
  float *data;
  netc_status st = find_weight(s, name, count, &data);
  if (st != NETC_OK) return st;
  if (!values) return NETC_EINVAL;
  memcpy(data, values, (size_t)count * sizeof *values);
  return NETC_OK;
}

netc_status netc_session_set_weight(netc_session *s, const char *name,
                                    const float *values, int64_t count) {
  netc_status st = rt_guard_enter(s);
  if (st != NETC_OK) return st;
  st = session_set_weight(s, name, values, count);
  rt_guard_leave(s);
  return st;
}
