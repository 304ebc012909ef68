// The streaming triad a[i] = b[i] + s * c[i], vectorized with Highway and
// blocked on the thread pool like the kernels: the memory-bound kernels'
// bandwidth roof, measured in the same binary.
#pragma once

#include <cstddef>

namespace simdnet::bench {
void triad(float* a, const float* b, const float* c, float s, size_t n);
}  // namespace simdnet::bench
