/*
** fuzz_support.h: what the fuzz targets share. The loaders read files by
** path, so a target writes its input to a scratch file of its own (made
** once per process in $TMPDIR, removed at exit) and hands the loader that
** path; reports go to a sink that reads every byte, so that a bad length or
** an unterminated string shows up under ASan.
*/
#ifndef FUZZ_SUPPORT_H
#define FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* Writes `prefix` zero bytes then `data` to scratch file `slot` (0 or 1)
** and returns its path; NULL when the file cannot be written. */
const char *fuzz_file_write(int slot, size_t prefix, const uint8_t *data,
                            size_t size);

/* A netc_write_fn: adds the bytes to *(unsigned *)user and goes on. */
int fuzz_sink(const char *data, size_t size, void *user);

#endif
