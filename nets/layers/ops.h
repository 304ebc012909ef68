// The kernels as the layers call them, overloaded on the scalar type: float
// views run the SIMD kernels (training, inference), double views run the
// scalar references' double overloads (gradient checks in double). A layer
// written once as a template over T picks its kernels by overload resolution.
#pragma once

#include <cstdint>
#include <span>

#include "simdnet/kernels/matmul.h"
#include "simdnet/kernels/matrix.h"

namespace simdnet::nets::ops {

using kernels::MatmulForm;

// C = relu?(op(A)·op(B) + bias), bias empty or one per column of C; then, if
// relu_mask is not empty, C = relu_mask > 0 ? C : 0 (a ReLU backward fused
// into the store; relu_mask is that ReLU's output).
void matmul(MatmulForm form, kernels::ConstMatrixView a, kernels::ConstMatrixView b,
            kernels::MatrixView c, std::span<const float> bias = {}, bool relu = false,
            kernels::ConstMatrixView relu_mask = {});
void matmul(MatmulForm form, kernels::ConstMatrixViewD a, kernels::ConstMatrixViewD b,
            kernels::MatrixViewD c, std::span<const double> bias = {}, bool relu = false,
            kernels::ConstMatrixViewD relu_mask = {});

// db[j] = sum_i dout[i][j]
void bias_backward(kernels::ConstMatrixView dout, std::span<float> db);
void bias_backward(kernels::ConstMatrixViewD dout, std::span<double> db);

void relu_forward(kernels::ConstMatrixView x, kernels::MatrixView y);
void relu_forward(kernels::ConstMatrixViewD x, kernels::MatrixViewD y);
void relu_backward(kernels::ConstMatrixView dout, kernels::ConstMatrixView y,
                   kernels::MatrixView dx);
void relu_backward(kernels::ConstMatrixViewD dout, kernels::ConstMatrixViewD y,
                   kernels::MatrixViewD dx);

// Mean loss; dscores = (softmax - onehot) / N.
float softmax_cross_entropy(kernels::ConstMatrixView scores, std::span<const int32_t> labels,
                            kernels::MatrixView dscores);
double softmax_cross_entropy(kernels::ConstMatrixViewD scores, std::span<const int32_t> labels,
                             kernels::MatrixViewD dscores);
void argmax_rows(kernels::ConstMatrixView scores, std::span<int32_t> classes);
void argmax_rows(kernels::ConstMatrixViewD scores, std::span<int32_t> classes);

// Batchnorm: see simdnet/kernels/batchnorm.h. eps and momentum are the
// kernels' float constants in both overloads, so the two nets agree.
void batchnorm_forward_train(kernels::ConstMatrixView x, std::span<const float> gamma,
                             std::span<const float> beta, std::span<float> running_mean,
                             std::span<float> running_var, kernels::MatrixView out,
                             std::span<float> mean, std::span<float> inv_std);
void batchnorm_forward_train(kernels::ConstMatrixViewD x, std::span<const double> gamma,
                             std::span<const double> beta, std::span<double> running_mean,
                             std::span<double> running_var, kernels::MatrixViewD out,
                             std::span<double> mean, std::span<double> inv_std);
void batchnorm_forward_inference(kernels::ConstMatrixView x, std::span<const float> gamma,
                                 std::span<const float> beta,
                                 std::span<const float> running_mean,
                                 std::span<const float> running_var, kernels::MatrixView out);
void batchnorm_forward_inference(kernels::ConstMatrixViewD x, std::span<const double> gamma,
                                 std::span<const double> beta,
                                 std::span<const double> running_mean,
                                 std::span<const double> running_var, kernels::MatrixViewD out);
void batchnorm_backward(kernels::ConstMatrixView dout, kernels::ConstMatrixView x,
                        std::span<const float> gamma, std::span<const float> mean,
                        std::span<const float> inv_std, kernels::MatrixView dx,
                        std::span<float> dgamma, std::span<float> dbeta);
void batchnorm_backward(kernels::ConstMatrixViewD dout, kernels::ConstMatrixViewD x,
                        std::span<const double> gamma, std::span<const double> mean,
                        std::span<const double> inv_std, kernels::MatrixViewD dx,
                        std::span<double> dgamma, std::span<double> dbeta);

// Inverted dropout with the mask of Philox stream (seed, stream).
void dropout_forward(kernels::ConstMatrixView x, float p, uint64_t seed, uint64_t stream,
                     kernels::MatrixView out);
void dropout_forward(kernels::ConstMatrixViewD x, float p, uint64_t seed, uint64_t stream,
                     kernels::MatrixViewD out);
void dropout_backward(kernels::ConstMatrixView dout, float p, uint64_t seed, uint64_t stream,
                      kernels::MatrixView dx);
void dropout_backward(kernels::ConstMatrixViewD dout, float p, uint64_t seed, uint64_t stream,
                      kernels::MatrixViewD dx);

}  // namespace simdnet::nets::ops
