#include "simdnet/kernels/batchnorm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "support/checks.h"
#include "support/errors.h"

namespace simdnet::test {
namespace {

using kernels::Matrix;
constexpr float kEpsilon = kernels::kBatchnormEps, kMomentum = kernels::kBatchnormMomentum;
constexpr double kFloatEps = std::numeric_limits<float>::epsilon();

using TrainFunction = void (*)(kernels::ConstMatrixView, std::span<const float>,
                               std::span<const float>, float, float, std::span<float>,
                               std::span<float>, kernels::MatrixView, kernels::BatchnormCache);

Matrix copy_of(const Matrix& m) {
  Matrix copy(m.rows(), m.cols(), m.stride());
  std::copy(m.storage().begin(), m.storage().end(), copy.storage().begin());
  return copy;
}

// Per-feature vectors of one training call, and its output.
struct TrainState {
  Matrix out;
  std::vector<float> running_mean, running_var, mean, inv_std;
  TrainState(size_t rows, size_t cols, std::vector<float> rm, std::vector<float> rv)
      : out(rows, cols),
        running_mean(std::move(rm)),
        running_var(std::move(rv)),
        mean(cols),
        inv_std(cols) {}
  kernels::BatchnormCache cache() { return {mean, inv_std}; }
};

// Runs once per Highway target compiled into the library (AVX3, AVX2, SSE4, ...).
class BatchnormTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(BatchnormTest);

TEST_P(BatchnormTest, MatchesReference) { expect_cases_pass(batchnorm_cases()); }

// The definitions worked by hand, for the kernel and the reference: column 0
// is {1, 3} (mean 2, biased var 1), column 1 is {5, 5} (mean 5, var 0).
TEST_P(BatchnormTest, KnownValues) {
  Matrix x(2, 2);
  x.at(0, 0) = 1, x.at(1, 0) = 3, x.at(0, 1) = 5, x.at(1, 1) = 5;
  const std::vector<float> gamma{2, 1}, beta{0.5f, -1};
  const double inv_std0 = 1 / std::sqrt(1 + 1e-5), inv_std1 = 1 / std::sqrt(1e-5);
  for (bool reference : {false, true}) {
    SCOPED_TRACE(reference ? "reference" : "simd");
    TrainState s(2, 2, {0, 1}, {1, 2});
    const TrainFunction forward =
        reference ? static_cast<TrainFunction>(kernels::reference::batchnorm_forward_train)
                  : static_cast<TrainFunction>(kernels::batchnorm_forward_train);
    forward(x.view(), gamma, beta, 1e-5f, 0.9f, s.running_mean, s.running_var, s.out.view(),
            s.cache());
    const double tol = 4 * kFloatEps;
    EXPECT_NEAR(s.out.at(0, 0), 0.5 - 2 * inv_std0, tol);  // gamma * x_hat + beta
    EXPECT_NEAR(s.out.at(1, 0), 0.5 + 2 * inv_std0, tol);
    EXPECT_EQ(s.out.at(0, 1), -1.0f);  // x_hat = 0: out = beta
    EXPECT_EQ(s.out.at(1, 1), -1.0f);
    EXPECT_EQ(s.mean[0], 2.0f);
    EXPECT_EQ(s.mean[1], 5.0f);
    EXPECT_NEAR(s.inv_std[0], inv_std0, tol);
    EXPECT_NEAR(s.inv_std[1], inv_std1, tol * inv_std1);
    // running = 0.9 * running + 0.1 * batch statistic
    EXPECT_NEAR(s.running_mean[0], 0.2, tol);
    EXPECT_NEAR(s.running_mean[1], 0.9 + 0.5, tol);
    EXPECT_NEAR(s.running_var[0], 0.9 + 0.1, tol);
    EXPECT_NEAR(s.running_var[1], 1.8, tol);
  }
}

// N = 1: var = 0, x_hat = 0, so out = beta, and nothing depends on x: dx = 0.
TEST_P(BatchnormTest, SingleRowBatch) {
  const size_t cols = 37;  // full vectors and a tail on every target
  const auto x = random_matrix(1, cols, 21);
  const auto dout = random_matrix(1, cols, 22);
  const auto gamma = random_vector(cols, 23, 0.5f, 1.5f), beta = random_vector(cols, 24);
  TrainState s(1, cols, random_vector(cols, 25), random_vector(cols, 26, 0.5f, 1.5f));
  const std::vector<float> running_var_before = s.running_var;
  kernels::batchnorm_forward_train(x.view(), gamma, beta, kEpsilon, kMomentum, s.running_mean,
                                   s.running_var, s.out.view(), s.cache());
  Matrix dx(1, cols);
  std::vector<float> dgamma(cols, -1), dbeta(cols, -1);
  kernels::batchnorm_backward(dout.view(), x.view(), gamma, s.cache(), dx.view(), dgamma, dbeta);
  for (size_t j = 0; j < cols; ++j) {
    EXPECT_EQ(s.out.at(0, j), beta[j]) << j;
    EXPECT_EQ(s.mean[j], x.at(0, j)) << j;
    EXPECT_NEAR(s.inv_std[j], 1 / std::sqrt(1e-5), 2 * kFloatEps / std::sqrt(1e-5)) << j;
    EXPECT_NEAR(s.running_var[j], 0.9 * running_var_before[j], 2 * kFloatEps) << j;
    EXPECT_EQ(dx.at(0, j), 0.0f) << j;
    EXPECT_EQ(dgamma[j], 0.0f) << j;
    EXPECT_EQ(dbeta[j], dout.at(0, j)) << j;
  }
}

// x = 1e4 + U(-1, 1): var ~ 1/3 while E[x^2] ~ 1e8. The kernel's variance
// (from inv_std) stays within 64 eps of the double reference's; the textbook
// one-pass formula E[x^2] - E[x]^2 in float, on the same data, is off by far
// more than the variance itself (shown, so this test can tell the difference).
TEST_P(BatchnormTest, VarianceIsStableForLargeMean) {
  const size_t rows = 256, cols = 40;
  const auto x = random_matrix(rows, cols, 27, 1e4f - 1, 1e4f + 1);
  const std::vector<float> gamma(cols, 1), beta(cols, 0);
  TrainState got(rows, cols, std::vector<float>(cols), std::vector<float>(cols));
  TrainState ref(rows, cols, std::vector<float>(cols), std::vector<float>(cols));
  kernels::batchnorm_forward_train(x.view(), gamma, beta, kEpsilon, 0, got.running_mean,
                                   got.running_var, got.out.view(), got.cache());
  kernels::reference::batchnorm_forward_train(x.view(), gamma, beta, kEpsilon, 0, ref.running_mean,
                                              ref.running_var, ref.out.view(), ref.cache());
  double worst_naive = 0;
  for (size_t j = 0; j < cols; ++j) {
    // momentum 0: running_var is the batch variance itself.
    EXPECT_NEAR(got.running_var[j], ref.running_var[j], 64 * kFloatEps * ref.running_var[j]) << j;
    EXPECT_NEAR(got.inv_std[j], ref.inv_std[j], 32 * kFloatEps * ref.inv_std[j]) << j;
    float sum = 0, sum_sq = 0;
    for (size_t i = 0; i < rows; ++i) sum += x.at(i, j), sum_sq += x.at(i, j) * x.at(i, j);
    const float naive = sum_sq / rows - (sum / rows) * (sum / rows);
    worst_naive =
        std::max(worst_naive, std::fabs(double(naive) - ref.running_var[j]) / ref.running_var[j]);
  }
  EXPECT_GT(worst_naive, 1.0) << "the naive float variance should fail on this data";
}

// With momentum 0 the running statistics become the batch's, and inference
// with them reproduces the training output; momentum 1 leaves them unchanged.
TEST_P(BatchnormTest, InferenceWithBatchStatisticsMatchesTraining) {
  const size_t rows = 200, cols = 77;
  const auto x = random_matrix(rows, cols, 28, 2, 5);
  const auto gamma = random_vector(cols, 29, 0.5f, 1.5f), beta = random_vector(cols, 30);
  TrainState s(rows, cols, random_vector(cols, 31), random_vector(cols, 32, 0.5f, 1.5f));
  TrainState kept(rows, cols, s.running_mean, s.running_var);
  kernels::batchnorm_forward_train(x.view(), gamma, beta, kEpsilon, 1, kept.running_mean,
                                   kept.running_var, kept.out.view(), kept.cache());
  EXPECT_EQ(kept.running_mean, s.running_mean);
  EXPECT_EQ(kept.running_var, s.running_var);

  kernels::batchnorm_forward_train(x.view(), gamma, beta, kEpsilon, 0, s.running_mean,
                                   s.running_var, s.out.view(), s.cache());
  Matrix inferred(rows, cols);
  kernels::batchnorm_forward_inference(x.view(), gamma, beta, s.running_mean, s.running_var,
                                       kEpsilon, inferred.view());
  // |out| <= 1.5 * 1.8 + 0.5; both outputs within ~R eps of the exact one.
  const Tolerance tol{128 * kFloatEps * 3.2, 0, "two forward tolerances"};
  const auto e = compare(inferred.view(), s.out.view(), tol);
  EXPECT_TRUE(e.ok()) << "max abs err " << e.max_abs;
}

// out may alias x, dx may alias dout or x: same bits as out of place.
TEST_P(BatchnormTest, InPlace) {
  const size_t rows = 70, cols = 45;
  const auto x = random_matrix(rows, cols, 33), dout = random_matrix(rows, cols, 34);
  const auto gamma = random_vector(cols, 35, 0.5f, 1.5f), beta = random_vector(cols, 36);
  const auto rm = random_vector(cols, 37), rv = random_vector(cols, 38, 0.5f, 1.5f);
  auto same_bits = [](const Matrix& a, const Matrix& b) {
    return std::memcmp(a.data(), b.data(), a.storage().size_bytes()) == 0;
  };
  TrainState s(rows, cols, rm, rv), t(rows, cols, rm, rv);
  kernels::batchnorm_forward_train(x.view(), gamma, beta, kEpsilon, kMomentum, s.running_mean,
                                   s.running_var, s.out.view(), s.cache());
  Matrix inout = copy_of(x);
  kernels::batchnorm_forward_train(inout.view(), gamma, beta, kEpsilon, kMomentum, t.running_mean,
                                   t.running_var, inout.view(), t.cache());
  EXPECT_TRUE(same_bits(inout, s.out)) << "forward_train";

  inout = copy_of(x);
  kernels::batchnorm_forward_inference(x.view(), gamma, beta, rm, rv, kEpsilon, s.out.view());
  kernels::batchnorm_forward_inference(inout.view(), gamma, beta, rm, rv, kEpsilon, inout.view());
  EXPECT_TRUE(same_bits(inout, s.out)) << "forward_inference";

  Matrix dx(rows, cols);
  std::vector<float> dgamma(cols), dbeta(cols);
  kernels::batchnorm_backward(dout.view(), x.view(), gamma, s.cache(), dx.view(), dgamma, dbeta);
  Matrix dout_dx = copy_of(dout), x_dx = copy_of(x);
  kernels::batchnorm_backward(dout_dx.view(), x.view(), gamma, s.cache(), dout_dx.view(), dgamma,
                              dbeta);
  kernels::batchnorm_backward(dout.view(), x_dx.view(), gamma, s.cache(), x_dx.view(), dgamma,
                              dbeta);
  EXPECT_TRUE(same_bits(dout_dx, dx)) << "backward, dx aliasing dout";
  EXPECT_TRUE(same_bits(x_dx, dx)) << "backward, dx aliasing x";
}

// Many tiles (16 row blocks, the last partial; 3 column groups, the last
// partial) so threads really split the work; all outputs compared bytewise.
TEST(Batchnorm, BitIdenticalAcrossThreads) {
  const size_t rows = 1000, cols = 1500;
  const auto x = random_matrix(rows, cols, 40, -3, 5), dout = random_matrix(rows, cols, 41);
  const auto gamma = random_vector(cols, 42, 0.5f, 1.5f), beta = random_vector(cols, 43);
  const auto rm = random_vector(cols, 44), rv = random_vector(cols, 45, 0.5f, 1.5f);
  expect_bit_identical_across_threads([&] {
    TrainState s(rows, cols, rm, rv);
    kernels::batchnorm_forward_train(x.view(), gamma, beta, kEpsilon, kMomentum, s.running_mean,
                                     s.running_var, s.out.view(), s.cache());
    Matrix inferred(rows, cols), dx(rows, cols);
    kernels::batchnorm_forward_inference(x.view(), gamma, beta, rm, rv, kEpsilon, inferred.view());
    std::vector<float> dgamma(cols), dbeta(cols);
    kernels::batchnorm_backward(dout.view(), x.view(), gamma, s.cache(), dx.view(), dgamma, dbeta);
    const std::vector<std::span<const float>> parts{
        s.out.storage(),    s.running_mean, s.running_var, s.mean, s.inv_std,
        inferred.storage(), dx.storage(),   dgamma,        dbeta};
    std::vector<float> all;
    for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
    return all;
  });
}

// Calls `call` and EXPECTs std::invalid_argument with exactly `message`.
void expect_invalid(const std::function<void()>& call, const std::string& message) {
  EXPECT_EQ(message, error_of<std::invalid_argument>(call));
}

TEST(Batchnorm, BadArgumentsNameTheArgument) {
  const size_t rows = 4, cols = 5;
  Matrix x(rows, cols), out(rows, cols), wide(rows, cols + 1), empty(0, cols);
  std::vector<float> v(cols, 1), v6(cols + 1, 1), rm(cols), rv(cols, 1), mean(cols), inv(cols);
  const kernels::BatchnormCache cache{mean, inv};

  // Training forward, SIMD and reference: one bad argument at a time.
  const std::pair<std::string, TrainFunction> trains[] = {
      {"batchnorm_forward_train", kernels::batchnorm_forward_train},
      {"reference::batchnorm_forward_train", kernels::reference::batchnorm_forward_train}};
  for (const auto& [name, train] : trains) {
    const std::string k = name + ": ";
    expect_invalid([&] { train(x.view(), v, v, 1e-5f, 0.9f, rm, rv, wide.view(), cache); },
                   k + "x is 4x5 but out is 4x6; expected the same shape");
    expect_invalid([&] { train(empty.view(), v, v, 1e-5f, 0.9f, rm, rv, empty.view(), cache); },
                   k + "x is 0x5; the batch statistics need at least one row");
    expect_invalid([&] { train(x.view(), v6, v, 1e-5f, 0.9f, rm, rv, out.view(), cache); },
                   k + "gamma has 6 elements; expected 5");
    expect_invalid([&] { train(x.view(), v, v6, 1e-5f, 0.9f, rm, rv, out.view(), cache); },
                   k + "beta has 6 elements; expected 5");
    expect_invalid([&] { train(x.view(), v, v, 1e-5f, 0.9f, v6, rv, out.view(), cache); },
                   k + "running_mean has 6 elements; expected 5");
    expect_invalid([&] { train(x.view(), v, v, 1e-5f, 0.9f, rm, v6, out.view(), cache); },
                   k + "running_var has 6 elements; expected 5");
    expect_invalid(
        [&] {
          train(x.view(), v, v, 1e-5f, 0.9f, rm, rv, out.view(), {v6, inv});
        },
        k + "cache.mean has 6 elements; expected 5");
    expect_invalid(
        [&] {
          train(x.view(), v, v, 1e-5f, 0.9f, rm, rv, out.view(), {mean, v6});
        },
        k + "cache.inv_std has 6 elements; expected 5");
    expect_invalid([&] { train(x.view(), v, v, 0, 0.9f, rm, rv, out.view(), cache); },
                   k + "eps is 0; expected eps > 0");
    expect_invalid([&] { train(x.view(), v, v, -1e-5f, 0.9f, rm, rv, out.view(), cache); },
                   k + "eps is -1e-05; expected eps > 0");
    expect_invalid([&] { train(x.view(), v, v, 1e-5f, 1.5f, rm, rv, out.view(), cache); },
                   k + "momentum is 1.5; expected a value in [0, 1]");
    expect_invalid([&] { train(x.view(), v, v, 1e-5f, -0.1f, rm, rv, out.view(), cache); },
                   k + "momentum is -0.1; expected a value in [0, 1]");
    expect_invalid(
        [&] {
          train(x.view(), v, v, 1e-5f, std::numeric_limits<float>::quiet_NaN(), rm, rv, out.view(),
                cache);
        },
        k + "momentum is nan; expected a value in [0, 1]");
  }

  expect_invalid(
      [&] { kernels::batchnorm_forward_inference(x.view(), v, v, rm, v6, 1e-5f, out.view()); },
      "batchnorm_forward_inference: running_var has 6 elements; expected 5");
  expect_invalid(
      [&] { kernels::batchnorm_forward_inference(x.view(), v, v, rm, rv, 0, out.view()); },
      "batchnorm_forward_inference: eps is 0; expected eps > 0");
  expect_invalid(
      [&] {
        kernels::reference::batchnorm_forward_inference(x.view(), v6, v, rm, rv, 1e-5f, out.view());
      },
      "reference::batchnorm_forward_inference: gamma has 6 elements; expected 5");

  std::vector<float> dgamma(cols), dbeta(cols);
  expect_invalid(
      [&] {
        kernels::batchnorm_backward(wide.view(), x.view(), v, cache, out.view(), dgamma, dbeta);
      },
      "batchnorm_backward: dout is 4x6 but x is 4x5; expected the same shape");
  expect_invalid(
      [&] {
        kernels::batchnorm_backward(x.view(), x.view(), v, cache, wide.view(), dgamma, dbeta);
      },
      "batchnorm_backward: dout is 4x5 but dx is 4x6; expected the same shape");
  expect_invalid(
      [&] { kernels::batchnorm_backward(x.view(), x.view(), v, cache, out.view(), v6, dbeta); },
      "batchnorm_backward: dgamma has 6 elements; expected 5");
  expect_invalid(
      [&] {
        kernels::reference::batchnorm_backward(x.view(), x.view(), v, {mean, v6}, out.view(),
                                               dgamma, dbeta);
      },
      "reference::batchnorm_backward: cache.inv_std has 6 elements; expected 5");
}

// CS231n's gradient check: the reference's analytic dx, dgamma and dbeta
// against centered differences of its forward, all in double, with
// x = 12 + 5 U(-1, 1) as in the assignment. Measured rel_error ~1e-9 or less;
// CS231n expects about 1e-8 or less for batchnorm, which is the bound here.
TEST(Batchnorm, GradientCheck) {
  const size_t rows = 6, cols = 5;
  MatrixD x = random_matrix_d(rows, cols, 50, 7, 17);
  const MatrixD dout = random_matrix_d(rows, cols, 51);
  std::vector<double> gamma = random_matrix_d(1, cols, 52, 0.5, 1.5).data;
  std::vector<double> beta = random_matrix_d(1, cols, 53).data;
  std::vector<double> mean(cols), inv_std(cols);
  auto forward = [&] {
    MatrixD out(rows, cols);
    std::vector<double> running_mean(cols), running_var(cols, 1);
    kernels::reference::batchnorm_forward_train(x.view(), gamma, beta, 1e-5, 0.9, running_mean,
                                                running_var, out.view(), {mean, inv_std});
    return out.data;
  };
  forward();  // fills the cache for the backward
  MatrixD dx(rows, cols);
  std::vector<double> dgamma(cols), dbeta(cols);
  kernels::reference::batchnorm_backward(dout.view(), x.view(), gamma,
                                         kernels::ConstBatchnormCacheD{mean, inv_std}, dx.view(),
                                         dgamma, dbeta);
  const double dx_error = rel_error(dx.data, numeric_gradient(forward, x.data, dout.data));
  const double dgamma_error = rel_error(dgamma, numeric_gradient(forward, gamma, dout.data));
  const double dbeta_error = rel_error(dbeta, numeric_gradient(forward, beta, dout.data));
  EXPECT_LT(dx_error, 1e-8);
  EXPECT_LT(dgamma_error, 1e-8);
  EXPECT_LT(dbeta_error, 1e-8);
  std::printf("rel_error: dx %.2e, dgamma %.2e, dbeta %.2e\n", dx_error, dgamma_error, dbeta_error);
}

}  // namespace
}  // namespace simdnet::test
