// Bias accuracy cases: SIMD versus reference.
#include <cmath>
#include <limits>
#include <vector>

#include "simdnet/kernels/bias.h"
#include "support/accuracy.h"

namespace simdnet::test {
namespace {

constexpr double kEps = std::numeric_limits<float>::epsilon();

// Column sums over N rows of values in [-1, 1). The kernel adds in float (the
// reference in double, rounded once: eps/2 relative). Each float addition
// errs by at most eps/2 of the running sum, which for zero-mean data is about
// sqrt(N) in size; N such errors add up like a random walk to ~N * eps / 4.
// abs = 2 * N * eps leaves a margin of ~8 for the largest of D columns; a
// column sum near zero (cancellation) is judged by abs, not rel.
Tolerance column_sum_tolerance(size_t rows) {
  return {2.0 * double(rows) * kEps, kEps,
          "float sum of N rows in [-1,1): abs 2*N*eps (random-walk rounding of ~sqrt(N)-sized "
          "partial sums, cancellation), rel eps (the reference's final rounding)"};
}

// Many rows, few columns, several column panels, tails: the shapes that cut
// the reduction into many row blocks and panels, beside row_shapes().
std::vector<RowShape> reduction_shapes() {
  return {{1000, 3, 0}, {5000, 1, 0}, {300, 1500, 1501}, {1024, 4096, 0}, {0, 5, 0}};
}

}  // namespace

std::vector<AccuracyCase> bias_cases() {
  const Tolerance exact{0, 0, "exact: one float addition, rounded the same way by both"};
  std::vector<AccuracyCase> cases;
  for (const RowShape& s : row_shapes()) {
    cases.push_back({"bias_forward", s.name(), [s, exact] {
                       const auto x = random_matrix(s.rows, s.cols, 1, -1, 1, s.stride);
                       const auto b = random_vector(s.cols, 2);
                       kernels::Matrix got(s.rows, s.cols, s.stride), ref(s.rows, s.cols);
                       kernels::bias_forward(x.view(), b, got.view());
                       kernels::reference::bias_forward(x.view(), b, ref.view());
                       return CaseResult{compare(got.view(), ref.view(), exact), exact};
                     }});
  }
  auto shapes = row_shapes();
  const auto more = reduction_shapes();
  shapes.insert(shapes.end(), more.begin(), more.end());
  for (const RowShape& s : shapes) {
    cases.push_back({"bias_backward", s.name(), [s] {
                       const Tolerance tol = column_sum_tolerance(s.rows);
                       const auto dout = random_matrix(s.rows, s.cols, 3, -1, 1, s.stride);
                       // NaN-filled: db must be written, not accumulated into.
                       std::vector<float> got(s.cols, std::numeric_limits<float>::quiet_NaN());
                       std::vector<float> ref(s.cols);
                       kernels::bias_backward(dout.view(), got);
                       kernels::reference::bias_backward(dout.view(), ref);
                       return CaseResult{compare(std::span<const float>(got), ref, tol), tol};
                     }});
  }
  return cases;
}

static const bool registered = register_accuracy_cases("bias", bias_cases);

}  // namespace simdnet::test
