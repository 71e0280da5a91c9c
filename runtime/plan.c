/*
** plan.c: which nodes an entry point runs and where each value lives.
**
** A plan is made once per (entry, fetch set) and cached: the nodes the
** fetches (and, for train, the updates) depend on, in topological order;
** then every value that needs memory gets an offset in the session arena,
** sized for the planned batch. Buffers are reused once their last reader
** has run (liveness over the execution order, first fit), and reshapes and
** the like share their input's bytes. Running a plan allocates nothing.
*/
#include <string.h>

#include "common/nc_alloc.h"
#include "runtime/kernels/kernels.h"
#include "runtime/parallel.h"
#include "runtime/session.h"

enum { PLAN_ALIGN = 64 };

size_t rt_dtype_size(netc_dtype dtype) {
  return dtype == NETC_F32 || dtype == NETC_I32 ? 4 : 1;
}

int64_t rt_elements(const cc_shape *shape) {
  int64_t n = 1;
  for (int i = 0; i < shape->rank; i++) n *= shape->dim[i];
  return n;
}

/* A node's shape with every symbolic dim at the planned batch. */
static cc_shape planned_shape(const netc_session *s, int node) {
  cc_shape shape = s->g->nodes[node].shape;
  for (int i = 0; i < shape.rank; i++)
    if (CC_DIM_IS_SYMBOL(shape.dim[i])) shape.dim[i] = s->max_batch;
  return shape;
}

static rt_storage storage_of(const cc_graph *g, int i, int training) {
  const cc_node *n = &g->nodes[i];
  switch (n->op) {
  case CC_OP_PARAM: return RT_PARAM;
  case CC_OP_SLOT: return RT_SLOT;
  case CC_OP_CONST: return RT_CONST;
  case CC_OP_INPUT: return RT_FEED;
  case CC_OP_APPLY_UPDATE: return RT_NONE;
  case CC_OP_RESHAPE:
  case CC_OP_STOP_GRADIENT: return RT_ALIAS;
  case CC_OP_DROPOUT: return training ? RT_IN_ARENA : RT_ALIAS;
  case CC_OP_CAST:
    return n->dtype == g->nodes[n->inputs[0]].dtype ? RT_ALIAS : RT_IN_ARENA;
  default: return RT_IN_ARENA;
  }
}

/* Scratch floats a node's kernel needs at the planned batch. */
static size_t scratch_of(const netc_session *s, int i) {
  const cc_node *n = &s->g->nodes[i];
  rt_window w;
  switch (n->op) {
  case CC_OP_CONV2D:
  case CC_OP_CONV2D_GRAD_INPUT:
  case CC_OP_CONV2D_GRAD_FILTER: {
    cc_shape x, y, k;
    int xi = n->op == CC_OP_CONV2D ? n->inputs[0] : n->inputs[n->op == CC_OP_CONV2D_GRAD_INPUT ? 2 : 0];
    int wi = n->op == CC_OP_CONV2D ? n->inputs[1] : n->inputs[n->op == CC_OP_CONV2D_GRAD_INPUT ? 1 : 2];
    int yi = n->op == CC_OP_CONV2D ? i : n->inputs[n->op == CC_OP_CONV2D_GRAD_INPUT ? 0 : 1];
    x = planned_shape(s, xi);
    y = planned_shape(s, yi);
    k = planned_shape(s, wi);
    rt_window_for(n, &x, &y, &k, &w);
    return rt_conv2d_scratch(&w);
  }
  case CC_OP_BATCHNORM_GRAD_INPUT:
  case CC_OP_BATCHNORM_GRAD_GAMMA: {
    /* the kernel computes dx, dgamma and dbeta together */
    cc_shape x = planned_shape(s, n->inputs[1]);
    return (size_t)rt_elements(&x) + 2 * (size_t)x.dim[x.rank - 1];
  }
  case CC_OP_APPLY_UPDATE: /* a clipped gradient is copied to scratch */
    return (size_t)cc_shape_elements(&s->g->nodes[n->inputs[0]].shape);
  default:
    return 0;
  }
}

/* A filter gradient sums the batch in fixed chunks, one buffer each. */
static size_t partials_of(const netc_session *s, int i) {
  const cc_node *n = &s->g->nodes[i];
  if (n->op != CC_OP_CONV2D_GRAD_FILTER) return 0;
  return (size_t)rt_filter_chunks(s->max_batch) * (size_t)cc_shape_elements(&n->shape);
}

typedef struct block {
  size_t offset; /* start in the arena */
  size_t size;   /* bytes */
  int root;      /* the node owning it */
} block;

/* First fit among the live blocks (kept sorted by offset). */
static size_t place(block *live, int *n_live, size_t size, int root,
                    size_t *high) {
  size_t at = 0;
  int pos = 0;
  for (; pos < *n_live; pos++) {
    if (live[pos].offset >= at + size) break;
    size_t end = live[pos].offset + live[pos].size;
    if (end > at) at = end;
  }
  memmove(&live[pos + 1], &live[pos], (size_t)(*n_live - pos) * sizeof *live);
  live[pos] = (block){at, size, root};
  (*n_live)++;
  if (at + size > *high) *high = at + size;
  return at;
}

static void release(block *live, int *n_live, int root) {
  for (int i = 0; i < *n_live; i++)
    if (live[i].root == root) {
      memmove(&live[i], &live[i + 1], (size_t)(*n_live - i - 1) * sizeof *live);
      (*n_live)--;
      return;
    }
}

/* Marks what the roots need; returns the count. */
static int mark_needed(const cc_graph *g, unsigned char *needed) {
  int count = 0;
  for (int i = g->n_nodes - 1; i >= 0; i--) {
    if (!needed[i]) continue;
    count++;
    for (int k = 0; k < g->nodes[i].n_inputs; k++) needed[g->nodes[i].inputs[k]] = 1;
  }
  return count;
}

/* The one reader of node i among the plan's nodes, or -1 (none or several;
** a node reading i twice counts twice). */
static int sole_reader(const cc_graph *g, const rt_plan *p, int i) {
  int reader = -1, count = 0;
  for (int t = 0; t < p->n_order; t++) {
    const cc_node *n = &g->nodes[p->order[t]];
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] == i) {
        reader = p->order[t];
        count++;
      }
  }
  return count == 1 ? reader : -1;
}

/* A bias_add reading only a product, then a relu reading only that, are
** computed by the product's epilogue while its output is in cache: both
** become aliases of its buffer. Values a caller fetches are never folded
** into a later op, so each fetch still sees its own value. */
static void fuse_epilogues(const cc_graph *g, rt_plan *p, const unsigned char *fetched) {
  for (int t = 0; t < p->n_order; t++) {
    int i = p->order[t], last = i;
    const cc_node *n = &g->nodes[i];
    if ((n->op != CC_OP_CONV2D && n->op != CC_OP_MATMUL) || n->dtype != NETC_F32 || fetched[i])
      continue;
    int r = sole_reader(g, p, last);
    if (r >= 0 && g->nodes[r].op == CC_OP_BIAS_ADD && g->nodes[r].inputs[0] == last) {
      p->fused[i].what |= RT_FUSED_BIAS;
      p->fused[i].bias = g->nodes[r].inputs[1];
      p->storage[r] = RT_ALIAS;
      last = r;
      r = fetched[last] ? -1 : sole_reader(g, p, last);
    }
    if (r >= 0 && g->nodes[r].op == CC_OP_RELU) {
      p->fused[i].what |= RT_FUSED_RELU;
      p->storage[r] = RT_ALIAS;
    }
  }
}

/* Offsets for every arena value, reusing memory after the last reader. */
static int assign_offsets(const netc_session *s, rt_plan *p,
                          const unsigned char *fetched) {
  const cc_graph *g = s->g;
  int n = g->n_nodes;
  int *root = nc_calloc((size_t)n, sizeof *root);
  int *last = nc_calloc((size_t)n, sizeof *last);
  block *live = nc_calloc((size_t)p->n_order + 1, sizeof *live);
  if (!root || !last || !live) {
    nc_free(root);
    nc_free(last);
    nc_free(live);
    return -1;
  }
  for (int t = 0; t < p->n_order; t++) {
    int i = p->order[t];
    root[i] = p->storage[i] == RT_ALIAS ? root[g->nodes[i].inputs[0]] : i;
    /* Uses only push a buffer's end later; a fetched one lives to the end. */
    if (last[root[i]] < t) last[root[i]] = t;
    for (int k = 0; k < g->nodes[i].n_inputs; k++) {
      int r = root[g->nodes[i].inputs[k]];
      if (last[r] < t) last[r] = t;
    }
    if (fetched[i]) last[root[i]] = p->n_order; /* kept for the caller */
  }
  int n_live = 0;
  size_t high = 0;
  for (int t = 0; t < p->n_order; t++) {
    int i = p->order[t];
    if (p->storage[i] == RT_IN_ARENA) {
      cc_shape shape = planned_shape(s, i);
      size_t bytes = (size_t)rt_elements(&shape) * rt_dtype_size(g->nodes[i].dtype);
      bytes = (bytes + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
      p->offset[i] = place(live, &n_live, bytes ? bytes : PLAN_ALIGN, i, &high);
    }
    /* Free what this node was the last to read (never its own output first). */
    for (int k = 0; k < g->nodes[i].n_inputs; k++) {
      int r = root[g->nodes[i].inputs[k]];
      if (last[r] == t && p->storage[r] == RT_IN_ARENA) release(live, &n_live, r);
    }
    if (last[root[i]] == t && p->storage[root[i]] == RT_IN_ARENA)
      release(live, &n_live, root[i]);
  }
  p->arena_bytes = high;
  nc_free(root);
  nc_free(last);
  nc_free(live);
  return 0;
}

static void plan_free(rt_plan *p) {
  if (!p) return;
  nc_free(p->fetch);
  nc_free(p->order);
  nc_free(p->storage);
  nc_free(p->offset);
  nc_free(p->fused);
  nc_free(p);
}

void rt_plan_free_all(netc_session *s) {
  while (s->plans) {
    rt_plan *next = s->plans->next;
    plan_free(s->plans);
    s->plans = next;
  }
}

/* Grows a session buffer to at least `bytes` (only while planning). */
static int grow(void **buf, size_t *have, size_t bytes) {
  if (bytes <= *have) return 0;
  void *p = nc_realloc(*buf, bytes);
  if (!p) return -1;
  *buf = p;
  *have = bytes;
  return 0;
}

/* Orders the nodes of a plan and lays out its arena. Reads only the
** session's graph and max_batch, so a probe session can size a model. */
static rt_plan *plan_layout(const netc_session *s, int entry, const int *fetch,
                            int n_fetch) {
  const cc_graph *g = s->g;
  const cc_entry *e = &g->entries[entry];
  rt_plan *p = nc_calloc(1, sizeof *p);
  unsigned char *needed = nc_calloc((size_t)g->n_nodes + 1, 1);
  unsigned char *fetched = nc_calloc((size_t)g->n_nodes + 1, 1);
  if (!p || !needed || !fetched) goto oom;
  p->entry = entry;
  p->training = e->kind == CC_ENTRY_TRAIN;
  p->loss = p->training ? g->outputs[g->train.loss].node : -1;
  p->n_fetch = n_fetch;
  p->fetch = nc_calloc((size_t)n_fetch + 1, sizeof *p->fetch);
  p->storage = nc_calloc((size_t)g->n_nodes + 1, 1);
  p->offset = nc_calloc((size_t)g->n_nodes + 1, sizeof *p->offset);
  p->fused = nc_calloc((size_t)g->n_nodes + 1, sizeof *p->fused);
  if (!p->fetch || !p->storage || !p->offset || !p->fused) goto oom;
  for (int i = 0; i < n_fetch; i++) {
    p->fetch[i] = fetch[i];
    needed[fetch[i]] = fetched[fetch[i]] = 1;
  }
  for (int i = 0; i < e->n_updates; i++) needed[e->updates[i]] = 1;
  if (p->loss >= 0) needed[p->loss] = 1;
  p->order = nc_calloc((size_t)mark_needed(g, needed) + 1, sizeof *p->order);
  if (!p->order) goto oom;
  for (int i = 0; i < g->n_nodes; i++) {
    if (!needed[i]) continue;
    p->order[p->n_order++] = i;
    p->storage[i] = (unsigned char)storage_of(g, i, p->training);
    size_t scratch = scratch_of(s, i);
    if (scratch > p->scratch_floats) p->scratch_floats = scratch;
    size_t partial = partials_of(s, i);
    if (partial > p->partial_floats) p->partial_floats = partial;
  }
  fuse_epilogues(g, p, fetched);
  if (assign_offsets(s, p, fetched)) goto oom;
  nc_free(needed);
  nc_free(fetched);
  return p;
oom:
  nc_free(needed);
  nc_free(fetched);
  plan_free(p);
  return NULL;
}

static rt_plan *plan_build(netc_session *s, int entry, const int *fetch,
                           int n_fetch) {
  rt_plan *p = plan_layout(s, entry, fetch, n_fetch);
  if (!p) return NULL;
  /* Scratch holds one block per thread; blocks keep their size once grown. */
  size_t threads = (size_t)rt_pool_threads(s->pool);
  size_t per_thread = p->scratch_floats + 16 > s->scratch_floats ? p->scratch_floats + 16
                                                                  : s->scratch_floats;
  size_t scratch_bytes = s->scratch_floats * threads * sizeof(float);
  size_t partial_bytes = s->partial_floats * sizeof(float);
  if (grow((void **)&s->arena, &s->arena_bytes, p->arena_bytes + PLAN_ALIGN) ||
      grow((void **)&s->scratch, &scratch_bytes, per_thread * threads * sizeof(float)) ||
      grow((void **)&s->partials, &partial_bytes, (p->partial_floats + 1) * sizeof(float))) {
    plan_free(p);
    return NULL;
  }
  s->scratch_floats = per_thread;
  s->partial_floats = partial_bytes / sizeof(float);
  return p;
}

rt_plan *rt_plan_get(netc_session *s, int entry, const int *fetch,
                     int n_fetch) {
  for (rt_plan *p = s->plans; p; p = p->next)
    if (p->entry == entry && p->n_fetch == n_fetch &&
        memcmp(p->fetch, fetch, (size_t)n_fetch * sizeof *fetch) == 0)
      return p;
  rt_plan *p = plan_build(s, entry, fetch, n_fetch);
  if (!p) {
    rt_fail(s, NETC_ENOMEM, "out of memory while planning entry '%s'",
            s->g->entries[entry].name);
    return NULL;
  }
  p->next = s->plans;
  s->plans = p;
  return p;
}

/* The plan of entry `name` fetching its declared fetches, as fit, evaluate
** and a run naming every output use it: arena and scratch bytes, all 0
** when the model has no such entry. */
static int plan_entry(const netc_session *probe, const char *name, int64_t *arena,
                      int64_t *scratch, int64_t *partials) {
  int entry = cc_graph_find_entry(probe->g, name);
  if (entry < 0) return 0;
  const cc_entry *e = &probe->g->entries[entry];
  rt_plan *p = plan_layout(probe, entry, e->fetches, e->n_fetches);
  if (!p) return -1;
  *arena = (int64_t)p->arena_bytes;
  if ((int64_t)p->scratch_floats * 4 > *scratch) *scratch = (int64_t)p->scratch_floats * 4;
  if ((int64_t)p->partial_floats * 4 > *partials) *partials = (int64_t)p->partial_floats * 4;
  plan_free(p);
  return 0;
}

netc_status netc_model_memory_plan(const netc_model *model, int batch,
                                   netc_memory_plan *out) {
  if (!model || !out || batch < 0) return NETC_EINVAL;
  memset(out, 0, sizeof *out);
  netc_session probe;
  memset(&probe, 0, sizeof probe);
  probe.g = cc_model_graph(model);
  probe.max_batch = rt_planned_batch(probe.g, batch);
  const cc_graph *g = probe.g;
  out->batch = probe.max_batch;
  for (int i = 0; i < g->n_params; i++)
    out->weights += cc_shape_elements(&g->nodes[g->params[i].node].shape) * 4;
  for (int i = 0; i < g->n_slots; i++)
    out->slots += cc_shape_elements(&g->nodes[g->slots[i].node].shape) * 4;
  if (plan_entry(&probe, "predict", &out->predict_arena, &out->scratch_per_thread,
                 &out->partials) ||
      plan_entry(&probe, "train", &out->train_arena, &out->scratch_per_thread,
                 &out->partials))
    return NETC_ENOMEM;
  return NETC_OK;
}
