/*
** batchnorm.c: batch normalization over x[rows, c] (rows = N H W for NHWC
** activations), per channel: inference with the moving statistics,
** training with the batch's (updating the moving ones, Keras style), and
** the training-mode gradient. Channels are processed in blocks of BLOCK:
** a pass over the rows then reads about one cache line per row, and the
** block's statistics live in double arrays on the stack (no scratch).
*/
#include <math.h>

#include "runtime/kernels/kernels.h"

#define BLOCK 16

/* A block of channels [j0, j0 + cb), cb <= BLOCK. */
typedef struct block {
  int64_t j0, cb;      /* first channel, channel count */
  double mean[BLOCK];  /* per channel mean used to normalize */
  double istd[BLOCK];  /* 1 / sqrt(var + eps) */
} block;

static block block_at(int64_t j0, int64_t c) {
  block b;
  b.j0 = j0;
  b.cb = c - j0 < BLOCK ? c - j0 : BLOCK;
  return b;
}

/* Writes the block's batch mean into b->mean and its biased variance
** (divided by rows, as tf.nn.moments) into var[cb]: two passes in double,
** rows > 0. */
static void block_moments(block *b, int64_t rows, int64_t c, const float *x,
                          double *var) {
  for (int64_t j = 0; j < b->cb; j++) b->mean[j] = var[j] = 0;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < b->cb; j++) b->mean[j] += x[r * c + b->j0 + j];
  for (int64_t j = 0; j < b->cb; j++) b->mean[j] /= (double)rows;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < b->cb; j++) {
      double d = x[r * c + b->j0 + j] - b->mean[j];
      var[j] += d * d;
    }
  for (int64_t j = 0; j < b->cb; j++) var[j] /= (double)rows;
}

static void block_set_istd(block *b, float eps, const double *var) {
  for (int64_t j = 0; j < b->cb; j++) b->istd[j] = 1 / sqrt(var[j] + eps);
}

/* y = gamma (x - mean) istd + beta over the block's channels. */
static void block_normalize(const block *b, int64_t rows, int64_t c,
                            const float *x, const float *gamma,
                            const float *beta, float *y) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < b->cb; j++) {
      int64_t at = r * c + b->j0 + j;
      y[at] = (float)(gamma[b->j0 + j] * (x[at] - b->mean[j]) * b->istd[j] +
                      beta[b->j0 + j]);
    }
}

void rt_batchnorm_infer(int64_t rows, int64_t c, float eps, const float *x,
                        const float *gamma, const float *beta,
                        const float *mean, const float *var, float *y) {
  for (int64_t j0 = 0; j0 < c; j0 += BLOCK) {
    block b = block_at(j0, c);
    double v[BLOCK];
    for (int64_t j = 0; j < b.cb; j++) {
      b.mean[j] = mean[j0 + j];
      v[j] = var[j0 + j];
    }
    block_set_istd(&b, eps, v);
    block_normalize(&b, rows, c, x, gamma, beta, y);
  }
}

/* Normalizes with the batch statistics and moves the moving ones toward
** them: m = momentum m + (1 - momentum) batch, with the biased batch
** variance (Keras 3 uses the moments as computed). An empty batch
** (rows = 0) changes nothing. */
void rt_batchnorm_train(int64_t rows, int64_t c, float eps, float momentum,
                        const float *x, const float *gamma, const float *beta,
                        float *moving_mean, float *moving_var, float *y) {
  if (rows <= 0) return;
  for (int64_t j0 = 0; j0 < c; j0 += BLOCK) {
    block b = block_at(j0, c);
    double var[BLOCK];
    block_moments(&b, rows, c, x, var);
    block_set_istd(&b, eps, var);
    for (int64_t j = 0; j < b.cb; j++) {
      float *mm = moving_mean + j0 + j, *mv = moving_var + j0 + j;
      *mm = (float)(momentum * *mm + (1 - momentum) * b.mean[j]);
      *mv = (float)(momentum * *mv + (1 - momentum) * var[j]);
    }
    block_normalize(&b, rows, c, x, gamma, beta, y);
  }
}

/* With xhat = (x - mean) istd over the batch statistics:
** dbeta = sum dy, dgamma = sum dy xhat (over rows), and
** dx = gamma istd / rows (rows dy - dbeta - xhat dgamma), the standard
** backward pass through the mean and variance. */
void rt_batchnorm_grad(int64_t rows, int64_t c, float eps, const float *x,
                       const float *gamma, const float *dy, float *dx,
                       float *dgamma, float *dbeta) {
  for (int64_t j0 = 0; j0 < c; j0 += BLOCK) {
    block b = block_at(j0, c);
    double var[BLOCK], sdy[BLOCK], sdyx[BLOCK];
    if (rows <= 0) {
      for (int64_t j = 0; j < b.cb; j++) dgamma[j0 + j] = dbeta[j0 + j] = 0;
      continue;
    }
    block_moments(&b, rows, c, x, var);
    block_set_istd(&b, eps, var);
    for (int64_t j = 0; j < b.cb; j++) sdy[j] = sdyx[j] = 0;
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = 0; j < b.cb; j++) {
        int64_t at = r * c + j0 + j;
        sdy[j] += dy[at];
        sdyx[j] += dy[at] * (x[at] - b.mean[j]) * b.istd[j];
      }
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = 0; j < b.cb; j++) {
        int64_t at = r * c + j0 + j;
        double xhat = (x[at] - b.mean[j]) * b.istd[j];
        dx[at] = (float)(gamma[j0 + j] * b.istd[j] / (double)rows *
                         ((double)rows * dy[at] - sdy[j] - xhat * sdyx[j]));
      }
    for (int64_t j = 0; j < b.cb; j++) {
      dgamma[j0 + j] = (float)sdyx[j];
      dbeta[j0 + j] = (float)sdy[j];
    }
  }
}
