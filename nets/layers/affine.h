// Affine (fully-connected) layer: out = x·W + b, optionally with the ReLU that
// follows it fused into the matmul epilogue (when no batchnorm sits between).
//
//   forward   out = x·W + b               x: N x D, W: D x H, b: 1 x H
//   backward  dW  = xᵀ·dout               (the kernels' TN form)
//             db  = sum_i dout[i]         (bias_backward)
//             dx  = dout·Wᵀ               (NT form; skipped for the first layer),
//                   or (dout·Wᵀ)·[y > 0]    with the backward of the ReLU before
//                                           this layer (output y) fused in
#pragma once

#include "simdnet/kernels/matrix.h"

namespace simdnet::nets {

template <class T>
class Affine {
 public:
  using View = kernels::MatrixViewOf<T>;
  using ConstView = kernels::MatrixViewOf<const T>;

  // The parameters live in the network's Parameter list; bind points the layer
  // at them (and their gradients) before a pass. W: D x H, b and db: 1 x H.
  void bind(ConstView W, ConstView b, View dW, View db);

  // out = x·W + b, or max(0, x·W + b) when fuse_relu (the ReLU layer after it
  // then only remembers the output: Relu::forward_fused). Caches x (a view:
  // the caller keeps x alive until backward).
  ConstView forward(ConstView x, bool fuse_relu = false);

  // Writes dW and db; returns dx, or an empty view when !need_dx. With a
  // relu_mask (the output y of the ReLU whose output fed this layer, through
  // an optional dropout), dx = (dout·Wᵀ)·[y > 0]: that ReLU's backward, done
  // in the matmul's store; the caller then skips Relu::backward.
  ConstView backward(ConstView dout, bool need_dx = true, ConstView relu_mask = {});

 private:
  ConstView W_, b_;
  View dW_, db_;
  ConstView x_;
  kernels::MatrixOf<T> out_, dx_;
};

}  // namespace simdnet::nets
