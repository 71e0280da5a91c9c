/*
** entries.h: what is settled once every statement of the main file has been
** lowered: the train declaration, freeze, user steps (weight copies), the
** entry points, and names for anonymous nodes.
*/
#ifndef CC_ENTRIES_H
#define CC_ENTRIES_H

#include "compiler/lower_ctx.h"

void cc_finish_graph(cc_lower_ctx *L, cc_scope *top, const gr_module *main);

#endif
