// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3" (SC'11), as in Random123.
// Header-only and scalar: the references, the dropout kernel's fallbacks and
// the nets layer (initialization, shuffling) all draw from it.
//
// A counter-based generator is a pure function bits = philox(counter, key):
// no state, so element i of a random stream is computed on its own, by any
// thread, in any order, and replays exactly. kernels/philox-inl.h computes the
// same function with Highway vectors (bit-identical, tested).
//
// simdnet's random streams. A stream is named by (seed, stream) and is an
// endless sequence of 32-bit words, word i for every index i >= 0:
//
//   key     = { lo32(seed), hi32(seed) }
//   counter = { lo32(i / 4), hi32(i / 4), lo32(stream), hi32(stream) }
//   word(i) = philox4x32_10(counter, key)[i % 4]
//
// so one Philox block yields the four consecutive words 4b .. 4b+3, and the
// (seed, stream) pairs name 2^128 disjoint sequences. A word becomes a float in
// [0, 1) by keeping its top 24 bits:
//
//   uniform(i) = (word(i) >> 8) * 2^-24        (exact: every k * 2^-24 is a float)
#pragma once

#include <array>
#include <cstdint>

namespace simdnet::kernels::philox {

using Counter = std::array<uint32_t, 4>;
using Key = std::array<uint32_t, 2>;

// Round multipliers and the key's Weyl increments (golden ratio, sqrt(3) - 1),
// as published with Random123.
inline constexpr uint32_t kMultiplier0 = 0xD2511F53u;
inline constexpr uint32_t kMultiplier1 = 0xCD9E8D57u;
inline constexpr uint32_t kWeyl0 = 0x9E3779B9u;
inline constexpr uint32_t kWeyl1 = 0xBB67AE85u;
inline constexpr int kRounds = 10;

// One round: two 32x32 -> 64-bit products, their high halves xor-ed into the
// other pair of words.
//   (hi0, lo0) = M0 * c0;  (hi1, lo1) = M1 * c2
//   c' = { hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0 }
constexpr Counter round(const Counter& c, const Key& k) {
  const uint64_t p0 = uint64_t{kMultiplier0} * c[0];
  const uint64_t p1 = uint64_t{kMultiplier1} * c[2];
  return {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
          static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
}

// Ten rounds; round r uses the key k + r * (W0, W1) (mod 2^32).
constexpr Counter philox4x32_10(Counter c, Key k) {
  for (int r = 0; r < kRounds; ++r) {
    c = round(c, k);
    k = {k[0] + kWeyl0, k[1] + kWeyl1};
  }
  return c;
}

// The key and block counter of simdnet's streams (see the top of this file).
constexpr Key key_of(uint64_t seed) {
  return {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
}
constexpr Counter counter_of(uint64_t block, uint64_t stream) {
  return {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
          static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)};
}

// The four words 4 * block .. 4 * block + 3 of stream (seed, stream).
constexpr Counter block_words(uint64_t seed, uint64_t stream, uint64_t block) {
  return philox4x32_10(counter_of(block, stream), key_of(seed));
}

// Word `index` of stream (seed, stream). Computes a whole block for one word:
// callers that want many consecutive words should use block_words.
constexpr uint32_t random_bits(uint64_t seed, uint64_t stream, uint64_t index) {
  return block_words(seed, stream, index / 4)[index % 4];
}

// A word as a float in [0, 1): its top 24 bits times 2^-24, exactly.
constexpr float uniform_from_bits(uint32_t bits) {
  return static_cast<float>(bits >> 8) * 0x1p-24f;
}

// uniform(i) of stream (seed, stream), a float in [0, 1).
constexpr float uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  return uniform_from_bits(random_bits(seed, stream, index));
}

}  // namespace simdnet::kernels::philox
