// Argument checks of matmul and reference::matmul: the shapes of A, B, C and
// the bias must fit the form. A mismatch throws std::invalid_argument naming
// the kernel, the form and the shapes, e.g.
//   "matmul NN: A is 3x4 but B is 5x6; expected A.cols == B.rows".
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "kernels/shape_check.h"
#include "simdnet/kernels/matmul.h"

namespace simdnet::kernels::detail {

// The product's dimensions: op(A) is m×k, op(B) is k×n.
struct MatmulDims {
  size_t m, n, k;
};

template <class T>
MatmulDims check_matmul(const char* kernel, MatmulForm form, const MatrixViewOf<const T>& a,
                        const MatrixViewOf<const T>& b, const MatrixViewOf<T>& c,
                        size_t bias_size) {
  const std::string name = std::string(kernel) + " " + matmul_form_name(form);
  check_view(name.c_str(), "A", a);
  check_view(name.c_str(), "B", b);
  check_view(name.c_str(), "C", c);
  // op(A) = A or Aᵀ, op(B) = B or Bᵀ.
  const bool ta = form == MatmulForm::kTN, tb = form == MatmulForm::kNT;
  const MatmulDims d{ta ? a.cols : a.rows, tb ? b.rows : b.cols, ta ? a.rows : a.cols};
  const size_t k_of_b = tb ? b.cols : b.rows;
  if (d.k != k_of_b) {
    const char* expected = ta ? "A.rows == B.rows" : tb ? "A.cols == B.cols" : "A.cols == B.rows";
    throw std::invalid_argument(name + ": A is " + shape_string(a) + " but B is " +
                                shape_string(b) + "; expected " + expected);
  }
  if (c.rows != d.m || c.cols != d.n) {
    throw std::invalid_argument(name + ": C is " + shape_string(c) + " but A is " +
                                shape_string(a) + " and B is " + shape_string(b) +
                                "; expected C to be " + std::to_string(d.m) + "x" +
                                std::to_string(d.n));
  }
  if (bias_size != 0 && bias_size != d.n) {
    throw std::invalid_argument(name + ": bias has " + std::to_string(bias_size) +
                                " elements; expected 0 or " + std::to_string(d.n) +
                                " (one per column of C)");
  }
  return d;
}

// The epilogue's ReLU mask: empty (null data) or C's shape.
template <class T>
void check_relu_mask(const char* kernel, MatmulForm form, const MatrixViewOf<T>& c,
                     const MatrixViewOf<const T>& mask) {
  if (mask.data == nullptr) return;
  const std::string name = std::string(kernel) + " " + matmul_form_name(form);
  check_view(name.c_str(), "relu_mask", mask);
  if (mask.rows != c.rows || mask.cols != c.cols) {
    throw std::invalid_argument(name + ": relu_mask is " + shape_string(mask) +
                                "; expected C's shape, " + shape_string(c));
  }
}

}  // namespace simdnet::kernels::detail
