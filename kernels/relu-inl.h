// ReLU SIMD bodies, one copy per Highway target (toggle guard below). Row
// functions only: blocking and threads are relu.cc's job. Other kernels (the
// matmul epilogue) include this to fuse ReLU into their own loops.
#if defined(SIMDNET_KERNELS_RELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_RELU_INL_H_
#undef SIMDNET_KERNELS_RELU_INL_H_
#else
#define SIMDNET_KERNELS_RELU_INL_H_
#endif

#include <cstddef>

#include "hwy/highway.h"
#include "kernels/tail-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// y[i] = max(x[i], 0) for i < n.
HWY_INLINE void ReluForwardRow(const float* HWY_RESTRICT x, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto zero = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Max(hn::LoadU(d, x + i), zero), d, y + i);
  if (i < n) StoreTail(hn::Max(LoadTail(d, x + i, n - i), zero), d, y + i, n - i);
}

// dx[i] = x[i] > 0 ? dout[i] : 0 for i < n.
HWY_INLINE void ReluBackwardRow(const float* dout, const float* HWY_RESTRICT x, float* dx,
                                size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto zero = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto active = hn::Gt(hn::LoadU(d, x + i), zero);
    hn::StoreU(hn::IfThenElseZero(active, hn::LoadU(d, dout + i)), d, dx + i);
  }
  if (i < n) {
    const auto active = hn::Gt(LoadTail(d, x + i, n - i), zero);
    StoreTail(hn::IfThenElseZero(active, LoadTail(d, dout + i, n - i)), d, dx + i, n - i);
  }
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_RELU_INL_H_
