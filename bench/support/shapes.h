// Benchmark shapes and inputs shared by the bench binaries.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "simdnet/kernels/matmul.h"
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

struct MatmulShape {
  kernels::MatmulForm form;
  size_t m, n, k;  // C (m x n) = op(A) (m x k) · op(B) (k x n)
};

// The matmul shapes issue 5 targets: each net layer's forward x·W (NN) and its
// two backward forms dW = xᵀ·dout (TN) and dx = dout·Wᵀ (NT), then squares.
inline std::vector<MatmulShape> matmul_shapes() {
  using kernels::MatmulForm;
  return {
      // MNIST 784-512-10 hidden layer at batch 128.
      {MatmulForm::kNN, 128, 512, 784},
      {MatmulForm::kTN, 784, 512, 128},
      {MatmulForm::kNT, 128, 784, 512},
      // CIFAR-10 input layer at batch 100, 100 hidden units.
      {MatmulForm::kNN, 100, 100, 3072},
      {MatmulForm::kTN, 3072, 100, 100},
      {MatmulForm::kNT, 100, 3072, 100},
      // A wide CIFAR-10 layer at batch 256.
      {MatmulForm::kNN, 256, 1024, 3072},
      {MatmulForm::kTN, 3072, 1024, 256},
      {MatmulForm::kNT, 256, 3072, 1024},
      // Squares 256-2048.
      {MatmulForm::kNN, 256, 256, 256},
      {MatmulForm::kNN, 512, 512, 512},
      {MatmulForm::kNN, 1024, 1024, 1024},
      {MatmulForm::kNN, 2048, 2048, 2048},
  };
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
