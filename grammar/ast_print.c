/*
** ast_print.c: writes a syntax tree back as canonical .net text. Parentheses
** appear only where precedence needs them, so printing, parsing and printing
** again gives the same text: the round-trip property the parser tests use.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/ast.h"

/* ORDER BINOP */
static const char *const binop_text[] = {"+",  "-",  "*",  "/",  "<", ">",
                                         "<=", ">=", "==", "!=", "-", "+"};

const char *gr_binop_text(gr_binop op) {
  if ((size_t)op >= sizeof binop_text / sizeof *binop_text) return "?";
  return binop_text[op];
}

enum {
  PREC_EQUALITY = 1, /* == != (non-associative) */
  PREC_COMPARE,      /* < > <= >= (non-associative) */
  PREC_ADD,          /* + - */
  PREC_MUL,          /* * / */
  PREC_UNARY,        /* unary - + */
  PREC_POSTFIX       /* calls, members, literals, names */
};

static int binop_prec(gr_binop op) {
  switch (op) {
  case GR_OP_EQ: case GR_OP_NE: return PREC_EQUALITY;
  case GR_OP_LT: case GR_OP_GT: case GR_OP_LE: case GR_OP_GE: return PREC_COMPARE;
  case GR_OP_ADD: case GR_OP_SUB: return PREC_ADD;
  case GR_OP_MUL: case GR_OP_DIV: return PREC_MUL;
  case GR_OP_NEG: case GR_OP_POS: return PREC_UNARY;
  }
  return PREC_POSTFIX;
}

static int expr_prec(const gr_expr *e) {
  if (e->kind == GR_EXPR_BINARY) return binop_prec(e->u.binary.op);
  if (e->kind == GR_EXPR_UNARY) return PREC_UNARY;
  return PREC_POSTFIX;
}

static void print_operand(nc_buf *out, const gr_expr *e, int need_parens) {
  if (need_parens) nc_buf_putc(out, '(');
  gr_print_expr(out, e);
  if (need_parens) nc_buf_putc(out, ')');
}

/* The shortest decimal that reads back as the same double; non-integers keep
** a '.' or an exponent so they stay non-integers. */
static void print_number(nc_buf *out, double value, int is_integer) {
  char text[40];
  if (is_integer) {
    snprintf(text, sizeof text, "%.0f", value);
  } else {
    for (int digits = 1; digits <= 17; digits++) {
      snprintf(text, sizeof text, "%.*g", digits, value);
      if (strtod(text, NULL) == value) break;
    }
    if (!strpbrk(text, ".eE")) strcat(text, ".0");
  }
  nc_buf_puts(out, text);
}

static void print_string(nc_buf *out, const char *s) {
  nc_buf_putc(out, '"');
  for (; *s; s++) {
    switch (*s) {
    case '"': nc_buf_puts(out, "\\\""); break;
    case '\\': nc_buf_puts(out, "\\\\"); break;
    case '\n': nc_buf_puts(out, "\\n"); break;
    case '\t': nc_buf_puts(out, "\\t"); break;
    default: nc_buf_putc(out, *s);
    }
  }
  nc_buf_putc(out, '"');
}

static void print_args(nc_buf *out, const gr_arg *a) {
  for (; a; a = a->next) {
    if (a->keyword) nc_buf_printf(out, "%s=", a->keyword->text);
    gr_print_expr(out, a->value);
    if (a->next) nc_buf_puts(out, ", ");
  }
}

void gr_print_expr(nc_buf *out, const gr_expr *e) {
  switch (e->kind) {
  case GR_EXPR_NUMBER:
    print_number(out, e->u.number.value, e->u.number.is_integer);
    break;
  case GR_EXPR_STRING: print_string(out, e->u.string); break;
  case GR_EXPR_NAME: nc_buf_puts(out, e->u.name); break;
  case GR_EXPR_MEMBER: /* (1).y: without parentheses 1.y would be a number */
    print_operand(out, e->u.member.object,
                  expr_prec(e->u.member.object) < PREC_POSTFIX ||
                      e->u.member.object->kind == GR_EXPR_NUMBER);
    nc_buf_printf(out, ".%s", e->u.member.member.text);
    break;
  case GR_EXPR_CALL:
    print_operand(out, e->u.call.callee,
                  expr_prec(e->u.call.callee) < PREC_POSTFIX);
    nc_buf_putc(out, '(');
    print_args(out, e->u.call.args);
    nc_buf_putc(out, ')');
    break;
  case GR_EXPR_UNARY:
    nc_buf_puts(out, gr_binop_text(e->u.unary.op));
    print_operand(out, e->u.unary.operand,
                  expr_prec(e->u.unary.operand) < PREC_UNARY);
    break;
  case GR_EXPR_BINARY: {
    int prec = binop_prec(e->u.binary.op);
    /* Comparisons do not chain, so an equal-precedence left side needs
    ** parentheses there; for + - * / the left side associates. */
    int nonassoc = prec <= PREC_COMPARE;
    int lp = expr_prec(e->u.binary.lhs);
    print_operand(out, e->u.binary.lhs, lp < prec || (nonassoc && lp == prec));
    nc_buf_printf(out, " %s ", gr_binop_text(e->u.binary.op));
    print_operand(out, e->u.binary.rhs, expr_prec(e->u.binary.rhs) <= prec);
    break;
  }
  case GR_EXPR_LIST:
    nc_buf_putc(out, '[');
    for (const gr_expr *item = e->u.list.items; item; item = item->next_item) {
      gr_print_expr(out, item);
      if (item->next_item) nc_buf_puts(out, ", ");
    }
    nc_buf_putc(out, ']');
    break;
  }
}

static void print_names(nc_buf *out, const gr_name *n) {
  for (; n; n = n->next) {
    nc_buf_puts(out, n->text);
    if (n->next) nc_buf_puts(out, ", ");
  }
}

static void print_type(nc_buf *out, const gr_type *t) {
  nc_buf_puts(out, t->dtype.text);
  if (!t->dims) return;
  nc_buf_putc(out, '[');
  for (const gr_dim *d = t->dims; d; d = d->next) {
    if (d->symbol) nc_buf_puts(out, d->symbol);
    else nc_buf_printf(out, "%lld", d->size);
    if (d->next) nc_buf_puts(out, ", ");
  }
  nc_buf_putc(out, ']');
}

static void print_stmts(nc_buf *out, const gr_stmt *s, int indent);

static void print_stmt(nc_buf *out, const gr_stmt *s, int indent) {
  nc_buf_repeat(out, ' ', (size_t)indent);
  switch (s->kind) {
  case GR_STMT_IMPORT:
    nc_buf_puts(out, "import ");
    print_string(out, s->u.import.path);
    nc_buf_printf(out, " as %s", s->u.import.alias.text);
    break;
  case GR_STMT_INPUT:
    nc_buf_puts(out, "input ");
    print_names(out, s->u.input.names);
    nc_buf_puts(out, " : ");
    print_type(out, &s->u.input.type);
    break;
  case GR_STMT_CONST:
  case GR_STMT_ASSIGN:
  case GR_STMT_OUTPUT:
  case GR_STMT_LOSS:
  case GR_STMT_METRIC: {
    static const char *const keyword[] = {
        [GR_STMT_CONST] = "const ", [GR_STMT_ASSIGN] = "",
        [GR_STMT_OUTPUT] = "output ", [GR_STMT_LOSS] = "loss ",
        [GR_STMT_METRIC] = "metric "};
    nc_buf_printf(out, "%s%s = ", keyword[s->kind], s->u.bind.name.text);
    gr_print_expr(out, s->u.bind.value);
    break;
  }
  case GR_STMT_TRAIN:
    nc_buf_puts(out, "train ");
    gr_print_expr(out, s->u.train.optimizer);
    nc_buf_printf(out, " minimizes %s", s->u.train.objective.text);
    if (s->u.train.settings) {
      nc_buf_puts(out, " with ");
      print_args(out, s->u.train.settings);
    }
    break;
  case GR_STMT_FREEZE:
    nc_buf_puts(out, "freeze ");
    print_names(out, s->u.freeze.names);
    break;
  case GR_STMT_BLOCK:
    nc_buf_printf(out, "block %s(", s->u.block.name.text);
    print_names(out, s->u.block.params);
    nc_buf_puts(out, ") {\n");
    print_stmts(out, s->u.block.body, indent + 2);
    nc_buf_repeat(out, ' ', (size_t)indent);
    nc_buf_putc(out, '}');
    break;
  case GR_STMT_RETURN:
    nc_buf_puts(out, "return ");
    gr_print_expr(out, s->u.ret.value);
    break;
  case GR_STMT_STEP:
    nc_buf_printf(out, "step %s {\n", s->u.step.name.text);
    print_stmts(out, s->u.step.body, indent + 2);
    nc_buf_repeat(out, ' ', (size_t)indent);
    nc_buf_putc(out, '}');
    break;
  case GR_STMT_COPY:
    nc_buf_printf(out, "%s <- %s", s->u.copy.target.text,
                  s->u.copy.source.text);
    break;
  }
  nc_buf_putc(out, '\n');
}

static void print_stmts(nc_buf *out, const gr_stmt *s, int indent) {
  for (; s; s = s->next) print_stmt(out, s, indent);
}

void gr_print_module(nc_buf *out, const gr_module *module) {
  if (module->name.text) nc_buf_printf(out, "model %s\n", module->name.text);
  print_stmts(out, module->stmts, 0);
}
