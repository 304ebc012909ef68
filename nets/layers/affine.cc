#include "nets/layers/affine.h"

#include <span>

#include "nets/layers/ops.h"

namespace simdnet::nets {

using kernels::MatmulForm;

template <class T>
void Affine<T>::bind(ConstView W, ConstView b, View dW, View db) {
  W_ = W;
  b_ = b;
  dW_ = dW;
  db_ = db;
}

template <class T>
auto Affine<T>::forward(ConstView x, bool fuse_relu) -> ConstView {
  x_ = x;
  View out = out_.reshape(x.rows, W_.cols);
  // out = relu?(x·W + b): bias (and ReLU) applied in the matmul epilogue.
  ops::matmul(MatmulForm::kNN, x, W_, out, std::span<const T>(b_.data, b_.cols), fuse_relu);
  return out;
}

template <class T>
auto Affine<T>::backward(ConstView dout, bool need_dx, ConstView relu_mask) -> ConstView {
  ops::matmul(MatmulForm::kTN, x_, dout, dW_);                 // dW = xᵀ·dout
  ops::bias_backward(dout, std::span<T>(db_.data, db_.cols));  // db = Σ_i dout[i]
  if (!need_dx) return {};
  View dx = dx_.reshape(dout.rows, W_.rows);
  ops::matmul(MatmulForm::kNT, dout, W_, dx, {}, false, relu_mask);  // dx = (dout·Wᵀ)·[y > 0]?
  return dx;
}

template class Affine<float>;
template class Affine<double>;

}  // namespace simdnet::nets
