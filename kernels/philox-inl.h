// Philox4x32-10 with Highway vectors: the words of simdnet's random streams
// (simdnet/kernels/philox.h defines them), bit-identical to the scalar
// philox::block_words, one copy per Highway target (toggle guard below).
//
// Layout. A vector of 64-bit lanes holds one Philox block per lane. x86 has no
// 32x32 multiply-high, but MulEven (vpmuludq) multiplies the low 32 bits of
// each 64-bit lane into the full 64-bit product [lo | hi]. So the state of a
// lane is kept as the products themselves:
//   A = c0 in the low half (the high half is ignored by the next MulEven)
//   B = c2 in the low half
//   PA = M0 * c0 = [lo0 | hi0],  PB = M1 * c2 = [lo1 | hi1]
// and a round is, per lane,
//   c0' = hi1 ^ c1 ^ k0  ->  A' = swap32(PB) ^ PB_prev ^ K0   (c1 = lo1 of the previous round)
//   c2' = hi0 ^ c3 ^ k1  ->  B' = swap32(PA) ^ PA_prev ^ K1   (c3 = lo0 of the previous round)
// three operations per product (MulEven, Shuffle2301, Xor3) and no repacking:
// about 60 vector operations per batch of Lanes(u64) blocks.
//
// Rounds 0 and 1 are cheaper: within a run of blocks that share the high word
// of the block index, c1, c2 and c3 are the same for every block, so round 0's
// M1 * c2 and round 1's M0 * c0 are scalar constants.
//
// Output order. Lane l holds block first + (l % 2) * (NB / 2) + l / 2 (NB
// lanes). InterleaveLower/Upper work within 128-bit blocks, and with that
// assignment the two interleaved vectors are the 4 * NB words in stream order.
//
// (Arrays and structs of vectors are used below: fine on x86, which is what
// this project compiles for; not for SVE/RVV, whose vectors are sizeless.)
#if defined(SIMDNET_KERNELS_PHILOX_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_PHILOX_INL_H_
#undef SIMDNET_KERNELS_PHILOX_INL_H_
#else
#define SIMDNET_KERNELS_PHILOX_INL_H_
#endif

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "simdnet/kernels/philox.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Generates the words of one stream (seed, stream), block by block. Not
// thread-safe (it caches per-run constants): one object per thread.
class PhiloxWords {
 public:
  PhiloxWords(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {
    philox::Key k = philox::key_of(seed);
    for (int r = 0; r < philox::kRounds; ++r) {
      k0_[r] = k[0];  // zero-extended: broadcast from memory, high half zero
      k1_[r] = k[1];
      k = {k[0] + philox::kWeyl0, k[1] + philox::kWeyl1};
    }
  }

  // Blocks per vector batch (a multiple of this keeps Fill on the vector path).
  static size_t BatchBlocks() {
#if HWY_TARGET == HWY_SCALAR
    return 1;
#else
    return hn::Lanes(D64());
#endif
  }
  static constexpr size_t MaxBatchBlocks() {
#if HWY_TARGET == HWY_SCALAR
    return 1;
#else
    return hn::MaxLanes(D64());
#endif
  }

  // Writes words 4 * first_block .. 4 * (first_block + blocks) - 1 to words[].
  void Fill(uint64_t first_block, size_t blocks, uint32_t* HWY_RESTRICT words) {
    while (blocks > 0) {
      // Blocks left before the block index's high word changes (then c1 changes).
      const uint64_t to_boundary = (uint64_t{1} << 32) - (first_block & 0xFFFFFFFFu);
      const size_t run = static_cast<size_t>(std::min<uint64_t>(blocks, to_boundary));
#if HWY_TARGET == HWY_SCALAR
      const size_t vectorized = 0;
#else
      const size_t vectorized = run - run % BatchBlocks();
      FillRun(first_block, vectorized / BatchBlocks(), words);
#endif
      for (size_t b = vectorized; b < run; ++b) Scalar(first_block + b, words + 4 * b);
      first_block += run;
      words += 4 * run;
      blocks -= run;
    }
  }

  // Writes the 4 words of block blocks[i] to words[4 i ..] for i < n, where
  // n <= BatchBlocks(): one vector batch for scattered blocks. words must
  // have room for 4 * BatchBlocks() words (the unused lanes are written too).
  void Gather(const uint64_t* blocks, size_t n, uint32_t* HWY_RESTRICT words) {
#if HWY_TARGET != HWY_SCALAR
    const size_t NB = BatchBlocks();
    const uint64_t hi = blocks[0] >> 32;
    bool same_hi = n <= NB;
    for (size_t i = 1; i < n; ++i) same_hi &= (blocks[i] >> 32) == hi;
    if (same_hi) {
      HWY_ALIGN uint64_t lanes[hn::MaxLanes(D64())];
      for (size_t l = 0; l < NB; ++l) {
        const size_t i = OutputIndexOfLane(l, NB);
        lanes[l] = i < n ? blocks[i] & 0xFFFFFFFFu : 0;
      }
      Batches<1>(ConstantsFor(static_cast<uint32_t>(hi)), hn::Load(D64(), lanes), words);
      return;
    }
#endif
    for (size_t i = 0; i < n; ++i) Scalar(blocks[i], words + 4 * i);
  }

 private:
  void Scalar(uint64_t block, uint32_t* words) const {
    const philox::Counter w = philox::block_words(seed_, stream_, block);
    std::memcpy(words, w.data(), sizeof(w));
  }

#if HWY_TARGET != HWY_SCALAR
  using D64 = hn::ScalableTag<uint64_t>;
  using D32 = hn::Repartition<uint32_t, D64>;
  using V64 = hn::Vec<D64>;
  using V32 = hn::Vec<D32>;

  // Which block (offset from the batch's first) lane l computes; see the top.
  static size_t OutputIndexOfLane(size_t l, size_t NB) { return (l % 2) * (NB / 2) + l / 2; }

  // Constants of one run of blocks that share the high word of the block index.
  struct RunConstants {
    V32 m0, m1;          // the multipliers, in the low half of each 64-bit lane
    V64 q0, q1, q2, q3;  // rounds 0-2: the terms that are the same for every block
    V64 low_half;
    V64 lane_offsets;  // OutputIndexOfLane(l) in lane l
  };

  static V64 Swap32(V64 v) {
    return hn::BitCast(D64(), hn::Shuffle2301(hn::BitCast(D32(), v)));
  }
  static V64 Mul(V64 v, V32 m) { return hn::MulEven(hn::BitCast(D32(), v), m); }
  static V64 Key(uint64_t k) { return hn::Set(D64(), k); }  // k < 2^32: high half zero

  // The run constants for high word `hi`, computed once per change of hi.
  const RunConstants& ConstantsFor(uint32_t hi) {
    if (hi == cached_hi_ && has_cache_) return cache_;
    const uint32_t s_lo = static_cast<uint32_t>(stream_);
    const uint32_t s_hi = static_cast<uint32_t>(stream_ >> 32);
    const uint64_t pb0 = uint64_t{philox::kMultiplier1} * s_lo;  // round 0: M1 * c2
    const uint32_t c0_1 = static_cast<uint32_t>(pb0 >> 32) ^ hi ^ static_cast<uint32_t>(k0_[0]);
    const uint64_t pa1 = uint64_t{philox::kMultiplier0} * c0_1;  // round 1: M0 * c0
    cache_.m0 = hn::BitCast(D32(), hn::Set(D64(), uint64_t{philox::kMultiplier0}));
    cache_.m1 = hn::BitCast(D32(), hn::Set(D64(), uint64_t{philox::kMultiplier1}));
    cache_.q0 = Key(s_hi ^ k1_[0]);
    cache_.q1 = Key((pb0 & 0xFFFFFFFFu) ^ k0_[1]);
    cache_.q2 = Key((pa1 >> 32) ^ k1_[1]);
    cache_.q3 = Key((pa1 & 0xFFFFFFFFu) ^ k1_[2]);
    cache_.low_half = hn::Set(D64(), uint64_t{0xFFFFFFFFu});
    HWY_ALIGN uint64_t offsets[hn::MaxLanes(D64())];
    const size_t NB = hn::Lanes(D64());
    for (size_t l = 0; l < NB; ++l) offsets[l] = OutputIndexOfLane(l, NB);
    cache_.lane_offsets = hn::Load(D64(), offsets);
    cached_hi_ = hi;
    has_cache_ = true;
    return cache_;
  }

  // kGroup vector batches whose block counters (low words, lanes in output
  // order) are counter, counter + NB, ...: 4 * NB * kGroup words to `words`.
  // Several independent batches per call keep both vector ports busy: one
  // batch is a chain of ten (multiply, shuffle, xor) rounds.
  template <size_t kGroup>
  HWY_INLINE void Batches(const RunConstants& k, V64 counter, uint32_t* HWY_RESTRICT words) const {
    const D64 d64;
    const size_t NB = hn::Lanes(d64);
    V64 a[kGroup], b[kGroup], pa[kGroup], pb[kGroup], pa_prev[kGroup], pb_prev[kGroup];
    for (size_t g = 0; g < kGroup; ++g) {
      const V64 ctr = hn::Add(counter, hn::Set(d64, uint64_t{g * NB}));
      // Round 0: c0 varies; M1 * c2 is the same for every block.
      pa_prev[g] = Mul(ctr, k.m0);
      b[g] = hn::Xor(Swap32(pa_prev[g]), k.q0);  // c2 = hi0 ^ s_hi ^ k1
      // Round 1: c0, and so M0 * c0, are the same for every block.
      pb_prev[g] = Mul(b[g], k.m1);
      a[g] = hn::Xor(Swap32(pb_prev[g]), k.q1);  // c0 = hi1 ^ lo(M1 s_lo) ^ k0
      b[g] = hn::Xor(pa_prev[g], k.q2);          // c2 = hi(pa1) ^ lo0 ^ k1
    }
    for (size_t g = 0; g < kGroup; ++g) {
      // Round 2: c3 = lo(pa1) for every block.
      pa[g] = Mul(a[g], k.m0);
      pb[g] = Mul(b[g], k.m1);
      a[g] = hn::Xor3(Swap32(pb[g]), pb_prev[g], Key(k0_[2]));
      b[g] = hn::Xor(Swap32(pa[g]), k.q3);
    }
    for (int r = 3; r < philox::kRounds - 1; ++r) {
      for (size_t g = 0; g < kGroup; ++g) {
        pa_prev[g] = pa[g];
        pb_prev[g] = pb[g];
        pa[g] = Mul(a[g], k.m0);
        pb[g] = Mul(b[g], k.m1);
        a[g] = hn::Xor3(Swap32(pb[g]), pb_prev[g], Key(k0_[r]));
        b[g] = hn::Xor3(Swap32(pa[g]), pa_prev[g], Key(k1_[r]));
      }
    }
    constexpr int kLast = philox::kRounds - 1;
    for (size_t g = 0; g < kGroup; ++g) {
      // Round 9: masking the previous c1 (c3) leaves the new c1 (c3) in the
      // high half: a = [c0 | c1], b = [c2 | c3], each block whole in two lanes.
      const V64 pa9 = Mul(a[g], k.m0), pb9 = Mul(b[g], k.m1);
      a[g] = hn::Xor3(Swap32(pb9), hn::And(pb[g], k.low_half), Key(k0_[kLast]));
      b[g] = hn::Xor3(Swap32(pa9), hn::And(pa[g], k.low_half), Key(k1_[kLast]));
      uint32_t* out = words + 4 * NB * g;
      hn::StoreU(hn::BitCast(D32(), hn::InterleaveLower(d64, a[g], b[g])), D32(), out);
      hn::StoreU(hn::BitCast(D32(), hn::InterleaveUpper(d64, a[g], b[g])), D32(), out + 2 * NB);
    }
  }

  // `batches` vector batches starting at first_block; no block index in them
  // changes its high word.
  HWY_INLINE void FillRun(uint64_t first_block, size_t batches, uint32_t* HWY_RESTRICT words) {
    if (batches == 0) return;
    const D64 d64;
    const size_t NB = hn::Lanes(d64);
    const RunConstants& k = ConstantsFor(static_cast<uint32_t>(first_block >> 32));
    V64 counter = hn::Add(hn::Set(d64, first_block & 0xFFFFFFFFu), k.lane_offsets);

    constexpr size_t kGroup = 3;
    size_t batch = 0;
    for (; batch + kGroup <= batches; batch += kGroup) {
      Batches<kGroup>(k, counter, words);
      counter = hn::Add(counter, hn::Set(d64, uint64_t{kGroup * NB}));
      words += 4 * NB * kGroup;
    }
    for (; batch < batches; ++batch) {
      Batches<1>(k, counter, words);
      counter = hn::Add(counter, hn::Set(d64, uint64_t{NB}));
      words += 4 * NB;
    }
  }

  RunConstants cache_;
  uint32_t cached_hi_ = 0;
  bool has_cache_ = false;
#endif  // HWY_TARGET != HWY_SCALAR

  uint64_t seed_, stream_;
  std::array<uint64_t, philox::kRounds> k0_, k1_;  // round keys k + r * W (mod 2^32)
};

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_PHILOX_INL_H_
