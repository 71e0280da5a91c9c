/*
** matmul.c: the fast matrix product of the runtime, a thin row-major
** wrapper over OpenBLAS cblas_sgemm. Its plain-loop twin, rt_ref_matmul,
** lives in reference.c with the other oracles.
*/
#include <string.h>

#include <cblas.h>

#include "runtime/kernels/kernels.h"

/* C[M,P] = op(A) op(B) with beta 0, so C is overwritten. Empty products are
** handled here: OpenBLAS rejects a leading dimension of 0 by printing, and
** a K of 0 must still give zeros. Sizes must fit OpenBLAS's blasint. */
void rt_matmul(int64_t m, int64_t k, int64_t p, int transpose_a,
               int transpose_b, const float *a, const float *b, float *c) {
  rt_matmul_rows(m, k, p, transpose_a, transpose_b, a, b, c, 0, m);
}

/* Rows [first, first+count) of C: A's rows (or, transposed, its columns)
** from `first` on, with A's full leading dimension. */
void rt_matmul_rows(int64_t m, int64_t k, int64_t p, int transpose_a,
                    int transpose_b, const float *a, const float *b, float *c,
                    int64_t first, int64_t count) {
  if (count <= 0 || p <= 0) return;
  c += first * p;
  if (k <= 0) {
    memset(c, 0, (size_t)(count * p) * sizeof *c);
    return;
  }
  a += transpose_a ? first : first * k;
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, (blasint)count, (blasint)p,
              (blasint)k, 1.0f, a, (blasint)(transpose_a ? m : k), b,
              (blasint)(transpose_b ? k : p), 0.0f, c, (blasint)p);
}
