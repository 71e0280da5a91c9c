/*
** lexer_support.h: state shared by the flex scanner and the bison parser of
** one file: where tokens come from, where diagnostics go, what is open.
*/
#ifndef GR_LEXER_SUPPORT_H
#define GR_LEXER_SUPPORT_H

#include <setjmp.h>

#include "common/nc_arena.h"
#include "common/nc_diag.h"
#include "grammar/ast.h"

enum {
  GR_MAX_OPEN = 256,        /* brackets whose positions are remembered */
  GR_MAX_EXPR_DEPTH = 500   /* deepest expression tree accepted */
};

typedef struct gr_parse_ctx {
  nc_arena *arena;              /* AST storage */
  nc_diag_sink *sink;           /* syntax errors */
  const nc_source *source;      /* the file being read */
  int file;                     /* its index in the source table */
  gr_module *module;            /* the result */
  gr_stmt *last_stmt;           /* its last top-level statement */
  uint32_t offset;              /* scanner position in bytes */
  int at_eof_newline;           /* the closing NEWLINE has been sent */
  int depth;                    /* open ( and [ (newlines inside are ignored) */
  char open_char[GR_MAX_OPEN];  /* innermost-last open brackets */
  uint32_t open_at[GR_MAX_OPEN];/* their offsets */
  uint32_t brace_at[GR_MAX_OPEN]; /* offsets of open '{' */
  int braces;                   /* open '{' */
  int errors;                   /* syntax and lexical errors in this file */
  int64_t quiet_until;          /* syntax errors starting at or before this
                                   offset follow a lexical error: not shown */
  int out_of_memory;            /* an allocation failed; parsing stops */
  jmp_buf on_out_of_memory;     /* where the scanner unwinds to on OOM */
} gr_parse_ctx;

/* Called by the scanner when flex cannot allocate: unwinds to gr_parse. */
void gr_lexer_out_of_memory(gr_parse_ctx *ctx);

#endif
