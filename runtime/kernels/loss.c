/*
** loss.c: the training losses, their gradients, and the accuracy metric.
** Cross-entropies take logits [rows, c] and are the mean over rows of
** -log softmax (log-sum-exp with the row max subtracted, so logits of
** +-1000 stay finite). Binary cross-entropy, mse and huber are the mean
** over all n elements. Loss scalars are summed in double, in index order,
** so a run is reproducible. A label outside [0, c) makes the kernel return
** -1 before it writes anything.
*/
#include <math.h>

#include "runtime/kernels/kernels.h"

static int labels_ok(int64_t rows, int64_t c, const int32_t *labels) {
  for (int64_t r = 0; r < rows; r++)
    if (labels[r] < 0 || labels[r] >= c) return 0;
  return 1;
}

/* The mean of a sum over n terms; an empty batch has loss 0. */
static float mean_of(double sum, int64_t n) {
  return n > 0 ? (float)(sum / (double)n) : 0.0f;
}

/* log sum_j exp(z[j]) over one row z[c]: max + log sum exp(z - max). */
static double logsumexp(int64_t c, const float *z) {
  float m = -INFINITY;
  for (int64_t j = 0; j < c; j++)
    if (z[j] > m) m = z[j];
  double acc = 0;
  for (int64_t j = 0; j < c; j++) acc += exp((double)z[j] - m);
  return m + log(acc);
}

/* dz[c] = scale * mass * softmax(z): the part of a cross-entropy row
** gradient that does not depend on which class is the target (mass is
** the sum of the target row, 1 for a label). */
static void softmax_part(int64_t c, const float *z, double mass, double scale,
                         float *dz) {
  double lse = logsumexp(c, z);
  for (int64_t j = 0; j < c; j++)
    dz[j] = (float)(scale * mass * exp((double)z[j] - lse));
}

/* ---------------------------------------------------- cross-entropies */

/* loss = mean over rows r of lse(z[r]) - z[r, label[r]]. */
int rt_sparse_xent(int64_t rows, int64_t c, const float *logits,
                   const int32_t *labels, float *loss) {
  if (!labels_ok(rows, c, labels)) return -1;
  double sum = 0;
  for (int64_t r = 0; r < rows; r++)
    sum += logsumexp(c, logits + r * c) - logits[r * c + labels[r]];
  *loss = mean_of(sum, rows);
  return 0;
}

/* dz[r] = dloss / rows * (softmax(z[r]) - onehot(label[r])). */
int rt_sparse_xent_grad(int64_t rows, int64_t c, const float *logits,
                        const int32_t *labels, float dloss, float *dlogits) {
  if (!labels_ok(rows, c, labels)) return -1;
  double scale = rows > 0 ? (double)dloss / (double)rows : 0;
  for (int64_t r = 0; r < rows; r++) {
    softmax_part(c, logits + r * c, 1.0, scale, dlogits + r * c);
    dlogits[r * c + labels[r]] -= (float)scale;
  }
  return 0;
}

/* Targets t[rows, c] are probabilities: loss = mean over rows of
** sum_j t[r, j] (lse(z[r]) - z[r, j]). */
void rt_xent(int64_t rows, int64_t c, const float *logits,
             const float *targets, float *loss) {
  double sum = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float *z = logits + r * c, *t = targets + r * c;
    double lse = logsumexp(c, z);
    for (int64_t j = 0; j < c; j++) sum += t[j] * (lse - z[j]);
  }
  *loss = mean_of(sum, rows);
}

/* dz[r, j] = dloss / rows * (softmax(z[r])_j sum(t[r]) - t[r, j]): exact
** even when a target row does not sum to 1. */
void rt_xent_grad(int64_t rows, int64_t c, const float *logits,
                  const float *targets, float dloss, float *dlogits) {
  double scale = rows > 0 ? (double)dloss / (double)rows : 0;
  for (int64_t r = 0; r < rows; r++) {
    const float *t = targets + r * c;
    float *dz = dlogits + r * c;
    double mass = 0;
    for (int64_t j = 0; j < c; j++) mass += t[j];
    softmax_part(c, logits + r * c, mass, scale, dz);
    for (int64_t j = 0; j < c; j++) dz[j] = (float)(dz[j] - scale * t[j]);
  }
}

/* ------------------------------------------------- pointwise losses */

typedef enum pointwise {
  PW_BCE,  /* a = logit z, b = target t */
  PW_MSE,  /* a = prediction p, b = target t */
  PW_HUBER /* the same, with delta */
} pointwise;

/* One term of a pointwise loss and its derivative in a, in double.
** BCE: max(z, 0) - z t + log1p(exp(-|z|)), d/dz = sigmoid(z) - t.
** MSE: (p - t)^2, d/dp = 2 (p - t).
** HUBER with d = p - t: 0.5 d^2 if |d| <= delta, else
** delta (|d| - 0.5 delta); d/dp = d, or delta sign(d) outside. */
static double term(pointwise k, double delta, double a, double b,
                   double *grad) {
  switch (k) {
  case PW_BCE: {
    double e = exp(-fabs(a));
    *grad = (a >= 0 ? 1 / (1 + e) : e / (1 + e)) - b;
    return fmax(a, 0) - a * b + log1p(e);
  }
  case PW_MSE:
    *grad = 2 * (a - b);
    return (a - b) * (a - b);
  case PW_HUBER: {
    double d = a - b;
    if (fabs(d) <= delta) {
      *grad = d;
      return 0.5 * d * d;
    }
    *grad = copysign(delta, d);
    return delta * (fabs(d) - 0.5 * delta);
  }
  }
  *grad = 0;
  return 0;
}

/* loss = mean of term over n; when da is set it also gets
** da[i] = dloss / n * term'(a[i], b[i]). */
static float pointwise_run(pointwise k, double delta, int64_t n,
                           const float *a, const float *b, float dloss,
                           float *da) {
  double sum = 0, scale = n > 0 ? (double)dloss / (double)n : 0;
  for (int64_t i = 0; i < n; i++) {
    double g;
    sum += term(k, delta, a[i], b[i], &g);
    if (da) da[i] = (float)(scale * g);
  }
  return mean_of(sum, n);
}

void rt_bce(int64_t n, const float *logits, const float *targets,
            float *loss) {
  *loss = pointwise_run(PW_BCE, 0, n, logits, targets, 0, NULL);
}

void rt_bce_grad(int64_t n, const float *logits, const float *targets,
                 float dloss, float *dlogits) {
  pointwise_run(PW_BCE, 0, n, logits, targets, dloss, dlogits);
}

void rt_mse(int64_t n, const float *pred, const float *target, float *loss) {
  *loss = pointwise_run(PW_MSE, 0, n, pred, target, 0, NULL);
}

void rt_mse_grad(int64_t n, const float *pred, const float *target,
                 float dloss, float *dpred) {
  pointwise_run(PW_MSE, 0, n, pred, target, dloss, dpred);
}

void rt_huber(int64_t n, float delta, const float *pred, const float *target,
              float *loss) {
  *loss = pointwise_run(PW_HUBER, delta, n, pred, target, 0, NULL);
}

void rt_huber_grad(int64_t n, float delta, const float *pred,
                   const float *target, float dloss, float *dpred) {
  pointwise_run(PW_HUBER, delta, n, pred, target, dloss, dpred);
}

/* ------------------------------------------------------------ metrics */

/* The fraction of rows whose first maximal logit is at the label. */
int rt_accuracy(int64_t rows, int64_t c, const float *logits,
                const int32_t *labels, float *acc) {
  if (!labels_ok(rows, c, labels)) return -1;
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; r++) {
    int32_t k;
    rt_argmax_f32(1, c, 1, logits + r * c, &k);
    hits += k == labels[r];
  }
  *acc = mean_of((double)hits, rows);
  return 0;
}
