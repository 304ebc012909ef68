// matmul, per target: GotoBLAS/BLIS cache blocking around the micro-kernel.
//
// The five loops of GotoBLAS (BLIS numbers them 5..1 from the outside), in
// the order they run here, outermost first, with the job of each:
//   loop 4, pc, KC: k blocks [k0, k0 + kc), in ascending order, one after the
//                   other, so every element of C sums its k blocks in the same
//                   order whatever the thread count:
//                     C[i,j] = ((c0 + Σ_{k ∈ block 0} a_ik·b_kj) + Σ_{k ∈ block 1} …) + …
//                   c0 = C[i,j] (accumulate) or 0; bias and ReLU come with the
//                   store of the last block. Each block of op(A) and op(B) is
//                   packed into panels right before it is used (or, with
//                   several threads, while the previous block is computed).
//   loop 5, jc, NC } the tiles of C, MC rows × NC columns, one parallel task
//   loop 3, ic, MC }   each (no two tasks write the same element of C); a
//                      tile's A block MC×KC and B block KC×NC sit in L2.
//   loop 2, ir, MR: the A panels of the tile, C rows [ir, ir + MR); one MR×KC
//                   A panel stays in L1 while loop 1 runs.
//   loop 1, jr, NR: the B panels of the tile, C columns [jr, jr + NR); KC×NR
//                   B panels stream from L2. (BLIS runs jr outside ir; here
//                   the broadcast operand, A, is the one kept in L1.)
//   micro-kernel, k: C[ir.., jr..] (+)= Σ_k A panel[k] ⊗ B panel[k], the
//                    MR×NR tile in registers (matmul_microkernel-inl.h).
#if defined(SIMDNET_KERNELS_MATMUL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_MATMUL_INL_H_
#undef SIMDNET_KERNELS_MATMUL_INL_H_
#else
#define SIMDNET_KERNELS_MATMUL_INL_H_
#endif

#include <algorithm>
#include <cstddef>

#include "hwy/highway.h"
#include "kernels/matmul_internal.h"
#include "kernels/matmul_microkernel-inl.h"
#include "kernels/matmul_pack-inl.h"
#include "kernels/matmul_prefetch-inl.h"
#include "simdnet/kernels/parallel.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {

// Cache blocking, in floats. With AVX-512 (MR = 8, NR = 48):
//   KC: the A panel MR×KC = 8 KB sits in L1 (48 KB) beside the streamed B panel;
//   MC: the tile's A block MC×KC = 128 KB and
//   NC: its B block KC×NC = 384 KB both sit in L2 (2 MB per core).
inline constexpr size_t kMatmulKc = 256;
inline constexpr size_t kMatmulMc = 16 * kMatmulMr;
inline constexpr size_t kMatmulNc = 8 * kMatmulNr;
// The tile grid is refined until it has this many tiles (room for load balance
// on a few threads), unless a tile would then do less than kMatmulMinTileFlops
// per k block (about 10 µs on one core: well above TBB's cost per task).
inline constexpr size_t kMatmulMinTiles = 8;
inline constexpr double kMatmulMinTileFlops = 2e6;
// Floats packed per packing task.
inline constexpr size_t kMatmulPackTaskFloats = 32 * 1024;

// The blocking of one problem. It depends on (m, n, k) and the target only,
// never on the thread count: that is what makes the result bit-identical.
struct MatmulBlocking {
  size_t kc = 0, k_blocks = 1;    // k block b covers [b·kc, min(k, (b+1)·kc))
  size_t m_panels, n_panels;      // ⌈m/MR⌉ A panels, ⌈n/NR⌉ B panels
  size_t tile_m, tile_n;          // panels per tile: a tile is tile_m·MR × tile_n·NR of C
  size_t row_tiles, col_tiles;

  size_t block_k0(size_t blk) const { return blk * kc; }
  size_t block_kc(size_t blk, size_t k) const { return std::min(kc, k - blk * kc); }
};

inline size_t CeilDiv(size_t a, size_t b) { return (a + b - 1) / b; }

inline MatmulBlocking PlanMatmul(size_t m, size_t n, size_t k) {
  constexpr size_t MR = kMatmulMr, NR = kMatmulNr;
  MatmulBlocking p;
  if (k > 0) {
    // Equal k blocks of at most KC, rounded up to 16 so that transposes see
    // whole 16×16 squares: ⌈k / ⌈k/KC⌉⌉ → multiple of 16.
    const size_t blocks = CeilDiv(k, kMatmulKc);
    p.kc = std::min(k, CeilDiv(CeilDiv(k, blocks), 16) * 16);
    p.k_blocks = CeilDiv(k, p.kc);
  }
  p.m_panels = CeilDiv(m, MR);
  p.n_panels = CeilDiv(n, NR);
  p.tile_m = std::min(p.m_panels, kMatmulMc / MR);
  p.tile_n = std::min(p.n_panels, kMatmulNc / NR);
  auto tiles = [&] { return CeilDiv(p.m_panels, p.tile_m) * CeilDiv(p.n_panels, p.tile_n); };
  while (tiles() < kMatmulMinTiles) {
    const double tile_flops = 2.0 * double(p.tile_m * MR) * double(p.tile_n * NR) * double(p.kc);
    if (tile_flops < 2 * kMatmulMinTileFlops) break;
    // Halve the longer side of the tile (in floats of C).
    if (p.tile_m > 1 && (p.tile_m * MR >= p.tile_n * NR || p.tile_n == 1)) {
      p.tile_m = CeilDiv(p.tile_m, 2);
    } else if (p.tile_n > 1) {
      p.tile_n = CeilDiv(p.tile_n, 2);
    } else {
      break;
    }
  }
  p.row_tiles = CeilDiv(p.m_panels, p.tile_m);
  p.col_tiles = CeilDiv(p.n_panels, p.tile_n);
  return p;
}

// Packs op(A)'s panels [p0, p1) of k block `blk` (MR rows × kc each) to dst
// (panel p0 first, kc·MR floats apart).
inline void PackAPanels(const detail::MatmulProblem& pr, const MatmulBlocking& bl, size_t blk,
                        size_t p0, size_t p1, float* dst) {
  constexpr size_t MR = kMatmulMr;
  const size_t k0 = bl.block_k0(blk), kc = bl.block_kc(blk, pr.k);
  if (pr.form == MatmulForm::kTN) {  // op(A)[i,k] = A[k,i]: contiguous in i
    PackPanelsCopy<MR>(pr.a + k0 * pr.lda + p0 * MR, pr.lda, pr.m - p0 * MR, kc, p1 - p0, dst);
    return;
  }
  for (size_t p = p0; p < p1; ++p, dst += kc * MR) {  // op(A)[i,k] = A[i,k]: contiguous in k
    const size_t i0 = p * MR;
    PackPanelTranspose<MR>(pr.a + i0 * pr.lda + k0, pr.lda, std::min(MR, pr.m - i0), kc, dst);
  }
}

// Packs op(B)'s panels [q0, q1) of k block `blk` (kc × NR columns each) to
// dst (panel q0 first, kc·NR floats apart).
inline void PackBPanels(const detail::MatmulProblem& pr, const MatmulBlocking& bl, size_t blk,
                        size_t q0, size_t q1, float* dst) {
  constexpr size_t NR = kMatmulNr;
  const size_t k0 = bl.block_k0(blk), kc = bl.block_kc(blk, pr.k);
  if (pr.form != MatmulForm::kNT) {  // op(B)[k,j] = B[k,j]: contiguous in j
    PackPanelsCopy<NR>(pr.b + k0 * pr.ldb + q0 * NR, pr.ldb, pr.n - q0 * NR, kc, q1 - q0, dst);
    return;
  }
  for (size_t q = q0; q < q1; ++q, dst += kc * NR) {  // op(B)[k,j] = B[j,k]: contiguous in k
    const size_t j0 = q * NR;
    PackPanelTranspose<NR>(pr.b + j0 * pr.ldb + k0, pr.ldb, std::min(NR, pr.n - j0), kc, dst);
  }
}

// The rows of the sources that packing k block `blk` reads (as prefetch
// regions: A's, then B's), or none past the last block.
inline void PackSources(const detail::MatmulProblem& pr, const MatmulBlocking& bl, size_t blk,
                        PrefetchRegion (&regions)[2]) {
  regions[0] = regions[1] = PrefetchRegion();
  if (blk >= bl.k_blocks || bl.kc == 0) return;
  const size_t k0 = bl.block_k0(blk), kc = bl.block_kc(blk, pr.k);
  regions[0] = pr.form == MatmulForm::kTN ? PrefetchRegion(pr.a + k0 * pr.lda, kc, pr.lda, pr.m)
                                          : PrefetchRegion(pr.a + k0, pr.m, pr.lda, kc);
  regions[1] = pr.form == MatmulForm::kNT ? PrefetchRegion(pr.b + k0, pr.n, pr.ldb, kc)
                                          : PrefetchRegion(pr.b + k0 * pr.ldb, kc, pr.ldb, pr.n);
}

// C = relu?( op(A)·op(B) + bias + (accumulate ? C : 0) ) for m, n >= 1.
inline void MatmulBlocked(const detail::MatmulProblem& pr, detail::MatmulWorkspace& workspace) {
  constexpr size_t MR = kMatmulMr, NR = kMatmulNr;
  const MatmulBlocking bl = PlanMatmul(pr.m, pr.n, pr.k);

  // Packed layout of one k block (kc_b = its kc): A panel p at p·kc_b·MR,
  // then B panel q at (m_panels·MR + q·NR)·kc_b, each kc_b×R floats. With
  // several threads there are two such buffers, and block b+1 is packed while
  // block b is computed; one thread packs each block right before computing
  // it, into one buffer that stays in L2. Packing is an exact copy, so this
  // choice does not change a single bit of C.
  const bool pipelined = thread_count() > 1;
  const size_t a_floats = bl.m_panels * MR, b_floats = bl.n_panels * NR;
  const size_t buffer_floats = (a_floats + b_floats) * bl.kc;
  float* const packed = workspace.reserve(std::max<size_t>(1, (pipelined ? 2 : 1) * buffer_floats));
  auto buffer = [&](size_t blk) { return packed + (pipelined ? blk % 2 : 0) * buffer_floats; };

  // Packing tasks of one block: groups of A panels, then groups of B panels.
  const size_t kc_or_1 = std::max<size_t>(1, bl.kc);
  const size_t a_group = std::max<size_t>(1, kMatmulPackTaskFloats / (kc_or_1 * MR));
  const size_t b_group = std::max<size_t>(1, kMatmulPackTaskFloats / (kc_or_1 * NR));
  const size_t a_tasks = CeilDiv(bl.m_panels, a_group), b_tasks = CeilDiv(bl.n_panels, b_group);
  const size_t pack_tasks = bl.kc > 0 ? a_tasks + b_tasks : 0;
  auto pack = [&](size_t blk, size_t t) {
    const size_t kc = bl.block_kc(blk, pr.k);
    float* const dst = buffer(blk);
    if (t < a_tasks) {
      const size_t p0 = t * a_group, p1 = std::min(bl.m_panels, p0 + a_group);
      PackAPanels(pr, bl, blk, p0, p1, dst + p0 * kc * MR);
    } else {
      const size_t q0 = (t - a_tasks) * b_group, q1 = std::min(bl.n_panels, q0 + b_group);
      PackBPanels(pr, bl, blk, q0, q1, dst + (a_floats + q0 * NR) * kc);
    }
  };

  // Loops 5 and 3 (jc, ic): one task per tile of C, for k block `blk`.
  // Micro-kernel call number g (row-major over all tiles' panel pairs)
  // prefetches lines [g·per_call, (g+1)·per_call) of the next block's sources.
  const size_t tiles = bl.row_tiles * bl.col_tiles;
  auto compute_tile = [&](size_t blk, size_t tile, const PrefetchRegion (&next)[2],
                          size_t per_call) {
    const bool first = blk == 0, last = blk + 1 == bl.k_blocks;
    const size_t kc = bl.block_kc(blk, pr.k);
    const float* const packed_a = buffer(blk);
    const float* const packed_b = packed_a + a_floats * kc;
    const size_t ti = tile / bl.col_tiles, tj = tile % bl.col_tiles;
    const size_t p_begin = ti * bl.tile_m, p_end = std::min(bl.m_panels, p_begin + bl.tile_m);
    const size_t q_begin = tj * bl.tile_n, q_end = std::min(bl.n_panels, q_begin + bl.tile_n);
    const size_t calls_before = p_begin * bl.n_panels + (p_end - p_begin) * q_begin;
    PrefetchCursor prefetch(next, calls_before * per_call,
                            (p_end - p_begin) * (q_end - q_begin) * per_call);
    // Loop 2 (ir): rows i0 = p·MR of the tile; the A panel stays in L1.
    for (size_t p = p_begin; p < p_end; ++p) {
      const size_t i0 = p * MR;
      const float* a = packed_a + p * kc * MR;
      // Loop 1 (jr): columns j0 = q·NR of the tile; B panels stream from L2.
      for (size_t q = q_begin; q < q_end; ++q) {
        const size_t j0 = q * NR;
        const TileStore out{pr.c + i0 * pr.ldc + j0,
                            pr.ldc,
                            std::min(MR, pr.m - i0),
                            std::min(NR, pr.n - j0),
                            !first || pr.accumulate,
                            last && pr.bias ? pr.bias + j0 : nullptr,
                            last && pr.relu,
                            last && pr.mask ? pr.mask + i0 * pr.ldm + j0 : nullptr,
                            pr.ldm};
        MicroKernelForTile(a, packed_b + q * kc * NR, kc, out, prefetch, per_call);
      }
    }
  };

  // Loop 4 (pc): k blocks in ascending order; the first one starts from C
  // (accumulate) or from zero, the last one applies bias and ReLU.
  if (!pipelined) {
    for (size_t blk = 0; blk < bl.k_blocks; ++blk) {
      PrefetchRegion next[2];
      PackSources(pr, bl, blk + 1, next);
      const size_t per_call = CeilDiv(next[0].lines() + next[1].lines(), bl.m_panels * bl.n_panels);
      for (size_t t = 0; t < pack_tasks; ++t) pack(blk, t);
      for (size_t t = 0; t < tiles; ++t) compute_tile(blk, t, next, per_call);
    }
    return;
  }
  // Tasks [0, tiles) compute block blk, the rest pack block blk + 1.
  parallel_for(pack_tasks, [&](size_t t) { pack(0, t); });
  for (size_t blk = 0; blk < bl.k_blocks; ++blk) {
    const PrefetchRegion none[2];
    const size_t packs = blk + 1 < bl.k_blocks ? pack_tasks : 0;
    parallel_for(tiles + packs, [&](size_t t) {
      if (t < tiles) {
        compute_tile(blk, t, none, 0);
      } else {
        pack(blk + 1, t - tiles);
      }
    });
  }
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_MATMUL_INL_H_
