// Softmax cross-entropy loss over class scores (N x C) and integer labels:
//
//   loss     = -(1/N) sum_i log softmax(s_i)[y_i]
//   dscores  = (softmax(s) - onehot(y)) / N
//
// The kernel computes both in one pass, so forward also prepares backward.
#pragma once

#include <cstdint>
#include <span>

#include "simdnet/kernels/matrix.h"

namespace simdnet::nets {

template <class T>
class SoftmaxCrossEntropy {
 public:
  using View = kernels::MatrixViewOf<T>;
  using ConstView = kernels::MatrixViewOf<const T>;

  // The mean loss; throws std::invalid_argument on a label outside [0, C) or
  // labels.size() != N (the kernel's checks).
  T forward(ConstView scores, std::span<const int32_t> labels);
  // dscores of the last forward.
  ConstView backward() const { return dscores_.view(); }

 private:
  kernels::MatrixOf<T> dscores_;
};

}  // namespace simdnet::nets
