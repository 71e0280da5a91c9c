/*
** model.h: what a netc_model handle holds. A compiled model owns one arena
** with its sources (kept for messages and `summary`) and its graph IR.
*/
#ifndef CC_MODEL_H
#define CC_MODEL_H

#include "common/nc_arena.h"
#include "common/nc_source.h"
#include "compiler/ir.h"
#include "netc.h"

struct netc_model {
  nc_arena arena;          /* owns everything below */
  nc_source_table sources; /* the .net files, imports included */
  cc_graph graph;          /* the compiled graph */
};

/* Reports for the CLI and the API; both append to `out`. */
void cc_write_summary(const cc_graph *g, nc_buf *out);
void cc_write_dot(const cc_graph *g, nc_buf *out);

#endif
