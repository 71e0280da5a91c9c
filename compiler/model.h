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

/* Builds a report of the model's graph and hands it to `write` in one
** piece: NETC_EINVAL without a model or writer, NETC_ENOMEM when the text
** could not be built, NETC_EIO when write refused it. */
netc_status cc_model_write_report(const netc_model *model,
                                  void (*report)(const cc_graph *, nc_buf *),
                                  netc_write_fn write, void *user);

#endif
