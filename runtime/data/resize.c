/*
** resize.c: bilinear sampling of u8 images, shared by the loader's resize
** and the augmentation's affine transform, so both treat edges the same
** way.
*/
#include <string.h>

#include "runtime/data/augment.h"

static double clamp(double v, double hi) { return v < 0 ? 0 : v > hi ? hi : v; }

void rt_tap_at(int64_t h, int64_t w, int64_t c, double y, double x, rt_tap *t) {
  y = clamp(y, (double)(h - 1));
  x = clamp(x, (double)(w - 1));
  int64_t y0 = (int64_t)y, x0 = (int64_t)x; /* floor: both are >= 0 */
  int64_t y1 = y0 + (y0 + 1 < h), x1 = x0 + (x0 + 1 < w);
  t->p00 = (y0 * w + x0) * c;
  t->p01 = (y0 * w + x1) * c;
  t->p10 = (y1 * w + x0) * c;
  t->p11 = (y1 * w + x1) * c;
  t->fy = (float)(y - (double)y0);
  t->fx = (float)(x - (double)x0);
}

/* Half-pixel centers: output pixel i spans [i, i + 1), so its center
** i + 0.5 maps to (i + 0.5) * in / out in input units, where input pixel
** j's center is j + 0.5: hence the -0.5 to index pixels. Values round
** half up. */
void rt_resize_bilinear(const uint8_t *src, int64_t sh, int64_t sw, int64_t c,
                        uint8_t *dst, int64_t dh, int64_t dw) {
  if (sh == dh && sw == dw) {
    memcpy(dst, src, (size_t)(sh * sw * c));
    return;
  }
  double sy = (double)sh / (double)dh, sx = (double)sw / (double)dw;
  for (int64_t y = 0; y < dh; y++)
    for (int64_t x = 0; x < dw; x++) {
      rt_tap t;
      rt_tap_at(sh, sw, c, ((double)y + 0.5) * sy - 0.5, ((double)x + 0.5) * sx - 0.5, &t);
      uint8_t *out = dst + (y * dw + x) * c;
      for (int64_t k = 0; k < c; k++) out[k] = (uint8_t)(rt_tap_value(&t, src, k) + 0.5f);
    }
}
