// ReLU, forward and backward, over (N, D) matrices.
#pragma once

#include "simdnet/kernels/matrix.h"

namespace simdnet::kernels {

// y = max(x, 0), elementwise. y may alias x (same view).
void relu_forward(ConstMatrixView x, MatrixView y);
// dx = dout * [x > 0], elementwise, where x is the forward input (or output:
// both are > 0 at the same places). dx may alias dout.
void relu_backward(ConstMatrixView dout, ConstMatrixView x, MatrixView dx);

// Scalar references: the same signature, plus double overloads for gradient checks.
namespace reference {
void relu_forward(ConstMatrixView x, MatrixView y);
void relu_backward(ConstMatrixView dout, ConstMatrixView x, MatrixView dx);
void relu_forward(ConstMatrixViewD x, MatrixViewD y);
void relu_backward(ConstMatrixViewD dout, ConstMatrixViewD x, MatrixViewD dx);
}  // namespace reference

}  // namespace simdnet::kernels
