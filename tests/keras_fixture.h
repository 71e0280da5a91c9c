/*
** keras_fixture.h: writes Keras VGG16 weight files with seeded random
** values through the HDF5 C API, as Keras's `applications` files are laid
** out, for the importer's tests (tests/unit/runtime/test_keras.c) and the
** finetune workflow's (tests/make_keras_vgg16). Two namings:
**   released: what the downloadable vgg16_weights_tf_dim_ordering_tf_kernels
**             files hold: /block1_conv1/block1_conv1_W_1:0 and _b_1:0,
**             names as fixed-length byte strings, an empty weight_names
**             as a float64 array of no elements;
**   keras2:   what Keras 2's save_weights writes with newer h5py:
**             /block1_conv1/block1_conv1/kernel:0 and bias:0 in a nested
**             group, names as variable-length UTF-8 strings, an empty
**             weight_names as a null dataspace.
*/
#ifndef KERAS_FIXTURE_H
#define KERAS_FIXTURE_H

#include <stdint.h>

typedef enum keras_naming {
  KERAS_RELEASED, /* block1_conv1_W_1:0, fixed-length strings */
  KERAS_KERAS2    /* block1_conv1/kernel:0, variable-length strings */
} keras_naming;

typedef struct keras_fixture {
  keras_naming naming;  /* dataset names and string kind */
  int notop;            /* the conv base only, as the _notop file */
  uint64_t seed;        /* the values: keras_fixture_value */
  const char *omit;     /* a layer left out of the file, or NULL */
  const char *misshape; /* a layer whose kernel has half the output
                           channels, or NULL */
  int model_weights;    /* everything under /model_weights, as
                           model.save() writes it */
  const struct keras_vgg_layer *layers; /* the layers to write, at most
                           KERAS_VGG16_LAYERS (a small model's, for the
                           fuzz seeds); NULL: keras_vgg16 */
  int layer_count;      /* entries of layers */
} keras_fixture;

/* A layer of Keras's VGG16, in the files' order. */
typedef struct keras_vgg_layer {
  const char *name;  /* "block1_conv1", ... */
  int rank;          /* of the kernel; 0 for layers without weights */
  int64_t kernel[4]; /* HWIO or (in, out); the bias is the last dim */
  int top;           /* only in the full file, not in the _notop one */
} keras_vgg_layer;

enum { KERAS_VGG16_LAYERS = 23 };
extern const keras_vgg_layer keras_vgg16[KERAS_VGG16_LAYERS];

/* Element `index` (row-major) of the kernel (bias 0) or bias (bias 1) of
** VGG16 layer `layer` in a fixture of seed `seed`: uniform in [-L, L),
** L = sqrt(6 / fan_in) for kernels (divided by 128 for block1_conv1, which
** takes pixels) and L / 100 for biases. */
float keras_fixture_value(uint64_t seed, const char *layer, int bias, int64_t index);

/* Writes the file; 0 on success, -1 after printing why to stderr. */
int keras_fixture_write(const char *path, const keras_fixture *fixture);

#endif
