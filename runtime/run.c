/*
** run.c: netc_session_run. Resolves the entry point and the fetches, checks
** every feed against its declaration before anything runs, binds the
** symbolic dims (the batch) from the feeds, then executes the plan. Training
** steps also set the optimizer's learning rate from its schedule, clip
** gradients when asked, and stop on a NaN or infinite loss, naming the
** first op that produced one.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/nc_buf.h"
#include "common/nc_suggest.h"
#include "runtime/distributed.h"
#include "runtime/session.h"

/* The entry called `name`, with the list of valid ones on failure. */
static int find_entry(netc_session *s, const char *name) {
  int e = name ? cc_graph_find_entry(s->g, name) : -1;
  if (e >= 0) return e;
  nc_buf list;
  nc_buf_init(&list);
  for (int i = 0; i < s->g->n_entries; i++)
    nc_buf_printf(&list, "%s%s", i ? ", " : "", s->g->entries[i].name);
  rt_fail(s, NETC_ENOTFOUND, "model '%s' has no entry point '%s' (it has %s)",
          s->g->model_name, name ? name : "(null)", nc_buf_str(&list));
  nc_buf_release(&list);
  return -1;
}

/* Fetch names become nodes: declared outputs first, then any node, then a
** layer's output (`logits = dense(...)` names a layer). With no names, the
** entry's own fetches. */
static int resolve_fetches(netc_session *s, int entry, const char *const *names,
                           int n, const int **nodes) {
  const cc_entry *e = &s->g->entries[entry];
  if (n == 0) {
    *nodes = e->fetches;
    return e->n_fetches;
  }
  for (int i = 0; i < n; i++) {
    int node = -1;
    for (int k = 0; names[i] && k < s->g->n_outputs && node < 0; k++)
      if (strcmp(s->g->outputs[k].name, names[i]) == 0) node = s->g->outputs[k].node;
    if (node < 0 && names[i]) node = cc_graph_find_node(s->g, names[i]);
    int layer = node < 0 && names[i] ? cc_graph_find_layer(s->g, names[i]) : -1;
    if (layer >= 0) node = s->g->layers[layer].output;
    if (node < 0) {
      rt_fail(s, NETC_ENOTFOUND, "cannot fetch '%s': no output, node or layer of that name",
              names[i] ? names[i] : "(null)");
      return -1;
    }
    s->fetch_buffer[i] = node;
  }
  *nodes = s->fetch_buffer;
  return n;
}

/* "f32[batch,28,28,1]" for messages. */
static void declared_type(const netc_session *s, int node, char *buf, size_t size) {
  nc_buf b;
  nc_buf_init(&b);
  cc_format_type(&b, s->g, s->g->nodes[node].dtype, &s->g->nodes[node].shape);
  snprintf(buf, size, "%s", nc_buf_str(&b));
  nc_buf_release(&b);
}

static netc_status feed_error(netc_session *s, int input, const char *problem) {
  char at[256], type[128];
  const cc_input *in = &s->g->inputs[input];
  rt_location(s, in->span, at, sizeof at);
  declared_type(s, in->node, type, sizeof type);
  netc_status st = strstr(problem, "dtype") ? NETC_EDTYPE : NETC_ESHAPE;
  return rt_fail(s, st, "feed '%s' %s (declared at %s as %s)", in->name, problem,
                 at, type);
}

/* Checks one feed against its input and binds its symbolic dims. */
static netc_status bind_feed(netc_session *s, const netc_feed *f) {
  const cc_graph *g = s->g;
  int input = -1;
  for (int i = 0; f->name && i < g->n_inputs; i++)
    if (strcmp(g->inputs[i].name, f->name) == 0) input = i;
  if (input < 0) {
    const char *names[64];
    size_t n = 0;
    nc_buf list;
    nc_buf_init(&list);
    for (int i = 0; i < g->n_inputs; i++) {
      if (n < 64) names[n++] = g->inputs[i].name;
      nc_buf_printf(&list, "%s%s", i ? ", " : "", g->inputs[i].name);
    }
    const char *close = f->name ? nc_suggest(f->name, names, n) : NULL;
    netc_status st = rt_fail(s, NETC_ENOTFOUND, "model '%s' has no input '%s'%s%s%s (it has %s)",
                             g->model_name, f->name ? f->name : "(null)",
                             close ? "; did you mean " : "", close ? close : "",
                             close ? "?" : "", nc_buf_str(&list));
    nc_buf_release(&list);
    return st;
  }
  const cc_node *decl = &g->nodes[g->inputs[input].node];
  const netc_tensor *t = &f->tensor;
  char problem[160];
  if (t->dtype != decl->dtype) {
    snprintf(problem, sizeof problem, "has dtype %s", netc_dtype_name(t->dtype));
    return feed_error(s, input, problem);
  }
  if (t->rank != decl->shape.rank) {
    snprintf(problem, sizeof problem, "has rank %d", t->rank);
    return feed_error(s, input, problem);
  }
  if (!t->data) return feed_error(s, input, "has no data");
  for (int d = 0; d < t->rank; d++) {
    int64_t want = decl->shape.dim[d], got = t->dims[d];
    if (!CC_DIM_IS_SYMBOL(want)) {
      if (got == want) continue;
      snprintf(problem, sizeof problem, "has %lld in dim %d, not %lld", (long long)got, d,
               (long long)want);
      return feed_error(s, input, problem);
    }
    int sym = CC_DIM_SYMBOL_INDEX(want);
    if (got < 1 || got > s->max_batch) {
      snprintf(problem, sizeof problem,
               "has %s = %lld, outside 1..%lld (the session's max_batch)",
               g->symbols[sym], (long long)got, (long long)s->max_batch);
      return feed_error(s, input, problem);
    }
    if (s->symbol[sym] && s->symbol[sym] != got) {
      snprintf(problem, sizeof problem, "has %s = %lld but another feed has %lld",
               g->symbols[sym], (long long)got, (long long)s->symbol[sym]);
      return feed_error(s, input, problem);
    }
    s->symbol[sym] = got;
  }
  s->value[g->inputs[input].node] = t->data;
  return NETC_OK;
}

static netc_status bind_feeds(netc_session *s, const rt_plan *plan,
                              const netc_feed *feeds, int n_feeds) {
  const cc_graph *g = s->g;
  memset(s->symbol, 0, (size_t)g->n_symbols * sizeof *s->symbol);
  for (int t = 0; t < plan->n_order; t++)
    if (g->nodes[plan->order[t]].op == CC_OP_INPUT) s->value[plan->order[t]] = NULL;
  for (int i = 0; i < n_feeds; i++) {
    netc_status st = bind_feed(s, &feeds[i]);
    if (st != NETC_OK) return st;
  }
  for (int t = 0; t < plan->n_order; t++) {
    int node = plan->order[t];
    if (g->nodes[node].op != CC_OP_INPUT || s->value[node]) continue;
    char at[256];
    rt_location(s, g->inputs[g->nodes[node].input].span, at, sizeof at);
    return rt_fail(s, NETC_EINVAL, "entry '%s' needs feed '%s' (declared at %s)",
                   g->entries[plan->entry].name, g->nodes[node].name, at);
  }
  return NETC_OK;
}

/* Concrete shapes and data pointers of every node of the plan. */
static void bind_values(netc_session *s, const rt_plan *plan) {
  const cc_graph *g = s->g;
  for (int t = 0; t < plan->n_order; t++) {
    int i = plan->order[t];
    const cc_node *n = &g->nodes[i];
    cc_shape *shape = &s->shape[i];
    *shape = n->shape;
    for (int d = 0; d < shape->rank; d++)
      if (CC_DIM_IS_SYMBOL(shape->dim[d]))
        shape->dim[d] = s->symbol[CC_DIM_SYMBOL_INDEX(shape->dim[d])];
    switch ((rt_storage)plan->storage[i]) {
    case RT_IN_ARENA: s->value[i] = s->arena + plan->offset[i]; break;
    case RT_ALIAS: s->value[i] = s->value[n->inputs[0]]; break;
    case RT_PARAM: s->value[i] = s->params + s->param_offset[n->param]; break;
    case RT_SLOT: s->value[i] = s->slots + s->slot_offset[n->param]; break;
    case RT_CONST: s->value[i] = &s->consts[i]; break;
    case RT_FEED: break;
    case RT_NONE: s->value[i] = NULL; break;
    }
  }
}

static double setting(const cc_setting *list, int n, const char *key,
                      double fallback) {
  for (int i = 0; i < n; i++)
    if (strcmp(list[i].key, key) == 0) return list[i].value;
  return fallback;
}

/* The learning rate of step t (1-based) under the declared schedule. */
static double scheduled_lr(const cc_train *t, int64_t step) {
  double lr = setting(t->hyper, t->n_hyper, "lr", 0.01);
  double done = (double)(step - 1);
  const cc_setting *a = t->schedule_args;
  int n = t->n_schedule_args;
  if (!t->schedule || strcmp(t->schedule, "constant") == 0) return lr;
  if (strcmp(t->schedule, "step_decay") == 0)
    return lr * pow(setting(a, n, "factor", 0.1),
                    floor(done / setting(a, n, "every", 1)));
  if (strcmp(t->schedule, "exponential_decay") == 0)
    return lr * pow(setting(a, n, "factor", 1), done / setting(a, n, "every", 1));
  /* cosine decay to min_lr over `steps`, then flat */
  double steps = setting(a, n, "steps", 1), min_lr = setting(a, n, "min_lr", 0);
  if (done >= steps) return min_lr;
  return min_lr + (lr - min_lr) * 0.5 * (1 + cos(3.141592653589793 * done / steps));
}

static rt_optimizer optimizer_of(const char *name) {
  static const char *const names[] = {"sgd",  "momentum", "nesterov", "adam",
                                      "adamw", "rmsprop", "adagrad"};
  for (int i = 0; i < 7; i++)
    if (strcmp(names[i], name) == 0) return (rt_optimizer)i; /* ORDER rt_optimizer */
  return RT_SGD;
}

static void prepare_training(netc_session *s) {
  const cc_train *t = &s->g->train;
  rt_hyper *h = &s->hyper;
  s->optimizer = optimizer_of(t->optimizer);
  h->step = s->step + 1;
  h->lr = (float)scheduled_lr(t, h->step);
  h->momentum = (float)setting(t->hyper, t->n_hyper, "momentum", 0);
  h->beta1 = (float)setting(t->hyper, t->n_hyper, "beta1", 0.9);
  h->beta2 = (float)setting(t->hyper, t->n_hyper, "beta2", 0.999);
  h->epsilon = (float)setting(t->hyper, t->n_hyper, "epsilon", 1e-7);
  h->rho = (float)setting(t->hyper, t->n_hyper, "rho", 0.9);
  h->weight_decay = (float)setting(t->hyper, t->n_hyper, "weight_decay", 0);
  s->clip_scale = 1.0f;
  s->clip_value = (float)setting(t->settings, t->n_settings, "clip_value", 0);
}

/* Global-norm clipping needs every gradient: computed before the first
** update, from the gradients the updates read. */
static void compute_clip_scale(netc_session *s, const cc_entry *e) {
  double clip = setting(s->g->train.settings, s->g->train.n_settings, "clip_norm", 0);
  if (clip <= 0) return;
  double sum = 0;
  for (int u = 0; u < e->n_updates; u++) {
    const cc_node *n = &s->g->nodes[e->updates[u]];
    const float *g = s->value[n->inputs[1]];
    int64_t count = rt_elements(&s->shape[n->inputs[1]]);
    for (int64_t i = 0; i < count; i++) sum += (double)g[i] * g[i];
  }
  double norm = sqrt(sum);
  if (norm > clip) s->clip_scale = (float)(clip / norm);
}

static int all_finite(const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}

/* The loss is not finite: run the forward part again, checking each value,
** to name the first op that produced a NaN or infinity. Nothing has been
** updated yet, and dropout draws the same masks, so the rerun is exact. */
static netc_status trip_nan(netc_session *s, const rt_plan *plan) {
  const cc_graph *g = s->g;
  const cc_output *loss = &g->outputs[g->train.loss];
  for (int t = 0; t < plan->n_order && plan->order[t] <= plan->loss; t++) {
    int i = plan->order[t];
    const cc_node *n = &g->nodes[i];
    if (n->op == CC_OP_INPUT || n->op == CC_OP_PARAM || n->op == CC_OP_CONST) {
      if (n->dtype != NETC_F32 || all_finite(s->value[i], rt_elements(&s->shape[i])))
        continue;
    } else {
      netc_status st = rt_exec_node(s, plan, i);
      if (st != NETC_OK) return st;
      if (n->dtype != NETC_F32 || all_finite(s->value[i], rt_elements(&s->shape[i])))
        continue;
    }
    char at[256];
    rt_location(s, n->span, at, sizeof at);
    return rt_fail(s, NETC_ENUMERIC,
                   "%s: loss '%s' is not finite at step %lld: the first NaN or "
                   "infinity comes from %s '%s' (%s)",
                   at, loss->name, (long long)(s->step + 1), n->origin, n->name,
                   n->op == CC_OP_INPUT ? "a feed" : n->op == CC_OP_PARAM ? "a weight" : "an op");
  }
  return rt_fail(s, NETC_ENUMERIC, "loss '%s' is not finite at step %lld", loss->name,
                 (long long)(s->step + 1));
}

static netc_status execute(netc_session *s, const rt_plan *plan) {
  const cc_graph *g = s->g;
  const cc_entry *e = &g->entries[plan->entry];
  int clipped = 0;
  for (int t = 0; t < plan->n_order; t++) {
    int i = plan->order[t];
    cc_op op = g->nodes[i].op;
    if (op == CC_OP_INPUT || op == CC_OP_PARAM || op == CC_OP_SLOT || op == CC_OP_CONST)
      continue;
    if (op == CC_OP_APPLY_UPDATE && !clipped) {
      if (s->group) { /* data-parallel: the other ranks' gradients join in */
        double started = s->profile ? rt_profile_clock() : 0, waited;
        netc_status st = rt_group_reduce_step(s, plan, &waited);
        if (st != NETC_OK) return st;
        if (s->profile) rt_profile_add_allreduce(s, started, waited);
      }
      compute_clip_scale(s, e);
      clipped = 1;
    }
    double started = s->profile ? rt_profile_clock() : 0;
    netc_status st = rt_exec_node(s, plan, i);
    if (st != NETC_OK) return st;
    if (s->profile) rt_profile_add(s, i, started);
    if (i == plan->loss && !isfinite(*(const float *)s->value[i])) return trip_nan(s, plan);
  }
  return NETC_OK;
}

/* A user step: weight copies, in order. */
static netc_status run_copies(netc_session *s, const cc_entry *e) {
  for (int c = 0; c < e->n_copies; c++) {
    const cc_param *dst = &s->g->params[e->copies[c].dst];
    int64_t n = cc_shape_elements(&s->g->nodes[dst->node].shape);
    memcpy(s->params + s->param_offset[e->copies[c].dst],
           s->params + s->param_offset[e->copies[c].src], (size_t)n * sizeof(float));
  }
  return NETC_OK;
}

static netc_status session_run(netc_session *s, const char *entry,
                               const netc_feed *feeds, int n_feeds,
                               const char *const *fetches, int n_fetches,
                               netc_tensor *results) {
  if (!s) return NETC_EINVAL;
  s->error[0] = '\0';
  if (!entry) return rt_fail(s, NETC_EINVAL, "no entry point to run");
  if (n_feeds < 0 || n_fetches < 0 || (n_feeds && !feeds) ||
      (n_fetches && (!fetches || !results)))
    return rt_fail(s, NETC_EINVAL, "invalid feeds or fetches");
  int e = find_entry(s, entry);
  if (e < 0) return NETC_ENOTFOUND;
  const cc_entry *ent = &s->g->entries[e];
  if (ent->kind == CC_ENTRY_STEP) return run_copies(s, ent);
  const int *nodes;
  int n = resolve_fetches(s, e, fetches, n_fetches, &nodes);
  if (n < 0) return NETC_ENOTFOUND;
  rt_plan *plan = rt_plan_get(s, e, nodes, n);
  if (!plan) return NETC_ENOMEM;
  netc_status st = bind_feeds(s, plan, feeds, n_feeds);
  if (st != NETC_OK) return st;
  bind_values(s, plan);
  if (plan->training) prepare_training(s);
  st = execute(s, plan);
  if (st != NETC_OK) return st;
  if (plan->training) s->step++;
  for (int i = 0; i < n_fetches; i++) {
    int node = plan->fetch[i];
    netc_tensor *r = &results[i];
    r->dtype = s->g->nodes[node].dtype;
    r->rank = s->shape[node].rank;
    for (int d = 0; d < r->rank; d++) r->dims[d] = s->shape[node].dim[d];
    r->data = s->value[node];
  }
  return NETC_OK;
}

netc_status netc_session_run(netc_session *s, const char *entry,
                             const netc_feed *feeds, int n_feeds,
                             const char *const *fetches, int n_fetches,
                             netc_tensor *results) {
  netc_status st = rt_guard_enter(s);
  if (st != NETC_OK) return st;
  st = session_run(s, entry, feeds, n_feeds, fetches, n_fetches, results);
  rt_guard_leave(s);
  return st;
}
