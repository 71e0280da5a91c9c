/*
** augment.c: the random transforms of Keras's ImageDataGenerator (flip,
** rotation, shift, zoom, rescale) on one u8 image at a time. Parameters
** are drawn from the counter-based rt_uniform keyed by (seed, epoch,
** row), so the image a row becomes depends on nothing else: not the
** batch it lands in, nor the thread that builds it.
*/
#include <math.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "runtime/data/augment.h"
#include "runtime/data/dataset.h"
#include "runtime/kernels/kernels.h"

#define RADIANS_PER_DEGREE (3.14159265358979323846 / 180.0)

void rt_u8_to_f32(int64_t n, float scale, const uint8_t *src, float *dst) {
  for (int64_t i = 0; i < n; i++) dst[i] = (float)src[i] * scale;
}

/* Uniform in [-r, r] from draw k of the row: exactly 0 when r is 0. */
static double symmetric(double r, uint64_t seed, uint64_t epoch, uint64_t row, int k) {
  float u = rt_uniform(seed, RT_AUGMENT_STREAM, epoch, row * RT_AUGMENT_DRAWS + (uint64_t)k);
  return r * (2.0 * (double)u - 1.0);
}

void rt_augment_draw(const netc_augment *a, uint64_t seed, uint64_t epoch,
                     uint64_t row, int64_t h, int64_t w, rt_augment_params *p) {
  p->flip = a->horizontal_flip && symmetric(1.0, seed, epoch, row, 0) < 0.0;
  p->angle = symmetric(a->rotation_range, seed, epoch, row, 1) * RADIANS_PER_DEGREE;
  p->shift_rows = symmetric(a->height_shift_range, seed, epoch, row, 2) * (double)h;
  p->shift_cols = symmetric(a->width_shift_range, seed, epoch, row, 3) * (double)w;
  p->zoom_rows = 1.0 + symmetric(a->zoom_range, seed, epoch, row, 4);
  p->zoom_cols = 1.0 + symmetric(a->zoom_range, seed, epoch, row, 5);
}

/* Keras builds rotation . shift . zoom as a 3x3 matrix on (row, column)
** about the image center o = ((h - 1) / 2, (w - 1) / 2), and scipy's
** affine_transform reads input point M (out - o) + o: an inverse map, so
** every output pixel is sampled once. Multiplied out, input = A (out - o)
** + b with A = R Z and b = R t + o. The flip comes after, as in Keras, so
** output column x is the transform's column w - 1 - x. At the identity
** every sample lands on a pixel center and copies it exactly. */
void rt_augment_apply(const rt_augment_params *p, float scale,
                      const uint8_t *src, int64_t h, int64_t w, int64_t c,
                      float *dst) {
  double cs = cos(p->angle), sn = sin(p->angle);
  double a00 = cs * p->zoom_rows, a01 = -sn * p->zoom_cols;
  double a10 = sn * p->zoom_rows, a11 = cs * p->zoom_cols;
  double o_r = (double)(h - 1) / 2.0, o_c = (double)(w - 1) / 2.0;
  double b0 = cs * p->shift_rows - sn * p->shift_cols + o_r;
  double b1 = sn * p->shift_rows + cs * p->shift_cols + o_c;
  if (!p->flip && a00 == 1.0 && a11 == 1.0 && a01 == 0.0 && a10 == 0.0 &&
      p->shift_rows == 0.0 && p->shift_cols == 0.0) {
    rt_u8_to_f32(h * w * c, scale, src, dst); /* the common no-op: skip sampling */
    return;
  }
  for (int64_t y = 0; y < h; y++)
    for (int64_t x = 0; x < w; x++) {
      double dy = (double)y - o_r, dx = (double)(p->flip ? w - 1 - x : x) - o_c;
      rt_tap t;
      rt_tap_at(h, w, c, a00 * dy + a01 * dx + b0, a10 * dy + a11 * dx + b1, &t);
      float *out = dst + (y * w + x) * c;
      for (int64_t k = 0; k < c; k++) out[k] = rt_tap_value(&t, src, k) * scale;
    }
}

void rt_augment_image(const netc_augment *a, uint64_t seed, uint64_t epoch,
                      uint64_t row, const uint8_t *src, int64_t h, int64_t w,
                      int64_t c, float *dst) {
  rt_augment_params p;
  rt_augment_draw(a, seed, epoch, row, h, w, &p);
  rt_augment_apply(&p, a->rescale != 0.0 ? (float)a->rescale : 1.0f, src, h, w, c, dst);
}

const netc_augment *rt_dataset_augment(const netc_dataset *d, const char *column) {
  return d && d->augment_column && column && strcmp(d->augment_column, column) == 0
             ? &d->augment
             : NULL;
}

netc_status netc_dataset_augmented_images(const netc_dataset *d, const char *column,
                                          uint64_t seed, int64_t epoch, int64_t first,
                                          int64_t count, float *out, netc_error *error) {
  if (!d || !column || !out)
    return rt_error(error, NETC_EINVAL, "augmented images: no %s",
                    !d ? "dataset" : !column ? "column name" : "output buffer");
  const rt_column *col = rt_dataset_find(d, column);
  if (!col || col->data.dtype != NETC_U8 || col->data.rank != 4)
    return rt_error(error, col ? NETC_EDTYPE : NETC_ENOTFOUND,
                    "the dataset has no u8 image column [N,H,W,C] '%s'", column);
  if (epoch < 0 || first < 0 || count < 0 || first > d->rows ||
      count > d->rows - first)
    return rt_error(error, NETC_EINVAL, "rows [%lld, %lld) are outside the dataset",
                    (long long)first, (long long)(first + count));
  static const netc_augment none = {0, 0, 0, 0, 0, 0};
  const netc_augment *a = rt_dataset_augment(d, column);
  const int64_t *dims = col->data.dims;
  int64_t per_image = dims[1] * dims[2] * dims[3];
  for (int64_t r = first; r < first + count; r++)
    rt_augment_image(a ? a : &none, seed, (uint64_t)epoch, (uint64_t)r,
                     (const uint8_t *)col->data.data + r * per_image, dims[1], dims[2],
                     dims[3], out + (r - first) * per_image);
  return NETC_OK;
}

/* A range must be finite and not negative (zoom also below 1, so the
** factor stays positive); says which one is not. */
static netc_status check_range(const char *column, const char *name, double value,
                               double limit, netc_error *error) {
  if (isfinite(value) && value >= 0.0 && value < limit) return NETC_OK;
  return rt_error(error, NETC_EINVAL,
                  "augmentation of column '%s': %s is %g (it must be >= 0%s)", column, name,
                  value, isinf(limit) ? "" : " and < 1");
}

netc_status netc_dataset_set_augment(netc_dataset *d, const char *column,
                                     const netc_augment *a, netc_error *error) {
  if (!d) return rt_error(error, NETC_EINVAL, "no dataset");
  if (!a) {
    nc_free(d->augment_column);
    d->augment_column = NULL;
    return NETC_OK;
  }
  if (!column) return rt_error(error, NETC_EINVAL, "no column to augment");
  const rt_column *col = rt_dataset_find(d, column);
  if (!col)
    return rt_error(error, NETC_ENOTFOUND, "the dataset has no column '%s'",
                    column ? column : "(null)");
  if (col->data.dtype != NETC_U8)
    return rt_error(error, NETC_EDTYPE, "column '%s' is %s: augmentation needs u8 images",
                    column, netc_dtype_name(col->data.dtype));
  if (col->data.rank != 4)
    return rt_error(error, NETC_ESHAPE,
                    "column '%s' has %d dims: augmentation needs images [N,H,W,C]", column,
                    col->data.rank);
  netc_status st = check_range(column, "rotation_range", a->rotation_range, INFINITY, error);
  if (st == NETC_OK)
    st = check_range(column, "width_shift_range", a->width_shift_range, INFINITY, error);
  if (st == NETC_OK)
    st = check_range(column, "height_shift_range", a->height_shift_range, INFINITY, error);
  if (st == NETC_OK) st = check_range(column, "zoom_range", a->zoom_range, 1.0, error);
  if (st == NETC_OK && !isfinite(a->rescale))
    st = rt_error(error, NETC_EINVAL, "augmentation of column '%s': rescale is %g", column,
                  a->rescale);
  if (st != NETC_OK) return st;
  char *name = nc_strdup(column);
  if (!name) return rt_error(error, NETC_ENOMEM, "out of memory");
  nc_free(d->augment_column);
  d->augment_column = name;
  d->augment = *a;
  return NETC_OK;
}
