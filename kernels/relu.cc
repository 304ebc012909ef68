// ReLU: Highway dispatch + row blocking on the thread pool.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/relu.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/relu-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {

void ReluForwardRows(const float* x, size_t x_stride, float* y, size_t y_stride, size_t rows,
                     size_t cols) {
  for (size_t r = 0; r < rows; ++r) ReluForwardRow(x + r * x_stride, y + r * y_stride, cols);
}

void ReluBackwardRows(const float* dout, size_t dout_stride, const float* x, size_t x_stride,
                      float* dx, size_t dx_stride, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r) {
    ReluBackwardRow(dout + r * dout_stride, x + r * x_stride, dx + r * dx_stride, cols);
  }
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/shape_check.h"
#include "simdnet/kernels/parallel.h"
#include "simdnet/kernels/relu.h"

namespace simdnet::kernels {
HWY_EXPORT(ReluForwardRows);
HWY_EXPORT(ReluBackwardRows);

void relu_forward(ConstMatrixView x, MatrixView y) {
  detail::check_same_shape("relu_forward", "x", x, "y", y);
  const size_t rb = rows_per_block(x.cols);
  parallel_for(block_count(x.rows, rb), [&](size_t b) {
    const size_t r0 = b * rb, n = std::min(rb, x.rows - r0);
    HWY_DYNAMIC_DISPATCH(ReluForwardRows)(x.row(r0), x.stride, y.row(r0), y.stride, n, x.cols);
  });
}

void relu_backward(ConstMatrixView dout, ConstMatrixView x, MatrixView dx) {
  detail::check_same_shape("relu_backward", "dout", dout, "x", x);
  detail::check_same_shape("relu_backward", "dout", dout, "dx", dx);
  const size_t rb = rows_per_block(x.cols);
  parallel_for(block_count(x.rows, rb), [&](size_t b) {
    const size_t r0 = b * rb, n = std::min(rb, x.rows - r0);
    HWY_DYNAMIC_DISPATCH(ReluBackwardRows)(dout.row(r0), dout.stride, x.row(r0), x.stride,
                                           dx.row(r0), dx.stride, n, x.cols);
  });
}

}  // namespace simdnet::kernels
#endif  // HWY_ONCE
