/*
** test_images.c: the image-folder loader (runtime/data/images.c), the
** JPEG/PNG decoder, the bilinear resize and the augmentation. Every test
** writes the files it reads, with libpng and libjpeg, into a fresh
** temporary folder (mkdtemp) that it removes at the end; expected pixels
** come from the values written (exact for PNG, within a small tolerance
** for lossy JPEG) or from plain-loop references written here.
**
** To add a case: write `static void test_x(void)` below (make_dir() and
** the write_* helpers build fixtures, remove_tree() cleans up) and list it
** in TESTS at the end.
*/
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jpeglib.h>
#include <png.h>

#include "common/nc_alloc.h"
#include "netc.h"
#include "runtime/data/augment.h"
#include "runtime/data/decode.h"
#include "tests/unit/test_case.h"

/* ---------------------------------------------------------- helpers */

static uint64_t rng = 0x1a6e5;

/* SplitMix64: the tests' own generator, independent of rt_uniform. */
static uint64_t next64(void) {
  uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void fill_random(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(next64() >> 56);
}

/* A fresh temporary folder; its path goes to dir (64 bytes). */
static void make_temp(char *dir) {
  snprintf(dir, 64, "/tmp/netc_images_XXXXXX");
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

/* dir/rel into buf (512 bytes). */
static const char *at(char *buf, const char *dir, const char *rel) {
  snprintf(buf, 512, "%s/%s", dir, rel);
  return buf;
}

static void make_dir(const char *dir, const char *rel) {
  char p[512];
  CU_ASSERT_EQUAL_FATAL(mkdir(at(p, dir, rel), 0700), 0);
}

/* rm -r path. */
static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (d) {
    for (struct dirent *e; (e = readdir(d));) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char p[512];
      remove_tree(at(p, path, e->d_name));
    }
    closedir(d);
    CU_ASSERT_EQUAL(rmdir(path), 0);
  } else {
    CU_ASSERT_EQUAL(unlink(path), 0);
  }
}

static void write_bytes(const char *dir, const char *rel, const void *data, size_t n) {
  char p[512];
  FILE *f = fopen(at(p, dir, rel), "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(fwrite(data, 1, n, f), n);
  fclose(f);
}

/* The bytes of dir/rel (malloc'ed) and their count. */
static uint8_t *read_bytes(const char *dir, const char *rel, size_t *n) {
  char p[512];
  FILE *f = fopen(at(p, dir, rel), "rb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *data = malloc(*n);
  CU_ASSERT_EQUAL(fread(data, 1, *n, f), *n);
  fclose(f);
  return data;
}

/* A PNG to write: rows packed as libpng stores them (16-bit samples
** big-endian, sub-byte gray packed from the high bit). */
typedef struct png_spec {
  int w, h, color, depth, interlace; /* IHDR */
  const uint8_t *data;               /* h rows */
  const png_color *palette;          /* PLTE, or NULL */
  int n_palette;
  const uint8_t *trans;              /* tRNS alphas of the palette, or NULL */
  int n_trans;
} png_spec;

static int png_write_all(png_structp png, png_infop info, FILE *f, const png_spec *s) {
  if (setjmp(png_jmpbuf(png))) return -1;
  png_init_io(png, f);
  png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->depth, s->color,
               s->interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (s->palette) png_set_PLTE(png, info, s->palette, s->n_palette);
  if (s->trans) png_set_tRNS(png, info, s->trans, s->n_trans, NULL);
  png_write_info(png, info);
  size_t row = png_get_rowbytes(png, info);
  png_bytep rows[64];
  for (int y = 0; y < s->h && y < 64; y++) rows[y] = (png_bytep)(s->data + (size_t)y * row);
  png_write_image(png, rows);
  png_write_end(png, NULL);
  return 0;
}

static void write_png(const char *dir, const char *rel, const png_spec *s) {
  char p[512];
  CU_ASSERT_FATAL(s->h <= 64);
  FILE *f = fopen(at(p, dir, rel), "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  CU_ASSERT_EQUAL(png_write_all(png, info, f, s), 0);
  png_destroy_write_struct(&png, &info);
  fclose(f);
}

/* An 8-bit PNG of one color repeated (`channels` samples per pixel). */
static void write_png_constant(const char *dir, const char *rel, int w, int h, int color,
                               const uint8_t *value, int channels) {
  uint8_t data[64 * 64 * 4];
  for (int i = 0; i < w * h; i++) memcpy(data + i * channels, value, (size_t)channels);
  png_spec s = {w, h, color, 8, PNG_INTERLACE_NONE, data, NULL, 0, NULL, 0};
  write_png(dir, rel, &s);
}

/* A baseline JPEG of `comps` components (1 gray, 3 RGB, 4 CMYK, written
** with libjpeg's Adobe marker). */
static void write_jpeg(const char *dir, const char *rel, int w, int h, int comps,
                       const uint8_t *data, int quality) {
  char p[512];
  FILE *f = fopen(at(p, dir, rel), "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = (JDIMENSION)w;
  c.image_height = (JDIMENSION)h;
  c.input_components = comps;
  c.in_color_space = comps == 1 ? JCS_GRAYSCALE : comps == 3 ? JCS_RGB : JCS_CMYK;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = (JSAMPROW)(data + (size_t)c.next_scanline * (size_t)(w * comps));
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  fclose(f);
}

static void write_jpeg_constant(const char *dir, const char *rel, int w, int h, int comps,
                                const uint8_t *value) {
  uint8_t data[64 * 64 * 4];
  for (int i = 0; i < w * h; i++) memcpy(data + i * comps, value, (size_t)comps);
  write_jpeg(dir, rel, w, h, comps, data, 100);
}

/* Decodes dir/rel, expecting success. */
static rt_image decode_ok(const char *dir, const char *rel) {
  char p[512], why[160] = "";
  rt_image im;
  netc_status st = rt_decode_image(at(p, dir, rel), &im, why, sizeof why);
  if (st != NETC_OK) fprintf(stderr, "\n  %s: %s\n", rel, why);
  CU_ASSERT_EQUAL_FATAL(st, NETC_OK);
  return im;
}

/* Every pixel of an RGB image within tol of rgb. */
static int all_near(const uint8_t *px, int64_t pixels, const uint8_t *rgb, int tol) {
  for (int64_t i = 0; i < pixels; i++)
    for (int k = 0; k < 3; k++)
      if (abs((int)px[3 * i + k] - (int)rgb[k]) > tol) return 0;
  return 1;
}

/* ----------------------------------------------------------- decoding */

static const uint8_t RGB_A[3] = {200, 100, 50};

static void test_decode_png_layouts(void) {
  char dir[64];
  make_temp(dir);
  /* RGB: a random 5x3 image, exact. */
  uint8_t rgb[5 * 3 * 3];
  fill_random(rgb, sizeof rgb);
  png_spec s = {5, 3, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, rgb, NULL, 0, NULL, 0};
  write_png(dir, "rgb.png", &s);
  rt_image im = decode_ok(dir, "rgb.png");
  CU_ASSERT(im.width == 5 && im.height == 3);
  CU_ASSERT(memcmp(im.pixels, rgb, sizeof rgb) == 0);
  nc_free(im.pixels);
  /* The same, Adam7-interlaced. */
  s.interlace = PNG_INTERLACE_ADAM7;
  write_png(dir, "interlaced.png", &s);
  im = decode_ok(dir, "interlaced.png");
  CU_ASSERT(memcmp(im.pixels, rgb, sizeof rgb) == 0);
  nc_free(im.pixels);
  /* Gray: replicated. */
  uint8_t gray[4 * 2] = {0, 1, 2, 3, 250, 251, 252, 255};
  s = (png_spec){4, 2, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, gray, NULL, 0, NULL, 0};
  write_png(dir, "gray.png", &s);
  im = decode_ok(dir, "gray.png");
  for (int i = 0; i < 8; i++)
    CU_ASSERT(im.pixels[3 * i] == gray[i] && im.pixels[3 * i + 1] == gray[i] &&
              im.pixels[3 * i + 2] == gray[i]);
  nc_free(im.pixels);
  /* 1-bit gray: 0 and 1 become 0 and 255. */
  uint8_t bits[1] = {0xa0}; /* 1 0 1 0 */
  s = (png_spec){4, 1, PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, bits, NULL, 0, NULL, 0};
  write_png(dir, "bits.png", &s);
  im = decode_ok(dir, "bits.png");
  CU_ASSERT(im.pixels[0] == 255 && im.pixels[3] == 0 && im.pixels[6] == 255 && im.pixels[9] == 0);
  nc_free(im.pixels);
  /* RGBA and gray+alpha: alpha dropped, colors kept. */
  uint8_t rgba[2 * 4] = {10, 20, 30, 0, 40, 50, 60, 255};
  s = (png_spec){2, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_NONE, rgba, NULL, 0, NULL, 0};
  write_png(dir, "rgba.png", &s);
  im = decode_ok(dir, "rgba.png");
  static const uint8_t want_rgba[6] = {10, 20, 30, 40, 50, 60};
  CU_ASSERT(memcmp(im.pixels, want_rgba, 6) == 0);
  nc_free(im.pixels);
  uint8_t ga[2 * 2] = {99, 0, 7, 128};
  s = (png_spec){2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE, ga, NULL, 0, NULL, 0};
  write_png(dir, "ga.png", &s);
  im = decode_ok(dir, "ga.png");
  CU_ASSERT(im.pixels[0] == 99 && im.pixels[2] == 99 && im.pixels[3] == 7 && im.pixels[5] == 7);
  nc_free(im.pixels);
  /* Palette, with and without tRNS transparency. */
  static const png_color palette[3] = {{1, 2, 3}, {250, 128, 0}, {9, 8, 7}};
  static const uint8_t trans[3] = {255, 0, 100};
  uint8_t idx[3] = {2, 0, 1};
  s = (png_spec){3, 1, PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_NONE, idx, palette, 3, NULL, 0};
  write_png(dir, "pal.png", &s);
  s.trans = trans;
  s.n_trans = 3;
  write_png(dir, "pal_trns.png", &s);
  static const uint8_t want_pal[9] = {9, 8, 7, 1, 2, 3, 250, 128, 0};
  im = decode_ok(dir, "pal.png");
  CU_ASSERT(memcmp(im.pixels, want_pal, 9) == 0);
  nc_free(im.pixels);
  im = decode_ok(dir, "pal_trns.png");
  CU_ASSERT(memcmp(im.pixels, want_pal, 9) == 0);
  nc_free(im.pixels);
  /* 16-bit RGB and gray: the high byte. */
  uint8_t deep[2 * 6] = {0xab, 0xcd, 0x12, 0x34, 0xff, 0xff, 0x00, 0xff, 0x80, 0x01, 0x7f, 0xff};
  s = (png_spec){2, 1, PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE, deep, NULL, 0, NULL, 0};
  write_png(dir, "deep.png", &s);
  im = decode_ok(dir, "deep.png");
  static const uint8_t want_deep[6] = {0xab, 0x12, 0xff, 0x00, 0x80, 0x7f};
  CU_ASSERT(memcmp(im.pixels, want_deep, 6) == 0);
  nc_free(im.pixels);
  s = (png_spec){2, 1, PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_NONE, deep, NULL, 0, NULL, 0};
  write_png(dir, "deep_gray.png", &s);
  im = decode_ok(dir, "deep_gray.png");
  CU_ASSERT(im.pixels[0] == 0xab && im.pixels[2] == 0xab && im.pixels[3] == 0x12);
  nc_free(im.pixels);
  remove_tree(dir);
}

static void test_decode_jpeg(void) {
  char dir[64];
  make_temp(dir);
  write_jpeg_constant(dir, "rgb.jpg", 16, 16, 3, RGB_A);
  rt_image im = decode_ok(dir, "rgb.jpg");
  CU_ASSERT(im.width == 16 && im.height == 16);
  CU_ASSERT(all_near(im.pixels, 256, RGB_A, 3));
  nc_free(im.pixels);
  static const uint8_t g = 77, gray3[3] = {77, 77, 77};
  write_jpeg_constant(dir, "gray.jpg", 9, 5, 1, &g);
  im = decode_ok(dir, "gray.jpg");
  CU_ASSERT(im.width == 9 && im.height == 5);
  CU_ASSERT(all_near(im.pixels, 45, gray3, 1));
  for (int i = 0; i < 45; i++)
    CU_ASSERT(im.pixels[3 * i] == im.pixels[3 * i + 1] && im.pixels[3 * i] == im.pixels[3 * i + 2]);
  nc_free(im.pixels);
  /* CMYK with the Adobe marker: stored values are inverted ink, so RGB =
  ** C K / 255; K = 255 leaves C M Y as R G B. */
  static const uint8_t cmyk[4] = {200, 100, 50, 255};
  write_jpeg_constant(dir, "cmyk.jpg", 8, 8, 4, cmyk);
  im = decode_ok(dir, "cmyk.jpg");
  CU_ASSERT(all_near(im.pixels, 64, RGB_A, 3));
  nc_free(im.pixels);
  /* A smooth image (JPEG's good case) survives quality 95 closely. */
  uint8_t smooth[24 * 24 * 3];
  for (int y = 0; y < 24; y++)
    for (int x = 0; x < 24; x++) {
      uint8_t *px = smooth + (y * 24 + x) * 3;
      px[0] = (uint8_t)(10 * x);
      px[1] = (uint8_t)(10 * y);
      px[2] = (uint8_t)(5 * (x + y));
    }
  write_jpeg(dir, "smooth.jpg", 24, 24, 3, smooth, 95);
  im = decode_ok(dir, "smooth.jpg");
  double err = 0;
  for (size_t i = 0; i < sizeof smooth; i++) err += fabs((double)im.pixels[i] - smooth[i]);
  CU_ASSERT(err / (double)sizeof smooth < 2.0);
  nc_free(im.pixels);
  remove_tree(dir);
}

/* Expects `rel` to fail with `status` and a reason containing `part`. */
static void expect_decode_error(const char *dir, const char *rel, netc_status status,
                                const char *part) {
  char p[512], why[160] = "";
  rt_image im;
  netc_status st = rt_decode_image(at(p, dir, rel), &im, why, sizeof why);
  if (st != status || !strstr(why, part))
    fprintf(stderr, "\n  %s: status %d, reason '%s'\n", rel, (int)st, why);
  CU_ASSERT_EQUAL(st, status);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, part));
  CU_ASSERT_PTR_NULL(im.pixels);
}

static void test_decode_errors(void) {
  char dir[64];
  make_temp(dir);
  uint8_t noise[32 * 32 * 3];
  fill_random(noise, sizeof noise);
  write_jpeg(dir, "full.jpg", 32, 32, 3, noise, 90);
  png_spec s = {32, 32, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, noise, NULL, 0, NULL, 0};
  write_png(dir, "full.png", &s);
  size_t n_jpg, n_png;
  uint8_t *jpg = read_bytes(dir, "full.jpg", &n_jpg), *png = read_bytes(dir, "full.png", &n_png);
  write_bytes(dir, "half.jpg", jpg, n_jpg / 2);
  write_bytes(dir, "head.jpg", jpg, 40);
  write_bytes(dir, "half.png", png, n_png / 2);
  write_bytes(dir, "head.png", png, 12);
  uint8_t bad[200];
  memcpy(bad, png, 8); /* a PNG signature, then junk */
  fill_random(bad + 8, sizeof bad - 8);
  write_bytes(dir, "junk.png", bad, sizeof bad);
  memcpy(bad, jpg, 3); /* a JPEG start, then junk */
  write_bytes(dir, "junk.jpg", bad, sizeof bad);
  static const char text[] = "this is not a picture\n";
  write_bytes(dir, "text.jpg", text, sizeof text - 1);
  write_bytes(dir, "empty.png", "", 0);
  free(jpg);
  free(png);
  expect_decode_error(dir, "half.jpg", NETC_EFORMAT, "Premature end");
  expect_decode_error(dir, "head.jpg", NETC_EFORMAT, "invalid JPEG");
  expect_decode_error(dir, "half.png", NETC_EFORMAT, "invalid PNG");
  expect_decode_error(dir, "head.png", NETC_EFORMAT, "truncated");
  expect_decode_error(dir, "junk.png", NETC_EFORMAT, "invalid PNG");
  expect_decode_error(dir, "junk.jpg", NETC_EFORMAT, "invalid JPEG");
  expect_decode_error(dir, "text.jpg", NETC_EFORMAT, "not a JPEG or PNG");
  expect_decode_error(dir, "empty.png", NETC_EFORMAT, "empty");
  expect_decode_error(dir, "missing.png", NETC_EIO, "cannot open");
  /* A folder named like an image cannot be read as one. */
  make_dir(dir, "folder.png");
  char p[512], why[160];
  rt_image im;
  CU_ASSERT_NOT_EQUAL(rt_decode_image(at(p, dir, "folder.png"), &im, why, sizeof why), NETC_OK);
  remove_tree(dir);
}

/* ------------------------------------------------------------- resize */

/* Plain-loop reference: half-pixel centers, clamped, in double. */
static uint8_t ref_resize_at(const uint8_t *src, int64_t sh, int64_t sw, int64_t c, int64_t dh,
                             int64_t dw, int64_t y, int64_t x, int64_t k) {
  double fy = (y + 0.5) * (double)sh / (double)dh - 0.5;
  double fx = (x + 0.5) * (double)sw / (double)dw - 0.5;
  fy = fmin(fmax(fy, 0), (double)(sh - 1));
  fx = fmin(fmax(fx, 0), (double)(sw - 1));
  int64_t y0 = (int64_t)floor(fy), x0 = (int64_t)floor(fx);
  int64_t y1 = y0 + 1 < sh ? y0 + 1 : y0, x1 = x0 + 1 < sw ? x0 + 1 : x0;
  double wy = fy - (double)y0, wx = fx - (double)x0;
#define S(yy, xx) (double)src[((yy) * sw + (xx)) * c + k]
  double v = (1 - wy) * ((1 - wx) * S(y0, x0) + wx * S(y0, x1)) +
             wy * ((1 - wx) * S(y1, x0) + wx * S(y1, x1));
#undef S
  return (uint8_t)floor(v + 0.5);
}

static void test_resize(void) {
  /* A constant image stays constant at any size. */
  uint8_t src[13 * 9 * 3], dst[17 * 11 * 3];
  for (int i = 0; i < 13 * 9; i++) memcpy(src + 3 * i, RGB_A, 3);
  rt_resize_bilinear(src, 13, 9, 3, dst, 5, 11);
  CU_ASSERT(all_near(dst, 5 * 11, RGB_A, 0));
  rt_resize_bilinear(src, 13, 9, 3, dst, 17, 3);
  CU_ASSERT(all_near(dst, 17 * 3, RGB_A, 0));
  /* 2x downscale of 2x2 blocks gives the blocks (samples fall midway). */
  uint8_t blocks[8 * 8], small[4 * 4];
  for (int y = 0; y < 8; y++)
    for (int x = 0; x < 8; x++) blocks[y * 8 + x] = (uint8_t)(10 * (y / 2) + x / 2 + 1);
  rt_resize_bilinear(blocks, 8, 8, 1, small, 4, 4);
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 4; x++) CU_ASSERT_EQUAL(small[y * 4 + x], 10 * y + x + 1);
  /* 2x upscale of [0, 100]: centers at -0.25, 0.25, 0.75, 1.25. */
  uint8_t row[2] = {0, 100}, wide[4];
  rt_resize_bilinear(row, 1, 2, 1, wide, 1, 4);
  CU_ASSERT(wide[0] == 0 && wide[1] == 25 && wide[2] == 75 && wide[3] == 100);
  /* Same size: an exact copy. */
  fill_random(src, sizeof src);
  rt_resize_bilinear(src, 13, 9, 3, dst, 13, 9);
  CU_ASSERT(memcmp(src, dst, sizeof src) == 0);
  /* Random image, odd sizes both ways, against the reference (+-1 for
  ** float rounding at .5). */
  static const int64_t sizes[][2] = {{5, 11}, {17, 4}, {13, 9}, {1, 1}};
  for (int s = 0; s < 4; s++) {
    int64_t dh = sizes[s][0], dw = sizes[s][1], bad = 0;
    rt_resize_bilinear(src, 13, 9, 3, dst, dh, dw);
    for (int64_t y = 0; y < dh; y++)
      for (int64_t x = 0; x < dw; x++)
        for (int64_t k = 0; k < 3; k++)
          bad += abs((int)dst[(y * dw + x) * 3 + k] -
                     (int)ref_resize_at(src, 13, 9, 3, dh, dw, y, x, k)) > 1;
    CU_ASSERT_EQUAL(bad, 0);
  }
}

/* ------------------------------------------------------ image folders */

/* The fixture tree (strcmp order puts uppercase first):
**   C_birds/b.png                     1 image
**   a_cats/x.png, y.jpg               2 images
**   b_dogs/01..07 (all layouts)       7 images, 3 broken ones, 2 ignored
**   readme.txt                        not in a class folder */
static void make_tree(const char *dir) {
  static const uint8_t red[3] = {255, 0, 0}, c123[3] = {1, 2, 3}, g128 = 128;
  make_dir(dir, "C_birds");
  make_dir(dir, "a_cats");
  make_dir(dir, "b_dogs");
  write_bytes(dir, "readme.txt", "hi", 2);
  write_png_constant(dir, "C_birds/b.png", 8, 8, PNG_COLOR_TYPE_RGB, red, 3);
  write_png_constant(dir, "a_cats/x.png", 8, 8, PNG_COLOR_TYPE_RGB, c123, 3);
  write_jpeg_constant(dir, "a_cats/y.jpg", 8, 8, 1, &g128);
  write_png_constant(dir, "b_dogs/01_rgb.png", 8, 8, PNG_COLOR_TYPE_RGB, RGB_A, 3);
  static const uint8_t g77 = 77, rgba[4] = {10, 20, 30, 0};
  write_png_constant(dir, "b_dogs/02_gray.png", 16, 16, PNG_COLOR_TYPE_GRAY, &g77, 1);
  write_png_constant(dir, "b_dogs/03_rgba.PNG", 8, 8, PNG_COLOR_TYPE_RGB_ALPHA, rgba, 4);
  static const png_color palette[2] = {{0, 0, 0}, {1, 2, 3}};
  uint8_t ones[4 * 4];
  memset(ones, 1, sizeof ones);
  png_spec s = {4, 4, PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_NONE, ones, palette, 2, NULL, 0};
  write_png(dir, "b_dogs/04_pal.png", &s);
  static const uint8_t deep_px[6] = {0xab, 0xcd, 0x12, 0x34, 0xff, 0xff};
  uint8_t deep[8 * 8 * 6];
  for (int i = 0; i < 64; i++) memcpy(deep + 6 * i, deep_px, 6);
  s = (png_spec){8, 8, PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE, deep, NULL, 0, NULL, 0};
  write_png(dir, "b_dogs/05_16.png", &s);
  static const uint8_t sky[3] = {30, 160, 220};
  write_jpeg_constant(dir, "b_dogs/06_photo.jpg", 16, 16, 3, sky);
  write_jpeg_constant(dir, "b_dogs/07_gray.JPEG", 8, 8, 1, &g128);
  write_bytes(dir, "b_dogs/08_bad.png", "\x89PNG\r\n\x1a\nnot really", 18);
  size_t n;
  uint8_t *jpg = read_bytes(dir, "b_dogs/06_photo.jpg", &n);
  write_bytes(dir, "b_dogs/09_trunc.jpg", jpg, n / 2);
  free(jpg);
  write_bytes(dir, "b_dogs/10_text.jpg", "hello\n", 6);
  write_bytes(dir, "b_dogs/notes.txt", "no", 2);
  write_png_constant(dir, "b_dogs/.hidden.png", 8, 8, PNG_COLOR_TYPE_RGB, red, 3);
}

/* Row r of the image column. */
static const uint8_t *image_row(const netc_tensor *t, int64_t r) {
  return (const uint8_t *)t->data + r * t->dims[1] * t->dims[2] * 3;
}

static void test_load_skip(void) {
  char dir[64];
  make_temp(dir);
  make_tree(dir);
  netc_image_options o = {.height = 8, .width = 8};
  netc_image_report report;
  netc_error err = {""};
  netc_dataset *d = NULL;
  netc_status st = netc_dataset_load_images(dir, &o, &d, &report, &err);
  if (st != NETC_OK) fprintf(stderr, "\n  %s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(st, NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_class_count(d), 3);
  CU_ASSERT_STRING_EQUAL(netc_dataset_class_name(d, 0), "C_birds");
  CU_ASSERT_STRING_EQUAL(netc_dataset_class_name(d, 1), "a_cats");
  CU_ASSERT_STRING_EQUAL(netc_dataset_class_name(d, 2), "b_dogs");
  CU_ASSERT_PTR_NULL(netc_dataset_class_name(d, 3));
  CU_ASSERT_PTR_NULL(netc_dataset_class_name(d, -1));
  CU_ASSERT_EQUAL(netc_dataset_rows(d), 10);
  CU_ASSERT_EQUAL(report.loaded, 10);
  CU_ASSERT_EQUAL(report.skipped, 3);
  CU_ASSERT_EQUAL(report.ignored, 2);
  CU_ASSERT_EQUAL(report.listed, 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(report.files[0].path, "b_dogs/08_bad.png"));
  CU_ASSERT_PTR_NOT_NULL(strstr(report.files[1].path, "b_dogs/09_trunc.jpg"));
  CU_ASSERT_PTR_NOT_NULL(strstr(report.files[1].reason, "Premature end"));
  CU_ASSERT_PTR_NOT_NULL(strstr(report.files[2].path, "b_dogs/10_text.jpg"));
  CU_ASSERT_PTR_NOT_NULL(strstr(report.files[2].reason, "not a JPEG or PNG"));
  netc_tensor image, label;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_column(d, "image", &image), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_column(d, "label", &label), NETC_OK);
  CU_ASSERT(image.dtype == NETC_U8 && image.rank == 4 && image.dims[0] == 10 &&
            image.dims[1] == 8 && image.dims[2] == 8 && image.dims[3] == 3);
  CU_ASSERT(label.dtype == NETC_I32 && label.rank == 1 && label.dims[0] == 10);
  static const int32_t want_labels[10] = {0, 1, 1, 2, 2, 2, 2, 2, 2, 2};
  CU_ASSERT(memcmp(label.data, want_labels, sizeof want_labels) == 0);
  static const uint8_t want[7][3] = {
      {255, 0, 0},  {1, 2, 3}, {200, 100, 50}, {77, 77, 77},
      {10, 20, 30}, {1, 2, 3}, {0xab, 0x12, 0xff}};
  static const int rows[7] = {0, 1, 3, 4, 5, 6, 7}; /* the PNGs: exact */
  for (int i = 0; i < 7; i++) CU_ASSERT(all_near(image_row(&image, rows[i]), 64, want[i], 0));
  static const uint8_t g128[3] = {128, 128, 128}, sky[3] = {30, 160, 220};
  CU_ASSERT(all_near(image_row(&image, 2), 64, g128, 2));
  CU_ASSERT(all_near(image_row(&image, 8), 64, sky, 4));
  CU_ASSERT(all_near(image_row(&image, 9), 64, g128, 2));
  netc_dataset_destroy(d);

  /* Any thread count gives the same bytes; other column names; a
  ** different size. */
  netc_image_options o1 = {.height = 5, .width = 7, .threads = 1,
                           .image_column = "x", .label_column = "y"};
  netc_image_options o4 = o1;
  o4.threads = 4;
  netc_dataset *d1 = NULL, *d4 = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_load_images(dir, &o1, &d1, NULL, &err), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_load_images(dir, &o4, &d4, NULL, &err), NETC_OK);
  netc_tensor x1, x4;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_column(d1, "x", &x1), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_column(d4, "x", &x4), NETC_OK);
  CU_ASSERT(x1.dims[1] == 5 && x1.dims[2] == 7);
  CU_ASSERT(memcmp(x1.data, x4.data, 10 * 5 * 7 * 3) == 0);
  CU_ASSERT_EQUAL(netc_dataset_column(d1, "y", &x1), NETC_OK);
  netc_dataset_destroy(d1);
  netc_dataset_destroy(d4);

  /* A limit per class takes the first files in name order. */
  netc_image_options lim = {.height = 4, .width = 4, .limit_per_class = 1};
  CU_ASSERT_EQUAL_FATAL(netc_dataset_load_images(dir, &lim, &d, &report, &err), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_rows(d), 3);
  CU_ASSERT_EQUAL(report.skipped, 0);
  netc_dataset_destroy(d);
  remove_tree(dir);
}

static void test_load_fail(void) {
  char dir[64];
  make_temp(dir);
  make_tree(dir);
  netc_image_options o = {.height = 8, .width = 8, .on_error = NETC_ON_ERROR_FAIL};
  netc_image_report report;
  netc_error err = {""};
  netc_dataset *d = (netc_dataset *)&o; /* must be reset to NULL */
  CU_ASSERT_EQUAL(netc_dataset_load_images(dir, &o, &d, &report, &err), NETC_EFORMAT);
  CU_ASSERT_PTR_NULL(d);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "b_dogs/08_bad.png"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "invalid PNG"));
  CU_ASSERT_EQUAL(report.loaded, 0);
  /* The same with threads: still the first bad file in order. */
  o.threads = 3;
  CU_ASSERT_EQUAL(netc_dataset_load_images(dir, &o, &d, NULL, &err), NETC_EFORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "b_dogs/08_bad.png"));
  remove_tree(dir);
}

/* Expects loading dir to fail with `status` and a message containing part. */
static void expect_load_error(const char *dir, const netc_image_options *o, netc_status status,
                              const char *part) {
  netc_error err = {""};
  netc_dataset *d = NULL;
  netc_status st = netc_dataset_load_images(dir, o, &d, NULL, &err);
  if (st != status || !strstr(err.message, part))
    fprintf(stderr, "\n  status %d: %s\n", (int)st, err.message);
  CU_ASSERT_EQUAL(st, status);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, part));
  CU_ASSERT_PTR_NULL(d);
}

static void test_load_errors(void) {
  char dir[64], p[512];
  make_temp(dir);
  netc_image_options o = {.height = 8, .width = 8};
  static const uint8_t c[3] = {1, 2, 3};
  /* No class folders: only files (and a hidden folder). */
  write_png_constant(dir, "loose.png", 4, 4, PNG_COLOR_TYPE_RGB, c, 3);
  make_dir(dir, ".ipynb_checkpoints");
  expect_load_error(dir, &o, NETC_EFORMAT, "no class folders");
  /* An empty class folder (a text file and a subfolder do not count). */
  make_dir(dir, "a");
  make_dir(dir, "b");
  make_dir(dir, "b/nested");
  write_png_constant(dir, "a/x.png", 4, 4, PNG_COLOR_TYPE_RGB, c, 3);
  write_bytes(dir, "b/x.txt", "x", 1);
  expect_load_error(dir, &o, NETC_EFORMAT, "/b: the class folder has no .jpg");
  /* A class where nothing decodes, even when skipping. */
  write_bytes(dir, "b/bad.jpg", "\xff\xd8\xff", 3);
  expect_load_error(dir, &o, NETC_EFORMAT, "none of its 1 image files");
  /* No such folder; bad options. */
  expect_load_error(at(p, dir, "missing"), &o, NETC_EIO, "cannot open");
  netc_image_options bad = {.height = 0, .width = 8};
  expect_load_error(dir, &bad, NETC_EINVAL, "height and width");
  bad = (netc_image_options){.height = 8, .width = 8, .on_error = (netc_on_error)7};
  expect_load_error(dir, &bad, NETC_EINVAL, "on_error");
  expect_load_error(dir, NULL, NETC_EINVAL, "no folder");
  CU_ASSERT_EQUAL(netc_dataset_load_images(dir, &o, NULL, NULL, NULL), NETC_EINVAL);
  remove_tree(dir);
}

/* ---------------------------------------------------------------- split */

/* A dataset of n rows: "id" i32 [n] = row, "image" u8 [n,1,2,3] = row. */
static netc_dataset *numbered(int64_t n) {
  int32_t *ids = malloc((size_t)n * sizeof *ids);
  uint8_t *px = malloc((size_t)n * 6);
  for (int64_t i = 0; i < n; i++) {
    ids[i] = (int32_t)i;
    memset(px + 6 * i, (int)(i & 0xff), 6);
  }
  netc_dataset *d = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_dataset_create(&d), NETC_OK);
  netc_tensor t = {NETC_I32, 1, {n}, ids};
  CU_ASSERT_EQUAL(netc_dataset_add(d, "id", &t, NULL), NETC_OK);
  t = (netc_tensor){NETC_U8, 4, {n, 1, 2, 3}, px};
  CU_ASSERT_EQUAL(netc_dataset_add(d, "image", &t, NULL), NETC_OK);
  free(ids);
  free(px);
  return d;
}

static const int32_t *ids_of(const netc_dataset *d) {
  netc_tensor t;
  CU_ASSERT_EQUAL(netc_dataset_column(d, "id", &t), NETC_OK);
  return t.data;
}

static void test_split(void) {
  netc_dataset *d = numbered(103), *train, *val, *train2, *val2;
  netc_error err = {""};
  CU_ASSERT_EQUAL_FATAL(netc_dataset_split(d, 0.2, 42, &train, &val, &err), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_rows(val), 21); /* round(20.6) */
  CU_ASSERT_EQUAL(netc_dataset_rows(train), 82);
  /* Disjoint, together every row once, each in the original order, the
  ** other columns following. */
  int seen[103] = {0};
  const netc_dataset *parts[2] = {train, val};
  for (int s = 0; s < 2; s++) {
    const int32_t *ids = ids_of(parts[s]);
    netc_tensor im;
    CU_ASSERT_EQUAL(netc_dataset_column(parts[s], "image", &im), NETC_OK);
    for (int64_t i = 0; i < netc_dataset_rows(parts[s]); i++) {
      seen[ids[i]]++;
      if (i > 0) CU_ASSERT(ids[i] > ids[i - 1]);
      CU_ASSERT_EQUAL(((uint8_t *)im.data)[6 * i + 5], ids[i]);
    }
  }
  for (int i = 0; i < 103; i++) CU_ASSERT_EQUAL(seen[i], 1);
  /* The same seed, the same split; another seed, another. */
  CU_ASSERT_EQUAL_FATAL(netc_dataset_split(d, 0.2, 42, &train2, &val2, &err), NETC_OK);
  CU_ASSERT(memcmp(ids_of(val), ids_of(val2), 21 * sizeof(int32_t)) == 0);
  netc_dataset_destroy(train2);
  netc_dataset_destroy(val2);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_split(d, 0.2, 43, &train2, &val2, &err), NETC_OK);
  CU_ASSERT(memcmp(ids_of(val), ids_of(val2), 21 * sizeof(int32_t)) != 0);
  netc_dataset_destroy(train2);
  netc_dataset_destroy(val2);
  netc_dataset_destroy(train);
  netc_dataset_destroy(val);
  /* The ends: nothing or everything to validation. */
  CU_ASSERT_EQUAL_FATAL(netc_dataset_split(d, 0.0, 1, &train, &val, &err), NETC_OK);
  CU_ASSERT(netc_dataset_rows(train) == 103 && netc_dataset_rows(val) == 0);
  netc_dataset_destroy(train);
  netc_dataset_destroy(val);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_split(d, 1.0, 1, &train, &val, &err), NETC_OK);
  CU_ASSERT(netc_dataset_rows(train) == 0 && netc_dataset_rows(val) == 103);
  netc_dataset_destroy(train);
  netc_dataset_destroy(val);
  /* Bad fractions. */
  CU_ASSERT_EQUAL(netc_dataset_split(d, -0.1, 1, &train, &val, &err), NETC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "outside [0, 1]"));
  CU_ASSERT_EQUAL(netc_dataset_split(d, NAN, 1, &train, &val, &err), NETC_EINVAL);
  CU_ASSERT(train == NULL && val == NULL);
  /* Class names and augmentation travel with the rows. */
  netc_augment a = {.horizontal_flip = 1, .rescale = 0.5};
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, "image", &a, &err), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_split(d, 0.5, 7, &train, &val, &err), NETC_OK);
  const netc_augment *got = rt_dataset_augment(val, "image");
  CU_ASSERT(got && got->horizontal_flip == 1 && got->rescale == 0.5);
  CU_ASSERT_PTR_NOT_NULL(rt_dataset_augment(train, "image"));
  netc_dataset_destroy(train);
  netc_dataset_destroy(val);
  netc_dataset_destroy(d);

  char dir[64];
  make_temp(dir);
  make_tree(dir);
  netc_image_options o = {.height = 4, .width = 4};
  CU_ASSERT_EQUAL_FATAL(netc_dataset_load_images(dir, &o, &d, NULL, &err), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_dataset_split(d, 0.3, 7, &train, &val, &err), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_class_count(val), 3);
  CU_ASSERT_STRING_EQUAL(netc_dataset_class_name(train, 2), "b_dogs");
  netc_dataset_destroy(train);
  netc_dataset_destroy(val);
  netc_dataset_destroy(d);
  remove_tree(dir);
}

/* --------------------------------------------------------- augmentation */

enum { AH = 9, AW = 9, AC = 3 }; /* a square test image */

static const rt_augment_params IDENTITY = {0, 0.0, 0.0, 0.0, 1.0, 1.0};

static int64_t clampi(int64_t v, int64_t n) { return v < 0 ? 0 : v >= n ? n - 1 : v; }

static void test_u8_to_f32(void) {
  uint8_t src[256];
  float dst[256];
  for (int i = 0; i < 256; i++) src[i] = (uint8_t)i;
  rt_u8_to_f32(256, 1.0f / 255.0f, src, dst);
  for (int i = 0; i < 256; i++) CU_ASSERT_EQUAL(dst[i], (float)i * (1.0f / 255.0f));
  CU_ASSERT_EQUAL(dst[255], 1.0f);
}

static void test_augment_identity_and_flip(void) {
  uint8_t src[AH * AW * AC];
  float dst[AH * AW * AC];
  fill_random(src, sizeof src);
  /* No augmentation: exactly the rescaled copy, for any row and epoch. */
  netc_augment none = {.rescale = 1.0 / 255.0};
  for (uint64_t row = 0; row < 20; row++) {
    rt_augment_image(&none, 7, row % 3, row, src, AH, AW, AC, dst);
    for (int i = 0; i < AH * AW * AC; i++)
      CU_ASSERT_EQUAL(dst[i], (float)src[i] * (float)(1.0 / 255.0));
  }
  netc_augment unscaled = {0}; /* rescale 0 means 1 */
  rt_augment_image(&unscaled, 7, 0, 0, src, AH, AW, AC, dst);
  for (int i = 0; i < AH * AW * AC; i++) CU_ASSERT_EQUAL(dst[i], (float)src[i]);
  /* A flip mirrors exactly (through the sampling path). */
  rt_augment_params p = IDENTITY;
  p.flip = 1;
  rt_augment_apply(&p, 2.0f, src, AH, AW, AC, dst);
  for (int y = 0; y < AH; y++)
    for (int x = 0; x < AW; x++)
      for (int k = 0; k < AC; k++)
        CU_ASSERT_EQUAL(dst[(y * AW + x) * AC + k], 2.0f * src[(y * AW + AW - 1 - x) * AC + k]);
  /* Random flips: about half the rows, each either copied or mirrored. */
  netc_augment flip = {.horizontal_flip = 1};
  int flipped = 0;
  for (uint64_t row = 0; row < 200; row++) {
    rt_augment_image(&flip, 11, 0, row, src, AH, AW, AC, dst);
    int same = 1, mirror = 1;
    for (int y = 0; y < AH; y++)
      for (int x = 0; x < AW; x++)
        for (int k = 0; k < AC; k++) {
          same &= dst[(y * AW + x) * AC + k] == src[(y * AW + x) * AC + k];
          mirror &= dst[(y * AW + x) * AC + k] == src[(y * AW + AW - 1 - x) * AC + k];
        }
    CU_ASSERT(same || mirror);
    flipped += mirror;
  }
  CU_ASSERT(flipped > 70 && flipped < 130);
}

static void test_augment_geometry(void) {
  uint8_t src[AH * AW * AC];
  float dst[AH * AW * AC];
  fill_random(src, sizeof src);
  /* +90 degrees: out[r][c] = in[n-1-c][r] (a clockwise turn, numpy's
  ** rot90(img, -1)), up to cos(pi/2)'s rounding. */
  rt_augment_params p = IDENTITY;
  p.angle = 3.14159265358979323846 / 2;
  rt_augment_apply(&p, 1.0f, src, AH, AW, AC, dst);
  double worst = 0;
  for (int r = 0; r < AH; r++)
    for (int c = 0; c < AW; c++)
      for (int k = 0; k < AC; k++)
        worst = fmax(worst, fabs(dst[(r * AW + c) * AC + k] -
                                 src[((AH - 1 - c) * AW + r) * AC + k]));
  CU_ASSERT(worst < 1e-3);
  p.angle = -p.angle; /* and back the other way */
  rt_augment_apply(&p, 1.0f, src, AH, AW, AC, dst);
  worst = 0;
  for (int r = 0; r < AH; r++)
    for (int c = 0; c < AW; c++)
      for (int k = 0; k < AC; k++)
        worst = fmax(worst, fabs(dst[(r * AW + c) * AC + k] - src[(c * AW + AW - 1 - r) * AC + k]));
  CU_ASSERT(worst < 1e-3);
  /* Whole-pixel shifts: exact, edges repeated. */
  p = IDENTITY;
  p.shift_rows = 2;
  p.shift_cols = -3;
  rt_augment_apply(&p, 1.0f, src, AH, AW, AC, dst);
  for (int r = 0; r < AH; r++)
    for (int c = 0; c < AW; c++)
      for (int k = 0; k < AC; k++)
        CU_ASSERT_EQUAL(dst[(r * AW + c) * AC + k],
                        src[(clampi(r + 2, AH) * AW + clampi(c - 3, AW)) * AC + k]);
  /* Zoom 2 (out) about the center 4: output c reads input 2c - 4. */
  p = IDENTITY;
  p.zoom_rows = p.zoom_cols = 2;
  rt_augment_apply(&p, 1.0f, src, AH, AW, AC, dst);
  for (int r = 0; r < AH; r++)
    for (int c = 0; c < AW; c++)
      for (int k = 0; k < AC; k++)
        CU_ASSERT_EQUAL(dst[(r * AW + c) * AC + k],
                        src[(clampi(2 * r - 4, AH) * AW + clampi(2 * c - 4, AW)) * AC + k]);
}

/* Keras's apply_affine_transform written out literally: 3x3 matrices
** rotation . shift . zoom, moved to the center, scipy's order-1 sampling
** with mode "nearest", then flip_axis. */
static void keras_reference(const rt_augment_params *p, const uint8_t *src, int h, int w,
                            int c, double *out) {
  double cs = cos(p->angle), sn = sin(p->angle);
  double R[3][3] = {{cs, -sn, 0}, {sn, cs, 0}, {0, 0, 1}};
  double S[3][3] = {{1, 0, p->shift_rows}, {0, 1, p->shift_cols}, {0, 0, 1}};
  double Z[3][3] = {{p->zoom_rows, 0, 0}, {0, p->zoom_cols, 0}, {0, 0, 1}};
  double o_r = h / 2.0 - 0.5, o_c = w / 2.0 - 0.5;
  double O[3][3] = {{1, 0, o_r}, {0, 1, o_c}, {0, 0, 1}};
  double B[3][3] = {{1, 0, -o_r}, {0, 1, -o_c}, {0, 0, 1}};
  double *chain[5] = {&O[0][0], &R[0][0], &S[0][0], &Z[0][0], &B[0][0]};
  double M[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  for (int m = 0; m < 5; m++) {
    double T[3][3] = {{0}};
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        for (int k = 0; k < 3; k++) T[i][j] += M[i][k] * chain[m][k * 3 + j];
    memcpy(M, T, sizeof M);
  }
  for (int r = 0; r < h; r++)
    for (int col = 0; col < w; col++) {
      int cc = p->flip ? w - 1 - col : col;
      double y = M[0][0] * r + M[0][1] * cc + M[0][2], x = M[1][0] * r + M[1][1] * cc + M[1][2];
      y = fmin(fmax(y, 0), h - 1);
      x = fmin(fmax(x, 0), w - 1);
      int y0 = (int)floor(y), x0 = (int)floor(x);
      int y1 = y0 + 1 < h ? y0 + 1 : y0, x1 = x0 + 1 < w ? x0 + 1 : x0;
      double fy = y - y0, fx = x - x0;
      for (int k = 0; k < c; k++)
        out[(r * w + col) * c + k] =
            (1 - fy) * ((1 - fx) * src[(y0 * w + x0) * c + k] + fx * src[(y0 * w + x1) * c + k]) +
            fy * ((1 - fx) * src[(y1 * w + x0) * c + k] + fx * src[(y1 * w + x1) * c + k]);
    }
}

static void test_augment_random(void) {
  enum { H = 12, W = 10 };
  uint8_t src[H * W * AC];
  float a1[H * W * AC], a2[H * W * AC];
  double ref[H * W * AC];
  fill_random(src, sizeof src);
  netc_augment a = {.horizontal_flip = 1, .rotation_range = 30, .width_shift_range = 0.2,
                    .height_shift_range = 0.1, .zoom_range = 0.25, .rescale = 1.0 / 255.0};
  /* Each draw within its range; the image equals Keras's formula. */
  double worst = 0;
  for (uint64_t row = 0; row < 300; row++) {
    rt_augment_params p;
    rt_augment_draw(&a, 5, 2, row, H, W, &p);
    CU_ASSERT(fabs(p.angle) <= 30 * 3.14159265358979323846 / 180 + 1e-12);
    CU_ASSERT(fabs(p.shift_rows) <= 0.1 * H && fabs(p.shift_cols) <= 0.2 * W);
    CU_ASSERT(p.zoom_rows >= 0.75 && p.zoom_rows <= 1.25);
    CU_ASSERT(p.zoom_cols >= 0.75 && p.zoom_cols <= 1.25);
    if (row >= 20) continue;
    rt_augment_image(&a, 5, 2, row, src, H, W, AC, a1);
    keras_reference(&p, src, H, W, AC, ref);
    for (int i = 0; i < H * W * AC; i++) worst = fmax(worst, fabs(a1[i] - ref[i] / 255.0));
  }
  CU_ASSERT(worst < 1e-4);
  /* The same (seed, epoch, row), the same image; change any, another. */
  rt_augment_image(&a, 5, 2, 9, src, H, W, AC, a1);
  rt_augment_image(&a, 5, 2, 9, src, H, W, AC, a2);
  CU_ASSERT(memcmp(a1, a2, sizeof a1) == 0);
  rt_augment_image(&a, 5, 3, 9, src, H, W, AC, a2);
  CU_ASSERT(memcmp(a1, a2, sizeof a1) != 0);
  rt_augment_image(&a, 5, 2, 10, src, H, W, AC, a2);
  CU_ASSERT(memcmp(a1, a2, sizeof a1) != 0);
  rt_augment_image(&a, 6, 2, 9, src, H, W, AC, a2);
  CU_ASSERT(memcmp(a1, a2, sizeof a1) != 0);
}

static void test_set_augment(void) {
  netc_dataset *d = numbered(4);
  netc_error err = {""};
  netc_augment a = {.rotation_range = 10, .zoom_range = 0.1};
  CU_ASSERT_PTR_NULL(rt_dataset_augment(d, "image"));
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, "image", &a, &err), NETC_OK);
  a.rotation_range = 99; /* the dataset keeps its copy */
  const netc_augment *got = rt_dataset_augment(d, "image");
  CU_ASSERT(got && got->rotation_range == 10 && got->zoom_range == 0.1);
  CU_ASSERT_PTR_NULL(rt_dataset_augment(d, "id"));
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, "id", &a, &err), NETC_EDTYPE);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "u8 images"));
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, "nope", &a, &err), NETC_ENOTFOUND);
  a.zoom_range = 1.0;
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, "image", &a, &err), NETC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "zoom_range"));
  a.zoom_range = 0;
  a.width_shift_range = -0.1;
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, "image", &a, &err), NETC_EINVAL);
  a.width_shift_range = NAN;
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, "image", &a, &err), NETC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(rt_dataset_augment(d, "image")); /* failures keep the old one */
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, NULL, NULL, &err), NETC_OK);
  CU_ASSERT_PTR_NULL(rt_dataset_augment(d, "image"));
  netc_dataset_destroy(d);
}

static const test_case TESTS[] = {
    {"decode_png_layouts", test_decode_png_layouts},
    {"decode_jpeg", test_decode_jpeg},
    {"decode_errors", test_decode_errors},
    {"resize", test_resize},
    {"load_skip", test_load_skip},
    {"load_fail", test_load_fail},
    {"load_errors", test_load_errors},
    {"split", test_split},
    {"u8_to_f32", test_u8_to_f32},
    {"augment_identity_and_flip", test_augment_identity_and_flip},
    {"augment_geometry", test_augment_geometry},
    {"augment_random", test_augment_random},
    {"set_augment", test_set_augment},
    {0},
};

#include "tests/unit/cunit_main.h"
