/*
** optim.c: one optimizer update of a weight array, following Keras 3's
** equations. Slots (s1, s2) hold each optimizer's state between steps and
** start at zero:
**   SGD        -
**   MOMENTUM   s1 = velocity v
**   NESTEROV   s1 = velocity v
**   ADAM       s1 = first moment m, s2 = second moment v
**   ADAMW      s1 = m, s2 = v
**   RMSPROP    s1 = mean square ms, s2 = momentum buffer (only when
**              momentum > 0)
**   ADAGRAD    s1 = accumulator acc
** Unused slots may be NULL.
*/
#include <math.h>

#include "runtime/kernels/kernels.h"

/* Adam and AdamW: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, then
** p -= lr_t m / (sqrt(v) + eps), lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)
** (the bias correction folded into the rate, as Keras does). */
static void adam(const rt_hyper *h, int64_t n, float *p, const float *g,
                 float *m, float *v) {
  double t = (double)h->step;
  float lr_t = (float)(h->lr * sqrt(1 - pow(h->beta2, t)) /
                       (1 - pow(h->beta1, t)));
  /* Settings in locals: stores through p could alias *h as far as the
  ** compiler knows, which would keep the loop from vectorizing. */
  const float b1 = h->beta1, b2 = h->beta2, eps = h->epsilon;
  for (int64_t i = 0; i < n; i++) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= lr_t * m[i] / (sqrtf(v[i]) + eps);
  }
}

void rt_optimizer_step(rt_optimizer opt, const rt_hyper *h, int64_t n,
                       float *p, const float *g, float *s1, float *s2) {
  switch (opt) {
  case RT_SGD: /* p -= lr g */
    for (int64_t i = 0; i < n; i++) p[i] -= h->lr * g[i];
    break;
  case RT_MOMENTUM: /* v = momentum v - lr g; p += v */
    for (int64_t i = 0; i < n; i++) {
      s1[i] = h->momentum * s1[i] - h->lr * g[i];
      p[i] += s1[i];
    }
    break;
  case RT_NESTEROV: /* v = momentum v - lr g; p += momentum v - lr g */
    for (int64_t i = 0; i < n; i++) {
      s1[i] = h->momentum * s1[i] - h->lr * g[i];
      p[i] += h->momentum * s1[i] - h->lr * g[i];
    }
    break;
  case RT_ADAMW: /* decoupled decay first: p -= lr wd p, then Adam */
    for (int64_t i = 0; i < n; i++) p[i] -= h->lr * h->weight_decay * p[i];
    adam(h, n, p, g, s1, s2);
    break;
  case RT_ADAM: adam(h, n, p, g, s1, s2); break;
  case RT_RMSPROP:
    /* ms = rho ms + (1 - rho) g^2; inc = lr g / sqrt(ms + eps); then
    ** mom = momentum mom + inc, p -= mom; or p -= inc without momentum. */
    for (int64_t i = 0; i < n; i++) {
      s1[i] = h->rho * s1[i] + (1 - h->rho) * g[i] * g[i];
      float inc = h->lr * g[i] / sqrtf(s1[i] + h->epsilon);
      if (h->momentum > 0) {
        s2[i] = h->momentum * s2[i] + inc;
        p[i] -= s2[i];
      } else {
        p[i] -= inc;
      }
    }
    break;
  case RT_ADAGRAD: /* acc += g^2; p -= lr g / sqrt(acc + eps) */
    for (int64_t i = 0; i < n; i++) {
      s1[i] += g[i] * g[i];
      p[i] -= h->lr * g[i] / sqrtf(s1[i] + h->epsilon);
    }
    break;
  }
}
