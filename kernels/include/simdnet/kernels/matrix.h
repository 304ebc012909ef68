// Matrices as the kernels see them: float32, row-major, explicit row stride.
//
// A view is four numbers and borrows its storage; a Matrix owns 64-byte aligned
// storage (one cache line, one AVX-512 vector) and hands out views. Kernels take
// views only, so a caller can pass a block of a bigger matrix (stride > cols).
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace simdnet::kernels {

template <class T>
struct MatrixViewOf {
  T* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
  size_t stride = 0;  // elements between the starts of consecutive rows, >= cols

  T* row(size_t r) const { return data + r * stride; }
  T& at(size_t r, size_t c) const { return data[r * stride + c]; }
  size_t size() const { return rows * cols; }
  // Rows [begin, begin + count) as a view of their own.
  MatrixViewOf rows_from(size_t begin, size_t count) const {
    return {data + begin * stride, count, cols, stride};
  }
  // A mutable view converts to a const one, never the other way.
  operator MatrixViewOf<const T>() const { return {data, rows, cols, stride}; }
};

using MatrixView = MatrixViewOf<float>;
using ConstMatrixView = MatrixViewOf<const float>;
// Double views: the references also run in double, for gradient checks.
using MatrixViewD = MatrixViewOf<double>;
using ConstMatrixViewD = MatrixViewOf<const double>;

// Owning, 64-byte aligned, zero-initialized matrix. Its stride is cols unless a
// larger one is asked for (tests use that to exercise strided views).
class Matrix {
 public:
  Matrix() = default;
  Matrix(size_t rows, size_t cols, size_t stride = 0);

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t stride() const { return stride_; }
  float* data() { return storage_.get(); }
  const float* data() const { return storage_.get(); }
  float& at(size_t r, size_t c) { return storage_[r * stride_ + c]; }
  float at(size_t r, size_t c) const { return storage_[r * stride_ + c]; }

  MatrixView view() { return {data(), rows_, cols_, stride_}; }
  ConstMatrixView view() const { return {data(), rows_, cols_, stride_}; }
  // Whole storage including stride padding: rows * stride elements.
  std::span<float> storage() { return {data(), rows_ * stride_}; }
  std::span<const float> storage() const { return {data(), rows_ * stride_}; }

 private:
  struct AlignedFree {
    void operator()(float* p) const;
  };
  size_t rows_ = 0, cols_ = 0, stride_ = 0;
  std::unique_ptr<float[], AlignedFree> storage_;
};

// A 64-byte aligned float buffer, for vectors (biases, gamma, optimizer state).
class AlignedVector {
 public:
  AlignedVector() = default;
  explicit AlignedVector(size_t n) : matrix_(1, n) {}
  size_t size() const { return matrix_.cols(); }
  float* data() { return matrix_.data(); }
  const float* data() const { return matrix_.data(); }
  float& operator[](size_t i) { return matrix_.data()[i]; }
  float operator[](size_t i) const { return matrix_.data()[i]; }
  std::span<float> span() { return {data(), size()}; }
  std::span<const float> span() const { return {data(), size()}; }

 private:
  Matrix matrix_;
};

}  // namespace simdnet::kernels
