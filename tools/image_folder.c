/*
** image_folder.c: image folders on the command line (see image_folder.h).
** The library does the loading, splitting and augmenting; this decides
** the options, reports what was skipped and draws the grids.
*/
#define _POSIX_C_SOURCE 200809L /* opendir, stat */

#include "image_folder.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "png_grid.h"

enum {
  PATH_MAX_BYTES = 4096,
  SAMPLES_SIDE = 64,    /* default --size of samples */
  GRID_COLUMNS = 8,     /* images per row of a grid */
  SMALL_SIDE = 64,      /* images below this are shown twice their size */
  CAPTION_CHARS = 16    /* "square 0.97" and longer names, cut there */
};

/* Whether `path` exists as a regular file. */
static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int is_image_folder(const char *dir) {
  char path[PATH_MAX_BYTES];
  snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", dir);
  int idx = is_file(path);
  snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
  idx |= is_file(path);
  DIR *d = idx ? NULL : opendir(dir);
  int found = 0;
  for (struct dirent *e; d && !found && (e = readdir(d));) {
    struct stat st;
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    found = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
  }
  if (d) closedir(d);
  return found;
}

int model_image_size(const netc_model *model, int *height, int *width) {
  netc_tensor type;
  if (netc_model_input(model, "image", &type) != NETC_OK || type.dtype != NETC_F32 ||
      type.rank != 4 || type.dims[1] < 1 || type.dims[2] < 1 || type.dims[3] != 3) {
    fprintf(stderr, "netc: an image folder feeds RGB images: the model needs an input "
                    "'image' f32[batch,H,W,3] (and 'label' i32[batch] to train)\n");
    return -1;
  }
  *height = (int)type.dims[1];
  *width = (int)type.dims[2];
  return 0;
}

double image_pixel_scale(const netc_model *model, const netc_session *s,
                         const image_options *o) {
  if (o->augment.rescale > 0) return o->augment.rescale;
  if (netc_session_class_count(s) > 0) return netc_session_pixel_scale(s);
  double scale = 1.0 / 255.0; /* no input 'image': the loaders' [0, 1] */
  netc_model_pixel_scale(model, "image", &scale);
  return scale;
}

/* Whether the loader's message names an image file ("DIR/c/x.jpg: why"):
** then --skip-bad would have left it out. */
static int names_a_file(const char *message) {
  char path[PATH_MAX_BYTES];
  const char *colon = strstr(message, ": ");
  size_t n = colon ? (size_t)(colon - message) : 0;
  if (!n || n >= sizeof path) return 0;
  memcpy(path, message, n);
  path[n] = '\0';
  return is_file(path);
}

/* Prints the files the loader left out (the first few, then a count). */
static void report_skipped(const netc_image_report *r) {
  for (int i = 0; i < r->listed; i++)
    fprintf(stderr, "netc: skipped %s: %s\n", r->files[i].path, r->files[i].reason);
  if (r->skipped > r->listed)
    fprintf(stderr, "netc: skipped %lld more unreadable images\n",
            (long long)(r->skipped - r->listed));
}

/* Splits `*d` into training and validation parts (seed 0: every run, and
** a resumed one, validates on the same images); *d becomes the training
** part. 0, or -1 after printing. */
static int split(netc_dataset **d, double fraction, netc_dataset **validation) {
  netc_error error = {""};
  netc_dataset *train = NULL;
  netc_status st = netc_dataset_split(*d, fraction, 0, &train, validation, &error);
  if (st != NETC_OK) {
    fprintf(stderr, "netc: %s\n", error.message[0] ? error.message : netc_strerror(st));
    return -1;
  }
  int64_t rows = netc_dataset_rows(*d);
  netc_dataset_destroy(*d);
  *d = train;
  if (netc_dataset_rows(*validation) >= 1 && netc_dataset_rows(train) >= 1) return 0;
  fprintf(stderr, "netc: --validation-split %g of %lld images leaves no validation or "
                  "no training images\n", fraction, (long long)rows);
  return -1;
}

netc_dataset *load_image_folder(const char *dir, int height, int width, int64_t limit,
                                double validation, double scale, const image_options *o,
                                netc_dataset **validation_out) {
  netc_image_options io = {NULL, NULL, height, width,
                           o->skip_bad ? NETC_ON_ERROR_SKIP : NETC_ON_ERROR_FAIL, limit, 0};
  netc_image_report report;
  netc_error error = {""};
  netc_dataset *d = NULL;
  netc_status st = netc_dataset_load_images(dir, &io, &d, &report, &error);
  report_skipped(&report);
  if (st != NETC_OK) {
    fprintf(stderr, "netc: %s\n", error.message[0] ? error.message : netc_strerror(st));
    if (!o->skip_bad && names_a_file(error.message))
      fprintf(stderr, "hint: --skip-bad leaves unreadable images out\n");
    return NULL;
  }
  *validation_out = NULL;
  if (validation > 0 && split(&d, validation, validation_out) != 0) {
    netc_dataset_destroy(*validation_out);
    netc_dataset_destroy(d);
    *validation_out = NULL;
    return NULL;
  }
  netc_augment augment = o->augment, rescale_only = {0};
  augment.rescale = rescale_only.rescale = scale;
  if (o->shift > 0) augment.width_shift_range = augment.height_shift_range = o->shift;
  st = netc_dataset_set_augment(d, "image", &augment, &error);
  if (st == NETC_OK && *validation_out)
    st = netc_dataset_set_augment(*validation_out, "image", &rescale_only, &error);
  if (st != NETC_OK) {
    fprintf(stderr, "netc: %s\n", error.message[0] ? error.message : netc_strerror(st));
    netc_dataset_destroy(*validation_out);
    netc_dataset_destroy(d);
    *validation_out = NULL;
    return NULL;
  }
  return d;
}

int remember_classes(netc_session *s, const netc_dataset *d, double scale) {
  int n = netc_dataset_class_count(d), have = netc_session_class_count(s);
  int same = have == n;
  for (int i = 0; same && i < n; i++)
    same = strcmp(netc_session_class_name(s, i), netc_dataset_class_name(d, i)) == 0;
  if (have && !same) {
    fprintf(stderr, "netc: the model was trained on the classes");
    for (int i = 0; i < have; i++) fprintf(stderr, " %s", netc_session_class_name(s, i));
    fprintf(stderr, ", the folder has");
    for (int i = 0; i < n; i++) fprintf(stderr, " %s", netc_dataset_class_name(d, i));
    fputc('\n', stderr);
    return 1;
  }
  if (have && netc_session_pixel_scale(s) != scale) {
    fprintf(stderr, "netc: the model was trained with --rescale %g, not %g\n",
            netc_session_pixel_scale(s), scale);
    return 1;
  }
  const char **names = malloc((size_t)(n ? n : 1) * sizeof *names);
  netc_status st = names ? NETC_OK : NETC_ENOMEM;
  for (int i = 0; names && i < n; i++) names[i] = netc_dataset_class_name(d, i);
  if (st == NETC_OK) st = netc_session_set_classes(s, names, n, scale);
  free(names);
  if (st == NETC_OK) return 0;
  fprintf(stderr, "netc: %s\n", netc_session_error(s));
  return 1;
}

/* A grid for n images of side h x w with captions; NULL after printing. */
static image_grid *new_grid(int n, int h, int w) {
  int columns = n < GRID_COLUMNS ? n : GRID_COLUMNS;
  image_grid *grid = image_grid_create_rgb(columns, (n + columns - 1) / columns, h, w,
                                           h < SMALL_SIDE ? 2 : 1, CAPTION_CHARS);
  if (!grid) fprintf(stderr, "netc: out of memory for a grid of %d images\n", n);
  return grid;
}

static int write_grid(image_grid *grid, const char *path) {
  char why[256] = "";
  int failed = image_grid_write(grid, path, why, sizeof why) != 0;
  image_grid_destroy(grid);
  if (failed) fprintf(stderr, "netc: cannot write %s: %s\n", path, why);
  return failed;
}

int write_folder_samples(const char *dir, const image_options *o, int64_t count,
                         uint64_t seed, const char *path) {
  int side = o->size ? (int)o->size : SAMPLES_SIDE;
  netc_dataset *validation = NULL;
  /* the grid wants [0, 1] */
  netc_dataset *d = load_image_folder(dir, side, side, 0, 0, 1.0 / 255.0, o, &validation);
  if (!d) return EXIT_FAILURE;
  int64_t rows = netc_dataset_rows(d);
  int n = (int)(count < rows ? count : rows);
  size_t per_image = (size_t)side * (size_t)side * 3;
  float *pixels = malloc(per_image * sizeof *pixels);
  netc_tensor labels;
  image_grid *grid = pixels ? new_grid(n, side, side) : NULL;
  int failed = !grid || netc_dataset_column(d, "label", &labels) != NETC_OK;
  if (!pixels) fprintf(stderr, "netc: out of memory\n");
  for (int i = 0; !failed && i < n; i++) {
    int64_t row = (int64_t)i * rows / n; /* spread over the classes */
    netc_error error = {""};
    netc_status st = netc_dataset_augmented_images(d, "image", seed, 0, row, 1, pixels,
                                                   &error);
    if (st != NETC_OK) {
      fprintf(stderr, "netc: %s\n", error.message);
      failed = 1;
      break;
    }
    image_grid_put_rgb(grid, i, pixels, 3,
                       netc_dataset_class_name(d, ((const int32_t *)labels.data)[row]));
  }
  if (!failed) failed = write_grid(grid, path);
  else image_grid_destroy(grid);
  if (!failed)
    printf("wrote %s: %d of the %lld training images of %s, as epoch 1 of training "
           "with seed %llu sees them, %d per row, each with its class\n", path, n,
           (long long)rows, dir, (unsigned long long)seed, n < GRID_COLUMNS ? n : GRID_COLUMNS);
  for (int i = 0; !failed && i < n; i++)
    printf("%s%s", i % GRID_COLUMNS ? ", " : i ? "\n  " : "  ",
           netc_dataset_class_name(d, ((const int32_t *)labels.data)[(int64_t)i * rows / n]));
  if (!failed) putchar('\n');
  free(pixels);
  netc_dataset_destroy(d);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

netc_dataset *scaled_images(const netc_dataset *images, double scale) {
  netc_tensor t;
  if (netc_dataset_column(images, "image", &t) != NETC_OK) return NULL;
  int64_t n = netc_tensor_elements(&t);
  float *pixels = malloc((size_t)n * sizeof *pixels);
  float factor = (float)scale;
  /* the loader divided 0..255 by 255: recover the byte, then scale it as
  ** the training batches do */
  for (int64_t i = 0; pixels && i < n; i++)
    pixels[i] = (float)lrintf(((const float *)t.data)[i] * 255.0f) * factor;
  netc_dataset *d = NULL;
  netc_error error = {"out of memory"};
  netc_tensor scaled = t;
  scaled.data = pixels;
  if (!pixels || netc_dataset_create(&d) != NETC_OK ||
      netc_dataset_add(d, "image", &scaled, &error) != NETC_OK) {
    fprintf(stderr, "netc: %s\n", error.message);
    netc_dataset_destroy(d);
    d = NULL;
  }
  free(pixels);
  return d;
}

int write_prediction_grid(const char *path, const netc_dataset *images, const float *probs,
                          int classes, const char *const *names, int n_names) {
  netc_tensor t;
  if (netc_dataset_column(images, "image", &t) != NETC_OK || t.rank != 4) return 1;
  int n = (int)t.dims[0], h = (int)t.dims[1], w = (int)t.dims[2], c = (int)t.dims[3];
  image_grid *grid = new_grid(n, h, w);
  if (!grid) return 1;
  for (int i = 0; i < n; i++) {
    const float *p = probs + (size_t)i * (size_t)classes;
    int best = 0;
    for (int k = 1; k < classes; k++)
      if (p[k] > p[best]) best = k;
    char caption[64];
    if (best < n_names)
      snprintf(caption, sizeof caption, "%s %.2f", names[best], (double)p[best]);
    else
      snprintf(caption, sizeof caption, "%d %.2f", best, (double)p[best]);
    image_grid_put_rgb(grid, i, (const float *)t.data + (size_t)i * (size_t)(h * w * c), c,
                       caption);
  }
  return write_grid(grid, path);
}
