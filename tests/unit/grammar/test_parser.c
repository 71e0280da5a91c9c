/*
** test_parser.c: the .net scanner and parser (grammar/lexer.l, parser.y)
** and the printer (ast_print.c), through gr_parse on real text: every
** construct of the language and the tree it builds, operator precedence and
** associativity, spans, the exact text of syntax errors and recovery after
** them, the round trip print -> parse -> print on every model in models/
** and on inline
** snippets, and hostile input (random bytes, random token soup, deep
** nesting, very long expressions, empty files) that must never crash.
**
** To add a case: most checks are one line. EXPECT_TREE(text, sexpr) parses
** `x = <expr>` and compares the expression's S-expression (see sexpr());
** EXPECT_ERRORS(text, "line:col: message\n...") compares every diagnostic;
** add round-trip snippets to round_trip_snippets[]. New test functions go in
** TESTS at the end of the file.
*/
#define _POSIX_C_SOURCE 200809L /* opendir */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "common/nc_arena.h"
#include "common/nc_buf.h"
#include "common/nc_diag.h"
#include "common/nc_source.h"
#include "grammar/ast.h"
#include "tests/unit/test_case.h"

/* ------------------------------------------------------------- checking */

#define EXPECT_STR(actual, expected) \
  expect_str((actual), (expected), __LINE__)
static void expect_str(const char *actual, const char *expected,
                       unsigned line) {
  static char what[4096];
  int same = actual && expected && strcmp(actual, expected) == 0;
  snprintf(what, sizeof what, "got \"%s\", expected \"%s\"",
           actual ? actual : "(null)", expected ? expected : "(null)");
  CU_assertImplementation(same, line, what, __FILE__, "", CU_FALSE);
}

/* ----------------------------------------------------------- parsing */

/* One parse: its own arena, source table and sink. Diagnostics are
** collected as "line:col: message" lines, with " [hint: ...]" when given. */
typedef struct parsed {
  nc_arena arena;          /* AST and sources */
  nc_source_table sources; /* the one file */
  nc_diag_sink sink;       /* syntax errors */
  gr_module *module;       /* the result, also after errors */
  int rc;                  /* gr_parse's return value */
  int file;                /* index of the file */
  nc_buf diags;            /* collected diagnostics */
  int n_diags;             /* callbacks */
} parsed;

static void collect(const netc_diagnostic *d, void *user) {
  parsed *p = user;
  nc_buf_printf(&p->diags, "%d:%d: %s", d->line, d->column, d->message);
  if (d->hint) nc_buf_printf(&p->diags, " [hint: %s]", d->hint);
  nc_buf_putc(&p->diags, '\n');
  p->n_diags++;
}

static void parsed_open(parsed *p, const char *path, const char *text,
                        size_t size) {
  memset(p, 0, sizeof *p);
  nc_arena_init(&p->arena);
  nc_buf_init(&p->diags);
  nc_source_table_init(&p->sources, &p->arena);
  p->file = nc_source_add(&p->sources, path, text, size);
  CU_ASSERT_FATAL(p->file >= 0);
  nc_diag_init(&p->sink, &p->sources, collect, p, 0);
  p->rc = gr_parse(&p->arena, &p->sources, p->file, &p->sink, &p->module);
  CU_ASSERT_PTR_NOT_NULL(p->module); /* set also after syntax errors */
}

static void parsed_close(parsed *p) {
  nc_arena_release(&p->arena);
  nc_buf_release(&p->diags);
}

/* The current test's parse; parse() replaces it, done() releases it. */
static parsed P;
static int have_P;

static void done(void) {
  if (have_P) parsed_close(&P);
  have_P = 0;
}

static gr_module *parse(const char *text) {
  done();
  parsed_open(&P, "t.net", text, strlen(text));
  have_P = 1;
  return P.module;
}

static const char *diags(void) { return nc_buf_str(&P.diags); }

/* Parses text that must be free of errors. */
#define PARSE_OK(text) parse_ok((text), __LINE__)
static gr_module *parse_ok(const char *text, unsigned line) {
  gr_module *m = parse(text);
  CU_assertImplementation(P.rc == 0, line, "gr_parse returns 0", __FILE__, "",
                          CU_FALSE);
  expect_str(diags(), "", line);
  return m;
}

/* Parses text that must fail with exactly these diagnostics. */
#define EXPECT_ERRORS(text, expected) expect_errors((text), (expected), __LINE__)
static void expect_errors(const char *text, const char *expected,
                          unsigned line) {
  parse(text);
  CU_assertImplementation(P.rc == -1, line, "gr_parse returns -1", __FILE__,
                          "", CU_FALSE);
  expect_str(diags(), expected, line);
}

static gr_stmt *nth_stmt(const gr_module *m, int n) {
  gr_stmt *s = m ? m->stmts : NULL;
  while (s && n-- > 0) s = s->next;
  return s;
}

static int count_stmts(const gr_stmt *s) {
  int n = 0;
  for (; s; s = s->next) n++;
  return n;
}

static int count_args(const gr_arg *a) {
  int n = 0;
  for (; a; a = a->next) n++;
  return n;
}

/* "a, b, c" from a name list. */
static const char *names_text(const gr_name *n) {
  static char text[256];
  text[0] = '\0';
  for (; n; n = n->next) {
    size_t used = strlen(text);
    snprintf(text + used, sizeof text - used, "%s%s", n->text, n->next ? ", " : "");
  }
  return text;
}

/* --------------------------------------------------------- S-expressions */

/* A fully parenthesized view of an expression, to check tree shape:
** (- (- a b) c), (neg x), (. obj member), (call f a k=v), [1 2], "s".
** Non-integer numbers keep a '.' or an exponent. */
static void sexpr_into(nc_buf *b, const gr_expr *e) {
  switch (e->kind) {
  case GR_EXPR_NUMBER:
    if (e->u.number.is_integer) {
      nc_buf_printf(b, "%.0f", e->u.number.value);
    } else {
      char num[64];
      snprintf(num, sizeof num, "%g", e->u.number.value);
      nc_buf_puts(b, num);
      if (!strpbrk(num, ".e")) nc_buf_puts(b, ".0");
    }
    break;
  case GR_EXPR_STRING: nc_buf_printf(b, "\"%s\"", e->u.string); break;
  case GR_EXPR_NAME: nc_buf_puts(b, e->u.name); break;
  case GR_EXPR_MEMBER:
    nc_buf_puts(b, "(. ");
    sexpr_into(b, e->u.member.object);
    nc_buf_printf(b, " %s)", e->u.member.member.text);
    break;
  case GR_EXPR_CALL:
    nc_buf_puts(b, "(call ");
    sexpr_into(b, e->u.call.callee);
    for (const gr_arg *a = e->u.call.args; a; a = a->next) {
      nc_buf_putc(b, ' ');
      if (a->keyword) nc_buf_printf(b, "%s=", a->keyword->text);
      sexpr_into(b, a->value);
    }
    nc_buf_putc(b, ')');
    break;
  case GR_EXPR_UNARY:
    nc_buf_printf(b, "(%s ", e->u.unary.op == GR_OP_NEG ? "neg" : "pos");
    sexpr_into(b, e->u.unary.operand);
    nc_buf_putc(b, ')');
    break;
  case GR_EXPR_BINARY:
    nc_buf_printf(b, "(%s ", gr_binop_text(e->u.binary.op));
    sexpr_into(b, e->u.binary.lhs);
    nc_buf_putc(b, ' ');
    sexpr_into(b, e->u.binary.rhs);
    nc_buf_putc(b, ')');
    break;
  case GR_EXPR_LIST:
    nc_buf_putc(b, '[');
    for (const gr_expr *i = e->u.list.items; i; i = i->next_item) {
      sexpr_into(b, i);
      if (i->next_item) nc_buf_putc(b, ' ');
    }
    nc_buf_putc(b, ']');
    break;
  }
}

static const char *sexpr(const gr_expr *e) {
  static char text[2048];
  nc_buf b;
  nc_buf_init(&b);
  if (e) sexpr_into(&b, e);
  else nc_buf_puts(&b, "(null)");
  snprintf(text, sizeof text, "%s", nc_buf_str(&b));
  nc_buf_release(&b);
  return text;
}

/* The right-hand side of `x = <expr>` as an S-expression. */
#define EXPECT_TREE(expr_text, expected) \
  expect_tree((expr_text), (expected), __LINE__)
static void expect_tree(const char *expr_text, const char *expected,
                        unsigned line) {
  char text[1024];
  snprintf(text, sizeof text, "x = %s\n", expr_text);
  gr_module *m = parse_ok(text, line);
  gr_stmt *s = nth_stmt(m, 0);
  int ok = s && s->kind == GR_STMT_ASSIGN && !s->next;
  CU_assertImplementation(ok, line, "one assignment", __FILE__, "", CU_FALSE);
  if (ok) expect_str(sexpr(s->u.bind.value), expected, line);
}

/* ------------------------------------------------------- tree equality */

/* Structural equality of two trees, spans ignored. */
static int expr_equal(const gr_expr *a, const gr_expr *b);

static int name_equal(const gr_name *a, const gr_name *b) {
  if (!a || !b) return a == b;
  if (!a->text || !b->text) return a->text == b->text;
  return strcmp(a->text, b->text) == 0;
}

static int names_equal(const gr_name *a, const gr_name *b) {
  for (; a && b; a = a->next, b = b->next)
    if (!name_equal(a, b)) return 0;
  return a == b;
}

static int args_equal(const gr_arg *a, const gr_arg *b) {
  for (; a && b; a = a->next, b = b->next)
    if (!name_equal(a->keyword, b->keyword) || !expr_equal(a->value, b->value))
      return 0;
  return a == b;
}

static int expr_equal(const gr_expr *a, const gr_expr *b) {
  if (!a || !b) return a == b;
  if (a->kind != b->kind || a->depth != b->depth) return 0;
  switch (a->kind) {
  case GR_EXPR_NUMBER:
    return a->u.number.value == b->u.number.value &&
           a->u.number.is_integer == b->u.number.is_integer;
  case GR_EXPR_STRING: return strcmp(a->u.string, b->u.string) == 0;
  case GR_EXPR_NAME: return strcmp(a->u.name, b->u.name) == 0;
  case GR_EXPR_MEMBER:
    return expr_equal(a->u.member.object, b->u.member.object) &&
           name_equal(&a->u.member.member, &b->u.member.member);
  case GR_EXPR_CALL:
    return expr_equal(a->u.call.callee, b->u.call.callee) &&
           args_equal(a->u.call.args, b->u.call.args);
  case GR_EXPR_UNARY:
    return a->u.unary.op == b->u.unary.op &&
           expr_equal(a->u.unary.operand, b->u.unary.operand);
  case GR_EXPR_BINARY:
    return a->u.binary.op == b->u.binary.op &&
           expr_equal(a->u.binary.lhs, b->u.binary.lhs) &&
           expr_equal(a->u.binary.rhs, b->u.binary.rhs);
  case GR_EXPR_LIST: {
    if (a->u.list.count != b->u.list.count) return 0;
    const gr_expr *x = a->u.list.items, *y = b->u.list.items;
    for (; x && y; x = x->next_item, y = y->next_item)
      if (!expr_equal(x, y)) return 0;
    return x == y;
  }
  }
  return 0;
}

static int type_equal(const gr_type *a, const gr_type *b) {
  if (!name_equal(&a->dtype, &b->dtype) || a->rank != b->rank) return 0;
  const gr_dim *x = a->dims, *y = b->dims;
  for (; x && y; x = x->next, y = y->next) {
    if (!x->symbol != !y->symbol) return 0;
    if (x->symbol ? strcmp(x->symbol, y->symbol) != 0 : x->size != y->size)
      return 0;
  }
  return x == y;
}

static int stmts_equal(const gr_stmt *a, const gr_stmt *b);

static int stmt_equal(const gr_stmt *a, const gr_stmt *b) {
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case GR_STMT_IMPORT:
    return strcmp(a->u.import.path, b->u.import.path) == 0 &&
           name_equal(&a->u.import.alias, &b->u.import.alias);
  case GR_STMT_INPUT:
    return names_equal(a->u.input.names, b->u.input.names) &&
           type_equal(&a->u.input.type, &b->u.input.type);
  case GR_STMT_CONST:
  case GR_STMT_ASSIGN:
  case GR_STMT_OUTPUT:
  case GR_STMT_LOSS:
  case GR_STMT_METRIC:
    return name_equal(&a->u.bind.name, &b->u.bind.name) &&
           expr_equal(a->u.bind.value, b->u.bind.value);
  case GR_STMT_TRAIN:
    return expr_equal(a->u.train.optimizer, b->u.train.optimizer) &&
           name_equal(&a->u.train.objective, &b->u.train.objective) &&
           args_equal(a->u.train.settings, b->u.train.settings);
  case GR_STMT_FREEZE: return names_equal(a->u.freeze.names, b->u.freeze.names);
  case GR_STMT_BLOCK:
    return name_equal(&a->u.block.name, &b->u.block.name) &&
           names_equal(a->u.block.params, b->u.block.params) &&
           stmts_equal(a->u.block.body, b->u.block.body);
  case GR_STMT_RETURN: return expr_equal(a->u.ret.value, b->u.ret.value);
  case GR_STMT_STEP:
    return name_equal(&a->u.step.name, &b->u.step.name) &&
           stmts_equal(a->u.step.body, b->u.step.body);
  case GR_STMT_COPY:
    return name_equal(&a->u.copy.target, &b->u.copy.target) &&
           name_equal(&a->u.copy.source, &b->u.copy.source);
  }
  return 0;
}

static int stmts_equal(const gr_stmt *a, const gr_stmt *b) {
  for (; a && b; a = a->next, b = b->next)
    if (!stmt_equal(a, b)) return 0;
  return a == b;
}

static int module_equal(const gr_module *a, const gr_module *b) {
  return name_equal(&a->name, &b->name) && stmts_equal(a->stmts, b->stmts);
}

/* ------------------------------------------------------------ the models */

static const char *models_dir(void) {
  static char path[1024];
  const char *top = getenv("top_srcdir");
  snprintf(path, sizeof path, "%s/models", top && *top ? top : ".");
  return path;
}

static char *slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *text = malloc(cap);
  while (text) {
    size_t got = fread(text + len, 1, cap - len - 1, f);
    len += got;
    if (got == 0) break;
    if (len + 1 == cap) {
      char *grown = realloc(text, cap * 2);
      if (!grown) {
        free(text);
        text = NULL;
      }
      text = grown;
      cap *= 2;
    }
  }
  fclose(f);
  if (text) {
    text[len] = '\0';
    *size = len;
  }
  return text;
}

/* ---------------------------------------------------------- constructs */

static void test_empty_and_comments(void) {
  gr_module *m = PARSE_OK("");
  CU_ASSERT_PTR_NULL(m->name.text);
  CU_ASSERT_PTR_NULL(m->stmts);
  CU_ASSERT_EQUAL(m->file, 0);
  m = PARSE_OK("# only a comment");
  CU_ASSERT_PTR_NULL(m->stmts);
  m = PARSE_OK("# one\n\n   # two\n\t# three\n");
  CU_ASSERT_PTR_NULL(m->stmts);
  m = PARSE_OK("\n\n;;\n ; \n");
  CU_ASSERT_PTR_NULL(m->stmts);
  m = PARSE_OK("model m # the name\n# between\nx = 1 # after\n# at the end");
  EXPECT_STR(m->name.text, "m");
  CU_ASSERT_EQUAL(count_stmts(m->stmts), 1);
  /* '#' inside a string is not a comment. */
  m = PARSE_OK("x = \"a # b\"\n");
  EXPECT_STR(nth_stmt(m, 0)->u.bind.value->u.string, "a # b");
  done();
}

static void test_model_line(void) {
  gr_module *m = PARSE_OK("model mnist\n");
  EXPECT_STR(m->name.text, "mnist");
  CU_ASSERT_PTR_NULL(m->stmts);
  /* It may come after statements and is not a statement itself. */
  m = PARSE_OK("x = 1\nmodel late\n");
  EXPECT_STR(m->name.text, "late");
  CU_ASSERT_EQUAL(count_stmts(m->stmts), 1);
  done();
}

static void test_import(void) {
  gr_module *m = PARSE_OK("import \"vgg16.net\" as vgg\nimport \"a/b c.net\" as b2\n");
  gr_stmt *s = nth_stmt(m, 0);
  CU_ASSERT_EQUAL_FATAL(s->kind, GR_STMT_IMPORT);
  EXPECT_STR(s->u.import.path, "vgg16.net");
  EXPECT_STR(s->u.import.alias.text, "vgg");
  s = nth_stmt(m, 1);
  EXPECT_STR(s->u.import.path, "a/b c.net");
  EXPECT_STR(s->u.import.alias.text, "b2");
  done();
}

static void test_input(void) {
  gr_module *m = PARSE_OK(
      "input state, next_state : f32[batch, 4]\n"
      "input reward : f32[batch]\n"
      "input lr : f32\n"
      "input image : u8[batch, 224, 224, 3]\n");
  CU_ASSERT_EQUAL(count_stmts(m->stmts), 4);
  gr_stmt *s = nth_stmt(m, 0);
  CU_ASSERT_EQUAL_FATAL(s->kind, GR_STMT_INPUT);
  EXPECT_STR(names_text(s->u.input.names), "state, next_state");
  EXPECT_STR(s->u.input.type.dtype.text, "f32");
  CU_ASSERT_EQUAL(s->u.input.type.rank, 2);
  gr_dim *d = s->u.input.type.dims;
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  EXPECT_STR(d->symbol, "batch");
  CU_ASSERT_PTR_NOT_NULL_FATAL(d->next);
  CU_ASSERT_PTR_NULL(d->next->symbol);
  CU_ASSERT_EQUAL(d->next->size, 4);
  CU_ASSERT_PTR_NULL(d->next->next);
  s = nth_stmt(m, 1);
  EXPECT_STR(names_text(s->u.input.names), "reward");
  CU_ASSERT_EQUAL(s->u.input.type.rank, 1);
  /* A scalar input has no dims. */
  s = nth_stmt(m, 2);
  EXPECT_STR(s->u.input.type.dtype.text, "f32");
  CU_ASSERT_EQUAL(s->u.input.type.rank, 0);
  CU_ASSERT_PTR_NULL(s->u.input.type.dims);
  s = nth_stmt(m, 3);
  EXPECT_STR(s->u.input.type.dtype.text, "u8"); /* checked by the compiler */
  CU_ASSERT_EQUAL(s->u.input.type.rank, 4);
  CU_ASSERT_EQUAL(s->u.input.type.dims->next->next->next->size, 3);
  /* Any identifier parses as a dtype; the compiler rejects unknown ones. */
  m = PARSE_OK("input q : float64[time, 2147483647]\n");
  EXPECT_STR(nth_stmt(m, 0)->u.input.type.dtype.text, "float64");
  CU_ASSERT_EQUAL(nth_stmt(m, 0)->u.input.type.dims->next->size, 2147483647LL);
  done();
}

static void test_const_and_assign(void) {
  gr_module *m = PARSE_OK("const gamma = 0.99\nconst k = 2 * 3\nx = y\n");
  gr_stmt *s = nth_stmt(m, 0);
  CU_ASSERT_EQUAL(s->kind, GR_STMT_CONST);
  EXPECT_STR(s->u.bind.name.text, "gamma");
  CU_ASSERT_EQUAL(s->u.bind.value->kind, GR_EXPR_NUMBER);
  CU_ASSERT_DOUBLE_EQUAL(s->u.bind.value->u.number.value, 0.99, 1e-15);
  CU_ASSERT_FALSE(s->u.bind.value->u.number.is_integer);
  s = nth_stmt(m, 1);
  CU_ASSERT_EQUAL(s->kind, GR_STMT_CONST);
  EXPECT_STR(sexpr(s->u.bind.value), "(* 2 3)");
  s = nth_stmt(m, 2);
  CU_ASSERT_EQUAL(s->kind, GR_STMT_ASSIGN);
  EXPECT_STR(s->u.bind.name.text, "x");
  EXPECT_STR(sexpr(s->u.bind.value), "y");
  done();
}

static void test_literals(void) {
  EXPECT_TREE("3", "3");
  EXPECT_TREE("0.5", "0.5");
  EXPECT_TREE(".5", "0.5");
  EXPECT_TREE("2.", "2.0");
  EXPECT_TREE("1e-4", "0.0001");
  EXPECT_TREE("2.5E+3", "2500.0");
  EXPECT_TREE("9007199254740992", "9007199254740992");
  EXPECT_TREE("\"same\"", "\"same\"");
  EXPECT_TREE("\"\"", "\"\"");
  gr_module *m = PARSE_OK("a = 3\nb = 3.0\nc = 3e0\nd = 0\n");
  CU_ASSERT_TRUE(nth_stmt(m, 0)->u.bind.value->u.number.is_integer);
  CU_ASSERT_FALSE(nth_stmt(m, 1)->u.bind.value->u.number.is_integer);
  CU_ASSERT_FALSE(nth_stmt(m, 2)->u.bind.value->u.number.is_integer);
  CU_ASSERT_TRUE(nth_stmt(m, 3)->u.bind.value->u.number.is_integer);
  CU_ASSERT_EQUAL(nth_stmt(m, 0)->u.bind.value->depth, 1);
  /* Escapes are resolved; the string holds the bytes. */
  m = PARSE_OK("s = \"q\\\"b\\\\c\\nd\\te\"\n");
  EXPECT_STR(nth_stmt(m, 0)->u.bind.value->u.string, "q\"b\\c\nd\te");
  done();
}

static void test_calls_members_lists(void) {
  EXPECT_TREE("conv2d(image, filters=32, kernel=3, act=relu)",
              "(call conv2d image filters=32 kernel=3 act=relu)");
  EXPECT_TREE("f()", "(call f)");
  EXPECT_TREE("f(a, b,)", "(call f a b)"); /* trailing comma */
  EXPECT_TREE("f(k=1,)", "(call f k=1)");
  EXPECT_TREE("f(a=1, 2)", "(call f a=1 2)"); /* order is checked later */
  EXPECT_TREE("vgg.features", "(. vgg features)");
  EXPECT_TREE("vgg.features(caffe_preprocess(image))",
              "(call (. vgg features) (call caffe_preprocess image))");
  EXPECT_TREE("a.b.c(d).e", "(. (call (. (. a b) c) d) e)");
  EXPECT_TREE("f(x)(y)", "(call (call f x) y)");
  EXPECT_TREE("f(g(h(1)))", "(call f (call g (call h 1)))");
  EXPECT_TREE("[1, 2, 3]", "[1 2 3]");
  EXPECT_TREE("[]", "[]");
  EXPECT_TREE("[1, 2,]", "[1 2]");
  EXPECT_TREE("[[1, 2], [], [3]]", "[[1 2] [] [3]]");
  EXPECT_TREE("reshape(x, [7, 7, -1])", "(call reshape x [7 7 (neg 1)])");
  EXPECT_TREE("f(x, k=[a + 1, \"s\"])", "(call f x k=[(+ a 1) \"s\"])");
  gr_module *m = PARSE_OK("x = [a, b, c]\n");
  gr_expr *list = nth_stmt(m, 0)->u.bind.value;
  CU_ASSERT_EQUAL(list->u.list.count, 3);
  CU_ASSERT_EQUAL(list->depth, 2);
  m = PARSE_OK("x = f(a, k=b)\n");
  gr_expr *call = nth_stmt(m, 0)->u.bind.value;
  CU_ASSERT_EQUAL(count_args(call->u.call.args), 2);
  CU_ASSERT_PTR_NULL(call->u.call.args->keyword);
  EXPECT_STR(call->u.call.args->next->keyword->text, "k");
  done();
}

static void test_operators(void) {
  /* Left associativity. */
  EXPECT_TREE("a - b - c", "(- (- a b) c)");
  EXPECT_TREE("a + b - c + d", "(+ (- (+ a b) c) d)");
  EXPECT_TREE("a / b / c", "(/ (/ a b) c)");
  EXPECT_TREE("a * b / c * d", "(* (/ (* a b) c) d)");
  /* Precedence: * / over + - over comparisons over == !=. */
  EXPECT_TREE("a + b * c", "(+ a (* b c))");
  EXPECT_TREE("a * b + c", "(+ (* a b) c)");
  EXPECT_TREE("a - b / c - d", "(- (- a (/ b c)) d)");
  EXPECT_TREE("a < b + c", "(< a (+ b c))");
  EXPECT_TREE("a + b > c * d", "(> (+ a b) (* c d))");
  EXPECT_TREE("a <= b", "(<= a b)");
  EXPECT_TREE("a >= b", "(>= a b)");
  EXPECT_TREE("a == b < c", "(== a (< b c))");
  EXPECT_TREE("a != b + 1", "(!= a (+ b 1))");
  EXPECT_TREE("a < b == c >= d", "(== (< a b) (>= c d))");
  /* Parentheses group without leaving a node. */
  EXPECT_TREE("(a + b) * c", "(* (+ a b) c)");
  EXPECT_TREE("a - (b - c)", "(- a (- b c))");
  EXPECT_TREE("((a))", "a");
  EXPECT_TREE("(a < b) < c", "(< (< a b) c)");
  EXPECT_TREE("(a == b) == c", "(== (== a b) c)");
  /* Unary minus and plus bind tighter than * but looser than calls. */
  EXPECT_TREE("-a", "(neg a)");
  EXPECT_TREE("+a", "(pos a)");
  EXPECT_TREE("-a * b", "(* (neg a) b)");
  EXPECT_TREE("a * -b", "(* a (neg b))");
  EXPECT_TREE("a - -b", "(- a (neg b))");
  EXPECT_TREE("- -a", "(neg (neg a))");
  EXPECT_TREE("-f(x)", "(neg (call f x))");
  EXPECT_TREE("-a.b", "(neg (. a b))");
  EXPECT_TREE("(-a).b", "(. (neg a) b)");
  EXPECT_TREE("-(a + b)", "(neg (+ a b))");
  EXPECT_TREE("2 * -3", "(* 2 (neg 3))");
  /* The real thing from cartpole_dqn.net. */
  EXPECT_TREE("stop_gradient(reward + gamma * (1 - done) * reduce_max(t(n), axis=1))",
              "(call stop_gradient (+ reward (* (* gamma (- 1 done)) "
              "(call reduce_max (call t n) axis=1))))");
  /* Operators record their depth. */
  gr_module *m = PARSE_OK("x = a + b * c\n");
  gr_expr *e = nth_stmt(m, 0)->u.bind.value;
  CU_ASSERT_EQUAL(e->depth, 3);
  CU_ASSERT_EQUAL(e->u.binary.lhs->depth, 1);
  CU_ASSERT_EQUAL(e->u.binary.rhs->depth, 2);
  /* Comparisons do not chain. */
  EXPECT_ERRORS("x = a < b < c\n",
                "1:11: unexpected '<', expected '+', '-', '*' or '/'\n");
  EXPECT_ERRORS("x = a == b == c\n", "1:12: unexpected '=='\n");
  EXPECT_ERRORS("x = a < b > c\n",
                "1:11: unexpected '>', expected '+', '-', '*' or '/'\n");
  /* No spaces needed. */
  gr_module *tight = PARSE_OK("x=-1\ny=a*-b\n");
  EXPECT_STR(sexpr(nth_stmt(tight, 0)->u.bind.value), "(neg 1)");
  EXPECT_STR(sexpr(nth_stmt(tight, 1)->u.bind.value), "(* a (neg b))");
  done();
}

static void test_outputs_train_freeze(void) {
  gr_module *m = PARSE_OK(
      "output probs = softmax(logits)\n"
      "loss   xent  = sparse_cross_entropy(logits, label)\n"
      "metric acc   = accuracy(logits, label)\n"
      "train  adam(lr=0.001) minimizes xent with batch=128, epochs=12\n"
      "train sgd minimizes xent\n"
      "train adam(lr=1e-4, schedule=cosine(steps=1000)) minimizes l with clip_norm=1.0\n"
      "freeze vgg, fc1, fc2\n"
      "freeze x\n");
  CU_ASSERT_EQUAL(count_stmts(m->stmts), 8);
  gr_stmt *s = nth_stmt(m, 0);
  CU_ASSERT_EQUAL(s->kind, GR_STMT_OUTPUT);
  EXPECT_STR(s->u.bind.name.text, "probs");
  EXPECT_STR(sexpr(s->u.bind.value), "(call softmax logits)");
  s = nth_stmt(m, 1);
  CU_ASSERT_EQUAL(s->kind, GR_STMT_LOSS);
  EXPECT_STR(s->u.bind.name.text, "xent");
  s = nth_stmt(m, 2);
  CU_ASSERT_EQUAL(s->kind, GR_STMT_METRIC);
  EXPECT_STR(s->u.bind.name.text, "acc");
  EXPECT_STR(sexpr(s->u.bind.value), "(call accuracy logits label)");
  s = nth_stmt(m, 3);
  CU_ASSERT_EQUAL_FATAL(s->kind, GR_STMT_TRAIN);
  EXPECT_STR(sexpr(s->u.train.optimizer), "(call adam lr=0.001)");
  EXPECT_STR(s->u.train.objective.text, "xent");
  CU_ASSERT_EQUAL(count_args(s->u.train.settings), 2);
  EXPECT_STR(s->u.train.settings->keyword->text, "batch");
  EXPECT_STR(sexpr(s->u.train.settings->value), "128");
  EXPECT_STR(s->u.train.settings->next->keyword->text, "epochs");
  s = nth_stmt(m, 4);
  EXPECT_STR(sexpr(s->u.train.optimizer), "sgd");
  CU_ASSERT_PTR_NULL(s->u.train.settings);
  s = nth_stmt(m, 5);
  EXPECT_STR(sexpr(s->u.train.optimizer),
             "(call adam lr=0.0001 schedule=(call cosine steps=1000))");
  EXPECT_STR(s->u.train.settings->keyword->text, "clip_norm");
  s = nth_stmt(m, 6);
  CU_ASSERT_EQUAL(s->kind, GR_STMT_FREEZE);
  EXPECT_STR(names_text(s->u.freeze.names), "vgg, fc1, fc2");
  EXPECT_STR(names_text(nth_stmt(m, 7)->u.freeze.names), "x");
  /* `with` takes keyword settings only. */
  EXPECT_ERRORS("train adam minimizes l with 5\n",
                "1:29: unexpected number '5', expected identifier\n");
  done();
}

static void test_blocks(void) {
  /* One line, statements separated by ';'. */
  gr_module *m = PARSE_OK("block f(x, y) { z = x + y; return z }\n");
  gr_stmt *b = nth_stmt(m, 0);
  CU_ASSERT_EQUAL_FATAL(b->kind, GR_STMT_BLOCK);
  EXPECT_STR(b->u.block.name.text, "f");
  EXPECT_STR(names_text(b->u.block.params), "x, y");
  CU_ASSERT_EQUAL(count_stmts(b->u.block.body), 2);
  CU_ASSERT_EQUAL(b->u.block.body->kind, GR_STMT_ASSIGN);
  CU_ASSERT_EQUAL(b->u.block.body->next->kind, GR_STMT_RETURN);
  EXPECT_STR(sexpr(b->u.block.body->next->u.ret.value), "z");
  CU_ASSERT_PTR_NULL(b->next);

  /* Several lines, blank lines, comments, ';' at line ends. */
  m = PARSE_OK(
      "block qnet(x) {\n"
      "  # first layer\n"
      "\n"
      "  x = dense(x, 16, act=relu);\n"
      "  x = dense(x, 16, act=relu)\n"
      "  return dense(x, 2)\n"
      "}\n"
      "y = qnet(s)\n");
  CU_ASSERT_EQUAL(count_stmts(m->stmts), 2);
  b = nth_stmt(m, 0);
  EXPECT_STR(names_text(b->u.block.params), "x");
  CU_ASSERT_EQUAL(count_stmts(b->u.block.body), 3);
  EXPECT_STR(sexpr(b->u.block.body->next->next->u.ret.value), "(call dense x 2)");

  /* No parameters, a trailing comma, an empty body, `{` on the same line. */
  m = PARSE_OK("block g() { return 1 }\nblock h(a, b,) {\n  return a\n}\nblock e() {}\n");
  CU_ASSERT_PTR_NULL(nth_stmt(m, 0)->u.block.params);
  EXPECT_STR(names_text(nth_stmt(m, 1)->u.block.params), "a, b");
  CU_ASSERT_PTR_NULL(nth_stmt(m, 2)->u.block.body);

  /* Blocks are top-level statements only... inside they are a superset the
  ** compiler rejects: the grammar accepts a nested block. */
  m = PARSE_OK("block o() { block i() { return 1 }; return 2 }\n");
  CU_ASSERT_EQUAL(nth_stmt(m, 0)->u.block.body->kind, GR_STMT_BLOCK);
  /* `return` and copies parse anywhere; the compiler says where they go. */
  m = PARSE_OK("return 3\na <- b\n");
  CU_ASSERT_EQUAL(nth_stmt(m, 0)->kind, GR_STMT_RETURN);
  CU_ASSERT_EQUAL(nth_stmt(m, 1)->kind, GR_STMT_COPY);
  done();
}

static void test_steps(void) {
  gr_module *m = PARSE_OK(
      "step sync_target { target <- online }\n"
      "step both {\n"
      "  a <- b\n"
      "  c <- d; e <- f\n"
      "}\n"
      "step none {}\n");
  gr_stmt *s = nth_stmt(m, 0);
  CU_ASSERT_EQUAL_FATAL(s->kind, GR_STMT_STEP);
  EXPECT_STR(s->u.step.name.text, "sync_target");
  gr_stmt *c = s->u.step.body;
  CU_ASSERT_EQUAL_FATAL(c->kind, GR_STMT_COPY);
  EXPECT_STR(c->u.copy.target.text, "target");
  EXPECT_STR(c->u.copy.source.text, "online");
  CU_ASSERT_PTR_NULL(c->next);
  s = nth_stmt(m, 1);
  CU_ASSERT_EQUAL(count_stmts(s->u.step.body), 3);
  EXPECT_STR(s->u.step.body->next->next->u.copy.source.text, "f");
  CU_ASSERT_PTR_NULL(nth_stmt(m, 2)->u.step.body);
  /* `<-` is one token; `a < -b` is a comparison. */
  EXPECT_TREE("a < -b", "(< a (neg b))");
  done();
}

static void test_newlines_in_brackets(void) {
  gr_module *m = PARSE_OK(
      "x = conv2d(image,\n"
      "           filters=32,\n"
      "\n"
      "           kernel=3,   # a comment inside\n"
      ")\n"
      "y = [1,\n  2,\n  3\n]\n"
      "z = (a\n + b)\n"
      "w = f([\n1], (\n2))\n");
  CU_ASSERT_EQUAL(count_stmts(m->stmts), 4);
  EXPECT_STR(sexpr(nth_stmt(m, 0)->u.bind.value),
             "(call conv2d image filters=32 kernel=3)");
  EXPECT_STR(sexpr(nth_stmt(m, 1)->u.bind.value), "[1 2 3]");
  EXPECT_STR(sexpr(nth_stmt(m, 2)->u.bind.value), "(+ a b)");
  EXPECT_STR(sexpr(nth_stmt(m, 3)->u.bind.value), "(call f [1] 2)");
  /* Newlines end statements again once the brackets are closed; CRLF too. */
  m = PARSE_OK("a = (1)\r\nb = [2]\r\nc = 3");
  CU_ASSERT_EQUAL(count_stmts(m->stmts), 3);
  /* A newline outside brackets ends the statement. */
  EXPECT_ERRORS("x = a +\n  b\n",
                "1:8: unexpected end of line\n"
                "2:4: unexpected end of line, expected '<-' or '='\n");
  done();
}

/* ---------------------------------------------------------------- spans */

/* "line:col-line:col" of a span (the end is one past the last byte). */
static const char *span_text(nc_span s) {
  static char text[64];
  const nc_source *src = nc_source_get(&P.sources, s.file);
  if (!src) return "(no file)";
  int l1, c1, l2, c2;
  nc_source_position(src, s.start, &l1, &c1);
  nc_source_position(src, s.end, &l2, &c2);
  snprintf(text, sizeof text, "%d:%d-%d:%d", l1, c1, l2, c2);
  return text;
}

static void test_spans(void) {
  gr_module *m = PARSE_OK(
      "model m\n"
      "input image : f32[batch, 28]\n"
      "x = conv2d(image, filters=32)\n"
      "y = a * (b + c)\n"
      "block f(p) {\n"
      "  return -p.q\n"
      "}\n"
      "train adam(lr=0.1) minimizes l with batch=8\n");
  EXPECT_STR(span_text(m->name.span), "1:7-1:8");
  gr_stmt *s = nth_stmt(m, 0);
  EXPECT_STR(span_text(s->span), "2:1-2:29");
  EXPECT_STR(span_text(s->u.input.names->span), "2:7-2:12");
  EXPECT_STR(span_text(s->u.input.type.span), "2:15-2:29");
  EXPECT_STR(span_text(s->u.input.type.dtype.span), "2:15-2:18");
  EXPECT_STR(span_text(s->u.input.type.dims->span), "2:19-2:24");
  EXPECT_STR(span_text(s->u.input.type.dims->next->span), "2:26-2:28");
  s = nth_stmt(m, 1);
  EXPECT_STR(span_text(s->span), "3:1-3:30");
  EXPECT_STR(span_text(s->u.bind.name.span), "3:1-3:2");
  gr_expr *call = s->u.bind.value;
  EXPECT_STR(span_text(call->span), "3:5-3:30");
  EXPECT_STR(span_text(call->u.call.callee->span), "3:5-3:11");
  EXPECT_STR(span_text(call->u.call.args->value->span), "3:12-3:17");
  EXPECT_STR(span_text(call->u.call.args->next->keyword->span), "3:19-3:26");
  EXPECT_STR(span_text(call->u.call.args->next->value->span), "3:27-3:29");
  /* The binary node covers the parentheses of its operand; the operand
  ** itself is the text inside them. */
  gr_expr *mul = nth_stmt(m, 2)->u.bind.value;
  EXPECT_STR(span_text(mul->span), "4:5-4:16");
  EXPECT_STR(span_text(mul->u.binary.rhs->span), "4:10-4:15");
  s = nth_stmt(m, 3);
  EXPECT_STR(span_text(s->span), "5:1-7:2");
  EXPECT_STR(span_text(s->u.block.name.span), "5:7-5:8");
  EXPECT_STR(span_text(s->u.block.params->span), "5:9-5:10");
  gr_stmt *ret = s->u.block.body;
  EXPECT_STR(span_text(ret->span), "6:3-6:14");
  gr_expr *neg = ret->u.ret.value;
  EXPECT_STR(span_text(neg->span), "6:10-6:14");
  EXPECT_STR(span_text(neg->u.unary.operand->span), "6:11-6:14");
  EXPECT_STR(span_text(neg->u.unary.operand->u.member.member.span), "6:13-6:14");
  s = nth_stmt(m, 4);
  EXPECT_STR(span_text(s->span), "8:1-8:44");
  EXPECT_STR(span_text(s->u.train.optimizer->span), "8:7-8:19");
  EXPECT_STR(span_text(s->u.train.objective.span), "8:30-8:31");
  EXPECT_STR(span_text(s->u.train.settings->keyword->span), "8:37-8:42");
  /* Every span names the file it came from. */
  CU_ASSERT_EQUAL(s->span.file, P.file);
  CU_ASSERT_EQUAL(s->u.train.settings->value->span.file, P.file);
  done();
}

/* A second file in one table: spans point into it, not into the first. */
static void test_spans_second_file(void) {
  nc_arena arena;
  nc_arena_init(&arena);
  nc_source_table sources;
  nc_source_table_init(&sources, &arena);
  CU_ASSERT_EQUAL(nc_source_add(&sources, "a.net", "x = 1\n", 6), 0);
  CU_ASSERT_EQUAL(nc_source_add(&sources, "b.net", "\n\n  y = 2\n", 9), 1);
  nc_diag_sink sink;
  nc_diag_init(&sink, &sources, NULL, NULL, 0);
  gr_module *m = NULL;
  CU_ASSERT_EQUAL(gr_parse(&arena, &sources, 1, &sink, &m), 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_EQUAL(m->file, 1);
  CU_ASSERT_EQUAL(m->stmts->span.file, 1);
  int line, col;
  nc_source_position(nc_source_get(&sources, 1), m->stmts->span.start, &line, &col);
  CU_ASSERT_EQUAL(line, 3);
  CU_ASSERT_EQUAL(col, 3);
  /* An index outside the table is refused. */
  CU_ASSERT_EQUAL(gr_parse(&arena, &sources, 2, &sink, &m), -2);
  CU_ASSERT_PTR_NULL(m);
  nc_arena_release(&arena);
}

/* --------------------------------------------------------------- errors */

static void test_syntax_error_messages(void) {
  EXPECT_ERRORS("input x f32[4]\n",
                "1:9: unexpected identifier 'f32', expected ':' or ','\n");
  /* A line that starts in column 1 inside brackets ends the statement. */
  EXPECT_ERRORS("x = f(a, b\ny = 1\n",
                "1:6: '(' is not closed [hint: a line inside brackets must be "
                "indented to continue the statement]\n");
  CU_ASSERT_EQUAL(count_stmts(P.module->stmts), 1);
  EXPECT_STR(P.module->stmts->u.bind.name.text, "y");
  EXPECT_ERRORS("x = [1, 2\n",
                "1:10: unexpected end of file, expected ']' to close '[' at 1:5\n");
  EXPECT_ERRORS("x = f(a b)\n",
                "1:9: unexpected identifier 'b', expected ')' to close '(' at 1:6\n");
  EXPECT_ERRORS("x = f(,)\n",
                "1:7: unexpected ',', expected ')' to close '(' at 1:6\n");
  EXPECT_ERRORS("x = [,]\n",
                "1:6: unexpected ',', expected ']' to close '[' at 1:5\n");
  EXPECT_ERRORS("model = 3\n", "1:7: unexpected '=', expected identifier\n");
  EXPECT_ERRORS("import vgg as v\n",
                "1:8: unexpected identifier 'vgg', expected string\n");
  EXPECT_ERRORS("freeze\n", "1:7: unexpected end of line, expected identifier\n");
  EXPECT_ERRORS("train adam minimizes\n",
                "1:21: unexpected end of line, expected identifier\n");
  EXPECT_ERRORS("x = a.\n", "1:7: unexpected end of line, expected identifier\n");
  EXPECT_ERRORS("x = ]\n", "1:5: unexpected ']'\n");
  EXPECT_ERRORS("}\n", "1:1: unexpected '}'\n");
  EXPECT_ERRORS("block f(x) { x = 1\n",
                "1:19: unexpected end of file, expected '}' to close '{' at 1:12\n");
  EXPECT_ERRORS("model a\nmodel b\n", "2:7: the model is already named 'a'\n");
  /* Lexical errors. */
  EXPECT_ERRORS("x = 3abc\n", "1:5: malformed number '3abc'\n");
  EXPECT_ERRORS("x = \"abc\n",
                "1:5: unterminated string [hint: strings end on the line they start]\n");
  EXPECT_ERRORS("x = \"a\\qb\"\n",
                "1:7: unknown escape '\\q' [hint: use \\\\ for a backslash]\n");
  EXPECT_ERRORS("x = 99999999999999999999\n",
                "1:5: integer '99999999999999999999' is too large\n");
  EXPECT_ERRORS("x = 1e999\n", "1:5: number '1e999' is too large\n");
  EXPECT_ERRORS("input x : f32[0, 2.5, batch]\n",
                "1:15: invalid dimension [hint: use a positive integer or a name such as batch]\n"
                "1:18: invalid dimension [hint: use a positive integer or a name such as batch]\n");
  /* A lexical error hides the syntax errors it causes on its line. */
  EXPECT_ERRORS("x = 1 $ 2\ny = )\n",
                "1:7: unexpected character '$'\n"
                "2:5: unexpected ')'\n");
  EXPECT_ERRORS("# caf\xc3\xa9 in a comment is fine\nx = \xc3\xa9\xc3\xa9\n",
                "2:5: unexpected non-ASCII text [hint: only ASCII is allowed outside "
                "comments and strings]\n");
  parse("s = \"caf\xc3\xa9\"\n"); /* and inside strings */
  CU_ASSERT_EQUAL(P.rc, 0);
  /* A NUL byte is just another bad byte. */
  parse("x = 1\0y = 2\n"); /* strlen stops at the NUL: "x = 1" */
  CU_ASSERT_EQUAL(P.rc, 0);
  done();
  parsed nul;
  parsed_open(&nul, "nul.net", "x = 1\0\ny = 2\n", 13);
  CU_ASSERT_EQUAL(nul.rc, -1);
  EXPECT_STR(nc_buf_str(&nul.diags),
             "1:6: unexpected control character 0x00\n");
  CU_ASSERT_EQUAL(count_stmts(nul.module->stmts), 2);
  parsed_close(&nul);
  done();
}

/* The parser recovers at statement level: one run reports many errors and
** keeps the statements around them. */
static void test_error_recovery(void) {
  EXPECT_ERRORS("x = = 1\ny = 2\nz = )\nw = 3\n",
                "1:5: unexpected '='\n"
                "3:5: unexpected ')'\n");
  EXPECT_STR(P.module->stmts->u.bind.name.text, "y");
  EXPECT_STR(P.module->stmts->next->u.bind.name.text, "w");
  CU_ASSERT_EQUAL(count_stmts(P.module->stmts), 2);
  CU_ASSERT_EQUAL(P.sink.errors, 2);

  /* Inside a block body, too; the block and what follows survive. */
  EXPECT_ERRORS("model m\n"
                "block f(x) {\n"
                "  a = = 1\n"
                "  b = f(2 3)\n"
                "  return x\n"
                "}\n"
                "input i f32\n"
                "y = f(i)\n",
                "3:7: unexpected '='\n"
                "4:11: unexpected number '3', expected ')' to close '(' at 4:8\n"
                "7:9: unexpected identifier 'f32', expected ':' or ','\n");
  EXPECT_STR(P.module->name.text, "m");
  gr_stmt *b = nth_stmt(P.module, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT_EQUAL_FATAL(b->kind, GR_STMT_BLOCK);
  CU_ASSERT_EQUAL(count_stmts(b->u.block.body), 1);
  CU_ASSERT_EQUAL(b->u.block.body->kind, GR_STMT_RETURN);
  CU_ASSERT_PTR_NOT_NULL_FATAL(nth_stmt(P.module, 1));
  EXPECT_STR(nth_stmt(P.module, 1)->u.bind.name.text, "y");
  CU_ASSERT_EQUAL(count_stmts(P.module->stmts), 2);

  /* Lexical and syntax errors mix; the count is what gr_parse saw. */
  EXPECT_ERRORS("a = 1x\nb = \"open\nc = (1 +\n",
                "1:5: malformed number '1x'\n"
                "2:5: unterminated string [hint: strings end on the line they start]\n"
                "3:9: unexpected end of file\n");
  CU_ASSERT_EQUAL(count_stmts(P.module->stmts), 2);

  /* With max_errors the sink stops rendering, but parsing still fails. */
  parsed capped;
  memset(&capped, 0, sizeof capped);
  nc_arena_init(&capped.arena);
  nc_buf_init(&capped.diags);
  nc_source_table_init(&capped.sources, &capped.arena);
  const char *text = "a = )\nb = )\nc = )\nd = )\n";
  capped.file = nc_source_add(&capped.sources, "c.net", text, strlen(text));
  nc_diag_init(&capped.sink, &capped.sources, collect, &capped, 2);
  capped.rc = gr_parse(&capped.arena, &capped.sources, capped.file,
                       &capped.sink, &capped.module);
  CU_ASSERT_EQUAL(capped.rc, -1);
  EXPECT_STR(nc_buf_str(&capped.diags),
             "1:5: unexpected ')'\n2:5: unexpected ')'\n0:0: stopping after 2 errors\n");
  parsed_close(&capped);
  done();
}

/* ------------------------------------------------------------ round trip */

/* print -> parse -> print gives the same text, and the two trees are equal.
** `name` labels failures. */
static void check_round_trip(const char *name, const char *text, size_t size,
                             unsigned line) {
  char what[600];
  parsed first, second, third;
  parsed_open(&first, name, text, size);
  snprintf(what, sizeof what, "%s parses without errors: %s", name,
           nc_buf_str(&first.diags));
  CU_assertImplementation(first.rc == 0, line, what, __FILE__, "", CU_FALSE);
  nc_buf out1, out2;
  nc_buf_init(&out1);
  nc_buf_init(&out2);
  gr_print_module(&out1, first.module);
  parsed_open(&second, "printed.net", nc_buf_str(&out1), out1.len);
  snprintf(what, sizeof what, "%s: printed text parses: %s", name,
           nc_buf_str(&second.diags));
  CU_assertImplementation(second.rc == 0, line, what, __FILE__, "", CU_FALSE);
  gr_print_module(&out2, second.module);
  expect_str(nc_buf_str(&out2), nc_buf_str(&out1), line);
  snprintf(what, sizeof what, "%s: reparsed tree equals the original", name);
  CU_assertImplementation(module_equal(first.module, second.module), line,
                          what, __FILE__, "", CU_FALSE);
  /* Printing is a fixed point from the first print on. */
  parsed_open(&third, "printed2.net", nc_buf_str(&out2), out2.len);
  CU_assertImplementation(module_equal(second.module, third.module), line,
                          what, __FILE__, "", CU_FALSE);
  nc_buf_release(&out1);
  nc_buf_release(&out2);
  parsed_close(&first);
  parsed_close(&second);
  parsed_close(&third);
}

static void test_round_trip_models(void) {
  DIR *dir = opendir(models_dir());
  CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
  int files = 0;
  struct dirent *entry;
  while ((entry = readdir(dir))) {
    size_t len = strlen(entry->d_name);
    if (len < 5 || strcmp(entry->d_name + len - 4, ".net") != 0) continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", models_dir(), entry->d_name);
    size_t size = 0;
    char *text = slurp(path, &size);
    CU_ASSERT_PTR_NOT_NULL(text);
    if (!text) continue;
    check_round_trip(entry->d_name, text, size, __LINE__);
    free(text);
    files++;
  }
  closedir(dir);
  CU_ASSERT(files >= 4); /* mnist, vgg16, cartpole_dqn, catsdogs */
}

/* The canonical form of one model, spelled out once. */
static void test_print_canonical(void) {
  gr_module *m = PARSE_OK(
      "model   m   # name\n"
      "import \"v.net\"as v\n"
      "input a,b:f32[batch,4]\n"
      "input s:i32\n"
      "const k=2*3\n"
      "x=f( a ,k=[1,2,] ,s=\"q\\\"\" )\n"
      "block g(p,){y=p;return-y}\n"
      "step s{a<-b;c<-d}\n"
      "output o=(a+b)*c-(d-e)\n"
      "loss l=a<b\n"
      "metric n=-(-a)\n"
      "train adam(lr=1e-3)minimizes l with batch=8,epochs=2\n"
      "freeze v,g\n");
  nc_buf out;
  nc_buf_init(&out);
  gr_print_module(&out, m);
  EXPECT_STR(nc_buf_str(&out),
             "model m\n"
             "import \"v.net\" as v\n"
             "input a, b : f32[batch, 4]\n"
             "input s : i32\n"
             "const k = 2 * 3\n"
             "x = f(a, k=[1, 2], s=\"q\\\"\")\n"
             "block g(p) {\n"
             "  y = p\n"
             "  return -y\n"
             "}\n"
             "step s {\n"
             "  a <- b\n"
             "  c <- d\n"
             "}\n"
             "output o = (a + b) * c - (d - e)\n"
             "loss l = a < b\n"
             "metric n = --a\n"
             "train adam(lr=0.001) minimizes l with batch=8, epochs=2\n"
             "freeze v, g\n");
  nc_buf_clear(&out);
  gr_print_expr(&out, nth_stmt(m, 4)->u.bind.value);
  EXPECT_STR(nc_buf_str(&out), "f(a, k=[1, 2], s=\"q\\\"\")");
  nc_buf_release(&out);
  EXPECT_STR(gr_binop_text(GR_OP_LE), "<=");
  EXPECT_STR(gr_binop_text(GR_OP_NE), "!=");
  EXPECT_STR(gr_binop_text(GR_OP_NEG), "-");
  EXPECT_STR(gr_binop_text((gr_binop)99), "?");
  /* An empty module prints as nothing. */
  m = PARSE_OK("# nothing\n");
  nc_buf_init(&out);
  gr_print_module(&out, m);
  EXPECT_STR(nc_buf_str(&out), "");
  nc_buf_release(&out);
  done();
}

static const char *const round_trip_snippets[] = {
    "x = a - (b - c)\ny = (a - b) - c\nz = a / (b / c)\nw = a / b * c\n",
    "x = -(a + b) * c\ny = (-a) * b\nz = -a * b\nw = - -a\nv = +a\nu = +(-a)\n",
    "x = -(a * b)\ny = -f(x).y\nz = (-a).b\nw = (a + b).c(d)\nv = (a + b)(c)\n",
    "x = (a < b) == (c >= d)\ny = (a == b) != c\nz = a == (b != c)\n"
    "w = (a < b) < c\nv = a < (b < c)\nu = a <= b + c * d\n",
    "x = 2 * -3\ny = a - -b\nz = a * (b + c) / (d - e)\n",
    "x = f(-1, k=-2.5e-3, s=\"a\\\"b\\\\c\\nd\\te\")\n",
    "x = [1, [2, 3], [], [[a]]]\ny = f([a, b], k=[1])\n",
    "x = 1e-07 + 0.1 + 123456789012 + 3.0 + 1e+300 + 0.30000000000000004 + .5\n",
    "x = 9007199254740992 + 4.9e-324 + 1.7976931348623157e308 + 2.5E-3\n",
    "block f(a, b) { c = a + b; return c }\nblock g() {\n}\nblock h(x) { return x }\n",
    "step s { a <- b; c <- d }\nstep t {}\n",
    "train sgd minimizes l\n"
    "train adam(lr=1e-4, schedule=cosine(steps=1000)) minimizes l "
    "with batch=16, epochs=5, clip_norm=1.0\n",
    "import \"x/y.net\" as y\ninput a, b, c : i32[batch, 3, time]\ninput s : f32\n"
    "freeze a, b\nconst k = 2 * 3\n",
    "return x\na <- b\nmodel late\n",
    "x = vgg.features(caffe_preprocess(image))\ny = a.b.c.d\n",
    "y = stop_gradient(reward + gamma * (1 - done) * reduce_max(target(s), axis=1))\n",
    "",
    "# only comments\n",
};

static void test_round_trip_snippets(void) {
  size_t n = sizeof round_trip_snippets / sizeof *round_trip_snippets;
  for (size_t i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "snippet %zu", i);
    check_round_trip(name, round_trip_snippets[i], strlen(round_trip_snippets[i]),
                     __LINE__);
  }
}

/* ---------------------------------------------------- hostile input */

/* xorshift32: the same "random" input on every run and platform. */
static uint32_t rng_state;
static uint32_t rng(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}

/* Parses arbitrary bytes: must not crash; 0 exactly when no diagnostic was
** reported, -1 otherwise (never the out-of-memory -2 here). */
static int parse_bytes(const char *bytes, size_t size, char *first_error,
                       size_t cap) {
  parsed p;
  parsed_open(&p, "fuzz.net", bytes, size);
  int rc = p.rc;
  int ok = (rc == 0 && p.n_diags == 0 && p.sink.errors == 0) ||
           (rc == -1 && p.n_diags > 0);
  if (first_error) snprintf(first_error, cap, "%s", nc_buf_str(&p.diags));
  parsed_close(&p);
  return ok ? rc : -99;
}

static void test_random_bytes(void) {
  rng_state = 0x2545F491u;
  char buf[512];
  int errors = 0, bad = 0;
  for (int round = 0; round < 400; round++) {
    size_t size = rng() % sizeof buf;
    for (size_t i = 0; i < size; i++) buf[i] = (char)(rng() & 0xff);
    int rc = parse_bytes(buf, size, NULL, 0);
    if (rc == -99) bad++;
    if (rc == -1) errors++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(errors > 350); /* random bytes are nearly never a program */
  /* Printable ASCII only: more tokens, deeper into the grammar. */
  bad = 0;
  for (int round = 0; round < 400; round++) {
    size_t size = rng() % sizeof buf;
    for (size_t i = 0; i < size; i++) {
      uint32_t r = rng() % 100;
      buf[i] = r < 8 ? '\n' : (char)(' ' + rng() % 95);
    }
    if (parse_bytes(buf, size, NULL, 0) == -99) bad++;
  }
  CU_ASSERT_EQUAL(bad, 0);
}

/* Random sequences of real tokens reach every corner of the grammar. The
** ones that parse must also survive the print/parse round trip.
** KNOWN BUG (reported, left out): a member or call on an integer literal,
** `(1).y`, prints as `1.y`, which does not parse; those programs are
** skipped by not generating integer literals before '.'. */
static void test_token_soup(void) {
  static const char *const tokens[] = {
      "model", "import", "as", "input", "const", "output", "loss", "metric",
      "train", "minimizes", "with", "freeze", "block", "return", "step",
      "x", "y", "f", "batch", "f32", "2.5", "\"s\"", "(", ")", "[", "]",
      "{", "}", ",", ":", "=", "+", "-", "*", "/", "<", ">", "<=", ">=",
      "==", "!=", "<-", ".", ";", "\n", "# c\n", "x", "=", "f", "(", ")", "\n"};
  const size_t n_tokens = sizeof tokens / sizeof *tokens;
  rng_state = 12345u;
  int parsed_ok = 0, bad = 0;
  for (int round = 0; round < 3000; round++) {
    char text[1024] = "";
    size_t len = 0;
    int count = 1 + (int)(rng() % (round % 2 ? 40 : 8));
    for (int k = 0; k < count; k++) {
      const char *t = tokens[rng() % n_tokens];
      len += (size_t)snprintf(text + len, sizeof text - len, "%s ", t);
    }
    int rc = parse_bytes(text, len, NULL, 0);
    if (rc == -99) bad++;
    if (rc == 0) {
      parsed_ok++;
      check_round_trip("token soup", text, len, __LINE__);
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(parsed_ok > 10); /* some soups are programs */
}

/* Random valid programs: every construct, random spacing, parentheses and
** trailing commas. Each must parse and survive the round trip. Operands of
** operators are parenthesized when compound (comparisons do not chain), and
** members are never taken of an integer literal (see the known bug above). */
static const char *pick(const char *const *words, size_t n) {
  return words[rng() % n];
}
#define PICK(words) pick((words), sizeof(words) / sizeof *(words))

static void gen_space(nc_buf *b) {
  if (rng() % 3 == 0) nc_buf_putc(b, ' ');
}

/* Inside brackets a newline is spacing too. */
static void gen_bracket_space(nc_buf *b) {
  uint32_t r = rng() % 8;
  if (r == 0) nc_buf_puts(b, "\n  ");
  else if (r < 3) nc_buf_putc(b, ' ');
}

static void gen_expr(nc_buf *b, int depth);

static void gen_leaf(nc_buf *b) {
  static const char *const leaves[] = {
      "a", "b", "image", "x_1", "_t", "0", "7", "128", "0.5", "1e-3",
      "2.5E+2", ".25", "3.", "\"same\"", "\"a\\\"b\"", "\"\""};
  nc_buf_puts(b, PICK(leaves));
}

static void gen_operand(nc_buf *b, int depth) {
  uint32_t r = rng() % 4;
  if (depth <= 0 || r == 0) {
    gen_leaf(b);
  } else if (r == 1) {
    nc_buf_putc(b, '(');
    gen_expr(b, depth - 1);
    nc_buf_putc(b, ')');
  } else {
    gen_expr(b, depth - 1); /* a call, list, member or leaf below */
  }
}

static void gen_args(nc_buf *b, int depth, int keywords_only) {
  static const char *const keys[] = {"k", "axis", "filters", "act", "lr"};
  int n = (int)(rng() % 4);
  for (int i = 0; i < n; i++) {
    if (i) {
      nc_buf_putc(b, ',');
      gen_bracket_space(b);
    }
    if (keywords_only || rng() % 3 == 0) {
      nc_buf_puts(b, PICK(keys));
      gen_space(b);
      nc_buf_putc(b, '=');
      gen_space(b);
    }
    gen_expr(b, depth - 1);
  }
  if (n && rng() % 4 == 0) nc_buf_putc(b, ',');
}

static void gen_expr(nc_buf *b, int depth) {
  static const char *const binops[] = {"+", "-", "*", "/", "<", ">",
                                       "<=", ">=", "==", "!="};
  static const char *const callees[] = {"f", "dense", "vgg.features", "g.h.i"};
  uint32_t r = depth <= 0 ? 0 : rng() % 9;
  switch (r) {
  case 0: gen_leaf(b); break;
  case 1: case 2: /* binary; compound operands in parentheses */
    nc_buf_putc(b, '(');
    gen_operand(b, depth - 1);
    nc_buf_putc(b, ')');
    gen_space(b);
    nc_buf_puts(b, PICK(binops));
    gen_space(b);
    nc_buf_putc(b, '(');
    gen_operand(b, depth - 1);
    nc_buf_putc(b, ')');
    break;
  case 3: /* a chain of one operator, left-associative */
    gen_leaf(b);
    for (int i = (int)(rng() % 4); i >= 0; i--) {
      nc_buf_puts(b, rng() % 2 ? " - " : "+");
      gen_leaf(b);
    }
    break;
  case 4: /* unary */
    nc_buf_puts(b, rng() % 4 ? "-" : "+");
    gen_space(b);
    nc_buf_putc(b, '(');
    gen_expr(b, depth - 1);
    nc_buf_putc(b, ')');
    break;
  case 5: case 6: /* call */
    nc_buf_puts(b, PICK(callees));
    nc_buf_putc(b, '(');
    gen_bracket_space(b);
    gen_args(b, depth, 0);
    nc_buf_putc(b, ')');
    if (rng() % 5 == 0) nc_buf_puts(b, ".out");
    break;
  case 7: /* list */
    nc_buf_putc(b, '[');
    for (int i = 0, n = (int)(rng() % 4); i < n; i++) {
      if (i) nc_buf_puts(b, ", ");
      gen_bracket_space(b);
      gen_expr(b, depth - 1);
    }
    nc_buf_putc(b, ']');
    break;
  case 8: /* member of a parenthesized compound object */
    nc_buf_puts(b, "(a");
    nc_buf_puts(b, rng() % 2 ? " + " : " * ");
    gen_leaf(b);
    nc_buf_puts(b, ").m");
    break;
  }
}

static void gen_names(nc_buf *b, int max) {
  static const char *const names[] = {"a", "b", "vgg", "fc1", "online", "t2"};
  int n = 1 + (int)(rng() % (uint32_t)max);
  for (int i = 0; i < n; i++) {
    if (i) nc_buf_puts(b, rng() % 2 ? ", " : ",");
    nc_buf_puts(b, PICK(names));
  }
}

static void gen_stmt(nc_buf *b, int in_block) {
  static const char *const binds[] = {"", "const ", "output ", "loss ", "metric "};
  static const char *const dims[] = {"batch", "4", "28", "time", "1"};
  uint32_t r = in_block ? rng() % 3 : rng() % 12;
  switch (r) {
  case 0: case 1: /* assignment, or in a block a return */
    if (in_block && r == 1) {
      nc_buf_puts(b, "return ");
      gen_expr(b, 3);
      break;
    }
    nc_buf_puts(b, "y");
    gen_space(b);
    nc_buf_putc(b, '=');
    gen_space(b);
    gen_expr(b, 4);
    break;
  case 2:
    nc_buf_puts(b, PICK(binds));
    nc_buf_puts(b, "z = ");
    gen_expr(b, 3);
    break;
  case 3: {
    nc_buf_puts(b, "input ");
    gen_names(b, 3);
    nc_buf_puts(b, " : f32");
    int rank = (int)(rng() % 4);
    for (int i = 0; i < rank; i++) {
      nc_buf_puts(b, i ? ", " : "[");
      nc_buf_puts(b, PICK(dims));
    }
    if (rank) nc_buf_putc(b, ']');
    break;
  }
  case 4: nc_buf_puts(b, "import \"lib/v.net\" as v"); break;
  case 5:
    nc_buf_puts(b, "train ");
    if (rng() % 2) {
      nc_buf_puts(b, "adam(");
      gen_args(b, 2, 1);
      nc_buf_putc(b, ')');
    } else {
      nc_buf_puts(b, "sgd");
    }
    nc_buf_puts(b, " minimizes l");
    if (rng() % 2) nc_buf_puts(b, " with batch=32, epochs = 2");
    break;
  case 6:
    nc_buf_puts(b, "freeze ");
    gen_names(b, 3);
    break;
  case 7: case 8: {
    nc_buf_puts(b, "block blk(");
    if (rng() % 3) gen_names(b, 3);
    nc_buf_puts(b, ") {");
    int one_line = rng() % 2;
    for (int i = 0, n = (int)(rng() % 4); i < n; i++) {
      nc_buf_puts(b, one_line ? (i ? "; " : " ") : "\n  ");
      gen_stmt(b, 1);
    }
    nc_buf_puts(b, one_line ? " }" : "\n}");
    break;
  }
  case 9:
    nc_buf_puts(b, "step sync {");
    for (int i = 0, n = (int)(rng() % 3); i < n; i++)
      nc_buf_puts(b, rng() % 2 ? " t <- o;" : "\n  a<-b\n");
    nc_buf_puts(b, "}");
    break;
  case 10: nc_buf_puts(b, rng() % 2 ? "return 1" : "p <- q"); break;
  case 11: nc_buf_puts(b, "x = 1 # a comment\n"); break;
  }
}

static void test_random_programs(void) {
  rng_state = 0xC0FFEEu;
  nc_buf b;
  nc_buf_init(&b);
  int failures = 0;
  for (int round = 0; round < 600 && failures < 5; round++) {
    nc_buf_clear(&b);
    if (rng() % 2) nc_buf_puts(&b, "model random\n");
    for (int i = 0, n = 1 + (int)(rng() % 6); i < n; i++) {
      gen_stmt(&b, 0);
      nc_buf_puts(&b, rng() % 4 ? "\n" : ";");
    }
    char first_error[256];
    if (parse_bytes(b.data, b.len, first_error, sizeof first_error) != 0) {
      failures++;
      char what[1024];
      snprintf(what, sizeof what, "generated program must parse: %s\n%s",
               first_error, nc_buf_str(&b));
      CU_assertImplementation(0, __LINE__, what, __FILE__, "", CU_FALSE);
      continue;
    }
    unsigned before = CU_get_number_of_failures();
    check_round_trip("random program", b.data, b.len, __LINE__);
    if (CU_get_number_of_failures() != before) {
      failures++;
      fprintf(stderr, "\nround trip failed for:\n%s\n", nc_buf_str(&b));
    }
  }
  CU_ASSERT_EQUAL(failures, 0);
  nc_buf_release(&b);
}

/* Builds "x = " + prefix*n + middle + suffix*n + "\n" in a malloc'ed buffer. */
static char *nested(const char *prefix, const char *middle, const char *suffix,
                    int n) {
  size_t size = 8 + (strlen(prefix) + strlen(suffix)) * (size_t)n + strlen(middle);
  char *text = malloc(size);
  if (!text) return NULL;
  char *p = text;
  p += sprintf(p, "x = ");
  for (int i = 0; i < n; i++) p += sprintf(p, "%s", prefix);
  p += sprintf(p, "%s", middle);
  for (int i = 0; i < n; i++) p += sprintf(p, "%s", suffix);
  sprintf(p, "\n");
  return text;
}

/* Nesting deeper than the parser's fixed stack is a syntax error (-1), not
** out-of-memory (-2), and is reported once. */
static void test_deep_nesting(void) {
  static const char *const deep_message =
      "program nested too deeply (more than 1000 levels) "
      "[hint: split it into several statements]\n";
  char *text = nested("(", "a", ")", 5000);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  parse(text);
  CU_ASSERT_EQUAL(P.rc, -1);
  CU_ASSERT_EQUAL(P.n_diags, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(diags(), deep_message));
  CU_ASSERT_EQUAL(strncmp(diags(), "1:1000: ", 8), 0); /* where the stack ran out */
  free(text);

  text = nested("-", "a", "", 5000);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  parse(text);
  CU_ASSERT_EQUAL(P.rc, -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(diags(), deep_message));
  free(text);

  text = nested("[", "", "]", 5000);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  parse(text);
  CU_ASSERT_EQUAL(P.rc, -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(diags(), deep_message));
  free(text);

  text = nested("f(", "1", ")", 5000);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  parse(text);
  CU_ASSERT_EQUAL(P.rc, -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(diags(), deep_message));
  free(text);

  /* Moderate nesting is fine and keeps its shape. */
  text = nested("(", "a", ")", 300);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  parse(text);
  CU_ASSERT_EQUAL(P.rc, 0);
  EXPECT_STR(sexpr(P.module->stmts->u.bind.value), "a");
  free(text);
  text = nested("-", "a", "", 200);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  parse(text);
  CU_ASSERT_EQUAL(P.rc, 0);
  CU_ASSERT_EQUAL(P.module->stmts->u.bind.value->depth, 201);
  free(text);
  done();
}

/* a+a+...+a: left-associative, so the parser stack stays flat, but the
** tree is as deep as it is long; more than 500 levels is an error. */
static void test_long_expressions(void) {
  nc_buf b;
  nc_buf_init(&b);
  nc_buf_puts(&b, "x = a");
  for (int i = 1; i < 3000; i++) nc_buf_puts(&b, "+a");
  nc_buf_putc(&b, '\n');
  parse(nc_buf_str(&b));
  CU_ASSERT_EQUAL(P.rc, -1);
  EXPECT_STR(diags(), "1:5: expression nested too deeply (more than 500 levels) "
                      "[hint: split it into several assignments]\n");
  CU_ASSERT_PTR_NOT_NULL(P.module->stmts);
  /* 500 terms make a tree 500 deep: the limit itself is fine. */
  nc_buf_clear(&b);
  nc_buf_puts(&b, "x = a");
  for (int i = 1; i < 500; i++) nc_buf_puts(&b, " * a");
  nc_buf_putc(&b, '\n');
  parse(nc_buf_str(&b));
  CU_ASSERT_EQUAL(P.rc, 0);
  CU_ASSERT_EQUAL(P.module->stmts->u.bind.value->depth, 500);
  nc_buf_puts(&b, "y = a");
  for (int i = 1; i < 501; i++) nc_buf_puts(&b, " - a");
  nc_buf_putc(&b, '\n');
  parse(nc_buf_str(&b));
  CU_ASSERT_EQUAL(P.rc, -1);
  EXPECT_STR(diags(), "2:5: expression nested too deeply (more than 500 levels) "
                      "[hint: split it into several assignments]\n");
  /* Long but flat: a list of 20000 elements and 2000 statements. */
  nc_buf_clear(&b);
  nc_buf_puts(&b, "x = [0");
  for (int i = 1; i < 20000; i++) nc_buf_printf(&b, ", %d", i);
  nc_buf_puts(&b, "]\n");
  for (int i = 0; i < 2000; i++) nc_buf_printf(&b, "v%d = f(v, %d)\n", i, i);
  parse(nc_buf_str(&b));
  CU_ASSERT_EQUAL(P.rc, 0);
  CU_ASSERT_EQUAL(P.module->stmts->u.bind.value->u.list.count, 20000);
  CU_ASSERT_EQUAL(count_stmts(P.module->stmts), 2001);
  EXPECT_STR(nth_stmt(P.module, 2000)->u.bind.name.text, "v1999");
  /* A very long identifier and string. */
  nc_buf_clear(&b);
  nc_buf_puts(&b, "x = ");
  nc_buf_repeat(&b, 'n', 100000);
  nc_buf_puts(&b, "\ny = \"");
  nc_buf_repeat(&b, 's', 100000);
  nc_buf_puts(&b, "\"\n");
  parse(nc_buf_str(&b));
  CU_ASSERT_EQUAL(P.rc, 0);
  CU_ASSERT_EQUAL(strlen(P.module->stmts->u.bind.value->u.name), 100000);
  CU_ASSERT_EQUAL(strlen(P.module->stmts->next->u.bind.value->u.string), 100000);
  nc_buf_release(&b);
  done();
}

static const test_case TESTS[] = {
    {"empty files and comments", test_empty_and_comments},
    {"model line", test_model_line},
    {"import", test_import},
    {"input: several names, symbolic dims, scalar", test_input},
    {"const and assignment", test_const_and_assign},
    {"number and string literals", test_literals},
    {"calls, keyword arguments, members, lists", test_calls_members_lists},
    {"operators: precedence and associativity", test_operators},
    {"output, loss, metric, train, freeze", test_outputs_train_freeze},
    {"blocks", test_blocks},
    {"steps and weight copies", test_steps},
    {"newlines inside brackets", test_newlines_in_brackets},
    {"spans", test_spans},
    {"spans in a second file", test_spans_second_file},
    {"syntax error messages", test_syntax_error_messages},
    {"error recovery", test_error_recovery},
    {"canonical printing", test_print_canonical},
    {"round trip: models/*.net", test_round_trip_models},
    {"round trip: snippets", test_round_trip_snippets},
    {"hostile input: random bytes", test_random_bytes},
    {"hostile input: token soup", test_token_soup},
    {"round trip: random programs", test_random_programs},
    {"hostile input: deep nesting", test_deep_nesting},
    {"hostile input: long expressions and files", test_long_expressions},
    {0},
};

#include "tests/unit/cunit_main.h"
