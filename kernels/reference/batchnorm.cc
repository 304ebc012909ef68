// Scalar reference for batchnorm: the definitions in batchnorm.h, loop by loop,
// accumulated in double. The variance takes two passes (the mean first, then
// the squared deviations from it), so it does not cancel when |mean| >> std.
#include "simdnet/kernels/batchnorm.h"

#include <cmath>
#include <vector>

#include "kernels/batchnorm_check.h"

namespace simdnet::kernels::reference {
namespace {

template <class T>
void forward_train(MatrixViewOf<const T> x, std::span<const T> gamma, std::span<const T> beta,
                   T eps, T momentum, std::span<T> running_mean, std::span<T> running_var,
                   MatrixViewOf<T> out, BatchnormCacheOf<T> cache) {
  detail::check_batchnorm_forward_train("reference::batchnorm_forward_train", x, gamma, beta, eps,
                                        momentum, running_mean, running_var, out, cache);
  const size_t n = x.rows, d = x.cols;
  // mu_j = (1/N) sum_i x_ij
  std::vector<double> mean(d, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) mean[j] += x.at(i, j);
  for (double& m : mean) m /= double(n);
  // var_j = (1/N) sum_i (x_ij - mu_j)^2
  std::vector<double> var(d, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) {
      const double centered = x.at(i, j) - mean[j];
      var[j] += centered * centered;
    }
  for (double& v : var) v /= double(n);
  // inv_std_j = 1 / sqrt(var_j + eps)
  std::vector<double> inv_std(d);
  for (size_t j = 0; j < d; ++j) inv_std[j] = 1.0 / std::sqrt(var[j] + double(eps));
  // out = gamma * (x - mu) * inv_std + beta
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) {
      const double x_hat = (x.at(i, j) - mean[j]) * inv_std[j];
      out.at(i, j) = T(double(gamma[j]) * x_hat + double(beta[j]));
    }
  for (size_t j = 0; j < d; ++j) {
    running_mean[j] = T(double(momentum) * running_mean[j] + (1.0 - double(momentum)) * mean[j]);
    running_var[j] = T(double(momentum) * running_var[j] + (1.0 - double(momentum)) * var[j]);
    cache.mean[j] = T(mean[j]);
    cache.inv_std[j] = T(inv_std[j]);
  }
}

template <class T>
void forward_inference(MatrixViewOf<const T> x, std::span<const T> gamma, std::span<const T> beta,
                       std::span<const T> running_mean, std::span<const T> running_var, T eps,
                       MatrixViewOf<T> out) {
  detail::check_batchnorm_forward_inference("reference::batchnorm_forward_inference", x, gamma,
                                            beta, running_mean, running_var, eps, out);
  // out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta
  for (size_t i = 0; i < x.rows; ++i)
    for (size_t j = 0; j < x.cols; ++j) {
      const double x_hat = (double(x.at(i, j)) - double(running_mean[j])) /
                           std::sqrt(double(running_var[j]) + double(eps));
      out.at(i, j) = T(double(gamma[j]) * x_hat + double(beta[j]));
    }
}

template <class T>
void backward(MatrixViewOf<const T> dout, MatrixViewOf<const T> x, std::span<const T> gamma,
              BatchnormCacheOf<const T> cache, MatrixViewOf<T> dx, std::span<T> dgamma,
              std::span<T> dbeta) {
  detail::check_batchnorm_backward("reference::batchnorm_backward", dout, x, gamma, cache, dx,
                                   dgamma, dbeta);
  const size_t n = x.rows, d = x.cols;
  auto x_hat = [&](size_t i, size_t j) {
    return (double(x.at(i, j)) - double(cache.mean[j])) * double(cache.inv_std[j]);
  };
  // dbeta_j = sum_i dout_ij,  dgamma_j = sum_i dout_ij * x_hat_ij
  std::vector<double> sum_dout(d, 0.0), sum_dout_x_hat(d, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) {
      sum_dout[j] += dout.at(i, j);
      sum_dout_x_hat[j] += double(dout.at(i, j)) * x_hat(i, j);
    }
  // dx_ij = (gamma_j * inv_std_j / N) * (N * dout_ij - dbeta_j - x_hat_ij * dgamma_j)
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) {
      const double scale = double(gamma[j]) * double(cache.inv_std[j]) / double(n);
      dx.at(i, j) =
          T(scale * (double(n) * dout.at(i, j) - sum_dout[j] - x_hat(i, j) * sum_dout_x_hat[j]));
    }
  for (size_t j = 0; j < d; ++j) {
    dbeta[j] = T(sum_dout[j]);
    dgamma[j] = T(sum_dout_x_hat[j]);
  }
}

}  // namespace

void batchnorm_forward_train(ConstMatrixView x, std::span<const float> gamma,
                             std::span<const float> beta, float eps, float momentum,
                             std::span<float> running_mean, std::span<float> running_var,
                             MatrixView out, BatchnormCache cache) {
  forward_train(x, gamma, beta, eps, momentum, running_mean, running_var, out, cache);
}
void batchnorm_forward_train(ConstMatrixViewD x, std::span<const double> gamma,
                             std::span<const double> beta, double eps, double momentum,
                             std::span<double> running_mean, std::span<double> running_var,
                             MatrixViewD out, BatchnormCacheD cache) {
  forward_train(x, gamma, beta, eps, momentum, running_mean, running_var, out, cache);
}

void batchnorm_forward_inference(ConstMatrixView x, std::span<const float> gamma,
                                 std::span<const float> beta, std::span<const float> running_mean,
                                 std::span<const float> running_var, float eps, MatrixView out) {
  forward_inference(x, gamma, beta, running_mean, running_var, eps, out);
}
void batchnorm_forward_inference(ConstMatrixViewD x, std::span<const double> gamma,
                                 std::span<const double> beta, std::span<const double> running_mean,
                                 std::span<const double> running_var, double eps, MatrixViewD out) {
  forward_inference(x, gamma, beta, running_mean, running_var, eps, out);
}

void batchnorm_backward(ConstMatrixView dout, ConstMatrixView x, std::span<const float> gamma,
                        ConstBatchnormCache cache, MatrixView dx, std::span<float> dgamma,
                        std::span<float> dbeta) {
  backward(dout, x, gamma, cache, dx, dgamma, dbeta);
}
void batchnorm_backward(ConstMatrixViewD dout, ConstMatrixViewD x, std::span<const double> gamma,
                        ConstBatchnormCacheD cache, MatrixViewD dx, std::span<double> dgamma,
                        std::span<double> dbeta) {
  backward(dout, x, gamma, cache, dx, dgamma, dbeta);
}

}  // namespace simdnet::kernels::reference
