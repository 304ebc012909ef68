// Batch normalization layer (CS231n's spatial-free batchnorm over features):
// train mode normalizes with the batch's own mean and variance and folds them
// into the running statistics; test mode uses the running statistics. The
// formulas are at the top of simdnet/kernels/batchnorm.h (eps = 1e-5,
// momentum = 0.9, CS231n's defaults).
#pragma once

#include "nets/layers/mode.h"
#include "simdnet/kernels/matrix.h"

namespace simdnet::nets {

template <class T>
class BatchNorm {
 public:
  using View = kernels::MatrixViewOf<T>;
  using ConstView = kernels::MatrixViewOf<const T>;

  // Points the layer at its parameters, gradients and running statistics, all
  // 1 x D, owned by the network.
  void bind(ConstView gamma, ConstView beta, View dgamma, View dbeta, View running_mean,
            View running_var);

  // out = gamma * (x - mu) / sqrt(var + eps) + beta, with (mu, var) the batch's
  // (kTrain: cached with x for the backward, running stats updated) or the
  // running ones (kTest).
  ConstView forward(ConstView x, Mode mode);
  // Writes dgamma, dbeta; returns dx. Needs a kTrain forward before it.
  ConstView backward(ConstView dout);

 private:
  ConstView gamma_, beta_;
  View dgamma_, dbeta_, running_mean_, running_var_;
  ConstView x_;
  bool trained_ = false;           // the last forward was kTrain: the cache is valid
  kernels::MatrixOf<T> mean_, inv_std_;  // the cache: mu_j, 1 / sqrt(var_j + eps)
  kernels::MatrixOf<T> out_, dx_;
};

}  // namespace simdnet::nets
