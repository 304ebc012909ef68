// Argument checks of the batchnorm kernels, shared by the SIMD entry points and
// the references (float and double), so both reject the same calls with the
// same messages.
#pragma once

#include <cstddef>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>

#include "kernels/shape_check.h"
#include "simdnet/kernels/batchnorm.h"

namespace simdnet::kernels::detail {

template <class T>
void check_eps(const char* kernel, T eps) {
  if (!(eps > 0)) {  // also rejects NaN
    std::ostringstream message;
    message << kernel << ": eps is " << eps << "; expected eps > 0";
    throw std::invalid_argument(message.str());
  }
}

template <class T>
void check_momentum(const char* kernel, T momentum) {
  if (!(momentum >= 0 && momentum <= 1)) {
    std::ostringstream message;
    message << kernel << ": momentum is " << momentum << "; expected a value in [0, 1]";
    throw std::invalid_argument(message.str());
  }
}

template <class T>
void check_batchnorm_forward_train(const char* kernel, MatrixViewOf<const T> x,
                                   std::span<const T> gamma, std::span<const T> beta, T eps,
                                   T momentum, std::span<T> running_mean, std::span<T> running_var,
                                   MatrixViewOf<T> out, BatchnormCacheOf<T> cache) {
  check_same_shape(kernel, "x", x, "out", out);
  if (x.rows == 0) {
    throw std::invalid_argument(std::string(kernel) + ": x is " + shape_string(x) +
                                "; the batch statistics need at least one row");
  }
  const size_t features = x.cols;
  check_length(kernel, "gamma", gamma.size(), features);
  check_length(kernel, "beta", beta.size(), features);
  check_length(kernel, "running_mean", running_mean.size(), features);
  check_length(kernel, "running_var", running_var.size(), features);
  check_length(kernel, "cache.mean", cache.mean.size(), features);
  check_length(kernel, "cache.inv_std", cache.inv_std.size(), features);
  check_eps(kernel, eps);
  check_momentum(kernel, momentum);
}

template <class T>
void check_batchnorm_forward_inference(const char* kernel, MatrixViewOf<const T> x,
                                       std::span<const T> gamma, std::span<const T> beta,
                                       std::span<const T> running_mean,
                                       std::span<const T> running_var, T eps, MatrixViewOf<T> out) {
  check_same_shape(kernel, "x", x, "out", out);
  const size_t features = x.cols;
  check_length(kernel, "gamma", gamma.size(), features);
  check_length(kernel, "beta", beta.size(), features);
  check_length(kernel, "running_mean", running_mean.size(), features);
  check_length(kernel, "running_var", running_var.size(), features);
  check_eps(kernel, eps);
}

template <class T>
void check_batchnorm_backward(const char* kernel, MatrixViewOf<const T> dout,
                              MatrixViewOf<const T> x, std::span<const T> gamma,
                              BatchnormCacheOf<const T> cache, MatrixViewOf<T> dx,
                              std::span<T> dgamma, std::span<T> dbeta) {
  check_same_shape(kernel, "dout", dout, "x", x);
  check_same_shape(kernel, "dout", dout, "dx", dx);
  const size_t features = x.cols;
  check_length(kernel, "gamma", gamma.size(), features);
  check_length(kernel, "cache.mean", cache.mean.size(), features);
  check_length(kernel, "cache.inv_std", cache.inv_std.size(), features);
  check_length(kernel, "dgamma", dgamma.size(), features);
  check_length(kernel, "dbeta", dbeta.size(), features);
}

}  // namespace simdnet::kernels::detail
