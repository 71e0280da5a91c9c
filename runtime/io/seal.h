/*
** seal.h: what makes an HDF5 file a netc model file: the root attributes
** `format` and `format_version`, and the seal, a 512-byte HDF5 user block
** of text at the start of the file with the format version, the length of
** the HDF5 data after it and its CRC-32 (docs/file-format.md).
*/
#ifndef RT_SEAL_H
#define RT_SEAL_H

#include "runtime/io/h5_file.h"

#define RT_FORMAT_NAME "netc"  /* the root attribute `format` */
enum {
  RT_FORMAT_VERSION = 1,       /* the version written, and the newest read */
  RT_SEAL_BYTES = 512          /* the user block: HDF5 data starts after it */
};

/* Writes the seal of the closed file `path` (h->path names the file for
** messages). */
void rt_seal_write(rt_h5 *h, const char *path);
/* Checks h->path's seal before HDF5 opens it: a file without one is not a
** netc model (HDF5 or not), a newer version is refused, a short, long or
** changed file is damaged. */
void rt_seal_check(rt_h5 *h);

#endif
