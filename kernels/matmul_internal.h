// Target-independent pieces of matmul shared by its dispatcher (matmul.cc,
// HWY_ONCE part) and its per-target code (matmul-inl.h): the problem as raw
// pointers.
#pragma once

#include <cstddef>

#include "simdnet/kernels/matmul.h"

namespace simdnet::kernels::detail {

// C (m×n, row stride ldc) = mask?( relu?( op(A)·op(B) + bias + (accumulate ? C : 0) ) ).
// op(A) is m×k: A[i·lda + k] (NN, NT) or A[k·lda + i] (TN); op(B) is k×n:
// B[k·ldb + j] (NN, TN) or B[j·ldb + k] (NT). bias is null or n floats.
// mask is null or y (m×n, row stride ldm): C[i,j] = y[i,j] > 0 ? C[i,j] : 0.
struct MatmulProblem {
  MatmulForm form;
  const float* a;
  size_t lda;
  const float* b;
  size_t ldb;
  float* c;
  size_t ldc;
  size_t m, n, k;
  bool accumulate;
  const float* bias;
  bool relu;
  const float* mask;
  size_t ldm;
};

}  // namespace simdnet::kernels::detail
