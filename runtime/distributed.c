/*
** distributed.c: the ranks of a data-parallel fit (distributed.h). The
** sums use our own ring all-reduce (a reduce-scatter, then an all-gather:
** 2(N-1)/N of the buffer sent per rank) rather than MPI_Allreduce: each
** chunk is added up by one rank in a fixed order and its bytes are then
** copied to the others, so replicas hold the same bits and a run with the
** same seed and world size repeats exactly. Every exchange polls with a
** deadline, so a rank that stops answering ends the step with an error
** naming it instead of a hang.
*/
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "config.h"

#include <string.h>

#include "common/nc_alloc.h"
#include "runtime/distributed.h"
#include "runtime/session.h"

#ifdef HAVE_MPI

#include <limits.h>
#include <mpi.h>
#include <sched.h>
#include <time.h>

enum {
  RING_TAG = 0x6e63,
  MAX_SUMMED = 64 /* doubles rt_group_sum takes: fit's figures */
};
static const double default_timeout = 300;
static const double yield_after = 2e-3; /* seconds of polling before yielding */

struct rt_group {
  MPI_Comm comm;       /* the caller's communicator */
  int rank, size;      /* ours and how many */
  double timeout;      /* seconds to wait for a neighbour */
  float weight;        /* this rank's share of the current batch */
  float *fused;        /* gradients, statistics, then a failure flag per rank */
  size_t n_fused;      /* floats in fused */
  size_t n_flags_at;   /* where the failure flags start */
  void *incoming;      /* one chunk from the left neighbour */
  uint64_t *digests;   /* each rank's weight digest (replica checks) */
  int reduced;         /* the current step's reduction is done */
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Sends `out` to the right neighbour while receiving `in` from the left. */
static netc_status exchange(netc_session *s, rt_group *g, const void *out, int n_out,
                            void *in, int n_in, MPI_Datatype type) {
  int left = (g->rank + g->size - 1) % g->size, right = (g->rank + 1) % g->size;
  MPI_Request req[2];
  if (MPI_Irecv(in, n_in, type, left, RING_TAG, g->comm, &req[0]) != MPI_SUCCESS ||
      MPI_Isend(out, n_out, type, right, RING_TAG, g->comm, &req[1]) != MPI_SUCCESS)
    return rt_fail(s, NETC_ECOMM, "rank %d: MPI could not start an exchange with ranks %d and %d",
                   g->rank, left, right);
  double started = now(), deadline = started + g->timeout;
  for (unsigned spin = 1;; spin++) {
    int done = 0;
    if (MPI_Testall(2, req, &done, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
      return rt_fail(s, NETC_ECOMM, "rank %d: MPI failed exchanging with ranks %d and %d",
                     g->rank, left, right);
    if (done) return NETC_OK;
    if (spin % 256) continue;
    double t = now();
    if (t > deadline)
      return rt_fail(s, NETC_ECOMM, "rank %d: rank %d sent nothing for %.0f s (stopped or "
                     "dead?) at step %lld", g->rank, left, g->timeout,
                     (long long)(s->step + 1));
    /* a rank sharing our core may be the one we wait for; yielding at once
    ** would hand the core to any other process for a whole time slice */
    if (t - started > yield_after) sched_yield();
  }
}

typedef void (*add_fn)(void *acc, const void *in, size_t n);

static void add_floats(void *acc, const void *in, size_t n) {
  float *a = acc;
  const float *b = in;
  for (size_t i = 0; i < n; i++) a[i] += b[i];
}

static void add_doubles(void *acc, const void *in, size_t n) {
  double *a = acc;
  const double *b = in;
  for (size_t i = 0; i < n; i++) a[i] += b[i];
}

/* Chunk c of n elements split over the ranks: [*lo, *lo + *len). */
static void chunk(const rt_group *g, size_t n, int c, size_t *lo, size_t *len) {
  c = (c % g->size + g->size) % g->size;
  *lo = n * (size_t)c / (size_t)g->size;
  *len = n * (size_t)(c + 1) / (size_t)g->size - *lo;
}

/* buf (n elements of `elem` bytes) becomes the sum over the ranks. */
static netc_status ring_sum(netc_session *s, rt_group *g, void *buf, size_t n,
                            size_t elem, MPI_Datatype type, add_fn add) {
  char *b = buf, *in = g->incoming;
  netc_status st = NETC_OK;
  /* reduce-scatter: afterwards this rank holds the sum of chunk rank+1 */
  for (int k = 0; st == NETC_OK && k < g->size - 1; k++) {
    size_t out_lo, out_len, in_lo, in_len;
    chunk(g, n, g->rank - k, &out_lo, &out_len);
    chunk(g, n, g->rank - k - 1, &in_lo, &in_len);
    st = exchange(s, g, b + out_lo * elem, (int)out_len, in, (int)in_len, type);
    if (st == NETC_OK) add(b + in_lo * elem, in, in_len);
  }
  /* all-gather: the summed chunks go round */
  for (int k = 0; st == NETC_OK && k < g->size - 1; k++) {
    size_t out_lo, out_len, in_lo, in_len;
    chunk(g, n, g->rank + 1 - k, &out_lo, &out_len);
    chunk(g, n, g->rank - k, &in_lo, &in_len);
    st = exchange(s, g, b + out_lo * elem, (int)out_len, in, (int)in_len, type);
    if (st == NETC_OK) memcpy(b + in_lo * elem, in, in_len * elem);
  }
  return st;
}

/* The nodes whose values a step sums, in the fused buffer's order: each
** update's gradient, then the moving statistics of the batchnorms the
** plan runs. All have their weight's shape, known before any step. */
typedef void (*value_fn)(void *ctx, const netc_session *s, int node);

static void each_summed_value(const netc_session *s, const rt_plan *plan, value_fn fn,
                              void *ctx) {
  const cc_graph *gr = s->g;
  const cc_entry *e = &gr->entries[plan->entry];
  for (int u = 0; u < e->n_updates; u++) fn(ctx, s, gr->nodes[e->updates[u]].inputs[1]);
  for (int t = 0; t < plan->n_order; t++) {
    const cc_node *n = &gr->nodes[plan->order[t]];
    if (n->op != CC_OP_BATCHNORM) continue;
    fn(ctx, s, n->inputs[3]); /* moving mean */
    fn(ctx, s, n->inputs[4]); /* moving variance */
  }
}

static size_t elements(const netc_session *s, int node) {
  return (size_t)cc_shape_elements(&s->g->nodes[node].shape);
}

static void count_value(void *ctx, const netc_session *s, int node) {
  *(size_t *)ctx += elements(s, node);
}

typedef struct packer {
  float *at;     /* the fused buffer's next float */
  float weight;  /* packing: this rank's share */
  int packing;   /* 1: value -> buffer, 0: buffer -> value */
} packer;

static void move_value(void *ctx, const netc_session *s, int node) {
  packer *p = ctx;
  float *value = s->value[node], *at = p->at, weight = p->weight;
  size_t n = elements(s, node);
  if (p->packing) /* locals: writes through `at` could alias p's fields */
    for (size_t i = 0; i < n; i++) at[i] = value[i] * weight;
  else
    memcpy(value, at, n * sizeof *value);
  p->at = at + n;
}

/* Sums the fused buffer; fails naming the first rank that flagged a
** failure. */
static netc_status sum_fused(netc_session *s, rt_group *g) {
  netc_status st = ring_sum(s, g, g->fused, g->n_fused, sizeof(float), MPI_FLOAT, add_floats);
  for (int r = 0; st == NETC_OK && r < g->size; r++)
    if (g->fused[g->n_flags_at + (size_t)r] != 0)
      st = rt_fail(s, NETC_ECOMM, "rank %d failed at step %lld", r, (long long)(s->step + 1));
  g->reduced = 1;
  return st;
}

/* A one-float exchange before the sum, so that the time a slower
** neighbour takes to finish its step is told apart from the transfer. */
static netc_status handshake(netc_session *s, rt_group *g, double *waited) {
  double started = now();
  float ready = 1;
  netc_status st = exchange(s, g, &ready, 1, g->incoming, 1, MPI_FLOAT);
  *waited = now() - started;
  if (st != NETC_OK) g->reduced = 1; /* the neighbour is gone: no flag can travel */
  return st;
}

netc_status rt_group_reduce_step(netc_session *s, const rt_plan *plan, double *waited) {
  rt_group *g = s->group;
  *waited = 0;
  if (g->size == 1) return NETC_OK;
  netc_status st = handshake(s, g, waited);
  if (st != NETC_OK) return st;
  packer p = {g->fused, g->weight, 1};
  each_summed_value(s, plan, move_value, &p);
  memset(g->fused + g->n_flags_at, 0, (size_t)g->size * sizeof *g->fused);
  st = sum_fused(s, g);
  if (st != NETC_OK) return st;
  p = (packer){g->fused, 0, 0};
  each_summed_value(s, plan, move_value, &p);
  return NETC_OK;
}

void rt_group_fail_step(netc_session *s) {
  rt_group *g = s->group;
  if (g->size == 1 || g->reduced) return;
  char why[sizeof s->error];
  memcpy(why, s->error, sizeof why); /* our own error stays the message */
  memset(g->fused, 0, g->n_fused * sizeof *g->fused);
  g->fused[g->n_flags_at + (size_t)g->rank] = 1;
  double waited;
  if (handshake(s, g, &waited) == NETC_OK) (void)sum_fused(s, g);
  memcpy(s->error, why, sizeof why);
}

netc_status rt_group_sum(netc_session *s, double *values, int n) {
  rt_group *g = s->group;
  if (g->size == 1 || n < 1) return NETC_OK;
  if (n > MAX_SUMMED) return rt_fail(s, NETC_EINVAL, "%d figures to sum, at most %d", n, MAX_SUMMED);
  return ring_sum(s, g, values, (size_t)n, sizeof *values, MPI_DOUBLE, add_doubles);
}

int64_t rt_group_share(const rt_group *g, int64_t count, int64_t *first, int64_t *rows) {
  int64_t lo = count * g->rank / g->size, hi = count * (g->rank + 1) / g->size;
  *first = lo < count ? lo : count - 1;
  *rows = hi > lo ? hi - lo : 1;
  return hi - lo;
}

void rt_group_begin_step(rt_group *g, int64_t count) {
  int64_t first, rows, counted = rt_group_share(g, count, &first, &rows);
  g->weight = (float)((double)counted / (double)count);
  g->reduced = 0;
}

/* A 64-bit digest of n floats' bits. */
static uint64_t digest(uint64_t h, const float *x, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t bits;
    memcpy(&bits, &x[i], sizeof bits);
    h = (h ^ bits) * 0x100000001b3ULL;
  }
  return h;
}

static size_t floats_of(const cc_graph *gr, int slots) {
  size_t n = 0;
  int count = slots ? gr->n_slots : gr->n_params;
  for (int i = 0; i < count; i++)
    n += (size_t)cc_shape_elements(&gr->nodes[slots ? gr->slots[i].node : gr->params[i].node].shape);
  return n;
}

netc_status rt_group_check_replicas(netc_session *s) {
  rt_group *g = s->group;
  if (g->size == 1) return NETC_OK;
  uint64_t mine = digest(0xcbf29ce484222325ULL, s->params, floats_of(s->g, 0));
  mine = digest(mine, s->slots, floats_of(s->g, 1));
  uint64_t *all = g->digests;
  netc_status st = NETC_OK;
  if (MPI_Allgather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, g->comm) != MPI_SUCCESS)
    st = rt_fail(s, NETC_ECOMM, "rank %d: MPI could not gather the weight digests", g->rank);
  for (int r = 1; st == NETC_OK && r < g->size; r++)
    if (all[r] != all[0])
      st = rt_fail(s, NETC_ESTATE, "replicas differ after step %lld: the weights of rank %d "
                   "(digest %016llx) are not those of rank 0 (%016llx)", (long long)s->step,
                   r, (unsigned long long)all[r], (unsigned long long)all[0]);
  return st;
}

/* What every rank must agree on, and how a mismatch is told. */
enum { AGREE_ROWS, AGREE_BATCH, AGREE_WEIGHTS, AGREE_SEED, AGREE_STEP, AGREE_EPOCH,
       AGREE_BATCH_IN_EPOCH, AGREE_COUNT };
static const char *const agree_names[AGREE_COUNT] = { /* ORDER AGREE */
    "the dataset's rows", "the batch size", "the model's weights (floats)", "the seed",
    "the training step", "the epoch", "the batch within the epoch"};

static netc_status check_agreement(netc_session *s, rt_group *g, int64_t batch, int64_t rows) {
  int64_t mine[AGREE_COUNT] = {rows, batch, (int64_t)floats_of(s->g, 0), (int64_t)s->seed,
                               s->step, s->epoch, s->epoch_batch};
  int64_t low[AGREE_COUNT], high[AGREE_COUNT];
  if (MPI_Allreduce(mine, low, AGREE_COUNT, MPI_INT64_T, MPI_MIN, g->comm) != MPI_SUCCESS ||
      MPI_Allreduce(mine, high, AGREE_COUNT, MPI_INT64_T, MPI_MAX, g->comm) != MPI_SUCCESS)
    return rt_fail(s, NETC_ECOMM, "rank %d: MPI failed comparing the ranks' settings", g->rank);
  for (int i = 0; i < AGREE_COUNT; i++)
    if (low[i] != high[i])
      return rt_fail(s, NETC_EINVAL, "the ranks disagree on %s: %lld here (rank %d), between "
                     "%lld and %lld over the %d ranks", agree_names[i], (long long)mine[i],
                     g->rank, (long long)low[i], (long long)high[i], g->size);
  return NETC_OK;
}

/* The fused buffer, laid out for the plan of the fit's steps, and room
** for one chunk of it, or of rt_group_sum's figures, from a neighbour. */
static netc_status make_buffers(netc_session *s, rt_group *g, int entry, int n_fetch) {
  const rt_plan *plan = rt_plan_get(s, entry, s->g->entries[entry].fetches, n_fetch);
  if (!plan) return NETC_ENOMEM;
  size_t n = 0;
  each_summed_value(s, plan, count_value, &n);
  g->n_flags_at = n;
  g->n_fused = n + (size_t)g->size;
  size_t chunk_floats = g->n_fused / (size_t)g->size + 1;
  if (chunk_floats >= INT_MAX)
    return rt_fail(s, NETC_EUNSUPPORTED, "%zu gradient floats are too many for MPI's int "
                   "counts over %d ranks", n, g->size);
  g->fused = nc_malloc(g->n_fused * sizeof *g->fused);
  g->incoming = nc_malloc((chunk_floats + MAX_SUMMED) * sizeof(double));
  g->digests = nc_malloc((size_t)g->size * sizeof *g->digests);
  if (!g->fused || !g->incoming || !g->digests)
    return rt_fail(s, NETC_ENOMEM, "no room for a fused gradient buffer of %zu floats", n);
  /* touched now: first-touch page faults cost a step hundreds of ms on
  ** virtual machines (VGG16's top: 360 ms against 35 ms for the sum) */
  memset(g->fused, 0, g->n_fused * sizeof *g->fused);
  memset(g->incoming, 0, (chunk_floats + MAX_SUMMED) * sizeof(double));
  return NETC_OK;
}

netc_status rt_group_open(netc_session *s, const netc_fit_options *o, int entry,
                          int n_fetch, int64_t batch, int64_t rows, rt_group **out) {
  *out = NULL;
  if (!o->mpi_comm) return NETC_OK;
  if (o->comm_timeout < 0)
    return rt_fail(s, NETC_EINVAL, "comm_timeout %g is negative", o->comm_timeout);
  rt_group *g = nc_calloc(1, sizeof *g);
  if (!g) return rt_fail(s, NETC_ENOMEM, "out of memory");
  g->comm = *(const MPI_Comm *)o->mpi_comm;
  g->timeout = o->comm_timeout > 0 ? o->comm_timeout : default_timeout;
  g->weight = 1;
  int ready = 0;
  if (MPI_Initialized(&ready) != MPI_SUCCESS || !ready) {
    nc_free(g);
    return rt_fail(s, NETC_ESTATE, "mpi_comm is set but MPI is not initialized (MPI_Init)");
  }
  if (MPI_Comm_rank(g->comm, &g->rank) != MPI_SUCCESS ||
      MPI_Comm_size(g->comm, &g->size) != MPI_SUCCESS) {
    nc_free(g);
    return rt_fail(s, NETC_ECOMM, "mpi_comm is not a valid communicator");
  }
  netc_status st = NETC_OK;
  if (g->size > 1) st = check_agreement(s, g, batch, rows);
  if (st == NETC_OK && g->size > 1) st = make_buffers(s, g, entry, n_fetch);
  if (st != NETC_OK) {
    rt_group_close(g);
    return st;
  }
  *out = g;
  return NETC_OK;
}

void rt_group_close(rt_group *g) {
  if (!g) return;
  nc_free(g->fused);
  nc_free(g->incoming);
  nc_free(g->digests);
  nc_free(g);
}

int rt_group_rank(const rt_group *g) { return g->rank; }
int rt_group_size(const rt_group *g) { return g->size; }

int netc_has_mpi(void) { return 1; }

#else /* built without MPI: a group cannot be opened, so nothing else runs */

struct rt_group {
  int unused;
};

netc_status rt_group_open(netc_session *s, const netc_fit_options *o, int entry,
                          int n_fetch, int64_t batch, int64_t rows, rt_group **out) {
  (void)entry;
  (void)n_fetch;
  (void)batch;
  (void)rows;
  *out = NULL;
  if (!o->mpi_comm) return NETC_OK;
  return rt_fail(s, NETC_EUNSUPPORTED, "this netc was built without MPI: configure --with-mpi "
                 "(Debian: libopenmpi-dev) to train over several processes");
}

void rt_group_close(rt_group *g) { (void)g; }
int rt_group_rank(const rt_group *g) {
  (void)g;
  return 0;
}

int rt_group_size(const rt_group *g) {
  (void)g;
  return 1;
}

int64_t rt_group_share(const rt_group *g, int64_t count, int64_t *first, int64_t *rows) {
  (void)g;
  *first = 0;
  return *rows = count;
}

void rt_group_begin_step(rt_group *g, int64_t count) {
  (void)g;
  (void)count;
}

netc_status rt_group_reduce_step(netc_session *s, const rt_plan *plan, double *waited) {
  (void)s;
  (void)plan;
  *waited = 0;
  return NETC_OK;
}

void rt_group_fail_step(netc_session *s) { (void)s; }

netc_status rt_group_sum(netc_session *s, double *values, int n) {
  (void)s;
  (void)values;
  (void)n;
  return NETC_OK;
}

netc_status rt_group_check_replicas(netc_session *s) {
  (void)s;
  return NETC_OK;
}

int netc_has_mpi(void) { return 0; }

#endif
