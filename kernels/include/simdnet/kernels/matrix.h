// Matrices as the kernels see them: float32, row-major, explicit row stride.
//
// A view is four numbers and borrows its storage; a Matrix owns 64-byte aligned
// storage (one cache line, one AVX-512 vector) and hands out views. Kernels take
// views only, so a caller can pass a block of a bigger matrix (stride > cols).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>

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

// Owning, 64-byte aligned matrix of float (Matrix) or double (the references'
// double overloads, used by gradient checks). Its stride is cols unless a
// larger one is asked for (tests use that to exercise strided views).
// reshape() lets a layer size its activations by the batch and allocate only
// when a batch is larger than any before.
template <class T>
class MatrixOf {
 public:
  MatrixOf() = default;
  // rows x cols, zero-filled.
  MatrixOf(size_t rows, size_t cols, size_t stride = 0) {
    stride = stride == 0 ? cols : stride;
    if (stride < cols) {
      throw std::invalid_argument("Matrix: stride " + std::to_string(stride) +
                                  " is smaller than cols " + std::to_string(cols));
    }
    allocate(rows * stride);
    rows_ = rows, cols_ = cols, stride_ = stride;
  }

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t stride() const { return stride_; }
  T* data() { return storage_.get(); }
  const T* data() const { return storage_.get(); }
  T& at(size_t r, size_t c) { return storage_[r * stride_ + c]; }
  T at(size_t r, size_t c) const { return storage_[r * stride_ + c]; }

  MatrixViewOf<T> view() { return {data(), rows_, cols_, stride_}; }
  MatrixViewOf<const T> view() const { return {data(), rows_, cols_, stride_}; }
  // Whole storage including stride padding: rows * stride elements.
  std::span<T> storage() { return {data(), rows_ * stride_}; }
  std::span<const T> storage() const { return {data(), rows_ * stride_}; }

  // Makes this a dense rows x cols matrix (stride cols) and returns its view.
  // Keeps the storage, and whatever it holds, when rows * cols fits in it;
  // otherwise allocates zero-filled storage.
  MatrixViewOf<T> reshape(size_t rows, size_t cols) {
    if (rows * cols > capacity_) allocate(rows * cols);
    rows_ = rows, cols_ = cols, stride_ = cols;
    return view();
  }

  // How many times any MatrixOf<T> allocated storage: tests use it to show
  // that a training step in steady state allocates none.
  static size_t allocations() { return allocations_.load(std::memory_order_relaxed); }

 private:
  void allocate(size_t elements) {
    size_t bytes = (elements * sizeof(T) + 63) / 64 * 64;  // aligned_alloc: a multiple of 64
    capacity_ = elements;
    if (bytes == 0) return storage_.reset();
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    storage_.reset(static_cast<T*>(p));
    allocations_.fetch_add(1, std::memory_order_relaxed);
  }
  struct AlignedFree {
    void operator()(T* p) const { std::free(p); }
  };
  inline static std::atomic<size_t> allocations_{0};
  size_t rows_ = 0, cols_ = 0, stride_ = 0, capacity_ = 0;
  std::unique_ptr<T[], AlignedFree> storage_;
};

using Matrix = MatrixOf<float>;

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
