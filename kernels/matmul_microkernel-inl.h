// The matmul micro-kernel: one MR×NR tile of C from one packed A panel
// (MR rows of op(A) over kc) and one B panel (NR columns of op(B) over kc,
// packed, or read in place with row stride s), held in MR·NV vector
// registers for the whole k loop:
//
//   acc[i][v] = Σ_k  a[k·MR + i] · b[k·s + v·L .. + L)      (L lanes, NR = NV·L; s = NR packed)
//
// then stored once, with the epilogue of the last k block fused into the store.
// Packed panels are zero-padded (matmul_pack-inl.h) and in-place panels are
// whole, so the k loop never looks at the edges of C; only the store does.
#if defined(SIMDNET_KERNELS_MATMUL_MICROKERNEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_MATMUL_MICROKERNEL_INL_H_
#undef SIMDNET_KERNELS_MATMUL_MICROKERNEL_INL_H_
#else
#define SIMDNET_KERNELS_MATMUL_MICROKERNEL_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "kernels/matmul_prefetch-inl.h"
#include "kernels/tail-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Register blocking, per target. Per k the kernel keeps MR·NV accumulators,
// loads NV vectors of B and broadcasts MR floats of A, one at a time:
//   MR·NV + NV + 1 <= vector registers.
// It needs MR·NV >= FMA latency × FMA ports (4 × 2 = 8 on current x86) to keep
// the FMA units busy, and the larger MR·NV/(MR + NV), the fewer loads per FMA.
#if HWY_TARGET == HWY_SCALAR
inline constexpr size_t kMatmulMr = 4, kMatmulNv = 4;  // 1 lane: a 4×4 tile of scalars
#elif HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline constexpr size_t kMatmulMr = 8, kMatmulNv = 3;  // 24 + 3 + 1 = 28 of 32 zmm
#else
inline constexpr size_t kMatmulMr = 6, kMatmulNv = 2;  // 12 + 2 + 1 = 15 of 16 registers
#endif
inline constexpr size_t kMatmulLanes = hn::MaxLanes(hn::ScalableTag<float>());
inline constexpr size_t kMatmulNr = kMatmulNv * kMatmulLanes;

// Where and how the tile is stored. rows <= MR and cols <= NR are the part of
// the tile inside C (less than the full tile only at the bottom/right edge).
struct TileStore {
  float* c;           // C[i0, j0]
  size_t ldc;         // row stride of C
  size_t rows, cols;  // valid part of the tile
  bool load_c;        // C += tile (a later k block, or accumulate), else C = tile
  const float* bias;  // bias[j0..]: last k block only, else null
  bool relu;          // last k block only
  const float* mask;  // y[i0, j0] (ReLU-backward mask): last k block only, else null
  size_t ldm;         // row stride of the mask
};

// One vector of the store: c = mask?( relu?( (load_c ? c : 0) + acc + bias ) ),
// mask: c = y > 0 ? c : 0 (y: the mask row `m` at this vector, or null).
// n < L only in the last vector of an edge tile.
template <class D>
HWY_INLINE void StoreVector(D d, hn::Vec<D> x, const TileStore& out, float* c, const float* m,
                            size_t col, size_t n) {
  const size_t L = hn::MaxLanes(d);
  if (n == L) {
    if (out.load_c) x = hn::Add(hn::LoadU(d, c), x);
    if (out.bias) x = hn::Add(x, hn::LoadU(d, out.bias + col));
    if (out.relu) x = hn::Max(x, hn::Zero(d));
    if (m) x = hn::IfThenElseZero(hn::Gt(hn::LoadU(d, m), hn::Zero(d)), x);
    hn::StoreU(x, d, c);
  } else {
    if (out.load_c) x = hn::Add(LoadTail(d, c, n), x);
    if (out.bias) x = hn::Add(x, LoadTail(d, out.bias + col, n));
    if (out.relu) x = hn::Max(x, hn::Zero(d));
    if (m) x = hn::IfThenElseZero(hn::Gt(LoadTail(d, m, n), hn::Zero(d)), x);
    StoreTail(x, d, c, n);
  }
}

// acc[i][v] += a[i] · b[v·L .. + L) for i < MRA, v < NVA: one step of k.
template <class D, class V, size_t MRA, size_t NVA>
HWY_INLINE void MicroKernelStep(D d, V (&acc)[MRA][NVA], const float* HWY_RESTRICT a,
                                const float* HWY_RESTRICT b) {
  constexpr size_t L = hn::MaxLanes(D());
  V bv[NVA];
  HWY_UNROLL(4)
  for (size_t v = 0; v < NVA; ++v) bv[v] = hn::LoadU(d, b + v * L);
  HWY_UNROLL(32)
  for (size_t i = 0; i < MRA; ++i) {
    const V ai = hn::Set(d, a[i]);
    HWY_UNROLL(4)
    for (size_t v = 0; v < NVA; ++v) acc[i][v] = hn::MulAdd(ai, bv[v], acc[i][v]);
  }
}

// A panel of op(B) as the micro-kernel reads it: kc rows of NR floats,
// `stride` floats apart. Packed panels have stride NR; a panel read in place
// from B (NN and TN forms, where op(B)'s rows are B's rows) has stride ldb.
struct BPanel {
  const float* p;
  size_t stride;
};

// How many rows ahead an in-place B panel is prefetched: its rows are ldb
// apart, a stride the hardware prefetchers do not follow. 8 steps of k are
// ~100 cycles at full FMA rate, about one L2 latency plus its queue.
inline constexpr size_t kMatmulBRowsAhead = 8;

// C tile (+)= A panel · B panel over kc, then the epilogue. a: kc×MR floats,
// as packed by matmul_pack-inl.h; b: kc rows of NR floats. Computes the first
// MRA rows and the first NVA vectors of each row of the MR×NV tile: fewer
// only for the last panels of a C whose height or width leaves them narrower
// (packed panels keep their MR and NR strides, and their zero padding).
// Takes up to `budget` lines from `prefetch`, one per step of k.
template <size_t MRA, size_t NVA>
HWY_INLINE void MicroKernel(const float* HWY_RESTRICT a, BPanel bp, size_t kc,
                            const TileStore& out, PrefetchCursor& prefetch, size_t budget) {
  constexpr size_t MR = kMatmulMr, L = kMatmulLanes;
  static_assert(MRA >= 1 && MRA <= MR && NVA >= 1 && NVA <= kMatmulNv);
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;

  // Start loading the C tile now if the store will read it: its rows are ldc
  // apart, which the hardware prefetcher does not follow.
  if (out.load_c) {
    for (size_t i = 0; i < out.rows; ++i) {
      hwy::Prefetch(out.c + i * out.ldc);
      hwy::Prefetch(out.c + i * out.ldc + out.cols - 1);
    }
  }

  V acc[MRA][NVA];
  HWY_UNROLL(32)
  for (size_t i = 0; i < MRA; ++i) {
    HWY_UNROLL(4)
    for (size_t v = 0; v < NVA; ++v) acc[i][v] = hn::Zero(d);
  }

  // The k loop: NVA loads of B, MRA broadcasts of A, MRA·NVA FMAs per step.
  const size_t prefetching = std::min({kc, budget, prefetch.left()});
  // Two copies of the loop, so that the packed case pays no test per step:
  // an in-place panel also fetches row k + ahead's lines of B.
  auto k_loop = [&](auto in_place) {
    const float* HWY_RESTRICT b = bp.p;
    auto fetch_b_ahead = [&] {
      HWY_UNROLL(4)
      for (size_t v = 0; v < NVA; ++v) hwy::Prefetch(b + kMatmulBRowsAhead * bp.stride + v * L);
    };
    size_t k = 0;
    for (; k < prefetching; ++k, a += MR, b += bp.stride) {
      prefetch.Next();
      if constexpr (in_place) fetch_b_ahead();
      MicroKernelStep(d, acc, a, b);
    }
    if constexpr (in_place) {
      for (; k + kMatmulBRowsAhead < kc; ++k, a += MR, b += bp.stride) {
        fetch_b_ahead();
        MicroKernelStep(d, acc, a, b);
      }
    }
    for (; k < kc; ++k, a += MR, b += bp.stride) MicroKernelStep(d, acc, a, b);
  };
  if (bp.stride != kMatmulNr) {
    k_loop(std::true_type());
  } else {
    k_loop(std::false_type());
  }

  // The store, with the edge test the k loop did without (constant i and v,
  // so that acc stays in registers).
  HWY_UNROLL(32)
  for (size_t i = 0; i < MRA; ++i) {
    if (i >= out.rows) break;
    float* c = out.c + i * out.ldc;
    const float* m = out.mask ? out.mask + i * out.ldm : nullptr;
    HWY_UNROLL(4)
    for (size_t v = 0; v < NVA; ++v) {
      if (v * L >= out.cols) break;
      StoreVector(d, acc[i][v], out, c + v * L, m ? m + v * L : nullptr, v * L,
                  std::min(L, out.cols - v * L));
    }
  }
}

// MicroKernel<MRA, NVA> with the fewest vectors NVA that cover out.cols, and
// MRA = MR/2 rows where those cover out.rows.
template <size_t MRA, size_t NVA = kMatmulNv>
HWY_INLINE void MicroKernelForWidth(const float* HWY_RESTRICT a, BPanel b, size_t kc,
                                    const TileStore& out, PrefetchCursor& prefetch,
                                    size_t budget) {
  if constexpr (NVA > 1) {
    if (out.cols <= (NVA - 1) * kMatmulLanes) {
      return MicroKernelForWidth<MRA, NVA - 1>(a, b, kc, out, prefetch, budget);
    }
  }
  MicroKernel<MRA, NVA>(a, b, kc, out, prefetch, budget);
}

HWY_INLINE void MicroKernelForTile(const float* HWY_RESTRICT a, BPanel b, size_t kc,
                                   const TileStore& out, PrefetchCursor& prefetch, size_t budget) {
  constexpr size_t kHalf = kMatmulMr / 2;
  if (kHalf > 0 && out.rows <= kHalf) {
    return MicroKernelForWidth<(kHalf > 0 ? kHalf : 1)>(a, b, kc, out, prefetch, budget);
  }
  MicroKernelForWidth<kMatmulMr>(a, b, kc, out, prefetch, budget);
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_MATMUL_MICROKERNEL_INL_H_
