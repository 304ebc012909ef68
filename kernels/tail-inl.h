// Loads and stores of the last, partial vector of a row (n < Lanes elements).
//
// Why not MaskedLoad/BlendedStore everywhere: in Highway 1.0.3 the 128/256-bit
// x86 targets implement MaskedLoad as an *aligned* full-vector load plus a
// select, and BlendedStore as load-select-store of the whole vector. Both touch
// memory past the row's end: a fault at the end of an allocation, and a data
// race with the thread that owns the next row. AVX-512 has true masked
// loads/stores (no fault, no write outside the mask), so AVX3 uses them; the
// other targets go through a small aligned stack buffer.
#if defined(SIMDNET_KERNELS_TAIL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_TAIL_INL_H_
#undef SIMDNET_KERNELS_TAIL_INL_H_
#else
#define SIMDNET_KERNELS_TAIL_INL_H_
#endif

#include <cstddef>
#include <cstring>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET <= HWY_AVX3 && HWY_ARCH_X86
inline constexpr bool kHasTrueMaskedMemory = true;
#else
inline constexpr bool kHasTrueMaskedMemory = false;
#endif

// The first n (< Lanes) elements of p; the other lanes are zero.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> LoadTail(D d, const T* HWY_RESTRICT p, size_t n) {
  if constexpr (kHasTrueMaskedMemory) {
    return hn::MaskedLoad(hn::FirstN(d, n), d, p);
  } else {
    HWY_ALIGN T buf[hn::MaxLanes(d)] = {};
    std::memcpy(buf, p, n * sizeof(T));
    return hn::Load(d, buf);
  }
}

// Writes the first n (< Lanes) lanes of v to p and nothing else.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void StoreTail(hn::Vec<D> v, D d, T* HWY_RESTRICT p, size_t n) {
  if constexpr (kHasTrueMaskedMemory) {
    hn::BlendedStore(v, hn::FirstN(d, n), d, p);
  } else {
    HWY_ALIGN T buf[hn::MaxLanes(d)];
    hn::Store(v, d, buf);
    std::memcpy(p, buf, n * sizeof(T));
  }
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_TAIL_INL_H_
