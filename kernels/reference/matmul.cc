// Scalar reference for matmul: the definition, one element at a time.
//
//   C[i,j] = relu?( Σ_k op(A)[i,k]·op(B)[k,j] + bias[j] + (accumulate ? C[i,j] : 0) )
//   then, with a relu_mask y:  C[i,j] = y[i,j] > 0 ? C[i,j] : 0
//
// The sum runs over ascending k in double (for float inputs too: the reference
// is the ground truth the SIMD kernel's rounding is measured against). The
// loop order is chosen so that the innermost loop reads memory contiguously;
// it does not change the order of the sum of any element.
#include <algorithm>
#include <vector>

#include "kernels/matmul_check.h"
#include "simdnet/kernels/matmul.h"

namespace simdnet::kernels::reference {
namespace {

template <class T, class Bias>
void matmul_impl(MatmulForm form, MatrixViewOf<const T> a, MatrixViewOf<const T> b,
                 MatrixViewOf<T> c, bool accumulate, std::span<const Bias> bias, bool relu,
                 MatrixViewOf<const T> mask) {
  const auto d = detail::check_matmul("reference::matmul", form, a, b, c, bias.size());
  detail::check_relu_mask("reference::matmul", form, c, mask);
  const bool ta = form == MatmulForm::kTN, tb = form == MatmulForm::kNT;
  auto op_a = [&](size_t i, size_t k) -> double { return ta ? a.at(k, i) : a.at(i, k); };
  std::vector<double> row(d.n);
  for (size_t i = 0; i < d.m; ++i) {
    if (tb) {
      // op(B)[k,j] = B[j,k]: one contiguous dot product per element.
      for (size_t j = 0; j < d.n; ++j) {
        double sum = 0;
        for (size_t k = 0; k < d.k; ++k) sum += double(a.at(i, k)) * double(b.at(j, k));
        row[j] = sum;
      }
    } else {
      // op(B)[k,j] = B[k,j]: row[j] += op(A)[i,k]·B[k,j], k ascending for every j.
      std::fill(row.begin(), row.end(), 0.0);
      for (size_t k = 0; k < d.k; ++k) {
        const double aik = op_a(i, k);
        const T* brow = b.row(k);
        for (size_t j = 0; j < d.n; ++j) row[j] += aik * double(brow[j]);
      }
    }
    for (size_t j = 0; j < d.n; ++j) {
      double v = row[j];
      if (!bias.empty()) v += double(bias[j]);
      if (accumulate) v += double(c.at(i, j));
      if (relu) v = std::max(v, 0.0);
      if (mask.data && !(mask.at(i, j) > 0)) v = 0;
      c.at(i, j) = static_cast<T>(v);
    }
  }
}

}  // namespace

void matmul(MatmulForm form, ConstMatrixView a, ConstMatrixView b, MatrixView c,
            const MatmulEpilogue& e) {
  matmul_impl<float, float>(form, a, b, c, e.accumulate, e.bias, e.relu, e.relu_mask);
}

void matmul(MatmulForm form, ConstMatrixViewD a, ConstMatrixViewD b, MatrixViewD c,
            const MatmulEpilogueD& e) {
  matmul_impl<double, double>(form, a, b, c, e.accumulate, e.bias, e.relu, e.relu_mask);
}

}  // namespace simdnet::kernels::reference
