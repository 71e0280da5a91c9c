/*
** decode.h: JPEG (libjpeg) and PNG (libpng) files decoded into 8-bit RGB
** pixels, never crashing or printing on a bad file.
*/
#ifndef RT_DECODE_H
#define RT_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "netc.h"

/* Decoded pixels: row-major [height, width, 3], R G B. */
typedef struct rt_image {
  uint8_t *pixels; /* nc_malloc'ed; released with nc_free */
  int64_t height;  /* rows */
  int64_t width;   /* columns */
} rt_image;

/* Decodes the file at `path`, recognized by its first bytes (not its
** name). Gray becomes R = G = B, alpha is dropped, 16-bit samples keep
** their high byte, palettes are expanded, CMYK is converted. Returns
** NETC_OK, NETC_EIO (cannot read the file), NETC_EFORMAT (not a JPEG or
** PNG, corrupt or truncated) or NETC_ENOMEM, with `why` (a short reason,
** without the path) filled on failure; *image is zeroed then. */
netc_status rt_decode_image(const char *path, rt_image *image, char *why,
                            size_t why_size);

#endif
