// Mean squared error between predictions and targets (both N x D), the loss
// of the regression examples (PyTorch's MSELoss with reduction 'mean'):
//
//   loss  = (1 / (N·D)) sum_ij (pred_ij - target_ij)^2
//   dpred = (2 / (N·D)) (pred - target)
#pragma once

#include "simdnet/kernels/matrix.h"

namespace simdnet::nets {

template <class T>
class MeanSquaredError {
 public:
  using View = kernels::MatrixViewOf<T>;
  using ConstView = kernels::MatrixViewOf<const T>;

  // The mean loss (accumulated in double); also computes dpred. Throws
  // std::invalid_argument when the shapes differ or are empty.
  T forward(ConstView pred, ConstView target);
  // dpred of the last forward.
  ConstView backward() const { return dpred_.view(); }

 private:
  kernels::MatrixOf<T> dpred_;
};

}  // namespace simdnet::nets
