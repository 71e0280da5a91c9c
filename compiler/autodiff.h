/*
** autodiff.h: reverse-mode differentiation of the train entry point, done at
** compile time as new IR nodes (see autodiff.c).
*/
#ifndef CC_AUTODIFF_H
#define CC_AUTODIFF_H

#include "common/nc_diag.h"
#include "compiler/ir.h"

/* Appends gradient, slot and update nodes for g->train (nothing when the
** model does not train). Returns 0, -1 after reporting an internal error,
** or -2 on out-of-memory. */
int cc_autodiff(cc_graph *g, nc_diag_sink *sink);

#endif
