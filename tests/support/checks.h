// GoogleTest helpers shared by every kernel test: run a family's accuracy cases
// on the active Highway target, check bit-identity across thread counts, and
// CS231n-style numeric gradient checks in double.
#pragma once

#include <functional>
#include <vector>

#include "simdnet/kernels/matrix.h"
#include "support/accuracy.h"

namespace simdnet::test {

// EXPECTs every case to be within its tolerance, with kernel, shape and errors
// in the failure message.
void expect_cases_pass(const std::vector<AccuracyCase>& cases);

// Runs `run` (which returns all outputs of a kernel call, flattened) with 1, 2,
// 3 and 4 threads and EXPECTs the bytes to be identical.
void expect_bit_identical_across_threads(const std::function<std::vector<float>()>& run);

// A double matrix for the references' double overloads.
struct MatrixD {
  size_t rows = 0, cols = 0;
  std::vector<double> data;
  MatrixD(size_t r, size_t c) : rows(r), cols(c), data(r * c) {}
  kernels::MatrixViewD view() { return {data.data(), rows, cols, cols}; }
  kernels::ConstMatrixViewD view() const { return {data.data(), rows, cols, cols}; }
};
MatrixD random_matrix_d(size_t rows, size_t cols, unsigned seed, double lo = -1, double hi = 1);

// CS231n's rel_error: max |a - b| / max(floor, |a| + |b|), floor = 1e-8 as
// theirs (a larger floor stops judging near-zero elements relative to themselves).
double rel_error(const std::vector<double>& a, const std::vector<double>& b, double floor = 1e-8);

// Numeric gradient of the scalar sum(f(x) .* dout) with respect to x, by
// centered differences (f(x + h) - f(x - h)) / 2h, in double. `f` evaluates the
// function at the current x (it reads x by reference) and returns its output.
std::vector<double> numeric_gradient(const std::function<std::vector<double>()>& f,
                                     std::vector<double>& x, const std::vector<double>& dout,
                                     double h = 1e-5);

}  // namespace simdnet::test
