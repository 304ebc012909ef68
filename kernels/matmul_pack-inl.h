// Packing for matmul: copies panels of op(A) or op(B) into the contiguous,
// zero-padded layout the micro-kernel reads (matmul_microkernel-inl.h).
//
// A panel is R consecutive "output" indices x (R = MR rows of op(A), or NR
// columns of op(B)) over kc consecutive k, stored k-major:
//
//   panel[k·R + r] = op(S)[x0 + r, k0 + k]   for r < h,
//   panel[k·R + r] = 0                       for h ≤ r < R  (the edge: h < R)
//
// so that for every k the micro-kernel finds its R values side by side. The
// source is one of two layouts, and packing is where the transposes go:
//   along x contiguous, src[k·ld + r]  (op(A) of TN; op(B) of NN and TN): a copy
//   along k contiguous, src[r·ld + k]  (op(A) of NN and NT; op(B) of NT): a
//       transpose, done W×W at a time in registers.
#if defined(SIMDNET_KERNELS_MATMUL_PACK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_MATMUL_PACK_INL_H_
#undef SIMDNET_KERNELS_MATMUL_PACK_INL_H_
#else
#define SIMDNET_KERNELS_MATMUL_PACK_INL_H_
#endif

#include <algorithm>
#include <cstddef>

#include "hwy/highway.h"
#include "kernels/tail-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The widest power-of-two vector (in floats) that divides a panel of R: the
// copy and the transpose move whole vectors of that many floats.
template <size_t R>
constexpr size_t PanelLanes() {
  size_t w = hn::MaxLanes(hn::ScalableTag<float>());
  while (R % w != 0) w /= 2;
  return w;
}

#if HWY_TARGET != HWY_SCALAR  // (one lane: nothing to transpose, and no ConcatEven)
// Transposes the W×W block v[row][lane] in registers: afterwards v[c][r] holds
// what v[r][c] held. log2(W) rounds of "even lanes of a row pair, then odd
// lanes": each round moves the lowest bit of the lane index to the top of the
// row index and the lowest bit of the row index to the top of the lane index,
// so after log2(W) rounds row and lane have traded places.
template <class D, size_t W>
HWY_INLINE void TransposeSquare(D d, hn::Vec<D> (&v)[W]) {
  static_assert(W == hn::MaxLanes(D()), "one vector per row");
  for (size_t round = 1; round < W; round *= 2) {
    hn::Vec<D> t[W];
    HWY_UNROLL(16)
    for (size_t i = 0; i < W / 2; ++i) {
      t[i] = hn::ConcatEven(d, v[2 * i + 1], v[2 * i]);
      t[W / 2 + i] = hn::ConcatOdd(d, v[2 * i + 1], v[2 * i]);
    }
    HWY_UNROLL(16)
    for (size_t i = 0; i < W; ++i) v[i] = t[i];
  }
}
#endif

// Source contiguous along x: `panels` consecutive panels at once,
//   panel_p[k·R + r] = src[k·ld + p·R + r]   (p·R + r < h), else 0,
// with panel p at dst + p·kc·R. A few rows of the source at a time, all
// panels: each row is read along its length, once (what the hardware
// prefetcher follows), and each panel is written in runs of kRows·R floats
// (not one row of R floats per panel, kc·R floats apart: a stride that is
// often a multiple of 4 KB, and so keeps hitting the same L1 set).
template <size_t R>
HWY_INLINE void PackPanelsCopy(const float* HWY_RESTRICT src, size_t ld, size_t h, size_t kc,
                               size_t panels, float* HWY_RESTRICT dst) {
  constexpr size_t W = PanelLanes<R>();
  constexpr size_t kRows = 8;  // kRows rows of the group stay in L1 across its panels
  const hn::CappedTag<float, W> d;
  for (size_t k0 = 0; k0 < kc; k0 += kRows) {
    const size_t k1 = std::min(kc, k0 + kRows);
    for (size_t p = 0; p < panels; ++p) {
      const size_t x = p * R;
      float* out = dst + p * kc * R + k0 * R;
      const float* in = src + k0 * ld + x;
      for (size_t k = k0; k < k1; ++k, in += ld, out += R) {
        if (x + R <= h) {  // a whole panel row: no edge
          HWY_UNROLL(8)
          for (size_t r = 0; r < R; r += W) hn::StoreU(hn::LoadU(d, in + r), d, out + r);
          continue;
        }
        for (size_t r = 0; r < R; r += W) {
          const size_t col = x + r;
          const auto v = col + W <= h ? hn::LoadU(d, in + r)
                         : col < h    ? LoadTail(d, in + r, h - col)
                                      : hn::Zero(d);
          hn::StoreU(v, d, out + r);
        }
      }
    }
  }
}

// Source contiguous along k: panel[k·R + r] = src[r·ld + k] (r < h), else 0.
// Whole W×W blocks go through TransposeSquare; the last kc mod W columns (and
// narrow targets, W < 4, where a transpose buys nothing) are copied one float
// at a time.
template <size_t R>
HWY_INLINE void PackPanelTranspose(const float* HWY_RESTRICT src, size_t ld, size_t h,
                                   size_t kc, float* HWY_RESTRICT panel) {
  [[maybe_unused]] constexpr size_t W = PanelLanes<R>();
  size_t k = 0;
#if HWY_TARGET != HWY_SCALAR
  if constexpr (W >= 4) {
    const hn::CappedTag<float, W> d;
    for (; k + W <= kc; k += W) {
      for (size_t r0 = 0; r0 < R; r0 += W) {
        hn::Vec<decltype(d)> v[W];
        HWY_UNROLL(16)
        for (size_t t = 0; t < W; ++t) {
          v[t] = r0 + t < h ? hn::LoadU(d, src + (r0 + t) * ld + k) : hn::Zero(d);
        }
        TransposeSquare(d, v);
        HWY_UNROLL(16)
        for (size_t t = 0; t < W; ++t) hn::StoreU(v[t], d, panel + (k + t) * R + r0);
      }
    }
  }
#endif
  for (; k < kc; ++k) {
    for (size_t r = 0; r < R; ++r) panel[k * R + r] = r < h ? src[r * ld + k] : 0.0f;
  }
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_MATMUL_PACK_INL_H_
