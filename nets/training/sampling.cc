// Random permutations and index draws for the Solver, from Philox streams.
#include <numeric>

#include "random_index.h"
#include "simdnet/nets/solver.h"

namespace simdnet::nets {

void random_permutation(uint64_t seed, uint64_t stream, size_t n, std::vector<uint32_t>& out) {
  out.resize(n);
  std::iota(out.begin(), out.end(), uint32_t{0});
  // Fisher-Yates from the back: position i swaps with j uniform in [0, i];
  // draw number n - 1 - i of the stream picks j.
  for (size_t i = n; i-- > 1;) {
    const uint64_t j = uniform_below(random64(seed, stream, n - 1 - i), i + 1);
    std::swap(out[i], out[j]);
  }
}

}  // namespace simdnet::nets
