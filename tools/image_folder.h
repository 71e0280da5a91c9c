/*
** image_folder.h: the image-folder side of the netc command line: telling
** an image folder (DIR/<class>/NAME.jpg or .png) from IDX files, loading it
** for a model with the augmentation options of `netc train`, the class
** names a trained model keeps, and the PNG grids of `netc samples` and
** `netc predict --grid`. Every function prints its own `netc: ...` error.
*/
#ifndef NETC_TOOLS_IMAGE_FOLDER_H
#define NETC_TOOLS_IMAGE_FOLDER_H

#include <stdint.h>

#include "netc.h"

/* The image-folder options of the command line (filled by netc.c's option
** table); zero means the default. */
typedef struct image_options {
  netc_augment augment; /* --flip, --rotation, --zoom, --rescale */
  double shift;         /* --shift: width and height shift range */
  int skip_bad;         /* --skip-bad: leave unreadable images out */
  int64_t size;         /* --size N: samples resized to N x N (64) */
  const char *grid;     /* --grid OUT.png (predict) */
} image_options;

/* Whether `dir` is an image folder: a folder without the IDX training
** files that has at least one subfolder. */
int is_image_folder(const char *dir);

/* The height and width of the model's input 'image', which must be
** f32[batch,H,W,3]; -1 (after printing why) otherwise. */
int model_image_size(const netc_model *model, int *height, int *width);

/* Loads `dir` resized to height x width (the first `limit` files of each
** class, 0: all), failing on an unreadable image unless --skip-bad (then
** each skipped file is reported). With `validation` > 0 that fraction of
** the images (a seeded split, the same every run) goes to
** *validation_out. Both parts feed their 0..255 pixels times `scale`; the
** augmentation goes on the training part only. NULL after printing why. */
netc_dataset *load_image_folder(const char *dir, int height, int width,
                                int64_t limit, double validation, double scale,
                                const image_options *o,
                                netc_dataset **validation_out);

/* The factor the model's 0..255 pixels are multiplied by, the one place
** train and predict take it from: --rescale when given, else the one the
** session was trained with (saved with its classes), else what the model
** expects (netc_model_pixel_scale: 1 when its input 'image' goes into
** caffe_preprocess, else 1/255). */
double image_pixel_scale(const netc_model *model, const netc_session *s,
                         const image_options *o);

/* Stores the dataset's class names and the pixel scale in the session,
** which keeps them in its file; a session that has classes already
** (resumed training) must have the same names. 0, or 1 after printing. */
int remember_classes(netc_session *s, const netc_dataset *d, double scale);

/* Writes `count` training images of `dir` spread over its classes, as
** epoch 1 of training with `seed` sees them (augmented), to a PNG grid
** with their class names, and lists them. The exit status. */
int write_folder_samples(const char *dir, const image_options *o, int64_t count,
                         uint64_t seed, const char *path);

/* The images (f32 [N,H,W,C] in [0, 1], as netc_dataset_load_image_files
** gives them) as the model takes them: each 0..255 pixel times `scale`
** (image_pixel_scale), in a new dataset. NULL after printing why. */
netc_dataset *scaled_images(const netc_dataset *images, double scale);

/* Writes the images (f32 [N,H,W,C] in [0, 1]) to a PNG grid, each with
** the name of its most likely class (names[k], or the number when k >=
** n_names) and that probability; probs holds `classes` per image. */
int write_prediction_grid(const char *path, const netc_dataset *images,
                          const float *probs, int classes,
                          const char *const *names, int n_names);

#endif /* NETC_TOOLS_IMAGE_FOLDER_H */
