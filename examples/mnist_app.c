/*
** mnist_app.c: how an application embeds netc. It loads a model trained and
** saved by `netc train ... -o MODEL.h5`, reads the images named on the
** command line (PNG or JPEG), and prints the most likely class of each.
**
**   usage: mnist_app MODEL.h5 IMAGE...
**
** Only netc.h is used; build it with
**   cc mnist_app.c $(pkg-config --cflags --libs netc)
*/
#include <stdio.h>
#include <stdlib.h>

#include "netc.h"

enum { MAX_CLASSES = 1000 };

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.h5 IMAGE...\n", argv[0]);
    return 2;
  }
  int count = argc - 2;
  netc_error error;
  netc_model *model = NULL;
  netc_session *session = NULL;
  netc_session_options options = {0, count, 1};
  if (netc_session_load(argv[1], &options, &model, &session, &error) != NETC_OK) {
    fprintf(stderr, "mnist_app: %s\n", error.message);
    return 1;
  }

  /* The model's input type says how to read the images: f32[batch,H,W,C]. */
  netc_tensor input;
  netc_dataset *images = NULL;
  float *probs = malloc(sizeof *probs * (size_t)count * MAX_CLASSES);
  int64_t written = 0;
  const char *why = NULL;
  if (netc_model_input(model, NULL, &input) != NETC_OK || input.rank != 4)
    why = "the model's first input is not a batch of images f32[batch,H,W,C]";
  else if (netc_dataset_load_image_files((const char *const *)argv + 2, count,
                                         (int)input.dims[1], (int)input.dims[2],
                                         (int)input.dims[3], NULL, &images,
                                         &error) != NETC_OK)
    why = error.message;
  else if (!probs)
    why = "out of memory";
  else if (netc_session_predict(session, images, count, NULL, probs,
                                (int64_t)count * MAX_CLASSES, &written) != NETC_OK)
    why = netc_session_error(session);

  if (why) {
    fprintf(stderr, "mnist_app: %s\n", why);
  } else {
    int64_t classes = written / count;
    for (int i = 0; i < count; i++) {
      const float *p = probs + (int64_t)i * classes;
      int64_t best = 0;
      for (int64_t k = 1; k < classes; k++)
        if (p[k] > p[best]) best = k;
      printf("%s: class %lld (probability %.4f)\n", argv[i + 2], (long long)best,
             (double)p[best]);
    }
  }
  free(probs);
  netc_dataset_destroy(images);
  netc_session_destroy(session);
  netc_model_destroy(model);
  return why ? 1 : 0;
}
