/*
** lower.c: names, expressions, blocks and statements become graph nodes.
**
** Scopes: a file has one scope; each block expansion gets a fresh scope whose
** parent is the scope the block was declared in. A block body sees its
** arguments, its own variables and the blocks, consts and imports of its
** file, never the file's tensors (they must be passed as arguments).
** Errors poison the nodes they produce so one mistake is reported once.
*/
#include <stdio.h>
#include <string.h>

#include "common/nc_suggest.h"
#include "compiler/entries.h"
#include "compiler/lower_ctx.h"

cc_value cc_value_error(void) {
  cc_value v = {.kind = CC_VAL_ERROR};
  return v;
}

cc_value cc_value_tensor(int node) {
  cc_value v = {.kind = node < 0 ? CC_VAL_ERROR : CC_VAL_TENSOR, .node = node};
  return v;
}

static cc_value number_value(double x, int is_integer) {
  cc_value v = {.kind = CC_VAL_NUMBER, .number = x, .is_integer = is_integer};
  return v;
}

/* ---------------------------------------------------------------- scopes */

static cc_scope *scope_new(cc_lower_ctx *L, cc_scope *parent,
                           const char *prefix, const char *alias, int file) {
  cc_scope *s = nc_arena_alloc(L->g->arena, sizeof *s);
  if (!s) {
    L->out_of_memory = 1;
    return NULL;
  }
  s->parent = parent;
  nc_strmap_init(&s->names, L->g->arena);
  nc_strmap_init(&s->assign_counts, L->g->arena);
  s->prefix = prefix;
  s->alias = alias;
  s->file = file;
  return s;
}

/* Adds a binding; `what` names its kind in messages. */
static cc_binding *scope_bind(cc_lower_ctx *L, cc_scope *s, const char *name,
                              nc_span span, cc_value value, const char *what,
                              int warn_unused) {
  if (s->n_bindings == s->cap_bindings) {
    int cap = s->cap_bindings ? s->cap_bindings * 2 : 16;
    cc_binding *grown = nc_arena_array(L->g->arena, (size_t)cap, sizeof *grown);
    if (!grown) {
      L->out_of_memory = 1;
      return NULL;
    }
    if (s->n_bindings) memcpy(grown, s->bindings, (size_t)s->n_bindings * sizeof *grown);
    s->bindings = grown;
    s->cap_bindings = cap;
  }
  cc_binding *b = &s->bindings[s->n_bindings];
  b->name = name;
  b->span = span;
  b->value = value;
  b->what = what;
  b->warn_unused = warn_unused;
  if (nc_strmap_put(&s->names, name, s->n_bindings)) {
    L->out_of_memory = 1;
    return NULL;
  }
  s->n_bindings++;
  return b;
}

cc_binding *cc_scope_own(cc_scope *s, const char *name) {
  int i = nc_strmap_get(&s->names, name);
  return i < 0 ? NULL : &s->bindings[i];
}

/* Looks a name up through the parents. Crossing out of a block hides the
** enclosing file's tensors; *hidden is set when that is why it failed. */
static cc_binding *scope_lookup(cc_scope *s, const char *name, int *hidden) {
  int crossed = 0;
  *hidden = 0;
  for (; s; s = s->parent) {
    cc_binding *b = cc_scope_own(s, name);
    if (b && crossed && b->value.kind == CC_VAL_TENSOR) {
      *hidden = 1;
      return NULL;
    }
    if (b) {
      b->used = 1;
      return b;
    }
    crossed = 1;
  }
  return NULL;
}

/* Every name visible from s plus the built-ins, for suggestions. */
static const char *suggest_name(cc_lower_ctx *L, cc_scope *s, const char *word,
                                int with_builtins) {
  enum { MAX_CANDIDATES = 512 };
  const char *cand[MAX_CANDIDATES];
  size_t n = 0;
  for (cc_scope *p = s; p; p = p->parent)
    for (int i = 0; i < p->n_bindings && n < MAX_CANDIDATES; i++)
      cand[n++] = p->bindings[i].name;
  if (with_builtins)
    for (const char *const *b = cc_builtin_names(); *b && n < MAX_CANDIDATES; b++)
      cand[n++] = *b;
  (void)L;
  return nc_suggest(word, cand, n);
}

static const char *value_kind_text(cc_value_kind kind) {
  switch (kind) {
  case CC_VAL_ERROR: return "an error";
  case CC_VAL_TENSOR: return "a tensor";
  case CC_VAL_NUMBER: return "a number";
  case CC_VAL_STRING: return "a string";
  case CC_VAL_LIST: return "a list";
  case CC_VAL_BLOCK: return "a block";
  case CC_VAL_WEIGHTS: return "a weight set";
  case CC_VAL_MODULE: return "an imported file";
  }
  return "a value";
}

/* ----------------------------------------------------------------- nodes */

int cc_is_poisoned(const cc_lower_ctx *L, int node) {
  return node < 0 || (node < L->cap_poisoned && L->poisoned[node]);
}

static int poison(cc_lower_ctx *L, int node) {
  if (node >= L->cap_poisoned) {
    int cap = L->cap_poisoned ? L->cap_poisoned * 2 : 256;
    while (cap <= node) cap *= 2;
    unsigned char *grown = nc_arena_alloc(L->g->arena, (size_t)cap);
    if (!grown) {
      L->out_of_memory = 1;
      return -1;
    }
    if (L->cap_poisoned) memcpy(grown, L->poisoned, (size_t)L->cap_poisoned);
    L->poisoned = grown;
    L->cap_poisoned = cap;
  }
  L->poisoned[node] = 1;
  return 0;
}

int cc_emit_attr(cc_lower_ctx *L, cc_op op, const int *inputs, int n_inputs,
                 const cc_attrs *attr, nc_span span, const char *origin,
                 int layer) {
  int node = cc_graph_add_node(L->g, op, inputs, n_inputs, span);
  if (node < 0) {
    L->out_of_memory = 1;
    return -1;
  }
  cc_node *n = &L->g->nodes[node];
  n->origin = origin;
  n->layer = layer;
  if (attr) n->attr = *attr;
  for (int i = 0; i < n_inputs; i++)
    if (cc_is_poisoned(L, inputs[i])) return poison(L, node) ? -1 : node;
  cc_infer_error err;
  if (cc_infer(L->g, node, &err) != 0) {
    if (err.out_of_memory) L->out_of_memory = 1;
    nc_error_hint(L->sink, span, err.hint[0] ? err.hint : NULL, "%s", err.message);
    if (poison(L, node)) return -1;
  }
  return node;
}

int cc_emit(cc_lower_ctx *L, cc_op op, const int *inputs, int n_inputs,
            nc_span span, const char *origin, int layer) {
  return cc_emit_attr(L, op, inputs, n_inputs, NULL, span, origin, layer);
}

void cc_name_node(cc_lower_ctx *L, int node, const char *name) {
  if (node < 0 || L->g->nodes[node].name) return;
  if (nc_strmap_get(&L->node_names, name) >= 0) return;
  if (nc_strmap_put(&L->node_names, name, node)) {
    L->out_of_memory = 1;
    return;
  }
  L->g->nodes[node].name = name;
}

int cc_value_to_node(cc_lower_ctx *L, cc_value v, int like, nc_span span) {
  switch (v.kind) {
  case CC_VAL_ERROR: return -1;
  case CC_VAL_TENSOR: return v.node;
  case CC_VAL_NUMBER: {
    /* A literal adopts its partner's dtype when it fits: 1 - done is f32,
    ** labels + 1 is i32. */
    netc_dtype dtype = NETC_F32;
    if (like >= 0 && L->g->nodes[like].dtype == NETC_I32 && v.is_integer)
      dtype = NETC_I32;
    int node = cc_graph_add_node(L->g, CC_OP_CONST, NULL, 0, span);
    if (node < 0) {
      L->out_of_memory = 1;
      return -1;
    }
    L->g->nodes[node].dtype = dtype;
    L->g->nodes[node].attr.constant.value = v.number;
    return node;
  }
  default: {
    const char *hint = v.kind == CC_VAL_BLOCK || v.kind == CC_VAL_WEIGHTS
                           ? "call it with its arguments, e.g. name(x)"
                           : NULL;
    nc_error_hint(L->sink, span, hint, "expected a tensor, got %s",
                  value_kind_text(v.kind));
    return -1;
  }
  }
}

/* ----------------------------------------------------------- expressions */

static cc_value lower_name(cc_lower_ctx *L, cc_scope *scope, const gr_expr *e) {
  int hidden;
  cc_binding *b = scope_lookup(scope, e->u.name, &hidden);
  if (b) return b->value;
  if (hidden) {
    nc_error_hint(L->sink, e->span, "pass it to the block as an argument",
                  "block bodies cannot use the file's tensor '%s'", e->u.name);
    return cc_value_error();
  }
  const char *const *builtins = cc_builtin_names();
  for (size_t i = 0; builtins[i]; i++)
    if (strcmp(builtins[i], e->u.name) == 0) {
      char hint[96];
      snprintf(hint, sizeof hint, "call it: %s(x)", e->u.name);
      nc_error_hint(L->sink, e->span, hint, "'%s' is a function, not a value",
                    e->u.name);
      return cc_value_error();
    }
  const char *close = suggest_name(L, scope, e->u.name, 0);
  char hint[96] = "";
  if (close) snprintf(hint, sizeof hint, "did you mean %s?", close);
  nc_error_hint(L->sink, e->span, close ? hint : NULL, "unknown name '%s'",
                e->u.name);
  return cc_value_error();
}

/* Members of an imported file: its blocks and consts. */
static cc_value lower_member(cc_lower_ctx *L, cc_scope *scope,
                             const gr_expr *e) {
  cc_value object = cc_lower_expr(L, scope, e->u.member.object);
  if (object.kind == CC_VAL_ERROR) return object;
  const char *member = e->u.member.member.text;
  if (object.kind != CC_VAL_MODULE) {
    nc_error(L->sink, e->span, "%s has no members (only imports do)",
             value_kind_text(object.kind));
    return cc_value_error();
  }
  cc_binding *b = cc_scope_own(object.home, member);
  if (b && (b->value.kind == CC_VAL_BLOCK || b->value.kind == CC_VAL_NUMBER ||
            b->value.kind == CC_VAL_MODULE)) {
    b->used = 1;
    return b->value;
  }
  const char *close = suggest_name(L, object.home, member, 0);
  char hint[96] = "";
  if (close) snprintf(hint, sizeof hint, "did you mean %s?", close);
  nc_error_hint(L->sink, e->u.member.member.span, close ? hint : NULL,
                "'%s' has no block or const named '%s'",
                object.home->alias ? object.home->alias : "import", member);
  return cc_value_error();
}

static cc_op binop_to_op(gr_binop op) {
  switch (op) {
  case GR_OP_ADD: return CC_OP_ADD;
  case GR_OP_SUB: return CC_OP_SUB;
  case GR_OP_MUL: return CC_OP_MUL;
  case GR_OP_DIV: return CC_OP_DIV;
  case GR_OP_LT: return CC_OP_LESS;
  case GR_OP_GT: return CC_OP_GREATER;
  case GR_OP_LE: return CC_OP_LESS_EQUAL;
  case GR_OP_GE: return CC_OP_GREATER_EQUAL;
  case GR_OP_EQ: return CC_OP_EQUAL;
  case GR_OP_NE: return CC_OP_NOT_EQUAL;
  case GR_OP_NEG: return CC_OP_NEG;
  case GR_OP_POS: break;
  }
  return CC_OP_COUNT;
}

/* Compile-time arithmetic on two numbers (consts and literals). */
static cc_value fold(cc_lower_ctx *L, gr_binop op, cc_value a, cc_value b,
                     nc_span span) {
  int ints = a.is_integer && b.is_integer;
  switch (op) {
  case GR_OP_ADD: return number_value(a.number + b.number, ints);
  case GR_OP_SUB: return number_value(a.number - b.number, ints);
  case GR_OP_MUL: return number_value(a.number * b.number, ints);
  case GR_OP_DIV:
    if (b.number == 0) {
      nc_error(L->sink, span, "division by zero in a constant expression");
      return cc_value_error();
    }
    return number_value(a.number / b.number, 0);
  case GR_OP_LT: return number_value(a.number < b.number, 1);
  case GR_OP_GT: return number_value(a.number > b.number, 1);
  case GR_OP_LE: return number_value(a.number <= b.number, 1);
  case GR_OP_GE: return number_value(a.number >= b.number, 1);
  case GR_OP_EQ: return number_value(a.number == b.number, 1);
  case GR_OP_NE: return number_value(a.number != b.number, 1);
  case GR_OP_NEG: case GR_OP_POS: break;
  }
  return cc_value_error();
}

static cc_value lower_operator(cc_lower_ctx *L, cc_scope *scope,
                               const gr_expr *e) {
  int unary = e->kind == GR_EXPR_UNARY;
  gr_binop op = unary ? e->u.unary.op : e->u.binary.op;
  const gr_expr *lhs_expr = unary ? e->u.unary.operand : e->u.binary.lhs;
  cc_value lhs = cc_lower_expr(L, scope, lhs_expr);
  cc_value rhs = unary ? number_value(0, 1) : cc_lower_expr(L, scope, e->u.binary.rhs);
  if (lhs.kind == CC_VAL_ERROR || rhs.kind == CC_VAL_ERROR) return cc_value_error();
  if (unary && op == GR_OP_POS) return lhs;
  if (lhs.kind == CC_VAL_NUMBER && rhs.kind == CC_VAL_NUMBER)
    return unary ? number_value(-lhs.number, lhs.is_integer)
                 : fold(L, op, lhs, rhs, e->span);
  const char *origin = nc_arena_printf(L->g->arena, "operator %s", gr_binop_text(op));
  if (!origin) {
    L->out_of_memory = 1;
    return cc_value_error();
  }
  int like = lhs.kind == CC_VAL_TENSOR ? lhs.node : rhs.kind == CC_VAL_TENSOR ? rhs.node : -1;
  int in[2];
  in[0] = cc_value_to_node(L, lhs, like, lhs_expr->span);
  if (in[0] < 0) return cc_value_error();
  if (!unary) {
    in[1] = cc_value_to_node(L, rhs, like, e->u.binary.rhs->span);
    if (in[1] < 0) return cc_value_error();
  }
  return cc_value_tensor(cc_emit(L, binop_to_op(op), in, unary ? 1 : 2, e->span,
                              origin, -1));
}

static cc_value expand_block(cc_lower_ctx *L, cc_scope *caller, cc_value block,
                             const gr_expr *call);

static cc_value lower_call(cc_lower_ctx *L, cc_scope *scope, const gr_expr *e,
                           const char *var_name) {
  const gr_expr *callee = e->u.call.callee;
  if (callee->kind == GR_EXPR_NAME) {
    int hidden;
    cc_binding *b = scope_lookup(scope, callee->u.name, &hidden);
    if (!b && !hidden) {
      int found;
      cc_value v = cc_lower_builtin(L, scope, e, callee->u.name, var_name, &found);
      if (found) return v;
      const char *close = suggest_name(L, scope, callee->u.name, 1);
      char hint[96] = "";
      if (close) snprintf(hint, sizeof hint, "did you mean %s?", close);
      nc_error_hint(L->sink, callee->span, close ? hint : NULL,
                    "unknown function '%s'", callee->u.name);
      return cc_value_error();
    }
  }
  cc_value fn = cc_lower_expr(L, scope, callee);
  if (fn.kind == CC_VAL_ERROR) return fn;
  if (fn.kind != CC_VAL_BLOCK && fn.kind != CC_VAL_WEIGHTS) {
    nc_error(L->sink, callee->span, "%s cannot be called",
             value_kind_text(fn.kind));
    return cc_value_error();
  }
  return expand_block(L, scope, fn, e);
}

cc_value cc_lower_expr(cc_lower_ctx *L, cc_scope *scope, const gr_expr *e) {
  if (L->out_of_memory) return cc_value_error();
  switch (e->kind) {
  case GR_EXPR_NUMBER: return number_value(e->u.number.value, e->u.number.is_integer);
  case GR_EXPR_STRING: {
    cc_value v = {.kind = CC_VAL_STRING, .expr = e};
    return v;
  }
  case GR_EXPR_LIST: {
    cc_value v = {.kind = CC_VAL_LIST, .expr = e};
    return v;
  }
  case GR_EXPR_NAME: return lower_name(L, scope, e);
  case GR_EXPR_MEMBER: return lower_member(L, scope, e);
  case GR_EXPR_CALL: return lower_call(L, scope, e, NULL);
  case GR_EXPR_UNARY:
  case GR_EXPR_BINARY: return lower_operator(L, scope, e);
  }
  return cc_value_error();
}

/* ---------------------------------------------------------------- blocks */

static void lower_body(cc_lower_ctx *L, cc_scope *scope, const gr_stmt *body,
                       int in_block, cc_value *result);
static void report_unused(cc_lower_ctx *L, cc_scope *scope);

/* Binds a call's arguments to the block's parameters (positional first,
** then by name); numbers, blocks and weight sets pass through as they are. */
static int bind_block_args(cc_lower_ctx *L, cc_scope *caller, cc_scope *inner,
                           const gr_stmt *block, const gr_expr *call) {
  const char *name = block->u.block.name.text;
  int n_params = 0;
  for (const gr_name *p = block->u.block.params; p; p = p->next) n_params++;
  const gr_arg *given[64] = {0};
  if (n_params > 64) n_params = 64;
  int positional = 0, failed = 0, seen_keyword = 0;
  for (const gr_arg *a = call->u.call.args; a; a = a->next) {
    int slot = -1, i = 0;
    if (!a->keyword && seen_keyword) {
      nc_error(L->sink, a->value->span,
               "positional argument after keyword arguments in block '%s'", name);
      failed = 1;
      continue;
    }
    if (a->keyword) {
      seen_keyword = 1;
      for (const gr_name *p = block->u.block.params; p && i < n_params; p = p->next, i++)
        if (strcmp(p->text, a->keyword->text) == 0) slot = i;
      if (slot < 0) {
        nc_error(L->sink, a->keyword->span, "block '%s' has no parameter '%s'",
                 name, a->keyword->text);
        failed = 1;
        continue;
      }
    } else {
      slot = positional++;
    }
    if (slot >= n_params) {
      nc_error(L->sink, a->value->span, "block '%s' takes %d argument%s, got more",
               name, n_params, n_params == 1 ? "" : "s");
      failed = 1;
      continue;
    }
    if (given[slot]) {
      const gr_name *p = block->u.block.params;
      for (int k = 0; k < slot; k++) p = p->next;
      nc_error(L->sink, a->value->span, "parameter '%s' of block '%s' is given twice",
               p->text, name);
      failed = 1;
      continue;
    }
    given[slot] = a;
  }
  int i = 0, misplaced = failed;
  for (const gr_name *p = block->u.block.params; p && i < n_params; p = p->next, i++) {
    if (!given[i]) {
      /* After a misplaced argument, a "missing" one is only its echo. */
      if (!misplaced)
        nc_error(L->sink, call->span, "block '%s' needs argument '%s'", name, p->text);
      failed = 1;
      continue;
    }
    cc_value v = cc_lower_expr(L, caller, given[i]->value);
    if (v.kind == CC_VAL_ERROR) failed = 1;
    if (!scope_bind(L, inner, p->text, p->span, v, "parameter", 0)) return -1;
  }
  return failed ? -1 : 0;
}

/* Counts assignments per variable of a statement list: a layer takes its
** variable's name only when that variable is assigned once. */
static void count_assignments(cc_lower_ctx *L, cc_scope *scope,
                              const gr_stmt *body) {
  for (const gr_stmt *s = body; s; s = s->next) {
    if (s->kind != GR_STMT_ASSIGN) continue;
    int n = nc_strmap_get(&scope->assign_counts, s->u.bind.name.text);
    if (nc_strmap_put(&scope->assign_counts, s->u.bind.name.text, n < 0 ? 1 : n + 1))
      L->out_of_memory = 1;
  }
}

static cc_value expand_block(cc_lower_ctx *L, cc_scope *caller, cc_value fn,
                             const gr_expr *call) {
  const gr_stmt *block = fn.block;
  const char *name = block->u.block.name.text;
  for (int i = 0; i < L->n_expanding; i++)
    if (L->expanding[i] == block) {
      nc_error_hint(L->sink, call->span, "blocks cannot call themselves",
                    "block '%s' is recursive", name);
      return cc_value_error();
    }
  if (L->n_expanding == (int)(sizeof L->expanding / sizeof *L->expanding)) {
    nc_error(L->sink, call->span, "blocks nested too deeply");
    return cc_value_error();
  }
  /* Direct calls run in the caller's weight set; a weight set adds its own. */
  const char *prefix = caller->prefix;
  if (fn.kind == CC_VAL_WEIGHTS) {
    prefix = nc_arena_printf(L->g->arena, "%s%s", caller->prefix, fn.prefix);
    if (!prefix) {
      L->out_of_memory = 1;
      return cc_value_error();
    }
  }
  cc_scope *inner = scope_new(L, fn.home, prefix, fn.home->alias, fn.home->file);
  if (!inner) return cc_value_error();
  if (bind_block_args(L, caller, inner, block, call)) return cc_value_error();
  L->expanding[L->n_expanding++] = block;
  count_assignments(L, inner, block->u.block.body);
  cc_value result = cc_value_error();
  int first = 1;
  for (const gr_stmt *s = block->u.block.body; s; s = s->next)
    if (s->kind == GR_STMT_RETURN) first = 0;
  if (first) {
    nc_error_hint(L->sink, block->u.block.name.span,
                  "end the block with 'return <expression>'",
                  "block '%s' does not return a value", name);
  } else {
    lower_body(L, inner, block->u.block.body, 1, &result);
    report_unused(L, inner);
  }
  L->n_expanding--;
  return result;
}

/* ------------------------------------------------------------ statements */

static const char *statement_word(gr_stmt_kind kind) {
  switch (kind) {
  case GR_STMT_IMPORT: return "import";
  case GR_STMT_INPUT: return "input";
  case GR_STMT_CONST: return "const";
  case GR_STMT_ASSIGN: return "assignment";
  case GR_STMT_OUTPUT: return "output";
  case GR_STMT_LOSS: return "loss";
  case GR_STMT_METRIC: return "metric";
  case GR_STMT_TRAIN: return "train";
  case GR_STMT_FREEZE: return "freeze";
  case GR_STMT_BLOCK: return "block";
  case GR_STMT_RETURN: return "return";
  case GR_STMT_STEP: return "step";
  case GR_STMT_COPY: return "weight copy (<-)";
  }
  return "statement";
}

/* Variables and block parameters may be assigned again; other names not. */
static int check_redefinition(cc_lower_ctx *L, cc_scope *scope,
                              const gr_name *name, const char *what) {
  cc_binding *old = cc_scope_own(scope, name->text);
  if (!old) return 0;
  int rebindable = strcmp(old->what, "variable") == 0 || strcmp(old->what, "parameter") == 0;
  if (rebindable && strcmp(what, "variable") == 0) return 0;
  nc_error(L->sink, name->span, "'%s' is already defined as %s %s", name->text,
           strchr("aeiou", old->what[0]) ? "an" : "a", old->what);
  nc_diag_report(L->sink, NETC_SEVERITY_NOTE, old->span, NULL,
                 "'%s' is defined here", name->text);
  return -1;
}

static void lower_input(cc_lower_ctx *L, cc_scope *scope, const gr_stmt *s) {
  const gr_type *t = &s->u.input.type;
  static const char *const dtype_names[] = {"f32", "i32", "u8", "bool"};
  int dtype = -1;
  for (int i = 0; i < 4; i++)
    if (strcmp(t->dtype.text, dtype_names[i]) == 0) dtype = i;
  if (dtype < 0) {
    const char *close = nc_suggest(t->dtype.text, dtype_names, 4);
    char hint[64] = "use f32, i32, u8 or bool";
    if (close) snprintf(hint, sizeof hint, "did you mean %s?", close);
    nc_error_hint(L->sink, t->dtype.span, hint, "unknown dtype '%s'", t->dtype.text);
  }
  if (t->rank > CC_MAX_RANK)
    nc_error(L->sink, t->span, "inputs have at most %d dims, got %d", CC_MAX_RANK, t->rank);
  cc_shape shape = {0, {0}};
  for (const gr_dim *d = t->dims; d && shape.rank < CC_MAX_RANK; d = d->next) {
    int64_t size = d->size;
    if (d->symbol) {
      int sym = cc_graph_symbol(L->g, d->symbol);
      if (sym < 0) {
        L->out_of_memory = 1;
        return;
      }
      size = CC_DIM_SYMBOL(sym);
    }
    shape.dim[shape.rank++] = size;
  }
  int ok = dtype >= 0 && t->rank <= CC_MAX_RANK;
  double elements = 1;
  for (int d = 0; d < shape.rank; d++)
    if (!CC_DIM_IS_SYMBOL(shape.dim[d])) elements *= (double)shape.dim[d];
  if (ok && elements > (double)(1LL << 40)) {
    nc_error(L->sink, t->span, "input type is too large (more than 2^40 elements)");
    ok = 0;
  }
  for (const gr_name *n = s->u.input.names; n; n = n->next) {
    if (check_redefinition(L, scope, n, "input")) continue;
    int node = cc_graph_add_node(L->g, CC_OP_INPUT, NULL, 0, n->span);
    cc_input *in = CC_PUSH(L->g, inputs);
    if (node < 0 || !in) {
      L->out_of_memory = 1;
      return;
    }
    L->g->nodes[node].dtype = ok ? (netc_dtype)dtype : NETC_F32;
    L->g->nodes[node].shape = shape;
    L->g->nodes[node].input = L->g->n_inputs - 1;
    L->g->nodes[node].origin = "input";
    if (!ok && poison(L, node)) return;
    in->name = n->text;
    in->node = node;
    in->span = s->span;
    cc_name_node(L, node, n->text);
    scope_bind(L, scope, n->text, n->span, cc_value_tensor(node), "input", 1);
  }
}

static void lower_import(cc_lower_ctx *L, cc_scope *scope, const gr_stmt *s);

static void lower_assign(cc_lower_ctx *L, cc_scope *scope, const gr_stmt *s) {
  const gr_name *name = &s->u.bind.name;
  const gr_expr *rhs = s->u.bind.value;
  if (check_redefinition(L, scope, name, "variable")) return;
  cc_value v;
  int once = nc_strmap_get(&scope->assign_counts, name->text) == 1;
  if (rhs->kind == GR_EXPR_CALL)
    v = lower_call(L, scope, rhs, once ? name->text : NULL);
  else
    v = cc_lower_expr(L, scope, rhs);
  const char *what = "variable";
  if (v.kind == CC_VAL_BLOCK) {
    /* `online = qnet`: a weight set, the block with weights of its own. */
    v.kind = CC_VAL_WEIGHTS;
    v.prefix = nc_arena_printf(L->g->arena, "%s/", name->text);
    what = "weight set";
  } else if (v.kind == CC_VAL_WEIGHTS) {
    what = "weight set"; /* `shared = online`: the same weights */
  } else if (v.kind == CC_VAL_TENSOR) {
    cc_name_node(L, v.node, name->text);
  } else if (v.kind != CC_VAL_ERROR && v.kind != CC_VAL_NUMBER) {
    nc_error(L->sink, rhs->span, "cannot assign %s to a variable", value_kind_text(v.kind));
    v = cc_value_error();
  }
  cc_binding *old = cc_scope_own(scope, name->text);
  if (old && old->warn_unused && !old->used && old->value.kind != CC_VAL_ERROR &&
      !L->sink->errors)
    nc_warning(L->sink, old->span, "value assigned to '%s' is never used", name->text);
  if (old) old->warn_unused = 0;
  scope_bind(L, scope, name->text, name->span, v, what, 1);
}

static void lower_const(cc_lower_ctx *L, cc_scope *scope, const gr_stmt *s) {
  const gr_name *name = &s->u.bind.name;
  if (check_redefinition(L, scope, name, "const")) return;
  cc_value v = cc_lower_expr(L, scope, s->u.bind.value);
  if (v.kind != CC_VAL_NUMBER && v.kind != CC_VAL_ERROR) {
    nc_error_hint(L->sink, s->u.bind.value->span,
                  "use a plain assignment for tensors",
                  "const '%s' must be a number known at compile time", name->text);
    v = cc_value_error();
  }
  /* Not reported when unused: a library's consts serve blocks not called. */
  scope_bind(L, scope, name->text, name->span, v, "const", 0);
}

static void declare_block(cc_lower_ctx *L, cc_scope *scope, const gr_stmt *s) {
  const gr_name *name = &s->u.block.name;
  if (check_redefinition(L, scope, name, "block")) return;
  cc_value v = {.kind = CC_VAL_BLOCK, .block = s, .home = scope};
  scope_bind(L, scope, name->text, name->span, v, "block", 0);
}

/* output, loss and metric declarations. */
static void lower_declaration(cc_lower_ctx *L, cc_scope *scope, const gr_stmt *s) {
  const gr_name *name = &s->u.bind.name;
  cc_output_kind kind = s->kind == GR_STMT_OUTPUT ? CC_OUTPUT
                        : s->kind == GR_STMT_LOSS ? CC_LOSS : CC_METRIC;
  const char *what = s->kind == GR_STMT_OUTPUT ? "output"
                     : s->kind == GR_STMT_LOSS ? "loss" : "metric";
  if (check_redefinition(L, scope, name, what)) return;
  cc_value v = cc_lower_expr(L, scope, s->u.bind.value);
  int node = cc_value_to_node(L, v, -1, s->u.bind.value->span);
  if (node >= 0 && kind != CC_OUTPUT && !cc_is_poisoned(L, node) &&
      L->g->nodes[node].shape.rank != 0) {
    nc_buf type;
    nc_buf_init(&type);
    cc_format_type(&type, L->g, L->g->nodes[node].dtype, &L->g->nodes[node].shape);
    nc_error_hint(L->sink, s->u.bind.value->span, "reduce it, e.g. reduce_mean(...)",
                  "%s '%s' must be a scalar, got %s", what, name->text,
                  nc_buf_str(&type));
    if (type.failed) L->out_of_memory = 1;
    nc_buf_release(&type);
    node = -1;
  }
  scope_bind(L, scope, name->text, name->span, cc_value_tensor(node), what, 0);
  if (node < 0) return;
  cc_output *out = CC_PUSH(L->g, outputs);
  if (!out) {
    L->out_of_memory = 1;
    return;
  }
  out->name = name->text;
  out->kind = kind;
  out->node = node;
  out->span = s->span;
  cc_name_node(L, node, name->text);
}

/* Statements of a file, a block body or a step body; `in_block` selects
** which are allowed. *result gets a block's return value. */
static void lower_body(cc_lower_ctx *L, cc_scope *scope, const gr_stmt *body,
                       int in_block, cc_value *result) {
  for (const gr_stmt *s = body; s && !L->out_of_memory && !nc_diag_full(L->sink);
       s = s->next) {
    int allowed = in_block ? s->kind == GR_STMT_ASSIGN || s->kind == GR_STMT_CONST ||
                                 s->kind == GR_STMT_RETURN
                           : s->kind != GR_STMT_RETURN && s->kind != GR_STMT_COPY;
    if (!allowed) {
      const char *where = in_block ? "inside a block" : "at the top level";
      const char *hint = s->kind == GR_STMT_COPY ? "put weight copies in a step: step name { a <- b }"
                         : s->kind == GR_STMT_RETURN ? "return ends a block"
                         : NULL;
      nc_error_hint(L->sink, s->span, hint, "%s is not allowed %s",
                    statement_word(s->kind), where);
      continue;
    }
    switch (s->kind) {
    case GR_STMT_IMPORT: lower_import(L, scope, s); break;
    case GR_STMT_INPUT: lower_input(L, scope, s); break;
    case GR_STMT_CONST: lower_const(L, scope, s); break;
    case GR_STMT_ASSIGN: lower_assign(L, scope, s); break;
    case GR_STMT_OUTPUT:
    case GR_STMT_LOSS:
    case GR_STMT_METRIC: lower_declaration(L, scope, s); break;
    case GR_STMT_BLOCK: break; /* declared before the body runs */
    case GR_STMT_RETURN:
      *result = cc_lower_expr(L, scope, s->u.ret.value);
      if (s->next)
        nc_error(L->sink, s->next->span, "statement after return is never run");
      return;
    case GR_STMT_TRAIN:
      if (L->train_stmt) {
        nc_error(L->sink, s->span, "the model already has a train declaration");
        nc_diag_report(L->sink, NETC_SEVERITY_NOTE, L->train_stmt->span, NULL,
                       "the first one is here");
      } else {
        L->train_stmt = s; /* settled once every loss is known */
      }
      break;
    case GR_STMT_FREEZE: break; /* applied once every layer exists */
    case GR_STMT_STEP: break;   /* built with the entry points */
    case GR_STMT_COPY: break;   /* only inside steps */
    }
  }
}

/* Unused names are reported only when everything else compiled: after an
** error, a name's uses may be in code that never got lowered. */
static void report_unused(cc_lower_ctx *L, cc_scope *scope) {
  if (L->sink->errors) return;
  for (int i = 0; i < scope->n_bindings; i++) {
    cc_binding *b = &scope->bindings[i];
    if (b->warn_unused && !b->used && b->value.kind != CC_VAL_ERROR)
      nc_warning(L->sink, b->span, "%s '%s' is never used", b->what, b->name);
  }
}

/* Blocks first, so that a block may be called above its declaration. */
static void declare_blocks(cc_lower_ctx *L, cc_scope *scope, const gr_stmt *body) {
  for (const gr_stmt *s = body; s; s = s->next)
    if (s->kind == GR_STMT_BLOCK) declare_block(L, scope, s);
}

/* An imported file contributes its blocks, consts and imports; its inputs,
** outputs and training settings belong to it alone and are skipped. */
static void lower_import(cc_lower_ctx *L, cc_scope *scope, const gr_stmt *s) {
  const gr_name *alias = &s->u.import.alias;
  if (check_redefinition(L, scope, alias, "import")) return;
  gr_module *m = L->import(L->import_ctx, s->u.import.path, scope->file,
                           s->u.import.path_span);
  if (!m) {
    scope_bind(L, scope, alias->text, alias->span, cc_value_error(), "import", 0);
    return;
  }
  for (int i = 0; i < L->n_active_files; i++)
    if (L->active_files[i] == m->file) {
      nc_error_hint(L->sink, s->u.import.path_span, "files cannot import each other in a circle",
                    "import cycle: '%s' is already being imported", s->u.import.path);
      scope_bind(L, scope, alias->text, alias->span, cc_value_error(), "import", 0);
      return;
    }
  if (L->n_active_files == (int)(sizeof L->active_files / sizeof *L->active_files)) {
    nc_error(L->sink, s->u.import.path_span, "imports nested too deeply");
    return;
  }
  /* An import inside an imported file is known by both aliases, so that
  ** `freeze outer` also freezes what outer's blocks take from inner. */
  const char *qualified = scope->alias
                              ? nc_arena_printf(L->g->arena, "%s.%s", scope->alias, alias->text)
                              : alias->text;
  cc_scope *inner = qualified ? scope_new(L, NULL, "", qualified, m->file) : NULL;
  if (!inner) {
    L->out_of_memory = 1;
    return;
  }
  L->active_files[L->n_active_files++] = m->file;
  declare_blocks(L, inner, m->stmts);
  for (const gr_stmt *t = m->stmts; t && !L->out_of_memory; t = t->next) {
    if (t->kind == GR_STMT_CONST) lower_const(L, inner, t);
    if (t->kind == GR_STMT_IMPORT) lower_import(L, inner, t);
  }
  L->n_active_files--;
  cc_value v = {.kind = CC_VAL_MODULE, .home = inner};
  scope_bind(L, scope, alias->text, alias->span, v, "import", 1);
}

/* The model's name: `model NAME`, else the file name without folder or
** extension. */
static const char *model_name(cc_lower_ctx *L, const gr_module *m) {
  if (m->name.text) return m->name.text;
  const nc_source *src = nc_source_get(L->sink->sources, m->file);
  const char *path = src ? src->path : "model";
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  return nc_arena_strndup(L->g->arena, base, len);
}

int cc_lower(cc_graph *g, const gr_module *main, nc_diag_sink *sink,
             cc_import_fn import, void *import_ctx) {
  cc_lower_ctx L;
  memset(&L, 0, sizeof L);
  L.g = g;
  L.sink = sink;
  L.import = import;
  L.import_ctx = import_ctx;
  nc_strmap_init(&L.layer_names, g->arena);
  nc_strmap_init(&L.node_names, g->arena);
  nc_strmap_init(&L.name_counters, g->arena);
  int errors_before = sink->errors;
  g->model_name = model_name(&L, main);
  cc_scope *top = scope_new(&L, NULL, "", NULL, main->file);
  if (!top || !g->model_name) return -1;
  L.active_files[L.n_active_files++] = main->file;
  declare_blocks(&L, top, main->stmts);
  count_assignments(&L, top, main->stmts);
  cc_value ignored;
  lower_body(&L, top, main->stmts, 0, &ignored);
  if (!L.out_of_memory && !nc_diag_full(sink)) cc_finish_graph(&L, top, main);
  if (!L.out_of_memory) report_unused(&L, top);
  if (L.out_of_memory) return -2;
  return sink->errors == errors_before ? 0 : -1;
}
