// Initialization: normal samples from the counter-based Philox generator, so
// the initial weights depend on (seed, stream, index) only: reproducible and
// independent of threads and call order.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simdnet/kernels/matrix.h"
#include "simdnet/nets/network.h"

namespace simdnet::nets {

// z(index) ~ N(0, 1), element `index` of the normal stream (seed, stream). Box-
// Muller on Philox block b = index / 4 (words w0..w3, simdnet/kernels/philox.h):
//   u1 = (w0 + 1) * 2^-32 in (0, 1],  u2 = w1 * 2^-32 in [0, 1)
//   r = sqrt(-2 ln u1)
//   z(4b) = r cos(2 pi u2),  z(4b + 1) = r sin(2 pi u2)
// and likewise z(4b + 2), z(4b + 3) from (w2, w3). Computed in double.
double standard_normal(uint64_t seed, uint64_t stream, uint64_t index);

// m[i][j] = mean + stddev * z(i * cols + j) (row-major index, whatever the
// stride), rounded once to T.
template <class T>
void fill_normal(kernels::MatrixViewOf<T> m, double mean, double stddev, uint64_t seed,
                 uint64_t stream);

// The standard deviation of a weight matrix with `fan_in` rows under
// spec.init: weight_scale (kWeightScale), sqrt(2 / fan_in) (kHe) or
// sqrt(1 / fan_in) (kXavier).
double init_stddev(const NetSpec& spec, size_t fan_in);

}  // namespace simdnet::nets
