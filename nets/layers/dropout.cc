#include "nets/layers/dropout.h"

#include <stdexcept>
#include <string>

#include "nets/layers/ops.h"

namespace simdnet::nets {

template <class T>
Dropout<T>::Dropout(float p, uint64_t seed) : p_(p), seed_(seed) {
  if (!(p >= 0.0f && p < 1.0f)) {
    throw std::invalid_argument("Dropout: drop probability p = " + std::to_string(p) +
                                " is outside [0, 1)");
  }
}

template <class T>
auto Dropout<T>::forward(ConstView x, Mode mode, uint64_t stream) -> ConstView {
  if (mode == Mode::kTest) {
    trained_ = false;
    return x;
  }
  View out = out_.reshape(x.rows, x.cols);
  ops::dropout_forward(x, p_, seed_, stream, out);
  stream_ = stream;
  trained_ = true;
  return out;
}

template <class T>
auto Dropout<T>::backward(ConstView dout) -> ConstView {
  if (!trained_) {
    throw std::logic_error("Dropout::backward: the last forward was not in train mode");
  }
  View dx = dx_.reshape(dout.rows, dout.cols);
  ops::dropout_backward(dout, p_, seed_, stream_, dx);
  return dx;
}

template class Dropout<float>;
template class Dropout<double>;

}  // namespace simdnet::nets
