// Bias SIMD bodies, one copy per Highway target (toggle guard below). Row
// functions only: blocking, threads and the order of the reduction are
// bias.cc's job. The matmul epilogue may include this to fuse the bias add.
#if defined(SIMDNET_KERNELS_BIAS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_BIAS_INL_H_
#undef SIMDNET_KERNELS_BIAS_INL_H_
#else
#define SIMDNET_KERNELS_BIAS_INL_H_
#endif

#include <cstddef>

#include "hwy/highway.h"
#include "kernels/tail-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// y[j] = x[j] + b[j] for j < n. y may alias x.
HWY_INLINE void BiasForwardRow(const float* x, const float* HWY_RESTRICT b, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t j = 0;
  for (; j + N <= n; j += N)
    hn::StoreU(hn::Add(hn::LoadU(d, x + j), hn::LoadU(d, b + j)), d, y + j);
  if (j < n)
    StoreTail(hn::Add(LoadTail(d, x + j, n - j), LoadTail(d, b + j, n - j)), d, y + j, n - j);
}

// acc[j] += (r0[j] + r1[j]) + (r2[j] + r3[j]) for j < n: four rows per pass
// over the accumulator, which lives in L1 while the rows stream from memory.
HWY_INLINE void AccumulateFourRows(float* HWY_RESTRICT acc, const float* r0, const float* r1,
                                   const float* r2, const float* r3, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t j = 0;
  for (; j + N <= n; j += N) {
    const auto pair01 = hn::Add(hn::LoadU(d, r0 + j), hn::LoadU(d, r1 + j));
    const auto pair23 = hn::Add(hn::LoadU(d, r2 + j), hn::LoadU(d, r3 + j));
    hn::StoreU(hn::Add(hn::LoadU(d, acc + j), hn::Add(pair01, pair23)), d, acc + j);
  }
  if (j < n) {
    const size_t t = n - j;
    const auto pair01 = hn::Add(LoadTail(d, r0 + j, t), LoadTail(d, r1 + j, t));
    const auto pair23 = hn::Add(LoadTail(d, r2 + j, t), LoadTail(d, r3 + j, t));
    StoreTail(hn::Add(LoadTail(d, acc + j, t), hn::Add(pair01, pair23)), d, acc + j, t);
  }
}

// acc[j] += r[j] for j < n.
HWY_INLINE void AccumulateRow(float* HWY_RESTRICT acc, const float* r, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t j = 0;
  for (; j + N <= n; j += N)
    hn::StoreU(hn::Add(hn::LoadU(d, acc + j), hn::LoadU(d, r + j)), d, acc + j);
  if (j < n)
    StoreTail(hn::Add(LoadTail(d, acc + j, n - j), LoadTail(d, r + j, n - j)), d, acc + j, n - j);
}

// sums[j] = sum_{r < rows} m[r][j] for j < cols, m with row stride `stride`.
// The order is fixed by the shape alone: rows in groups of four, each group
// added pairwise and then into the running sum, leftover rows one by one.
HWY_INLINE void ColumnSums(const float* m, size_t stride, size_t rows, size_t cols,
                           float* HWY_RESTRICT sums) {
  for (size_t j = 0; j < cols; ++j) sums[j] = 0.0f;
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* r0 = m + r * stride;
    AccumulateFourRows(sums, r0, r0 + stride, r0 + 2 * stride, r0 + 3 * stride, cols);
  }
  for (; r < rows; ++r) AccumulateRow(sums, m + r * stride, cols);
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_BIAS_INL_H_
