// Scalar reference for dropout: the definition in simdnet/kernels/dropout.h,
// one element at a time: the float u(e) compared with p, and the kept value
// divided by (1 - p) in double.
#include "kernels/shape_check.h"
#include "simdnet/kernels/dropout.h"

namespace simdnet::kernels::reference {
namespace {

template <class T>
void apply(const char* kernel, const char* in_name, MatrixViewOf<const T> in, float p,
           uint64_t seed, uint64_t stream, const char* out_name, MatrixViewOf<T> out) {
  detail::check_drop_probability(kernel, p);
  detail::check_same_shape(kernel, in_name, in, out_name, out);
  const double keep_scale = 1.0 - double(p);
  for (size_t r = 0; r < in.rows; ++r) {
    for (size_t c = 0; c < in.cols; ++c) {
      const bool keep = dropout_mask::uniform(seed, stream, uint64_t{r} * in.cols + c) >= p;
      out.at(r, c) = keep ? static_cast<T>(double(in.at(r, c)) / keep_scale) : T(0);
    }
  }
}

}  // namespace

void dropout_forward(ConstMatrixView x, float p, uint64_t seed, uint64_t stream, MatrixView out) {
  apply("reference::dropout_forward", "x", x, p, seed, stream, "out", out);
}
void dropout_forward(ConstMatrixViewD x, float p, uint64_t seed, uint64_t stream,
                     MatrixViewD out) {
  apply("reference::dropout_forward", "x", x, p, seed, stream, "out", out);
}
void dropout_backward(ConstMatrixView dout, float p, uint64_t seed, uint64_t stream,
                      MatrixView dx) {
  apply("reference::dropout_backward", "dout", dout, p, seed, stream, "dx", dx);
}
void dropout_backward(ConstMatrixViewD dout, float p, uint64_t seed, uint64_t stream,
                      MatrixViewD dx) {
  apply("reference::dropout_backward", "dout", dout, p, seed, stream, "dx", dx);
}

}  // namespace simdnet::kernels::reference
