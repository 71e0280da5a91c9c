/*
** lower.h: from syntax trees to the graph IR. Resolves names, expands blocks
** and imports, names layers, creates parameters, infers shapes and builds the
** entry points. Errors go to the diagnostics sink with spans.
*/
#ifndef CC_LOWER_H
#define CC_LOWER_H

#include "common/nc_diag.h"
#include "compiler/ir.h"
#include "grammar/ast.h"

/* Loads and parses an imported file; provided by the compile driver. Returns
** the module, or NULL after reporting why at `span`. */
typedef gr_module *(*cc_import_fn)(void *ctx, const char *path, int from_file,
                                   nc_span span);

/* Lowers `main` into `g`. Returns 0 when no error was reported. */
int cc_lower(cc_graph *g, const gr_module *main, nc_diag_sink *sink,
             cc_import_fn import, void *import_ctx);

#endif
