// An owning, 64-byte aligned matrix of float or double for the layers: their
// activations and gradients, and the double network's parameters (the public
// kernels::Matrix is float-only; the gradient checks run the net in double).
//
// Activations are sized by the batch: reshape() keeps the storage when the new
// shape fits in it, so a training loop allocates on its first batch only.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>

#include "simdnet/kernels/matrix.h"

namespace simdnet::nets {

template <class T>
class OwnedMatrix {
 public:
  OwnedMatrix() = default;
  // rows x cols, zero-filled, stride = cols.
  OwnedMatrix(size_t rows, size_t cols) { reshape(rows, cols); }

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  T* data() { return storage_.get(); }
  const T* data() const { return storage_.get(); }
  T& at(size_t r, size_t c) { return storage_[r * cols_ + c]; }
  T at(size_t r, size_t c) const { return storage_[r * cols_ + c]; }

  kernels::MatrixViewOf<T> view() { return {data(), rows_, cols_, cols_}; }
  kernels::MatrixViewOf<const T> view() const { return {data(), rows_, cols_, cols_}; }
  std::span<T> storage() { return {data(), rows_ * cols_}; }
  std::span<const T> storage() const { return {data(), rows_ * cols_}; }

  // Makes this a rows x cols matrix (stride cols) and returns its view.
  // Allocates (zero-filled) only when rows * cols exceeds the capacity;
  // otherwise the contents are whatever the storage held.
  kernels::MatrixViewOf<T> reshape(size_t rows, size_t cols) {
    const size_t n = rows * cols;
    if (n > capacity_) {
      allocations_.fetch_add(1, std::memory_order_relaxed);
      size_t bytes = (n * sizeof(T) + 63) / 64 * 64;  // aligned_alloc: a multiple of 64
      void* p = std::aligned_alloc(64, bytes);
      if (!p) throw std::bad_alloc();
      std::memset(p, 0, bytes);
      storage_.reset(static_cast<T*>(p));
      capacity_ = n;
    }
    rows_ = rows;
    cols_ = cols;
    return view();
  }

  // How many times any OwnedMatrix<T> allocated storage: the tests check that
  // a training step in steady state allocates none.
  static size_t allocations() { return allocations_.load(std::memory_order_relaxed); }

 private:
  inline static std::atomic<size_t> allocations_{0};
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  size_t rows_ = 0, cols_ = 0, capacity_ = 0;
  std::unique_ptr<T[], Free> storage_;
};

}  // namespace simdnet::nets
