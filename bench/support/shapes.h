// Benchmark shapes and inputs shared by the bench binaries.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "simdnet/kernels/matrix.h"

namespace simdnet::bench {

struct Shape {
  size_t rows, cols;
  std::string name;
};

// The memory-bound kernels' shapes: a hidden layer at batch 128, a wide layer
// at batch 256, and one far out of cache.
inline std::vector<Shape> memory_bound_shapes() {
  return {{128, 512, "128x512"}, {256, 1024, "256x1024"}, {1024, 4096, "1024x4096"}};
}

// Uniform [-1, 1) values, fixed seed.
inline kernels::Matrix filled(size_t rows, size_t cols, unsigned seed) {
  kernels::Matrix m(rows, cols);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : m.storage()) v = dist(gen);
  return m;
}

}  // namespace simdnet::bench
