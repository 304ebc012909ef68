// Scalar reference for the bias: the definitions, one element at a time. The
// column sums accumulate in double.
#include "simdnet/kernels/bias.h"

#include "kernels/shape_check.h"

namespace simdnet::kernels::reference {
namespace {

template <class T>
void forward(MatrixViewOf<const T> x, std::span<const T> b, MatrixViewOf<T> y) {
  detail::check_same_shape("reference::bias_forward", "x", x, "y", y);
  detail::check_length("reference::bias_forward", "b", b.size(), x.cols);
  // y[i][j] = x[i][j] + b[j]
  for (size_t r = 0; r < x.rows; ++r)
    for (size_t c = 0; c < x.cols; ++c) y.at(r, c) = x.at(r, c) + b[c];
}

template <class T>
void backward(MatrixViewOf<const T> dout, std::span<T> db) {
  detail::check_view("reference::bias_backward", "dout", dout);
  detail::check_length("reference::bias_backward", "db", db.size(), dout.cols);
  // db[j] = sum_i dout[i][j]
  for (size_t c = 0; c < dout.cols; ++c) {
    double sum = 0;
    for (size_t r = 0; r < dout.rows; ++r) sum += dout.at(r, c);
    db[c] = static_cast<T>(sum);
  }
}

}  // namespace

void bias_forward(ConstMatrixView x, std::span<const float> b, MatrixView y) { forward(x, b, y); }
void bias_forward(ConstMatrixViewD x, std::span<const double> b, MatrixViewD y) {
  forward(x, b, y);
}
void bias_backward(ConstMatrixView dout, std::span<float> db) { backward(dout, db); }
void bias_backward(ConstMatrixViewD dout, std::span<double> db) { backward(dout, db); }

}  // namespace simdnet::kernels::reference
