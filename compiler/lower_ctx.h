/*
** lower_ctx.h: state shared by the lowering passes (lower.c: statements,
** names and blocks; builtins.c: argument binding; layers.c: what each
** built-in function becomes in the IR). Private to compiler/.
*/
#ifndef CC_LOWER_CTX_H
#define CC_LOWER_CTX_H

#include "common/nc_diag.h"
#include "common/nc_strmap.h"
#include "compiler/ir.h"
#include "compiler/lower.h"
#include "grammar/ast.h"

typedef struct cc_scope cc_scope;

typedef enum cc_value_kind {
  CC_VAL_ERROR,   /* came from an error already reported: stay quiet */
  CC_VAL_TENSOR,  /* a graph node */
  CC_VAL_NUMBER,  /* a compile-time number (literal or const) */
  CC_VAL_STRING,  /* a string literal */
  CC_VAL_LIST,    /* a list literal (only as an argument) */
  CC_VAL_BLOCK,   /* a block: calling it uses its default weights */
  CC_VAL_WEIGHTS, /* a weight set: a block with weights of its own */
  CC_VAL_MODULE   /* an import alias */
} cc_value_kind;

typedef struct cc_value {
  cc_value_kind kind;      /* which fields are valid */
  int node;                /* TENSOR: node index */
  double number;           /* NUMBER: the value */
  int is_integer;          /* NUMBER: written or computed as an integer */
  const gr_expr *expr;     /* STRING, LIST: the literal */
  const gr_stmt *block;    /* BLOCK, WEIGHTS: the declaration */
  cc_scope *home;          /* BLOCK, WEIGHTS: scope it was declared in;
                              MODULE: the imported file's scope */
  const char *prefix;      /* WEIGHTS: layer-name prefix, e.g. "online/" */
} cc_value;

/* A name bound in a scope. Rebinding a variable makes a new binding. */
typedef struct cc_binding {
  const char *name;   /* the name */
  nc_span span;       /* where it was bound */
  cc_value value;     /* what it means */
  int used;           /* read at least once */
  int warn_unused;    /* report it when never read */
  const char *what;   /* "variable", "input", "const", ... for messages */
} cc_binding;

struct cc_scope {
  cc_scope *parent;        /* where lookups continue, or NULL */
  nc_strmap names;         /* name -> index of its latest binding */
  cc_binding *bindings;    /* all bindings, in order */
  int n_bindings, cap_bindings;
  nc_strmap assign_counts; /* variable -> number of assignments, to know
                              whether a layer may take the variable's name */
  const char *prefix;      /* layer-name prefix of this expansion, "" at top */
  const char *alias;       /* import alias of the module, NULL for the main */
  int file;                /* source file of the statements */
};

typedef struct cc_lower_ctx {
  cc_graph *g;               /* the graph being built */
  nc_diag_sink *sink;        /* diagnostics */
  cc_import_fn import;       /* loads imported files */
  void *import_ctx;          /* for import */
  int out_of_memory;         /* stop everything */
  unsigned char *poisoned;   /* per node: depends on an error */
  int cap_poisoned;          /* entries allocated in poisoned */
  nc_strmap layer_names;     /* layer name -> layer index */
  nc_strmap node_names;      /* node name -> node index */
  nc_strmap name_counters;   /* "prefix/base" -> next suffix for auto names */
  const gr_stmt *expanding[64]; /* blocks being expanded (recursion check) */
  int n_expanding;           /* entries in expanding */
  int active_files[64];      /* files being lowered (import cycle check) */
  int n_active_files;        /* entries in active_files */
  const gr_stmt *train_stmt; /* the train declaration, if any */
} cc_lower_ctx;

/* ----- lower.c: expressions and names */

/* Values: an already reported error; a node (an error when node < 0). */
cc_value cc_value_error(void);
cc_value cc_value_tensor(int node);

/* The binding of `name` in `s` itself (not its parents), or NULL. */
cc_binding *cc_scope_own(cc_scope *s, const char *name);

/* Lowers an expression to a value. */
cc_value cc_lower_expr(cc_lower_ctx *L, cc_scope *scope, const gr_expr *e);
/* A value as a tensor node (numbers become CONST nodes of `like`'s dtype,
** or f32); -1 after reporting why not, or on an earlier error. */
int cc_value_to_node(cc_lower_ctx *L, cc_value v, int like, nc_span span);
/* Appends a node with origin and the current layer, infers its shape and
** reports a failure at `span`. Returns the node (poisoned on failure), or -1
** on out-of-memory. */
int cc_emit(cc_lower_ctx *L, cc_op op, const int *inputs, int n_inputs,
            nc_span span, const char *origin, int layer);
/* Like cc_emit with the attributes set before inference. */
int cc_emit_attr(cc_lower_ctx *L, cc_op op, const int *inputs, int n_inputs,
                 const cc_attrs *attr, nc_span span, const char *origin,
                 int layer);
int cc_is_poisoned(const cc_lower_ctx *L, int node);
/* Gives a node a name if it has none and the name is free. */
void cc_name_node(cc_lower_ctx *L, int node, const char *name);

/* ----- layers.c: built-in functions */

/* Lowers a call of built-in `name`; returns its value. `var_name` is the
** variable the call is assigned to when it is the whole right-hand side
** (it names the layer), else NULL. Returns 0 with *found = 0 when `name` is
** not a built-in. */
cc_value cc_lower_builtin(cc_lower_ctx *L, cc_scope *scope, const gr_expr *call,
                          const char *name, const char *var_name, int *found);
/* Names of all built-in functions, for suggestions; NULL-terminated. */
const char *const *cc_builtin_names(void);

#endif
