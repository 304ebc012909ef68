// Dropout SIMD bodies, one copy per Highway target (toggle guard below). Row
// functions only: blocking and threads are dropout.cc's job.
//
// The mask is u(e) >= p with u(e) = (H(e) * 2^16 + L(e)) * 2^-24 (see
// simdnet/kernels/dropout.h). With T = ceil(p * 2^24) = TH * 2^16 + TL:
//   H > TH: keep;  H < TH: drop;  H == TH (a tie): keep iff L >= TL.
// H(e) is byte e % 4 of word e / 4: viewed as bytes, the words are the H
// values in element order. A row is done in chunks of 48 Philox blocks (768
// elements), each in three steps:
//   1. PhiloxWords fills a small aligned buffer with the chunk's H bytes;
//   2. if TL > 0, the ties (3 per chunk on average) are found with byte
//      compares, their L values drawn in vector batches of scattered blocks,
//      and each tie's byte overwritten with 255 (keep) or 0 (drop);
//   3. the apply loop, branch-free: keep iff byte >= K, scale or zero, store.
// The buffer stays in L1 and decouples the generator's block grid from the
// row's position, so strides and odd widths need no special case. Steps are
// software-pipelined (DropoutRow) so that the out-of-order core overlaps one
// chunk's tie chain and memory traffic with the next chunk's arithmetic.
#if defined(SIMDNET_KERNELS_DROPOUT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_DROPOUT_INL_H_
#undef SIMDNET_KERNELS_DROPOUT_INL_H_
#else
#define SIMDNET_KERNELS_DROPOUT_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "hwy/highway.h"
#include "kernels/philox-inl.h"
#include "kernels/tail-inl.h"
#include "simdnet/kernels/dropout.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One dropout call's mask and scale.
struct DropMask {
  uint64_t seed, stream;
  uint32_t high;       // TH = T >> 16, in [0, 255]
  uint32_t low;        // TL = T & 0xFFFF; ties matter only if TL > 0
  uint32_t keep_from;  // K: keep iff H >= K once ties are resolved to 255 or 0
  float scale;         // float(1 / (1 - p))

  static DropMask Make(float p, uint64_t seed, uint64_t stream) {
    const uint32_t t = dropout_mask::threshold(p);
    const uint32_t high = t >> 16, low = t & 0xFFFFu;
    // TL == 0: keep iff H >= TH. Otherwise keep iff H > TH, i.e. H >= TH + 1;
    // a resolved tie is 255 or 0, and 255 >= K > 0 (K = 255 if TH = 255:
    // then every H of 255 is a tie).
    const uint32_t keep_from = low == 0 ? high : std::min<uint32_t>(high + 1, 255);
    return {seed, stream, high, low, keep_from, static_cast<float>(1.0 / (1.0 - double(p)))};
  }
};

// Step 2: overwrites every tie h[k] == TH (k < n <= kMaxTies) with 255 if
// L(first + k) >= TL, else 0. L(e) is the 16-bit half e % 2 of word
// 2^63 + e / 2, in block 2^61 + e / 8: the ties' blocks are drawn in vector
// batches of scattered blocks. Ties are rare (1 in 256) and random, so the
// scan avoids branches on them: two set bits per vector of bytes are taken
// unconditionally, a third or more (probability < 1%) in a loop.
template <size_t kMaxTies>
HWY_INLINE void ResolveTies(PhiloxWords& low_words, const DropMask& m, uint8_t* HWY_RESTRICT h,
                            size_t n, uint64_t first) {
  const hn::ScalableTag<uint8_t> d8;
  const size_t N8 = hn::Lanes(d8);
  static_assert(hn::MaxLanes(d8) <= 64);
  const auto tie = hn::Set(d8, static_cast<uint8_t>(m.high));
  uint16_t ties[kMaxTies + 2];  // positions k; +2: the unconditional writes
  size_t count = 0;
  for (size_t k = 0; k < n; k += N8) {
    const size_t lanes = std::min(N8, n - k);
    const auto v = lanes == N8 ? hn::LoadU(d8, h + k) : LoadTail(d8, h + k, lanes);
    uint8_t bytes[8] = {};
    hn::StoreMaskBits(d8, hn::Eq(v, tie), bytes);
    uint64_t bits;
    std::memcpy(&bits, bytes, sizeof(bits));
    if (lanes < 64) bits &= (uint64_t{1} << lanes) - 1;  // LoadTail's zero lanes
    for (int taken = 0; taken < 2; ++taken) {  // written always, counted if a bit is set
      const size_t j = hwy::Num0BitsBelowLS1Bit_Nonzero64(bits | (uint64_t{1} << 63));
      ties[count] = static_cast<uint16_t>(k + j);
      count += bits != 0;
      bits &= bits - 1;
    }
    for (; HWY_UNLIKELY(bits != 0); bits &= bits - 1) {
      ties[count++] = static_cast<uint16_t>(k + hwy::Num0BitsBelowLS1Bit_Nonzero64(bits));
    }
  }
  const size_t batch = PhiloxWords::BatchBlocks();
  uint64_t blocks[PhiloxWords::MaxBatchBlocks()];
  HWY_ALIGN uint32_t words[4 * PhiloxWords::MaxBatchBlocks()];
  for (size_t i = 0; i < count; i += batch) {
    const size_t in_batch = std::min(batch, count - i);
    for (size_t j = 0; j < in_batch; ++j) {
      blocks[j] = dropout_mask::kLowWordsStart / 4 + (first + ties[i + j]) / 8;
    }
    low_words.Gather(blocks, in_batch, words);
    for (size_t j = 0; j < in_batch; ++j) {
      const uint64_t e = first + ties[i + j];
      const uint32_t l = (words[4 * j + (e / 2) % 4] >> (16 * (e % 2))) & 0xFFFFu;
      h[ties[i + j]] = static_cast<uint8_t>(l >= m.low ? 255 : 0);
    }
  }
}

// Step 3: out[k] = h[k] >= K ? in[k] * scale : 0 for k < n. Each vector is
// read before it is written, so `out` may alias `in`.
HWY_INLINE void ApplyMask(const DropMask& m, const uint8_t* HWY_RESTRICT h, const float* in,
                          float* out, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du32;
  const hn::Rebind<uint8_t, decltype(du32)> du8;
  const size_t N = hn::Lanes(df);
  const auto keep_from = hn::Set(du32, m.keep_from);
  const auto scale = hn::Set(df, m.scale);
  size_t k = 0;
#if HWY_TARGET <= HWY_AVX3 && HWY_ARCH_X86
  // AVX-512: one byte compare decides 4 float vectors; their masks are the
  // 16-bit slices of its 64-bit mask. Half the operations of promoting.
  const hn::ScalableTag<uint8_t> d8;
  const auto keep_from8 = hn::Set(d8, static_cast<uint8_t>(m.keep_from));
  static_assert(hn::MaxLanes(d8) == 4 * hn::MaxLanes(df));
  for (; k + 4 * N <= n; k += 4 * N) {
    uint8_t keep_bits[hn::MaxLanes(d8) / 8];
    hn::StoreMaskBits(d8, hn::Not(hn::Lt(hn::LoadU(d8, h + k), keep_from8)), keep_bits);
    for (size_t j = 0; j < 4; ++j) {  // a zero-masking multiply per vector
      const auto keep = hn::LoadMaskBits(df, keep_bits + j * N / 8);
      const float* x = in + k + j * N;
      hn::StoreU(hn::IfThenElseZero(keep, hn::Mul(hn::LoadU(df, x), scale)), df, out + k + j * N);
    }
  }
#endif
  for (; k + N <= n; k += N) {
    const auto h32 = hn::PromoteTo(du32, hn::LoadU(du8, h + k));
    const auto drop = hn::RebindMask(df, hn::Lt(h32, keep_from));
    hn::StoreU(hn::IfThenZeroElse(drop, hn::Mul(hn::LoadU(df, in + k), scale)), df, out + k);
  }
  if (k < n) {  // partial vector: nothing read or written past n
    const size_t rest = n - k;
    const auto h32 = hn::PromoteTo(du32, LoadTail(du8, h + k, rest));
    const auto drop = hn::RebindMask(df, hn::Lt(h32, keep_from));
    StoreTail(hn::IfThenZeroElse(drop, hn::Mul(LoadTail(df, in + k, rest), scale)), df, out + k,
              rest);
  }
}

// Dropout of one row: out[j] = keep(first + j) ? in[j] * scale : 0 for j < n.
// `in` may equal `out`. high_words and low_words are generators of the same
// stream (two, so that each keeps its own cached constants).
//
// Software-pipelined over chunks: chunk k's ties are resolved (a short chain
// of dependent Philox rounds), then chunk k+1 is generated (independent work
// that the out-of-order core runs during that chain), then chunk k is applied.
HWY_INLINE void DropoutRow(PhiloxWords& high_words, PhiloxWords& low_words, const DropMask& m,
                           const float* in, float* out, size_t n, uint64_t first) {
  constexpr size_t kChunkBlocks = 48;  // a multiple of every target's batch (1 .. 8 blocks)
  constexpr size_t kPerBlock = 16;     // H values (bytes) per Philox block
  static_assert(kChunkBlocks % PhiloxWords::MaxBatchBlocks() == 0);
  struct Chunk {
    size_t begin, count;  // elements [begin, begin + count) of the row
    size_t phase;         // (first + begin) % 16: the chunk's offset in its first block
  };
  const auto chunk_at = [&](size_t begin) {
    const size_t phase = (first + begin) % kPerBlock;
    return Chunk{begin, std::min(n - begin, kPerBlock * kChunkBlocks - phase), phase};
  };
  const size_t batch = PhiloxWords::BatchBlocks();
  const auto generate = [&](const Chunk& c, uint8_t* h) {
    const size_t blocks = hwy::DivCeil(c.phase + c.count, kPerBlock);
    high_words.Fill((first + c.begin) / kPerBlock, hwy::DivCeil(blocks, batch) * batch,
                    reinterpret_cast<uint32_t*>(h));
  };
  if (n == 0) return;
  HWY_ALIGN uint8_t buffer0[kPerBlock * kChunkBlocks], buffer1[kPerBlock * kChunkBlocks];
  uint8_t* h = buffer0;
  uint8_t* h_next = buffer1;
  Chunk c = chunk_at(0);
  generate(c, h);
  for (;;) {
    if (m.low != 0) {
      ResolveTies<kPerBlock * kChunkBlocks>(low_words, m, h + c.phase, c.count, first + c.begin);
    }
    const bool last = c.begin + c.count == n;
    const Chunk next = last ? c : chunk_at(c.begin + c.count);
    if (!last) generate(next, h_next);
    ApplyMask(m, h + c.phase, in + c.begin, out + c.begin, c.count);
    if (last) break;
    c = next;
    std::swap(h, h_next);
  }
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_DROPOUT_INL_H_
