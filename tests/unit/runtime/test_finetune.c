/*
** test_finetune.c: finetuning a frozen VGG16 base (tests/finetune.net,
** models/catsdogs.net at 32x32) through the C API, and what the image-folder
** workflow keeps with a session:
**   - the frozen base gets no gradient: no backward node, slot or update
**     belongs to a frozen layer, and the train plan runs none for it;
**   - training on drawn circles and squares lowers the loss (evaluated
**     without dropout on the training images), changes every weight of the
**     new top and leaves every byte of the base's weights as it was;
**   - class names and the pixel scale survive save and load, and bad ones
**     are refused;
**   - netc_dataset_augmented_images gives the rescaled pixels without
**     augmentation, mirrors or not with a flip, and repeats itself;
**   - netc_model_pixel_scale: 1 for an input that goes straight into
**     caffe_preprocess (the finetune model), 1/255 otherwise.
**
** tests/finetune.net is read from $top_srcdir/tests (`make check` sets it),
** else from ., .. or ../...
*/
#define _POSIX_C_SOURCE 200809L /* mkstemp */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "netc.h"
#include "runtime/session.h"
#include "tests/unit/test_case.h"

enum { SIDE = 32, PER_CLASS = 12, ROWS = 2 * PER_CLASS };

/* The path of tests/NAME in the source tree (static buffer). */
static const char *test_path(const char *name) {
  static char path[1024];
  const char *top = getenv("top_srcdir");
  if (top && *top) {
    snprintf(path, sizeof path, "%s/tests/%s", top, name);
    return path;
  }
  static const char *const dirs[] = {".", "..", "../.."};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    snprintf(path, sizeof path, "%s/tests/%s", dirs[i], name);
    if (access(path, R_OK) == 0) break;
  }
  return path;
}

static netc_model *compile_finetune(void) {
  netc_model *m = NULL;
  CU_ASSERT_EQUAL(netc_model_compile_file(test_path("finetune.net"), NULL, &m), NETC_OK);
  return m;
}

/* Whether layer `layer` (an index, or -1) was imported as `vgg`. */
static int in_base(const cc_graph *g, int layer) {
  return layer >= 0 && g->layers[layer].scope && strcmp(g->layers[layer].scope, "vgg") == 0;
}

static void test_frozen_base_has_no_gradient(void) {
  netc_model *m = compile_finetune();
  if (!m) return;
  const cc_graph *g = cc_model_graph(m);
  int base_layers = 0, backward = 0;
  for (int i = 0; i < g->n_layers; i++) base_layers += in_base(g, i);
  CU_ASSERT_EQUAL(base_layers, 18); /* 13 convolutions and 5 poolings */
  for (int i = 0; i < g->n_nodes; i++) {
    const cc_node *n = &g->nodes[i];
    if (!n->backward) continue;
    backward++;
    CU_ASSERT_FALSE(in_base(g, n->layer));
    if (n->op == CC_OP_APPLY_UPDATE) CU_ASSERT_TRUE(g->params[n->param].trainable);
  }
  CU_ASSERT_TRUE(backward > 0);
  /* Adam's m and v for the top's two kernels and two biases only. */
  CU_ASSERT_EQUAL(g->n_slots, 8);
  for (int i = 0; i < g->n_slots; i++)
    CU_ASSERT_FALSE(in_base(g, g->params[g->slots[i].param].layer));

  /* The train step's plan: the base runs forward only. */
  netc_session_options o = {1, 4, 1};
  netc_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &o, &s), NETC_OK);
  int entry = cc_graph_find_entry(g, "train");
  CU_ASSERT_FATAL(entry >= 0);
  const cc_entry *e = &g->entries[entry];
  rt_plan *plan = rt_plan_get(s, entry, e->fetches, e->n_fetches);
  CU_ASSERT_PTR_NOT_NULL_FATAL(plan);
  int base_forward = 0, top_backward = 0;
  for (int k = 0; k < plan->n_order; k++) {
    const cc_node *n = &g->nodes[plan->order[k]];
    if (in_base(g, n->layer)) {
      CU_ASSERT_FALSE(n->backward);
      base_forward++;
    }
    top_backward += n->backward;
  }
  CU_ASSERT_TRUE(base_forward >= 18);
  CU_ASSERT_TRUE(top_backward > 0);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* Row r: a circle (label 0) or a square (label 1) of a colour and place
** that vary with r, on a background that varies too. */
static void draw_shapes(uint8_t *pixels, int32_t *labels) {
  for (int r = 0; r < ROWS; r++) {
    int square = r >= PER_CLASS, half = 5 + r % 5, cy = 10 + (r * 7) % 12,
        cx = 10 + (r * 5) % 12;
    labels[r] = square;
    for (int y = 0; y < SIDE; y++)
      for (int x = 0; x < SIDE; x++) {
        int dy = y - cy, dx = x - cx;
        int inside = square ? abs(dy) <= half && abs(dx) <= half
                            : dy * dy + dx * dx <= half * half;
        uint8_t *p = pixels + ((size_t)r * SIDE * SIDE + (size_t)(y * SIDE + x)) * 3;
        for (int k = 0; k < 3; k++)
          p[k] = (uint8_t)(inside ? (60 * r + 90 * k) % 256 : (200 + 30 * r + 50 * k) % 256);
      }
  }
}

static double training_loss(netc_session *s, const netc_dataset *d) {
  const char *names[4];
  double values[4] = {0};
  int count = 0;
  CU_ASSERT_EQUAL(netc_session_evaluate(s, d, 8, names, values, 4, &count), NETC_OK);
  CU_ASSERT_TRUE(count >= 1 && strcmp(names[0], "xent") == 0);
  return values[0];
}

static void test_training_changes_only_the_top(void) {
  netc_model *m = compile_finetune();
  if (!m) return;
  const cc_graph *g = cc_model_graph(m);
  static uint8_t pixels[ROWS * SIDE * SIDE * 3];
  int32_t labels[ROWS];
  draw_shapes(pixels, labels);
  netc_dataset *d = NULL;
  netc_tensor image = {NETC_U8, 4, {ROWS, SIDE, SIDE, 3}, pixels};
  netc_tensor label = {NETC_I32, 1, {ROWS}, labels};
  netc_augment flip = {1, 0, 0, 0, 0, 0};
  CU_ASSERT_EQUAL_FATAL(netc_dataset_create(&d), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_add(d, "image", &image, NULL), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_add(d, "label", &label, NULL), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, "image", &flip, NULL), NETC_OK);

  netc_session_options o = {7, 8, 2};
  netc_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, &o, &s), NETC_OK);
  float **before = calloc((size_t)g->n_params, sizeof *before);
  CU_ASSERT_PTR_NOT_NULL_FATAL(before);
  for (int p = 0; p < g->n_params; p++) {
    int64_t n = cc_shape_elements(&g->nodes[g->params[p].node].shape);
    before[p] = malloc((size_t)n * sizeof **before);
    CU_ASSERT_EQUAL(netc_session_get_weight(s, g->params[p].name, before[p], n), NETC_OK);
  }
  double loss_before = training_loss(s, d);
  netc_fit_options fit = {.epochs = 6, .batch_size = 8};
  CU_ASSERT_EQUAL(netc_session_fit(s, d, &fit), NETC_OK);
  double loss_after = training_loss(s, d);
  CU_ASSERT_TRUE(loss_after < loss_before);

  int base = 0, top = 0;
  for (int p = 0; p < g->n_params; p++) {
    int64_t n = cc_shape_elements(&g->nodes[g->params[p].node].shape);
    float *now = malloc((size_t)n * sizeof *now);
    CU_ASSERT_EQUAL(netc_session_get_weight(s, g->params[p].name, now, n), NETC_OK);
    int same = memcmp(now, before[p], (size_t)n * sizeof *now) == 0;
    if (in_base(g, g->params[p].layer)) {
      base++;
      CU_ASSERT_TRUE(same); /* frozen: every byte kept */
    } else {
      top++;
      CU_ASSERT_FALSE(same);
    }
    free(now);
    free(before[p]);
  }
  free(before);
  CU_ASSERT_EQUAL(base, 26);
  CU_ASSERT_EQUAL(top, 4);
  netc_session_destroy(s);
  netc_dataset_destroy(d);
  netc_model_destroy(m);
}

static const char small_model[] =
    "model small\n"
    "input image : f32[batch, 2, 2, 3]\n"
    "output probs = softmax(dense(flatten(image), 2))\n";

static void test_classes_saved_and_loaded(void) {
  netc_model *m = NULL;
  netc_session *s = NULL;
  CU_ASSERT_EQUAL_FATAL(
      netc_model_compile_source("small.net", small_model, strlen(small_model), NULL, &m),
      NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_session_create(m, NULL, &s), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_class_count(s), 0);
  CU_ASSERT_PTR_NULL(netc_session_class_name(s, 0));
  CU_ASSERT_EQUAL(netc_session_pixel_scale(s), 1.0);

  const char *names[] = {"cat", "dog"}, *unnamed[] = {"cat", ""};
  CU_ASSERT_EQUAL(netc_session_set_classes(s, unnamed, 2, 1.0), NETC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(netc_session_error(s), "class 1 has no name"));
  CU_ASSERT_EQUAL(netc_session_set_classes(s, names, 2, 0.0), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_session_set_classes(s, names, 2, NAN), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_session_class_count(s), 0);
  CU_ASSERT_EQUAL(netc_session_set_classes(s, names, 2, 1.0 / 255.0), NETC_OK);

  char path[] = "/tmp/netc-classes-XXXXXX";
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  close(fd);
  CU_ASSERT_EQUAL(netc_session_save(s, path), NETC_OK);
  netc_model *m2 = NULL;
  netc_session *s2 = NULL;
  netc_error error;
  CU_ASSERT_EQUAL_FATAL(netc_session_load(path, NULL, &m2, &s2, &error), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_class_count(s2), 2);
  CU_ASSERT_STRING_EQUAL(netc_session_class_name(s2, 0), "cat");
  CU_ASSERT_STRING_EQUAL(netc_session_class_name(s2, 1), "dog");
  CU_ASSERT_PTR_NULL(netc_session_class_name(s2, 2));
  CU_ASSERT_EQUAL(netc_session_pixel_scale(s2), 1.0 / 255.0);
  netc_session_destroy(s2);
  netc_model_destroy(m2);

  /* Count 0 removes them: a file without /classes loads without any. */
  CU_ASSERT_EQUAL(netc_session_set_classes(s, NULL, 0, 1.0), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_save(s, path), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_session_load(path, NULL, &m2, &s2, &error), NETC_OK);
  CU_ASSERT_EQUAL(netc_session_class_count(s2), 0);
  CU_ASSERT_EQUAL(netc_session_pixel_scale(s2), 1.0);
  netc_session_destroy(s2);
  netc_model_destroy(m2);
  unlink(path);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* Compiles `text` (a model named "scaled"); NULL on failure. */
static netc_model *compile_text(const char *text) {
  netc_model *m = NULL;
  CU_ASSERT_EQUAL(netc_model_compile_source("scaled.net", text, strlen(text), NULL, &m),
                  NETC_OK);
  return m;
}

static void test_model_pixel_scale(void) {
  double scale = 0;
  netc_model *m = compile_finetune();
  CU_ASSERT_EQUAL(netc_model_pixel_scale(m, "image", &scale), NETC_OK);
  CU_ASSERT_EQUAL(scale, 1.0);
  CU_ASSERT_EQUAL(netc_model_pixel_scale(m, "label", &scale), NETC_OK);
  CU_ASSERT_EQUAL(scale, 1.0 / 255.0);
  CU_ASSERT_EQUAL(netc_model_pixel_scale(m, "no_such_input", &scale), NETC_ENOTFOUND);
  CU_ASSERT_EQUAL(netc_model_pixel_scale(m, "image", NULL), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_model_pixel_scale(NULL, "image", &scale), NETC_EINVAL);
  netc_model_destroy(m);

  m = compile_text(small_model);
  CU_ASSERT_EQUAL(netc_model_pixel_scale(m, NULL, &scale), NETC_OK);
  CU_ASSERT_EQUAL(scale, 1.0 / 255.0);
  netc_model_destroy(m);
  /* Pixels that are changed before caffe_preprocess are not its raw input. */
  m = compile_text("model scaled\n"
                   "input image : f32[batch, 2, 2, 3]\n"
                   "output probs = softmax(dense(flatten(caffe_preprocess(image * 255.0)), 2))\n");
  CU_ASSERT_EQUAL(netc_model_pixel_scale(m, NULL, &scale), NETC_OK);
  CU_ASSERT_EQUAL(scale, 1.0 / 255.0);
  netc_model_destroy(m);
  m = compile_text("model scaled\n"
                   "input other : f32[batch, 2]\n"
                   "input image : f32[batch, 2, 2, 3]\n"
                   "output probs = softmax(dense(flatten(caffe_preprocess(image)), 2) + other)\n");
  CU_ASSERT_EQUAL(netc_model_pixel_scale(m, "image", &scale), NETC_OK);
  CU_ASSERT_EQUAL(scale, 1.0);
  CU_ASSERT_EQUAL(netc_model_pixel_scale(m, NULL, &scale), NETC_OK); /* other */
  CU_ASSERT_EQUAL(scale, 1.0 / 255.0);
  netc_model_destroy(m);
}

static void test_augmented_images(void) {
  enum { N = 6, H = 3, W = 4 };
  static uint8_t pixels[N * H * W * 3];
  for (size_t i = 0; i < sizeof pixels; i++) pixels[i] = (uint8_t)(i * 37 % 251);
  netc_dataset *d = NULL;
  netc_tensor image = {NETC_U8, 4, {N, H, W, 3}, pixels};
  CU_ASSERT_EQUAL_FATAL(netc_dataset_create(&d), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_add(d, "image", &image, NULL), NETC_OK);
  float out[N * H * W * 3], again[N * H * W * 3];

  /* No augmentation: the bytes as floats. */
  CU_ASSERT_EQUAL(netc_dataset_augmented_images(d, "image", 1, 0, 0, N, out, NULL), NETC_OK);
  for (size_t i = 0; i < sizeof pixels; i++) CU_ASSERT_EQUAL(out[i], (float)pixels[i]);

  /* A flip and a rescale: each row is mirrored or not, and scaled. */
  netc_augment flip = {1, 0, 0, 0, 0, 0.5};
  CU_ASSERT_EQUAL(netc_dataset_set_augment(d, "image", &flip, NULL), NETC_OK);
  CU_ASSERT_EQUAL(netc_dataset_augmented_images(d, "image", 1, 0, 0, N, out, NULL), NETC_OK);
  int flipped = 0;
  for (int r = 0; r < N; r++) {
    int same = 1, mirrored = 1;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        for (int k = 0; k < 3; k++) {
          float got = out[((r * H + y) * W + x) * 3 + k];
          same &= got == 0.5f * pixels[((r * H + y) * W + x) * 3 + k];
          mirrored &= got == 0.5f * pixels[((r * H + y) * W + (W - 1 - x)) * 3 + k];
        }
    CU_ASSERT_TRUE(same || mirrored);
    flipped += mirrored;
  }
  CU_ASSERT_TRUE(flipped > 0 && flipped < N);
  /* The same seed, epoch and rows give the same images; a row alone too. */
  CU_ASSERT_EQUAL(netc_dataset_augmented_images(d, "image", 1, 0, 0, N, again, NULL), NETC_OK);
  CU_ASSERT_EQUAL(memcmp(out, again, sizeof out), 0);
  CU_ASSERT_EQUAL(netc_dataset_augmented_images(d, "image", 1, 0, 3, 1, again, NULL), NETC_OK);
  CU_ASSERT_EQUAL(memcmp(out + 3 * H * W * 3, again, sizeof(float) * H * W * 3), 0);

  netc_error error;
  CU_ASSERT_EQUAL(netc_dataset_augmented_images(d, "image", 1, 0, 4, 3, out, &error),
                  NETC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(error.message, "outside the dataset"));
  CU_ASSERT_EQUAL(netc_dataset_augmented_images(d, "pixels", 1, 0, 0, 1, out, &error),
                  NETC_ENOTFOUND);
  CU_ASSERT_PTR_NOT_NULL(strstr(error.message, "'pixels'"));
  netc_dataset_destroy(d);
}

static const test_case TESTS[] = {
    {"frozen base has no gradient", test_frozen_base_has_no_gradient},
    {"training changes only the top", test_training_changes_only_the_top},
    {"classes saved and loaded", test_classes_saved_and_loaded},
    {"augmented images", test_augmented_images},
    {"model pixel scale", test_model_pixel_scale},
    {0, 0},
};

#include "tests/unit/cunit_main.h"
