/*
** test_compile.c: the compiler end to end, from .net text to the graph IR,
** through the public entry points (netc_model_compile_file/_source) and the
** IR behind the handle (compiler/model.h): the four reference models, layer
** naming, shared weights and weight sets, freeze, training settings,
** constant folding, literal dtypes, diagnostics with their positions, the
** status codes of the API and the summary text.
**
** To add a case: compile with compile_text() or compile_model(), then look
** things up with layer(), param(), node_named() and shape_of(); diagnostics
** are in diags() as "line:col: severity: message [hint: ...]" lines. List
** new test functions in TESTS at the end of the file.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "compiler/model.h"
#include "netc.h"
#include "tests/unit/test_case.h"

/* ------------------------------------------------------------- checking */

#define EXPECT_STR(actual, expected) \
  expect_str((actual), (expected), __LINE__)
static void expect_str(const char *actual, const char *expected,
                       unsigned line) {
  static char what[4096];
  int same = actual && expected && strcmp(actual, expected) == 0;
  snprintf(what, sizeof what, "got \"%.1000s\", expected \"%.1000s\"", /* both fit */
           actual ? actual : "(null)", expected ? expected : "(null)");
  CU_assertImplementation(same, line, what, __FILE__, "", CU_FALSE);
}

/* --------------------------------------------------------- compiling */

/* Diagnostics of the last compile, one line each. */
static char diag_text[16384];
static int n_errors, n_warnings, n_notes;

static void collect(const netc_diagnostic *d, void *user) {
  (void)user;
  static const char *const words[] = {"error", "warning", "note"};
  size_t used = strlen(diag_text);
  snprintf(diag_text + used, sizeof diag_text - used, "%d:%d: %s: %s%s%s%s\n",
           d->line, d->column, words[d->severity], d->message,
           d->hint ? " [hint: " : "", d->hint ? d->hint : "", d->hint ? "]" : "");
  if (d->severity == NETC_SEVERITY_ERROR) n_errors++;
  else if (d->severity == NETC_SEVERITY_WARNING) n_warnings++;
  else n_notes++;
}

static const char *diags(void) { return diag_text; }

static void reset_diags(void) {
  diag_text[0] = '\0';
  n_errors = n_warnings = n_notes = 0;
}

static const char *models_dir(void) {
  static char path[1024];
  const char *top = getenv("top_srcdir");
  snprintf(path, sizeof path, "%s/models", top && *top ? top : ".");
  return path;
}

/* The current test's model; compile_*() replace it, done() releases it. */
static netc_model *M;
static cc_graph *G;
static netc_status status;

static void done(void) {
  netc_model_destroy(M);
  M = NULL;
  G = NULL;
}

static netc_compile_options options(void) {
  static const char *paths[2];
  paths[0] = models_dir();
  paths[1] = NULL;
  netc_compile_options o = {collect, NULL, paths, 0};
  return o;
}

/* models/NAME through netc_model_compile_file. */
static netc_model *compile_model(const char *name) {
  done();
  reset_diags();
  char path[1100];
  snprintf(path, sizeof path, "%s/%s", models_dir(), name);
  netc_compile_options o = options();
  status = netc_model_compile_file(path, &o, &M);
  G = M ? &M->graph : NULL;
  return M;
}

/* Text through netc_model_compile_source, named "t.net". */
static netc_model *compile_text(const char *text) {
  done();
  reset_diags();
  netc_compile_options o = options();
  status = netc_model_compile_source("t.net", text, strlen(text), &o, &M);
  G = M ? &M->graph : NULL;
  return M;
}

/* Compiles text that must succeed without any diagnostic. */
#define COMPILE_OK(text) compile_ok((text), __LINE__)
static cc_graph *compile_ok(const char *text, unsigned line) {
  compile_text(text);
  expect_str(diags(), "", line);
  CU_assertImplementation(status == NETC_OK && M != NULL, line,
                          "compiles with NETC_OK", __FILE__, "", CU_TRUE);
  return G;
}

/* Compiles text that must fail with exactly these diagnostics. */
#define EXPECT_DIAGS(text, expected) expect_diags((text), (expected), __LINE__)
static void expect_diags(const char *text, const char *expected,
                         unsigned line) {
  compile_text(text);
  CU_assertImplementation(status == NETC_ECOMPILE, line,
                          "compile returns NETC_ECOMPILE", __FILE__, "", CU_FALSE);
  CU_assertImplementation(M == NULL, line, "no model on errors", __FILE__, "",
                          CU_FALSE);
  expect_str(diags(), expected, line);
}

/* ------------------------------------------------------------- lookups */

static const cc_layer *layer(const char *name) {
  int i = G ? cc_graph_find_layer(G, name) : -1;
  if (i < 0) {
    char what[256];
    snprintf(what, sizeof what, "layer '%s' exists", name);
    CU_assertImplementation(0, __LINE__, what, __FILE__, "", CU_TRUE);
  }
  return &G->layers[i];
}

static const cc_param *param(const char *name) {
  int i = G ? cc_graph_find_param(G, name) : -1;
  if (i < 0) {
    char what[256];
    snprintf(what, sizeof what, "param '%s' exists", name);
    CU_assertImplementation(0, __LINE__, what, __FILE__, "", CU_TRUE);
  }
  return &G->params[i];
}

static const cc_node *node_named(const char *name) {
  int i = G ? cc_graph_find_node(G, name) : -1;
  if (i < 0) {
    char what[256];
    snprintf(what, sizeof what, "node '%s' exists", name);
    CU_assertImplementation(0, __LINE__, what, __FILE__, "", CU_TRUE);
  }
  return &G->nodes[i];
}

static const cc_entry *entry(const char *name) {
  int i = G ? cc_graph_find_entry(G, name) : -1;
  if (i < 0) {
    char what[256];
    snprintf(what, sizeof what, "entry '%s' exists", name);
    CU_assertImplementation(0, __LINE__, what, __FILE__, "", CU_TRUE);
  }
  return &G->entries[i];
}

static const cc_output *output(const char *name) {
  for (int i = 0; G && i < G->n_outputs; i++)
    if (strcmp(G->outputs[i].name, name) == 0) return &G->outputs[i];
  char what[256];
  snprintf(what, sizeof what, "output '%s' exists", name);
  CU_assertImplementation(0, __LINE__, what, __FILE__, "", CU_TRUE);
  return NULL;
}

/* "(batch, 26, 26, 32)" as Keras prints it. */
static const char *shape_of(const cc_node *n) {
  static char text[8][128];
  static int next;
  char *t = text[next++ % 8];
  nc_buf b;
  nc_buf_init(&b);
  cc_format_shape(&b, G, &n->shape);
  snprintf(t, 128, "%s", nc_buf_str(&b));
  nc_buf_release(&b);
  return t;
}

static const char *layer_shape(const char *name) {
  return shape_of(&G->nodes[layer(name)->output]);
}

static const char *param_shape(const char *name) {
  return shape_of(&G->nodes[param(name)->node]);
}

static int64_t param_elements(int p) {
  return cc_shape_elements(&G->nodes[G->params[p].node].shape);
}

static int64_t layer_params(const char *name) {
  const cc_layer *l = layer(name);
  int64_t n = 0;
  for (int p = 0; p < l->n_params; p++) n += param_elements(l->first_param + p);
  return n;
}

/* Parameters the value of `node` depends on (inputs precede their users). */
static int64_t params_reachable(int node) {
  unsigned char *seen = calloc((size_t)G->n_nodes, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
  seen[node] = 1;
  int64_t total = 0;
  for (int i = node; i >= 0; i--) {
    if (!seen[i]) continue;
    const cc_node *n = &G->nodes[i];
    if (n->op == CC_OP_PARAM) total += param_elements(n->param);
    for (int k = 0; k < n->n_inputs; k++) seen[n->inputs[k]] = 1;
  }
  free(seen);
  return total;
}

static int depends_on(int node, int target) {
  unsigned char *seen = calloc((size_t)G->n_nodes, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
  seen[node] = 1;
  int found = 0;
  for (int i = node; i >= 0 && !found; i--) {
    if (!seen[i]) continue;
    if (i == target) found = 1;
    for (int k = 0; k < G->nodes[i].n_inputs; k++) seen[G->nodes[i].inputs[k]] = 1;
  }
  free(seen);
  return found;
}

/* Layer names in creation order, space-separated. */
static const char *layer_names(void) {
  static char text[2048];
  text[0] = '\0';
  for (int i = 0; G && i < G->n_layers; i++) {
    size_t used = strlen(text);
    snprintf(text + used, sizeof text - used, "%s%s", i ? " " : "", G->layers[i].name);
  }
  return text;
}

/* Param names in creation order, space-separated. */
static const char *param_names(void) {
  static char text[4096];
  text[0] = '\0';
  for (int i = 0; G && i < G->n_params; i++) {
    size_t used = strlen(text);
    snprintf(text + used, sizeof text - used, "%s%s", i ? " " : "", G->params[i].name);
  }
  return text;
}

/* Names of the inputs an entry feeds, space-separated. */
static const char *feeds_of(const cc_entry *e) {
  static char text[256];
  text[0] = '\0';
  for (int i = 0; i < e->n_feeds; i++) {
    size_t used = strlen(text);
    snprintf(text + used, sizeof text - used, "%s%s", i ? " " : "",
             G->inputs[e->feeds[i]].name);
  }
  return text;
}

static double setting(const cc_setting *table, int n, const char *key,
                      int *found) {
  *found = 0;
  for (int i = 0; i < n; i++)
    if (strcmp(table[i].key, key) == 0) {
      *found = 1;
      return table[i].value;
    }
  return 0;
}

#define EXPECT_SETTING(table, n, key, value)                        \
  do {                                                              \
    int found_;                                                     \
    double got_ = setting((table), (n), (key), &found_);            \
    CU_ASSERT_TRUE(found_);                                         \
    CU_ASSERT_DOUBLE_EQUAL(got_, (value), 1e-12);                   \
  } while (0)

static int count_ops(cc_op op) {
  int n = 0;
  for (int i = 0; G && i < G->n_nodes; i++) n += G->nodes[i].op == op;
  return n;
}

/* Nodes of op `op` that read node `input` directly. */
static int users_of(int input, cc_op op) {
  int n = 0;
  for (int i = 0; i < G->n_nodes; i++)
    for (int k = 0; k < G->nodes[i].n_inputs; k++)
      if (G->nodes[i].op == op && G->nodes[i].inputs[k] == input) n++;
  return n;
}

/* ------------------------------------------------------------- models */

static void test_mnist(void) {
  compile_model("mnist.net");
  CU_ASSERT_EQUAL_FATAL(status, NETC_OK);
  CU_ASSERT_PTR_NOT_NULL_FATAL(M);
  EXPECT_STR(diags(), "");
  EXPECT_STR(netc_model_name(M), "mnist");
  EXPECT_STR(layer_names(),
             "conv2d conv2d_1 maxpool dropout flatten dense dropout_1 logits");
  EXPECT_STR(layer_shape("conv2d"), "(batch, 26, 26, 32)");
  EXPECT_STR(layer_shape("conv2d_1"), "(batch, 24, 24, 64)");
  EXPECT_STR(layer_shape("maxpool"), "(batch, 12, 12, 64)");
  EXPECT_STR(layer_shape("dropout"), "(batch, 12, 12, 64)");
  EXPECT_STR(layer_shape("flatten"), "(batch, 9216)");
  EXPECT_STR(layer_shape("dense"), "(batch, 128)");
  EXPECT_STR(layer_shape("logits"), "(batch, 10)");
  EXPECT_STR(layer("conv2d_1")->type, "conv2d");
  EXPECT_STR(layer("logits")->type, "dense");
  CU_ASSERT_PTR_NULL(layer("logits")->scope);
  CU_ASSERT_EQUAL(layer_params("conv2d"), 320);
  CU_ASSERT_EQUAL(layer_params("conv2d_1"), 18496);
  CU_ASSERT_EQUAL(layer_params("maxpool"), 0);
  CU_ASSERT_EQUAL(layer_params("dense"), 1179776);
  CU_ASSERT_EQUAL(layer_params("logits"), 1290);
  EXPECT_STR(param_names(),
             "conv2d/kernel conv2d/bias conv2d_1/kernel conv2d_1/bias "
             "dense/kernel dense/bias logits/kernel logits/bias");
  EXPECT_STR(param_shape("conv2d/kernel"), "(3, 3, 1, 32)");
  EXPECT_STR(param_shape("conv2d_1/kernel"), "(3, 3, 32, 64)");
  EXPECT_STR(param_shape("dense/kernel"), "(9216, 128)");
  EXPECT_STR(param_shape("logits/bias"), "(10)");
  EXPECT_STR(param("dense/kernel")->short_name, "kernel");
  CU_ASSERT_EQUAL(param("dense/kernel")->init, CC_INIT_GLOROT_UNIFORM);
  CU_ASSERT_EQUAL(param("dense/bias")->init, CC_INIT_ZEROS);
  int64_t trainable = -1, frozen = -1;
  CU_ASSERT_EQUAL(netc_model_param_counts(M, &trainable, &frozen), NETC_OK);
  CU_ASSERT_EQUAL(trainable, 1199882);
  CU_ASSERT_EQUAL(frozen, 0);
  /* Inputs, outputs and entry points. */
  CU_ASSERT_EQUAL_FATAL(G->n_inputs, 2);
  EXPECT_STR(G->inputs[0].name, "image");
  EXPECT_STR(shape_of(&G->nodes[G->inputs[0].node]), "(batch, 28, 28, 1)");
  CU_ASSERT_EQUAL(G->nodes[G->inputs[1].node].dtype, NETC_I32);
  CU_ASSERT_EQUAL(output("probs")->kind, CC_OUTPUT);
  CU_ASSERT_EQUAL(output("xent")->kind, CC_LOSS);
  CU_ASSERT_EQUAL(output("acc")->kind, CC_METRIC);
  EXPECT_STR(shape_of(&G->nodes[output("xent")->node]), "()");
  EXPECT_STR(feeds_of(entry("predict")), "image");
  EXPECT_STR(feeds_of(entry("evaluate")), "image label");
  EXPECT_STR(feeds_of(entry("train")), "image label");
  CU_ASSERT_EQUAL(entry("predict")->kind, CC_ENTRY_PREDICT);
  CU_ASSERT_EQUAL(entry("predict")->n_fetches, 1);
  CU_ASSERT_EQUAL(entry("evaluate")->n_fetches, 3);
  CU_ASSERT_EQUAL(entry("train")->kind, CC_ENTRY_TRAIN);
  /* Training. */
  CU_ASSERT_TRUE(G->train.present);
  EXPECT_STR(G->train.optimizer, "adam");
  EXPECT_STR(G->outputs[G->train.loss].name, "xent");
  EXPECT_SETTING(G->train.hyper, G->train.n_hyper, "lr", 0.001);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "batch", 128);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "epochs", 12);
  /* The IR is topologically ordered. */
  int ordered = 1;
  for (int i = 0; i < G->n_nodes; i++)
    for (int k = 0; k < G->nodes[i].n_inputs; k++)
      ordered &= G->nodes[i].inputs[k] >= 0 && G->nodes[i].inputs[k] < i;
  CU_ASSERT_TRUE(ordered);
  done();
}

static void test_vgg16(void) {
  compile_model("vgg16.net");
  CU_ASSERT_EQUAL_FATAL(status, NETC_OK);
  EXPECT_STR(diags(), "");
  EXPECT_STR(netc_model_name(M), "vgg16");
  EXPECT_STR(layer_shape("block1_conv1"), "(batch, 224, 224, 64)");
  EXPECT_STR(layer_shape("block3_pool"), "(batch, 28, 28, 256)");
  EXPECT_STR(layer_shape("block5_conv3"), "(batch, 14, 14, 512)");
  EXPECT_STR(layer_shape("block5_pool"), "(batch, 7, 7, 512)");
  EXPECT_STR(layer_shape("flatten"), "(batch, 25088)");
  EXPECT_STR(layer_shape("fc1"), "(batch, 4096)");
  EXPECT_STR(layer_shape("predictions"), "(batch, 1000)");
  EXPECT_STR(param_shape("fc1/kernel"), "(25088, 4096)");
  EXPECT_STR(param_shape("block5_conv1/kernel"), "(3, 3, 512, 512)");
  CU_ASSERT_EQUAL(G->n_layers, 23);
  CU_ASSERT_EQUAL(G->n_params, 32);
  /* conv_base is the block5_pool layer's result. */
  const cc_output *base = output("conv_base");
  CU_ASSERT_EQUAL(base->node, layer("block5_pool")->output);
  CU_ASSERT_EQUAL(params_reachable(base->node), 14714688);
  CU_ASSERT_EQUAL(params_reachable(output("probs")->node), 138357544);
  int64_t trainable, frozen;
  CU_ASSERT_EQUAL(netc_model_param_counts(M, &trainable, &frozen), NETC_OK);
  CU_ASSERT_EQUAL(trainable, 138357544);
  CU_ASSERT_EQUAL(frozen, 0);
  /* No train declaration: only predict. */
  CU_ASSERT_FALSE(G->train.present);
  CU_ASSERT_EQUAL(G->n_entries, 1);
  EXPECT_STR(G->entries[0].name, "predict");
  CU_ASSERT_EQUAL(G->entries[0].n_fetches, 2);
  done();
}

static void check_catsdogs(void) {
  EXPECT_STR(netc_model_name(M), "catsdogs");
  /* The imported layers keep Keras's names and belong to the alias. */
  const cc_layer *conv = layer("block1_conv1");
  EXPECT_STR(conv->scope, "vgg");
  EXPECT_STR(layer("block5_pool")->scope, "vgg");
  EXPECT_STR(layer_shape("block5_pool"), "(batch, 7, 7, 512)");
  CU_ASSERT_EQUAL(cc_graph_find_layer(G, "vgg/block1_conv1"), -1);
  CU_ASSERT_EQUAL(cc_graph_find_param(G, "vgg/block1_conv1/kernel"), -1);
  EXPECT_STR(param_shape("block1_conv1/kernel"), "(3, 3, 3, 64)");
  /* freeze vgg: every imported weight is frozen, the new top is not. */
  int vgg_params = 0, all_frozen = 1;
  for (int i = 0; i < G->n_params; i++) {
    const cc_layer *l = &G->layers[G->params[i].layer];
    if (l->scope && strcmp(l->scope, "vgg") == 0) {
      vgg_params++;
      all_frozen &= G->params[i].trainable == 0;
    }
  }
  CU_ASSERT_EQUAL(vgg_params, 26);
  CU_ASSERT_TRUE(all_frozen);
  CU_ASSERT_EQUAL(param("block1_conv1/kernel")->trainable, 0);
  CU_ASSERT_EQUAL(param("block5_conv3/bias")->trainable, 0);
  CU_ASSERT_EQUAL(param("dense/kernel")->trainable, 1);
  CU_ASSERT_EQUAL(param("logits/bias")->trainable, 1);
  CU_ASSERT_PTR_NULL(layer("dense")->scope);
  CU_ASSERT_PTR_NULL(layer("caffe_preprocess")->scope); /* called in main */
  EXPECT_STR(layer_shape("logits"), "(batch, 2)");
  int64_t trainable, frozen;
  CU_ASSERT_EQUAL(netc_model_param_counts(M, &trainable, &frozen), NETC_OK);
  CU_ASSERT_EQUAL(frozen, 14714688);
  CU_ASSERT_EQUAL(trainable, 25088 * 256 + 256 + 256 * 2 + 2);
  /* vgg16.net's classifier, inputs and outputs are not part of this model. */
  CU_ASSERT_EQUAL(cc_graph_find_layer(G, "fc1"), -1);
  CU_ASSERT_EQUAL(G->n_inputs, 2);
  CU_ASSERT_EQUAL(G->n_outputs, 3);
  EXPECT_STR(G->train.optimizer, "adam");
  EXPECT_SETTING(G->train.hyper, G->train.n_hyper, "lr", 1e-4);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "batch", 16);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "epochs", 5);
  EXPECT_STR(feeds_of(entry("train")), "image label");
}

static void test_catsdogs(void) {
  compile_model("catsdogs.net");
  CU_ASSERT_EQUAL_FATAL(status, NETC_OK);
  EXPECT_STR(diags(), "");
  check_catsdogs();
  /* Both files are in the model's source table. */
  CU_ASSERT_EQUAL(M->sources.count, 2);
  done();
}

/* Compiled from memory under a name in a folder that does not exist, the
** import is not next to the file: it is found through the import paths, or
** reported. */
static void test_import_paths(void) {
  char path[1100];
  snprintf(path, sizeof path, "%s/catsdogs.net", models_dir());
  FILE *f = fopen(path, "rb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  static char text[8192];
  size_t size = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[size] = '\0';
  static const char *const elsewhere = "/nonexistent-netc-dir/catsdogs.net";

  reset_diags();
  netc_compile_options o = options();
  netc_model *m = NULL;
  CU_ASSERT_EQUAL(netc_model_compile_source(elsewhere, text, size, &o, &m), NETC_OK);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  EXPECT_STR(diags(), "");
  M = m;
  G = &m->graph;
  check_catsdogs();
  char expected[1200];
  snprintf(expected, sizeof expected, "%s/vgg16.net", models_dir());
  EXPECT_STR(nc_source_get(&M->sources, 1)->path, expected);
  done();

  /* Without import paths. */
  reset_diags();
  o.import_paths = NULL;
  m = (netc_model *)&o;
  CU_ASSERT_EQUAL(netc_model_compile_source(elsewhere, text, size, &o, &m),
                  NETC_ECOMPILE);
  CU_ASSERT_PTR_NULL(m);
  /* Only the first line is checked: `freeze vgg` later in the file also
  ** reports the alias (reported as a follow-on error). */
  static const char *const first =
      "6:8: error: cannot import 'vgg16.net': No such file or directory "
      "[hint: paths are relative to the importing file]\n";
  CU_ASSERT_EQUAL(strncmp(diags(), first, strlen(first)), 0);

  /* An import that does not exist anywhere. */
  EXPECT_DIAGS("import \"no_such_model.net\" as n\ninput x : f32[batch, 2]\n"
               "output y = n.f(x)\n",
               "1:8: error: cannot import 'no_such_model.net': No such file or "
               "directory [hint: paths are relative to the importing file]\n");
  /* A member the import does not have. */
  EXPECT_DIAGS("import \"vgg16.net\" as vgg\ninput x : f32[batch, 224, 224, 3]\n"
               "output y = vgg.featurs(x)\n",
               "3:16: error: 'vgg' has no block or const named 'featurs' "
               "[hint: did you mean features?]\n");
}

static void test_cartpole(void) {
  compile_model("cartpole_dqn.net");
  CU_ASSERT_EQUAL_FATAL(status, NETC_OK);
  EXPECT_STR(diags(), "");
  /* Two weight sets of one block: separate layers and params. */
  EXPECT_STR(layer_names(),
             "online/dense online/dense_1 online/dense_2 "
             "target/dense target/dense_1 target/dense_2");
  EXPECT_STR(param_names(),
             "online/dense/kernel online/dense/bias online/dense_1/kernel "
             "online/dense_1/bias online/dense_2/kernel online/dense_2/bias "
             "target/dense/kernel target/dense/bias target/dense_1/kernel "
             "target/dense_1/bias target/dense_2/kernel target/dense_2/bias");
  EXPECT_STR(layer("online/dense")->scope, "online");
  EXPECT_STR(layer("target/dense_2")->scope, "target");
  EXPECT_STR(param_shape("online/dense/kernel"), "(4, 16)");
  EXPECT_STR(param_shape("online/dense_1/kernel"), "(16, 16)");
  EXPECT_STR(param_shape("target/dense_2/kernel"), "(16, 2)");
  EXPECT_STR(param("online/dense_2/bias")->short_name, "bias");
  CU_ASSERT_NOT_EQUAL(param("online/dense/kernel")->node,
                      param("target/dense/kernel")->node);
  int64_t trainable, frozen;
  netc_model_param_counts(M, &trainable, &frozen);
  CU_ASSERT_EQUAL(trainable + frozen, 772);
  /* sync_target copies each online weight onto its target twin. */
  const cc_entry *sync = entry("sync_target");
  CU_ASSERT_EQUAL(sync->kind, CC_ENTRY_STEP);
  CU_ASSERT_EQUAL_FATAL(sync->n_copies, 6);
  CU_ASSERT_EQUAL(sync->n_feeds, 0);
  CU_ASSERT_EQUAL(sync->n_fetches, 0);
  for (int i = 0; i < sync->n_copies; i++) {
    const cc_param *dst = &G->params[sync->copies[i].dst];
    const cc_param *src = &G->params[sync->copies[i].src];
    CU_ASSERT_EQUAL(strncmp(dst->name, "target/", 7), 0);
    CU_ASSERT_EQUAL(strncmp(src->name, "online/", 7), 0);
    EXPECT_STR(dst->name + 7, src->name + 7);
    CU_ASSERT_TRUE(cc_shape_equal(&G->nodes[dst->node].shape,
                                  &G->nodes[src->node].shape));
  }
  EXPECT_STR(G->params[sync->copies[0].dst].name, "target/dense/kernel");
  EXPECT_STR(G->params[sync->copies[5].src].name, "online/dense_2/bias");
  /* predict needs only the state; training needs everything. */
  EXPECT_STR(feeds_of(entry("predict")), "state");
  EXPECT_STR(feeds_of(entry("train")), "state next_state action reward done");
  /* The TD target is behind a stop_gradient and uses the target net; q uses
  ** the online net only. */
  CU_ASSERT_EQUAL(count_ops(CC_OP_STOP_GRADIENT), 1);
  const cc_node *y = node_named("y");
  CU_ASSERT_EQUAL(y->op, CC_OP_STOP_GRADIENT);
  int q = output("q")->node;
  CU_ASSERT_TRUE(depends_on(q, param("online/dense/kernel")->node));
  CU_ASSERT_FALSE(depends_on(q, param("target/dense/kernel")->node));
  int y_index = (int)(y - G->nodes);
  CU_ASSERT_TRUE(depends_on(y_index, param("target/dense/kernel")->node));
  CU_ASSERT_FALSE(depends_on(y_index, param("online/dense/kernel")->node));
  EXPECT_STR(shape_of(&G->nodes[q]), "(batch, 2)");
  /* gamma is a compile-time constant, `1 - done` an f32 tensor. */
  CU_ASSERT_EQUAL(G->nodes[output("td")->node].op, CC_OP_MSE);
  EXPECT_STR(G->train.optimizer, "adam");
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "batch", 32);
  done();
}

/* ------------------------------------------------------------ language */

static const char *const header =
    "model t\n"
    "input v : f32[batch, 8]\n";

/* header + body, in a static buffer. */
static const char *with_header(const char *body) {
  static char text[4096];
  snprintf(text, sizeof text, "%s%s", header, body);
  return text;
}

static void test_layer_naming(void) {
  COMPILE_OK(
      "model t\n"
      "input image : f32[batch, 28, 28, 1]\n"
      "input v : f32[batch, 8]\n"
      "a = conv2d(image, 4, 3)\n"                  /* assigned once: a */
      "x = conv2d(image, 4, 3)\n"                  /* x assigned twice */
      "x = conv2d(x, 4, 3)\n"
      "b = conv2d(image, 4, 3, name=\"stem\")\n"   /* explicit wins */
      "c = dense(flatten(maxpool(image)), 3)\n"    /* nested: by type */
      "d = dense(flatten(image), 5)\n"
      "e = dense(v, 2) + dense(v, 2)\n"            /* not the whole rhs */
      "output o = reduce_mean(a) + reduce_mean(x) + reduce_mean(b)"
      " + reduce_mean(c) + reduce_mean(d) + reduce_mean(e)\n");
  EXPECT_STR(layer_names(),
             "a conv2d conv2d_1 stem maxpool flatten c flatten_1 d dense dense_1");
  EXPECT_STR(param_names(),
             "a/kernel a/bias conv2d/kernel conv2d/bias conv2d_1/kernel "
             "conv2d_1/bias stem/kernel stem/bias c/kernel c/bias d/kernel d/bias "
             "dense/kernel dense/bias dense_1/kernel dense_1/bias");
  EXPECT_STR(layer_shape("conv2d_1"), "(batch, 24, 24, 4)");
  EXPECT_STR(layer_shape("maxpool"), "(batch, 14, 14, 1)");
  EXPECT_STR(layer_shape("c"), "(batch, 3)");
  /* Layers in a block are named inside it; a direct call adds no prefix.
  ** The parameter h is assigned once in the body, so it names its layer. */
  COMPILE_OK(with_header(
      "block head(h) {\n"
      "  h = dense(h, 4)\n"
      "  out = dense(h, 2)\n"
      "  return dense(out, 1)\n"
      "}\n"
      "output o = head(v)\n"));
  EXPECT_STR(layer_names(), "h out dense");
  /* A name used twice is an error that points at both. */
  EXPECT_DIAGS(with_header("p = dense(v, 2, name=\"fc\")\nq = dense(p, 2, name=\"fc\")\n"
                           "output o = q\n"),
               "4:5: error: layer name 'fc' is already used "
               "[hint: choose another one with name=\"...\"]\n"
               "3:5: note: the dense layer 'fc' is defined here\n");
  /* Automatic names skip names that variables already took. */
  COMPILE_OK(with_header("dense_1 = dense(v, 2)\nw = dense(v, 3) + dense(v, 3)\n"
                         "output o = reduce_sum(w) + reduce_sum(dense_1)\n"));
  EXPECT_STR(layer_names(), "dense_1 dense dense_2");
  /* A variable named like a built-in hides it. */
  EXPECT_DIAGS(with_header("dense = v * 2\nz = dense(v, 3)\noutput o = z\n"),
               "4:5: error: a tensor cannot be called\n");
  done();
}

static void test_shared_weights(void) {
  static const char *const block =
      "block enc(x) {\n"
      "  h = dense(x, 4, act=relu)\n"
      "  return dense(h, 2, name=\"proj\")\n"
      "}\n";
  char text[2048];

  /* Calling a block twice directly reuses its layers and weights. */
  snprintf(text, sizeof text, "%s%sya = enc(v)\nyb = enc(v * 2)\noutput o = ya + yb\n",
           header, block);
  COMPILE_OK(text);
  EXPECT_STR(layer_names(), "h proj");
  EXPECT_STR(param_names(), "h/kernel h/bias proj/kernel proj/bias");
  CU_ASSERT_EQUAL(count_ops(CC_OP_MATMUL), 4);
  CU_ASSERT_EQUAL(users_of(param("h/kernel")->node, CC_OP_MATMUL), 2);
  CU_ASSERT_EQUAL(users_of(param("proj/kernel")->node, CC_OP_MATMUL), 2);

  /* Weight sets: each gets its own, prefixed layers and weights. */
  snprintf(text, sizeof text,
           "%s%sonline = enc\ntarget = enc\nya = online(v)\nyb = target(v)\n"
           "output o = ya + yb\n", header, block);
  COMPILE_OK(text);
  EXPECT_STR(layer_names(), "online/h online/proj target/h target/proj");
  CU_ASSERT_EQUAL(G->n_params, 8);
  CU_ASSERT_EQUAL(users_of(param("online/h/kernel")->node, CC_OP_MATMUL), 1);
  CU_ASSERT_EQUAL(users_of(param("target/h/kernel")->node, CC_OP_MATMUL), 1);

  /* `shared = online` is the same weight set, not a new one. */
  snprintf(text, sizeof text,
           "%s%sonline = enc\nshared = online\nya = online(v)\nyb = shared(v)\n"
           "yc = online(v + 1)\noutput o = ya + yb + yc\n", header, block);
  COMPILE_OK(text);
  EXPECT_STR(layer_names(), "online/h online/proj");
  EXPECT_STR(param_names(),
             "online/h/kernel online/h/bias online/proj/kernel online/proj/bias");
  CU_ASSERT_EQUAL(users_of(param("online/proj/kernel")->node, CC_OP_MATMUL), 3);

  /* Sharing needs inputs of one shape. */
  snprintf(text, sizeof text,
           "%s%sinput w : f32[batch, 3]\nya = enc(v)\nyb = enc(w)\noutput o = ya + yb\n",
           header, block);
  compile_text(text);
  CU_ASSERT_EQUAL(status, NETC_ECOMPILE);
  EXPECT_STR(diags(),
             "4:7: error: shared layer 'h' has f32[8,4] weights 'kernel', this call "
             "needs f32[3,4] [hint: calls that share weights must see inputs of one "
             "shape]\n");
  done();
}

static void test_freeze(void) {
  static const char *const body =
      "block enc(x) { return dense(x, 2, name=\"proj\") }\n"
      "online = enc\ntarget = enc\n"
      "h = dense(v, 4)\nk = dense(h, 3)\n"
      "ya = online(k)\nyb = target(k)\n"
      "loss l = reduce_mean(ya + yb)\n"
      "train sgd minimizes l\n";
  char text[2048];
  snprintf(text, sizeof text, "%s%sfreeze h, target\n", header, body);
  COMPILE_OK(text);
  CU_ASSERT_EQUAL(param("h/kernel")->trainable, 0);
  CU_ASSERT_EQUAL(param("h/bias")->trainable, 0);
  CU_ASSERT_EQUAL(param("k/kernel")->trainable, 1);
  CU_ASSERT_EQUAL(param("online/proj/kernel")->trainable, 1);
  CU_ASSERT_EQUAL(param("target/proj/kernel")->trainable, 0);
  CU_ASSERT_EQUAL(param("target/proj/bias")->trainable, 0);
  int64_t trainable, frozen;
  netc_model_param_counts(M, &trainable, &frozen);
  CU_ASSERT_EQUAL(frozen, 8 * 4 + 4 + 3 * 2 + 2);
  CU_ASSERT_EQUAL(trainable, 4 * 3 + 3 + 3 * 2 + 2);

  /* Freezing everything the loss depends on is allowed, with a warning. */
  snprintf(text, sizeof text, "%s%sfreeze h, k, online, target\n", header, body);
  compile_text(text);
  CU_ASSERT_EQUAL(status, NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(M);
  EXPECT_STR(diags(), "11:1: warning: loss 'l' depends on no trainable weight\n");

  /* Unknown names are errors, with a suggestion when one is close. */
  snprintf(text, sizeof text, "%s%sfreeze onlin, nothing_like_it\n", header, body);
  compile_text(text);
  CU_ASSERT_EQUAL(status, NETC_ECOMPILE);
  EXPECT_STR(diags(),
             "12:8: error: freeze: no layer, weight set or import named 'onlin' "
             "[hint: did you mean online?]\n"
             "12:15: error: freeze: no layer, weight set or import named "
             "'nothing_like_it'\n");
  done();
}

static void test_train_settings(void) {
  static const char *const body =
      "loss l = reduce_mean(dense(v, 2))\n"
      "metric m = reduce_mean(v)\n";
  char text[2048];
  /* Defaults. */
  snprintf(text, sizeof text, "%s%strain sgd minimizes l\n", header, body);
  COMPILE_OK(text);
  CU_ASSERT_TRUE(G->train.present);
  EXPECT_STR(G->train.optimizer, "sgd");
  EXPECT_STR(G->train.schedule, "constant");
  EXPECT_STR(G->outputs[G->train.loss].name, "l");
  CU_ASSERT_EQUAL(G->train.n_hyper, 1);
  EXPECT_SETTING(G->train.hyper, G->train.n_hyper, "lr", 0.01);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "batch", 32);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "epochs", 1);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "shuffle", 1);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "seed", 0);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "validation_split", 0);
  int found;
  setting(G->train.settings, G->train.n_settings, "clip_norm", &found);
  CU_ASSERT_FALSE(found); /* absent unless given */
  /* Everything given. */
  snprintf(text, sizeof text,
           "%s%strain adam(lr=1e-4, beta1=0.8, schedule=cosine_decay(steps=1000)) minimizes l "
           "with batch=16, epochs=5, shuffle=false, seed=7, clip_norm=1.5\n",
           header, body);
  COMPILE_OK(text);
  EXPECT_STR(G->train.optimizer, "adam");
  EXPECT_SETTING(G->train.hyper, G->train.n_hyper, "lr", 1e-4);
  EXPECT_SETTING(G->train.hyper, G->train.n_hyper, "beta1", 0.8);
  EXPECT_SETTING(G->train.hyper, G->train.n_hyper, "beta2", 0.999);
  EXPECT_SETTING(G->train.hyper, G->train.n_hyper, "epsilon", 1e-7);
  EXPECT_STR(G->train.schedule, "cosine_decay");
  EXPECT_SETTING(G->train.schedule_args, G->train.n_schedule_args, "steps", 1000);
  EXPECT_SETTING(G->train.schedule_args, G->train.n_schedule_args, "min_lr", 0);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "batch", 16);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "epochs", 5);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "shuffle", 0);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "seed", 7);
  EXPECT_SETTING(G->train.settings, G->train.n_settings, "clip_norm", 1.5);
  /* No train declaration: no train entry. */
  snprintf(text, sizeof text, "%s%s", header, body);
  COMPILE_OK(text);
  CU_ASSERT_FALSE(G->train.present);
  CU_ASSERT_EQUAL(cc_graph_find_entry(G, "train"), -1);
  CU_ASSERT_NOT_EQUAL(cc_graph_find_entry(G, "evaluate"), -1);
  /* Mistakes. */
  snprintf(text, sizeof text, "%s%strain adamm minimizes m\n", header, body);
  compile_text(text);
  CU_ASSERT_EQUAL(status, NETC_ECOMPILE);
  EXPECT_STR(diags(),
             "5:7: error: unknown optimizer 'adamm' [hint: did you mean adam?]\n"
             "5:23: error: 'm' is a metric, not a loss "
             "[hint: declare it with 'loss NAME = ...']\n");
  snprintf(text, sizeof text,
           "%s%strain adam(lr=-1, beta3=1) minimizes lost with batch=0, epoch=3\n",
           header, body);
  compile_text(text);
  CU_ASSERT_EQUAL(status, NETC_ECOMPILE);
  EXPECT_STR(diags(),
             "5:38: error: unknown loss 'lost' "
             "[hint: declare it with 'loss NAME = ...']\n"
             "5:19: error: adam has no argument 'beta3' [hint: did you mean beta1?]\n"
             "5:15: error: argument 'lr' of adam must be a positive number, got -1\n"
             "5:57: error: train settings has no argument 'epoch' "
             "[hint: did you mean epochs?]\n"
             "5:54: error: argument 'batch' of train settings must be a positive "
             "integer, got 0\n");
  snprintf(text, sizeof text, "%s%strain sgd minimizes loss1\n", header,
           "loss loss2 = reduce_mean(dense(v, 2))\n");
  compile_text(text);
  EXPECT_STR(diags(), "4:21: error: unknown loss 'loss1' [hint: did you mean loss2?]\n");
  snprintf(text, sizeof text, "%s%strain sgd minimizes l\ntrain sgd minimizes l\n",
           header, body);
  compile_text(text);
  EXPECT_STR(diags(), "6:1: error: the model already has a train declaration\n"
                      "5:1: note: the first one is here\n");
  done();
}

static void test_constant_folding(void) {
  COMPILE_OK(with_header(
      "input image : f32[batch, 28, 28, 1]\n"
      "const k = 2 * 3\n"
      "const pad = k - 3\n"
      "const half = 1 / 2\n"
      "a = conv2d(image, filters=k, kernel=pad)\n"
      "b = v * k + half\n"
      "c = v * -k\n"
      "output o = reduce_mean(a) + reduce_mean(b) + reduce_mean(c)\n"));
  EXPECT_STR(param_shape("a/kernel"), "(3, 3, 1, 6)");
  EXPECT_STR(layer_shape("a"), "(batch, 26, 26, 6)");
  /* Folded values appear as single CONST nodes. */
  int found6 = 0, found_half = 0, found_neg = 0, others = 0;
  for (int i = 0; i < G->n_nodes; i++) {
    const cc_node *n = &G->nodes[i];
    if (n->op != CC_OP_CONST || n->backward) continue;
    double value = n->attr.constant.value;
    if (value == 6) found6++;
    else if (value == 0.5) found_half++;
    else if (value == -6) found_neg++;
    else others++;
  }
  CU_ASSERT_EQUAL(found6, 1);
  CU_ASSERT_EQUAL(found_half, 1);
  CU_ASSERT_EQUAL(found_neg, 1);
  CU_ASSERT_EQUAL(others, 0);
  /* Constant errors. */
  EXPECT_DIAGS(with_header("const z = 1 / (2 - 2)\noutput o = v\n"),
               "3:11: error: division by zero in a constant expression\n");
  EXPECT_DIAGS(with_header("const t = v * 2\n"),
               "3:11: error: const 't' must be a number known at compile time "
               "[hint: use a plain assignment for tensors]\n");
  EXPECT_DIAGS(with_header("n = 3\nh = dense(v, n * 0)\noutput o = h\n"),
               "4:14: error: argument 'units' of dense must be a positive integer, "
               "got 0\n");
  done();
}

static void test_literal_dtypes(void) {
  COMPILE_OK(
      "input label : i32[batch]\n"
      "input done : f32[batch]\n"
      "a = label + 1\n"
      "b = 1 - done\n"
      "c = label * 2 - 1\n"
      "d = label == 3\n"
      "e = done * 2\n"
      "output o = cast(a + c, f32) + b + e + cast(d, f32)\n");
  const cc_node *a = node_named("a");
  CU_ASSERT_EQUAL(a->dtype, NETC_I32);
  CU_ASSERT_EQUAL(G->nodes[a->inputs[1]].op, CC_OP_CONST);
  CU_ASSERT_EQUAL(G->nodes[a->inputs[1]].dtype, NETC_I32);
  const cc_node *b = node_named("b");
  CU_ASSERT_EQUAL(b->dtype, NETC_F32);
  CU_ASSERT_EQUAL(G->nodes[b->inputs[0]].dtype, NETC_F32);
  CU_ASSERT_EQUAL(G->nodes[b->inputs[0]].attr.constant.value, 1);
  CU_ASSERT_EQUAL(node_named("c")->dtype, NETC_I32);
  CU_ASSERT_EQUAL(node_named("d")->dtype, NETC_BOOL);
  CU_ASSERT_EQUAL(G->nodes[node_named("d")->inputs[1]].dtype, NETC_I32);
  CU_ASSERT_EQUAL(G->nodes[node_named("e")->inputs[1]].dtype, NETC_F32);
  EXPECT_STR(shape_of(node_named("a")), "(batch)");
  EXPECT_STR(shape_of(&G->nodes[a->inputs[1]]), "()");
  /* A non-integer literal does not become an i32. */
  EXPECT_DIAGS("input label : i32[batch]\nx = label * 2.5\noutput o = x\n",
               "2:5: error: operator * mixes i32 and f32 [hint: use cast(x, f32)]\n");
  done();
}

/* -------------------------------------------------------- diagnostics */

static void test_diagnostics(void) {
  /* Several errors in one compile, in source order, with positions. */
  EXPECT_DIAGS("model t\n"
               "input image : f32[batch, 28, 28, 1]\n"
               "input v : f32[batch, 8]\n"
               "x = dens(image, 10)\n"
               "y = conv2d(image, filters=0, kernel=3)\n"
               "z = dense(image, 10)\n"
               "w = dense(flatten(image), 10, act=relus)\n"
               "output o = missing + 1\n",
               "4:5: error: unknown function 'dens' [hint: did you mean dense?]\n"
               "5:27: error: argument 'filters' of conv2d must be a positive "
               "integer, got 0\n"
               "6:5: error: dense expects a rank-2 input, got f32[batch,28,28,1] "
               "[hint: did you mean flatten(x)?]\n"
               "7:35: error: argument 'act' of dense must be one of linear, relu, "
               "sigmoid, tanh, softmax [hint: did you mean relu?]\n"
               "8:12: error: unknown name 'missing'\n");
  CU_ASSERT_EQUAL(n_errors, 5);
  CU_ASSERT_EQUAL(n_warnings, 0); /* v is unused, but errors come first */

  /* Syntax errors come through the same callback, and compilation still
  ** reports what it can. */
  EXPECT_DIAGS("input x : f32[batch, 2]\ny = = 1\noutput o = relu(x)\nz = (\n",
               "2:5: error: unexpected '='\n"
               "4:6: error: unexpected end of file\n");

  /* Without a callback, diagnostics are only counted. */
  reset_diags();
  netc_model *m = NULL;
  const char *text = "input x : f32[batch, 4]\noutput o = softmaxx(x)\n";
  netc_compile_options o = {NULL, NULL, NULL, 0};
  CU_ASSERT_EQUAL(netc_model_compile_source("dir/r.net", text, strlen(text), &o, &m),
                  NETC_ECOMPILE); /* no callback: only counted */
  CU_ASSERT_PTR_NULL(m);
  EXPECT_STR(diags(), "");

  /* Warnings alone do not fail the compile. */
  compile_text("input x : f32[batch, 4]\ninput unused : f32[batch]\ny = x * 2\n"
               "output o = relu(x)\n");
  CU_ASSERT_EQUAL(status, NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(M);
  EXPECT_STR(diags(), "2:7: warning: input 'unused' is never used\n"
                      "3:1: warning: variable 'y' is never used\n");

  /* max_errors caps the number of errors reported. */
  reset_diags();
  done();
  const char *many = "input x : f32[batch, 4]\na = q1\nb = q2\nc = q3\nd = q4\n";
  o.on_diagnostic = collect;
  o.max_errors = 2;
  CU_ASSERT_EQUAL(netc_model_compile_source("m.net", many, strlen(many), &o, &m),
                  NETC_ECOMPILE);
  CU_ASSERT_EQUAL(n_errors, 2);
  EXPECT_STR(diags(), "2:5: error: unknown name 'q1'\n3:5: error: unknown name 'q2'\n"
                      "0:0: note: stopping after 2 errors\n");
  done();
}

/* The whole text a callback receives. */
static char rendered_text[4096];
static void render(const netc_diagnostic *d, void *user) {
  (void)user;
  size_t used = strlen(rendered_text);
  snprintf(rendered_text + used, sizeof rendered_text - used, "%s", d->rendered);
}

static void test_rendered_diagnostic(void) {
  rendered_text[0] = '\0';
  netc_model *m = NULL;
  const char *text = "input x : f32[batch, 4]\n\noutput o = softmaxx(x, axis=1)\n";
  netc_compile_options o = {render, NULL, NULL, 0};
  CU_ASSERT_EQUAL(netc_model_compile_source("dir/r.net", text, strlen(text), &o, &m),
                  NETC_ECOMPILE);
  CU_ASSERT_PTR_NULL(m);
  EXPECT_STR(rendered_text,
             "dir/r.net:3:12: error: unknown function 'softmaxx'\n"
             "    3 | output o = softmaxx(x, axis=1)\n"
             "      |            ^~~~~~~~\n"
             "hint: did you mean softmax?\n");
  /* A warning, rendered the same way, does not fail the compile. */
  rendered_text[0] = '\0';
  text = "input x : f32[batch, 4]\noutput o = x\n\ty = x * 2\n";
  CU_ASSERT_EQUAL(netc_model_compile_source("w.net", text, strlen(text), &o, &m), NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(m);
  netc_model_destroy(m);
  EXPECT_STR(rendered_text,
             "w.net:3:2: warning: variable 'y' is never used\n"
             "    3 | \ty = x * 2\n"
             "      | \t^\n");
}

/* ----------------------------------------------------------------- API */

static int appended(const char *data, size_t size, void *user) {
  nc_buf *b = user;
  nc_buf_append(b, data, size);
  return 0;
}

static int refuse(const char *data, size_t size, void *user) {
  (void)data;
  (void)size;
  (void)user;
  return 1;
}

static void test_api_status(void) {
  /* Errors: NETC_ECOMPILE and no model. */
  netc_model *m = (netc_model *)&m;
  reset_diags();
  const char *bad = "x = = 1\n";
  CU_ASSERT_EQUAL(netc_model_compile_source("bad.net", bad, strlen(bad), NULL, &m),
                  NETC_ECOMPILE);
  CU_ASSERT_PTR_NULL(m);

  /* A missing file: NETC_EIO and a diagnostic without a location. */
  netc_compile_options o = {collect, NULL, NULL, 0};
  m = (netc_model *)&m;
  CU_ASSERT_EQUAL(netc_model_compile_file("/no/such/dir/x.net", &o, &m), NETC_EIO);
  CU_ASSERT_PTR_NULL(m);
  EXPECT_STR(diags(), "0:0: error: cannot read '/no/such/dir/x.net': "
                      "No such file or directory\n");
  m = (netc_model *)&m;
  CU_ASSERT_EQUAL(netc_model_compile_file("/no/such/dir/x.net", NULL, &m), NETC_EIO);
  CU_ASSERT_PTR_NULL(m);
  /* A folder is not a file either. */
  m = (netc_model *)&m;
  CU_ASSERT_NOT_EQUAL(netc_model_compile_file(models_dir(), NULL, &m), NETC_OK);
  CU_ASSERT_PTR_NULL(m);

  /* Invalid arguments. */
  CU_ASSERT_EQUAL(netc_model_compile_source("a", "x", 1, NULL, NULL), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_model_compile_source(NULL, "x", 1, NULL, &m), NETC_EINVAL);
  CU_ASSERT_PTR_NULL(m);
  CU_ASSERT_EQUAL(netc_model_compile_source("a", NULL, 1, NULL, &m), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_model_compile_file(NULL, NULL, &m), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_model_compile_file("x.net", NULL, NULL), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_model_param_counts(NULL, NULL, NULL), NETC_EINVAL);
  CU_ASSERT_PTR_NULL(netc_model_name(NULL));
  netc_model_destroy(NULL); /* safe */

  /* Empty text is an empty model named after the file. */
  m = NULL;
  CU_ASSERT_EQUAL(netc_model_compile_source("dir/empty.net", NULL, 0, NULL, &m), NETC_OK);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  EXPECT_STR(netc_model_name(m), "empty");
  int64_t trainable = -1, frozen = -1;
  CU_ASSERT_EQUAL(netc_model_param_counts(m, &trainable, &frozen), NETC_OK);
  CU_ASSERT_EQUAL(trainable, 0);
  CU_ASSERT_EQUAL(frozen, 0);
  CU_ASSERT_EQUAL(netc_model_param_counts(m, NULL, NULL), NETC_OK);
  netc_model_destroy(m);
  m = NULL;
  CU_ASSERT_EQUAL(netc_model_compile_source("noext", "", 0, NULL, &m), NETC_OK);
  EXPECT_STR(netc_model_name(m), "noext");
  netc_model_destroy(m);
}

/* Input that is too deep for the parser is a compile error, not a crash or
** an out-of-memory status. */
static void test_too_deep(void) {
  nc_buf text;
  nc_buf_init(&text);
  nc_buf_puts(&text, "input v : f32[batch, 2]\noutput o = ");
  nc_buf_repeat(&text, '(', 5000);
  nc_buf_putc(&text, 'v');
  nc_buf_repeat(&text, ')', 5000);
  nc_buf_puts(&text, "\n");
  compile_text(nc_buf_str(&text));
  CU_ASSERT_EQUAL(status, NETC_ECOMPILE);
  CU_ASSERT_PTR_NULL(M);
  CU_ASSERT_EQUAL(strncmp(diags(), "2:", 2), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(diags(), ": error: program nested too deeply (more than "
                                         "1000 levels)"));
  CU_ASSERT_EQUAL(n_errors, 1);
  nc_buf_clear(&text);
  nc_buf_puts(&text, "input v : f32[batch, 2]\noutput o = v");
  for (int i = 0; i < 3000; i++) nc_buf_puts(&text, " + v");
  nc_buf_puts(&text, "\n");
  compile_text(nc_buf_str(&text));
  CU_ASSERT_EQUAL(status, NETC_ECOMPILE);
  EXPECT_STR(diags(), "2:12: error: expression nested too deeply (more than 500 "
                      "levels) [hint: split it into several assignments]\n");
  nc_buf_release(&text);
  done();
}

static void test_summary(void) {
  compile_model("mnist.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(M);
  nc_buf text;
  nc_buf_init(&text);
  CU_ASSERT_EQUAL(netc_model_write_summary(M, appended, &text), NETC_OK);
  const char *s = nc_buf_str(&text);
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "Model: \"mnist\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "Total params: 1,199,882\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "Trainable params: 1,199,882\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "Non-trainable params: 0\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "conv2d_1 (conv2d)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "(batch, 24, 24, 64)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "1,179,776"));
  /* A writer that refuses the text, and missing arguments. */
  CU_ASSERT_EQUAL(netc_model_write_summary(M, refuse, NULL), NETC_EIO);
  CU_ASSERT_EQUAL(netc_model_write_summary(NULL, appended, &text), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_model_write_summary(M, NULL, NULL), NETC_EINVAL);
  /* The DOT export names the graph's nodes. */
  nc_buf_clear(&text);
  CU_ASSERT_EQUAL(netc_model_write_dot(M, appended, &text), NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(nc_buf_str(&text), "digraph"));
  CU_ASSERT_PTR_NOT_NULL(strstr(nc_buf_str(&text), "conv2d_1"));
  CU_ASSERT_EQUAL(netc_model_write_dot(M, refuse, NULL), NETC_EIO);
  nc_buf_release(&text);

  /* Frozen weights are counted apart (catsdogs freezes VGG16's base). */
  compile_model("catsdogs.net");
  CU_ASSERT_PTR_NOT_NULL_FATAL(M);
  nc_buf_init(&text);
  CU_ASSERT_EQUAL(netc_model_write_summary(M, appended, &text), NETC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(nc_buf_str(&text), "Total params: 21,137,986\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(nc_buf_str(&text), "Non-trainable params: 14,714,688\n"));
  nc_buf_release(&text);
  done();
}

static const test_case TESTS[] = {
    {"mnist.net: shapes, params, entries, training", test_mnist},
    {"vgg16.net: conv base and classifier", test_vgg16},
    {"catsdogs.net: import, frozen VGG16 base", test_catsdogs},
    {"imports: import paths and errors", test_import_paths},
    {"cartpole_dqn.net: weight sets, step, stop_gradient", test_cartpole},
    {"layer naming", test_layer_naming},
    {"shared weights, weight sets, aliases", test_shared_weights},
    {"freeze", test_freeze},
    {"train settings and defaults", test_train_settings},
    {"constant folding", test_constant_folding},
    {"literals adopt the tensor's dtype", test_literal_dtypes},
    {"diagnostics: positions, several errors, warnings, max_errors", test_diagnostics},
    {"diagnostics: rendered text", test_rendered_diagnostic},
    {"API status codes", test_api_status},
    {"input too deep to parse", test_too_deep},
    {"summary and DOT", test_summary},
    {0},
};

#include "tests/unit/cunit_main.h"
