/*
** builtins.c: the table of built-in functions, the argument binder and the
** lowering of plain ops (functions that become exactly one IR node).
**
** A signature is a space-separated list of parameters `name[:kind][=default]`.
** Without a kind the parameter is a tensor; without '=' it is required; an
** empty default means "absent unless given". Kinds:
**   int      any integer            pos      positive integer
**   pair     positive int or [h, w] shape    list of ints, -1 = infer
**   float    any number             rate     number in [0, 1)
**   posfloat number > 0             bool     true or false
**   axis     integer or all         string   a string literal
**   call     a name or a call, kept as written (lr schedules)
**   padding, act, init, dtype: one name from a fixed set
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nc_suggest.h"
#include "compiler/builtins.h"

typedef struct builtin {
  const char *name;      /* the function as users call it */
  const char *signature; /* see the header comment */
  cc_builtin_fn lower;   /* layers; NULL for a plain op */
  cc_op op;              /* plain ops: the node it becomes */
} builtin;

#define LAYER_TAIL " name:string="
static const builtin builtins[] = {
    {"conv2d",
     "x filters:pos kernel:pair stride:pair=1 padding:padding=valid "
     "act:act=linear use_bias:bool=true kernel_init:init=glorot_uniform "
     "bias_init:init=zeros trainable:bool=true" LAYER_TAIL,
     cc_layer_conv2d, CC_OP_CONV2D},
    {"dense",
     "x units:pos act:act=linear use_bias:bool=true "
     "kernel_init:init=glorot_uniform bias_init:init=zeros "
     "trainable:bool=true" LAYER_TAIL,
     cc_layer_dense, CC_OP_MATMUL},
    {"maxpool", "x pool:pair=2 stride:pair= padding:padding=valid" LAYER_TAIL,
     cc_layer_pool, CC_OP_MAXPOOL},
    {"avgpool", "x pool:pair=2 stride:pair= padding:padding=valid" LAYER_TAIL,
     cc_layer_pool, CC_OP_AVGPOOL},
    {"flatten", "x" LAYER_TAIL, cc_layer_reshape, CC_OP_RESHAPE},
    {"reshape", "x shape:shape" LAYER_TAIL, cc_layer_reshape, CC_OP_RESHAPE},
    {"dropout", "x rate:rate" LAYER_TAIL, cc_layer_dropout, CC_OP_DROPOUT},
    {"batchnorm",
     "x momentum:rate=0.99 epsilon:posfloat=0.001 trainable:bool=true" LAYER_TAIL,
     cc_layer_batchnorm, CC_OP_BATCHNORM},
    {"caffe_preprocess", "x" LAYER_TAIL, cc_layer_caffe, CC_OP_CAFFE_PREPROCESS},
    {"relu", "x", NULL, CC_OP_RELU},
    {"sigmoid", "x", NULL, CC_OP_SIGMOID},
    {"tanh", "x", NULL, CC_OP_TANH},
    {"exp", "x", NULL, CC_OP_EXP},
    {"log", "x", NULL, CC_OP_LOG},
    {"sqrt", "x", NULL, CC_OP_SQRT},
    {"abs", "x", NULL, CC_OP_ABS},
    {"softmax", "x axis:int=-1", NULL, CC_OP_SOFTMAX},
    {"log_softmax", "x axis:int=-1", NULL, CC_OP_LOG_SOFTMAX},
    {"maximum", "a b", NULL, CC_OP_MAXIMUM},
    {"minimum", "a b", NULL, CC_OP_MINIMUM},
    {"where", "condition a b", NULL, CC_OP_WHERE},
    {"reduce_sum", "x axis:axis=all keepdims:bool=false", NULL, CC_OP_REDUCE_SUM},
    {"reduce_max", "x axis:axis=all keepdims:bool=false", NULL, CC_OP_REDUCE_MAX},
    {"reduce_mean", "x axis:axis=all keepdims:bool=false", NULL, CC_OP_REDUCE_MEAN},
    {"argmax", "x axis:int=-1 keepdims:bool=false", NULL, CC_OP_ARGMAX},
    {"gather", "x indices axis:int=0", NULL, CC_OP_GATHER},
    {"pick", "x indices", NULL, CC_OP_PICK},
    {"one_hot", "indices depth:pos", NULL, CC_OP_ONE_HOT},
    {"cast", "x dtype:dtype", NULL, CC_OP_CAST},
    {"stop_gradient", "x", NULL, CC_OP_STOP_GRADIENT},
    {"sparse_cross_entropy", "logits labels", NULL, CC_OP_SPARSE_XENT},
    {"categorical_cross_entropy", "logits targets", NULL, CC_OP_XENT},
    {"binary_cross_entropy", "logits targets", NULL, CC_OP_BCE},
    {"mse", "prediction target", NULL, CC_OP_MSE},
    {"huber", "prediction target delta:posfloat=1.0", NULL, CC_OP_HUBER},
    {"accuracy", "logits labels", NULL, CC_OP_ACCURACY},
};
#undef LAYER_TAIL

enum { N_BUILTINS = sizeof builtins / sizeof *builtins };

const char *const *cc_builtin_names(void) {
  static const char *names[N_BUILTINS + 1];
  if (!names[0])
    for (int i = 0; i < N_BUILTINS; i++) names[i] = builtins[i].name;
  return names;
}

const cc_arg *cc_args_get(const cc_args *args, const char *name) {
  for (int i = 0; i < args->count; i++)
    if (strcmp(args->arg[i].name, name) == 0) return &args->arg[i];
  return NULL; /* not reached for names in the signature */
}

/* ------------------------------------------------------------ signatures */

typedef struct param_spec {
  char name[32];    /* parameter name */
  char kind[16];    /* "" for a tensor */
  char dflt[32];    /* default text */
  int has_default;  /* '=' present */
} param_spec;

/* Splits a signature into specs; returns the count. Signatures are ours
** and short, so fixed buffers suffice. */
static int parse_signature(const char *sig, param_spec *out) {
  int n = 0;
  while (*sig && n < CC_MAX_ARGS) {
    while (*sig == ' ') sig++;
    if (!*sig) break;
    param_spec *p = &out[n++];
    memset(p, 0, sizeof *p);
    size_t len = strcspn(sig, " ");
    char word[32];
    snprintf(word, sizeof word, "%.*s", (int)len, sig);
    sig += len;
    char *eq = strchr(word, '=');
    if (eq) {
      *eq = '\0';
      p->has_default = 1;
      snprintf(p->dflt, sizeof p->dflt, "%s", eq + 1);
    }
    char *colon = strchr(word, ':');
    if (colon) {
      *colon = '\0';
      snprintf(p->kind, sizeof p->kind, "%s", colon + 1);
    }
    snprintf(p->name, sizeof p->name, "%s", word);
  }
  return n;
}

static const char *const paddings[] = {"valid", "same", NULL};
static const char *const activations[] = {"linear", "relu", "sigmoid", "tanh",
                                          "softmax", NULL};
static const char *const initializers[] = {
    "zeros", "ones", "glorot_uniform", "glorot_normal", "he_uniform",
    "he_normal", "lecun_uniform", NULL};
static const char *const dtypes[] = {"f32", "i32", "u8", "bool", NULL};
static const char *const booleans[] = {"true", "false", NULL};

static const char *const *kind_choices(const char *kind) {
  if (strcmp(kind, "padding") == 0) return paddings;
  if (strcmp(kind, "act") == 0) return activations;
  if (strcmp(kind, "init") == 0) return initializers;
  if (strcmp(kind, "dtype") == 0) return dtypes;
  if (strcmp(kind, "bool") == 0) return booleans;
  return NULL;
}

static size_t count_choices(const char *const *c) {
  size_t n = 0;
  while (c[n]) n++;
  return n;
}

/* ------------------------------------------------------------ conversion */

typedef struct bind_ctx {
  cc_lower_ctx *L;
  cc_scope *scope;
  const char *fn;   /* function name for messages */
} bind_ctx;

/* The bare word of a NAME or STRING expression, else NULL. */
static const char *word_of(const gr_expr *e) {
  if (e->kind == GR_EXPR_NAME) return e->u.name;
  if (e->kind == GR_EXPR_STRING) return e->u.string;
  return NULL;
}

static int convert_choice(bind_ctx *b, const param_spec *p, const gr_expr *e,
                          cc_arg *out) {
  const char *const *choices = kind_choices(p->kind);
  const char *w = word_of(e);
  if (w)
    for (size_t i = 0; choices[i]; i++)
      if (strcmp(w, choices[i]) == 0) {
        out->text = choices[i];
        out->number = strcmp(p->kind, "bool") == 0 && i == 0;
        return 0;
      }
  nc_buf list;
  nc_buf_init(&list);
  for (size_t i = 0; choices[i]; i++)
    nc_buf_printf(&list, "%s%s", i ? ", " : "", choices[i]);
  const char *close = w ? nc_suggest(w, choices, count_choices(choices)) : NULL;
  char hint[96] = "";
  if (close) snprintf(hint, sizeof hint, "did you mean %s?", close);
  nc_error_hint(b->L->sink, e->span, close ? hint : NULL,
                "argument '%s' of %s must be one of %s", p->name, b->fn,
                nc_buf_str(&list));
  if (list.failed) b->L->out_of_memory = 1;
  nc_buf_release(&list);
  return -1;
}

/* A compile-time number from an expression; reports and returns -1 when
** it is not one (quietly after an earlier error). */
static int eval_number(bind_ctx *b, const param_spec *p, const gr_expr *e,
                       double *value, int *is_integer) {
  cc_value v = cc_lower_expr(b->L, b->scope, e);
  if (v.kind == CC_VAL_ERROR) return -1;
  if (v.kind != CC_VAL_NUMBER) {
    nc_error(b->L->sink, e->span,
             "argument '%s' of %s must be a number known at compile time",
             p->name, b->fn);
    return -1;
  }
  *value = v.number;
  *is_integer = v.is_integer;
  return 0;
}

static int check_number(bind_ctx *b, const param_spec *p, nc_span span,
                        double v, int is_integer) {
  const char *k = p->kind;
  const char *need = NULL;
  if (strcmp(k, "int") == 0 || strcmp(k, "axis") == 0) {
    if (!is_integer || fabs(v) > 1e9) need = "an integer";
  } else if (strcmp(k, "pos") == 0 || strcmp(k, "pair") == 0) {
    if (!is_integer || v < 1 || v > 1e9) need = "a positive integer";
  } else if (strcmp(k, "rate") == 0) {
    if (!(v >= 0 && v < 1)) need = "a number in [0, 1)";
  } else if (strcmp(k, "posfloat") == 0) {
    if (!(v > 0) || isinf(v)) need = "a positive number";
  }
  if (!need) return 0;
  /* 16 / 2 is 8.0, a float: show it so. */
  nc_error(b->L->sink, span, "argument '%s' of %s must be %s, got %g%s", p->name,
           b->fn, need, v, !is_integer && v == floor(v) && fabs(v) < 1e15 ? ".0" : "");
  return -1;
}

static int convert_pair(bind_ctx *b, const param_spec *p, const gr_expr *e,
                        cc_arg *out) {
  const gr_expr *items[2] = {e, e};
  if (e->kind == GR_EXPR_LIST) {
    if (e->u.list.count != 2) {
      nc_error(b->L->sink, e->span,
               "argument '%s' of %s takes one integer or two [height, width]",
               p->name, b->fn);
      return -1;
    }
    items[0] = e->u.list.items;
    items[1] = e->u.list.items->next_item;
  }
  for (int i = 0; i < 2; i++) {
    double v;
    int is_int;
    if (eval_number(b, p, items[i], &v, &is_int) ||
        check_number(b, p, items[i]->span, v, is_int))
      return -1;
    out->pair[i] = (int)v;
  }
  return 0;
}

static int convert_shape(bind_ctx *b, const param_spec *p, const gr_expr *e,
                         cc_arg *out) {
  if (e->kind != GR_EXPR_LIST || e->u.list.count < 1 ||
      e->u.list.count >= CC_MAX_RANK) {
    nc_error_hint(b->L->sink, e->span, "write the shape without the batch dim, e.g. [7, 7, 512]",
                  "argument '%s' of %s must be a list of 1 to %d dims",
                  p->name, b->fn, CC_MAX_RANK - 1);
    return -1;
  }
  int inferred = 0;
  out->shape.rank = 0;
  for (const gr_expr *item = e->u.list.items; item; item = item->next_item) {
    double v;
    int is_int;
    if (eval_number(b, p, item, &v, &is_int)) return -1;
    if (!is_int || (v < 1 && v != -1) || v > 1e12 || (v == -1 && inferred++)) {
      nc_error(b->L->sink, item->span,
               "dims of '%s' must be positive integers, with at most one -1",
               p->name);
      return -1;
    }
    out->shape.dim[out->shape.rank++] = v == -1 ? 0 : (int64_t)v;
  }
  return 0;
}

/* Converts one written argument according to its kind. Tensors are only
** lowered here; they become nodes once every argument is known. */
static int convert(bind_ctx *b, const param_spec *p, const gr_expr *e,
                   cc_arg *out, cc_value *tensor) {
  const char *k = p->kind;
  if (!k[0]) {
    *tensor = cc_lower_expr(b->L, b->scope, e);
    return tensor->kind == CC_VAL_ERROR ? -1 : 0;
  }
  if (kind_choices(k)) return convert_choice(b, p, e, out);
  if (strcmp(k, "call") == 0) {
    int callee_ok = e->kind == GR_EXPR_NAME ||
                    (e->kind == GR_EXPR_CALL && e->u.call.callee->kind == GR_EXPR_NAME);
    if (callee_ok) {
      out->expr = e;
      out->text = e->kind == GR_EXPR_NAME ? e->u.name : e->u.call.callee->u.name;
      return 0;
    }
    nc_error(b->L->sink, e->span, "argument '%s' of %s must be a name or a call",
             p->name, b->fn);
    return -1;
  }
  if (strcmp(k, "string") == 0) {
    /* Layer names become HDF5 paths: no '/' and nothing exotic. */
    int ok = e->kind == GR_EXPR_STRING && e->u.string[0] &&
             strspn(e->u.string, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789_-.") == strlen(e->u.string);
    if (ok) {
      out->text = e->u.string;
      return 0;
    }
    nc_error_hint(b->L->sink, e->span, "use letters, digits, '_', '-' and '.'",
                  "argument '%s' of %s must be a non-empty name string", p->name, b->fn);
    return -1;
  }
  if (strcmp(k, "pair") == 0) return convert_pair(b, p, e, out);
  if (strcmp(k, "shape") == 0) return convert_shape(b, p, e, out);
  if (strcmp(k, "axis") == 0 && e->kind == GR_EXPR_NAME) {
    if (strcmp(e->u.name, "all") == 0) {
      out->number = CC_AXIS_ALL;
      return 0;
    }
    nc_error(b->L->sink, e->span, "argument '%s' of %s must be an integer or all", p->name,
             b->fn);
    return -1;
  }
  double v;
  int is_int;
  if (eval_number(b, p, e, &v, &is_int) || check_number(b, p, e->span, v, is_int))
    return -1;
  out->number = v;
  return 0;
}

/* Applies a default written in a signature. */
static void apply_default(const param_spec *p, cc_arg *out) {
  if (!p->dflt[0]) return;
  const char *const *choices = kind_choices(p->kind);
  if (choices) {
    for (size_t i = 0; choices[i]; i++)
      if (strcmp(choices[i], p->dflt) == 0) {
        out->text = choices[i];
        out->number = strcmp(p->kind, "bool") == 0 && i == 0;
      }
    return;
  }
  if (strcmp(p->kind, "axis") == 0 && strcmp(p->dflt, "all") == 0) {
    out->number = CC_AXIS_ALL;
    return;
  }
  out->number = strtod(p->dflt, NULL);
  out->pair[0] = out->pair[1] = (int)out->number;
}

static void usage_hint(char *hint, size_t size, const char *fn,
                       const param_spec *specs, int n) {
  int used = snprintf(hint, size, "usage: %s(", fn);
  for (int i = 0; i < n && used > 0 && (size_t)used < size; i++)
    used += snprintf(hint + used, size - (size_t)used, "%s%s%s", i ? ", " : "",
                     specs[i].name, specs[i].has_default ? "=..." : "");
  if (used > 0 && (size_t)used < size) snprintf(hint + used, size - (size_t)used, ")");
}

int cc_bind_signature(cc_lower_ctx *L, cc_scope *scope, const char *fn,
                      const char *signature, const gr_expr *call,
                      cc_args *args) {
  bind_ctx ctx = {L, scope, fn};
  bind_ctx *b = &ctx;
  param_spec specs[CC_MAX_ARGS];
  int n = parse_signature(signature, specs);
  const gr_arg *given[CC_MAX_ARGS] = {0};
  memset(args, 0, sizeof *args);
  args->count = n;
  int failed = 0, positional = 0, seen_keyword = 0, unknown_keyword = 0;
  const char *names[CC_MAX_ARGS];
  for (int i = 0; i < n; i++) names[i] = specs[i].name;

  for (const gr_arg *a = call->u.call.args; a; a = a->next) {
    int slot = -1;
    if (a->keyword) {
      seen_keyword = 1;
      for (int i = 0; i < n; i++)
        if (strcmp(specs[i].name, a->keyword->text) == 0) slot = i;
      if (slot < 0) {
        const char *close = nc_suggest(a->keyword->text, names, (size_t)n);
        char hint[96] = "";
        if (close) snprintf(hint, sizeof hint, "did you mean %s?", close);
        nc_error_hint(b->L->sink, a->keyword->span, close ? hint : NULL,
                      "%s has no argument '%s'", fn, a->keyword->text);
        failed = unknown_keyword = 1;
        continue;
      }
    } else if (seen_keyword) {
      nc_error(b->L->sink, a->value->span,
               "positional argument after keyword arguments in %s", fn);
      failed = 1;
      continue;
    } else if (positional >= n) {
      nc_error(b->L->sink, a->value->span,
               "%s takes at most %d argument%s, got more", fn, n,
               n == 1 ? "" : "s");
      failed = 1;
      continue;
    } else {
      slot = positional++;
    }
    if (given[slot]) {
      nc_error(b->L->sink, a->keyword ? a->keyword->span : a->value->span,
               "argument '%s' of %s is given twice", specs[slot].name, fn);
      failed = 1;
      continue;
    }
    given[slot] = a;
  }

  cc_value tensors[CC_MAX_ARGS];
  int like = -1;
  for (int i = 0; i < n; i++) {
    cc_arg *out = &args->arg[i];
    memcpy(out->name, specs[i].name, sizeof out->name);
    out->node = -1;
    out->span = call->span;
    tensors[i].kind = CC_VAL_ERROR;
    if (given[i]) {
      out->given = 1;
      out->span = given[i]->value->span;
      if (convert(b, &specs[i], given[i]->value, out, &tensors[i])) failed = 1;
      else if (tensors[i].kind == CC_VAL_TENSOR && like < 0) like = tensors[i].node;
    } else if (specs[i].has_default) {
      apply_default(&specs[i], out);
    } else if (!unknown_keyword) { /* a misspelt keyword was already reported */
      char hint[160];
      usage_hint(hint, sizeof hint, fn, specs, n);
      nc_error_hint(b->L->sink, call->span, hint, "%s needs argument '%s'",
                    fn, specs[i].name);
      failed = 1;
    }
  }
  /* Numbers next to tensors take their dtype: 1 - done is f32 - f32. */
  for (int i = 0; i < n && !failed; i++)
    if (!specs[i].kind[0]) {
      args->arg[i].node = cc_value_to_node(b->L, tensors[i], like, args->arg[i].span);
      if (args->arg[i].node < 0) failed = 1;
    }
  return failed ? -1 : 0;
}

/* ------------------------------------------------------------ plain ops */

static cc_value plain_op(cc_lower_ctx *L, const builtin *fn, const cc_args *args,
                         nc_span span) {
  cc_value result = {.kind = CC_VAL_ERROR};
  int inputs[CC_MAX_INPUTS];
  int n = 0;
  for (int i = 0; i < args->count && n < CC_MAX_INPUTS; i++)
    if (args->arg[i].node >= 0) inputs[n++] = args->arg[i].node;
  cc_attrs attr;
  memset(&attr, 0, sizeof attr);
  for (int i = 0; i < args->count; i++) {
    const cc_arg *a = &args->arg[i];
    if (strcmp(a->name, "axis") == 0) attr.axis.axis = (int)a->number;
    if (strcmp(a->name, "keepdims") == 0) attr.axis.keepdims = (int)a->number;
    if (strcmp(a->name, "depth") == 0) attr.one_hot.depth = (int)a->number;
    if (strcmp(a->name, "delta") == 0) attr.huber.delta = (float)a->number;
    if (strcmp(a->name, "dtype") == 0) {
      int d = 0;
      while (dtypes[d] && strcmp(dtypes[d], a->text) != 0) d++;
      attr.cast.to = (netc_dtype)d; /* ORDER: dtypes[] follows netc_dtype */
    }
  }
  int node = cc_emit_attr(L, fn->op, inputs, n, &attr, span, fn->name, -1);
  if (node < 0) return result;
  result.kind = CC_VAL_TENSOR;
  result.node = node;
  return result;
}

cc_value cc_lower_builtin(cc_lower_ctx *L, cc_scope *scope, const gr_expr *call,
                          const char *name, const char *var_name, int *found) {
  cc_value error = {.kind = CC_VAL_ERROR};
  const builtin *fn = NULL;
  for (int i = 0; i < N_BUILTINS && !fn; i++)
    if (strcmp(builtins[i].name, name) == 0) fn = &builtins[i];
  *found = fn != NULL;
  if (!fn) return error;
  cc_args args;
  if (cc_bind_signature(L, scope, fn->name, fn->signature, call, &args))
    return error;
  if (!fn->lower) return plain_op(L, fn, &args, call->span);
  const cc_arg *explicit_name = cc_args_get(&args, "name");
  const char *layer_name = explicit_name && explicit_name->text ? explicit_name->text : var_name;
  return fn->lower(L, &args, call->span, fn->name, layer_name, scope);
}
