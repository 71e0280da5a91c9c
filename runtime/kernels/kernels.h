/*
** kernels.h: the compute kernels of the runtime, as plain functions on
** contiguous arrays with explicit sizes. They know nothing of the IR or of
** sessions, so each can be tested against a plain-loop reference.
**
** Layout: activations NHWC, convolution kernels HWIO (kh, kw, c_in, c_out),
** dense kernels (in, out), all row-major. Letters: N batch, H/W height and
** width, C input channels, F output channels (filters), M/K/P matrix sizes.
** Forward kernels overwrite their output; backward kernels overwrite their
** gradient output too (the autodiff sums contributions with explicit adds).
** None of them allocates: callers pass scratch memory sized by the
** matching *_scratch function.
*/
#ifndef RT_KERNELS_H
#define RT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------- matmul */

/* C[M,P] = op(A) op(B), op = transpose when the flag is set. A is [M,K]
** (or [K,M] transposed), B is [K,P] (or [P,K] transposed). OpenBLAS. */
void rt_matmul(int64_t m, int64_t k, int64_t p, int transpose_a,
               int transpose_b, const float *a, const float *b, float *c);
/* Rows [first, first + count) of the same product: C's rows are
** independent, so threads can share one product without changing a bit. */
void rt_matmul_rows(int64_t m, int64_t k, int64_t p, int transpose_a,
                    int transpose_b, const float *a, const float *b, float *c,
                    int64_t first, int64_t count);
/* The same with plain loops: the reference and the fallback. */
void rt_ref_matmul(int64_t m, int64_t k, int64_t p, int transpose_a,
                   int transpose_b, const float *a, const float *b, float *c);

/* What a product's output rows go through while still in cache: the
** bias_add and relu that the plan fused into it (plan.c). */
typedef struct rt_epilogue {
  const float *bias; /* [c] added to every row, or NULL */
  int relu;          /* then max(y, 0) */
} rt_epilogue;
/* y[rows, c] = act(y + bias) in place, bit for bit what rt_bias_add then
** the relu map give. */
void rt_epilogue_apply(const rt_epilogue *e, int64_t rows, int64_t c, float *y);

/* ---------------------------------------------------------- convolution */

/* Geometry shared by convolution and pooling. Output sizes oh, ow and the
** padding come from the compiler's shape inference. */
typedef struct rt_window {
  int64_t n, h, w, c;   /* input: batch, height, width, channels */
  int64_t kh, kw;       /* window */
  int64_t sh, sw;       /* strides */
  int64_t pad_top, pad_left; /* zeros before the first row / column */
  int64_t oh, ow;       /* output height and width */
  int64_t f;            /* convolution: output channels (pooling: = c) */
} rt_window;

/* Scratch floats the conv kernels need (one tile's im2col columns). */
size_t rt_conv2d_scratch(const rt_window *g);
/* The convolution works in tiles, bands of output rows of one image sized
** by the geometry alone; this is their number over the whole batch. */
int64_t rt_conv2d_tiles(const rt_window *g);
/* y[N,OH,OW,F] = conv(x[N,H,W,C], w[KH,KW,C,F]) (cross-correlation). */
void rt_conv2d_forward(const rt_window *g, const float *x, const float *w,
                       float *y, float *scratch);
/* The same for tile `tile` only (x, y: the whole batch), then the
** epilogue (NULL: none) on its rows; tiles are independent, so threads can
** share them without changing a bit. */
void rt_conv2d_forward_tile(const rt_window *g, int64_t tile, const float *x,
                            const float *w, const rt_epilogue *epilogue,
                            float *y, float *scratch);
/* dx[N,H,W,C] from dy[N,OH,OW,F] and w. */
void rt_conv2d_backward_input(const rt_window *g, const float *dy,
                              const float *w, float *dx, float *scratch);
/* dw[KH,KW,C,F] from x and dy. */
void rt_conv2d_backward_filter(const rt_window *g, const float *x,
                               const float *dy, float *dw, float *scratch);
/* Direct convolution for thin inputs (KH*KW*C <= 32, F a multiple of 8) on
** CPUs with AVX2 and FMA (conv_direct.c); the forward pass uses it by
** itself. Output rows [row, row + rows) of one image go to y. */
int rt_conv2d_direct_applies(const rt_window *g);
void rt_conv2d_direct_rows(const rt_window *g, const float *image, const float *w,
                           int64_t row, int64_t rows, float *y);
/* Plain-loop references of the three. */
void rt_ref_conv2d_forward(const rt_window *g, const float *x, const float *w,
                           float *y);
void rt_ref_conv2d_backward_input(const rt_window *g, const float *dy,
                                  const float *w, float *dx);
void rt_ref_conv2d_backward_filter(const rt_window *g, const float *x,
                                   const float *dy, float *dw);

/* -------------------------------------------------------------- pooling */

/* y[N,OH,OW,C]; padded cells never win a max and are not counted in an
** average (Keras/TensorFlow semantics). */
void rt_maxpool_forward(const rt_window *g, const float *x, float *y);
/* dx from dy: each output's gradient goes to the first input cell holding
** the maximum (recomputed from x and y, no index buffer kept). */
void rt_maxpool_backward(const rt_window *g, const float *x, const float *y,
                         const float *dy, float *dx);
void rt_avgpool_forward(const rt_window *g, const float *x, float *y);
void rt_avgpool_backward(const rt_window *g, const float *dy, float *dx);

/* ---------------------------------------------------------- elementwise */

typedef enum rt_unary_op {
  RT_RELU, RT_SIGMOID, RT_TANH, RT_EXP, RT_LOG, RT_SQRT, RT_ABS, RT_NEG
} rt_unary_op;
/* y[i] = f(x[i]) for n elements (f32). */
void rt_unary_f32(rt_unary_op op, int64_t n, const float *x, float *y);
/* NEG and ABS on i32. */
void rt_unary_i32(rt_unary_op op, int64_t n, const int32_t *x, int32_t *y);
/* dx = dy * f'(x) written through the saved output y, for RELU (y > 0),
** SIGMOID (y (1 - y)) and TANH (1 - y^2). */
void rt_unary_grad(rt_unary_op op, int64_t n, const float *dy, const float *y,
                   float *dx);

typedef enum rt_binary_op {
  RT_ADD, RT_SUB, RT_MUL, RT_DIV, RT_MAXIMUM, RT_MINIMUM,
  RT_LESS, RT_GREATER, RT_LESS_EQUAL, RT_GREATER_EQUAL, RT_EQUAL,
  RT_NOT_EQUAL
} rt_binary_op;

/* A broadcast shape: up to 8 dims, row-major. */
typedef struct rt_shape {
  int rank;        /* 0 for a scalar */
  int64_t dim[8];  /* sizes */
} rt_shape;

/* out = a op b with numpy broadcasting; out_shape is the broadcast shape
** (computed by the caller). Arithmetic ops write the operands' dtype;
** comparisons write uint8 0/1. `dtype_i32` selects int32 operands. */
void rt_binary(rt_binary_op op, int dtype_i32, const void *a, const rt_shape *as,
               const void *b, const rt_shape *bs, void *out,
               const rt_shape *out_shape);
/* out = cond ? a : b, broadcasting all three; elem_size 1 or 4 bytes. */
void rt_where(const uint8_t *cond, const rt_shape *cs, const void *a,
              const rt_shape *as, const void *b, const rt_shape *bs,
              void *out, const rt_shape *out_shape, size_t elem_size);
/* Sums x (shape xs) down to the smaller broadcast-compatible shape ys: the
** gradient of broadcasting. */
void rt_sum_to(const float *x, const rt_shape *xs, float *y,
               const rt_shape *ys);

/* y[rows, c] = x + b[c]. */
void rt_bias_add(int64_t rows, int64_t c, const float *x, const float *b,
                 float *y);
/* db[c] = sum over rows of dy[rows, c]. */
void rt_bias_grad(int64_t rows, int64_t c, const float *dy, float *db);

/* ---------------------------------------------------- softmax and losses */

/* Row-wise along the last axis of [rows, c], stable (max subtracted). An
** `axis` other than the last is handled by the caller with
** outer/axis/inner strides: x viewed as [outer, c, inner]. */
void rt_softmax(int64_t outer, int64_t c, int64_t inner, const float *x,
                float *y);
void rt_log_softmax(int64_t outer, int64_t c, int64_t inner, const float *x,
                    float *y);
/* dx = y * (dy - sum(dy * y)) along the axis. */
void rt_softmax_grad(int64_t outer, int64_t c, int64_t inner, const float *dy,
                     const float *y, float *dx);
/* dx = dy - exp(y) * sum(dy) along the axis (y is log_softmax). */
void rt_log_softmax_grad(int64_t outer, int64_t c, int64_t inner,
                         const float *dy, const float *y, float *dx);

/* Losses return the mean over the rows (every element for mse, huber and
** binary cross-entropy). Labels out of [0, c) make the kernel return -1
** (index of nothing is an input error, not a crash); otherwise 0. */
int rt_sparse_xent(int64_t rows, int64_t c, const float *logits,
                   const int32_t *labels, float *loss);
/* dlogits = dloss * (softmax(logits) - onehot(label)) / rows. */
int rt_sparse_xent_grad(int64_t rows, int64_t c, const float *logits,
                        const int32_t *labels, float dloss, float *dlogits);
void rt_xent(int64_t rows, int64_t c, const float *logits,
             const float *targets, float *loss);
void rt_xent_grad(int64_t rows, int64_t c, const float *logits,
                  const float *targets, float dloss, float *dlogits);
/* On logits: mean of max(z,0) - z t + log(1 + exp(-|z|)). */
void rt_bce(int64_t n, const float *logits, const float *targets,
            float *loss);
void rt_bce_grad(int64_t n, const float *logits, const float *targets,
                 float dloss, float *dlogits);
void rt_mse(int64_t n, const float *pred, const float *target, float *loss);
/* dpred; the target's gradient is its negation. */
void rt_mse_grad(int64_t n, const float *pred, const float *target,
                 float dloss, float *dpred);
void rt_huber(int64_t n, float delta, const float *pred, const float *target,
              float *loss);
void rt_huber_grad(int64_t n, float delta, const float *pred,
                   const float *target, float dloss, float *dpred);
/* Fraction of rows whose argmax equals the label. */
int rt_accuracy(int64_t rows, int64_t c, const float *logits,
                const int32_t *labels, float *acc);

/* ------------------------------------------------------------ reductions */

typedef enum rt_reduce_op { RT_REDUCE_SUM, RT_REDUCE_MAX, RT_REDUCE_MEAN } rt_reduce_op;
/* x viewed as [outer, len, inner] reduced over len: y[outer, inner]. The
** sum runs in a fixed order (deterministic). */
void rt_reduce_f32(rt_reduce_op op, int64_t outer, int64_t len, int64_t inner,
                   const float *x, float *y);
void rt_reduce_i32(rt_reduce_op op, int64_t outer, int64_t len, int64_t inner,
                   const int32_t *x, int32_t *y);
/* dx[outer, len, inner] = dy[outer, inner] (the gradient of a sum). */
void rt_unreduce(int64_t outer, int64_t len, int64_t inner, const float *dy,
                 float *dx);
/* dx = dy where x equals the max y (first occurrence only), else 0. */
void rt_reduce_max_grad(int64_t outer, int64_t len, int64_t inner,
                        const float *x, const float *y, const float *dy,
                        float *dx);
/* Index of the first maximum along len. */
void rt_argmax_f32(int64_t outer, int64_t len, int64_t inner, const float *x,
                   int32_t *y);
void rt_argmax_i32(int64_t outer, int64_t len, int64_t inner,
                   const int32_t *x, int32_t *y);

/* --------------------------------------------------------------- indexing */

/* x viewed as [outer, len, inner]; idx has n entries in [0, len):
** y[outer, n, inner]. Returns -1 (writing nothing more) on a bad index. */
int rt_gather(int64_t outer, int64_t len, int64_t inner, size_t elem_size,
              const void *x, int64_t n, const int32_t *idx, void *y);
/* dx[outer, len, inner] = scatter-add of dy[outer, n, inner]. */
int rt_gather_grad(int64_t outer, int64_t len, int64_t inner, int64_t n,
                   const int32_t *idx, const float *dy, float *dx);
/* y[r] = x[r, idx[r]] for x[rows, c]. */
int rt_pick(int64_t rows, int64_t c, size_t elem_size, const void *x,
            const int32_t *idx, void *y);
/* dx[rows, c] = 0 except dx[r, idx[r]] = dy[r]. */
int rt_pick_grad(int64_t rows, int64_t c, const int32_t *idx, const float *dy,
                 float *dx);
/* y[n, depth]; an index outside [0, depth) gives a zero row. */
void rt_one_hot(int64_t n, int64_t depth, const int32_t *idx, float *y);
/* Converts n elements between f32, i32, u8 and bool (dtype codes of
** netc_dtype: 0 f32, 1 i32, 2 u8, 3 bool). */
void rt_cast(int64_t n, int from, const void *x, int to, void *y);

/* ----------------------------------------------------------------- random */

/* A uniform float in [0, 1) that depends only on its four arguments
** (counter-based: no state, so any thread can draw any element). */
float rt_uniform(uint64_t seed, uint64_t stream, uint64_t step, uint64_t index);
/* out[i] = rt_uniform(seed, stream, step, first + i) for i < n, with the
** stream's state mixed once. */
void rt_uniform_fill(uint64_t seed, uint64_t stream, uint64_t step, uint64_t first,
                     int64_t n, float *out);
/* Inverted dropout: y = x * keep / (1 - rate), keep = uniform >= rate,
** drawn with (seed, key, step, element index), x[0] being element `first`
** of the tensor (so a part of it can be done alone). Applying it to a
** gradient with the same arguments gives the backward pass. */
void rt_dropout(int64_t n, float rate, uint64_t seed, uint64_t key,
                uint64_t step, uint64_t first, const float *x, float *y);

/* ---------------------------------------------------- batch normalization */

/* x viewed as [rows, c]. Inference: y = gamma (x - mean) / sqrt(var + eps)
** + beta with the moving statistics. */
void rt_batchnorm_infer(int64_t rows, int64_t c, float eps, const float *x,
                        const float *gamma, const float *beta,
                        const float *mean, const float *var, float *y);
/* Training: batch statistics (biased variance); updates the moving ones
** as m = momentum m + (1 - momentum) batch (Keras). */
void rt_batchnorm_train(int64_t rows, int64_t c, float eps, float momentum,
                        const float *x, const float *gamma, const float *beta,
                        float *moving_mean, float *moving_var, float *y);
/* Gradients of the training-mode transform, batch statistics recomputed. */
void rt_batchnorm_grad(int64_t rows, int64_t c, float eps, const float *x,
                       const float *gamma, const float *dy, float *dx,
                       float *dgamma, float *dbeta);

/* ---------------------------------------------------------- preprocessing */

/* Keras "caffe" mode on [pixels, 3] RGB in 0..255: BGR order, ImageNet
** mean (103.939, 116.779, 123.68) subtracted. */
void rt_caffe_preprocess(int64_t pixels, const float *x, float *y);

/* ------------------------------------------------------------ optimizers */

typedef enum rt_optimizer {
  RT_SGD, RT_MOMENTUM, RT_NESTEROV, RT_ADAM, RT_ADAMW, RT_RMSPROP, RT_ADAGRAD
} rt_optimizer;

typedef struct rt_hyper {
  float lr;            /* learning rate for this step (schedule applied) */
  float momentum;      /* MOMENTUM, NESTEROV, RMSPROP */
  float beta1, beta2;  /* ADAM, ADAMW */
  float epsilon;       /* ADAM, ADAMW, RMSPROP, ADAGRAD */
  float rho;           /* RMSPROP */
  float weight_decay;  /* ADAMW (decoupled) */
  int64_t step;        /* 1-based step number (Adam bias correction) */
} rt_hyper;

/* One update of n weights p with gradient g and the optimizer's slots
** (s1, s2: momentum / first and second moments / accumulators; unused ones
** may be NULL). Equations follow Keras 3 (see optim.c). */
void rt_optimizer_step(rt_optimizer opt, const rt_hyper *h, int64_t n,
                       float *p, const float *g, float *s1, float *s2);

#endif
