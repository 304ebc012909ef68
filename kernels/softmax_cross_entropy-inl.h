// Softmax SIMD bodies, one copy per Highway target (toggle guard below). Row
// functions only: blocking, threads and the loss reduction are
// softmax_cross_entropy.cc's job.
//
// Each row is read three times while it sits in L1: once for its max, once to
// write e = exp(s - max) (into the output, which may be the input) and sum it,
// once to scale e in place; a row shorter than one vector stays in a register
// throughout. exp comes from hwy/contrib/math (1 ulp).
#if defined(SIMDNET_KERNELS_SOFTMAX_CROSS_ENTROPY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_SOFTMAX_CROSS_ENTROPY_INL_H_
#undef SIMDNET_KERNELS_SOFTMAX_CROSS_ENTROPY_INL_H_
#else
#define SIMDNET_KERNELS_SOFTMAX_CROSS_ENTROPY_INL_H_
#endif

#include <cstddef>
#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "kernels/tail-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// m = max_{j < n} s[j], n >= 1. Four accumulators hide the latency of Max.
HWY_INLINE float RowMax(const float* s, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto lowest = hn::Set(d, -std::numeric_limits<float>::infinity());
  auto m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
  size_t j = 0;
  for (; j + 4 * N <= n; j += 4 * N) {
    m0 = hn::Max(m0, hn::LoadU(d, s + j));
    m1 = hn::Max(m1, hn::LoadU(d, s + j + N));
    m2 = hn::Max(m2, hn::LoadU(d, s + j + 2 * N));
    m3 = hn::Max(m3, hn::LoadU(d, s + j + 3 * N));
  }
  for (; j + N <= n; j += N) m0 = hn::Max(m0, hn::LoadU(d, s + j));
  if (j < n) {  // lanes past the row hold -inf, the identity of max
    m1 = hn::Max(m1, hn::IfThenElse(hn::FirstN(d, n - j), LoadTail(d, s + j, n - j), lowest));
  }
  return hn::GetLane(hn::MaxOfLanes(d, hn::Max(hn::Max(m0, m1), hn::Max(m2, m3))));
}

// e[j] = exp(s[j] - m) for j < n; returns Z = sum_j e[j]. e may alias s.
// With m the row max every exponent is <= 0, so nothing overflows and Z >= 1.
HWY_INLINE float ExpShiftedRow(const float* s, float m, float* e, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vm = hn::Set(d, m);
  auto z0 = hn::Zero(d), z1 = hn::Zero(d);
  size_t j = 0;
  for (; j + 2 * N <= n; j += 2 * N) {
    const auto e0 = hn::Exp(d, hn::Sub(hn::LoadU(d, s + j), vm));
    const auto e1 = hn::Exp(d, hn::Sub(hn::LoadU(d, s + j + N), vm));
    hn::StoreU(e0, d, e + j);
    hn::StoreU(e1, d, e + j + N);
    z0 = hn::Add(z0, e0);
    z1 = hn::Add(z1, e1);
  }
  for (; j + N <= n; j += N) {
    const auto e0 = hn::Exp(d, hn::Sub(hn::LoadU(d, s + j), vm));
    hn::StoreU(e0, d, e + j);
    z0 = hn::Add(z0, e0);
  }
  if (j < n) {  // lanes past the row must not count (their exponent is 0 - m, any size)
    const auto e0 = hn::IfThenElseZero(hn::FirstN(d, n - j),
                                       hn::Exp(d, hn::Sub(LoadTail(d, s + j, n - j), vm)));
    StoreTail(e0, d, e + j, n - j);
    z1 = hn::Add(z1, e0);
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(z0, z1)));
}

// e[j] *= scale for j < n.
HWY_INLINE void ScaleRow(float* e, float scale, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vs = hn::Set(d, scale);
  size_t j = 0;
  for (; j + N <= n; j += N) hn::StoreU(hn::Mul(hn::LoadU(d, e + j), vs), d, e + j);
  if (j < n) StoreTail(hn::Mul(LoadTail(d, e + j, n - j), vs), d, e + j, n - j);
}

struct ShiftAndNormalizer {
  float max;  // m = max_j s[j]
  float z;    // Z = sum_j exp(s[j] - m)
};
inline constexpr size_t kNoLabel = ~size_t{0};

// out[j] = scale * (p[j] - [j == label]) with p[j] = exp(s[j] - m) / Z, the
// softmax (label = kNoLabel: no one-hot term). Returns m and Z. out may alias
// s. n >= 1.
HWY_INLINE ShiftAndNormalizer ScaledSoftmaxRow(const float* s, float* out, size_t n, float scale,
                                               size_t label) {
  const hn::ScalableTag<float> d;
  if (n < hn::Lanes(d)) {
    // The whole row in one partial vector (the nets' 10 classes on AVX-512): the same
    // operations as below, so the same bits, without loops, and the one-hot
    // term applied in the register rather than through memory.
    const hn::RebindToSigned<decltype(d)> di;
    const auto in_row = hn::FirstN(d, n);
    const auto v = LoadTail(d, s, n);
    const auto vm = hn::MaxOfLanes(
        d, hn::IfThenElse(in_row, v, hn::Set(d, -std::numeric_limits<float>::infinity())));
    const auto e = hn::IfThenElseZero(in_row, hn::Exp(d, hn::Sub(v, vm)));
    const float z = hn::GetLane(hn::SumOfLanes(d, e));
    const auto vscale = hn::Set(d, scale);
    const auto p = hn::Mul(e, hn::Set(d, scale / z));
    const auto is_label = hn::RebindMask(d, hn::Eq(hn::Iota(di, 0), hn::Set(di, int32_t(label))));
    StoreTail(hn::IfThenElse(is_label, hn::Sub(p, vscale), p), d, out, n);
    return {hn::GetLane(vm), z};
  }
  const float m = RowMax(s, n);
  const float z = ExpShiftedRow(s, m, out, n);
  ScaleRow(out, scale / z, n);
  if (label != kNoLabel) out[label] -= scale;
  return {m, z};
}

// The first j < n with s[j] == m (m is the row max, so one exists unless NaN).
HWY_INLINE size_t FirstIndexOf(const float* s, float m, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vm = hn::Set(d, m);
  size_t j = 0;
  for (; j + N <= n; j += N) {
    const intptr_t lane = hn::FindFirstTrue(d, hn::Eq(hn::LoadU(d, s + j), vm));
    if (lane >= 0) return j + static_cast<size_t>(lane);
  }
  if (j < n) {
    const auto hit = hn::And(hn::FirstN(d, n - j), hn::Eq(LoadTail(d, s + j, n - j), vm));
    const intptr_t lane = hn::FindFirstTrue(d, hit);
    if (lane >= 0) return j + static_cast<size_t>(lane);
  }
  return 0;
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_SOFTMAX_CROSS_ENTROPY_INL_H_
