/*
** png_grid.h: a grid of small images, each scaled up and with a number or
** a caption drawn under it in a 3x5 pixel font, written as one PNG with
** libpng: grayscale images with numbers (`netc samples` on IDX files), or
** RGB images with captions (image folders, `netc predict --grid`). It
** never prints.
*/
#ifndef NETC_TOOLS_PNG_GRID_H
#define NETC_TOOLS_PNG_GRID_H

#include <stddef.h>

/* The picture being assembled, in memory until image_grid_write. */
typedef struct image_grid image_grid;

/* A grid of `columns` x `rows` cells for images of `height` x `width`
** pixels, each drawn `scale` times larger. NULL when out of memory or when
** a size is not positive. */
image_grid *image_grid_create(int columns, int rows, int height, int width,
                              int scale);
void image_grid_destroy(image_grid *grid);

/* The same for RGB images with captions of up to `label_chars` characters
** (cells are widened to fit them; longer captions are cut). */
image_grid *image_grid_create_rgb(int columns, int rows, int height,
                                  int width, int scale, int label_chars);

/* Draws cell `index` (row-major) of a grayscale grid: `pixels` holds
** height*width values in [0, 1] (0 is black), and `number` (>= 0) is drawn
** under the image. */
void image_grid_put(image_grid *grid, int index, const float *pixels,
                    int number);

/* Draws cell `index` of an RGB grid: `pixels` holds height*width*channels
** values in [0, 1] (channels 1 or 3), `caption` is drawn under it (letters
** in capitals). */
void image_grid_put_rgb(image_grid *grid, int index, const float *pixels,
                        int channels, const char *caption);

/* Writes the grid as an 8-bit grayscale or RGB PNG. Returns 0, or -1 with libpng's
** reason in `error` (`size` bytes). */
int image_grid_write(const image_grid *grid, const char *path, char *error,
                     size_t size);

#endif /* NETC_TOOLS_PNG_GRID_H */
