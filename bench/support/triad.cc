#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/support/triad.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::bench::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// a[i] = b[i] + s * c[i]; n is a multiple of the block size or handled by the tail.
void TriadBlock(float* HWY_RESTRICT a, const float* HWY_RESTRICT b, const float* HWY_RESTRICT c,
                float s, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vs = hn::Set(d, s);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::Store(hn::MulAdd(vs, hn::Load(d, c + i), hn::Load(d, b + i)), d, a + i);
  for (; i < n; ++i) a[i] = b[i] + s * c[i];
}

}  // namespace simdnet::bench::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>

#include "simdnet/kernels/parallel.h"
#include "support/triad.h"

namespace simdnet::bench {
HWY_EXPORT(TriadBlock);

void triad(float* a, const float* b, const float* c, float s, size_t n) {
  constexpr size_t kBlock = 16384;  // same block size as the row-wise kernels
  kernels::parallel_for(kernels::block_count(n, kBlock), [&](size_t blk) {
    const size_t i = blk * kBlock;
    HWY_DYNAMIC_DISPATCH(TriadBlock)(a + i, b + i, c + i, s, std::min(kBlock, n - i));
  });
}
}  // namespace simdnet::bench
#endif
