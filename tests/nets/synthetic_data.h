// Small synthetic classification sets for the Solver and checkpoint tests:
// Gaussian blobs, one per class, reproducible from a seed (Philox), so these
// tests need no downloaded data.
#pragma once

#include <cmath>
#include <cstdint>

#include "simdnet/kernels/philox.h"
#include "simdnet/nets/data.h"
#include "simdnet/nets/streams.h"

namespace simdnet::nets::testing {

// Example i of class y = i % classes: x = center_y + noise * N(0, 1) per
// feature; center_y's features are +-spread, signs from the seed. Blobs
// with spread >> noise are nearly separable.
inline Dataset gaussian_blobs(size_t n, size_t features, int classes, uint64_t seed,
                              uint64_t first_example = 0, float spread = 1.0f, float noise = 1.0f) {
  namespace philox = kernels::philox;
  constexpr uint64_t kCenters = streams::kOtherDomain | 1, kNoise = streams::kOtherDomain | 2;
  Dataset d;
  d.num_classes = classes;
  d.x = kernels::Matrix(n, features);
  d.y.resize(n);
  for (size_t r = 0; r < n; ++r) {
    const uint64_t i = first_example + r;
    const int y = static_cast<int>(i % static_cast<uint64_t>(classes));
    d.y[r] = y;
    for (size_t f = 0; f < features; ++f) {
      const bool positive =
          philox::random_bits(seed, kCenters, static_cast<uint64_t>(y) * features + f) & 1;
      // Box-Muller from two uniforms of the noise stream.
      const uint64_t k = 2 * (i * features + f);
      const double u1 = 1.0 - philox::uniform(seed, kNoise, k);  // (0, 1]
      const double u2 = philox::uniform(seed, kNoise, k + 1);
      const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
      d.x.at(r, f) = (positive ? spread : -spread) + noise * static_cast<float>(z);
    }
  }
  return d;
}

}  // namespace simdnet::nets::testing
