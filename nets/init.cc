#include "nets/init.h"

#include <cmath>
#include <numbers>

#include "simdnet/kernels/philox.h"

namespace simdnet::nets {

namespace {
// The two normals Box-Muller makes of the word pair (a, b).
struct NormalPair {
  double cos_part, sin_part;
};
NormalPair box_muller(uint32_t a, uint32_t b) {
  const double u1 = (double(a) + 1.0) * 0x1p-32;  // (0, 1]: ln u1 is finite
  const double u2 = double(b) * 0x1p-32;          // [0, 1)
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  return {r * std::cos(theta), r * std::sin(theta)};
}
}  // namespace

double standard_normal(uint64_t seed, uint64_t stream, uint64_t index) {
  const auto w = kernels::philox::block_words(seed, stream, index / 4);
  const size_t pair = (index % 4) / 2;
  const NormalPair z = box_muller(w[2 * pair], w[2 * pair + 1]);
  return index % 2 == 0 ? z.cos_part : z.sin_part;
}

template <class T>
void fill_normal(kernels::MatrixViewOf<T> m, double mean, double stddev, uint64_t seed,
                 uint64_t stream) {
  // One Philox block gives four consecutive normals: walk the logical indices
  // e = i * cols + j in blocks of four.
  const uint64_t total = m.size();
  for (uint64_t block = 0; block * 4 < total; ++block) {
    const auto w = kernels::philox::block_words(seed, stream, block);
    const NormalPair lo = box_muller(w[0], w[1]);
    const NormalPair hi = box_muller(w[2], w[3]);
    const double z[4] = {lo.cos_part, lo.sin_part, hi.cos_part, hi.sin_part};
    for (uint64_t k = 0; k < 4 && block * 4 + k < total; ++k) {
      const uint64_t e = block * 4 + k;
      m.at(e / m.cols, e % m.cols) = static_cast<T>(mean + stddev * z[k]);
    }
  }
}

template void fill_normal(kernels::MatrixViewOf<float>, double, double, uint64_t, uint64_t);
template void fill_normal(kernels::MatrixViewOf<double>, double, double, uint64_t, uint64_t);

double init_stddev(const NetSpec& spec, size_t fan_in) {
  switch (spec.init) {
    case Init::kWeightScale:
      return spec.weight_scale;
    case Init::kHe:
      return std::sqrt(2.0 / double(fan_in));
    case Init::kXavier:
      return std::sqrt(1.0 / double(fan_in));
  }
  return spec.weight_scale;
}

}  // namespace simdnet::nets
