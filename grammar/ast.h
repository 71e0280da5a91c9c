/*
** ast.h: the syntax tree of a .net file, built by the parser and read by the
** compiler. Every node carries a span; all nodes live in the compilation's
** arena. Lists are singly linked through `next`, in source order.
*/
#ifndef GR_AST_H
#define GR_AST_H

#include "common/nc_arena.h"
#include "common/nc_buf.h"
#include "common/nc_diag.h"
#include "common/nc_source.h"

typedef struct gr_expr gr_expr;
typedef struct gr_arg gr_arg;
typedef struct gr_stmt gr_stmt;

/* A name with its location (identifiers in declarations). */
typedef struct gr_name {
  const char *text;      /* the identifier */
  nc_span span;          /* where it was written */
  struct gr_name *next;  /* next name in a list (input a, b : ...) */
} gr_name;

typedef enum gr_expr_kind {
  GR_EXPR_NUMBER, /* 3, 0.5, 1e-4 */
  GR_EXPR_STRING, /* "same" */
  GR_EXPR_NAME,   /* x, relu, vgg */
  GR_EXPR_MEMBER, /* object.member, e.g. vgg.features */
  GR_EXPR_CALL,   /* callee(args) */
  GR_EXPR_UNARY,  /* -x, !x */
  GR_EXPR_BINARY, /* a + b, a < b, ... */
  GR_EXPR_LIST    /* [1, 2, 3] */
} gr_expr_kind;

/* Operators of unary and binary expressions. ORDER BINOP (printer table). */
typedef enum gr_binop {
  GR_OP_ADD, /* + */
  GR_OP_SUB, /* - */
  GR_OP_MUL, /* * */
  GR_OP_DIV, /* / */
  GR_OP_LT,  /* < */
  GR_OP_GT,  /* > */
  GR_OP_LE,  /* <= */
  GR_OP_GE,  /* >= */
  GR_OP_EQ,  /* == */
  GR_OP_NE,  /* != */
  GR_OP_NEG, /* unary - */
  GR_OP_POS  /* unary + */
} gr_binop;

struct gr_expr {
  gr_expr_kind kind; /* which member of the union is valid */
  nc_span span;      /* the whole expression */
  int depth;         /* height of the tree below (1 for a leaf); the parser
                        caps it so later recursive passes cannot overflow */
  union {
    struct {
      double value;     /* the literal's value */
      int is_integer;   /* written without '.', 'e' or 'E' */
    } number;
    const char *string; /* GR_EXPR_STRING: contents without quotes or escapes */
    const char *name;   /* GR_EXPR_NAME */
    struct {
      gr_expr *object;     /* left of the dot */
      gr_name member;      /* right of the dot */
    } member;
    struct {
      gr_expr *callee;     /* a name or member expression */
      gr_arg *args;        /* positional and keyword arguments, in order */
    } call;
    struct {
      gr_binop op;         /* operator */
      gr_expr *operand;    /* the operand */
    } unary;
    struct {
      gr_binop op;         /* operator */
      gr_expr *lhs, *rhs;  /* operands */
    } binary;
    struct {
      gr_expr *items;      /* elements linked through next_item */
      int count;           /* number of elements */
    } list;
  } u;
  gr_expr *next_item;      /* next element of the enclosing list literal */
};

/* A call argument: positional when keyword is NULL. */
struct gr_arg {
  gr_name *keyword; /* `filters` in filters=32, or NULL */
  gr_expr *value;   /* the argument */
  gr_arg *next;     /* next argument */
};

/* A dimension of an input type: a positive integer or a symbol like batch. */
typedef struct gr_dim {
  const char *symbol;    /* NULL for an integer dimension */
  long long size;        /* the integer, when symbol is NULL */
  nc_span span;          /* where it was written */
  struct gr_dim *next;   /* next dimension */
} gr_dim;

/* A tensor type such as f32[batch, 28, 28, 1]. */
typedef struct gr_type {
  gr_name dtype; /* f32, i32, u8, bool (checked by the compiler) */
  gr_dim *dims;  /* dimensions in order; NULL for a scalar */
  int rank;      /* number of dimensions */
  nc_span span;  /* the whole type */
} gr_type;

typedef enum gr_stmt_kind {
  GR_STMT_IMPORT, /* import "file.net" as alias */
  GR_STMT_INPUT,  /* input a, b : f32[batch, 4] */
  GR_STMT_CONST,  /* const gamma = 0.99 */
  GR_STMT_ASSIGN, /* x = expr */
  GR_STMT_OUTPUT, /* output probs = expr */
  GR_STMT_LOSS,   /* loss xent = expr */
  GR_STMT_METRIC, /* metric acc = expr */
  GR_STMT_TRAIN,  /* train adam(lr=0.001) minimizes xent with batch=128 */
  GR_STMT_FREEZE, /* freeze vgg, fc1 */
  GR_STMT_BLOCK,  /* block name(params) { body } */
  GR_STMT_RETURN, /* return expr (only inside a block) */
  GR_STMT_STEP,   /* step name { target <- online } */
  GR_STMT_COPY    /* target <- online (only inside a step) */
} gr_stmt_kind;

struct gr_stmt {
  gr_stmt_kind kind; /* which member of the union is valid */
  nc_span span;      /* the whole statement */
  union {
    struct {
      const char *path; /* the string as written, without quotes */
      nc_span path_span;
      gr_name alias;    /* name after `as` */
    } import;
    struct {
      gr_name *names;   /* one or more input names */
      gr_type type;     /* their common type */
    } input;
    struct {
      gr_name name;     /* the bound name */
      gr_expr *value;   /* the expression */
    } bind;             /* CONST, ASSIGN, OUTPUT, LOSS, METRIC */
    struct {
      gr_expr *optimizer; /* a call such as adam(lr=0.001) or a bare name */
      gr_name objective;  /* the loss it minimizes */
      gr_arg *settings;   /* keyword settings after `with`, may be NULL */
    } train;
    struct {
      gr_name *names;   /* what to freeze */
    } freeze;
    struct {
      gr_name name;     /* block name */
      gr_name *params;  /* parameter names, may be NULL */
      gr_stmt *body;    /* statements, the last normally a return */
    } block;
    struct {
      gr_expr *value;   /* returned expression */
    } ret;
    struct {
      gr_name name;     /* entry point name */
      gr_stmt *body;    /* GR_STMT_COPY statements */
    } step;
    struct {
      gr_name target;   /* written weights */
      gr_name source;   /* read weights */
    } copy;
  } u;
  gr_stmt *next; /* next statement */
};

/* A parsed file. */
typedef struct gr_module {
  gr_name name;    /* from `model NAME`; text NULL when missing */
  gr_stmt *stmts;  /* top-level statements */
  int file;        /* index in the source table */
} gr_module;

/* Parses source file `file` of `sources` into *out (allocated in arena).
** Syntax errors go to `sink`; the parser recovers at statement level and
** keeps going. Returns 0 when the file had no syntax errors, -1 otherwise
** (*out is still set to what could be parsed), -2 on out-of-memory. */
int gr_parse(nc_arena *arena, const nc_source_table *sources, int file,
             nc_diag_sink *sink, gr_module **out);

/* Writes the module back as canonical .net text. Parsing the output gives an
** equal tree (the round-trip property the tests check). */
void gr_print_module(nc_buf *out, const gr_module *module);
void gr_print_expr(nc_buf *out, const gr_expr *expr);

/* The spelling of an operator, e.g. "<=". */
const char *gr_binop_text(gr_binop op);

#endif
