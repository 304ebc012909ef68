// Dropout accuracy cases: SIMD versus reference at the row shapes, forward and
// backward, at a drop rate whose threshold has low bits (p = 0.1: elements
// whose top 8 bits tie with the threshold's draw their low 16 bits) and one
// without (0.5); and the extremes p = 1e-7 (threshold 2: ties at H = 0) and
// p = 0.999 (all top bits at or below the threshold's but 255).
#include <utility>

#include "simdnet/kernels/dropout.h"
#include "support/accuracy.h"

namespace simdnet::test {

std::vector<AccuracyCase> dropout_cases() {
  // The masks must agree exactly: a kept-versus-dropped disagreement is an
  // error of |x / (1 - p)| against a reference of 0 (or the reverse) and fails.
  const Tolerance tol{0, 0x1p-22,
                      "masks exact; kept values: x * float(1/(1-p)) (two float roundings) "
                      "vs x / (1-p) in double rounded once: < 3 * 2^-24 relative"};
  std::vector<AccuracyCase> cases;
  for (const RowShape& s : row_shapes()) {
    cases.push_back({"dropout_forward", s.name() + " p=0.1", [s, tol] {
                       const auto x = random_matrix(s.rows, s.cols, 11, -1, 1, s.stride);
                       kernels::Matrix got(s.rows, s.cols, s.stride), ref(s.rows, s.cols);
                       kernels::dropout_forward(x.view(), 0.1f, 1234, 5, got.view());
                       kernels::reference::dropout_forward(x.view(), 0.1f, 1234, 5, ref.view());
                       return CaseResult{compare(got.view(), ref.view(), tol), tol};
                     }});
    cases.push_back({"dropout_backward", s.name() + " p=0.5", [s, tol] {
                       const auto dout = random_matrix(s.rows, s.cols, 12, -1, 1, s.stride);
                       kernels::Matrix got(s.rows, s.cols, s.stride), ref(s.rows, s.cols);
                       kernels::dropout_backward(dout.view(), 0.5f, 99, 1ull << 40, got.view());
                       kernels::reference::dropout_backward(dout.view(), 0.5f, 99, 1ull << 40,
                                                            ref.view());
                       return CaseResult{compare(got.view(), ref.view(), tol), tol};
                     }});
  }
  for (const auto& [p, label] : {std::pair{1e-7f, " p=1e-7"}, std::pair{0.999f, " p=0.999"}}) {
    const RowShape s{97, 257, 0};
    cases.push_back({"dropout_forward", s.name() + label, [s, p = p, tol] {
                       const auto x = random_matrix(s.rows, s.cols, 13, -1, 1);
                       kernels::Matrix got(s.rows, s.cols), ref(s.rows, s.cols);
                       kernels::dropout_forward(x.view(), p, 5, 6, got.view());
                       kernels::reference::dropout_forward(x.view(), p, 5, 6, ref.view());
                       return CaseResult{compare(got.view(), ref.view(), tol), tol};
                     }});
  }
  return cases;
}

static const bool registered = register_accuracy_cases("dropout", dropout_cases);

}  // namespace simdnet::test
