// Plain structs passed from batchnorm.cc's blocking code to the per-target
// bodies in batchnorm-inl.h (outside the Highway per-target namespaces, so
// every target sees the same types).
#pragma once

#include <algorithm>
#include <cstddef>

#include "simdnet/kernels/matrix.h"

namespace simdnet::kernels {

// Where one tile writes its training statistics: per feature of the tile,
// relative to the tile's first column (see TileStats in batchnorm-inl.h).
struct BatchnormTrainPartials {
  float* center;      // c = (1/n) sum_i x_i, the tile's provisional mean
  float* dev_sum;     // sum_i (x_i - c)
  float* dev_sq_sum;  // sum_i (x_i - c)^2
};

// Row blocks of a batch: block b holds rows [b * rows_per_block, ...), the
// last one the rest.
struct BatchnormRowBlocks {
  size_t rows;            // N
  size_t rows_per_block;  // all blocks but the last
  size_t blocks;
  size_t block_rows(size_t b) const { return std::min(rows_per_block, rows - b * rows_per_block); }
};

// Inputs and outputs of the per-feature combine after the training statistics
// pass. Pointers are at the first feature to combine; partials of block b are
// at + b * partials_stride.
struct BatchnormTrainCombine : BatchnormRowBlocks {
  BatchnormTrainPartials partials;
  size_t partials_stride;
  const float* gamma;
  const float* beta;
  double eps, momentum;
  float* running_mean;  // updated in place
  float* running_var;
  float* cache_mean;     // mean rounded to float
  float* cache_inv_std;  // 1 / sqrt(var + eps)
  float* scale;          // gamma * inv_std, for the normalization pass
  float* shift;          // beta - (mean - cache_mean) * scale
};

// Where one tile writes its backward partial sums, per feature of the tile.
struct BatchnormGradPartials {
  float* dout_sum;      // sum_i dout_i
  float* dout_dev_sum;  // sum_i dout_i * (x_i - mean)
};

// Per-feature factors of the dx pass (see GradRows in batchnorm-inl.h).
struct BatchnormGradFactors {
  const float* mean;   // the cache's mean
  const float* dbeta;  // sum_i dout_i
  const float* slope;  // inv_std * dgamma
  const float* scale;  // gamma * inv_std / N
  float rows;          // N (exact in float up to 2^24 rows)
};

// Inputs and outputs of the per-feature combine after the backward sums pass.
struct BatchnormGradCombine : BatchnormRowBlocks {
  BatchnormGradPartials partials;
  size_t partials_stride;
  const float* gamma;
  const float* inv_std;  // the cache's
  float* dgamma;
  float* dbeta;
  float* slope;  // inv_std * dgamma
  float* scale;  // gamma * inv_std / N
};

}  // namespace simdnet::kernels
