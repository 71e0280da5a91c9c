/*
** ir_codec.h: the graph IR and its .net sources to and from an HDF5 file
** (/graph and /sources, see docs/file-format.md).
*/
#ifndef RT_IR_CODEC_H
#define RT_IR_CODEC_H

#include "common/nc_source.h"
#include "compiler/ir.h"
#include "runtime/io/h5_file.h"

/* Writes every table of the graph and the source files. */
void rt_ir_write(rt_h5 *h, const cc_graph *g, const nc_source_table *sources);
/* Reads them into an empty graph and source table (a new model's, whose
** arena keeps every string), then checks every index and infers every
** node's type again, so the runtime can trust the graph as if the compiler
** had made it. Failures are recorded in h. */
void rt_ir_read(rt_h5 *h, cc_graph *g, nc_source_table *sources);

#endif
