#include "nets/layers/ops.h"

#include <stdexcept>
#include <string>

#include "simdnet/kernels/batchnorm.h"
#include "simdnet/kernels/bias.h"
#include "simdnet/kernels/dropout.h"
#include "simdnet/kernels/relu.h"
#include "simdnet/kernels/softmax_cross_entropy.h"

namespace simdnet::nets::ops {

namespace k = simdnet::kernels;
namespace ref = simdnet::kernels::reference;
using k::kBatchnormEps;
using k::kBatchnormMomentum;

void matmul(MatmulForm form, k::ConstMatrixView a, k::ConstMatrixView b, k::MatrixView c,
            std::span<const float> bias, bool relu, k::ConstMatrixView relu_mask) {
  k::matmul(form, a, b, c,
            {.accumulate = false, .bias = bias, .relu = relu, .relu_mask = relu_mask});
}
void matmul(MatmulForm form, k::ConstMatrixViewD a, k::ConstMatrixViewD b, k::MatrixViewD c,
            std::span<const double> bias, bool relu, k::ConstMatrixViewD relu_mask) {
  ref::matmul(form, a, b, c,
              {.accumulate = false, .bias = bias, .relu = relu, .relu_mask = relu_mask});
}

void bias_backward(k::ConstMatrixView dout, std::span<float> db) { k::bias_backward(dout, db); }
void bias_backward(k::ConstMatrixViewD dout, std::span<double> db) {
  ref::bias_backward(dout, db);
}

void relu_forward(k::ConstMatrixView x, k::MatrixView y) { k::relu_forward(x, y); }
void relu_forward(k::ConstMatrixViewD x, k::MatrixViewD y) { ref::relu_forward(x, y); }
void relu_backward(k::ConstMatrixView dout, k::ConstMatrixView y, k::MatrixView dx) {
  k::relu_backward(dout, y, dx);
}
void relu_backward(k::ConstMatrixViewD dout, k::ConstMatrixViewD y, k::MatrixViewD dx) {
  ref::relu_backward(dout, y, dx);
}

float softmax_cross_entropy(k::ConstMatrixView scores, std::span<const int32_t> labels,
                            k::MatrixView dscores) {
  return k::softmax_cross_entropy(scores, labels, dscores);
}
double softmax_cross_entropy(k::ConstMatrixViewD scores, std::span<const int32_t> labels,
                             k::MatrixViewD dscores) {
  return ref::softmax_cross_entropy(scores, labels, dscores);
}
void argmax_rows(k::ConstMatrixView scores, std::span<int32_t> classes) {
  k::argmax_rows(scores, classes);
}
// No double kernel: the first maximum of each row, as kernels::argmax_rows.
void argmax_rows(k::ConstMatrixViewD scores, std::span<int32_t> classes) {
  if (classes.size() != scores.rows) {
    throw std::invalid_argument("argmax_rows: classes has " + std::to_string(classes.size()) +
                                " entries, expected one per row (" +
                                std::to_string(scores.rows) + ")");
  }
  for (size_t i = 0; i < scores.rows; ++i) {
    const double* row = scores.row(i);
    size_t best = 0;
    for (size_t j = 1; j < scores.cols; ++j) {
      if (row[j] > row[best]) best = j;
    }
    classes[i] = static_cast<int32_t>(best);
  }
}

void batchnorm_forward_train(k::ConstMatrixView x, std::span<const float> gamma,
                             std::span<const float> beta, std::span<float> running_mean,
                             std::span<float> running_var, k::MatrixView out,
                             std::span<float> mean, std::span<float> inv_std) {
  k::batchnorm_forward_train(x, gamma, beta, kBatchnormEps, kBatchnormMomentum, running_mean,
                             running_var, out, {mean, inv_std});
}
void batchnorm_forward_train(k::ConstMatrixViewD x, std::span<const double> gamma,
                             std::span<const double> beta, std::span<double> running_mean,
                             std::span<double> running_var, k::MatrixViewD out,
                             std::span<double> mean, std::span<double> inv_std) {
  ref::batchnorm_forward_train(x, gamma, beta, kBatchnormEps, kBatchnormMomentum, running_mean,
                               running_var, out, {mean, inv_std});
}
void batchnorm_forward_inference(k::ConstMatrixView x, std::span<const float> gamma,
                                 std::span<const float> beta,
                                 std::span<const float> running_mean,
                                 std::span<const float> running_var, k::MatrixView out) {
  k::batchnorm_forward_inference(x, gamma, beta, running_mean, running_var, kBatchnormEps, out);
}
void batchnorm_forward_inference(k::ConstMatrixViewD x, std::span<const double> gamma,
                                 std::span<const double> beta,
                                 std::span<const double> running_mean,
                                 std::span<const double> running_var, k::MatrixViewD out) {
  ref::batchnorm_forward_inference(x, gamma, beta, running_mean, running_var, kBatchnormEps,
                                   out);
}
void batchnorm_backward(k::ConstMatrixView dout, k::ConstMatrixView x,
                        std::span<const float> gamma, std::span<const float> mean,
                        std::span<const float> inv_std, k::MatrixView dx,
                        std::span<float> dgamma, std::span<float> dbeta) {
  k::batchnorm_backward(dout, x, gamma, {mean, inv_std}, dx, dgamma, dbeta);
}
void batchnorm_backward(k::ConstMatrixViewD dout, k::ConstMatrixViewD x,
                        std::span<const double> gamma, std::span<const double> mean,
                        std::span<const double> inv_std, k::MatrixViewD dx,
                        std::span<double> dgamma, std::span<double> dbeta) {
  ref::batchnorm_backward(dout, x, gamma, {mean, inv_std}, dx, dgamma, dbeta);
}

void dropout_forward(k::ConstMatrixView x, float p, uint64_t seed, uint64_t stream,
                     k::MatrixView out) {
  k::dropout_forward(x, p, seed, stream, out);
}
void dropout_forward(k::ConstMatrixViewD x, float p, uint64_t seed, uint64_t stream,
                     k::MatrixViewD out) {
  ref::dropout_forward(x, p, seed, stream, out);
}
void dropout_backward(k::ConstMatrixView dout, float p, uint64_t seed, uint64_t stream,
                      k::MatrixView dx) {
  k::dropout_backward(dout, p, seed, stream, dx);
}
void dropout_backward(k::ConstMatrixViewD dout, float p, uint64_t seed, uint64_t stream,
                      k::MatrixViewD dx) {
  ref::dropout_backward(dout, p, seed, stream, dx);
}

}  // namespace simdnet::nets::ops
