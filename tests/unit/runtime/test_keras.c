/*
** test_keras.c: netc_session_import_keras (runtime/io/keras_import.c) on
** VGG16 files written by tests/keras_fixture.c:
**   - both namings (released _W_1:0 with fixed-length names, Keras 2's
**     nested kernel:0 with variable-length names) and model.save's
**     /model_weights: every imported element equals what the file holds;
**   - the _notop file into vgg16.net (the classifier reported not filled
**     and left alone), the full file into vgg16.net (all 138,357,544),
**     the _notop file into catsdogs.net (the new top's bytes untouched);
**   - the imported graph computes what Keras would: block 1's convolutions
**     and pooling against plain loops, and fc1 after a flatten of a 7x7x512
**     map against a channels-last plain loop;
**   - layers matched through a weight set's prefix, and an ambiguous match;
**   - a missing layer (reported), a mis-shaped weight, too few weights, a
**     weight that is not there, a netc model file, a text file, a
**     truncated file, an empty file, a folder and a missing file: a clear
**     error naming the file and the layer or weight, and the session's
**     weights unchanged to the byte.
** Files go to a fresh folder under $TMPDIR, removed at exit.
*/
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <hdf5.h>

#include "netc.h"
#include "runtime/session.h"
#include "tests/keras_fixture.h"
#include "tests/unit/test_files.h"
#include "tests/unit/test_case.h"

enum { SEED = 7 };

/* ------------------------------------------------------------ helpers */

static netc_model *compile_text(const char *text) {
  netc_model *m = NULL;
  netc_status st = netc_model_compile_source("test.net", text, strlen(text), NULL, &m);
  CU_ASSERT_EQUAL(st, NETC_OK);
  return m;
}

static netc_session *new_session(const netc_model *m) {
  netc_session_options o = {3, 1, 1};
  netc_session *s = NULL;
  CU_ASSERT_EQUAL(netc_session_create(m, &o, &s), NETC_OK);
  return s;
}

/* A fixture file, written once per set of settings and kept: `name` must
** differ for different settings. */
static const char *fixture(const char *name, keras_naming naming, int notop,
                           const char *omit, const char *misshape, int model_weights) {
  static char paths[16][1024];
  static int n;
  const char *path = tmp_path(0, name);
  for (int i = 0; i < n; i++)
    if (strcmp(paths[i], path) == 0) return paths[i];
  keras_fixture f = {naming, notop, SEED, omit, misshape, model_weights, NULL, 0};
  if (n == 16 || keras_fixture_write(path, &f) != 0) {
    CU_FAIL_FATAL("cannot write a fixture");
  }
  snprintf(paths[n], sizeof paths[n], "%s", path);
  return paths[n++];
}

static const char *full_keras2(void) {
  return fixture("full_keras2.h5", KERAS_KERAS2, 0, NULL, NULL, 0);
}

static const char *notop_released(void) {
  return fixture("notop_released.h5", KERAS_RELEASED, 1, NULL, NULL, 0);
}

/* Weight floats of the whole session. */
static int64_t param_floats(const netc_session *s) {
  int64_t n = 0;
  for (int p = 0; p < s->g->n_params; p++)
    n += cc_shape_elements(&s->g->nodes[s->g->params[p].node].shape);
  return n;
}

/* A copy of every weight of the session. */
static float *snapshot(const netc_session *s) {
  size_t bytes = (size_t)param_floats(s) * sizeof(float);
  float *copy = malloc(bytes);
  CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
  memcpy(copy, s->params, bytes);
  return copy;
}

static int unchanged(const netc_session *s, const float *copy) {
  return memcmp(copy, s->params, (size_t)param_floats(s) * sizeof(float)) == 0;
}

static int64_t product(const int64_t *dims, int rank) {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  return n;
}

/* Weight `prefix`LAYER/kernel and /bias equal the fixture's values of
** VGG16 layer `l`, element by element. */
static void expect_layer(const netc_session *s, const char *prefix, const keras_vgg_layer *l) {
  int64_t n[2] = {product(l->kernel, l->rank), l->kernel[l->rank - 1]};
  for (int bias = 0; bias < 2; bias++) {
    char name[256];
    snprintf(name, sizeof name, "%s%s/%s", prefix, l->name, bias ? "bias" : "kernel");
    float *w = malloc((size_t)n[bias] * sizeof *w);
    CU_ASSERT_EQUAL_FATAL(netc_session_get_weight(s, name, w, n[bias]), NETC_OK);
    int64_t wrong = 0;
    for (int64_t i = 0; i < n[bias]; i++)
      wrong += w[i] != keras_fixture_value(SEED, l->name, bias, i);
    if (wrong) fprintf(stderr, "\n  %s: %lld of %lld values differ\n", name,
                       (long long)wrong, (long long)n[bias]);
    CU_ASSERT_EQUAL(wrong, 0);
    free(w);
  }
}

/* Every VGG16 layer with weights (the conv base only unless `top`). */
static void expect_vgg16(const netc_session *s, const char *prefix, int top) {
  for (int i = 0; i < KERAS_VGG16_LAYERS; i++)
    if (keras_vgg16[i].rank && (top || !keras_vgg16[i].top))
      expect_layer(s, prefix, &keras_vgg16[i]);
}

/* Imports `path`, which must succeed. */
static void import_ok(netc_session *s, const char *path, netc_import_report *r) {
  netc_status st = netc_session_import_keras(s, path, r);
  if (st != NETC_OK) fprintf(stderr, "\n  %s\n", netc_session_error(s));
  CU_ASSERT_EQUAL_FATAL(st, NETC_OK);
  CU_ASSERT_STRING_EQUAL(netc_session_error(s), "");
}

/* A session on the model of .net text `source` (*m, to destroy after it),
** with `path` imported when not NULL. */
static netc_session *session_on(const char *source, const char *path, netc_model **m,
                                netc_import_report *r) {
  *m = compile_text(source);
  CU_ASSERT_PTR_NOT_NULL_FATAL(*m);
  netc_session *s = new_session(*m);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  if (path) import_ok(s, path, r);
  return s;
}

/* Imports `path`, which must fail with `want` and a message naming the
** file and holding `part`, leaving every weight as it was. */
static void import_fails(netc_session *s, const char *path, netc_status want,
                         const char *part) {
  float *before = snapshot(s);
  netc_import_report r;
  memset(&r, 0x5a, sizeof r);
  netc_status st = netc_session_import_keras(s, path, &r);
  const char *why = netc_session_error(s);
  int ok = st == want && strstr(why, path) && strstr(why, part);
  if (!ok) fprintf(stderr, "\n  %s: got %s \"%s\", want %s \"%s\"\n", path,
                   netc_status_name(st), why, netc_status_name(want), part);
  CU_ASSERT(ok);
  CU_ASSERT(unchanged(s, before));
  CU_ASSERT_EQUAL(r.listed, 0x5a5a5a5a); /* the report is left alone */
  free(before);
}

/* The report lists `name` with `outcome`. */
static int listed(const netc_import_report *r, const char *name, netc_import_outcome outcome) {
  for (int i = 0; i < r->listed; i++)
    if (strcmp(r->layers[i].name, name) == 0) return r->layers[i].outcome == outcome;
  return 0;
}

/* ---------------------------------------------------- whole models */

/* The _notop file fills vgg16.net's base and leaves the classifier alone;
** then the full file in Keras 2's naming fills all of it (one session:
** making one takes seconds). */
static void test_vgg16(void) {
  netc_model *m = compile_file("vgg16.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = new_session(m);
  float top_before[4096], top_after[4096];
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "fc1/bias", top_before, 4096), NETC_OK);
  netc_import_report r;
  import_ok(s, notop_released(), &r);
  CU_ASSERT_EQUAL(r.filled, 13);
  CU_ASSERT_EQUAL(r.skipped, 0);
  CU_ASSERT_EQUAL(r.not_filled, 3);
  CU_ASSERT_EQUAL(r.params_imported, 14714688);
  CU_ASSERT_EQUAL(r.params_total, 138357544);
  CU_ASSERT_EQUAL(r.listed, 16);
  CU_ASSERT_STRING_EQUAL(r.layers[0].name, "block1_conv1");
  CU_ASSERT_EQUAL(r.layers[0].params, 3 * 3 * 3 * 64 + 64);
  CU_ASSERT_STRING_EQUAL(r.layers[12].name, "block5_conv3");
  CU_ASSERT(listed(&r, "fc1", NETC_IMPORT_NOT_FILLED));
  CU_ASSERT(listed(&r, "fc2", NETC_IMPORT_NOT_FILLED));
  CU_ASSERT(listed(&r, "predictions", NETC_IMPORT_NOT_FILLED));
  CU_ASSERT_EQUAL(r.layers[13].params, 25088 * 4096 + 4096);
  expect_vgg16(s, "", 0);
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "fc1/bias", top_after, 4096), NETC_OK);
  CU_ASSERT_EQUAL(memcmp(top_before, top_after, sizeof top_before), 0);

  import_ok(s, full_keras2(), &r);
  CU_ASSERT_EQUAL(r.filled, 16);
  CU_ASSERT_EQUAL(r.skipped + r.not_filled, 0);
  CU_ASSERT_EQUAL(r.params_imported, 138357544);
  CU_ASSERT_EQUAL(r.params_total, 138357544);
  expect_vgg16(s, "", 1);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* A model with only the classifier takes fc1, fc2 and predictions from
** the full file and skips the rest; fc1 reads the 7x7x512 map channels
** last, as Keras's Flatten does. */
static void test_flatten_channels_last(void) {
  netc_model *m;
  netc_import_report r;
  netc_session *s = session_on("model top\n"
                               "input map : f32[batch, 7, 7, 512]\n"
                               "flatten = flatten(map)\n"
                               "fc1 = dense(flatten, 4096, act=relu)\n"
                               "fc2 = dense(fc1, 4096, act=relu)\n"
                               "output p = dense(fc2, 1000, act=softmax, name=\"predictions\")\n",
                               full_keras2(), &m, &r);
  CU_ASSERT_EQUAL(r.filled, 3);
  CU_ASSERT_EQUAL(r.skipped, 13);
  CU_ASSERT(listed(&r, "block1_conv1", NETC_IMPORT_SKIPPED));
  CU_ASSERT_EQUAL(r.layers[0].params, 3 * 3 * 3 * 64 + 64);
  CU_ASSERT_EQUAL(r.params_imported, 25088 * 4096 + 4096 + 4096 * 4096 + 4096 + 4097 * 1000);
  enum { H = 7, C = 512, UNITS = 4096 };
  static float map[H * H * C];
  for (int i = 0; i < H * H * C; i++) map[i] = (float)((i * 7919) % 1000) / 1000.0f;
  netc_feed feed = {"map", {NETC_F32, 4, {1, H, H, C}, map}};
  const char *fetch[] = {"fc1/relu"}; /* the layer's output */
  netc_tensor out;
  CU_ASSERT_EQUAL_FATAL(netc_session_run(s, "predict", &feed, 1, fetch, 1, &out), NETC_OK);
  CU_ASSERT_EQUAL_FATAL(netc_tensor_elements(&out), UNITS);
  const float *y = out.data;
  double worst = 0;
  for (int j = 0; j < UNITS; j += 97) {
    double sum = keras_fixture_value(SEED, "fc1", 1, j);
    for (int h = 0, row = 0; h < H; h++)
      for (int w = 0; w < H; w++)
        for (int c = 0; c < C; c++, row++)
          sum += map[(h * H + w) * C + c] *
                 (double)keras_fixture_value(SEED, "fc1", 0, (int64_t)row * UNITS + j);
    double err = fabs(y[j] - (sum > 0 ? sum : 0));
    if (err > worst) worst = err;
  }
  CU_ASSERT(worst < 1e-3);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* catsdogs.net imports vgg16.net's base: it is filled, the new top keeps
** its bytes. */
static void test_partial_into_catsdogs(void) {
  netc_model *m = compile_file("catsdogs.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  netc_session *s = new_session(m);
  int dense = cc_graph_find_param(s->g, "dense/kernel");
  CU_ASSERT_FATAL(dense >= 0);
  /* the top's params come after the base's, to the end of the buffer */
  size_t top_at = s->param_offset[dense], top_floats = (size_t)param_floats(s) - top_at;
  float *top = malloc(top_floats * sizeof *top);
  memcpy(top, s->params + top_at, top_floats * sizeof *top);
  netc_import_report r;
  import_ok(s, full_keras2(), &r);
  CU_ASSERT_EQUAL(r.filled, 13);
  CU_ASSERT_EQUAL(r.skipped, 3); /* fc1, fc2, predictions */
  CU_ASSERT_EQUAL(r.not_filled, 2);
  CU_ASSERT(listed(&r, "fc1", NETC_IMPORT_SKIPPED));
  CU_ASSERT(listed(&r, "dense", NETC_IMPORT_NOT_FILLED));
  CU_ASSERT(listed(&r, "logits", NETC_IMPORT_NOT_FILLED));
  CU_ASSERT_EQUAL(r.params_imported, 14714688);
  CU_ASSERT_EQUAL(r.params_total, 21137986);
  expect_vgg16(s, "", 0);
  CU_ASSERT_EQUAL(memcmp(top, s->params + top_at, top_floats * sizeof *top), 0);
  free(top);

  /* a missing layer is reported and its weights stay */
  float before[256];
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "block3_conv2/bias", before, 256), NETC_OK);
  import_ok(s, fixture("omit.h5", KERAS_KERAS2, 1, "block3_conv2", NULL, 1), &r);
  CU_ASSERT_EQUAL(r.filled, 12);
  CU_ASSERT_EQUAL(r.not_filled, 3);
  CU_ASSERT(listed(&r, "block3_conv2", NETC_IMPORT_NOT_FILLED));
  float after[256];
  CU_ASSERT_EQUAL(netc_session_get_weight(s, "block3_conv2/bias", after, 256), NETC_OK);
  CU_ASSERT_EQUAL(memcmp(before, after, sizeof before), 0);

  import_fails(s, fixture("misshape.h5", KERAS_RELEASED, 1, NULL, "block3_conv2", 0),
               NETC_ESHAPE, "block3_conv2/kernel: file has f32[3,3,256,128] "
               "(/block3_conv2/block3_conv2_W_1:0), model expects f32[3,3,256,256]");
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* ------------------------------------------------------------ numerics */

static const char block1_source[] =
    "model block1\n"
    "input image : f32[batch, 8, 8, 3]\n"
    "block1_conv1 = conv2d(image, 64, 3, padding=same, act=relu)\n"
    "block1_conv2 = conv2d(block1_conv1, 64, 3, padding=same, act=relu)\n"
    "output pool = maxpool(block1_conv2, 2, name=\"block1_pool\")\n";

/* relu(cross-correlation with "same" padding) of x [8,8,cin] with the
** fixture's kernel of `layer`, into y [8,8,64]. */
static void reference_conv(const float *x, int cin, const char *layer, float *y) {
  enum { N = 8, COUT = 64 };
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      for (int o = 0; o < COUT; o++) {
        double sum = keras_fixture_value(SEED, layer, 1, o);
        for (int di = 0; di < 3; di++)
          for (int dj = 0; dj < 3; dj++) {
            int r = i + di - 1, c = j + dj - 1;
            if (r < 0 || r >= N || c < 0 || c >= N) continue;
            for (int k = 0; k < cin; k++)
              sum += x[(r * N + c) * cin + k] *
                     (double)keras_fixture_value(SEED, layer, 0,
                                                 ((di * 3 + dj) * cin + k) * COUT + o);
          }
        y[(i * N + j) * COUT + o] = sum > 0 ? (float)sum : 0.0f;
      }
}

static double max_difference(const float *a, const float *b, int n) {
  double worst = 0;
  for (int i = 0; i < n; i++)
    if (fabs(a[i] - b[i]) > worst) worst = fabs(a[i] - b[i]);
  return worst;
}

/* Block 1 of the imported graph against plain loops, in the model.save
** layout: conv1, conv2, then 2x2 max pooling. */
static void test_block1_numerics(void) {
  netc_model *m;
  netc_import_report r;
  netc_session *s = session_on(block1_source, fixture("notop_keras2_saved.h5", KERAS_KERAS2,
                                                      1, NULL, NULL, 1), &m, &r);
  CU_ASSERT_EQUAL(r.filled, 2);
  CU_ASSERT_EQUAL(r.skipped, 11);
  CU_ASSERT_EQUAL(r.not_filled, 0);
  expect_layer(s, "", &keras_vgg16[1]);
  expect_layer(s, "", &keras_vgg16[2]);
  static float x[8 * 8 * 3], y1[8 * 8 * 64], y2[8 * 8 * 64], pool[4 * 4 * 64];
  for (int i = 0; i < 8 * 8 * 3; i++) x[i] = (float)((i * 37) % 255) - 120.0f;
  reference_conv(x, 3, "block1_conv1", y1);
  reference_conv(y1, 64, "block1_conv2", y2);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      for (int c = 0; c < 64; c++) {
        float best = -INFINITY;
        for (int k = 0; k < 4; k++) {
          float v = y2[((2 * i + k / 2) * 8 + 2 * j + k % 2) * 64 + c];
          if (v > best) best = v;
        }
        pool[(i * 4 + j) * 64 + c] = best;
      }
  netc_feed feed = {"image", {NETC_F32, 4, {1, 8, 8, 3}, x}};
  const char *fetch[] = {"block1_conv1/relu", "block1_conv2/relu", "pool"};
  netc_tensor out[3];
  netc_status st = netc_session_run(s, "predict", &feed, 1, fetch, 3, out);
  if (st != NETC_OK) fprintf(stderr, "\n  %s\n", netc_session_error(s));
  CU_ASSERT_EQUAL_FATAL(st, NETC_OK);
  CU_ASSERT_EQUAL(netc_tensor_elements(&out[2]), 4 * 4 * 64);
  CU_ASSERT(max_difference(out[0].data, y1, 8 * 8 * 64) < 1e-3);
  CU_ASSERT(max_difference(out[1].data, y2, 8 * 8 * 64) < 1e-3);
  CU_ASSERT(max_difference(out[2].data, pool, 4 * 4 * 64) < 1e-3);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* A block of one layer named as Keras's first, and a weight set `one` of it. */
#define WEIGHT_SET                                       \
  "model sets\n"                                         \
  "input image : f32[batch, 8, 8, 3]\n"                  \
  "block b(x) {\n"                                       \
  "  block1_conv1 = conv2d(x, 64, 3, padding=same)\n"    \
  "  return block1_conv1\n"                              \
  "}\n"                                                  \
  "one = b\n"

/* Layers of a weight set are "SET/NAME": matched by their suffix, unless
** two sets make it ambiguous. */
static void test_prefixed_layers(void) {
  netc_model *m;
  netc_import_report r;
  netc_session *s = session_on(WEIGHT_SET "output y = one(image)\n", notop_released(), &m, &r);
  CU_ASSERT_EQUAL(r.filled, 1);
  CU_ASSERT(listed(&r, "one/block1_conv1", NETC_IMPORT_FILLED));
  expect_layer(s, "one/", &keras_vgg16[1]);
  netc_session_destroy(s);
  netc_model_destroy(m);

  s = session_on(WEIGHT_SET "two = b\noutput y = one(image) + two(image)\n", NULL, &m, &r);
  import_fails(s, notop_released(), NETC_EINVAL,
               "layer block1_conv1 of the file could fill model layer one/block1_conv1 "
               "or two/block1_conv1");
  netc_session_destroy(s);
  netc_model_destroy(m);
}

/* --------------------------------------------------------- bad files */

/* A copy of `from` at `to` whose layer `layer` lists `names` as its
** weights (fixed-length strings). */
static void rewrite_weight_names(const char *from, const char *to, const char *layer,
                                 const char *const *names, int n) {
  char command[4096];
  snprintf(command, sizeof command, "cp '%s' '%s'", from, to);
  CU_ASSERT_EQUAL_FATAL(system(command), 0);
  hid_t file = H5Fopen(to, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t g = H5Gopen2(file, layer, H5P_DEFAULT);
  CU_ASSERT_FATAL(file >= 0 && g >= 0);
  CU_ASSERT(H5Adelete(g, "weight_names") >= 0);
  hsize_t dim = (hsize_t)n;
  hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate_simple(1, &dim, NULL);
  H5Tset_size(type, 64);
  char buf[4][64] = {{0}};
  for (int i = 0; i < n; i++) snprintf(buf[i], sizeof buf[i], "%s", names[i]);
  hid_t attr = H5Acreate2(g, "weight_names", type, space, H5P_DEFAULT, H5P_DEFAULT);
  CU_ASSERT(attr >= 0 && H5Awrite(attr, type, buf) >= 0);
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
  H5Gclose(g);
  H5Fclose(file);
}

static void write_bytes(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(fwrite(data, 1, size, f), size);
  fclose(f);
}

static void test_bad_files(void) {
  netc_model *m;
  netc_session *s = session_on(block1_source, NULL, &m, NULL);
  const char *good = notop_released();

  const char *kernel_only[] = {"block1_conv1_W_1:0"};
  rewrite_weight_names(good, tmp_path(1, "one_weight.h5"), "block1_conv1", kernel_only, 1);
  import_fails(s, tmp_path(1, "one_weight.h5"), NETC_ESHAPE,
               "layer block1_conv1: the file has 1 weight (block1_conv1_W_1:0), the "
               "model's layer block1_conv1 has 2 (kernel, bias)");
  const char *absent[] = {"block1_conv1_W_1:0", "block1_conv1_b_9:0"};
  rewrite_weight_names(good, tmp_path(1, "absent.h5"), "block1_conv1", absent, 2);
  import_fails(s, tmp_path(1, "absent.h5"), NETC_EFORMAT,
               "layer block1_conv1: weight /block1_conv1/block1_conv1_b_9:0 is missing");

  netc_session_save(s, tmp_path(1, "netc.h5"));
  import_fails(s, tmp_path(1, "netc.h5"), NETC_EFORMAT,
               "an HDF5 file but not a Keras weight file");
  write_bytes(tmp_path(1, "text.h5"), "layer_names\n", 12);
  import_fails(s, tmp_path(1, "text.h5"), NETC_EFORMAT, "not an HDF5 file");
  write_bytes(tmp_path(1, "empty.h5"), "", 0);
  import_fails(s, tmp_path(1, "empty.h5"), NETC_EFORMAT, "is empty");
  import_fails(s, folder, NETC_EIO, "is a folder");
  import_fails(s, tmp_path(1, "missing.h5"), NETC_EIO, "cannot open");

  /* truncated: HDF5 sees it at once, or the check reads the lost data */
  FILE *f = fopen(good, "rb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fseek(f, 0, SEEK_END);
  size_t size = (size_t)ftell(f);
  rewind(f);
  char *bytes = malloc(size);
  CU_ASSERT_EQUAL_FATAL(fread(bytes, 1, size, f), size);
  fclose(f);
  const size_t cuts[] = {100, 4096, size / 2, size - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
    write_bytes(tmp_path(1, "truncated.h5"), bytes, cuts[i]);
    import_fails(s, tmp_path(1, "truncated.h5"), NETC_EFORMAT, "truncated");
  }
  free(bytes);

  CU_ASSERT_EQUAL(netc_session_import_keras(NULL, good, NULL), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_session_import_keras(s, NULL, NULL), NETC_EINVAL);
  netc_session_destroy(s);
  netc_model_destroy(m);
}

static const test_case TESTS[] = {
    {"notop then full file into vgg16.net", test_vgg16},
    {"flatten is channels last", test_flatten_channels_last},
    {"partial import into catsdogs.net, missing and mis-shaped layers",
     test_partial_into_catsdogs},
    {"block 1 against plain loops (model.save layout)", test_block1_numerics},
    {"weight-set prefixes", test_prefixed_layers},
    {"bad files", test_bad_files},
    {0, 0},
};

#include "tests/unit/cunit_main.h"
