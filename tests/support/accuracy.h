// Kernel-versus-reference comparison, shared by the GoogleTest suite and the
// accuracy report (tests/accuracy_report.cc), so both hold every kernel to the
// same tolerance.
//
// An element passes when |got - ref| <= abs + rel * |ref|. The report shows the
// largest absolute error and the largest relative error |got - ref| / |ref|
// (over elements with |ref| > abs, where a relative error means something).
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "simdnet/kernels/matrix.h"

namespace simdnet::test {

struct Tolerance {
  double abs = 0;
  double rel = 0;
  std::string why;  // the justification, printed in the report
};

struct ErrorStats {
  double max_abs = 0;
  double max_rel = 0;
  double max_tolerance_used = 0;  // max over elements of |got - ref| / (abs + rel |ref|): <= 1 passes
  size_t failures = 0;  // elements outside the tolerance
  size_t count = 0;
  size_t first_failure = 0;  // index of the first failing element
  bool ok() const { return failures == 0; }
};

ErrorStats compare(std::span<const float> got, std::span<const float> ref, const Tolerance& tol);
ErrorStats compare(kernels::ConstMatrixView got, kernels::ConstMatrixView ref, const Tolerance& tol);
// Merges the statistics of several outputs of one kernel (e.g. dx, dgamma, dbeta).
ErrorStats merge(const ErrorStats& a, const ErrorStats& b);

struct CaseResult {
  ErrorStats error;
  Tolerance tolerance;
};

// One kernel at one shape: runs the SIMD kernel (on whatever Highway target is
// active) and its reference on the same inputs and compares.
struct AccuracyCase {
  std::string kernel;  // e.g. "relu_forward"
  std::string shape;   // e.g. "256x1024" or "128x784*784x512 NN"
  std::function<CaseResult()> run;
};

// Every family contributes its cases (tests/kernels/<family>_cases.cc), which
// its GoogleTest file runs per target and which register themselves for the
// accuracy report with
//   static const bool registered = register_accuracy_cases("relu", relu_cases);
using CaseList = std::vector<AccuracyCase> (*)();
bool register_accuracy_cases(const std::string& family, CaseList cases);
std::vector<AccuracyCase> relu_cases();
std::vector<AccuracyCase> bias_cases();
std::vector<AccuracyCase> matmul_cases();
std::vector<AccuracyCase> softmax_cross_entropy_cases();
std::vector<AccuracyCase> batchnorm_cases();
std::vector<AccuracyCase> dropout_cases();
std::vector<AccuracyCase> optimizer_cases();

// All registered families' cases, families in name order.
std::vector<AccuracyCase> all_accuracy_cases();

// Deterministic pseudo-random inputs in [lo, hi) (no dependence on the kernels'
// own generator), a matrix with optional stride padding filled with NaN so a
// kernel that reads padding shows it.
kernels::Matrix random_matrix(size_t rows, size_t cols, unsigned seed, float lo = -1.0f,
                              float hi = 1.0f, size_t stride = 0);
std::vector<float> random_vector(size_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f);

// Shapes shared by the row-wise kernels: 1, primes, tails shorter than one
// vector, the benchmark shapes, and a strided view.
struct RowShape {
  size_t rows, cols, stride;  // stride 0: dense
  std::string name() const;
};
std::vector<RowShape> row_shapes();

}  // namespace simdnet::test
