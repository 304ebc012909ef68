// Layer-level gradient checks, in double (the layers on the kernels' double
// references) against centered differences: every layer's analytic backward
// against the numeric gradient of sum(forward(x) .* dout), as CS231n's
// eval_numerical_gradient_array. Thresholds are CS231n's in spirit, tightened
// for double: centered differences with h = 1e-5 have truncation error
// O(h^2) ~ 1e-10 and roundoff ~ 1e-16 / h ~ 1e-11, so a correct backward
// gives rel_error around 1e-9 or below; a wrong one gives ~1e-1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "nets/layers/affine.h"
#include "nets/layers/batchnorm.h"
#include "nets/layers/dropout.h"
#include "nets/layers/mse_loss.h"
#include "nets/layers/relu.h"
#include "nets/layers/softmax_loss.h"
#include "simdnet/kernels/batchnorm.h"
#include "support/checks.h"

namespace simdnet::nets {
namespace {

using kernels::ConstMatrixViewD;
using kernels::MatrixViewD;
using test::numeric_gradient;
using test::rel_error;

constexpr double kLayerThreshold = 1e-7;  // CS231n: "1e-7 and less you should be happy"

// A row-major rows x cols view of a vector the numeric gradient perturbs.
MatrixViewD view(std::vector<double>& v, size_t rows, size_t cols) {
  return {v.data(), rows, cols, cols};
}
std::vector<double> random_values(size_t n, unsigned seed, double lo = -1, double hi = 1) {
  return test::random_matrix_d(1, n, seed, lo, hi).data;
}
std::vector<double> flatten(ConstMatrixViewD m) {
  std::vector<double> out;
  for (size_t i = 0; i < m.rows; ++i) out.insert(out.end(), m.row(i), m.row(i) + m.cols);
  return out;
}

// Affine alone, and affine with the fused ReLU epilogue followed by the Relu
// layer's backward (Relu::forward_fused), as the network chains them.
class AffineGradient : public ::testing::TestWithParam<bool> {};

TEST_P(AffineGradient, MatchesNumeric) {
  const bool fuse_relu = GetParam();
  const size_t N = 4, D = 5, H = 7;
  std::vector<double> x = random_values(N * D, 1), W = random_values(D * H, 2),
                      b = random_values(H, 3), dout = random_values(N * H, 4);
  std::vector<double> dW(D * H), db(H);
  Affine<double> affine;
  Relu<double> relu;
  affine.bind(view(W, D, H), view(b, 1, H), view(dW, D, H), view(db, 1, H));
  auto f = [&] { return flatten(affine.forward(view(x, N, D), fuse_relu)); };

  const ConstMatrixViewD out = affine.forward(view(x, N, D), fuse_relu);
  ConstMatrixViewD d = view(dout, N, H);
  if (fuse_relu) {  // the fused epilogue is max(0, x·W + b)
    EXPECT_THAT(flatten(out), ::testing::Each(::testing::Ge(0.0)));
    EXPECT_THAT(flatten(out), ::testing::Contains(0.0));
    relu.forward_fused(out);
    d = relu.backward(d);
  }
  const std::vector<double> dx = flatten(affine.backward(d));

  EXPECT_LT(rel_error(dx, numeric_gradient(f, x, dout)), kLayerThreshold);
  EXPECT_LT(rel_error(dW, numeric_gradient(f, W, dout)), kLayerThreshold);
  EXPECT_LT(rel_error(db, numeric_gradient(f, b, dout)), kLayerThreshold);
}
INSTANTIATE_TEST_SUITE_P(Layers, AffineGradient, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "FusedRelu" : "Plain"; });

TEST(LayerGradient, AffineSkipsDxWhenNotNeeded) {
  std::vector<double> x = random_values(6, 1), W = random_values(6, 2), b(3), dW(6), db(3),
                      dout = random_values(9, 3);
  Affine<double> affine;
  affine.bind(view(W, 2, 3), view(b, 1, 3), view(dW, 2, 3), view(db, 1, 3));
  affine.forward(view(x, 3, 2));
  const ConstMatrixViewD dx = affine.backward(view(dout, 3, 3), /*need_dx=*/false);
  EXPECT_EQ(dx.data, nullptr);
  EXPECT_EQ(dx.rows, 0u);
}

TEST(LayerGradient, Relu) {
  const size_t N = 5, D = 6;
  std::vector<double> x = random_values(N * D, 5), dout = random_values(N * D, 6);
  // Keep every input at least 0.1 from the kink, where the derivative jumps.
  for (double& v : x) v += v >= 0 ? 0.1 : -0.1;
  Relu<double> relu;
  auto f = [&] { return flatten(relu.forward(view(x, N, D))); };
  f();
  const std::vector<double> dx = flatten(relu.backward(view(dout, N, D)));
  EXPECT_LT(rel_error(dx, numeric_gradient(f, x, dout)), kLayerThreshold);
}

TEST(LayerGradient, BatchnormTrainMode) {
  const size_t N = 6, D = 4;
  std::vector<double> x = random_values(N * D, 7, -3, 5), gamma = random_values(D, 8, 0.5, 2),
                      beta = random_values(D, 9), dout = random_values(N * D, 10);
  std::vector<double> dgamma(D), dbeta(D), running_mean(D), running_var(D, 1.0);
  BatchNorm<double> bn;
  bn.bind(view(gamma, 1, D), view(beta, 1, D), view(dgamma, 1, D), view(dbeta, 1, D),
          view(running_mean, 1, D), view(running_var, 1, D));
  auto f = [&] { return flatten(bn.forward(view(x, N, D), Mode::kTrain)); };

  // Train mode: each column of the output has mean beta and std ~gamma.
  const std::vector<double> out = f();
  for (size_t j = 0; j < D; ++j) {
    double mean = 0;
    for (size_t i = 0; i < N; ++i) mean += out[i * D + j] / N;
    EXPECT_NEAR(mean, beta[j], 1e-12);
  }
  const std::vector<double> dx = flatten(bn.backward(view(dout, N, D)));
  const std::vector<double> dgamma_analytic = dgamma, dbeta_analytic = dbeta;
  EXPECT_LT(rel_error(dx, numeric_gradient(f, x, dout)), 1e-7);
  EXPECT_LT(rel_error(dgamma_analytic, numeric_gradient(f, gamma, dout)), kLayerThreshold);
  EXPECT_LT(rel_error(dbeta_analytic, numeric_gradient(f, beta, dout)), kLayerThreshold);
}

TEST(LayerGradient, BatchnormTestModeUsesRunningStatistics) {
  const size_t N = 3, D = 2;
  std::vector<double> x = {1, 2, 3, 4, 5, 6}, gamma = {2, 3}, beta = {0.5, -1}, dgamma(D),
                      dbeta(D), running_mean = {1, -1}, running_var = {4, 9};
  BatchNorm<double> bn;
  bn.bind(view(gamma, 1, D), view(beta, 1, D), view(dgamma, 1, D), view(dbeta, 1, D),
          view(running_mean, 1, D), view(running_var, 1, D));
  const std::vector<double> out = flatten(bn.forward(view(x, N, D), Mode::kTest));
  for (size_t i = 0; i < N; ++i) {
    for (size_t j = 0; j < D; ++j) {
      const double want = gamma[j] * (x[i * D + j] - running_mean[j]) /
                              std::sqrt(running_var[j] + double(kernels::kBatchnormEps)) +
                          beta[j];
      EXPECT_NEAR(out[i * D + j], want, 1e-12);
    }
  }
  EXPECT_EQ(running_mean, (std::vector<double>{1, -1})) << "test mode must not update them";
  EXPECT_THROW(bn.backward(view(x, N, D)), std::logic_error);
}

TEST(LayerGradient, DropoutUnderFixedMask) {
  const size_t N = 7, D = 9;
  const float p = 0.3f;
  std::vector<double> x = random_values(N * D, 11), dout = random_values(N * D, 12);
  Dropout<double> dropout(p, /*seed=*/42);
  const uint64_t stream = 5;
  auto f = [&] { return flatten(dropout.forward(view(x, N, D), Mode::kTrain, stream)); };
  const std::vector<double> out = f();
  size_t dropped = 0;
  for (size_t e = 0; e < out.size(); ++e) {
    if (out[e] == 0) {
      ++dropped;
    } else {
      EXPECT_NEAR(out[e], x[e] / (1 - double(p)), 1e-7);  // inverted dropout scaling
    }
  }
  EXPECT_GT(dropped, 0u);
  EXPECT_LT(dropped, out.size());
  const std::vector<double> dx = flatten(dropout.backward(view(dout, N, D)));
  EXPECT_LT(rel_error(dx, numeric_gradient(f, x, dout)), kLayerThreshold);

  // Test mode is the identity: the input itself comes back.
  EXPECT_EQ(dropout.forward(view(x, N, D), Mode::kTest, stream).data, x.data());
  EXPECT_THROW(dropout.backward(view(dout, N, D)), std::logic_error);
}

TEST(LayerGradient, DropoutRejectsBadProbability) {
  EXPECT_THROW(Dropout<float>(1.0f, 0), std::invalid_argument);
  EXPECT_THROW(Dropout<float>(-0.1f, 0), std::invalid_argument);
  EXPECT_THROW(Dropout<float>(std::nanf(""), 0), std::invalid_argument);
}

TEST(LayerGradient, SoftmaxCrossEntropy) {
  const size_t N = 5, C = 4;
  std::vector<double> scores = random_values(N * C, 13, -3, 3);
  const std::vector<int32_t> labels = {0, 3, 1, 1, 2};
  SoftmaxCrossEntropy<double> loss;
  auto f = [&] { return std::vector<double>{loss.forward(view(scores, N, C), labels)}; };
  const double value = f()[0];
  // loss = -(1/N) sum_i log softmax(s_i)[y_i], written out.
  double want = 0;
  for (size_t i = 0; i < N; ++i) {
    double z = 0;
    for (size_t j = 0; j < C; ++j) z += std::exp(scores[i * C + j]);
    want -= std::log(std::exp(scores[i * C + size_t(labels[i])]) / z) / N;
  }
  EXPECT_NEAR(value, want, 1e-12);
  const std::vector<double> dscores = flatten(loss.backward());
  EXPECT_LT(rel_error(dscores, numeric_gradient(f, scores, {1.0})), kLayerThreshold);
}

TEST(LayerGradient, MeanSquaredError) {
  const size_t N = 6, D = 2;
  std::vector<double> pred = random_values(N * D, 14), target = random_values(N * D, 15);
  MeanSquaredError<double> loss;
  auto f = [&] { return std::vector<double>{loss.forward(view(pred, N, D), view(target, N, D))}; };
  double want = 0;
  for (size_t e = 0; e < N * D; ++e) want += (pred[e] - target[e]) * (pred[e] - target[e]);
  EXPECT_NEAR(f()[0], want / (N * D), 1e-15);
  const std::vector<double> dpred = flatten(loss.backward());
  EXPECT_LT(rel_error(dpred, numeric_gradient(f, pred, {1.0})), kLayerThreshold);
  EXPECT_THROW(loss.forward(view(pred, N, D), view(target, D, N)), std::invalid_argument);
}

// The float layers (SIMD kernels) agree with the double ones (references).
TEST(LayerFloatPath, AffineReluMatchesDouble) {
  const size_t N = 9, D = 33, H = 17;
  kernels::Matrix x = test::random_matrix(N, D, 16), W = test::random_matrix(D, H, 17),
                  b = test::random_matrix(1, H, 18), dout = test::random_matrix(N, H, 19);
  kernels::Matrix dW(D, H), db(1, H);
  auto to_double = [](const kernels::Matrix& m) {
    std::vector<double> v;
    for (size_t i = 0; i < m.rows(); ++i) v.insert(v.end(), m.data() + i * m.stride(),
                                                   m.data() + i * m.stride() + m.cols());
    return v;
  };
  std::vector<double> xd = to_double(x), Wd = to_double(W), bd = to_double(b),
                      doutd = to_double(dout), dWd(D * H), dbd(H);
  Affine<float> af;
  af.bind(W.view(), b.view(), dW.view(), db.view());
  Affine<double> ad;
  ad.bind(view(Wd, D, H), view(bd, 1, H), view(dWd, D, H), view(dbd, 1, H));
  const kernels::ConstMatrixView out_f = af.forward(x.view(), true);
  const std::vector<double> out_d = flatten(ad.forward(view(xd, N, D), true));
  const kernels::ConstMatrixView dx_f = af.backward(dout.view());
  const std::vector<double> dx_d = flatten(ad.backward(view(doutd, N, H)));
  // Dot products of length K <= 33 of terms <= 1: float error <= K * 2^-24 * K.
  const double tol = 33 * 33 * 0x1p-24;
  for (size_t i = 0; i < N; ++i) {
    for (size_t j = 0; j < H; ++j) EXPECT_NEAR(out_f.at(i, j), out_d[i * H + j], tol);
    for (size_t j = 0; j < D; ++j) EXPECT_NEAR(dx_f.at(i, j), dx_d[i * D + j], tol);
  }
  for (size_t e = 0; e < D * H; ++e) EXPECT_NEAR(dW.data()[e], dWd[e], tol);
  for (size_t e = 0; e < H; ++e) EXPECT_NEAR(db.data()[e], dbd[e], tol);
}

}  // namespace
}  // namespace simdnet::nets
