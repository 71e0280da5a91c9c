/*
** ir.h: the graph IR, the contract between the compiler and the runtime.
**
** A graph is a DAG of nodes in topological order (every input index is lower
** than the node's own index). Each node is one primitive op of ops.def with
** its inputs, a small attribute union, the inferred dtype and shape, and the
** span of the .net text that produced it. Layers, parameters, inputs, the
** declared outputs/losses/metrics, the training settings and the entry points
** are tables that point into the node array by index.
**
** Shapes: dims are positive sizes, or symbolic (negative, CC_DIM_SYMBOL) for
** names like `batch` that are only known when data is fed. Everything lives in
** the graph's arena and is released with it.
*/
#ifndef CC_IR_H
#define CC_IR_H

#include <stddef.h>
#include <stdint.h>

#include "common/nc_arena.h"
#include "common/nc_buf.h"
#include "common/nc_source.h"
#include "netc.h"

/* ------------------------------------------------------------------- ops */

enum {
  CC_OPF_DIFF = 1 << 0,    /* has a gradient with respect to its inputs */
  CC_OPF_UNARY = 1 << 1,   /* elementwise, one input, same shape */
  CC_OPF_BINARY = 1 << 2,  /* elementwise, two inputs, broadcasting */
  CC_OPF_COMPARE = 1 << 3, /* like BINARY but the result is bool */
  CC_OPF_RANDOM = 1 << 4   /* draws from the session RNG (training only) */
};

typedef enum cc_op {
#define X(e, name, inputs, flags) CC_OP_##e,
#include "compiler/ops.def"
#undef X
  CC_OP_COUNT
} cc_op;

typedef struct cc_op_info {
  const char *name; /* as in ops.def; also the name stored in saved files */
  int inputs;       /* number of inputs */
  unsigned flags;   /* CC_OPF_* */
} cc_op_info;

const cc_op_info *cc_op_get(cc_op op);
/* The op called `name`, or -1. */
int cc_op_find(const char *name);

/* ---------------------------------------------------------------- shapes */

enum { CC_MAX_RANK = 8, CC_MAX_INPUTS = 5 };

/* Symbolic dimension number i (0-based) is stored as -(i + 1). */
#define CC_DIM_SYMBOL(i) (-(int64_t)(i) - 1)
#define CC_DIM_IS_SYMBOL(d) ((d) < 0)
#define CC_DIM_SYMBOL_INDEX(d) ((int)(-(d) - 1))

typedef struct cc_shape {
  int rank;                 /* 0 for a scalar */
  int64_t dim[CC_MAX_RANK]; /* sizes, or CC_DIM_SYMBOL(i) */
} cc_shape;

typedef enum cc_padding {
  CC_PAD_VALID, /* no padding: out = (in - k) / stride + 1 */
  CC_PAD_SAME   /* zero padding: out = ceil(in / stride) */
} cc_padding;

/* Reductions over every axis use this axis value. */
enum { CC_AXIS_ALL = -100 };

/* Per-op attributes; the comment names the ops that use each member. */
typedef union cc_attrs {
  struct {
    int kh, kw;          /* window (pools; CONV2D sets them from its kernel) */
    int sh, sw;          /* strides */
    cc_padding padding;  /* valid or same */
    int pad_top, pad_left; /* zeros before the first row/column (inferred;
                              SAME puts an odd extra row/column at the end,
                              as TensorFlow does) */
  } window;              /* CONV2D, MAXPOOL, AVGPOOL */
  struct {
    int axis;            /* normalized to 0..rank-1 by cc_infer; CC_AXIS_ALL
                            only for the REDUCE_* ops */
    int keepdims;        /* keep reduced axes as size 1 */
  } axis;                /* REDUCE_*, ARGMAX, SOFTMAX, LOG_SOFTMAX, GATHER */
  struct {
    float rate;          /* fraction of elements zeroed during training */
    int key;             /* RNG stream: the forward node's index, shared by
                            its gradient so both use one mask */
  } dropout;             /* DROPOUT */
  struct {
    int transpose_a;     /* use A^T */
    int transpose_b;     /* use B^T */
  } matmul;              /* MATMUL */
  struct {
    float epsilon;       /* added to the variance */
    float momentum;      /* moving-average decay */
  } batchnorm;           /* BATCHNORM */
  struct {
    float delta;         /* switch from quadratic to linear */
  } huber;               /* HUBER, HUBER_GRAD */
  struct {
    int wrt_target;      /* the gradient with respect to the targets
                            (input 2) instead of the logits */
  } loss_grad;           /* XENT_GRAD, BCE_GRAD */
  struct {
    double value;        /* the scalar (dtype f32 or i32 from the node) */
  } constant;            /* CONST */
  struct {
    int depth;           /* number of classes */
  } one_hot;             /* ONE_HOT */
  struct {
    netc_dtype to;       /* target dtype */
  } cast;                /* CAST */
  struct {
    cc_shape target;     /* as requested: without the leading (batch) dim,
                            0 for the one dim to infer; the result is in the
                            node's shape */
  } reshape;             /* RESHAPE (flatten is target {0}) */
} cc_attrs;

/* ----------------------------------------------------------------- nodes */

typedef struct cc_node {
  cc_op op;                /* what it computes */
  const char *name;        /* unique in the graph: layer or variable name,
                              or "<origin>_<n>" for anonymous nodes */
  const char *origin;      /* the .net function that made it ("dense") */
  netc_dtype dtype;        /* result dtype (inferred) */
  cc_shape shape;          /* result shape (inferred) */
  int n_inputs;            /* == cc_op_get(op)->inputs */
  int inputs[CC_MAX_INPUTS]; /* node indices, all lower than this node's */
  cc_attrs attr;           /* per-op attributes */
  nc_span span;            /* the .net text that produced it */
  int layer;               /* index in layers, or -1 */
  int param;               /* PARAM, APPLY_UPDATE: index in params;
                              SLOT: index in slots; else -1 */
  int input;               /* INPUT: index in inputs, else -1 */
  int backward;            /* made by autodiff (gradients, slots, updates);
                              not part of inference */
} cc_node;

/* ---------------------------------------------------------------- tables */

typedef enum cc_init {
  CC_INIT_ZEROS,          /* 0 */
  CC_INIT_ONES,           /* 1 */
  CC_INIT_GLOROT_UNIFORM, /* U(-l, l), l = sqrt(6 / (fan_in + fan_out)) */
  CC_INIT_GLOROT_NORMAL,  /* N(0, 2 / (fan_in + fan_out)), truncated at 2 sd */
  CC_INIT_HE_UNIFORM,     /* U(-l, l), l = sqrt(6 / fan_in) */
  CC_INIT_HE_NORMAL,      /* N(0, 2 / fan_in), truncated at 2 sd */
  CC_INIT_LECUN_UNIFORM   /* U(-l, l), l = sqrt(3 / fan_in) */
} cc_init;

const char *cc_init_name(cc_init init);
/* The initializer called `name`, or -1. */
int cc_init_find(const char *name);

/* A weight tensor. Fans for the initializers follow Keras: the last axis is
** fan_out, the one before fan_in, the others are the receptive field. */
typedef struct cc_param {
  const char *name;       /* HDF5 path below /params: "block1_conv1/kernel" */
  const char *short_name; /* "kernel", "bias", "gamma", "moving_mean", ... */
  int layer;              /* owning layer */
  int node;               /* its PARAM node */
  cc_init init;           /* initializer */
  int trainable;          /* 0 when frozen or when it is running state */
  int is_state;           /* updated by the forward pass (batchnorm moving
                             averages), never by the optimizer */
} cc_param;

/* Optimizer state of one parameter (Adam's m and v, a momentum, ...),
** zero at the start of training. */
typedef struct cc_slot {
  const char *name;   /* "<param>/<slot>", e.g. "dense/kernel/m" */
  int param;          /* the parameter it belongs to */
  int node;           /* its SLOT node */
} cc_slot;

typedef struct cc_layer {
  const char *name;   /* unique: explicit, the assigned variable, or type_n */
  const char *type;   /* the .net function, e.g. "conv2d" */
  int output;         /* node holding the layer's result */
  int first_param;    /* its params are first_param .. first_param+n-1 */
  int n_params;       /* number of weight tensors */
  const char *scope;  /* weight set or import alias it belongs to, or NULL */
  nc_span span;       /* the call */
} cc_layer;

typedef struct cc_input {
  const char *name;   /* feed name */
  int node;           /* its INPUT node */
  nc_span span;       /* the declaration, for feed errors */
} cc_input;

typedef enum cc_output_kind {
  CC_OUTPUT,  /* output name = ... : fetched by predict */
  CC_LOSS,    /* loss name = ...: scalar, minimized by train */
  CC_METRIC   /* metric name = ...: scalar, reported by evaluate and fit */
} cc_output_kind;

typedef struct cc_output {
  const char *name;     /* declared name */
  cc_output_kind kind;  /* output, loss or metric */
  int node;             /* the value */
  nc_span span;         /* the declaration */
} cc_output;

/* A numeric or symbolic setting: lr=0.001, padding="same", schedule=... */
typedef struct cc_setting {
  const char *key;      /* setting name */
  double value;         /* numeric value (when text is NULL) */
  const char *text;     /* symbolic value, or NULL */
  nc_span span;         /* where it was written */
} cc_setting;

typedef struct cc_train {
  int present;            /* the model has a train declaration */
  const char *optimizer;  /* sgd, momentum, nesterov, adam, adamw, rmsprop,
                             adagrad */
  cc_setting *hyper;      /* optimizer settings (lr, beta1, ...) */
  int n_hyper;            /* entries in hyper */
  const char *schedule;   /* constant, step, exponential, cosine */
  cc_setting *schedule_args; /* the schedule's settings */
  int n_schedule_args;    /* entries in schedule_args */
  cc_setting *settings;   /* batch, epochs, clip_norm, ... after `with` */
  int n_settings;         /* entries in settings */
  int loss;               /* index in outputs of the minimized loss */
  nc_span span;           /* the declaration */
} cc_train;

typedef enum cc_entry_kind {
  CC_ENTRY_PREDICT,  /* inputs -> outputs, inference mode */
  CC_ENTRY_EVALUATE, /* inputs -> outputs, losses, metrics, inference mode */
  CC_ENTRY_TRAIN,    /* one optimizer step on the loss, training mode */
  CC_ENTRY_STEP      /* a user-named step: weight copies */
} cc_entry_kind;

/* dst_param <- src_param, executed by a user-named step. */
typedef struct cc_copy {
  int dst; /* param index written */
  int src; /* param index read */
} cc_copy;

typedef struct cc_entry {
  const char *name;    /* "predict", "evaluate", "train" or the user's name */
  cc_entry_kind kind;  /* what running it does */
  int *fetches;        /* nodes computed and returned */
  int n_fetches;       /* entries in fetches */
  int *feeds;          /* input indices it needs */
  int n_feeds;         /* entries in feeds */
  cc_copy *copies;     /* STEP: weight copies, in order */
  int n_copies;        /* entries in copies */
  int *updates;        /* TRAIN: APPLY_UPDATE nodes, run after the fetches */
  int n_updates;       /* entries in updates */
  nc_span span;        /* the declaration (no location for built-ins) */
} cc_entry;

/* ----------------------------------------------------------------- graph */

typedef struct cc_graph {
  nc_arena *arena;        /* owns everything below */
  const char *model_name; /* from `model NAME` */
  cc_node *nodes;   int n_nodes,   cap_nodes;   /* topological order */
  cc_param *params; int n_params,  cap_params;  /* creation order */
  cc_layer *layers; int n_layers,  cap_layers;  /* creation order */
  cc_slot *slots;   int n_slots,   cap_slots;   /* made by autodiff */
  cc_input *inputs; int n_inputs,  cap_inputs;  /* declaration order */
  cc_output *outputs; int n_outputs, cap_outputs; /* declaration order */
  cc_entry *entries; int n_entries, cap_entries; /* predict, evaluate,
                                                    train, then user steps */
  const char **symbols; int n_symbols, cap_symbols; /* symbolic dim names */
  cc_train train;   /* training declaration (train.present) */
} cc_graph;

void cc_graph_init(cc_graph *g, nc_arena *arena);

/* Appends a node with the given inputs (as many as the op takes; APPLY_UPDATE
** takes 2 to 4); dtype and shape are left for
** cc_infer. Returns its index, or -1 on out-of-memory. */
int cc_graph_add_node(cc_graph *g, cc_op op, const int *inputs, int n_inputs,
                      nc_span span);
/* Index of the symbolic dimension `name`, added when new; -1 on OOM. */
int cc_graph_symbol(cc_graph *g, const char *name);
/* Grows one of the graph's tables by one zeroed element; NULL on OOM. */
void *cc_graph_push(cc_graph *g, void **items, int *count, int *capacity,
                    size_t elem_size);

#define CC_PUSH(g, table) \
  ((__typeof__((g)->table))cc_graph_push((g), (void **)&(g)->table, \
       &(g)->n_##table, &(g)->cap_##table, sizeof *(g)->table))

/* Node, layer and param lookup by name; -1 when absent. */
int cc_graph_find_node(const cc_graph *g, const char *name);
int cc_graph_find_layer(const cc_graph *g, const char *name);
int cc_graph_find_param(const cc_graph *g, const char *name);
int cc_graph_find_entry(const cc_graph *g, const char *name);

/* What the runtime reads from a compiled model (compiler/model.h owns the
** struct): its graph and the source files that spans point into. */
const cc_graph *cc_model_graph(const netc_model *model);
const nc_source_table *cc_model_sources(const netc_model *model);
/* An empty model for a loader to fill (graph, sources and strings in the
** model's arena, reached through *arena); NULL on out-of-memory. The result
** is released with netc_model_destroy. */
netc_model *cc_model_create(nc_arena **arena, cc_graph **graph,
                            nc_source_table **sources);

/* ------------------------------------------------------- shape inference */

/* Why inference failed: message and optional hint, both NUL-terminated. */
typedef struct cc_infer_error {
  char message[256]; /* e.g. "dense expects a rank-2 input, got f32[batch,12,12,64]" */
  char hint[128];    /* e.g. "did you mean flatten(x)?", or "" */
  int out_of_memory; /* the message could not be built: report ENOMEM */
} cc_infer_error;

/* Fills dtype, shape (and inferred attributes such as SAME padding) of node
** `index` from its inputs. Returns 0, or -1 with *err filled. Messages name
** the node's origin, not the IR op, so users see the function they wrote. */
int cc_infer(cc_graph *g, int index, cc_infer_error *err);

/* Shapes as users read them: "f32[batch,28,28,1]", "f32[]" for scalars. */
void cc_format_type(nc_buf *out, const cc_graph *g, netc_dtype dtype,
                    const cc_shape *shape);
/* Shape only: "(batch, 26, 26, 32)" as Keras prints it. */
void cc_format_shape(nc_buf *out, const cc_graph *g, const cc_shape *shape);
/* Elements per example: the product of dims, with a leading symbolic dim
** left out; -1 when another dim is symbolic. */
int64_t cc_shape_elements_per_example(const cc_shape *shape);
/* Product of all dims; -1 when any is symbolic. */
int64_t cc_shape_elements(const cc_shape *shape);
int cc_shape_equal(const cc_shape *a, const cc_shape *b);

/* For gradient ops: the input whose dtype and shape the result takes, or -1
** for other ops. */
int cc_grad_like_input(cc_op op);

/* Multiply-adds counted as 2 FLOPs, per example (leading symbolic dim
** excluded) of one forward evaluation of the node. */
int64_t cc_node_flops(const cc_graph *g, const cc_node *n);

/* a + b and a * b of counts (>= 0) that stop at INT64_MAX instead of
** overflowing: a shape may hold up to INT64_MAX elements, so the totals
** of parameters, FLOPs and bytes over a graph can exceed it. */
static inline int64_t cc_count_add(int64_t a, int64_t b) {
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}
static inline int64_t cc_count_mul(int64_t a, int64_t b) {
  return b != 0 && a > INT64_MAX / b ? INT64_MAX : a * b;
}

#endif
