// simdnet's random streams: every random number of a run comes from the
// counter-based Philox generator (simdnet/kernels/philox.h) as word i of the
// stream (seed, stream), seed = NetSpec::seed (or the Solver's seed). This
// header names the streams, so that no two uses ever draw the same words and
// a run replays exactly, whatever the thread count or call order.
//
// The top two bits of a stream name its use:
//
//   00  dropout masks      (step << 8) | layer   layer = 1..L-1 (the hidden layer
//                                                 the dropout follows), step = the
//                                                 Solver's iteration counter
//   01  initialization     parameter index       (the order of parameters())
//   10  shuffling          epoch                 the Solver's minibatch order
//                          bit 61 set            the Solver's other draws (below)
//   11  free for other uses (e.g. examples and tests: synthetic data)
#pragma once

#include <cstddef>
#include <cstdint>

namespace simdnet::nets::streams {

inline constexpr uint64_t kDomainShift = 62;
inline constexpr uint64_t kPayloadMask = (uint64_t{1} << kDomainShift) - 1;
inline constexpr uint64_t kDropoutDomain = uint64_t{0} << kDomainShift;
inline constexpr uint64_t kInitDomain = uint64_t{1} << kDomainShift;
inline constexpr uint64_t kShuffleDomain = uint64_t{2} << kDomainShift;
inline constexpr uint64_t kOtherDomain = uint64_t{3} << kDomainShift;

// Layers are numbered in 8 bits: a net has at most this many hidden layers.
inline constexpr size_t kMaxDropoutLayers = 255;

// The mask stream of the dropout after hidden layer `layer` (1-based) at
// training step `step` (taken modulo 2^54: masks repeat after 2^54 steps).
constexpr uint64_t dropout(size_t layer, uint64_t step) {
  return kDropoutDomain | (((step << 8) | (layer & 0xFF)) & kPayloadMask);
}
// The stream that initializes parameter number `index` of parameters().
constexpr uint64_t init(size_t index) { return kInitDomain | (index & kPayloadMask); }
// The stream of the minibatch order of `epoch` (the Solver's epochs stay below
// 2^60, so these never set bit 61 of the payload).
constexpr uint64_t shuffle(uint64_t epoch) { return kShuffleDomain | (epoch & kPayloadMask); }
// The Solver's sampling with replacement: draw iteration * batch + k of this
// one stream is example k of step `iteration`.
inline constexpr uint64_t kSampleWithReplacement = kShuffleDomain | (uint64_t{1} << 61);
// The stream of the train-accuracy subsample after epoch `epoch`.
constexpr uint64_t train_accuracy(uint64_t epoch) {
  return kShuffleDomain | (uint64_t{3} << 60) | (epoch & kPayloadMask);
}
// Streams for anything else (synthetic data in examples and tests).
constexpr uint64_t other(uint64_t id) { return kOtherDomain | (id & kPayloadMask); }

}  // namespace simdnet::nets::streams
