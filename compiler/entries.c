/*
** entries.c: the declarations that need the whole graph. `train` is checked
** against the losses, `freeze` against the layers, `step` bodies pair the
** weights of two weight sets; then the entry points list what each one
** fetches and which inputs it needs, and anonymous nodes get names.
*/
#include <stdio.h>
#include <string.h>

#include "common/nc_suggest.h"
#include "compiler/builtins.h"
#include "compiler/entries.h"

/* ----------------------------------------------------------------- train */

/* Optimizer settings with Keras's defaults. A schedule is a call such as
** cosine(steps=10000); `constant` keeps the rate. */
static const struct {
  const char *name;      /* as written in `train NAME(...)` */
  const char *signature; /* its settings */
} optimizers[] = {
    {"sgd", "lr:posfloat=0.01 schedule:call="},
    {"momentum", "lr:posfloat=0.01 momentum:rate=0.9 schedule:call="},
    {"nesterov", "lr:posfloat=0.01 momentum:rate=0.9 schedule:call="},
    {"adam", "lr:posfloat=0.001 beta1:rate=0.9 beta2:rate=0.999 "
             "epsilon:posfloat=1e-7 schedule:call="},
    {"adamw", "lr:posfloat=0.001 beta1:rate=0.9 beta2:rate=0.999 "
              "epsilon:posfloat=1e-7 weight_decay:float=0.004 schedule:call="},
    {"rmsprop", "lr:posfloat=0.001 rho:rate=0.9 momentum:rate=0 "
                "epsilon:posfloat=1e-7 schedule:call="},
    {"adagrad", "lr:posfloat=0.001 initial_accumulator:float=0.1 "
                "epsilon:posfloat=1e-7 schedule:call="},
};

static const struct {
  const char *name;      /* schedule function */
  const char *signature; /* its settings */
} schedules[] = {
    {"constant", ""},
    {"step_decay", "every:pos factor:posfloat=0.1"},
    {"exponential_decay", "factor:posfloat every:pos=1"},
    {"cosine_decay", "steps:pos min_lr:float=0"},
};

static const char *const train_settings =
    "batch:pos=32 epochs:pos=1 shuffle:bool=true seed:int=0 "
    "validation_split:rate=0 clip_norm:posfloat= clip_value:posfloat=";

/* Copies bound numeric arguments into a settings table (absent ones and
** the schedule are skipped). */
static int store_settings(cc_lower_ctx *L, const cc_args *args,
                          cc_setting **out, int *count) {
  *out = nc_arena_array(L->g->arena, (size_t)args->count + 1, sizeof **out);
  if (!*out) {
    L->out_of_memory = 1;
    return -1;
  }
  *count = 0;
  for (int i = 0; i < args->count; i++) {
    const cc_arg *a = &args->arg[i];
    int absent = !a->given && a->number == 0 && a->text == NULL &&
                 (strcmp(a->name, "clip_norm") == 0 || strcmp(a->name, "clip_value") == 0);
    if (a->expr || strcmp(a->name, "schedule") == 0 || absent) continue;
    cc_setting *s = &(*out)[(*count)++];
    s->key = nc_arena_strdup(L->g->arena, a->name);
    s->value = a->number;
    s->span = a->span;
    if (!s->key) {
      L->out_of_memory = 1;
      return -1;
    }
  }
  return 0;
}

/* The optimizer name of `adam` or `adam(...)`, with suggestions. */
static int find_optimizer(cc_lower_ctx *L, const gr_expr *e) {
  const gr_expr *callee = e->kind == GR_EXPR_CALL ? e->u.call.callee : e;
  if (callee->kind != GR_EXPR_NAME) {
    nc_error(L->sink, e->span, "expected an optimizer such as adam(lr=0.001)");
    return -1;
  }
  const char *names[sizeof optimizers / sizeof *optimizers];
  for (size_t i = 0; i < sizeof optimizers / sizeof *optimizers; i++) {
    names[i] = optimizers[i].name;
    if (strcmp(names[i], callee->u.name) == 0) return (int)i;
  }
  const char *close = nc_suggest(callee->u.name, names, sizeof names / sizeof *names);
  char hint[128];
  if (close)
    snprintf(hint, sizeof hint, "did you mean %s?", close);
  else
    snprintf(hint, sizeof hint, "use sgd, momentum, nesterov, adam, adamw, rmsprop or adagrad");
  nc_error_hint(L->sink, callee->span, hint, "unknown optimizer '%s'", callee->u.name);
  return -1;
}

/* A call expression for binding: `adam` alone binds no arguments. */
static gr_expr as_call(const gr_expr *e, const gr_arg *args, nc_span span) {
  gr_expr call;
  memset(&call, 0, sizeof call);
  call.kind = GR_EXPR_CALL;
  call.span = span;
  call.u.call.callee = (gr_expr *)e;
  call.u.call.args = (gr_arg *)args;
  return call;
}

static void lower_schedule(cc_lower_ctx *L, cc_scope *top, const cc_arg *a) {
  cc_train *t = &L->g->train;
  t->schedule = "constant";
  if (!a->text) return;
  int found = -1;
  const char *names[sizeof schedules / sizeof *schedules];
  for (size_t i = 0; i < sizeof schedules / sizeof *schedules; i++) {
    names[i] = schedules[i].name;
    if (strcmp(names[i], a->text) == 0) found = (int)i;
  }
  if (found < 0) {
    const char *close = nc_suggest(a->text, names, sizeof names / sizeof *names);
    char hint[96] = "use constant, step_decay, exponential_decay or cosine_decay";
    if (close) snprintf(hint, sizeof hint, "did you mean %s?", close);
    nc_error_hint(L->sink, a->span, hint, "unknown schedule '%s'", a->text);
    return;
  }
  gr_expr call = a->expr->kind == GR_EXPR_CALL ? *a->expr : as_call(a->expr, NULL, a->span);
  cc_args args;
  if (cc_bind_signature(L, top, schedules[found].name, schedules[found].signature,
                        &call, &args))
    return;
  t->schedule = schedules[found].name;
  store_settings(L, &args, &t->schedule_args, &t->n_schedule_args);
}

static void lower_train(cc_lower_ctx *L, cc_scope *top, const gr_stmt *s) {
  cc_graph *g = L->g;
  cc_train *t = &g->train;
  t->span = s->span;
  int opt = find_optimizer(L, s->u.train.optimizer);
  const gr_name *objective = &s->u.train.objective;
  int found = 0;
  for (int i = 0; i < g->n_outputs; i++) {
    if (strcmp(g->outputs[i].name, objective->text) != 0) continue;
    found = 1;
    if (g->outputs[i].kind == CC_LOSS)
      t->loss = i;
    else
      nc_error_hint(L->sink, objective->span, "declare it with 'loss NAME = ...'",
                    "'%s' is %s, not a loss", objective->text,
                    g->outputs[i].kind == CC_METRIC ? "a metric" : "an output");
  }
  const cc_binding *bound = cc_scope_own(top, objective->text);
  if (!found && bound && bound->value.kind == CC_VAL_ERROR) {
    /* The loss itself failed to compile; that error was reported. */
  } else if (!found) {
    const char *names[256];
    size_t n = 0;
    for (int i = 0; i < g->n_outputs && n < 256; i++)
      if (g->outputs[i].kind == CC_LOSS) names[n++] = g->outputs[i].name;
    const char *close = nc_suggest(objective->text, names, n);
    char hint[96] = "declare it with 'loss NAME = ...'";
    if (close) snprintf(hint, sizeof hint, "did you mean %s?", close);
    nc_error_hint(L->sink, objective->span, hint, "unknown loss '%s'", objective->text);
  }
  if (opt < 0) return;
  const gr_expr *o = s->u.train.optimizer;
  gr_expr call = o->kind == GR_EXPR_CALL ? *o : as_call(o, NULL, o->span);
  cc_args args;
  if (cc_bind_signature(L, top, optimizers[opt].name, optimizers[opt].signature,
                        &call, &args) == 0) {
    t->optimizer = optimizers[opt].name;
    store_settings(L, &args, &t->hyper, &t->n_hyper);
    lower_schedule(L, top, cc_args_get(&args, "schedule"));
  }
  gr_expr name = {.kind = GR_EXPR_NAME, .span = s->span, .depth = 1};
  name.u.name = "train";
  gr_expr with = as_call(&name, s->u.train.settings, s->span);
  if (cc_bind_signature(L, top, "train settings", train_settings, &with, &args) == 0)
    store_settings(L, &args, &t->settings, &t->n_settings);
  t->present = t->loss >= 0 && t->optimizer != NULL;
}

/* ---------------------------------------------------------------- freeze */

static int starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Which layers a freeze or copy name means: an import alias, a weight set
** or a layer name. Fills `prefix` for weight sets (else ""); returns 1 when
** the name is known. */
static int layer_selector(cc_lower_ctx *L, cc_scope *top, const char *name,
                          const char **alias, const char **prefix, int *layer) {
  *alias = NULL;
  *prefix = "";
  *layer = -1;
  cc_binding *b = cc_scope_own(top, name);
  if (b && b->value.kind == CC_VAL_MODULE) {
    b->used = 1;
    *alias = name;
    return 1;
  }
  if (b && b->value.kind == CC_VAL_WEIGHTS) {
    b->used = 1;
    *prefix = b->value.prefix;
    return 1;
  }
  *layer = cc_graph_find_layer(L->g, name);
  return *layer >= 0;
}

static int layer_selected(const cc_graph *g, int i, const char *alias,
                          const char *prefix, int layer) {
  const char *scope = g->layers[i].scope;
  size_t n = alias ? strlen(alias) : 0;
  /* "vgg" selects layers of vgg and of the files vgg imports ("vgg.base") */
  if (alias) return scope && strncmp(scope, alias, n) == 0 && (scope[n] == '\0' || scope[n] == '.');
  if (prefix[0]) return starts_with(g->layers[i].name, prefix);
  return i == layer;
}

static void report_unknown_selector(cc_lower_ctx *L, cc_scope *top,
                                    const gr_name *n, const char *what) {
  enum { MAX_NAMES = 512 };
  const char *names[MAX_NAMES];
  size_t count = 0;
  for (int i = 0; i < L->g->n_layers && count < MAX_NAMES; i++)
    names[count++] = L->g->layers[i].name;
  for (int i = 0; i < top->n_bindings && count < MAX_NAMES; i++)
    if (top->bindings[i].value.kind == CC_VAL_MODULE ||
        top->bindings[i].value.kind == CC_VAL_WEIGHTS)
      names[count++] = top->bindings[i].name;
  const char *close = nc_suggest(n->text, names, count);
  char hint[96] = "";
  if (close) snprintf(hint, sizeof hint, "did you mean %s?", close);
  nc_error_hint(L->sink, n->span, close ? hint : NULL,
                "%s: no layer, weight set or import named '%s'", what, n->text);
}

static void lower_freeze(cc_lower_ctx *L, cc_scope *top, const gr_stmt *s) {
  cc_graph *g = L->g;
  for (const gr_name *n = s->u.freeze.names; n; n = n->next) {
    const char *alias, *prefix;
    int layer;
    if (!layer_selector(L, top, n->text, &alias, &prefix, &layer)) {
      report_unknown_selector(L, top, n, "freeze");
      continue;
    }
    int matched = 0;
    for (int i = 0; i < g->n_layers; i++) {
      if (!layer_selected(g, i, alias, prefix, layer)) continue;
      matched++;
      for (int p = 0; p < g->layers[i].n_params; p++)
        g->params[g->layers[i].first_param + p].trainable = 0;
    }
    if (!matched)
      nc_warning(L->sink, n->span, "freeze '%s' matches no layer (none is used)", n->text);
  }
}

/* ----------------------------------------------------------------- steps */

/* Params of the selected layers, in creation order, with the part of the
** name that must match between source and target. */
static int collect_params(cc_lower_ctx *L, const char *alias, const char *prefix,
                          int layer, int *out, int max) {
  int n = 0;
  for (int i = 0; i < L->g->n_params && n < max; i++)
    if (layer_selected(L->g, L->g->params[i].layer, alias, prefix, layer))
      out[n++] = i;
  return n;
}

static const char *param_suffix(const cc_graph *g, int p, const char *prefix) {
  const cc_param *param = &g->params[p];
  return prefix[0] ? param->name + strlen(prefix) : param->short_name;
}

static void lower_copy(cc_lower_ctx *L, cc_scope *top, const gr_stmt *s,
                       cc_entry *entry) {
  cc_graph *g = L->g;
  const gr_name *names[2] = {&s->u.copy.target, &s->u.copy.source};
  int *params[2];
  int count[2];
  const char *prefix[2];
  for (int side = 0; side < 2; side++) {
    const char *alias;
    int layer;
    if (!layer_selector(L, top, names[side]->text, &alias, &prefix[side], &layer)) {
      report_unknown_selector(L, top, names[side], "weight copy");
      return;
    }
    params[side] = nc_arena_array(g->arena, (size_t)g->n_params + 1, sizeof *params[side]);
    if (!params[side]) {
      L->out_of_memory = 1;
      return;
    }
    count[side] = collect_params(L, alias, prefix[side], layer, params[side], g->n_params);
    if (count[side] == 0) {
      nc_error_hint(L->sink, names[side]->span, "a weight set gets weights when it is called",
                    "'%s' has no weights", names[side]->text);
      return;
    }
  }
  if (count[0] != count[1]) {
    nc_error(L->sink, s->span, "cannot copy '%s' (%d weights) to '%s' (%d weights)",
             names[1]->text, count[1], names[0]->text, count[0]);
    return;
  }
  cc_copy *copies = nc_arena_array(g->arena, (size_t)(entry->n_copies + count[0]),
                                   sizeof *copies);
  if (!copies) {
    L->out_of_memory = 1;
    return;
  }
  if (entry->n_copies) memcpy(copies, entry->copies, (size_t)entry->n_copies * sizeof *copies);
  for (int i = 0; i < count[0]; i++) {
    int dst = params[0][i], src = params[1][i];
    const cc_shape *ds = &g->nodes[g->params[dst].node].shape;
    const cc_shape *ss = &g->nodes[g->params[src].node].shape;
    if (strcmp(param_suffix(g, dst, prefix[0]), param_suffix(g, src, prefix[1])) != 0 ||
        !cc_shape_equal(ds, ss)) {
      nc_buf a, b;
      nc_buf_init(&a);
      nc_buf_init(&b);
      cc_format_type(&a, g, NETC_F32, ss);
      cc_format_type(&b, g, NETC_F32, ds);
      nc_error(L->sink, s->span, "cannot copy '%s' %s to '%s' %s",
               g->params[src].name, nc_buf_str(&a), g->params[dst].name, nc_buf_str(&b));
      if (a.failed || b.failed) L->out_of_memory = 1;
      nc_buf_release(&a);
      nc_buf_release(&b);
      return;
    }
    copies[entry->n_copies++] = (cc_copy){dst, src};
  }
  entry->copies = copies;
}

static cc_entry *add_entry(cc_lower_ctx *L, const char *name, cc_entry_kind kind,
                           nc_span span) {
  cc_entry *e = CC_PUSH(L->g, entries);
  if (!e) {
    L->out_of_memory = 1;
    return NULL;
  }
  e->name = name;
  e->kind = kind;
  e->span = span;
  return e;
}

static void lower_step(cc_lower_ctx *L, cc_scope *top, const gr_stmt *s) {
  const gr_name *name = &s->u.step.name;
  /* `train` is a keyword, so only these two can collide. */
  static const char *const reserved[] = {"predict", "evaluate"};
  for (int i = 0; i < 2; i++)
    if (strcmp(name->text, reserved[i]) == 0) {
      nc_error(L->sink, name->span, "'%s' is a built-in entry point; choose another name",
               name->text);
      return;
    }
  int existing = cc_graph_find_entry(L->g, name->text);
  if (existing >= 0) {
    nc_error(L->sink, name->span, "step '%s' is already defined", name->text);
    nc_diag_report(L->sink, NETC_SEVERITY_NOTE, L->g->entries[existing].span, NULL,
                   "the first one is here");
    return;
  }
  cc_entry *entry = add_entry(L, name->text, CC_ENTRY_STEP, s->span);
  if (!entry) return;
  for (const gr_stmt *c = s->u.step.body; c; c = c->next) {
    if (c->kind == GR_STMT_COPY)
      lower_copy(L, top, c, entry);
    else
      nc_error_hint(L->sink, c->span, "write target <- source",
                    "a step holds weight copies only");
  }
}

/* --------------------------------------------------------- entry points */

/* Fetches of one kind set (bit per cc_output_kind), and the inputs they
** need, found by walking the graph backwards. */
static void fill_entry(cc_lower_ctx *L, cc_entry *e, unsigned kinds,
                       unsigned char *seen) {
  cc_graph *g = L->g;
  int n = 0;
  for (int i = 0; i < g->n_outputs; i++)
    if (kinds & (1u << g->outputs[i].kind)) n++;
  e->fetches = nc_arena_array(g->arena, (size_t)n + 1, sizeof *e->fetches);
  e->feeds = nc_arena_array(g->arena, (size_t)g->n_inputs + 1, sizeof *e->feeds);
  if (!e->fetches || !e->feeds) {
    L->out_of_memory = 1;
    return;
  }
  memset(seen, 0, (size_t)g->n_nodes);
  for (int i = 0; i < g->n_outputs; i++)
    if (kinds & (1u << g->outputs[i].kind)) {
      e->fetches[e->n_fetches++] = g->outputs[i].node;
      seen[g->outputs[i].node] = 1;
    }
  /* Inputs precede their users, so one backward sweep marks everything. */
  for (int i = g->n_nodes - 1; i >= 0; i--)
    if (seen[i])
      for (int k = 0; k < g->nodes[i].n_inputs; k++) seen[g->nodes[i].inputs[k]] = 1;
  for (int i = 0; i < g->n_inputs; i++)
    if (seen[g->inputs[i].node]) e->feeds[e->n_feeds++] = i;
}

static void build_entries(cc_lower_ctx *L) {
  cc_graph *g = L->g;
  unsigned char *seen = nc_arena_alloc(g->arena, (size_t)g->n_nodes + 1);
  if (!seen) {
    L->out_of_memory = 1;
    return;
  }
  unsigned outputs = 1u << CC_OUTPUT;
  unsigned scored = (1u << CC_LOSS) | (1u << CC_METRIC);
  int has_scored = 0;
  for (int i = 0; i < g->n_outputs; i++) has_scored |= g->outputs[i].kind != CC_OUTPUT;
  cc_entry *e;
  if ((e = add_entry(L, "predict", CC_ENTRY_PREDICT, NC_NO_SPAN)))
    fill_entry(L, e, outputs, seen);
  if (has_scored && (e = add_entry(L, "evaluate", CC_ENTRY_EVALUATE, NC_NO_SPAN)))
    fill_entry(L, e, outputs | scored, seen);
  if (g->train.present && (e = add_entry(L, "train", CC_ENTRY_TRAIN, g->train.span)))
    fill_entry(L, e, scored, seen);
}

/* Warns when training could not change anything. */
static void check_trainable(cc_lower_ctx *L) {
  cc_graph *g = L->g;
  if (!g->train.present) return;
  int loss = g->outputs[g->train.loss].node;
  unsigned char *seen = nc_arena_alloc(g->arena, (size_t)g->n_nodes + 1);
  if (!seen) {
    L->out_of_memory = 1;
    return;
  }
  seen[loss] = 1;
  for (int i = loss; i >= 0; i--) {
    if (!seen[i]) continue;
    const cc_node *n = &g->nodes[i];
    if (n->op == CC_OP_PARAM && g->params[n->param].trainable) return;
    if (n->op == CC_OP_STOP_GRADIENT) continue;
    for (int k = 0; k < n->n_inputs; k++) seen[n->inputs[k]] = 1;
  }
  nc_warning(L->sink, g->train.span, "loss '%s' depends on no trainable weight",
             g->outputs[g->train.loss].name);
}

/* Anonymous nodes become "<op>_<n>", skipping names already taken. */
static void name_anonymous_nodes(cc_lower_ctx *L) {
  cc_graph *g = L->g;
  for (int i = 0; i < g->n_nodes && !L->out_of_memory; i++) {
    if (g->nodes[i].name) continue;
    const char *op = cc_op_get(g->nodes[i].op)->name;
    for (int k = nc_strmap_get(&L->name_counters, op) + 1;; k++) {
      char *name = nc_arena_printf(g->arena, "%s_%d", op, k);
      if (!name) {
        L->out_of_memory = 1;
        return;
      }
      if (nc_strmap_get(&L->node_names, name) >= 0) continue;
      cc_name_node(L, i, name);
      if (nc_strmap_put(&L->name_counters, op, k)) L->out_of_memory = 1;
      break;
    }
  }
}

void cc_finish_graph(cc_lower_ctx *L, cc_scope *top, const gr_module *main) {
  if (L->train_stmt) lower_train(L, top, L->train_stmt);
  for (const gr_stmt *s = main->stmts; s && !L->out_of_memory; s = s->next)
    if (s->kind == GR_STMT_FREEZE) lower_freeze(L, top, s);
  build_entries(L);
  for (const gr_stmt *s = main->stmts; s && !L->out_of_memory; s = s->next)
    if (s->kind == GR_STMT_STEP) lower_step(L, top, s);
  if (!L->out_of_memory) check_trainable(L);
  name_anonymous_nodes(L);
}
