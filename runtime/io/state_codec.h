/*
** state_codec.h: what a session holds beyond its graph, to and from an
** HDF5 file: /params, /optimizer, /state and /history (docs/file-format.md).
*/
#ifndef RT_STATE_CODEC_H
#define RT_STATE_CODEC_H

#include <stdint.h>

#include "runtime/io/h5_file.h"
#include "runtime/session.h"

/* Writes the weights, optimizer slots, step, seed, data cursor, history
** and class names. */
void rt_state_write(rt_h5 *h, const netc_session *s);
/* Before a session exists: checks that every weight and slot of graph g is
** in the file with its shape, and reads the seed. */
void rt_state_check(rt_h5 *h, const cc_graph *g, uint64_t *seed);
/* Fills a new session on the file's graph with the saved state. */
void rt_state_read(rt_h5 *h, netc_session *s);

#endif
