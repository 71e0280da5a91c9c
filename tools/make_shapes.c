/*
** make_shapes.c: writes a two-class image folder of procedurally drawn
** shapes, OUTDIR/circle/ and OUTDIR/square/, for trying and testing the
** image-folder workflow (netc train --data OUTDIR) without any download.
** Each image is one filled shape of random colour, size and position on a
** random background colour, with a little pixel noise; images alternate
** between PNG (libpng) and JPEG (libjpeg) so both decoders are exercised.
** Everything follows from --seed: the same arguments give the same files.
**
**   usage: make_shapes [--count N] [--size S] [--seed K] OUTDIR
*/
#define _POSIX_C_SOURCE 200809L /* mkdir */

#include <errno.h>
#include <stdint.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE and size_t */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <png.h>

enum { JPEG_QUALITY = 92, NOISE = 12 };

static const char *const class_names[2] = {"circle", "square"};

/* splitmix64: a small, seedable generator with good statistics. */
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int random_int(uint64_t *state, int lo, int hi) {
  return lo + (int)(next_random(state) % (uint64_t)(hi - lo + 1));
}

/* A colour far enough from `avoid` (sum of channel differences) that the
** shape stands out from its background. */
static void random_colour(uint64_t *state, const uint8_t *avoid, uint8_t *rgb) {
  for (;;) {
    int distance = 0;
    for (int k = 0; k < 3; k++) {
      rgb[k] = (uint8_t)random_int(state, 0, 255);
      if (avoid) distance += abs((int)rgb[k] - (int)avoid[k]);
    }
    if (!avoid || distance >= 200) return;
  }
}

/* Draws one image of class `shape` (0 circle, 1 square) into rgb. */
static void draw(uint64_t *state, int shape, int size, uint8_t *rgb) {
  uint8_t background[3], ink[3];
  random_colour(state, NULL, background);
  random_colour(state, background, ink);
  int half = random_int(state, size / 8, size * 3 / 8); /* radius or half side */
  int cy = random_int(state, half, size - 1 - half);
  int cx = random_int(state, half, size - 1 - half);
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++) {
      int dy = y - cy, dx = x - cx;
      int inside = shape == 0 ? dy * dy + dx * dx <= half * half
                              : abs(dy) <= half && abs(dx) <= half;
      const uint8_t *c = inside ? ink : background;
      for (int k = 0; k < 3; k++) {
        int v = c[k] + random_int(state, -NOISE, NOISE);
        rgb[(y * size + x) * 3 + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
      }
    }
}

static int write_png(const char *path, const uint8_t *rgb, int size) {
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = (png_uint_32)size;
  image.height = (png_uint_32)size;
  image.format = PNG_FORMAT_RGB;
  if (png_image_write_to_file(&image, path, 0, rgb, 0, NULL)) return 0;
  fprintf(stderr, "make_shapes: cannot write %s: %s\n", path, image.message);
  png_image_free(&image);
  return -1;
}

static int write_jpeg(const char *path, const uint8_t *rgb, int size) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "make_shapes: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  c.err = jpeg_std_error(&err); /* errors here are out of memory: exit is fine */
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = (JDIMENSION)size;
  c.image_height = (JDIMENSION)size;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, JPEG_QUALITY, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * (size_t)size * 3);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  if (fclose(f) != 0) {
    fprintf(stderr, "make_shapes: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

static int make_folder(const char *path) {
  if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
  fprintf(stderr, "make_shapes: cannot create %s: %s\n", path, strerror(errno));
  return -1;
}

static int usage(void) {
  fprintf(stderr, "usage: make_shapes [--count N] [--size S] [--seed K] OUTDIR\n"
                  "writes N images (default 40) of S x S pixels (default 64, "
                  "at least 16) per class\nto OUTDIR/circle/ and OUTDIR/square/\n");
  return 2;
}

/* The value after option argv[*i] as a whole number in [lo, hi], or -1. */
static long long number_arg(int argc, char **argv, int *i, long long lo, long long hi) {
  if (++*i >= argc) return -1;
  char *end = NULL;
  long long v = strtoll(argv[*i], &end, 10);
  return end != argv[*i] && *end == '\0' && v >= lo && v <= hi ? v : -1;
}

int main(int argc, char **argv) {
  long long count = 40, size = 64, seed = 1;
  const char *out = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--count") == 0) {
      if ((count = number_arg(argc, argv, &i, 1, 1000000)) < 0) return usage();
    } else if (strcmp(argv[i], "--size") == 0) {
      if ((size = number_arg(argc, argv, &i, 16, 4096)) < 0) return usage();
    } else if (strcmp(argv[i], "--seed") == 0) {
      if ((seed = number_arg(argc, argv, &i, 0, INT64_MAX)) < 0) return usage();
    } else if (argv[i][0] == '-' || out) {
      return usage();
    } else {
      out = argv[i];
    }
  }
  if (!out) return usage();
  uint8_t *rgb = malloc((size_t)size * (size_t)size * 3);
  size_t path_size = strlen(out) + 64;
  char *path = malloc(path_size);
  int failed = !rgb || !path || make_folder(out) != 0;
  if (!rgb || !path) fprintf(stderr, "make_shapes: out of memory\n");
  uint64_t state = (uint64_t)seed;
  for (int shape = 0; shape < 2 && !failed; shape++) {
    snprintf(path, path_size, "%s/%s", out, class_names[shape]);
    failed = make_folder(path) != 0;
    for (long long i = 0; i < count && !failed; i++) {
      int png = i % 2 == 0;
      snprintf(path, path_size, "%s/%s/%04lld.%s", out, class_names[shape], i,
               png ? "png" : "jpg");
      draw(&state, shape, (int)size, rgb);
      failed = png ? write_png(path, rgb, (int)size) : write_jpeg(path, rgb, (int)size);
    }
  }
  if (!failed)
    printf("wrote %lld %s and %lld %s images of %lldx%lld to %s\n", count,
           class_names[0], count, class_names[1], size, size, out);
  free(path);
  free(rgb);
  return failed ? 1 : 0;
}
