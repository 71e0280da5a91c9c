/*
** make_keras_vgg16.c: writes a Keras VGG16 weight file with seeded random
** values (tests/keras_fixture.h), for tests and demos that need one
** without downloading Keras's:
**
**   tests/make_keras_vgg16 [--notop] [--naming released|keras2] [--seed N] OUT.h5
**
** --notop writes the conv base only (as the _notop file); the naming is
** released (default) or keras2; the seed defaults to 0.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/keras_fixture.h"

static int usage(const char *why) {
  fprintf(stderr, "make_keras_vgg16: %s\nusage: make_keras_vgg16 [--notop] "
                  "[--naming released|keras2] [--seed N] OUT.h5\n", why);
  return 2;
}

int main(int argc, char **argv) {
  keras_fixture f = {KERAS_RELEASED, 0, 0, NULL, NULL, 0, NULL, 0};
  const char *out = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--notop") == 0) {
      f.notop = 1;
    } else if (strcmp(argv[i], "--naming") == 0 && i + 1 < argc) {
      const char *naming = argv[++i];
      if (strcmp(naming, "released") == 0) f.naming = KERAS_RELEASED;
      else if (strcmp(naming, "keras2") == 0) f.naming = KERAS_KERAS2;
      else return usage("--naming is released or keras2");
    } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      char *end;
      errno = 0;
      f.seed = strtoull(argv[++i], &end, 10);
      if (errno || end == argv[i] || *end) return usage("--seed needs a whole number");
    } else if (argv[i][0] == '-' || out) {
      return usage("unexpected argument");
    } else {
      out = argv[i];
    }
  }
  if (!out) return usage("no output file");
  if (keras_fixture_write(out, &f) != 0) return 1;
  printf("wrote %s: VGG16 %s, %s naming, seed %llu\n", out, f.notop ? "conv base" : "full",
         f.naming == KERAS_RELEASED ? "released" : "keras2", (unsigned long long)f.seed);
  return 0;
}
