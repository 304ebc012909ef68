#include "nets/layers/relu.h"

#include "nets/layers/ops.h"

namespace simdnet::nets {

template <class T>
auto Relu<T>::forward(ConstView x) -> ConstView {
  View y = out_.reshape(x.rows, x.cols);
  ops::relu_forward(x, y);
  y_ = y;
  return y;
}

template <class T>
auto Relu<T>::backward(ConstView dout) -> ConstView {
  View dx = dx_.reshape(dout.rows, dout.cols);
  ops::relu_backward(dout, y_, dx);
  return dx;
}

template class Relu<float>;
template class Relu<double>;

}  // namespace simdnet::nets
