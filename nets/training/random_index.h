// 64-bit draws from a Philox stream (kernels/philox.h): draw d is the words
// 2d and 2d + 1 of stream (seed, stream), high word first. One Philox block
// (four words) makes two draws.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simdnet/kernels/philox.h"

namespace simdnet::nets {

inline uint64_t random64(uint64_t seed, uint64_t stream, uint64_t draw) {
  const auto words = kernels::philox::block_words(seed, stream, draw / 2);
  const size_t first = 2 * (draw % 2);
  return uint64_t{words[first]} << 32 | words[first + 1];
}

}  // namespace simdnet::nets
