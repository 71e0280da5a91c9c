/*
** test_summary.c: FLOPs, the model summary and the DOT export, checked on
** IR graphs built by hand (no parser involved).
**
** To add a case: build a graph with the helpers below (shapes are set by
** hand, as cc_infer would), write a `static void test_x(void)` and list it
** in TESTS at the end.
*/
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/nc_alloc.h"
#include "compiler/model.h"
#include "tests/unit/test_case.h"

/* A hand-built model: the handle the public functions take. */
static netc_model model;
static cc_graph *g;

enum { B = -1 }; /* the symbolic `batch` dim, CC_DIM_SYMBOL(0) */

static void model_init(const char *name) {
  memset(&model, 0, sizeof model);
  nc_arena_init(&model.arena);
  g = &model.graph;
  cc_graph_init(g, &model.arena);
  g->model_name = name;
  CU_ASSERT_EQUAL_FATAL(cc_graph_symbol(g, "batch"), 0);
}

static void model_release(void) { nc_arena_release(&model.arena); }

static cc_shape shape_of(int rank, const int *dims) {
  cc_shape s = {rank, {0}};
  for (int i = 0; i < rank; i++) s.dim[i] = dims[i];
  return s;
}

#define DIMS(...) (sizeof((int[]){__VA_ARGS__}) / sizeof(int)), (int[]){__VA_ARGS__}
#define INS(...) (int[]){__VA_ARGS__}, (sizeof((int[]){__VA_ARGS__}) / sizeof(int))

/* Appends node `op` of layer `layer` with an f32 result of the given dims. */
static int node(cc_op op, const char *name, int layer, const int *in,
                size_t n_in, size_t rank, const int *dims) {
  int i = cc_graph_add_node(g, op, in, (int)n_in, NC_NO_SPAN);
  CU_ASSERT_FATAL(i >= 0);
  g->nodes[i].name = name;
  g->nodes[i].layer = layer;
  g->nodes[i].dtype = NETC_F32;
  g->nodes[i].shape = shape_of((int)rank, dims);
  return i;
}

static int source(cc_op op, const char *name, int layer, size_t rank,
                  const int *dims) {
  return node(op, name, layer, NULL, 0, rank, dims);
}

static int input(const char *name, netc_dtype dtype, size_t rank,
                 const int *dims) {
  int i = source(CC_OP_INPUT, name, -1, rank, dims);
  g->nodes[i].dtype = dtype;
  cc_input *in = CC_PUSH(g, inputs);
  CU_ASSERT_FATAL(in != NULL);
  in->name = name;
  in->node = i;
  g->nodes[i].input = g->n_inputs - 1;
  return i;
}

static int param(const char *name, const char *short_name, int layer,
                 int trainable, size_t rank, const int *dims) {
  int i = source(CC_OP_PARAM, name, layer, rank, dims);
  cc_param *p = CC_PUSH(g, params);
  CU_ASSERT_FATAL(p != NULL);
  p->name = name;
  p->short_name = short_name;
  p->layer = layer;
  p->node = i;
  p->trainable = trainable;
  g->nodes[i].param = g->n_params - 1;
  return i;
}

/* Opens layer `name`; its params are the next ones created. */
static int layer(const char *name, const char *type) {
  cc_layer *l = CC_PUSH(g, layers);
  CU_ASSERT_FATAL(l != NULL);
  l->name = name;
  l->type = type;
  l->first_param = g->n_params;
  l->output = -1;
  return g->n_layers - 1;
}

/* Closes layer l: counts its params and records its result. */
static void layer_end(int l, int output) {
  g->layers[l].n_params = g->n_params - g->layers[l].first_param;
  g->layers[l].output = output;
}

static void declare(cc_output_kind kind, const char *name, int n) {
  cc_output *o = CC_PUSH(g, outputs);
  CU_ASSERT_FATAL(o != NULL);
  o->kind = kind;
  o->name = name;
  o->node = n;
}

/* Nodes of the MNIST CNN (dropout left out), for the checks below. */
static struct {
  int conv1, conv2, pool, dense1, dense2, probs, xent, acc, features;
} mnist;

/* The Keras MNIST CNN with the last dense layer frozen and an extra output
** `features` after the conv base. */
static void build_mnist(void) {
  model_init("mnist");
  int image = input("image", NETC_F32, DIMS(B, 28, 28, 1));
  int label = input("label", NETC_I32, DIMS(B));

  int l = layer("conv1", "conv2d");
  int k = param("conv1/kernel", "kernel", l, 1, DIMS(3, 3, 1, 32));
  int b = param("conv1/bias", "bias", l, 1, DIMS(32));
  mnist.conv1 = node(CC_OP_CONV2D, "conv1", l, INS(image, k), DIMS(B, 26, 26, 32));
  int x = node(CC_OP_BIAS_ADD, "conv1_bias", l, INS(mnist.conv1, b), DIMS(B, 26, 26, 32));
  x = node(CC_OP_RELU, "conv1_relu", l, INS(x), DIMS(B, 26, 26, 32));
  layer_end(l, x);

  l = layer("conv2", "conv2d");
  k = param("conv2/kernel", "kernel", l, 1, DIMS(3, 3, 32, 64));
  b = param("conv2/bias", "bias", l, 1, DIMS(64));
  mnist.conv2 = node(CC_OP_CONV2D, "conv2", l, INS(x, k), DIMS(B, 24, 24, 64));
  x = node(CC_OP_BIAS_ADD, "conv2_bias", l, INS(mnist.conv2, b), DIMS(B, 24, 24, 64));
  x = node(CC_OP_RELU, "conv2_relu", l, INS(x), DIMS(B, 24, 24, 64));
  layer_end(l, x);
  mnist.features = x;

  l = layer("pool", "maxpool");
  mnist.pool = node(CC_OP_MAXPOOL, "pool", l, INS(x), DIMS(B, 12, 12, 64));
  g->nodes[mnist.pool].attr.window.kh = g->nodes[mnist.pool].attr.window.kw = 2;
  g->nodes[mnist.pool].attr.window.sh = g->nodes[mnist.pool].attr.window.sw = 2;
  layer_end(l, mnist.pool);
  x = node(CC_OP_RESHAPE, "flatten_1", -1, INS(mnist.pool), DIMS(B, 9216));

  l = layer("dense1", "dense");
  k = param("dense1/kernel", "kernel", l, 1, DIMS(9216, 128));
  b = param("dense1/bias", "bias", l, 1, DIMS(128));
  mnist.dense1 = node(CC_OP_MATMUL, "dense1", l, INS(x, k), DIMS(B, 128));
  x = node(CC_OP_BIAS_ADD, "dense1_bias", l, INS(mnist.dense1, b), DIMS(B, 128));
  x = node(CC_OP_RELU, "dense1_relu", l, INS(x), DIMS(B, 128));
  layer_end(l, x);

  l = layer("logits", "dense");
  k = param("logits/kernel", "kernel", l, 0, DIMS(128, 10));
  b = param("logits/bias", "bias", l, 0, DIMS(10));
  mnist.dense2 = node(CC_OP_MATMUL, "logits_matmul", l, INS(x, k), DIMS(B, 10));
  int logits = node(CC_OP_BIAS_ADD, "logits", l, INS(mnist.dense2, b), DIMS(B, 10));
  layer_end(l, logits);

  mnist.probs = node(CC_OP_SOFTMAX, "probs", -1, INS(logits), DIMS(B, 10));
  mnist.xent = node(CC_OP_SPARSE_XENT, "xent", -1, INS(logits, label), 0, NULL);
  mnist.acc = node(CC_OP_ACCURACY, "acc", -1, INS(logits, label), 0, NULL);
  declare(CC_OUTPUT, "probs", mnist.probs);
  declare(CC_OUTPUT, "features", mnist.features);
  declare(CC_LOSS, "xent", mnist.xent);
  declare(CC_METRIC, "acc", mnist.acc);
}

/* Collects what netc_model_write_* hands to the callback. */
typedef struct sink {
  nc_buf text; /* everything written */
  int calls;   /* number of calls */
  int fail;    /* return this from the callback */
} sink;

static int sink_write(const char *data, size_t size, void *user) {
  sink *s = user;
  nc_buf_append(&s->text, data, size);
  s->calls++;
  return s->fail;
}

/* The report as a NUL-terminated string, released with nc_free. */
static char *summary_text(void) {
  nc_buf out;
  nc_buf_init(&out);
  cc_write_summary(g, &out);
  CU_ASSERT_FALSE(out.failed);
  return out.data;
}

static char *dot_text(void) {
  nc_buf out;
  nc_buf_init(&out);
  cc_write_dot(g, &out);
  CU_ASSERT_FALSE(out.failed);
  return out.data;
}

static int count_of(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

#define CHECK_CONTAINS(text, needle) CU_ASSERT_PTR_NOT_NULL(strstr((text), (needle)))

/* --------------------------------------------------------------- tests */

static void test_flops_layers(void) {
  build_mnist();
  /* 2 * OH*OW*F * KH*KW*C */
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[mnist.conv1]), 2LL * 26 * 26 * 32 * 3 * 3 * 1);
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[mnist.conv2]), 21233664);
  /* 2 * K * M per row */
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[mnist.dense1]), 2LL * 9216 * 128);
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[mnist.dense2]), 2560);
  /* out elements * window */
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[mnist.pool]), 12 * 12 * 64 * 4);
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[mnist.probs]), 30);
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[mnist.xent]), 30);
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[mnist.acc]), 10);
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[mnist.features]), 24 * 24 * 64);
  model_release();
}

static void test_flops_free_and_symbolic(void) {
  build_mnist();
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[0]), 0);
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[g->params[0].node]), 0);
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[cc_graph_find_node(g, "flatten_1")]), 0);
  /* A second symbolic dim: no per-example count exists. */
  int seq = cc_graph_symbol(g, "time");
  int x = input("seq", NETC_F32, DIMS(B, 7, 4));
  g->nodes[x].shape.dim[1] = CC_DIM_SYMBOL(seq);
  int r = node(CC_OP_RELU, "seq_relu", -1, INS(x), DIMS(B, 7, 4));
  g->nodes[r].shape = g->nodes[x].shape;
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[r]), 0);
  int s = node(CC_OP_REDUCE_SUM, "seq_sum", -1, INS(x), DIMS(B));
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[s]), 0);
  /* Reductions count their input; a batch-free node counts all of it. */
  int t = node(CC_OP_REDUCE_MAX, "q_max", -1, INS(mnist.probs), DIMS(B));
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[t]), 10);
  int w = node(CC_OP_MUL, "w2", -1, INS(g->params[0].node, g->params[0].node), DIMS(3, 3, 1, 32));
  CU_ASSERT_EQUAL(cc_node_flops(g, &g->nodes[w]), 288);
  model_release();
}

static void test_summary_table(void) {
  build_mnist();
  char *text = summary_text();
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CU_ASSERT_EQUAL(strncmp(text, "Model: \"mnist\"\n", 15), 0);
  CHECK_CONTAINS(text, "\nLayer (type)                 Output Shape              Param #\n");
  CHECK_CONTAINS(text, "\nimage (input)                (batch, 28, 28, 1)        0\n");
  CHECK_CONTAINS(text, "\nlabel (input)                (batch");
  CHECK_CONTAINS(text, "\nconv1 (conv2d)               (batch, 26, 26, 32)       320\n");
  CHECK_CONTAINS(text, "\nconv2 (conv2d)               (batch, 24, 24, 64)       18,496\n");
  CHECK_CONTAINS(text, "\npool (maxpool)               (batch, 12, 12, 64)       0\n");
  CHECK_CONTAINS(text, "\ndense1 (dense)               (batch, 128)              1,179,776\n");
  CHECK_CONTAINS(text, "\nlogits (dense)               (batch, 10)               1,290\n");
  CHECK_CONTAINS(text, "\nTotal params: 1,199,882\n");
  CHECK_CONTAINS(text, "\nTrainable params: 1,198,592\n");
  CHECK_CONTAINS(text, "\nNon-trainable params: 1,290\n");
  /* Keras's widths, the last column widened for "1,179,776". */
  CU_ASSERT_EQUAL(count_of(text, "\n==================================================================\n"), 2);
  CU_ASSERT_EQUAL(count_of(text, "\n__________________________________________________________________\n"), 8);
  CU_ASSERT_PTR_NULL(strstr(text, " \n"));
  nc_free(text);
  model_release();
}

static void test_summary_costs(void) {
  build_mnist();
  char *text = summary_text();
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  /* Convs, pool and dense layers as above; one op per element for bias
  ** adds and relus; softmax, loss and metric. */
  int64_t flops = 389376 + 2 * 21632 + 21233664 + 2 * 36864 + 36864 +
                  2359296 + 2 * 128 + 2560 + 10 + 30 + 30 + 10;
  int64_t sum = 0;
  for (int i = 0; i < g->n_nodes; i++) sum += cc_node_flops(g, &g->nodes[i]);
  CU_ASSERT_EQUAL(sum, flops);
  CHECK_CONTAINS(text, "\nFLOPs per example: 24,139,088 (24.1 MFLOPs)\n");
  /* Inputs and results at 4 bytes an element, weights left out: image 784,
  ** label 1, 3 * 21632 for conv1, 3 * 36864 for conv2, 2 * 9216 for pool
  ** and flatten, 3 * 128, 2 * 10, probs 10, xent 1, acc 1. */
  CHECK_CONTAINS(text, "\nActivation memory per example: 780,484 bytes (762.2 KiB)\n");
  nc_free(text);
  model_release();
}

static void test_summary_outputs(void) {
  build_mnist();
  char *text = summary_text();
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CHECK_CONTAINS(text, "\nOutputs:\n"
                       "  output  probs     f32[batch,10]        depends on 1,199,882 params\n"
                       "  output  features  f32[batch,24,24,64]  depends on 18,816 params\n"
                       "  loss    xent      f32[]                depends on 1,199,882 params\n"
                       "  metric  acc       f32[]                depends on 1,199,882 params\n");
  nc_free(text);
  model_release();
}

static void test_summary_train_and_entries(void) {
  build_mnist();
  static cc_setting hyper[] = {{"lr", 0.001, NULL, {-1, 0, 0}}};
  static cc_setting with[] = {{"batch", 128, NULL, {-1, 0, 0}},
                              {"shuffle", 0, "yes", {-1, 0, 0}}};
  g->train = (cc_train){.present = 1, .optimizer = "adam", .hyper = hyper,
                        .n_hyper = 1, .settings = with, .n_settings = 2,
                        .loss = 2};
  static int feeds[] = {0, 1};
  static cc_copy copies[] = {{0, 1}};
  static const struct { const char *name; cc_entry_kind kind; } entries[] = {
      {"predict", CC_ENTRY_PREDICT}, {"train", CC_ENTRY_TRAIN},
      {"sync_target", CC_ENTRY_STEP}};
  for (size_t i = 0; i < sizeof entries / sizeof *entries; i++) {
    cc_entry *e = CC_PUSH(g, entries);
    CU_ASSERT_FATAL(e != NULL);
    e->name = entries[i].name;
    e->kind = entries[i].kind;
    e->feeds = feeds;
    e->n_feeds = e->kind == CC_ENTRY_PREDICT ? 1 : 2;
    e->copies = copies;
    e->n_copies = e->kind == CC_ENTRY_STEP ? 1 : 0;
  }
  char *text = summary_text();
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CHECK_CONTAINS(text, "\nTrain: adam(lr=0.001) minimizes xent\n"
                       "  with batch=128, shuffle=yes\n");
  CHECK_CONTAINS(text, "\nEntry points:\n"
                       "  predict      inference: outputs  feeds image\n"
                       "  train        one training step   feeds image, label\n"
                       "  sync_target  weight copies       copies 1 weight tensor\n");
  nc_free(text);
  model_release();
}

/* Long names widen the columns instead of being cut. */
static void test_summary_wide_names(void) {
  build_mnist();
  int l = layer("a_layer_name_much_longer_than_keras_allows", "global_average_pooling");
  layer_end(l, mnist.pool);
  char *text = summary_text();
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CHECK_CONTAINS(text, "\na_layer_name_much_longer_than_keras_allows (global_average_pooling)"
                       "  (batch, 12, 12, 64)       0\n");
  char row[128];
  snprintf(row, sizeof row, "\n%-69s(batch, 28, 28, 1)        0\n", "image (input)");
  CHECK_CONTAINS(text, row);
  nc_free(text);
  model_release();
}

static void test_summary_empty_graph(void) {
  model_init("empty");
  char *text = summary_text();
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CHECK_CONTAINS(text, "\nTotal params: 0\n");
  CHECK_CONTAINS(text, "\nFLOPs per example: 0\n");
  CHECK_CONTAINS(text, "\nActivation memory per example: 0 bytes\n");
  CU_ASSERT_PTR_NULL(strstr(text, "Outputs:"));
  nc_free(text);
  model_release();
}

static void test_dot(void) {
  build_mnist();
  g->nodes[mnist.probs].name = "say \"hi\" \\ there";
  char *text = dot_text();
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  const char *head = "digraph \"mnist\" {\n  rankdir=TB;\n";
  CU_ASSERT_EQUAL(strncmp(text, head, strlen(head)), 0);
  CU_ASSERT_EQUAL(count_of(text, "{"), count_of(text, "}"));
  CU_ASSERT_EQUAL(count_of(text, "subgraph cluster_"), g->n_layers);
  for (int l = 0; l < g->n_layers; l++) {
    char cluster[32];
    snprintf(cluster, sizeof cluster, "subgraph cluster_%d {", l);
    CHECK_CONTAINS(text, cluster);
  }
  CHECK_CONTAINS(text, "  n0 [label=\"image\\ninput\\nf32[batch,28,28,1]\", shape=ellipse];\n");
  CHECK_CONTAINS(text, "label=\"conv1 (conv2d)\\nkernel f32[3,3,1,32]\\nbias f32[32]\";");
  CHECK_CONTAINS(text, "\\nkernel (frozen) f32[128,10]");
  CHECK_CONTAINS(text, "[label=\"say \\\"hi\\\" \\\\ there\\nsoftmax\\nf32[batch,10]\"];");
  /* Weights are not drawn; the other nodes are, inside their layer. */
  CU_ASSERT_PTR_NULL(strstr(text, "conv1/kernel"));
  char edge[32];
  snprintf(edge, sizeof edge, "  n%d -> n%d;\n", mnist.conv2, mnist.conv2 + 1);
  CHECK_CONTAINS(text, edge);
  snprintf(edge, sizeof edge, "  n%d -> out2;\n", mnist.xent);
  CHECK_CONTAINS(text, edge);
  CHECK_CONTAINS(text, "  out2 [label=\"loss xent\", shape=doubleoctagon];\n");
  nc_free(text);
  model_release();
}

/* Nodes autodiff made for training count in neither the costs nor the
** drawing. */
static void test_training_nodes_left_out(void) {
  build_mnist();
  int grad = node(CC_OP_RELU_GRAD, "grad/logits", 4, INS(mnist.probs, mnist.probs), DIMS(B, 10));
  int slot = source(CC_OP_SLOT, "slot/logits/kernel/m", -1, DIMS(128, 10));
  g->nodes[grad].backward = g->nodes[slot].backward = 1;
  char *text = summary_text();
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CHECK_CONTAINS(text, "\nFLOPs per example: 24,139,088 (24.1 MFLOPs)\n");
  CHECK_CONTAINS(text, "\nActivation memory per example: 780,484 bytes (762.2 KiB)\n");
  nc_free(text);
  text = dot_text();
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CU_ASSERT_PTR_NULL(strstr(text, "grad/logits"));
  CU_ASSERT_PTR_NULL(strstr(text, "slot/"));
  CHECK_CONTAINS(text, "  // 2 training nodes (gradients, optimizer slots, updates) are not drawn\n");
  nc_free(text);
  model_release();
}

static void test_public_writers(void) {
  build_mnist();
  sink s = {{0}, 0, 0};
  nc_buf_init(&s.text);
  CU_ASSERT_EQUAL(netc_model_write_summary(&model, sink_write, &s), NETC_OK);
  CU_ASSERT_EQUAL(s.calls, 1);
  CHECK_CONTAINS(nc_buf_str(&s.text), "Total params: 1,199,882");
  CU_ASSERT_EQUAL(netc_model_write_dot(&model, sink_write, &s), NETC_OK);
  CU_ASSERT_EQUAL(s.calls, 2);
  CHECK_CONTAINS(nc_buf_str(&s.text), "digraph \"mnist\"");
  s.fail = 1;
  CU_ASSERT_EQUAL(netc_model_write_summary(&model, sink_write, &s), NETC_EIO);
  CU_ASSERT_EQUAL(netc_model_write_dot(&model, sink_write, &s), NETC_EIO);
  CU_ASSERT_EQUAL(netc_model_write_summary(NULL, sink_write, &s), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_model_write_summary(&model, NULL, &s), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_model_write_dot(NULL, sink_write, &s), NETC_EINVAL);
  CU_ASSERT_EQUAL(netc_model_write_dot(&model, NULL, &s), NETC_EINVAL);
  nc_buf_release(&s.text);
  model_release();
}

/* Totals past INT64_MAX stop there instead of overflowing: ten dense
** layers of 10^18 weights each, and a one_hot result of 5 * 10^18 f32
** elements (found by tests/fuzz/fuzz_net). */
static void test_summary_saturates(void) {
  nc_buf text;
  nc_buf_init(&text);
  nc_buf_puts(&text, "model big\ninput x : f32[batch, 1000000000]\n"
                     "input idx : i32[100000, 100000]\n"
                     "output a = one_hot(idx, depth=500000000)\n");
  char prev[8] = "x";
  for (int i = 0; i < 10; i++) {
    nc_buf_printf(&text, "h%d = dense(%s, 1000000000)\n", i, prev);
    snprintf(prev, sizeof prev, "h%d", i);
  }
  nc_buf_puts(&text, "output y = h9\n");
  CU_ASSERT_FALSE_FATAL(text.failed);
  netc_model *m = NULL;
  CU_ASSERT_EQUAL_FATAL(netc_model_compile_source("big.net", text.data, text.len, NULL, &m),
                        NETC_OK);
  int64_t trainable = 0, frozen = -1;
  CU_ASSERT_EQUAL(netc_model_param_counts(m, &trainable, &frozen), NETC_OK);
  CU_ASSERT_EQUAL(trainable, INT64_MAX);
  CU_ASSERT_EQUAL(frozen, 0);
  sink s = {{0}, 0, 0};
  nc_buf_init(&s.text);
  CU_ASSERT_EQUAL(netc_model_write_summary(m, sink_write, &s), NETC_OK);
  const char *summary = nc_buf_str(&s.text);
  CHECK_CONTAINS(summary, "Total params: 9,223,372,036,854,775,807\n");
  CHECK_CONTAINS(summary, "FLOPs per example: 9,223,372,036,854,775,807 ");
  CHECK_CONTAINS(summary, "Activation memory per example: 9,223,372,036,854,775,807 bytes");
  nc_buf_release(&s.text);
  netc_model_destroy(m);
  nc_buf_release(&text);
}

/* Fails allocation number `oom_at` (1-based) and every one after it. */
static int oom_at, oom_count;

static void *oom_malloc(size_t size) {
  return ++oom_count >= oom_at ? NULL : malloc(size);
}

static void *oom_realloc(void *ptr, size_t size) {
  return ++oom_count >= oom_at ? NULL : realloc(ptr, size);
}

/* Every allocation failure ends in NETC_ENOMEM, with nothing written and
** nothing leaked (ASan builds check the leaks). */
static void test_out_of_memory(void) {
  build_mnist();
  typedef netc_status (*writer)(const netc_model *, netc_write_fn, void *);
  static const writer writers[] = {netc_model_write_summary,
                                   netc_model_write_dot};
  for (size_t w = 0; w < sizeof writers / sizeof *writers; w++) {
    netc_status status = NETC_ENOMEM;
    for (oom_at = 1; status == NETC_ENOMEM && oom_at < 1000; oom_at++) {
      sink s = {{0}, 0, 0};
      nc_buf_init(&s.text);
      oom_count = 0;
      netc_set_allocator(oom_malloc, oom_realloc, free);
      status = writers[w](&model, sink_write, &s);
      netc_set_allocator(malloc, realloc, free);
      CU_ASSERT_EQUAL(s.calls, status == NETC_OK);
      nc_buf_release(&s.text);
    }
    CU_ASSERT_EQUAL(status, NETC_OK);
    CU_ASSERT(oom_at > 2);
  }
  model_release();
}

static const test_case TESTS[] = {
    {"flops of conv, matmul, pool, softmax, losses", test_flops_layers},
    {"flops of sources and symbolic shapes", test_flops_free_and_symbolic},
    {"summary layer table and parameter totals", test_summary_table},
    {"summary flops and activation memory", test_summary_costs},
    {"summary outputs and their parameters", test_summary_outputs},
    {"summary training and entry points", test_summary_train_and_entries},
    {"summary widens columns for long names", test_summary_wide_names},
    {"summary of an empty graph", test_summary_empty_graph},
    {"dot export", test_dot},
    {"training nodes left out", test_training_nodes_left_out},
    {"public writers: status and callback", test_public_writers},
    {"public writers: out of memory", test_out_of_memory},
    {"summary totals stop at INT64_MAX", test_summary_saturates},
    {0}};

#include "tests/unit/cunit_main.h"
