/*
** png_grid.c: the PNG grids of `netc samples` and `netc predict`. Cells are
** laid out row-major on a dark background, each an image scaled up by pixel
** replication with its number or caption underneath in a hand-made 3x5
** font (digits, letters shown in capitals, a little punctuation). The file
** is written with libpng's simplified API, which reports errors in a string
** instead of printing them or jumping out of the caller.
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

/* The glyphs of `glyph_chars`, one row of three bits per line, the top bit
** leftmost; anything else is drawn as the last one, '?'. */
static const char glyph_chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .-_/:%()?";
static const unsigned char font[][FONT_H] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7},
    {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1},
    {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
    {2, 5, 7, 5, 5}, {6, 5, 6, 5, 6}, {3, 4, 4, 4, 3}, {6, 5, 5, 5, 6}, /* A-D */
    {7, 4, 6, 4, 7}, {7, 4, 6, 4, 4}, {3, 4, 5, 5, 3}, {5, 5, 7, 5, 5}, /* E-H */
    {7, 2, 2, 2, 7}, {1, 1, 1, 5, 2}, {5, 5, 6, 5, 5}, {4, 4, 4, 4, 7}, /* I-L */
    {5, 7, 7, 5, 5}, {6, 5, 5, 5, 5}, {2, 5, 5, 5, 2}, {6, 5, 6, 4, 4}, /* M-P */
    {2, 5, 5, 6, 3}, {6, 5, 6, 5, 5}, {3, 4, 2, 1, 6}, {7, 2, 2, 2, 2}, /* Q-T */
    {5, 5, 5, 5, 7}, {5, 5, 5, 5, 2}, {5, 5, 7, 7, 5}, {5, 5, 2, 5, 5}, /* U-X */
    {5, 5, 2, 2, 2}, {7, 1, 2, 4, 7},                                   /* Y-Z */
    {0, 0, 0, 0, 0}, {0, 0, 0, 0, 2}, {0, 0, 7, 0, 0}, {0, 0, 0, 0, 7}, /* space . - _ */
    {1, 1, 2, 4, 4}, {0, 2, 0, 2, 0}, {5, 1, 2, 4, 5}, {1, 2, 2, 2, 1}, /* / : % ( */
    {4, 2, 2, 2, 4}, {7, 1, 2, 0, 2},                                   /* ) ? */
};

static const unsigned char *glyph(char c) {
  if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
  const char *at = c ? strchr(glyph_chars, c) : NULL;
  return font[at ? at - glyph_chars : (int)sizeof glyph_chars - 2];
}

struct image_grid {
  int height, width, scale;     /* of one image, and its magnification */
  int channels;                 /* 1 (gray) or 3 (RGB) bytes per pixel */
  int cell_w, cell_h;           /* a cell: the scaled image and its label */
  int canvas_w, canvas_h;       /* the whole picture */
  unsigned char *pixels;        /* canvas_h rows of canvas_w pixels */
};

/* A grid whose cells are at least `label_w` pixels wide, for captions. */
static image_grid *create(int columns, int rows, int height, int width,
                          int scale, int channels, int label_w) {
  if (columns < 1 || rows < 1 || height < 1 || width < 1 || scale < 1)
    return NULL;
  image_grid *g = malloc(sizeof *g);
  if (!g) return NULL;
  g->height = height;
  g->width = width;
  g->scale = scale;
  g->channels = channels;
  g->cell_w = width * scale > label_w ? width * scale : label_w;
  g->cell_h = height * scale + LABEL_GAP + FONT_H * FONT_SCALE;
  g->canvas_w = PAD + columns * (g->cell_w + PAD);
  g->canvas_h = PAD + rows * (g->cell_h + PAD);
  size_t bytes = (size_t)g->canvas_w * (size_t)g->canvas_h * (size_t)channels;
  g->pixels = malloc(bytes);
  if (!g->pixels) {
    free(g);
    return NULL;
  }
  memset(g->pixels, BACKGROUND, bytes);
  return g;
}

image_grid *image_grid_create(int columns, int rows, int height, int width,
                              int scale) {
  return create(columns, rows, height, width, scale, 1, 0);
}

image_grid *image_grid_create_rgb(int columns, int rows, int height,
                                  int width, int scale, int label_chars) {
  int label_w = label_chars * (FONT_W + 1) * FONT_SCALE - FONT_SCALE;
  return create(columns, rows, height, width, scale, 3, label_w);
}

void image_grid_destroy(image_grid *g) {
  if (!g) return;
  free(g->pixels);
  free(g);
}

/* Fills a w x h block at (x, y), clipped to the canvas, with the colour
** `value` (one byte per channel). */
static void fill(image_grid *g, int x, int y, int w, int h,
                 const unsigned char *value) {
  for (int row = y; row < y + h && row < g->canvas_h; row++)
    for (int col = x; col < x + w && col < g->canvas_w; col++)
      memcpy(g->pixels + ((size_t)row * (size_t)g->canvas_w + (size_t)col) *
                             (size_t)g->channels,
             value, (size_t)g->channels);
}

/* Draws `text` centred in the `width` pixels starting at x; text wider
** than that is clipped on the right. */
static void draw_text(image_grid *g, int x, int y, int width,
                      const char *text) {
  static const unsigned char ink[3] = {INK, INK, INK};
  int n = (int)strlen(text);
  int advance = (FONT_W + 1) * FONT_SCALE;
  int text_w = n * advance - FONT_SCALE;
  int left = x + (width > text_w ? (width - text_w) / 2 : 0);
  for (int i = 0; i < n; i++) {
    const unsigned char *rows = glyph(text[i]);
    for (int r = 0; r < FONT_H; r++)
      for (int c = 0; c < FONT_W; c++)
        if (rows[r] & (4 >> c) && left + (c + 1) * FONT_SCALE <= x + width)
          fill(g, left + c * FONT_SCALE, y + r * FONT_SCALE, FONT_SCALE,
               FONT_SCALE, ink);
    left += advance;
  }
}

/* The top-left corner of cell `index`'s image. */
static void cell_origin(const image_grid *g, int index, int *x0, int *y0) {
  int columns = (g->canvas_w - PAD) / (g->cell_w + PAD);
  *x0 = PAD + index % columns * (g->cell_w + PAD);
  *y0 = PAD + index / columns * (g->cell_h + PAD);
}

static unsigned char to_byte(float v) {
  v = v < 0 ? 0 : v > 1 ? 1 : v;
  return (unsigned char)(v * 255.0f + 0.5f);
}

/* Draws the image (`channels` values per pixel in [0, 1]; gray is shown
** as gray on an RGB grid) and its caption. */
static void put(image_grid *g, int index, const float *pixels, int channels,
                const char *caption) {
  int x0, y0;
  cell_origin(g, index, &x0, &y0);
  int left = x0 + (g->cell_w - g->width * g->scale) / 2;
  for (int r = 0; r < g->height; r++)
    for (int c = 0; c < g->width; c++) {
      const float *p = pixels + (r * g->width + c) * channels;
      unsigned char value[3];
      for (int k = 0; k < g->channels; k++) value[k] = to_byte(p[k % channels]);
      fill(g, left + c * g->scale, y0 + r * g->scale, g->scale, g->scale,
           value);
    }
  draw_text(g, x0, y0 + g->height * g->scale + LABEL_GAP, g->cell_w, caption);
}

void image_grid_put(image_grid *g, int index, const float *pixels,
                    int number) {
  char digits[16];
  snprintf(digits, sizeof digits, "%d", number < 0 ? 0 : number);
  put(g, index, pixels, 1, digits);
}

void image_grid_put_rgb(image_grid *g, int index, const float *pixels,
                        int channels, const char *caption) {
  put(g, index, pixels, channels == 3 ? 3 : 1, caption ? caption : "");
}

int image_grid_write(const image_grid *g, const char *path, char *error,
                     size_t size) {
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = (png_uint_32)g->canvas_w;
  image.height = (png_uint_32)g->canvas_h;
  image.format = g->channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  if (png_image_write_to_file(&image, path, 0, g->pixels,
                              g->canvas_w * g->channels, NULL))
    return 0;
  snprintf(error, size, "%s", image.message);
  png_image_free(&image);
  return -1;
}
