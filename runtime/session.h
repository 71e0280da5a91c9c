/*
** session.h: what a netc_session holds, shared by the runtime's files:
** session.c (creation, weights, errors), init.c (initializers), plan.c
** (which nodes an entry runs and where their values live), exec.c (one node
** at a time through the kernels) and run.c (feeds, fetches, a whole step).
*/
#ifndef RT_SESSION_H
#define RT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "common/nc_source.h"
#include "compiler/ir.h"
#include "netc.h"
#include "runtime/kernels/kernels.h"
#include "runtime/session_guard.h"

/* Where a node's value lives while an entry runs. */
typedef enum rt_storage {
  RT_IN_ARENA,   /* the session arena, at the plan's offset */
  RT_ALIAS,      /* the same bytes as its first input (reshape, ...) */
  RT_PARAM,      /* the weight buffer */
  RT_SLOT,       /* the optimizer-state buffer */
  RT_CONST,      /* the constants buffer */
  RT_FEED,       /* the caller's feed */
  RT_NONE        /* nothing (updates write their parameter in place) */
} rt_storage;

/* One figure of the training history: a loss or metric over one epoch. */
typedef struct rt_record {
  int64_t epoch;  /* the 1-based epoch it closes */
  char name[72];  /* "xent", "val_acc", ... */
  double value;   /* its batch-weighted mean over the epoch */
} rt_record;

/* A product (conv2d, matmul) whose bias_add and relu the plan fused in:
** they alias its buffer and its epilogue computes them (plan.c). */
enum { RT_FUSED_BIAS = 1, RT_FUSED_RELU = 2 };
typedef struct rt_fused {
  unsigned char what; /* RT_FUSED_* bits, 0: nothing fused */
  int bias;           /* with RT_FUSED_BIAS: the bias node */
} rt_fused;

/* How one entry point runs for one set of fetches. */
typedef struct rt_plan {
  int entry;              /* index in the graph's entries */
  int *fetch;             /* nodes returned to the caller */
  int n_fetch;            /* entries in fetch */
  int *order;             /* nodes to execute, ascending (topological) */
  int n_order;            /* entries in order */
  unsigned char *storage; /* per node: rt_storage */
  size_t *offset;         /* per node: byte offset in the arena */
  rt_fused *fused;        /* per node: what its epilogue computes */
  size_t arena_bytes;     /* arena size at the planned batch */
  size_t scratch_floats;  /* scratch one thread's kernels need */
  size_t partial_floats;  /* per-chunk filter gradients (parallel.c) */
  int training;           /* dropout and batchnorm in training mode */
  int loss;               /* train: the loss node (NaN tripwire), else -1 */
  struct rt_plan *next;   /* other plans of the session */
} rt_plan;

/* Per-op timing counters (profile.c). */
typedef struct rt_profile rt_profile;

struct netc_session {
  const netc_model *model;         /* compiled model (not owned) */
  const cc_graph *g;               /* its graph */
  const nc_source_table *sources;  /* for messages with locations */
  uint64_t seed;                   /* from the options */
  int64_t max_batch;               /* every symbolic dim is planned at this */
  int threads;                     /* worker threads */
  int64_t step;                    /* training steps taken */
  int64_t epoch;                   /* data cursor: epochs completed */
  int64_t epoch_batch;             /* batches done in the current epoch */
  int64_t epoch_rows;              /* rows done in the current epoch */
  int64_t world_size;              /* processes of the last training */
  struct rt_group *group;          /* the ranks of a data-parallel fit in
                                      progress (distributed.h), or NULL */
  int64_t row_offset;              /* the global batch's row of our feed's
                                      first row: dropout masks follow
                                      global rows */
  double *epoch_sums;              /* per fetch of "train": batch-weighted
                                      sums over the current epoch, so a
                                      resumed epoch reports the same means */
  int n_epoch_sums;                /* entries in epoch_sums */
  rt_record *history;              /* one record per figure and epoch */
  int64_t n_history, cap_history;  /* records used and allocated */
  char **class_names;              /* an image-folder model's classes, or
                                      NULL (classes.c) */
  int n_classes;                   /* entries in class_names */
  double pixel_scale;              /* its 0..255 pixels were multiplied by
                                      this (1 when no classes are set) */
  float *params;                   /* all weights, one buffer */
  size_t *param_offset;            /* per param: offset in floats */
  float *slots;                    /* all optimizer slots, one buffer */
  size_t *slot_offset;             /* per slot: offset in floats */
  uint32_t *consts;                /* per node: CONST value bits */
  rt_plan *plans;                  /* built on first use of each fetch set */
  unsigned char *arena;            /* activations and gradients */
  size_t arena_bytes;              /* its size */
  struct rt_pool *pool;            /* worker threads */
  float *scratch;                  /* kernel scratch, one block per thread */
  size_t scratch_floats;           /* floats per thread */
  float *partials;                 /* per-chunk filter gradients */
  size_t partial_floats;           /* its size */
  void **value;                    /* per node: its data during a run */
  cc_shape *shape;                 /* per node: concrete shape during a run */
  int64_t *symbol;                 /* per symbolic dim: its value this run */
  int *fetch_buffer;               /* per node: scratch for fetch lookups */
  rt_optimizer optimizer;          /* the train declaration's optimizer */
  rt_hyper hyper;                  /* its settings for the current step */
  float clip_scale;                /* global-norm clipping factor this step */
  float clip_value;                /* per-element clipping bound, 0 = off */
  char error[512];                 /* why the last call failed */
  rt_profile *profile;             /* per-op timing, NULL when off */
  rt_guard guard;                  /* debug checks (session_guard.h) */
};

/* session.c: the batch a session plans for: `requested` when positive,
** else the model's train batch setting, else 32. */
int64_t rt_planned_batch(const cc_graph *g, int64_t requested);

/* Records an error message and returns `status`. */
netc_status rt_fail(netc_session *s, netc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "file:line:col" of a span, or "" without one, into buf. */
void rt_location(const netc_session *s, nc_span span, char *buf, size_t size);

/* Appends a figure to the training history (name truncated to fit). */
netc_status rt_history_add(netc_session *s, int64_t epoch, const char *name,
                           double value);

/* classes.c: forgets the class names (pixel scale back to 1). */
void rt_classes_free(netc_session *s);

/* init.c: fills every weight from its initializer (seeded). */
void rt_init_params(netc_session *s);
/* init.c: optimizer slots start at zero, Adagrad's accumulators at its
** initial_accumulator setting. */
void rt_init_slots(netc_session *s);

/* plan.c: the plan for an entry and fetch set, built once and cached.
** NULL after rt_fail (unknown fetch, out of memory). */
rt_plan *rt_plan_get(netc_session *s, int entry, const int *fetch,
                     int n_fetch);
void rt_plan_free_all(netc_session *s);
/* Elements of a concrete shape. */
int64_t rt_elements(const cc_shape *shape);
size_t rt_dtype_size(netc_dtype dtype);

/* exec.c: the geometry of a convolution or pooling node from the concrete
** shapes of its input x, output y and (convolutions) kernel k. */
void rt_window_for(const cc_node *n, const cc_shape *x, const cc_shape *y,
                   const cc_shape *k, rt_window *w);
/* exec.c: computes node `index` from its inputs' values (shapes known). */
netc_status rt_exec_node(netc_session *s, const rt_plan *plan, int index);

/* profile.c: a monotonic clock in seconds; adds node `index`'s time since
** `started` and its FLOPs to the counters (profiling on); frees them. */
double rt_profile_clock(void);
void rt_profile_add(netc_session *s, int index, double started);
/* profile.c: adds the time since `started` to the data-parallel gradient
** sums, `waited` seconds of it waiting for another rank (reported as ops
** "allreduce" and "allreduce_wait" after the graph's ops). */
void rt_profile_add_allreduce(netc_session *s, double started, double waited);
void rt_profile_free(rt_profile *profile);

#endif
