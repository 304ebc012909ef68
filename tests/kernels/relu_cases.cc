// ReLU accuracy cases: SIMD versus reference. ReLU is exact (a max and a
// select), so the tolerance is zero.
#include "simdnet/kernels/relu.h"
#include "support/accuracy.h"

namespace simdnet::test {

std::vector<AccuracyCase> relu_cases() {
  const Tolerance exact{0, 0, "exact: max and select do not round"};
  std::vector<AccuracyCase> cases;
  for (const RowShape& s : row_shapes()) {
    cases.push_back({"relu_forward", s.name(), [s, exact] {
                       const auto x = random_matrix(s.rows, s.cols, 1, -1, 1, s.stride);
                       kernels::Matrix got(s.rows, s.cols, s.stride), ref(s.rows, s.cols);
                       kernels::relu_forward(x.view(), got.view());
                       kernels::reference::relu_forward(x.view(), ref.view());
                       return CaseResult{compare(got.view(), ref.view(), exact), exact};
                     }});
    cases.push_back({"relu_backward", s.name(), [s, exact] {
                       const auto x = random_matrix(s.rows, s.cols, 2, -1, 1, s.stride);
                       const auto dout = random_matrix(s.rows, s.cols, 3, -1, 1, s.stride);
                       kernels::Matrix got(s.rows, s.cols, s.stride), ref(s.rows, s.cols);
                       kernels::relu_backward(dout.view(), x.view(), got.view());
                       kernels::reference::relu_backward(dout.view(), x.view(), ref.view());
                       return CaseResult{compare(got.view(), ref.view(), exact), exact};
                     }});
  }
  return cases;
}

static const bool registered = register_accuracy_cases("relu", relu_cases);

}  // namespace simdnet::test
