/*
** image_files.c: netc_dataset_load_image_files, the images that `netc
** predict` and apps classify. Decoding (JPEG or PNG, by content) and the
** bilinear resize are the image-folder loader's (runtime/data/), so a file
** is seen exactly as it would be in a training folder; this adds the gray
** conversion and the [0, 1] scaling of MNIST-style models.
*/
#include <string.h>

#include "common/nc_alloc.h"
#include "runtime/data/augment.h"
#include "runtime/data/dataset.h"
#include "runtime/data/decode.h"

/* RGB to one gray channel in place: PIL's convert("L") (ITU-R 601 luma in
** integers), which keeps a gray pixel (R = G = B) as it was. */
static void to_gray(uint8_t *pixels, int64_t count) {
  for (int64_t i = 0; i < count; i++) {
    const uint8_t *p = pixels + 3 * i;
    pixels[i] = (uint8_t)(((unsigned)p[0] * 299 + (unsigned)p[1] * 587 +
                           (unsigned)p[2] * 114) / 1000);
  }
}

/* Decodes, converts and resizes one file into out (height x width x
** channels floats). */
static netc_status read_image(const char *path, int height, int width, int channels,
                              uint8_t *resized, float *out, netc_error *error) {
  rt_image image;
  char why[160];
  netc_status st = rt_decode_image(path, &image, why, sizeof why);
  if (st != NETC_OK) return rt_error(error, st, "%s: %s", path, why);
  if (channels == 1) to_gray(image.pixels, image.height * image.width);
  rt_resize_bilinear(image.pixels, image.height, image.width, channels, resized, height,
                     width);
  nc_free(image.pixels);
  size_t n = (size_t)height * (size_t)width * (size_t)channels;
  for (size_t i = 0; i < n; i++) out[i] = (float)resized[i] / 255.0f; /* as idx.c */
  return NETC_OK;
}

netc_status netc_dataset_load_image_files(const char *const *paths, int count,
                                          int height, int width, int channels,
                                          const char *column, netc_dataset **out,
                                          netc_error *error) {
  if (out) *out = NULL;
  if (!out || !paths || count < 1 || height < 1 || width < 1 ||
      (channels != 1 && channels != 3))
    return rt_error(error, NETC_EINVAL, "invalid image loading arguments (channels "
                    "must be 1 or 3)");
  size_t per_image = (size_t)height * (size_t)width * (size_t)channels;
  float *data = nc_calloc((size_t)count * per_image, sizeof *data);
  uint8_t *resized = nc_malloc(per_image);
  netc_status st = data && resized ? NETC_OK
                                   : rt_error(error, NETC_ENOMEM, "out of memory for %d "
                                              "images", count);
  for (int i = 0; st == NETC_OK && i < count; i++)
    st = paths[i] ? read_image(paths[i], height, width, channels, resized,
                               data + (size_t)i * per_image, error)
                  : rt_error(error, NETC_EINVAL, "image %d has no path", i);
  netc_dataset *d = NULL;
  if (st == NETC_OK && netc_dataset_create(&d) != NETC_OK)
    st = rt_error(error, NETC_ENOMEM, "out of memory");
  if (st == NETC_OK) {
    netc_tensor t = {NETC_F32, 4, {count, height, width, channels}, data};
    st = netc_dataset_add(d, column ? column : "image", &t, error);
  }
  nc_free(resized);
  nc_free(data);
  if (st != NETC_OK) {
    netc_dataset_destroy(d);
    return st;
  }
  *out = d;
  return NETC_OK;
}
