/*
** h5_heap_check.h: our own check of an HDF5 file's global heap collections
** (where HDF5 keeps variable-length strings), made before HDF5 reads a
** variable-length string attribute. HDF5 1.10 trusts them: an object
** running past its collection is copied from beyond it, a free space of
** size 0 makes its reader loop without end, and an object longer than the
** string pointing to it overflows HDF5's conversion buffer
** (tests/fuzz/README.md, "HDF5's global heap").
*/
#ifndef RT_H5_HEAP_CHECK_H
#define RT_H5_HEAP_CHECK_H

#include "runtime/io/h5_file.h"

/* Walks every collection of h->path as HDF5 walks it (once per rt_h5:
** h->heaps_checked), then checks each value of the variable-length string
** attribute `attr` (named `name`, of object `where`, for messages): the
** object it points to must exist and have the string's length. The first
** fault is a NETC_EFORMAT failure of h naming its byte offset. Call it
** before H5Aread of such an attribute. */
void rt_h5_check_vlen_strings(rt_h5 *h, hid_t attr, const char *where, const char *name);

#endif
