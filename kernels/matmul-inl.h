// matmul, per target: GotoBLAS/BLIS cache blocking around the micro-kernel,
// and the split of C into strips for threads (MatmulParallel, at the end).
//
// The five loops of GotoBLAS (BLIS numbers them 5..1 from the outside), in
// the order they run here, outermost first, with the job of each:
//   loop 4, pc, KC: k blocks [k0, k0 + kc), in ascending order, one after the
//                   other, so every element of C sums its k blocks in the same
//                   order whatever the thread count:
//                     C[i,j] = ((c0 + Σ_{k ∈ block 0} a_ik·b_kj) + Σ_{k ∈ block 1} …) + …
//                   c0 = C[i,j] (accumulate) or 0; bias and ReLU come with the
//                   store of the last block. Each block of op(A) and op(B) is
//                   packed into panels right before it is used.
//   loop 5, jc, NC } the tiles of C, MC rows × NC columns; a tile's A block
//   loop 3, ic, MC }   MC×KC and B block KC×NC sit in L2.
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
#include "kernels/scratch.h"
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
// op(B)'s whole panels are read in place, not packed, where B is contiguous
// along j (NN, TN) and packing would cost more than it saves. Packing moves
// each float of op(B) once per k block, ~30 FLOPs of time (below); reading in
// place slows the 2·m FLOPs done per float of op(B) by ~1.5% (measured at
// ldb = 512). So in place pays for m up to ~1000 rows of C; not at all when
// ldb is a multiple of 1024 floats (4 KB): then every row of the panel maps
// to the same L1 sets and the panel thrashes them.
inline constexpr size_t kMatmulInPlaceBMaxRows = 768;

// The blocking of one problem. It depends on (m, n, k) and the target only,
// never on the thread count; and each element of C sums its k blocks in the
// same order under any blocking with the same kc, which depends on k alone.
// That is what makes the result bit-identical for any thread count.
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

// The first panel of op(B) that is packed: those before it are whole panels
// read in place (kMatmulInPlaceBMaxRows), or none.
inline size_t FirstPackedBPanel(const detail::MatmulProblem& pr) {
  const bool in_place =
      pr.form != MatmulForm::kNT && pr.m <= kMatmulInPlaceBMaxRows && pr.ldb % 1024 != 0;
  return in_place ? pr.n / kMatmulNr : 0;
}

// The packed panels of one k block: all of op(B)'s (kc × n, used by every
// row of tiles; or only its last, partial panel where the whole ones are read
// in place), then one row of tiles' A panels (tile_m·MR × kc), packed right
// before that row of tiles is computed. Both stay in this core's L2: op(A)'s
// block in full (m × kc) would not, for large m. In floats, a multiple of 16
// (one cache line), so that buffers placed one after another share no line.
inline size_t MatmulPackedFloats(const detail::MatmulProblem& pr) {
  const MatmulBlocking bl = PlanMatmul(pr.m, pr.n, pr.k);
  return CeilDiv(std::max<size_t>(1, (bl.n_panels * kMatmulNr + bl.tile_m * kMatmulMr) * bl.kc),
                 16) * 16;
}

// C = relu?( op(A)·op(B) + bias + (accumulate ? C : 0) ) for m, n >= 1, on
// the calling thread, packing into `packed` (MatmulPackedFloats(pr) floats,
// 64-byte aligned). pack = false skips all packing and computes on what
// `packed` holds from an earlier call of the same problem: only
// bench/matmul_parts_bench does that, to time the micro-kernels alone.
inline void MatmulBlocked(const detail::MatmulProblem& pr, float* packed, bool pack = true) {
  constexpr size_t MR = kMatmulMr, NR = kMatmulNr;
  const MatmulBlocking bl = PlanMatmul(pr.m, pr.n, pr.k);
  const size_t b_packed_from = FirstPackedBPanel(pr);
  float* const packed_b = packed;
  float* const packed_a = packed_b + bl.n_panels * NR * bl.kc;

  // Loop 4 (pc): k blocks in ascending order; the first one starts from C
  // (accumulate) or from zero, the last one applies the epilogue.
  for (size_t blk = 0; blk < bl.k_blocks; ++blk) {
    const bool first = blk == 0, last = blk + 1 == bl.k_blocks;
    const size_t kc = bl.block_kc(blk, pr.k);
    if (pack) PackBPanels(pr, bl, blk, b_packed_from, bl.n_panels, packed_b + b_packed_from * kc * NR);

    // While this block computes, micro-kernel call number g (row-major over
    // all tiles' panel pairs) prefetches lines [g·per_call, (g+1)·per_call)
    // of what packing the next block will read.
    PrefetchRegion next[2];
    PackSources(pr, bl, blk + 1, next);
    const size_t per_call = CeilDiv(next[0].lines() + next[1].lines(), bl.m_panels * bl.n_panels);

    // Loops 3 and 5 (ic, jc): the tiles of C, a row of tiles at a time.
    for (size_t ti = 0; ti < bl.row_tiles; ++ti) {
      const size_t p_begin = ti * bl.tile_m, p_end = std::min(bl.m_panels, p_begin + bl.tile_m);
      if (pack) PackAPanels(pr, bl, blk, p_begin, p_end, packed_a);
      for (size_t tj = 0; tj < bl.col_tiles; ++tj) {
        const size_t q_begin = tj * bl.tile_n, q_end = std::min(bl.n_panels, q_begin + bl.tile_n);
        const size_t calls_before = p_begin * bl.n_panels + (p_end - p_begin) * q_begin;
        PrefetchCursor prefetch(next, calls_before * per_call,
                                (p_end - p_begin) * (q_end - q_begin) * per_call);
        // Loop 2 (ir): rows i0 = p·MR of the tile; the A panel stays in L1.
        for (size_t p = p_begin; p < p_end; ++p) {
          const size_t i0 = p * MR;
          const float* a = packed_a + (p - p_begin) * kc * MR;
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
            const BPanel b = q < b_packed_from
                                 ? BPanel{pr.b + bl.block_k0(blk) * pr.ldb + j0, pr.ldb}
                                 : BPanel{packed_b + q * kc * NR, NR};
            MicroKernelForTile(a, b, kc, out, prefetch, per_call);
          }
        }
      }
    }
  }
}

// Threads: C is cut into a grid of gm × gn strips, one task each, and each
// task runs MatmulBlocked on its strip with its own packing buffer (filled by
// the core that runs it, so in that core's L2): no synchronisation between k
// blocks, at the price of packing op(A) gn times and op(B) gm times in all.
// Strips split rows at whole A panels (MR) and columns at whole vectors. The
// grid minimises the estimated time of one strip, in FLOP-equivalents on one
// core:
//   2·rows·cols·k                        multiply-adds
//   + kPackFlops·(rows·k + k·cols)       packing its A rows and B columns (an
//                                        upper bound where B is read in place)
//   + kTaskFlops                         if there is more than one strip
// over gm·gn <= threads. Which strip an element of C falls in does not change
// how it is summed, so the grid (and the thread count) leaves C's bits alone.
struct MatmulGrid {
  size_t gm = 1, gn = 1;
};

// Packing moves about 6 floats per ns on one core where the FMAs do 170
// FLOP per ns (AVX-512, measured): one packed float costs ~30 FLOPs.
inline constexpr double kMatmulPackFlops = 30;
// A parallel_for's task costs a few µs: ~1 MFLOP of one core.
inline constexpr double kMatmulTaskFlops = 1e6;

inline MatmulGrid PlanMatmulGrid(size_t m, size_t n, size_t k, size_t threads) {
  const size_t L = kMatmulLanes;
  const size_t row_units = CeilDiv(m, kMatmulMr), col_units = CeilDiv(n, L);
  MatmulGrid best;
  double best_cost = 0;
  for (size_t gm = 1; gm <= std::min(threads, row_units); ++gm) {
    for (size_t gn = 1; gm * gn <= threads && gn <= col_units; ++gn) {
      const double rows = double(CeilDiv(row_units, gm) * kMatmulMr);
      const double cols = double(CeilDiv(col_units, gn) * L);
      const double cost = 2 * rows * cols * double(k) +
                          kMatmulPackFlops * (rows + cols) * double(k) +
                          (gm * gn > 1 ? kMatmulTaskFlops : 0);
      if (gm * gn == 1 || cost < best_cost) {
        best = {gm, gn};
        best_cost = cost;
      }
    }
  }
  return best;
}

// Strip [u0, u1) of `units` units of `unit` indices, cut as evenly as whole units allow.
inline size_t StripStart(size_t strip, size_t strips, size_t units, size_t unit) {
  return (strip * units / strips) * unit;
}

// The part of the problem that writes C rows [i0, i1) and columns [j0, j1).
inline detail::MatmulProblem SubProblem(const detail::MatmulProblem& pr, size_t i0, size_t i1,
                                        size_t j0, size_t j1) {
  detail::MatmulProblem sub = pr;
  sub.a = pr.form == MatmulForm::kTN ? pr.a + i0 : pr.a + i0 * pr.lda;
  sub.b = pr.form == MatmulForm::kNT ? pr.b + j0 * pr.ldb : pr.b + j0;
  sub.c = pr.c + i0 * pr.ldc + j0;
  sub.bias = pr.bias ? pr.bias + j0 : nullptr;
  sub.mask = pr.mask ? pr.mask + i0 * pr.ldm + j0 : nullptr;
  sub.m = i1 - i0;
  sub.n = j1 - j0;
  return sub;
}

// The strips' packing buffers are slices of one buffer of the calling
// thread's (kernels/scratch.h), not each worker's own: which worker runs
// which strip changes from call to call, and a worker's first strip, or a
// larger one than before, would otherwise allocate in the middle of training.
inline void MatmulParallel(const detail::MatmulProblem& pr) {
  const MatmulGrid grid = PlanMatmulGrid(pr.m, pr.n, pr.k, size_t(thread_count()));
  const size_t strips = grid.gm * grid.gn;
  const size_t row_units = CeilDiv(pr.m, kMatmulMr), col_units = CeilDiv(pr.n, kMatmulLanes);
  auto strip_problem = [&](size_t strip) {
    const size_t si = strip / grid.gn, sj = strip % grid.gn;
    const size_t i0 = StripStart(si, grid.gm, row_units, kMatmulMr);
    const size_t i1 = std::min(pr.m, StripStart(si + 1, grid.gm, row_units, kMatmulMr));
    const size_t j0 = StripStart(sj, grid.gn, col_units, kMatmulLanes);
    const size_t j1 = std::min(pr.n, StripStart(sj + 1, grid.gn, col_units, kMatmulLanes));
    return SubProblem(pr, i0, i1, j0, j1);
  };
  // Strip s packs into floats [offset(s), offset(s + 1)) of the buffer. The
  // grid has at most thread_count() strips.
  auto offset = [&](size_t s) {
    size_t floats = 0;
    for (size_t t = 0; t < s; ++t) floats += MatmulPackedFloats(strip_problem(t));
    return floats;
  };
  detail::ScratchLease<float> workspace;
  float* const packed = workspace.reserve(offset(strips));
  parallel_for(strips, [&](size_t strip) {
    MatmulBlocked(strip_problem(strip), packed + offset(strip));
  });
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_MATMUL_INL_H_
