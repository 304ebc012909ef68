// Batch normalization over (N, D) as in CS231n: statistics per feature (column)
// j over the N rows (samples) of a batch.
//
//   training:   mu_j = (1/N) sum_i x_ij,   var_j = (1/N) sum_i (x_ij - mu_j)^2  (biased)
//               inv_std_j = 1 / sqrt(var_j + eps),   x_hat = (x - mu) * inv_std
//               out = gamma * x_hat + beta
//               running_mean = momentum * running_mean + (1 - momentum) * mu
//               running_var  = momentum * running_var  + (1 - momentum) * var
//   inference:  out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta
//   backward:   dbeta_j = sum_i dout_ij,   dgamma_j = sum_i dout_ij * x_hat_ij
//               dx_ij = (gamma_j * inv_std_j / N) * (N * dout_ij - dbeta_j - x_hat_ij * dgamma_j)
//
// Per-feature vectors (gamma, beta, running stats, cache, dgamma, dbeta) have
// D = x.cols elements. Bad shapes, lengths, eps <= 0, momentum outside [0, 1]
// or a training batch with no rows throw std::invalid_argument.
#pragma once

#include <span>

#include "simdnet/kernels/matrix.h"

namespace simdnet::kernels {

// CS231n's defaults.
inline constexpr float kBatchnormEps = 1e-5f;
inline constexpr float kBatchnormMomentum = 0.9f;

// What the training forward leaves for the backward: two numbers per feature.
// The backward recomputes x_hat from x, so no N x D matrix is cached.
template <class T>
struct BatchnormCacheOf {
  std::span<T> mean;     // mu_j
  std::span<T> inv_std;  // 1 / sqrt(var_j + eps)
  // A writable cache converts to a read-only one, never the other way.
  operator BatchnormCacheOf<const T>() const { return {mean, inv_std}; }
};
using BatchnormCache = BatchnormCacheOf<float>;
using ConstBatchnormCache = BatchnormCacheOf<const float>;
using BatchnormCacheD = BatchnormCacheOf<double>;
using ConstBatchnormCacheD = BatchnormCacheOf<const double>;

// Normalizes x with its own batch statistics, writes them to `cache` and folds
// them into the running statistics (in place). out may alias x (same view).
void batchnorm_forward_train(ConstMatrixView x, std::span<const float> gamma,
                             std::span<const float> beta, float eps, float momentum,
                             std::span<float> running_mean, std::span<float> running_var,
                             MatrixView out, BatchnormCache cache);

// Normalizes x with the running statistics. out may alias x (same view).
void batchnorm_forward_inference(ConstMatrixView x, std::span<const float> gamma,
                                 std::span<const float> beta, std::span<const float> running_mean,
                                 std::span<const float> running_var, float eps, MatrixView out);

// Gradients of the training forward: x is its input, cache what it wrote.
// dx may alias dout or x (same view).
void batchnorm_backward(ConstMatrixView dout, ConstMatrixView x, std::span<const float> gamma,
                        ConstBatchnormCache cache, MatrixView dx, std::span<float> dgamma,
                        std::span<float> dbeta);

// Scalar references: the same signatures, plus double overloads for gradient
// checks. Two passes per statistic, accumulated in double.
namespace reference {
void batchnorm_forward_train(ConstMatrixView x, std::span<const float> gamma,
                             std::span<const float> beta, float eps, float momentum,
                             std::span<float> running_mean, std::span<float> running_var,
                             MatrixView out, BatchnormCache cache);
void batchnorm_forward_inference(ConstMatrixView x, std::span<const float> gamma,
                                 std::span<const float> beta, std::span<const float> running_mean,
                                 std::span<const float> running_var, float eps, MatrixView out);
void batchnorm_backward(ConstMatrixView dout, ConstMatrixView x, std::span<const float> gamma,
                        ConstBatchnormCache cache, MatrixView dx, std::span<float> dgamma,
                        std::span<float> dbeta);

void batchnorm_forward_train(ConstMatrixViewD x, std::span<const double> gamma,
                             std::span<const double> beta, double eps, double momentum,
                             std::span<double> running_mean, std::span<double> running_var,
                             MatrixViewD out, BatchnormCacheD cache);
void batchnorm_forward_inference(ConstMatrixViewD x, std::span<const double> gamma,
                                 std::span<const double> beta, std::span<const double> running_mean,
                                 std::span<const double> running_var, double eps, MatrixViewD out);
void batchnorm_backward(ConstMatrixViewD dout, ConstMatrixViewD x, std::span<const double> gamma,
                        ConstBatchnormCacheD cache, MatrixViewD dx, std::span<double> dgamma,
                        std::span<double> dbeta);
}  // namespace reference

}  // namespace simdnet::kernels
