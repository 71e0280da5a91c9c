/*
** png_grid.c: the PNG grid of `netc samples`. Cells are laid out row-major
** on a dark background, each an image scaled up by pixel replication with
** its number underneath in a hand-made 3x5 digit font. The file is written
** with libpng's simplified API, which reports errors in a string instead of
** printing them or jumping out of the caller.
*/
#include "png_grid.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  PAD = 4,           /* pixels around and between cells */
  FONT_W = 3,        /* glyph width in font pixels */
  FONT_H = 5,        /* glyph height in font pixels */
  FONT_SCALE = 2,    /* screen pixels per font pixel */
  LABEL_GAP = 3,     /* pixels between an image and its number */
  BACKGROUND = 48,   /* dark gray, so black image borders stay visible */
  INK = 255          /* the numbers, in white */
};

/* The digits 0-9, one row of three bits per line, the top bit leftmost. */
static const unsigned char font[10][FONT_H] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7},
    {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1},
    {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
};

struct image_grid {
  int height, width, scale;     /* of one image, and its magnification */
  int cell_w, cell_h;           /* a cell: the scaled image and its label */
  int canvas_w, canvas_h;       /* the whole picture */
  unsigned char *pixels;        /* canvas_h rows of canvas_w gray bytes */
};

image_grid *image_grid_create(int columns, int rows, int height, int width,
                              int scale) {
  if (columns < 1 || rows < 1 || height < 1 || width < 1 || scale < 1)
    return NULL;
  image_grid *g = malloc(sizeof *g);
  if (!g) return NULL;
  g->height = height;
  g->width = width;
  g->scale = scale;
  g->cell_w = width * scale;
  g->cell_h = height * scale + LABEL_GAP + FONT_H * FONT_SCALE;
  g->canvas_w = PAD + columns * (g->cell_w + PAD);
  g->canvas_h = PAD + rows * (g->cell_h + PAD);
  g->pixels = malloc((size_t)g->canvas_w * (size_t)g->canvas_h);
  if (!g->pixels) {
    free(g);
    return NULL;
  }
  memset(g->pixels, BACKGROUND, (size_t)g->canvas_w * (size_t)g->canvas_h);
  return g;
}

void image_grid_destroy(image_grid *g) {
  if (!g) return;
  free(g->pixels);
  free(g);
}

/* Fills a w x h block at (x, y), clipped to the canvas. */
static void fill(image_grid *g, int x, int y, int w, int h,
                 unsigned char value) {
  for (int row = y; row < y + h && row < g->canvas_h; row++)
    for (int col = x; col < x + w && col < g->canvas_w; col++)
      g->pixels[(size_t)row * (size_t)g->canvas_w + (size_t)col] = value;
}

/* Draws `number` centred in the `width` pixels starting at x; a number
** wider than that is clipped on the right. */
static void draw_number(image_grid *g, int x, int y, int width, int number) {
  char digits[16];
  int n = snprintf(digits, sizeof digits, "%d", number);
  int advance = (FONT_W + 1) * FONT_SCALE;
  int text_w = n * advance - FONT_SCALE;
  int left = x + (width > text_w ? (width - text_w) / 2 : 0);
  for (int i = 0; i < n; i++) {
    const unsigned char *glyph = font[digits[i] - '0'];
    for (int r = 0; r < FONT_H; r++)
      for (int c = 0; c < FONT_W; c++)
        if (glyph[r] & (4 >> c) && c * FONT_SCALE < x + width - left)
          fill(g, left + c * FONT_SCALE, y + r * FONT_SCALE, FONT_SCALE,
               FONT_SCALE, INK);
    left += advance;
  }
}

void image_grid_put(image_grid *g, int index, const float *pixels,
                    int number) {
  int columns = (g->canvas_w - PAD) / (g->cell_w + PAD);
  int x0 = PAD + index % columns * (g->cell_w + PAD);
  int y0 = PAD + index / columns * (g->cell_h + PAD);
  for (int r = 0; r < g->height; r++)
    for (int c = 0; c < g->width; c++) {
      float v = pixels[r * g->width + c];
      v = v < 0 ? 0 : v > 1 ? 1 : v;
      fill(g, x0 + c * g->scale, y0 + r * g->scale, g->scale, g->scale,
           (unsigned char)(v * 255.0f + 0.5f));
    }
  draw_number(g, x0, y0 + g->height * g->scale + LABEL_GAP, g->cell_w,
              number < 0 ? 0 : number);
}

int image_grid_write(const image_grid *g, const char *path, char *error,
                     size_t size) {
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = (png_uint_32)g->canvas_w;
  image.height = (png_uint_32)g->canvas_h;
  image.format = PNG_FORMAT_GRAY;
  if (png_image_write_to_file(&image, path, 0, g->pixels, g->canvas_w,
                              NULL))
    return 0;
  snprintf(error, size, "%s", image.message);
  png_image_free(&image);
  return -1;
}
