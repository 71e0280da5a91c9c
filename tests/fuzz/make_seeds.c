/*
** make_seeds.c: writes small valid images and IDX files into a folder, the
** seeds of the image and IDX fuzz targets (tests/fuzz/seeds.sh):
**   png-*.png  one per PNG color type and depth, one interlaced;
**   jpeg-*.jpg gray, RGB, CMYK and progressive JPEGs;
**   idx-*      image and label files in the layout fuzz_idx.c reads.
** Usage: make_seeds DIR_FOR_IMAGES DIR_FOR_IDX
*/
#include <stddef.h>
#include <stdio.h>

#include <jpeglib.h> /* after stdio.h: it uses FILE and size_t */
#include <png.h>

enum { W = 5, H = 4 };

static FILE *open_in(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) perror(path);
  return f;
}

/* A pattern with some variety, so that the decoders do real work. */
static unsigned char sample(int x, int y, int c) {
  return (unsigned char)(x * 51 + y * 63 + c * 97);
}

static int write_png(const char *dir, const char *name, int color, int depth,
                     int interlace) {
  FILE *f = open_in(dir, name);
  if (!f) return 1;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    fclose(f);
    return 1;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, W, H, depth, color, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (color == PNG_COLOR_TYPE_PALETTE) {
    png_color palette[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
    png_set_PLTE(png, info, palette, 4);
  }
  png_write_info(png, info);
  int channels = png_get_channels(png, info), bytes = depth == 16 ? 2 : 1;
  unsigned char row[W * 4 * 2];
  int passes = png_set_interlace_handling(png);
  for (int pass = 0; pass < passes; pass++)
    for (int y = 0; y < H; y++) {
      for (int i = 0; i < W * channels * bytes; i++)
        row[i] = color == PNG_COLOR_TYPE_PALETTE ? (unsigned char)((i + y) % 4)
                                                  : sample(i, y, pass);
      png_write_row(png, row);
    }
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return fclose(f) != 0;
}

static int write_jpeg(const char *dir, const char *name, int components,
                      J_COLOR_SPACE space, int progressive) {
  FILE *f = open_in(dir, name);
  if (!f) return 1;
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = W;
  c.image_height = H;
  c.input_components = components;
  c.in_color_space = space;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 90, TRUE);
  if (progressive) jpeg_simple_progression(&c);
  jpeg_start_compress(&c, TRUE);
  unsigned char row[W * 4];
  for (int y = 0; y < H; y++) {
    for (int i = 0; i < W * components; i++) row[i] = sample(i, y, 0);
    JSAMPROW rows[1] = {row};
    jpeg_write_scanlines(&c, rows, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  return fclose(f) != 0;
}

/* An IDX seed: u16 length of the image file, the image file (n records of
** rows x cols), then the label file. */
static int write_idx(const char *dir, const char *name, int n, int rows, int cols) {
  FILE *f = open_in(dir, name);
  if (!f) return 1;
  int image_bytes = 16 + n * rows * cols;
  unsigned char head[16] = {0, 0, 8, 3};
  int dims[3] = {n, rows, cols};
  for (int i = 0; i < 3; i++)
    for (int b = 0; b < 4; b++) head[4 + 4 * i + b] = (unsigned char)(dims[i] >> (24 - 8 * b));
  fputc(image_bytes & 0xff, f);
  fputc(image_bytes >> 8, f);
  fwrite(head, 1, sizeof head, f);
  for (int i = 0; i < n * rows * cols; i++) fputc(sample(i, 0, 0), f);
  unsigned char label_head[8] = {0, 0, 8, 1, 0, 0, 0, (unsigned char)n};
  fwrite(label_head, 1, sizeof label_head, f);
  for (int i = 0; i < n; i++) fputc(i % 10, f);
  return fclose(f) != 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: make_seeds DIR_FOR_IMAGES DIR_FOR_IDX\n");
    return 2;
  }
  const char *img = argv[1], *idx = argv[2];
  int failed = write_png(img, "png-gray8.png", PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE) |
               write_png(img, "png-gray1.png", PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE) |
               write_png(img, "png-gray16.png", PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_NONE) |
               write_png(img, "png-gray-alpha.png", PNG_COLOR_TYPE_GRAY_ALPHA, 8,
                         PNG_INTERLACE_NONE) |
               write_png(img, "png-rgb8.png", PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE) |
               write_png(img, "png-rgba16.png", PNG_COLOR_TYPE_RGB_ALPHA, 16,
                         PNG_INTERLACE_NONE) |
               write_png(img, "png-palette.png", PNG_COLOR_TYPE_PALETTE, 2, PNG_INTERLACE_NONE) |
               write_png(img, "png-interlaced.png", PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7) |
               write_jpeg(img, "jpeg-gray.jpg", 1, JCS_GRAYSCALE, 0) |
               write_jpeg(img, "jpeg-rgb.jpg", 3, JCS_RGB, 0) |
               write_jpeg(img, "jpeg-cmyk.jpg", 4, JCS_CMYK, 0) |
               write_jpeg(img, "jpeg-progressive.jpg", 3, JCS_RGB, 1) |
               write_idx(idx, "idx-3x4x5", 3, 4, 5) | write_idx(idx, "idx-1x1x1", 1, 1, 1) |
               write_idx(idx, "idx-10x28x28", 10, 28, 28);
  return failed;
}
