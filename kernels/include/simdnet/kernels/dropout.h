// Inverted dropout over (N, D) matrices, with a mask that is computed, never
// stored: forward and backward regenerate it from (seed, stream).
//
// p is the probability of DROPPING an element, 0 <= p < 1. Element (i, j) of
// an N x D matrix has the logical index e = i * D + j (independent of the row
// stride, the thread count and the call order) and is kept when
//
//   keep(e) = u(e) >= p,   u(e) = (H(e) * 2^16 + L(e)) * 2^-24,  a float in [0, 1)
//
// built from the 32-bit words word(w) of the Philox stream (seed, stream) of
// simdnet/kernels/philox.h:
//   word(w) = philox4x32_10({lo32(w/4), hi32(w/4), lo32(stream), hi32(stream)},
//                           {lo32(seed), hi32(seed)})[w % 4]
//   H(e) = bits [8 * (e % 4), +8)   of word(e / 4)          the top 8 bits of u
//   L(e) = bits [16 * (e % 2), +16) of word(2^63 + e / 2)   the low 16 bits of u
// (word indices below 2^63 serve H, from 2^63 on L: the two never share a word).
//
// Why two parts: with T = ceil(p * 2^24) = TH * 2^16 + TL,
//   keep(e)  <=>  H(e) > TH  or  (H(e) == TH and L(e) >= TL),
// so L is needed only when H(e) == TH (probability 2^-8) and TL > 0 (not for
// p = 0.5, 0.25, ...). The SIMD kernel draws one Philox block per 16 elements
// and L only for vectors with a tie; the mask is still exactly the 24-bit one:
// P(keep) = 1 - T / 2^24, which is 1 - p up to 2^-24. (Philox is the cost of
// this kernel, 20 multiplies per block: drawing 8 bits per element instead of
// 32 makes it four times cheaper.)
//
// Kept elements are scaled by 1 / (1 - p) (inverted dropout: the expected
// output equals the input, so inference needs no rescaling). The SIMD kernel
// multiplies by the float nearest to 1 / (1 - p); the reference divides in
// double. The nets layer uses one stream per layer and step, e.g.
// stream = (step << 8) | layer, so masks never repeat.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

#include "simdnet/kernels/matrix.h"
#include "simdnet/kernels/philox.h"

namespace simdnet::kernels {

// out = keep ? x / (1 - p) : 0, elementwise. out may alias x (same view).
// Throws std::invalid_argument if p is outside [0, 1) or the shapes differ.
void dropout_forward(ConstMatrixView x, float p, uint64_t seed, uint64_t stream, MatrixView out);
// dx = keep ? dout / (1 - p) : 0 with the forward call's mask (same p, seed,
// stream and shape). dx may alias dout.
void dropout_backward(ConstMatrixView dout, float p, uint64_t seed, uint64_t stream,
                      MatrixView dx);

// The words 4 * first_block .. 4 * first_block + words.size() - 1 of the Philox
// stream (seed, stream), by the vectorized generator this kernel uses (on the
// active Highway target): bit-identical to philox::block_words, and the fast
// way to draw many random words (initialization, shuffling).
// words.size() must be a multiple of 4 (whole blocks).
void philox_fill(uint64_t seed, uint64_t stream, uint64_t first_block, std::span<uint32_t> words);

// Scalar references: the same signatures, plus double overloads for gradient checks.
namespace reference {
void dropout_forward(ConstMatrixView x, float p, uint64_t seed, uint64_t stream, MatrixView out);
void dropout_backward(ConstMatrixView dout, float p, uint64_t seed, uint64_t stream,
                      MatrixView dx);
void dropout_forward(ConstMatrixViewD x, float p, uint64_t seed, uint64_t stream, MatrixViewD out);
void dropout_backward(ConstMatrixViewD dout, float p, uint64_t seed, uint64_t stream,
                      MatrixViewD dx);
}  // namespace reference

// The definition above as code (scalar): the reference, the SIMD kernel's
// tie path and the tests use it.
namespace dropout_mask {
inline constexpr uint64_t kLowWordsStart = uint64_t{1} << 63;

// H(e): the top 8 bits of u(e).
constexpr uint32_t high_bits(uint64_t seed, uint64_t stream, uint64_t e) {
  return (philox::random_bits(seed, stream, e / 4) >> (8 * (e % 4))) & 0xFFu;
}
// L(e): the low 16 bits of u(e).
constexpr uint32_t low_bits(uint64_t seed, uint64_t stream, uint64_t e) {
  return (philox::random_bits(seed, stream, kLowWordsStart + e / 2) >> (16 * (e % 2))) & 0xFFFFu;
}
// u(e) = (H * 2^16 + L) * 2^-24, exact in float.
constexpr float uniform(uint64_t seed, uint64_t stream, uint64_t e) {
  return static_cast<float>(high_bits(seed, stream, e) << 16 | low_bits(seed, stream, e)) *
         0x1p-24f;
}
// T = ceil(p * 2^24): keep(e) <=> H * 2^16 + L >= T (p * 2^24 is exact in double).
inline uint32_t threshold(float p) { return static_cast<uint32_t>(std::ceil(double(p) * 0x1p24)); }
}  // namespace dropout_mask

namespace detail {
// Throws std::invalid_argument naming `kernel` unless 0 <= p < 1.
void check_drop_probability(const char* kernel, float p);
}  // namespace detail

}  // namespace simdnet::kernels
