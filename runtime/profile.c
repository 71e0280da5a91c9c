/*
** profile.c: per-op timing of a session, for finding where a step's time
** goes (bench/netc_bench prints each convolution's GFLOPS from it). Off by
** default; when on, run.c brackets every executed node with two clock
** reads and adds its wall time, and its FLOPs at this run's batch, to
** per-node counters allocated when profiling is turned on, so a profiled
** step still allocates nothing. Two more counters, after the nodes', time
** the gradient all-reduce of data-parallel training and the wait for the
** other ranks before it.
*/
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <string.h>
#include <time.h>

#include "common/nc_alloc.h"
#include "runtime/session.h"

struct rt_profile {
  int64_t *calls;  /* per node: times it ran */
  double *seconds; /* per node: total wall time */
  double *flops;   /* per node: total floating-point operations */
};

void rt_profile_free(rt_profile *p) {
  if (!p) return;
  nc_free(p->calls);
  nc_free(p->seconds);
  nc_free(p->flops);
  nc_free(p);
}

netc_status netc_session_profile_enable(netc_session *s, int on) {
  if (!s) return NETC_EINVAL;
  rt_profile_free(s->profile);
  s->profile = NULL;
  if (!on) return NETC_OK;
  size_t n = (size_t)s->g->n_nodes + 2;
  rt_profile *p = nc_calloc(1, sizeof *p);
  if (p) {
    p->calls = nc_calloc(n, sizeof *p->calls);
    p->seconds = nc_calloc(n, sizeof *p->seconds);
    p->flops = nc_calloc(n, sizeof *p->flops);
  }
  if (!p || !p->calls || !p->seconds || !p->flops) {
    rt_profile_free(p);
    return rt_fail(s, NETC_ENOMEM, "out of memory for the profile counters");
  }
  s->profile = p;
  return NETC_OK;
}

double rt_profile_clock(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

void rt_profile_add(netc_session *s, int node, double started) {
  rt_profile *p = s->profile;
  const cc_node *n = &s->g->nodes[node];
  /* cc_node_flops counts one example; every symbolic dim is the batch */
  double examples = s->g->n_symbols ? (double)s->symbol[0] : 1.0;
  p->calls[node]++;
  p->seconds[node] += rt_profile_clock() - started;
  p->flops[node] += (double)cc_node_flops(s->g, n) * examples;
}

void rt_profile_add_allreduce(netc_session *s, double started, double waited) {
  rt_profile *p = s->profile;
  int sum = s->g->n_nodes, wait = sum + 1;
  p->calls[sum]++;
  p->seconds[sum] += rt_profile_clock() - started - waited;
  p->calls[wait]++;
  p->seconds[wait] += waited;
}

netc_status netc_session_profile(const netc_session *s, netc_op_profile *out,
                                 int capacity, int *count) {
  if (!s || (capacity > 0 && !out)) return NETC_EINVAL;
  int found = 0;
  static const char *const extra[] = {"allreduce", "allreduce_wait"};
  for (int i = 0; s->profile && i < s->g->n_nodes + 2; i++) {
    if (!s->profile->calls[i]) continue;
    if (found < capacity) {
      netc_op_profile *o = &out[found];
      memset(o, 0, sizeof *o);
      if (i >= s->g->n_nodes) {
        o->name = o->op = extra[i - s->g->n_nodes];
        o->layer = "";
      } else {
        const cc_node *n = &s->g->nodes[i];
        o->name = n->name;
        o->op = cc_op_get(n->op)->name;
        o->layer = n->layer >= 0 ? s->g->layers[n->layer].name : "";
      }
      o->calls = s->profile->calls[i];
      o->seconds = s->profile->seconds[i];
      o->flops = s->profile->flops[i];
    }
    found++;
  }
  if (count) *count = found;
  return NETC_OK;
}
