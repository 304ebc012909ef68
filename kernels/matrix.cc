#include "simdnet/kernels/matrix.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace simdnet::kernels {

void Matrix::AlignedFree::operator()(float* p) const { std::free(p); }

Matrix::Matrix(size_t rows, size_t cols, size_t stride)
    : rows_(rows), cols_(cols), stride_(stride == 0 ? cols : stride) {
  if (stride_ < cols_) {
    throw std::invalid_argument("Matrix: stride " + std::to_string(stride_) +
                                " is smaller than cols " + std::to_string(cols_));
  }
  size_t bytes = rows_ * stride_ * sizeof(float);
  bytes = (bytes + 63) / 64 * 64;  // aligned_alloc needs a multiple of the alignment
  if (bytes == 0) return;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  storage_.reset(static_cast<float*>(p));
}

}  // namespace simdnet::kernels
