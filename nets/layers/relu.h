// ReLU layer: y = max(0, x); dx = dout * [y > 0].
#pragma once

#include "simdnet/kernels/matrix.h"

namespace simdnet::nets {

template <class T>
class Relu {
 public:
  using View = kernels::MatrixViewOf<T>;
  using ConstView = kernels::MatrixViewOf<const T>;

  // y = max(0, x). Caches y (x > 0 exactly where y > 0).
  ConstView forward(ConstView x);
  // The previous layer already applied max(0, .) in its epilogue (affine-relu
  // fusion): y is its output, cached for the backward. y stays owned there.
  void forward_fused(ConstView y) { y_ = y; }
  // dx = dout * [y > 0]
  ConstView backward(ConstView dout);
  // y, for a backward fused into the matmul that computes dout (Affine::
  // backward's relu_mask), which then stands in for backward().
  ConstView output() const { return y_; }

 private:
  ConstView y_;
  kernels::MatrixOf<T> out_, dx_;
};

}  // namespace simdnet::nets
