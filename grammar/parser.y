/*
** parser.y: the .net grammar. Actions only build the AST (no name lookup, no
** shapes): the grammar accepts a superset and the compiler rejects what does
** not belong with a precise span. Syntax errors are reported with the
** location, what was found and what was expected; `error` productions at
** statement level let one run report many of them.
*/
%require "3.6"
%define api.pure full
%define api.prefix {gr_yy}
%define api.location.type {nc_span}
%define parse.error custom
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {gr_parse_ctx *ctx}

%code top {
#include "config.h"
}

%code requires {
#include "common/nc_source.h"
#include "grammar/ast.h"
#include "grammar/lexer_support.h"
typedef void *yyscan_t;

/* Linked lists under construction keep their tail for O(1) appends. */
typedef struct gr_list {
  void *head; /* first element */
  void *tail; /* last element */
} gr_list;
}

%code provides {
int gr_yylex(GR_YYSTYPE *value, GR_YYLTYPE *location, yyscan_t scanner);
}

%code {
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "common/nc_alloc.h"

/* Fixed-size stacks: the parser never allocates, so unwinding from the
** scanner on out-of-memory leaks nothing. Deeper nesting is an error. */
#define YYINITDEPTH 1000
#define YYMAXDEPTH 1000
#define YYMALLOC nc_malloc
#define YYFREE nc_free

/* A span from the first to the last symbol of the rule. */
#define YYLLOC_DEFAULT(cur, rhs, n)                          \
  do {                                                       \
    if (n) {                                                 \
      (cur).file = YYRHSLOC(rhs, 1).file;                    \
      (cur).start = YYRHSLOC(rhs, 1).start;                  \
      (cur).end = YYRHSLOC(rhs, n).end;                      \
    } else {                                                 \
      (cur).file = YYRHSLOC(rhs, 0).file;                    \
      (cur).start = (cur).end = YYRHSLOC(rhs, 0).end;        \
    }                                                        \
  } while (0)

/* Node constructors: on out-of-memory they stop the parse. */
#define NEW(var, type)                                       \
  do {                                                       \
    (var) = nc_arena_alloc(ctx->arena, sizeof(type));        \
    if (!(var)) {                                            \
      ctx->out_of_memory = 1;                                \
      YYABORT;                                               \
    }                                                        \
  } while (0)

#define APPEND(list, item, link)                             \
  do {                                                       \
    if ((list).tail)                                         \
      ((__typeof__(item))(list).tail)->link = (item);        \
    else                                                     \
      (list).head = (item);                                  \
    (list).tail = (item);                                    \
  } while (0)

static void gr_yyerror(const nc_span *loc, yyscan_t scanner,
                       gr_parse_ctx *ctx, const char *message);
static gr_expr *make_binary(gr_parse_ctx *ctx, gr_binop op, gr_expr *lhs,
                            gr_expr *rhs, nc_span span);
static gr_name name_at(const char *text, nc_span span);
static void append_stmt(gr_parse_ctx *ctx, gr_stmt *s);
static void limit_depth(gr_parse_ctx *ctx, const gr_expr *e);
}

%union {
  struct { double value; int is_integer; } num; /* NUMBER */
  const char *text;  /* IDENT, STRING */
  gr_expr *expr;     /* expressions */
  gr_arg *arg;       /* one call argument */
  gr_stmt *stmt;     /* one statement */
  gr_name *name;     /* one name */
  gr_dim *dim;       /* one dimension */
  gr_type *type;     /* a tensor type */
  gr_list list;      /* lists of any of the above */
}

%token <num> NUMBER "number"
%token <text> IDENT "identifier"
%token <text> STRING "string"
%token NEWLINE "end of line"
%token END_OF_FILE 0 "end of file"
%token MODEL "'model'" IMPORT "'import'" AS "'as'" INPUT "'input'"
%token CONST "'const'" OUTPUT "'output'" LOSS "'loss'" METRIC "'metric'"
%token TRAIN "'train'" MINIMIZES "'minimizes'" WITH "'with'"
%token FREEZE "'freeze'" BLOCK "'block'" RETURN "'return'" STEP "'step'"
%token ARROW "'<-'" LE "'<='" GE "'>='" EQ "'=='" NE "'!='"

%type <expr> expr postfix primary
%type <arg> arg
%type <stmt> stmt
%type <name> name
%type <dim> dim
%type <type> type
%type <list> args args_opt names params_opt dims exprs exprs_opt with_opt
%type <list> kwargs body_items body

%nonassoc EQ NE
%nonassoc '<' '>' LE GE
%left '+' '-'
%left '*' '/'
%precedence UNARY

%%

file
  : items
  ;

items
  : %empty
  | items item
  ;

item
  : stmt sep            { append_stmt(ctx, $1); }
  | MODEL IDENT sep     {
                          if (ctx->module->name.text) {
                            ctx->errors++;
                            nc_error(ctx->sink, @2, "the model is already named '%s'",
                                     ctx->module->name.text);
                          } else {
                            ctx->module->name = name_at($2, @2);
                          }
                        }
  | sep
  | error sep           { yyerrok; }
  ;

sep
  : NEWLINE
  | ';'
  ;

stmt
  : IMPORT STRING AS IDENT {
      NEW($$, gr_stmt); $$->kind = GR_STMT_IMPORT; $$->span = @$;
      $$->u.import.path = $2; $$->u.import.path_span = @2;
      $$->u.import.alias = name_at($4, @4);
    }
  | INPUT names ':' type {
      NEW($$, gr_stmt); $$->kind = GR_STMT_INPUT; $$->span = @$;
      $$->u.input.names = $2.head; $$->u.input.type = *$4;
    }
  | CONST IDENT '=' expr   {
      NEW($$, gr_stmt); $$->kind = GR_STMT_CONST; $$->span = @$;
      $$->u.bind.name = name_at($2, @2); $$->u.bind.value = $4;
    }
  | IDENT '=' expr         {
      NEW($$, gr_stmt); $$->kind = GR_STMT_ASSIGN; $$->span = @$;
      $$->u.bind.name = name_at($1, @1); $$->u.bind.value = $3;
    }
  | OUTPUT IDENT '=' expr  {
      NEW($$, gr_stmt); $$->kind = GR_STMT_OUTPUT; $$->span = @$;
      $$->u.bind.name = name_at($2, @2); $$->u.bind.value = $4;
    }
  | LOSS IDENT '=' expr    {
      NEW($$, gr_stmt); $$->kind = GR_STMT_LOSS; $$->span = @$;
      $$->u.bind.name = name_at($2, @2); $$->u.bind.value = $4;
    }
  | METRIC IDENT '=' expr  {
      NEW($$, gr_stmt); $$->kind = GR_STMT_METRIC; $$->span = @$;
      $$->u.bind.name = name_at($2, @2); $$->u.bind.value = $4;
    }
  | TRAIN postfix MINIMIZES IDENT with_opt {
      NEW($$, gr_stmt); $$->kind = GR_STMT_TRAIN; $$->span = @$;
      $$->u.train.optimizer = $2; $$->u.train.objective = name_at($4, @4);
      $$->u.train.settings = $5.head;
    }
  | FREEZE names           {
      NEW($$, gr_stmt); $$->kind = GR_STMT_FREEZE; $$->span = @$;
      $$->u.freeze.names = $2.head;
    }
  | BLOCK IDENT '(' params_opt ')' '{' body '}' {
      NEW($$, gr_stmt); $$->kind = GR_STMT_BLOCK; $$->span = @$;
      $$->u.block.name = name_at($2, @2); $$->u.block.params = $4.head;
      $$->u.block.body = $7.head;
    }
  | RETURN expr            {
      NEW($$, gr_stmt); $$->kind = GR_STMT_RETURN; $$->span = @$;
      $$->u.ret.value = $2;
    }
  | STEP IDENT '{' body '}' {
      NEW($$, gr_stmt); $$->kind = GR_STMT_STEP; $$->span = @$;
      $$->u.step.name = name_at($2, @2); $$->u.step.body = $4.head;
    }
  | IDENT ARROW IDENT      {
      NEW($$, gr_stmt); $$->kind = GR_STMT_COPY; $$->span = @$;
      $$->u.copy.target = name_at($1, @1); $$->u.copy.source = name_at($3, @3);
    }
  ;

/* Statements inside { }: separated by newlines or ';', the last one may run
** straight into the closing brace. */
body_items
  : %empty                 { $$.head = $$.tail = NULL; }
  | body_items sep         { $$ = $1; }
  | body_items stmt sep    { $$ = $1; APPEND($$, $2, next); }
  | body_items error sep   { $$ = $1; yyerrok; }
  ;

body
  : body_items             { $$ = $1; }
  | body_items stmt        { $$ = $1; APPEND($$, $2, next); }
  ;

name
  : IDENT                  { NEW($$, gr_name); *$$ = name_at($1, @1); }
  ;

names
  : name                   { $$.head = $$.tail = $1; }
  | names ',' name         { $$ = $1; APPEND($$, $3, next); }
  ;

params_opt
  : %empty                 { $$.head = $$.tail = NULL; }
  | names                  { $$ = $1; }
  | names ','              { $$ = $1; }
  ;

type
  : IDENT '[' dims ']'     {
      NEW($$, gr_type); $$->dtype = name_at($1, @1); $$->dims = $3.head;
      $$->span = @$;
      for (gr_dim *d = $$->dims; d; d = d->next) $$->rank++;
    }
  | IDENT                  { NEW($$, gr_type); $$->dtype = name_at($1, @1); $$->span = @$; }
  ;

dims
  : dim                    { $$.head = $$.tail = $1; }
  | dims ',' dim           { $$ = $1; APPEND($$, $3, next); }
  ;

dim
  : NUMBER                 {
      NEW($$, gr_dim); $$->span = @$;
      if (!$1.is_integer || $1.value < 1 || $1.value > 2147483647.0) {
        ctx->errors++;
        nc_error_hint(ctx->sink, @1, "use a positive integer or a name such as batch",
                      "invalid dimension");
        $$->size = 1;
      } else {
        $$->size = (long long)$1.value;
      }
    }
  | IDENT                  { NEW($$, gr_dim); $$->span = @$; $$->symbol = $1; }
  ;

with_opt
  : %empty                 { $$.head = $$.tail = NULL; }
  | WITH kwargs            { $$ = $2; }
  ;

kwargs
  : IDENT '=' expr         {
      gr_arg *a; NEW(a, gr_arg); NEW(a->keyword, gr_name);
      *a->keyword = name_at($1, @1); a->value = $3;
      $$.head = $$.tail = a;
    }
  | kwargs ',' IDENT '=' expr {
      gr_arg *a; NEW(a, gr_arg); NEW(a->keyword, gr_name);
      *a->keyword = name_at($3, @3); a->value = $5;
      $$ = $1; APPEND($$, a, next);
    }
  ;

expr
  : expr '+' expr          { $$ = make_binary(ctx, GR_OP_ADD, $1, $3, @$); if (!$$) YYABORT; }
  | expr '-' expr          { $$ = make_binary(ctx, GR_OP_SUB, $1, $3, @$); if (!$$) YYABORT; }
  | expr '*' expr          { $$ = make_binary(ctx, GR_OP_MUL, $1, $3, @$); if (!$$) YYABORT; }
  | expr '/' expr          { $$ = make_binary(ctx, GR_OP_DIV, $1, $3, @$); if (!$$) YYABORT; }
  | expr '<' expr          { $$ = make_binary(ctx, GR_OP_LT, $1, $3, @$); if (!$$) YYABORT; }
  | expr '>' expr          { $$ = make_binary(ctx, GR_OP_GT, $1, $3, @$); if (!$$) YYABORT; }
  | expr LE expr           { $$ = make_binary(ctx, GR_OP_LE, $1, $3, @$); if (!$$) YYABORT; }
  | expr GE expr           { $$ = make_binary(ctx, GR_OP_GE, $1, $3, @$); if (!$$) YYABORT; }
  | expr EQ expr           { $$ = make_binary(ctx, GR_OP_EQ, $1, $3, @$); if (!$$) YYABORT; }
  | expr NE expr           { $$ = make_binary(ctx, GR_OP_NE, $1, $3, @$); if (!$$) YYABORT; }
  | '-' expr %prec UNARY   { $$ = make_binary(ctx, GR_OP_NEG, $2, NULL, @$); if (!$$) YYABORT; }
  | '+' expr %prec UNARY   { $$ = make_binary(ctx, GR_OP_POS, $2, NULL, @$); if (!$$) YYABORT; }
  | postfix                { $$ = $1; }
  ;

postfix
  : primary                { $$ = $1; }
  | postfix '(' args_opt ')' {
      NEW($$, gr_expr); $$->kind = GR_EXPR_CALL; $$->span = @$;
      $$->u.call.callee = $1; $$->u.call.args = $3.head;
      $$->depth = $1->depth + 1;
      for (gr_arg *a = $3.head; a; a = a->next)
        if (a->value->depth + 1 > $$->depth) $$->depth = a->value->depth + 1;
      limit_depth(ctx, $$);
    }
  | postfix '.' IDENT      {
      NEW($$, gr_expr); $$->kind = GR_EXPR_MEMBER; $$->span = @$;
      $$->u.member.object = $1; $$->u.member.member = name_at($3, @3);
      $$->depth = $1->depth + 1;
      limit_depth(ctx, $$);
    }
  ;

primary
  : NUMBER                 {
      NEW($$, gr_expr); $$->kind = GR_EXPR_NUMBER; $$->span = @$; $$->depth = 1;
      $$->u.number.value = $1.value; $$->u.number.is_integer = $1.is_integer;
    }
  | STRING                 {
      NEW($$, gr_expr); $$->kind = GR_EXPR_STRING; $$->span = @$; $$->depth = 1;
      $$->u.string = $1;
    }
  | IDENT                  {
      NEW($$, gr_expr); $$->kind = GR_EXPR_NAME; $$->span = @$; $$->depth = 1;
      $$->u.name = $1;
    }
  | '(' expr ')'           { $$ = $2; }
  | '[' exprs_opt ']'      {
      NEW($$, gr_expr); $$->kind = GR_EXPR_LIST; $$->span = @$; $$->depth = 1;
      $$->u.list.items = $2.head;
      for (gr_expr *e = $2.head; e; e = e->next_item) {
        $$->u.list.count++;
        if (e->depth + 1 > $$->depth) $$->depth = e->depth + 1;
      }
      limit_depth(ctx, $$);
    }
  ;

exprs_opt
  : %empty                 { $$.head = $$.tail = NULL; }
  | exprs                  { $$ = $1; }
  | exprs ','              { $$ = $1; }
  ;

exprs
  : expr                   { $$.head = $$.tail = $1; }
  | exprs ',' expr         { $$ = $1; APPEND($$, $3, next_item); }
  ;

args_opt
  : %empty                 { $$.head = $$.tail = NULL; }
  | args                   { $$ = $1; }
  | args ','               { $$ = $1; }
  ;

args
  : arg                    { $$.head = $$.tail = $1; }
  | args ',' arg           { $$ = $1; APPEND($$, $3, next); }
  ;

arg
  : expr                   { NEW($$, gr_arg); $$->value = $1; }
  | IDENT '=' expr         {
      NEW($$, gr_arg); NEW($$->keyword, gr_name);
      *$$->keyword = name_at($1, @1); $$->value = $3;
    }
  ;

%%

static gr_name name_at(const char *text, nc_span span) {
  gr_name n = {text, span, NULL};
  return n;
}

static void append_stmt(gr_parse_ctx *ctx, gr_stmt *s) {
  if (ctx->last_stmt)
    ctx->last_stmt->next = s;
  else
    ctx->module->stmts = s;
  ctx->last_stmt = s;
}

/* Refuses trees deeper than GR_MAX_EXPR_DEPTH (reported once, where the
** limit is crossed) so that later recursive passes stay within the stack. */
static void limit_depth(gr_parse_ctx *ctx, const gr_expr *e) {
  if (e->depth != GR_MAX_EXPR_DEPTH + 1) return;
  ctx->errors++;
  nc_error_hint(ctx->sink, e->span, "split it into several assignments",
                "expression nested too deeply (more than %d levels)",
                GR_MAX_EXPR_DEPTH);
}

/* Builds a unary (rhs NULL) or binary node, refusing trees deeper than
** GR_MAX_EXPR_DEPTH so that later recursive passes stay within the stack. */
static gr_expr *make_binary(gr_parse_ctx *ctx, gr_binop op, gr_expr *lhs,
                            gr_expr *rhs, nc_span span) {
  gr_expr *e = nc_arena_alloc(ctx->arena, sizeof *e);
  if (!e) {
    ctx->out_of_memory = 1;
    return NULL;
  }
  e->span = span;
  int depth = lhs->depth;
  if (rhs && rhs->depth > depth) depth = rhs->depth;
  e->depth = depth + 1;
  limit_depth(ctx, e);
  if (rhs) {
    e->kind = GR_EXPR_BINARY;
    e->u.binary.op = op;
    e->u.binary.lhs = lhs;
    e->u.binary.rhs = rhs;
  } else {
    e->kind = GR_EXPR_UNARY;
    e->u.unary.op = op;
    e->u.unary.operand = lhs;
  }
  return e;
}

static void gr_yyerror(const nc_span *loc, yyscan_t scanner,
                       gr_parse_ctx *ctx, const char *message) {
  (void)scanner;
  ctx->errors++;
  if ((int64_t)loc->start <= ctx->quiet_until) return;
  if (strcmp(message, "memory exhausted") == 0)
    nc_error_hint(ctx->sink, *loc, "split it into several statements",
                  "program nested too deeply (more than %d levels)",
                  YYMAXDEPTH);
  else
    nc_error(ctx->sink, *loc, "%s", message);
}

/* Token names as users read them: "'model'", "'('", "identifier". */
static void symbol_text(nc_buf *out, yysymbol_kind_t kind) {
  const char *name = yysymbol_name(kind);
  if (name[0] == '"') {
    nc_buf_append(out, name + 1, strlen(name) - 2);
  } else {
    nc_buf_puts(out, name);
  }
}

/* Which closer ends the innermost open bracket, if any is open. */
static char open_closer(const gr_parse_ctx *ctx, uint32_t *at) {
  if (ctx->depth <= 0 || ctx->depth > GR_MAX_OPEN) return 0;
  *at = ctx->open_at[ctx->depth - 1];
  return ctx->open_char[ctx->depth - 1] == '(' ? ')' : ']';
}

/* "unexpected X, expected A, B or C"; when the closer of an open bracket is
** among the expected tokens, say which bracket it closes and where. */
static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
                                 gr_parse_ctx *ctx) {
  /* All expected tokens are looked at for the bracket note; a list is only
  ** written when it is short enough to help. */
  enum { MAX_EXPECTED = 64, MAX_LISTED = 6 };
  yysymbol_kind_t expected[MAX_EXPECTED];
  int n = yypcontext_expected_tokens(yyctx, expected, MAX_EXPECTED);
  yysymbol_kind_t found = yypcontext_token(yyctx);
  const nc_span *loc = yypcontext_location(yyctx);
  nc_buf msg;
  nc_buf_init(&msg);
  nc_buf_puts(&msg, "unexpected ");
  int at_end = found == YYSYMBOL_YYEOF ||
               (found == YYSYMBOL_NEWLINE && ctx->at_eof_newline);
  if (at_end) {
    nc_buf_puts(&msg, "end of file");
  } else if (found == YYSYMBOL_IDENT || found == YYSYMBOL_NUMBER) {
    const nc_source *src = ctx->source;
    symbol_text(&msg, found);
    nc_buf_puts(&msg, " '");
    nc_buf_append(&msg, src->text + loc->start, loc->end - loc->start);
    nc_buf_putc(&msg, '\'');
  } else {
    symbol_text(&msg, found);
  }
  uint32_t open_at = 0;
  char closer = open_closer(ctx, &open_at);
  int closes = 0;
  for (int i = 0; i < n && closer; i++) {
    const char *name = yysymbol_name(expected[i]);
    if (name[0] == '\'' && name[1] == closer && name[2] == '\'') closes = 1;
  }
  int line, col;
  if (closes) {
    nc_source_position(ctx->source, open_at, &line, &col);
    nc_buf_printf(&msg, ", expected '%c' to close '%c' at %d:%d", closer,
                  closer == ')' ? '(' : '[', line, col);
  } else if (at_end && ctx->braces > 0 && ctx->braces <= GR_MAX_OPEN) {
    nc_source_position(ctx->source, ctx->brace_at[ctx->braces - 1], &line, &col);
    nc_buf_printf(&msg, ", expected '}' to close '{' at %d:%d", line, col);
  } else if (n > 0 && n <= MAX_LISTED) {
    nc_buf_puts(&msg, ", expected ");
    for (int i = 0; i < n; i++) {
      if (i) nc_buf_puts(&msg, i == n - 1 ? " or " : ", ");
      symbol_text(&msg, expected[i]);
    }
  }
  if (msg.failed) ctx->out_of_memory = 1;
  gr_yyerror(loc, scanner, ctx, msg.failed ? "syntax error" : nc_buf_str(&msg));
  nc_buf_release(&msg);
  return 0;
}

/* Flex's reentrant interface (the scanner is generated without a header). */
typedef struct yy_buffer_state *YY_BUFFER_STATE;
int gr_yylex_init_extra(gr_parse_ctx *extra, yyscan_t *scanner);
YY_BUFFER_STATE gr_yy_scan_bytes(const char *bytes, int len, yyscan_t scanner);
int gr_yylex_destroy(yyscan_t scanner);

void gr_lexer_out_of_memory(gr_parse_ctx *ctx) {
  ctx->out_of_memory = 1;
  longjmp(ctx->on_out_of_memory, 1);
}

/* Runs scanner and parser over one file; see ast.h. The scanner is created
** before setjmp so that an unwind can always destroy it. */
int gr_parse(nc_arena *arena, const nc_source_table *sources, int file,
             nc_diag_sink *sink, gr_module **out) {
  *out = NULL;
  const nc_source *src = nc_source_get(sources, file);
  if (!src || src->size > INT32_MAX) return -2;
  gr_parse_ctx *ctx = nc_arena_alloc(arena, sizeof *ctx);
  gr_module *module = nc_arena_alloc(arena, sizeof *module);
  if (!ctx || !module) return -2;
  ctx->arena = arena;
  ctx->sink = sink;
  ctx->source = src;
  ctx->file = file;
  ctx->module = module;
  ctx->quiet_until = -1;
  module->file = file;
  yyscan_t scanner = NULL;
  if (gr_yylex_init_extra(ctx, &scanner) != 0) return -2;
  volatile int result = 0;
  if (setjmp(ctx->on_out_of_memory) == 0) {
    gr_yy_scan_bytes(src->text, (int)src->size, scanner);
    result = gr_yyparse(scanner, ctx);
  }
  gr_yylex_destroy(scanner);
  *out = module;
  /* result 2 is also bison's full stack, already reported as too deep */
  if (ctx->out_of_memory) return -2;
  return (result != 0 || ctx->errors) ? -1 : 0;
}
