/*
** augment.h: image geometry on row-major u8 [H, W, C] pixels: bilinear
** sampling and resizing (resize.c), and the Keras-style random
** augmentation (augment.c) that the training loop applies while it
** assembles a batch. None of these allocates.
*/
#ifndef RT_AUGMENT_H
#define RT_AUGMENT_H

#include <stdint.h>

#include "netc.h"

/* Where a bilinear sample of a [h, w, c] image reads: four pixel offsets
** (in elements) and the weights of the lower-right ones. */
typedef struct rt_tap {
  int64_t p00, p01, p10, p11; /* top-left, top-right, bottom-left, bottom-right */
  float fy, fx;               /* weights of the bottom row, right column */
} rt_tap;

/* The tap at row y, column x (pixel centers on integers), the point first
** clamped into the image so edge pixels extend outward (Keras's
** fill_mode "nearest"). At integer coordinates it reads one pixel. */
void rt_tap_at(int64_t h, int64_t w, int64_t c, double y, double x, rt_tap *t);

/* Channel k of the sample: exactly the pixel when fy = fx = 0. */
static inline float rt_tap_value(const rt_tap *t, const uint8_t *src, int64_t k) {
  float top = (1.0f - t->fx) * (float)src[t->p00 + k] + t->fx * (float)src[t->p01 + k];
  float bottom = (1.0f - t->fx) * (float)src[t->p10 + k] + t->fx * (float)src[t->p11 + k];
  return (1.0f - t->fy) * top + t->fy * bottom;
}

/* dst[dh, dw, c] from src[sh, sw, c]: bilinear with half-pixel centers
** (TensorFlow's resize with half_pixel_centers, no antialiasing), rounded
** to the nearest integer. The same size copies exactly. */
void rt_resize_bilinear(const uint8_t *src, int64_t sh, int64_t sw, int64_t c,
                        uint8_t *dst, int64_t dh, int64_t dw);

/* dst[i] = src[i] * scale. */
void rt_u8_to_f32(int64_t n, float scale, const uint8_t *src, float *dst);

/* The random draws of one image. */
typedef struct rt_augment_params {
  int flip;          /* mirror left-right after the transform */
  double angle;      /* rotation in radians */
  double shift_rows; /* the sampled point moves this many rows down */
  double shift_cols; /* and this many columns right */
  double zoom_rows;  /* sampled row offsets from the center are scaled by
                        this (above 1 zooms out) */
  double zoom_cols;  /* likewise for columns */
} rt_augment_params;

/* Draws of one image come from rt_uniform(seed, RT_AUGMENT_STREAM, epoch,
** row * RT_AUGMENT_DRAWS + k), k = 0 flip, 1 angle, 2 and 3 shifts, 4 and
** 5 zooms. */
#define RT_AUGMENT_STREAM 0xa06e47ULL
enum { RT_AUGMENT_DRAWS = 8 };

/* The parameters of row `row` in epoch `epoch` of an h x w image column. */
void rt_augment_draw(const netc_augment *a, uint64_t seed, uint64_t epoch,
                     uint64_t row, int64_t h, int64_t w, rt_augment_params *p);

/* dst[h, w, c] (f32) = scale * src transformed as Keras's
** apply_affine_transform does (input point = rotation . (zoom . (output -
** center) + shift) + center, bilinear, nearest fill), then flipped. */
void rt_augment_apply(const rt_augment_params *p, float scale,
                      const uint8_t *src, int64_t h, int64_t w, int64_t c,
                      float *dst);

/* Draws and applies in one call, with a->rescale (0 = 1): the same (seed,
** epoch, row) always gives the same image. All ranges 0 and no flip give
** exactly the rescaled input. */
void rt_augment_image(const netc_augment *a, uint64_t seed, uint64_t epoch,
                      uint64_t row, const uint8_t *src, int64_t h, int64_t w,
                      int64_t c, float *dst);

/* The augmentation attached to `column` by netc_dataset_set_augment, or
** NULL. */
const netc_augment *rt_dataset_augment(const netc_dataset *d,
                                       const char *column);

#endif
