/*
** builtins.h: the built-in functions of the language. Each has a signature
** string (see builtins.c) that the binder uses to match positional and
** keyword arguments, check their kinds and fill defaults, so every function
** reports unknown, missing, repeated and ill-typed arguments the same way.
*/
#ifndef CC_BUILTINS_H
#define CC_BUILTINS_H

#include "compiler/lower_ctx.h"

enum { CC_MAX_ARGS = 12 };

/* One bound argument. Which fields are set depends on its kind. */
typedef struct cc_arg {
  char name[32];     /* parameter name from the signature */
  int given;         /* the caller wrote it (else the default applies) */
  nc_span span;      /* the argument, or the call when defaulted */
  int node;          /* tensor: node index, -1 when absent or failed */
  double number;     /* numbers, integers and booleans */
  int pair[2];       /* pair: (height, width) */
  cc_shape shape;    /* shape: dims, 0 meaning "infer" */
  const char *text;  /* choices, strings and call names; NULL when absent */
  const gr_expr *expr; /* call: the expression as written, NULL by default */
} cc_arg;

typedef struct cc_args {
  cc_arg arg[CC_MAX_ARGS]; /* in signature order */
  int count;               /* parameters in the signature */
} cc_args;

/* Matches a call's arguments to `signature` (see builtins.c) and converts
** them; `fn` names the function in messages. Returns 0 when all are valid,
** else -1 after reporting each problem. */
int cc_bind_signature(cc_lower_ctx *L, cc_scope *scope, const char *fn,
                      const char *signature, const gr_expr *call,
                      cc_args *args);

/* The argument called `name` (it must be in the signature). */
const cc_arg *cc_args_get(const cc_args *args, const char *name);

/* A built-in function's lowering: returns the resulting value. */
typedef cc_value (*cc_builtin_fn)(cc_lower_ctx *L, const cc_args *args,
                                  nc_span span, const char *origin,
                                  const char *layer_name, cc_scope *scope);

/* ----- layers.c: layers with weights or a row in the summary */
cc_value cc_layer_conv2d(cc_lower_ctx *L, const cc_args *args, nc_span span,
                         const char *origin, const char *layer_name,
                         cc_scope *scope);
cc_value cc_layer_dense(cc_lower_ctx *L, const cc_args *args, nc_span span,
                        const char *origin, const char *layer_name,
                        cc_scope *scope);
cc_value cc_layer_pool(cc_lower_ctx *L, const cc_args *args, nc_span span,
                       const char *origin, const char *layer_name,
                       cc_scope *scope);
cc_value cc_layer_reshape(cc_lower_ctx *L, const cc_args *args, nc_span span,
                          const char *origin, const char *layer_name,
                          cc_scope *scope);
cc_value cc_layer_dropout(cc_lower_ctx *L, const cc_args *args, nc_span span,
                          const char *origin, const char *layer_name,
                          cc_scope *scope);
cc_value cc_layer_batchnorm(cc_lower_ctx *L, const cc_args *args,
                            nc_span span, const char *origin,
                            const char *layer_name, cc_scope *scope);
cc_value cc_layer_caffe(cc_lower_ctx *L, const cc_args *args, nc_span span,
                        const char *origin, const char *layer_name,
                        cc_scope *scope);

#endif
