// Argument checks shared by the kernels' public entry points. A mismatch is a
// programming error in the caller; it throws std::invalid_argument naming the
// kernel, the argument and both shapes, instead of reading out of bounds.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "simdnet/kernels/matrix.h"

namespace simdnet::kernels::detail {

template <class T>
std::string shape_string(const MatrixViewOf<T>& m) {
  return std::to_string(m.rows) + "x" + std::to_string(m.cols) +
         (m.stride != m.cols ? " (stride " + std::to_string(m.stride) + ")" : "");
}

template <class T>
void check_view(const char* kernel, const char* arg, const MatrixViewOf<T>& m) {
  if (m.stride < m.cols || (m.data == nullptr && m.rows * m.cols != 0)) {
    throw std::invalid_argument(std::string(kernel) + ": " + arg + " is an invalid view " +
                                shape_string(m) + " (stride must be >= cols, data non-null)");
  }
}

template <class A, class B>
void check_same_shape(const char* kernel, const char* a_name, const MatrixViewOf<A>& a,
                      const char* b_name, const MatrixViewOf<B>& b) {
  check_view(kernel, a_name, a);
  check_view(kernel, b_name, b);
  if (a.rows != b.rows || a.cols != b.cols) {
    throw std::invalid_argument(std::string(kernel) + ": " + a_name + " is " + shape_string(a) +
                                " but " + b_name + " is " + shape_string(b) +
                                "; expected the same shape");
  }
}

inline void check_length(const char* kernel, const char* name, size_t got, size_t expected) {
  if (got != expected) {
    throw std::invalid_argument(std::string(kernel) + ": " + name + " has " + std::to_string(got) +
                                " elements; expected " + std::to_string(expected));
  }
}

}  // namespace simdnet::kernels::detail
