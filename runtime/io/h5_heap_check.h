/*
** h5_heap_check.h: our own check of an HDF5 file's global heap collections
** (where HDF5 keeps variable-length strings), made before HDF5 reads any
** variable-length data. HDF5 1.10 trusts a collection's object sizes: one
** running past its collection is copied from beyond it, and a free-space
** object of size 0 makes its reader loop without end (tests/fuzz/README.md,
** "HDF5's global heap"), and an object longer than the value pointing to
** it overflows HDF5's conversion buffer. The file's bytes are searched for
** collection signatures, and each collection is walked as HDF5 walks it.
*/
#ifndef RT_H5_HEAP_CHECK_H
#define RT_H5_HEAP_CHECK_H

#include <stddef.h>

#include "runtime/io/h5_file.h"

/* Checks the collections in the `size` bytes of a whole HDF5 file; records
** the first fault as a NETC_EFORMAT failure of h naming its byte offset. */
void rt_h5_check_heap_bytes(rt_h5 *h, const unsigned char *bytes, size_t size);

/* Checks the collections of h->path once per rt_h5 (h->heaps_checked);
** call it before reading variable-length data. */
void rt_h5_check_heaps(rt_h5 *h);

/* Checks the collections (rt_h5_check_heaps), then each value of the
** variable-length string attribute `attr` (named `name`, of object
** `where`, for messages): the heap object it points to must exist and have
** the value's length. Call it before H5Aread of such an attribute. */
void rt_h5_check_vlen_strings(rt_h5 *h, hid_t attr, const char *where, const char *name);

#endif
