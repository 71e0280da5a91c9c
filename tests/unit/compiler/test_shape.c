/*
** test_shape.c: shape inference (compiler/shape.c) on hand-built IR graphs:
** every op's result and its errors, real networks (MNIST CNN, VGG16's conv
** base), SAME padding arithmetic, broadcasting with symbolic dims, and the
** exact text of messages and formatted types.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "compiler/ir.h"
#include "tests/unit/test_case.h"

static nc_arena arena;
static cc_graph g;
static cc_infer_error err;

/* Each test starts from an empty graph that knows the symbol `batch`. */
static void begin(void) {
  nc_arena_init(&arena);
  cc_graph_init(&g, &arena);
  CU_ASSERT_EQUAL(cc_graph_symbol(&g, "batch"), 0);
}

static void end(void) { nc_arena_release(&arena); }

/* "batch,28,28,1" -> [batch,28,28,1]; "" is a scalar. Names are symbols. */
static cc_shape shape(const char *dims) {
  cc_shape s = {0, {0}};
  for (const char *p = dims; *p && s.rank < CC_MAX_RANK;) {
    size_t len = strcspn(p, ",");
    char word[32];
    snprintf(word, sizeof word, "%.*s", (int)len, p);
    if (word[0] >= '0' && word[0] <= '9')
      s.dim[s.rank++] = strtoll(word, NULL, 10);
    else
      s.dim[s.rank++] = CC_DIM_SYMBOL(cc_graph_symbol(&g, word));
    p += len + (p[len] == ',');
  }
  return s;
}

static int source(cc_op op, netc_dtype dtype, const char *dims) {
  int i = cc_graph_add_node(&g, op, NULL, 0, NC_NO_SPAN);
  CU_ASSERT_FATAL(i >= 0);
  g.nodes[i].dtype = dtype;
  g.nodes[i].shape = shape(dims);
  return i;
}

static int f32(const char *dims) { return source(CC_OP_INPUT, NETC_F32, dims); }
static int i32(const char *dims) { return source(CC_OP_INPUT, NETC_I32, dims); }
static int boolean(const char *dims) {
  return source(CC_OP_INPUT, NETC_BOOL, dims);
}
static int param(const char *dims) {
  return source(CC_OP_PARAM, NETC_F32, dims);
}

/* A node made by .net function `origin` with n inputs. */
static int node(cc_op op, const char *origin, int n, ...) {
  int inputs[CC_MAX_INPUTS];
  va_list ap;
  va_start(ap, n);
  for (int k = 0; k < n; k++) inputs[k] = va_arg(ap, int);
  va_end(ap);
  int i = cc_graph_add_node(&g, op, inputs, n, NC_NO_SPAN);
  CU_ASSERT_FATAL(i >= 0);
  g.nodes[i].origin = origin;
  return i;
}

static cc_attrs *attr(int i) { return &g.nodes[i].attr; }

/* ------------------------------------------------------------ checking */

static void check_str(const char *actual, const char *expected,
                      unsigned line) {
  char what[600];
  snprintf(what, sizeof what, "got \"%s\", expected \"%s\"", actual, expected);
  CU_assertImplementation(strcmp(actual, expected) == 0, line, what, __FILE__,
                          "", CU_FALSE);
}

static const char *type_text(int i) {
  static char text[128];
  nc_buf b;
  nc_buf_init(&b);
  cc_format_type(&b, &g, g.nodes[i].dtype, &g.nodes[i].shape);
  snprintf(text, sizeof text, "%s", nc_buf_str(&b));
  nc_buf_release(&b);
  return text;
}

static const char *shape_text(const cc_shape *s) {
  static char text[128];
  nc_buf b;
  nc_buf_init(&b);
  cc_format_shape(&b, &g, s);
  snprintf(text, sizeof text, "%s", nc_buf_str(&b));
  nc_buf_release(&b);
  return text;
}

/* Infers node i and checks it succeeded with the given type. */
#define EXPECT_TYPE(i, type) expect_type((i), (type), __LINE__)
static int expect_type(int i, const char *type, unsigned line) {
  int rc = cc_infer(&g, i, &err);
  check_str(err.message, "", line);
  CU_assertImplementation(rc == 0, line, "cc_infer returns 0", __FILE__, "",
                          CU_FALSE);
  check_str(type_text(i), type, line);
  return i;
}

/* Infers node i and checks the exact message and hint. */
#define EXPECT_ERROR(i, message, hint) \
  expect_error((i), (message), (hint), __LINE__)
static void expect_error(int i, const char *message, const char *hint,
                         unsigned line) {
  int rc = cc_infer(&g, i, &err);
  CU_assertImplementation(rc == -1, line, "cc_infer returns -1", __FILE__, "",
                          CU_FALSE);
  check_str(err.message, message, line);
  check_str(err.hint, hint, line);
}

/* Checks node i's already inferred shape as Keras prints it. */
#define EXPECT_SHAPE(i, text) \
  check_str(shape_text(&g.nodes[(i)].shape), (text), __LINE__)

/* ------------------------------------------------------------- builders */

static int conv(int x, const char *kernel, int stride, cc_padding padding) {
  int y = node(CC_OP_CONV2D, "conv2d", 2, x, param(kernel));
  attr(y)->window.sh = attr(y)->window.sw = stride;
  attr(y)->window.padding = padding;
  return y;
}

static int pool(cc_op op, const char *origin, int x, int k, int stride,
                cc_padding padding) {
  int y = node(op, origin, 1, x);
  attr(y)->window.kh = attr(y)->window.kw = k;
  attr(y)->window.sh = attr(y)->window.sw = stride;
  attr(y)->window.padding = padding;
  return y;
}

static int reshape(const char *origin, int x, const char *target) {
  int y = node(CC_OP_RESHAPE, origin, 1, x);
  attr(y)->reshape.target = shape(target);
  return y;
}

static int axis_op(cc_op op, const char *origin, int x, int axis,
                   int keepdims) {
  int y = node(op, origin, 1, x);
  attr(y)->axis.axis = axis;
  attr(y)->axis.keepdims = keepdims;
  return y;
}

/* ---------------------------------------------------------------- tests */

static void test_format(void) {
  begin();
  cc_shape scalar = shape(""), image = shape("batch,28,28,1");
  cc_shape vector = shape("batch"), odd = {1, {CC_DIM_SYMBOL(7)}};
  int s = f32("");
  check_str(type_text(s), "f32[]", __LINE__);
  check_str(type_text(i32("batch,28,28,1")), "i32[batch,28,28,1]", __LINE__);
  check_str(type_text(boolean("time,3")), "bool[time,3]", __LINE__);
  check_str(shape_text(&scalar), "()", __LINE__);
  check_str(shape_text(&image), "(batch, 28, 28, 1)", __LINE__);
  check_str(shape_text(&vector), "(batch)", __LINE__);
  check_str(shape_text(&odd), "(?)", __LINE__); /* unknown symbol */
  end();
}

static void test_shape_helpers(void) {
  begin();
  cc_shape scalar = shape(""), image = shape("batch,28,28,1");
  cc_shape fixed = shape("2,3,4"), mid = shape("2,batch,4");
  cc_shape huge = shape("4294967296,4294967296,4");
  CU_ASSERT_EQUAL(cc_shape_elements(&scalar), 1);
  CU_ASSERT_EQUAL(cc_shape_elements(&fixed), 24);
  CU_ASSERT_EQUAL(cc_shape_elements(&image), -1);
  CU_ASSERT_EQUAL(cc_shape_elements(&huge), -1); /* overflow */
  CU_ASSERT_EQUAL(cc_shape_elements_per_example(&image), 784);
  CU_ASSERT_EQUAL(cc_shape_elements_per_example(&fixed), 24);
  CU_ASSERT_EQUAL(cc_shape_elements_per_example(&mid), -1);
  CU_ASSERT_EQUAL(cc_shape_elements_per_example(&scalar), 1);
  cc_shape image2 = shape("batch,28,28,1"), other = shape("n,28,28,1");
  CU_ASSERT_TRUE(cc_shape_equal(&image, &image2));
  CU_ASSERT_FALSE(cc_shape_equal(&image, &other));
  CU_ASSERT_FALSE(cc_shape_equal(&image, &fixed));
  CU_ASSERT_TRUE(cc_shape_equal(&scalar, &scalar));
  end();
}

static void test_sources_unchanged(void) {
  begin();
  int x = f32("batch,10");
  int w = param("10,3");
  CU_ASSERT_EQUAL(cc_infer(&g, x, &err), 0);
  CU_ASSERT_EQUAL(cc_infer(&g, w, &err), 0);
  check_str(type_text(x), "f32[batch,10]", __LINE__);
  check_str(type_text(w), "f32[10,3]", __LINE__);
  end();
}

static void test_malformed_graph(void) {
  begin();
  int x = f32("batch,10");
  int y = node(CC_OP_RELU, "relu", 1, x);
  g.nodes[y].n_inputs = 2;
  EXPECT_ERROR(y, "relu: relu takes 1 inputs, got 2", "");
  g.nodes[y].n_inputs = 1;
  g.nodes[y].inputs[0] = y;
  EXPECT_ERROR(y, "relu: input 0 is not an earlier node", "");
  g.nodes[y].inputs[0] = x;
  g.nodes[x].shape.rank = CC_MAX_RANK + 1;
  EXPECT_ERROR(y, "relu: input 0 has a malformed type", "");
  g.nodes[x].shape = shape("batch,10");
  g.nodes[x].shape.dim[0] = CC_DIM_SYMBOL(5);
  EXPECT_ERROR(y, "relu: input 0 has a malformed type", "");
  g.nodes[x].shape = shape("batch,10");
  CU_ASSERT_EQUAL(cc_infer(&g, g.n_nodes, &err), -1);
  CU_ASSERT_EQUAL(cc_infer(&g, -1, NULL), -1);
  CU_ASSERT_EQUAL(cc_infer(NULL, 0, &err), -1);
  CU_ASSERT_EQUAL(cc_infer(&g, y, NULL), 0);
  end();
}

static void test_mnist_cnn(void) {
  begin();
  int x = f32("batch,28,28,1");
  int c1 = conv(x, "3,3,1,32", 1, CC_PAD_VALID);
  EXPECT_TYPE(c1, "f32[batch,26,26,32]");
  EXPECT_SHAPE(c1, "(batch, 26, 26, 32)");
  CU_ASSERT_EQUAL(attr(c1)->window.kh, 3);
  CU_ASSERT_EQUAL(attr(c1)->window.kw, 3);
  CU_ASSERT_EQUAL(attr(c1)->window.pad_top, 0);
  int b1 = node(CC_OP_BIAS_ADD, "conv2d", 2, c1, param("32"));
  int r1 = node(CC_OP_RELU, "conv2d", 1, EXPECT_TYPE(b1, "f32[batch,26,26,32]"));
  int c2 = conv(EXPECT_TYPE(r1, "f32[batch,26,26,32]"), "3,3,32,64", 1,
                CC_PAD_VALID);
  EXPECT_TYPE(c2, "f32[batch,24,24,64]");
  int p = pool(CC_OP_MAXPOOL, "max_pool2d", c2, 2, 2, CC_PAD_VALID);
  EXPECT_TYPE(p, "f32[batch,12,12,64]");
  int f = reshape("flatten", p, "0");
  EXPECT_TYPE(f, "f32[batch,9216]");
  EXPECT_SHAPE(f, "(batch, 9216)");
  int d1 = node(CC_OP_MATMUL, "dense", 2, f, param("9216,128"));
  EXPECT_TYPE(d1, "f32[batch,128]");
  int d2 = node(CC_OP_MATMUL, "dense", 2, d1, param("128,10"));
  EXPECT_TYPE(d2, "f32[batch,10]");
  int sm = axis_op(CC_OP_SOFTMAX, "softmax", d2, -1, 0);
  EXPECT_TYPE(sm, "f32[batch,10]");
  CU_ASSERT_EQUAL(attr(sm)->axis.axis, 1);
  end();
}

static void test_vgg16_base(void) {
  static const struct { int convs, filters; } blocks[] = {
      {2, 64}, {2, 128}, {3, 256}, {3, 512}, {3, 512}};
  static const char *const after_block[] = {
      "(batch, 112, 112, 64)", "(batch, 56, 56, 128)", "(batch, 28, 28, 256)",
      "(batch, 14, 14, 512)", "(batch, 7, 7, 512)"};
  begin();
  int x = f32("batch,224,224,3");
  int64_t channels = 3, size = 224;
  int n_convs = 0;
  for (int b = 0; b < 5; b++) {
    for (int k = 0; k < blocks[b].convs; k++, n_convs++) {
      char kernel[64];
      snprintf(kernel, sizeof kernel, "3,3,%lld,%d", (long long)channels,
               blocks[b].filters);
      x = conv(x, kernel, 1, CC_PAD_SAME);
      CU_ASSERT_EQUAL(cc_infer(&g, x, &err), 0);
      CU_ASSERT_EQUAL(g.nodes[x].shape.dim[1], size);
      CU_ASSERT_EQUAL(g.nodes[x].shape.dim[2], size);
      CU_ASSERT_EQUAL(g.nodes[x].shape.dim[3], blocks[b].filters);
      CU_ASSERT_EQUAL(attr(x)->window.pad_top, 1);
      CU_ASSERT_EQUAL(attr(x)->window.pad_left, 1);
      channels = blocks[b].filters;
    }
    x = pool(CC_OP_MAXPOOL, "max_pool2d", x, 2, 2, CC_PAD_VALID);
    CU_ASSERT_EQUAL(cc_infer(&g, x, &err), 0);
    EXPECT_SHAPE(x, after_block[b]);
    size /= 2;
  }
  CU_ASSERT_EQUAL(n_convs, 13);
  EXPECT_TYPE(x, "f32[batch,7,7,512]");
  CU_ASSERT_EQUAL(cc_shape_elements_per_example(&g.nodes[x].shape), 25088);
  end();
}

static void test_same_padding_strided(void) {
  begin();
  /* 7 / 2 -> 4, pad total (4-1)*2 + 3 - 7 = 2 */
  int a = conv(f32("batch,7,7,1"), "3,3,1,4", 2, CC_PAD_SAME);
  EXPECT_TYPE(a, "f32[batch,4,4,4]");
  CU_ASSERT_EQUAL(attr(a)->window.pad_top, 1);
  CU_ASSERT_EQUAL(attr(a)->window.pad_left, 1);
  /* ResNet stem: 224 with 7x7 stride 2 -> 112, pad total 5, top 2 */
  int b = conv(f32("batch,224,224,3"), "7,7,3,64", 2, CC_PAD_SAME);
  EXPECT_TYPE(b, "f32[batch,112,112,64]");
  CU_ASSERT_EQUAL(attr(b)->window.pad_top, 2);
  /* 5 / 2 -> 3 rows, pad total 1 goes to the bottom; 8 / 2 -> 4, no pad */
  int c = pool(CC_OP_MAXPOOL, "max_pool2d", f32("batch,5,8,6"), 2, 2,
               CC_PAD_SAME);
  EXPECT_TYPE(c, "f32[batch,3,4,6]");
  CU_ASSERT_EQUAL(attr(c)->window.pad_top, 0);
  CU_ASSERT_EQUAL(attr(c)->window.pad_left, 0);
  /* 3x1 kernel, strides 2x1 on 9x4: rows ceil(9/2)=5 pad total 2 -> 1 */
  int d = conv(f32("batch,9,4,2"), "3,1,2,8", 2, CC_PAD_SAME);
  attr(d)->window.sw = 1;
  EXPECT_TYPE(d, "f32[batch,5,4,8]");
  CU_ASSERT_EQUAL(attr(d)->window.pad_top, 1);
  CU_ASSERT_EQUAL(attr(d)->window.pad_left, 0);
  /* VALID with stride 2: (7 - 3) / 2 + 1 = 3 */
  int e = conv(f32("batch,7,7,1"), "3,3,1,4", 2, CC_PAD_VALID);
  EXPECT_TYPE(e, "f32[batch,3,3,4]");
  end();
}

static void test_conv_errors(void) {
  begin();
  EXPECT_ERROR(conv(f32("batch,3,3,1"), "5,5,1,8", 1, CC_PAD_VALID),
               "conv2d window 5x5 does not fit the input f32[batch,3,3,1] "
               "with padding valid",
               "use padding=\"same\"");
  EXPECT_TYPE(conv(f32("batch,3,3,1"), "5,5,1,8", 1, CC_PAD_SAME),
              "f32[batch,3,3,8]");
  EXPECT_ERROR(conv(f32("batch,28,28,3"), "3,3,1,32", 1, CC_PAD_VALID),
               "conv2d kernel f32[3,3,1,32] expects 1 input channels, got "
               "f32[batch,28,28,3]",
               "");
  EXPECT_ERROR(conv(f32("batch,784"), "3,3,1,32", 1, CC_PAD_VALID),
               "conv2d expects a rank-4 input, got f32[batch,784]", "");
  EXPECT_ERROR(conv(f32("batch,h,28,1"), "3,3,1,32", 1, CC_PAD_VALID),
               "conv2d needs a concrete size in dim 1 of its input, got "
               "f32[batch,h,28,1]",
               "");
  EXPECT_ERROR(conv(i32("batch,28,28,1"), "3,3,1,32", 1, CC_PAD_VALID),
               "conv2d needs its input to be f32, got i32[batch,28,28,1]", "");
  EXPECT_ERROR(conv(f32("batch,28,28,1"), "3,3,1", 1, CC_PAD_VALID),
               "conv2d expects a rank-4 kernel, got f32[3,3,1]", "");
  EXPECT_ERROR(conv(f32("batch,28,28,1"), "3,3,1,32", 0, CC_PAD_VALID),
               "conv2d needs a window and strides of at least 1, got 3x3 and "
               "0x0",
               "");
  end();
}

static void test_pools(void) {
  begin();
  int a = pool(CC_OP_AVGPOOL, "avg_pool2d", f32("batch,10,10,c"), 3, 1,
               CC_PAD_VALID);
  EXPECT_TYPE(a, "f32[batch,8,8,c]"); /* channels pass through */
  int b = pool(CC_OP_MAXPOOL, "max_pool2d", f32("batch,10,10,3"), 3, 3,
               CC_PAD_VALID);
  EXPECT_TYPE(b, "f32[batch,3,3,3]");
  EXPECT_ERROR(pool(CC_OP_MAXPOOL, "max_pool2d", f32("batch,10,3"), 2, 2,
                    CC_PAD_VALID),
               "max_pool2d expects a rank-4 input, got f32[batch,10,3]", "");
  EXPECT_ERROR(pool(CC_OP_AVGPOOL, "avg_pool2d", f32("batch,1,4,3"), 2, 2,
                    CC_PAD_VALID),
               "avg_pool2d window 2x2 does not fit the input f32[batch,1,4,3] "
               "with padding valid",
               "use padding=\"same\"");
  EXPECT_ERROR(pool(CC_OP_MAXPOOL, "max_pool2d", f32("batch,4,4,3"), 0, 2,
                    CC_PAD_VALID),
               "max_pool2d needs a window and strides of at least 1, got 0x0 "
               "and 2x2",
               "");
  end();
}

static void test_matmul(void) {
  begin();
  EXPECT_TYPE(node(CC_OP_MATMUL, "dense", 2, f32("batch,4"), param("4,3")),
              "f32[batch,3]");
  EXPECT_ERROR(node(CC_OP_MATMUL, "dense", 2, f32("batch,12,12,64"),
                    param("9216,128")),
               "dense expects a rank-2 input, got f32[batch,12,12,64]",
               "did you mean flatten(x)?");
  EXPECT_ERROR(node(CC_OP_MATMUL, "dense", 2, f32("batch"), param("1,128")),
               "dense expects a rank-2 input, got f32[batch]", "");
  EXPECT_ERROR(node(CC_OP_MATMUL, "dense", 2, f32("batch,100"),
                    param("9216,128")),
               "dense cannot multiply f32[batch,100] by f32[9216,128]: inner "
               "dims differ",
               "");
  EXPECT_ERROR(node(CC_OP_MATMUL, "dense", 2, f32("batch,k"), param("4,3")),
               "dense needs a concrete size in dim 1 of its input, got "
               "f32[batch,k]",
               "");
  EXPECT_ERROR(node(CC_OP_MATMUL, "dense", 2, f32("batch,4"), param("4")),
               "dense expects a rank-2 kernel, got f32[4]", "");
  end();
}

static void test_bias_add(void) {
  begin();
  EXPECT_TYPE(node(CC_OP_BIAS_ADD, "dense", 2, f32("batch,12"), param("12")),
              "f32[batch,12]");
  EXPECT_ERROR(node(CC_OP_BIAS_ADD, "dense", 2, f32("batch,12"), param("10")),
               "dense bias f32[10] does not match the last dim of "
               "f32[batch,12]",
               "");
  EXPECT_ERROR(node(CC_OP_BIAS_ADD, "dense", 2, f32("batch,12"),
                    param("1,12")),
               "dense expects a rank-1 bias, got f32[1,12]", "");
  end();
}

static void test_reshape(void) {
  begin();
  int r = reshape("reshape", f32("batch,784"), "28,0,1");
  EXPECT_TYPE(r, "f32[batch,28,28,1]");
  /* the request is kept as written, so inference can run again */
  check_str(shape_text(&attr(r)->reshape.target), "(28, 0, 1)", __LINE__);
  EXPECT_TYPE(reshape("reshape", f32("batch,4,6"), "3,8"), "f32[batch,3,8]");
  EXPECT_TYPE(reshape("flatten", i32("batch"), "0"), "i32[batch,1]");
  EXPECT_TYPE(reshape("reshape", f32("batch,1,1"), ""), "f32[batch]");
  EXPECT_TYPE(reshape("reshape", f32("5,2,3"), "0"), "f32[5,6]");
  end();
}

static void test_reshape_errors(void) {
  begin();
  EXPECT_ERROR(reshape("reshape", f32("batch,12,12,64"), "9000"),
               "reshape cannot turn f32[batch,12,12,64] (9216 elements per "
               "example) into [9000]",
               "");
  EXPECT_ERROR(reshape("reshape", f32("batch,10,10"), "0,7"),
               "reshape cannot turn f32[batch,10,10] (100 elements per "
               "example) into [-1, 7]",
               "");
  EXPECT_ERROR(reshape("reshape", f32("batch,10"), "4000000000,4000000000"),
               "reshape cannot turn f32[batch,10] (10 elements per example) "
               "into [4000000000, 4000000000]",
               "");
  EXPECT_ERROR(reshape("flatten", f32("batch,t,3"), "0"),
               "flatten needs concrete sizes after the leading dim, got "
               "f32[batch,t,3]",
               "");
  EXPECT_ERROR(reshape("reshape", f32("batch,10"), "0,0"),
               "reshape target dims must be positive, with at most one 0 to "
               "infer",
               "");
  EXPECT_ERROR(reshape("flatten", f32(""), "0"),
               "flatten needs its input to have rank 1 or more, got f32[]", "");
  int r = reshape("reshape", f32("batch,10"), "");
  attr(r)->reshape.target.rank = CC_MAX_RANK;
  EXPECT_ERROR(r, "reshape target has rank 8, at most 7 is allowed", "");
  end();
}

static void test_dropout(void) {
  begin();
  int d = node(CC_OP_DROPOUT, "dropout", 1, f32("batch,128"));
  attr(d)->dropout.rate = 0.5f;
  EXPECT_TYPE(d, "f32[batch,128]");
  attr(d)->dropout.rate = 1.0f;
  EXPECT_ERROR(d, "dropout rate must be in [0, 1), got 1", "");
  attr(d)->dropout.rate = -0.25f;
  EXPECT_ERROR(d, "dropout rate must be in [0, 1), got -0.25", "");
  end();
}

static void test_batchnorm(void) {
  begin();
  int x = f32("batch,26,26,32");
  EXPECT_TYPE(node(CC_OP_BATCHNORM, "batch_norm", 5, x, param("32"),
                   param("32"), param("32"), param("32")),
              "f32[batch,26,26,32]");
  EXPECT_ERROR(node(CC_OP_BATCHNORM, "batch_norm", 5, x, param("32"),
                    param("32"), param("64"), param("32")),
               "batch_norm moving_mean f32[64] does not match the last dim of "
               "f32[batch,26,26,32]",
               "");
  EXPECT_ERROR(node(CC_OP_BATCHNORM, "batch_norm", 5, x, param("32"),
                    i32("32"), param("32"), param("32")),
               "batch_norm needs its beta to be f32, got i32[32]", "");
  end();
}

static void test_caffe_preprocess(void) {
  begin();
  EXPECT_TYPE(node(CC_OP_CAFFE_PREPROCESS, "caffe_preprocess", 1,
                   f32("batch,224,224,3")),
              "f32[batch,224,224,3]");
  EXPECT_ERROR(node(CC_OP_CAFFE_PREPROCESS, "caffe_preprocess", 1,
                    f32("batch,28,28,1")),
               "caffe_preprocess expects 3 channels (RGB) in the last dim, got "
               "f32[batch,28,28,1]",
               "");
  end();
}

static void test_unary(void) {
  begin();
  EXPECT_TYPE(node(CC_OP_RELU, "relu", 1, f32("batch,3")), "f32[batch,3]");
  EXPECT_TYPE(node(CC_OP_SQRT, "sqrt", 1, f32("")), "f32[]");
  EXPECT_TYPE(node(CC_OP_NEG, "operator -", 1, i32("batch")), "i32[batch]");
  EXPECT_TYPE(node(CC_OP_ABS, "abs", 1, i32("4")), "i32[4]");
  EXPECT_ERROR(node(CC_OP_EXP, "exp", 1, i32("batch")),
               "exp needs its input to be f32, got i32[batch]", "");
  EXPECT_ERROR(node(CC_OP_ABS, "abs", 1, boolean("batch")),
               "abs needs its input to be f32 or i32, got bool[batch]", "");
  end();
}

static void test_softmax(void) {
  begin();
  int s = axis_op(CC_OP_LOG_SOFTMAX, "log_softmax", f32("batch,5,7"), -2, 0);
  EXPECT_TYPE(s, "f32[batch,5,7]");
  CU_ASSERT_EQUAL(attr(s)->axis.axis, 1);
  EXPECT_TYPE(s, "f32[batch,5,7]"); /* normalized in place: idempotent */
  CU_ASSERT_EQUAL(attr(s)->axis.axis, 1);
  EXPECT_ERROR(axis_op(CC_OP_SOFTMAX, "softmax", f32("batch,10"), 2, 0),
               "softmax axis 2 is out of range for f32[batch,10]", "");
  EXPECT_ERROR(axis_op(CC_OP_SOFTMAX, "softmax", f32("batch,10"), -3, 0),
               "softmax axis -3 is out of range for f32[batch,10]", "");
  EXPECT_ERROR(axis_op(CC_OP_SOFTMAX, "softmax", f32(""), 0, 0),
               "softmax needs its input to have rank 1 or more, got f32[]", "");
  end();
}

static void test_broadcasting(void) {
  begin();
  EXPECT_TYPE(node(CC_OP_ADD, "operator +", 2, f32("batch,10"), f32("10")),
              "f32[batch,10]");
  EXPECT_TYPE(node(CC_OP_MUL, "operator *", 2, f32("batch,1"), f32("1,10")),
              "f32[batch,10]");
  EXPECT_TYPE(node(CC_OP_SUB, "operator -", 2, f32("1"), f32("batch")),
              "f32[batch]"); /* a concrete 1 stretches to a symbol */
  EXPECT_TYPE(node(CC_OP_DIV, "operator /", 2, f32(""), f32("batch,3,4")),
              "f32[batch,3,4]");
  EXPECT_TYPE(node(CC_OP_MAXIMUM, "maximum", 2, i32("batch,1,4"),
                   i32("3,1")),
              "i32[batch,3,4]");
  EXPECT_TYPE(node(CC_OP_MINIMUM, "minimum", 2, f32("batch,t"),
                   f32("batch,t")),
              "f32[batch,t]");
  EXPECT_ERROR(node(CC_OP_ADD, "operator +", 2, f32("batch,10"),
                    f32("batch,2")),
               "cannot broadcast f32[batch,10] and f32[batch,2] in operator +",
               "");
  EXPECT_ERROR(node(CC_OP_ADD, "operator +", 2, f32("batch"), f32("n")),
               "cannot broadcast f32[batch] and f32[n] in operator +", "");
  EXPECT_ERROR(node(CC_OP_ADD, "operator +", 2, f32("batch"), f32("32")),
               "cannot broadcast f32[batch] and f32[32] in operator +", "");
  EXPECT_ERROR(node(CC_OP_ADD, "operator +", 2, f32("batch,10"), i32("10")),
               "operator + mixes f32 and i32", "use cast(x, f32)");
  EXPECT_ERROR(node(CC_OP_MUL, "operator *", 2, boolean("3"), boolean("3")),
               "operator * does not take bool operands, got bool[3]",
               "use where(condition, a, b), or cast(x, f32) for 0 and 1");
  /* each dim fits, but the broadcast result does not */
  EXPECT_ERROR(node(CC_OP_ADD, "operator +", 2, f32("4294967296,1"),
                    f32("1,4294967296")),
               "operator + result f32[4294967296,4294967296] is too large", "");
  end();
}

static void test_compare_and_where(void) {
  begin();
  int x = f32("batch,10");
  int lt = node(CC_OP_LESS, "operator <", 2, x, f32(""));
  EXPECT_TYPE(lt, "bool[batch,10]");
  EXPECT_TYPE(node(CC_OP_NOT_EQUAL, "operator !=", 2, i32("batch"),
                   i32("batch")),
              "bool[batch]");
  EXPECT_ERROR(node(CC_OP_EQUAL, "operator ==", 2, f32("batch"), i32("batch")),
               "operator == mixes f32 and i32", "use cast(x, f32)");
  EXPECT_ERROR(node(CC_OP_GREATER, "operator >", 2, f32("batch,3"), f32("4")),
               "cannot broadcast f32[batch,3] and f32[4] in operator >", "");
  EXPECT_TYPE(node(CC_OP_WHERE, "where", 3, lt, x, f32("")), "f32[batch,10]");
  EXPECT_TYPE(node(CC_OP_WHERE, "where", 3, boolean("batch,1"), i32("1,5"),
                   i32("")),
              "i32[batch,5]");
  EXPECT_ERROR(node(CC_OP_WHERE, "where", 3, x, x, x),
               "where needs its condition to be bool, got f32[batch,10]", "");
  EXPECT_ERROR(node(CC_OP_WHERE, "where", 3, lt, x, i32("")),
               "where mixes f32 and i32", "use cast(x, f32)");
  EXPECT_ERROR(node(CC_OP_WHERE, "where", 3, lt, x, f32("3")),
               "cannot broadcast bool[batch,10], f32[batch,10] and f32[3] in "
               "where",
               "");
  end();
}

static void test_reductions(void) {
  begin();
  int x = f32("batch,5,7");
  EXPECT_TYPE(axis_op(CC_OP_REDUCE_SUM, "reduce_sum", x, CC_AXIS_ALL, 0),
              "f32[]");
  EXPECT_TYPE(axis_op(CC_OP_REDUCE_MEAN, "reduce_mean", x, CC_AXIS_ALL, 1),
              "f32[1,1,1]");
  int m = axis_op(CC_OP_REDUCE_MAX, "reduce_max", x, -1, 0);
  EXPECT_TYPE(m, "f32[batch,5]");
  CU_ASSERT_EQUAL(attr(m)->axis.axis, 2);
  EXPECT_TYPE(axis_op(CC_OP_REDUCE_MEAN, "reduce_mean", x, 1, 1),
              "f32[batch,1,7]");
  EXPECT_TYPE(axis_op(CC_OP_REDUCE_SUM, "reduce_sum", i32("batch,3"), 0, 0),
              "i32[3]");
  EXPECT_TYPE(axis_op(CC_OP_REDUCE_SUM, "reduce_sum", f32(""), CC_AXIS_ALL, 1),
              "f32[]");
  EXPECT_ERROR(axis_op(CC_OP_REDUCE_MEAN, "reduce_mean", i32("batch,3"), 1, 0),
               "reduce_mean needs its input to be f32, got i32[batch,3]", "");
  EXPECT_ERROR(axis_op(CC_OP_REDUCE_SUM, "reduce_sum", x, 3, 0),
               "reduce_sum axis 3 is out of range for f32[batch,5,7]", "");
  end();
}

static void test_argmax(void) {
  begin();
  int a = axis_op(CC_OP_ARGMAX, "argmax", f32("batch,10"), -1, 0);
  EXPECT_TYPE(a, "i32[batch]");
  CU_ASSERT_EQUAL(attr(a)->axis.axis, 1);
  EXPECT_TYPE(axis_op(CC_OP_ARGMAX, "argmax", i32("batch,4,6"), 1, 1),
              "i32[batch,1,6]");
  EXPECT_ERROR(axis_op(CC_OP_ARGMAX, "argmax", f32("batch,10"), CC_AXIS_ALL,
                       0),
               "argmax axis -100 is out of range for f32[batch,10]", "");
  EXPECT_ERROR(axis_op(CC_OP_ARGMAX, "argmax", boolean("batch,10"), 1, 0),
               "argmax needs its input to be f32 or i32, got bool[batch,10]",
               "");
  end();
}

static void test_gather(void) {
  begin();
  int emb = param("1000,64");
  int g1 = node(CC_OP_GATHER, "embedding", 2, emb, i32("batch,20"));
  EXPECT_TYPE(g1, "f32[batch,20,64]");
  int g2 = node(CC_OP_GATHER, "gather", 2, f32("batch,10,3"), i32("2"));
  attr(g2)->axis.axis = -2;
  EXPECT_TYPE(g2, "f32[batch,2,3]");
  CU_ASSERT_EQUAL(attr(g2)->axis.axis, 1);
  EXPECT_TYPE(node(CC_OP_GATHER, "gather", 2, i32("5"), i32("")), "i32[]");
  EXPECT_ERROR(node(CC_OP_GATHER, "gather", 2, emb, f32("batch,20")),
               "gather needs its indices to be i32, got f32[batch,20]", "");
  EXPECT_ERROR(node(CC_OP_GATHER, "gather", 2, f32("2,2,2,2,2"),
                    i32("3,3,3,3,3")),
               "gather result would have rank 9, more than 8", "");
  int g3 = node(CC_OP_GATHER, "gather", 2, emb, i32("batch"));
  attr(g3)->axis.axis = 2;
  EXPECT_ERROR(g3, "gather axis 2 is out of range for f32[1000,64]", "");
  end();
}

static void test_pick(void) {
  begin();
  EXPECT_TYPE(node(CC_OP_PICK, "pick", 2, f32("batch,10"), i32("batch")),
              "f32[batch]");
  EXPECT_TYPE(node(CC_OP_PICK, "pick", 2, f32("batch,t,5"), i32("batch,t")),
              "f32[batch,t]");
  EXPECT_ERROR(node(CC_OP_PICK, "pick", 2, f32("batch,10"), i32("batch,1")),
               "pick expects i32 indices of shape (batch), got i32[batch,1] "
               "for input f32[batch,10]",
               "");
  EXPECT_ERROR(node(CC_OP_PICK, "pick", 2, f32("batch,10"), f32("batch")),
               "pick expects i32 indices of shape (batch), got f32[batch] for "
               "input f32[batch,10]",
               "");
  end();
}

static void test_one_hot_cast_stop_gradient(void) {
  begin();
  int o = node(CC_OP_ONE_HOT, "one_hot", 1, i32("batch"));
  attr(o)->one_hot.depth = 10;
  EXPECT_TYPE(o, "f32[batch,10]");
  attr(o)->one_hot.depth = 0;
  EXPECT_ERROR(o, "one_hot depth must be at least 1, got 0", "");
  int o2 = node(CC_OP_ONE_HOT, "one_hot", 1, f32("batch"));
  attr(o2)->one_hot.depth = 3;
  EXPECT_ERROR(o2, "one_hot needs its indices to be i32, got f32[batch]", "");
  int c = node(CC_OP_CAST, "cast", 1, boolean("batch,3"));
  attr(c)->cast.to = NETC_F32;
  EXPECT_TYPE(c, "f32[batch,3]");
  attr(c)->cast.to = (netc_dtype)9;
  EXPECT_ERROR(c, "cast to an unknown dtype 9", "");
  EXPECT_TYPE(node(CC_OP_STOP_GRADIENT, "stop_gradient", 1, i32("batch,2")),
              "i32[batch,2]");
  end();
}

static void test_sparse_xent_and_accuracy(void) {
  begin();
  int logits = f32("batch,10");
  EXPECT_TYPE(node(CC_OP_SPARSE_XENT, "sparse_cross_entropy", 2, logits,
                   i32("batch")),
              "f32[]");
  EXPECT_ERROR(node(CC_OP_SPARSE_XENT, "sparse_cross_entropy", 2, logits,
                    f32("batch,10")),
               "sparse_cross_entropy expects i32 labels of shape (batch), got "
               "f32[batch,10] for logits f32[batch,10]",
               "use categorical_cross_entropy for one-hot labels");
  EXPECT_ERROR(node(CC_OP_SPARSE_XENT, "sparse_cross_entropy", 2, logits,
                    i32("batch,1")),
               "sparse_cross_entropy expects i32 labels of shape (batch), got "
               "i32[batch,1] for logits f32[batch,10]",
               "");
  EXPECT_ERROR(node(CC_OP_SPARSE_XENT, "sparse_cross_entropy", 2,
                    i32("batch,10"), i32("batch")),
               "sparse_cross_entropy needs its logits to be f32, got "
               "i32[batch,10]",
               "");
  EXPECT_TYPE(node(CC_OP_ACCURACY, "accuracy", 2, logits, i32("batch")),
              "f32[]");
  EXPECT_ERROR(node(CC_OP_ACCURACY, "accuracy", 2, f32(""), i32("")),
               "accuracy needs its logits to have rank 1 or more, got f32[]",
               "");
  end();
}

static void test_pair_losses(void) {
  begin();
  int logits = f32("batch,10");
  EXPECT_TYPE(node(CC_OP_XENT, "categorical_cross_entropy", 2, logits,
                   f32("batch,10")),
              "f32[]");
  EXPECT_ERROR(node(CC_OP_XENT, "categorical_cross_entropy", 2, logits,
                    i32("batch")),
               "categorical_cross_entropy expects f32 targets of shape "
               "(batch, 10), got i32[batch]",
               "use sparse_cross_entropy for integer labels");
  EXPECT_ERROR(node(CC_OP_XENT, "categorical_cross_entropy", 2, logits,
                    f32("batch,5")),
               "categorical_cross_entropy expects logits and targets of the "
               "same shape, got f32[batch,10] and f32[batch,5]",
               "");
  EXPECT_TYPE(node(CC_OP_BCE, "binary_cross_entropy", 2, f32("batch"),
                   f32("batch")),
              "f32[]");
  EXPECT_ERROR(node(CC_OP_BCE, "binary_cross_entropy", 2, f32("batch"),
                    i32("batch")),
               "binary_cross_entropy needs its targets to be f32, got "
               "i32[batch]",
               "");
  EXPECT_TYPE(node(CC_OP_MSE, "mse", 2, f32("batch,1"), f32("batch,1")),
              "f32[]");
  EXPECT_ERROR(node(CC_OP_MSE, "mse", 2, f32("batch"), f32("batch,1")),
               "mse expects prediction and target of the same shape, got "
               "f32[batch] and f32[batch,1]",
               "");
  int h = node(CC_OP_HUBER, "huber", 2, f32("batch,3"), f32("batch,3"));
  attr(h)->huber.delta = 1.0f;
  EXPECT_TYPE(h, "f32[]");
  attr(h)->huber.delta = 0.0f;
  EXPECT_ERROR(h, "huber delta must be positive, got 0", "");
  end();
}

static const test_case TESTS[] = {
    {"format", test_format},
    {"shape_helpers", test_shape_helpers},
    {"sources_unchanged", test_sources_unchanged},
    {"malformed_graph", test_malformed_graph},
    {"mnist_cnn", test_mnist_cnn},
    {"vgg16_base", test_vgg16_base},
    {"same_padding_strided", test_same_padding_strided},
    {"conv_errors", test_conv_errors},
    {"pools", test_pools},
    {"matmul", test_matmul},
    {"bias_add", test_bias_add},
    {"reshape", test_reshape},
    {"reshape_errors", test_reshape_errors},
    {"dropout", test_dropout},
    {"batchnorm", test_batchnorm},
    {"caffe_preprocess", test_caffe_preprocess},
    {"unary", test_unary},
    {"softmax", test_softmax},
    {"broadcasting", test_broadcasting},
    {"compare_and_where", test_compare_and_where},
    {"reductions", test_reductions},
    {"argmax", test_argmax},
    {"gather", test_gather},
    {"pick", test_pick},
    {"one_hot_cast_stop_gradient", test_one_hot_cast_stop_gradient},
    {"sparse_xent_and_accuracy", test_sparse_xent_and_accuracy},
    {"pair_losses", test_pair_losses},
    {0},
};

#include "tests/unit/cunit_main.h"
