// Bias: broadcast-add a row vector to every row of an (N, D) matrix, and its
// gradient, the column sums of the upstream gradient.
#pragma once

#include <span>

#include "simdnet/kernels/matrix.h"

namespace simdnet::kernels {

// y[i][j] = x[i][j] + b[j]; b has D = x.cols elements. y may alias x (same view).
void bias_forward(ConstMatrixView x, std::span<const float> b, MatrixView y);
// db[j] = sum_i dout[i][j]; db has D = dout.cols elements. (dx = dout: no kernel.)
// Rows are summed in fixed row blocks whose partial sums are added in block
// order, so db is bit-identical for any thread count.
void bias_backward(ConstMatrixView dout, std::span<float> db);

// Scalar references: the same signatures, plus double overloads for gradient checks.
namespace reference {
void bias_forward(ConstMatrixView x, std::span<const float> b, MatrixView y);
void bias_backward(ConstMatrixView dout, std::span<float> db);
void bias_forward(ConstMatrixViewD x, std::span<const double> b, MatrixViewD y);
void bias_backward(ConstMatrixViewD dout, std::span<double> db);
}  // namespace reference

}  // namespace simdnet::kernels
