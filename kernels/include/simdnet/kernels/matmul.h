// Matrix multiplication with a fused epilogue: the affine layer's three GEMMs.
//
//   forward   out = x·W + b        matmul(kNN, x, W, out, {.bias = b})
//   backward  dx  = dout·Wᵀ        matmul(kNT, dout, W, dx)
//             dx  = (dout·Wᵀ)·[y > 0]
//                                  matmul(kNT, dout, W, dx, {.relu_mask = y}): with
//                                  the backward of the ReLU y = max(0, ·) that
//                                  produced the layer's input fused in
//             dW  = xᵀ·dout        matmul(kTN, x, dout, dW)
//
// All matrices are row-major views with explicit strides; the transposes are
// named by the form, never materialized. C must not overlap A or B.
#pragma once

#include <span>

#include "simdnet/kernels/matrix.h"

namespace simdnet::kernels {

// Which operand is transposed: C = A·B, C = Aᵀ·B, C = A·Bᵀ.
enum class MatmulForm { kNN, kTN, kNT };

// What happens to the product before it is stored, in this order.
struct MatmulEpilogue {
  bool accumulate = false;      // C += product   (else C = product)
  std::span<const float> bias;  // empty, or one per column of C, added to every row
  bool relu = false;            // then: C = max(0, ...)
  // Empty (null data), or an M×N matrix y, the output of the ReLU whose
  // gradient this product is; applied last: C = y > 0 ? C : 0. That is the
  // ReLU backward (relu_backward(C, y, C)) folded into the store, so the
  // gradient makes one pass over memory instead of three. y must not overlap
  // C (C holds partial sums until the last k block).
  ConstMatrixView relu_mask;
};

// C = mask?( relu?( op(A)·op(B) + bias + (accumulate ? C : 0) ) ), where op(A)
// is M×K, op(B) is K×N and C is M×N. Throws std::invalid_argument naming the form and
// the shapes when they do not fit. Outputs are bit-identical for any thread
// count (the summation order over K of every element is fixed by the shape).
void matmul(MatmulForm form, ConstMatrixView a, ConstMatrixView b, MatrixView c,
            const MatmulEpilogue& epilogue = {});

// "NN", "TN" or "NT".
const char* matmul_form_name(MatmulForm form);

// Scalar references: the definition, one dot product per element, accumulated
// in double (ascending k), then bias, C and ReLU. The double overload (double
// epilogue bias) serves gradient checks.
namespace reference {
void matmul(MatmulForm form, ConstMatrixView a, ConstMatrixView b, MatrixView c,
            const MatmulEpilogue& epilogue = {});
struct MatmulEpilogueD {
  bool accumulate = false;
  std::span<const double> bias;
  bool relu = false;
  ConstMatrixViewD relu_mask;
};
void matmul(MatmulForm form, ConstMatrixViewD a, ConstMatrixViewD b, MatrixViewD c,
            const MatmulEpilogueD& epilogue = {});
}  // namespace reference

}  // namespace simdnet::kernels
