#include "simdnet/kernels/relu.h"

#include <gtest/gtest.h>

#include "hwy/tests/hwy_gtest.h"
#include "support/checks.h"
#include "support/errors.h"

namespace simdnet::test {
namespace {

// Runs once per Highway target compiled into the library (AVX3, AVX2, SSE4, ...).
class ReluTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(ReluTest);

TEST_P(ReluTest, MatchesReference) { expect_cases_pass(relu_cases()); }

TEST_P(ReluTest, InPlaceForward) {
  auto x = random_matrix(9, 37, 4);
  kernels::Matrix ref(9, 37);
  kernels::reference::relu_forward(x.view(), ref.view());
  kernels::relu_forward(x.view(), x.view());
  EXPECT_TRUE(compare(x.view(), ref.view(), {}).ok());
}

TEST(Relu, BitIdenticalAcrossThreads) {
  const auto x = random_matrix(1024, 4096, 5);
  const auto dout = random_matrix(1024, 4096, 6);
  expect_bit_identical_across_threads([&] {
    kernels::Matrix y(1024, 4096), dx(1024, 4096);
    kernels::relu_forward(x.view(), y.view());
    kernels::relu_backward(dout.view(), x.view(), dx.view());
    std::vector<float> out(y.storage().begin(), y.storage().end());
    out.insert(out.end(), dx.storage().begin(), dx.storage().end());
    return out;
  });
}

TEST(Relu, ShapeMismatchNamesTheArguments) {
  kernels::Matrix x(4, 5), y(4, 6);
  EXPECT_EQ("relu_forward: x is 4x5 but y is 4x6; expected the same shape",
            error_of<std::invalid_argument>([&] { kernels::relu_forward(x.view(), y.view()); }));
}

// CS231n: the analytic gradient of relu against centered differences, in
// double, on the reference; rel_error below 1e-9 (CS231n accepts < 1e-7 for
// relu_backward; the inputs avoid |x| < 1e-3 where the kink is).
TEST(Relu, GradientCheck) {
  MatrixD x = random_matrix_d(10, 10, 7);
  for (double& v : x.data) v += v > 0 ? 1e-3 : -1e-3;
  const MatrixD dout = random_matrix_d(10, 10, 8);
  MatrixD dx(10, 10);
  kernels::reference::relu_backward(dout.view(), x.view(), dx.view());
  const auto numeric = numeric_gradient(
      [&] {
        MatrixD y(10, 10);
        kernels::reference::relu_forward(x.view(), y.view());
        return y.data;
      },
      x.data, dout.data);
  EXPECT_LT(rel_error(dx.data, numeric), 1e-9);
}

}  // namespace
}  // namespace simdnet::test
