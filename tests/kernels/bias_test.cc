#include "simdnet/kernels/bias.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "support/checks.h"
#include "support/errors.h"

namespace simdnet::test {
namespace {

// Runs once per Highway target compiled into the library (AVX3, AVX2, SSE4, ...).
class BiasTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(BiasTest);

TEST_P(BiasTest, MatchesReference) { expect_cases_pass(bias_cases()); }

// y may alias x: the forward in place on a strided view, padding untouched.
TEST_P(BiasTest, InPlaceForward) {
  auto x = random_matrix(9, 37, 4, -1, 1, 40);
  const auto b = random_vector(37, 5);
  kernels::Matrix ref(9, 37);
  kernels::reference::bias_forward(x.view(), b, ref.view());
  kernels::bias_forward(x.view(), b, x.view());
  EXPECT_TRUE(compare(x.view(), ref.view(), {}).ok());
  for (size_t r = 0; r < 9; ++r)
    for (size_t c = 37; c < 40; ++c) EXPECT_TRUE(std::isnan(x.at(r, c))) << "padding written";
}

TEST(Bias, BitIdenticalAcrossThreads) {
  // Wide (many row blocks x column panels) and tall-narrow (many row blocks of one panel).
  const auto wide = random_matrix(1024, 4096, 5);
  const auto tall = random_matrix(20000, 7, 6);
  const auto b = random_vector(4096, 7);
  expect_bit_identical_across_threads([&] {
    kernels::Matrix y(1024, 4096);
    std::vector<float> db_wide(4096), db_tall(7);
    kernels::bias_forward(wide.view(), b, y.view());
    kernels::bias_backward(wide.view(), db_wide);
    kernels::bias_backward(tall.view(), db_tall);
    std::vector<float> out(y.storage().begin(), y.storage().end());
    out.insert(out.end(), db_wide.begin(), db_wide.end());
    out.insert(out.end(), db_tall.begin(), db_tall.end());
    return out;
  });
}

TEST(Bias, WrongBiasLengthNamesTheArgument) {
  kernels::Matrix x(4, 5), y(4, 5);
  std::vector<float> b(6), db(4);
  EXPECT_EQ("bias_forward: b has 6 elements; expected 5",
            error_of<std::invalid_argument>([&] { kernels::bias_forward(x.view(), b, y.view()); }));
  EXPECT_EQ("bias_backward: db has 4 elements; expected 5",
            error_of<std::invalid_argument>([&] { kernels::bias_backward(x.view(), db); }));
}

// CS231n: analytic gradients of y = x + b against centered differences of
// sum(y .* dout), in double, on the reference: dx = dout, db = column sums of
// dout. The function is linear, so the differences are exact up to rounding
// (rel_error ~1e-10); CS231n accepts < 1e-7, we hold it to 1e-8.
TEST(Bias, GradientCheck) {
  MatrixD x = random_matrix_d(10, 7, 8);
  const MatrixD b_matrix = random_matrix_d(1, 7, 9);
  std::vector<double> b = b_matrix.data;
  const MatrixD dout = random_matrix_d(10, 7, 10);
  const auto forward = [&] {
    MatrixD y(10, 7);
    kernels::reference::bias_forward(x.view(), b, y.view());
    return y.data;
  };
  std::vector<double> db(7);
  kernels::reference::bias_backward(dout.view(), db);
  EXPECT_LT(rel_error(dout.data, numeric_gradient(forward, x.data, dout.data)), 1e-8);
  EXPECT_LT(rel_error(db, numeric_gradient(forward, b, dout.data)), 1e-8);
}

}  // namespace
}  // namespace simdnet::test
