// Scalar reference for ReLU: the definition, one element at a time.
#include "kernels/shape_check.h"
#include "simdnet/kernels/relu.h"

namespace simdnet::kernels::reference {
namespace {

template <class T>
void forward(MatrixViewOf<const T> x, MatrixViewOf<T> y) {
  detail::check_same_shape("reference::relu_forward", "x", x, "y", y);
  for (size_t r = 0; r < x.rows; ++r)
    for (size_t c = 0; c < x.cols; ++c) y.at(r, c) = x.at(r, c) > 0 ? x.at(r, c) : T(0);
}

template <class T>
void backward(MatrixViewOf<const T> dout, MatrixViewOf<const T> x, MatrixViewOf<T> dx) {
  detail::check_same_shape("reference::relu_backward", "dout", dout, "x", x);
  detail::check_same_shape("reference::relu_backward", "dout", dout, "dx", dx);
  for (size_t r = 0; r < x.rows; ++r)
    for (size_t c = 0; c < x.cols; ++c) dx.at(r, c) = x.at(r, c) > 0 ? dout.at(r, c) : T(0);
}

}  // namespace

void relu_forward(ConstMatrixView x, MatrixView y) { forward(x, y); }
void relu_forward(ConstMatrixViewD x, MatrixViewD y) { forward(x, y); }
void relu_backward(ConstMatrixView dout, ConstMatrixView x, MatrixView dx) {
  backward(dout, x, dx);
}
void relu_backward(ConstMatrixViewD dout, ConstMatrixViewD x, MatrixViewD dx) {
  backward(dout, x, dx);
}

}  // namespace simdnet::kernels::reference
