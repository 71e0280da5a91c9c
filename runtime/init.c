/*
** init.c: weight initializers, as Keras defines them. Every value is drawn
** from the counter-based generator with (seed, parameter index, draw, element),
** so initialization is the same for any thread count and any order.
*/
#include <math.h>
#include <string.h>

#include "runtime/kernels/kernels.h"
#include "runtime/session.h"

/* Keras's fans: the last axis is fan_out, the one before fan_in, and the
** others (a convolution's window) multiply both. */
static void fans(const cc_shape *shape, double *fan_in, double *fan_out) {
  if (shape->rank == 0) {
    *fan_in = *fan_out = 1;
    return;
  }
  if (shape->rank == 1) {
    *fan_in = *fan_out = (double)shape->dim[0];
    return;
  }
  double receptive = 1;
  for (int i = 0; i < shape->rank - 2; i++) receptive *= (double)shape->dim[i];
  *fan_in = receptive * (double)shape->dim[shape->rank - 2];
  *fan_out = receptive * (double)shape->dim[shape->rank - 1];
}

/* A standard normal truncated at two standard deviations (redrawn beyond),
** from pairs of uniforms (Box-Muller). */
static double truncated_normal(uint64_t seed, uint64_t stream, uint64_t index) {
  for (uint64_t draw = 0;; draw += 2) {
    double u1 = rt_uniform(seed, stream, 1 + draw, index);
    double u2 = rt_uniform(seed, stream, 2 + draw, index);
    double z = sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
    if (fabs(z) <= 2.0) return z;
  }
}

static void init_one(const netc_session *s, int p, float *w, int64_t n) {
  const cc_param *param = &s->g->params[p];
  double fan_in, fan_out;
  fans(&s->g->nodes[param->node].shape, &fan_in, &fan_out);
  double limit = 0, stddev = 0;
  switch (param->init) {
  case CC_INIT_ZEROS:
  case CC_INIT_ONES:
    for (int64_t i = 0; i < n; i++) w[i] = param->init == CC_INIT_ONES ? 1.0f : 0.0f;
    return;
  case CC_INIT_GLOROT_UNIFORM: limit = sqrt(6.0 / (fan_in + fan_out)); break;
  case CC_INIT_HE_UNIFORM: limit = sqrt(6.0 / fan_in); break;
  case CC_INIT_LECUN_UNIFORM: limit = sqrt(3.0 / fan_in); break;
  /* Keras scales the truncated normal so its variance is the target. */
  case CC_INIT_GLOROT_NORMAL: stddev = sqrt(2.0 / (fan_in + fan_out)) / 0.87962566103423978; break;
  case CC_INIT_HE_NORMAL: stddev = sqrt(2.0 / fan_in) / 0.87962566103423978; break;
  }
  if (limit > 0) { /* uniforms drawn in one pass, then scaled in place */
    rt_uniform_fill(s->seed, (uint64_t)p, 0, 0, n, w);
    for (int64_t i = 0; i < n; i++) w[i] = (float)(limit * (2.0 * w[i] - 1.0));
    return;
  }
  for (int64_t i = 0; i < n; i++)
    w[i] = (float)(stddev * truncated_normal(s->seed, (uint64_t)p, (uint64_t)i));
}

void rt_init_params(netc_session *s) {
  for (int p = 0; p < s->g->n_params; p++) {
    int64_t n = cc_shape_elements(&s->g->nodes[s->g->params[p].node].shape);
    init_one(s, p, s->params + s->param_offset[p], n);
  }
}

void rt_init_slots(netc_session *s) {
  const cc_train *t = &s->g->train;
  float start = 0.0f;
  if (t->present && t->optimizer && strcmp(t->optimizer, "adagrad") == 0)
    for (int i = 0; i < t->n_hyper; i++)
      if (strcmp(t->hyper[i].key, "initial_accumulator") == 0) start = (float)t->hyper[i].value;
  for (int i = 0; i < s->g->n_slots; i++) {
    int64_t n = cc_shape_elements(&s->g->nodes[s->g->slots[i].node].shape);
    float *slot = s->slots + s->slot_offset[i];
    for (int64_t k = 0; k < n; k++) slot[k] = start;
  }
}
