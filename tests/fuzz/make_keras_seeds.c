/*
** make_keras_seeds.c: writes the seeds of the Keras importer's fuzz target
** (fuzz_keras.c) into a folder: weight files of its small model in both
** namings of tests/keras_fixture.h, under /model_weights, without the top
** layer, missing a layer and with a layer of the wrong shape.
** Usage: make_keras_seeds DIR
*/
#include <stdio.h>

#include "tests/keras_fixture.h"

/* fuzz_keras.c's model, named and laid out as Keras's VGG16. */
static const keras_vgg_layer TINY[] = {
    {"input_1", 0, {0}, 0},
    {"block1_conv1", 4, {3, 3, 3, 4}, 0},
    {"block1_conv2", 4, {3, 3, 4, 4}, 0},
    {"block1_pool", 0, {0}, 0},
    {"flatten", 0, {0}, 1},
    {"fc1", 2, {16, 2}, 1},
};

typedef struct seed {
  const char *name;
  keras_fixture fixture;
} seed;

#define LAYERS TINY, (int)(sizeof TINY / sizeof TINY[0])

static const seed SEEDS[] = {
    {"released.h5", {KERAS_RELEASED, 0, 1, NULL, NULL, 0, LAYERS}},
    {"keras2.h5", {KERAS_KERAS2, 0, 2, NULL, NULL, 0, LAYERS}},
    {"model-weights.h5", {KERAS_KERAS2, 0, 3, NULL, NULL, 1, LAYERS}},
    {"notop.h5", {KERAS_RELEASED, 1, 4, NULL, NULL, 0, LAYERS}},
    {"omit-conv2.h5", {KERAS_KERAS2, 0, 5, "block1_conv2", NULL, 0, LAYERS}},
    {"misshape-fc1.h5", {KERAS_RELEASED, 0, 6, NULL, "fc1", 0, LAYERS}},
};

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_keras_seeds DIR\n");
    return 2;
  }
  int failed = 0;
  for (size_t i = 0; i < sizeof SEEDS / sizeof SEEDS[0]; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[1], SEEDS[i].name);
    failed |= keras_fixture_write(path, &SEEDS[i].fixture) != 0;
  }
  return failed;
}
