/*
** fuzz_keras.c: the Keras weight importer (netc_session_import_keras). The
** input is a Keras HDF5 weight file; it is imported into a session of a
** small model whose layers carry Keras's VGG16 names (block1_conv1,
** block1_conv2, fc1), so that the seeds (make_keras_seeds.c) import and
** mutations reach the layer matching, the shape checks and the copies.
** The model is compiled and its session made once per process: an import
** either fills weights of the right shapes or leaves the session as it was.
*/
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netc.h"
#include "tests/fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Shapes as in make_keras_seeds.c's layers. */
static const char MODEL[] =
    "model keras_tiny\n"
    "input image : f32[batch, 4, 4, 3]\n"
    "block1_conv1 = conv2d(image, 4, 3, padding=same, act=relu)\n"
    "block1_conv2 = conv2d(block1_conv1, 4, 3, padding=same, act=relu)\n"
    "block1_pool = maxpool(block1_conv2, 2)\n"
    "flatten = flatten(block1_pool)\n"
    "fc1 = dense(flatten, 2)\n"
    "output probs = softmax(fc1)\n";

static netc_session *tiny_session(void) {
  static netc_model *model;
  static netc_session *session;
  if (session) return session;
  netc_session_options options = {0, 1, 1};
  if (!model && netc_model_compile_source("keras_tiny.net", MODEL, sizeof MODEL - 1, NULL,
                                          &model) != NETC_OK)
    return NULL;
  if (netc_session_create(model, &options, &session) != NETC_OK) session = NULL;
  return session;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  netc_session *session = tiny_session();
  const char *path = fuzz_file_write(0, 0, data, size);
  if (!session || !path) return 0;
  netc_import_report report;
  unsigned sum = 0;
  /* the report's names and the error must be terminated strings */
  if (netc_session_import_keras(session, path, &report) == NETC_OK)
    for (int i = 0; i < report.listed; i++) {
      const char *name = report.layers[i].name;
      fuzz_sink(name, strlen(name), &sum);
    }
  else
    fuzz_sink(netc_session_error(session), strlen(netc_session_error(session)), &sum);
  return 0;
}
