// Whole-net gradient checks (CS231n's FullyConnectedNets notebook): a net
// with two hidden layers, in double (Network<double>: the kernels' double
// references), every parameter's analytic gradient against centered
// differences of the loss, with and without batchnorm, dropout under a fixed
// mask (a fixed step: the mask is a function of (seed, layer, step)), and L2.
//
// Thresholds. CS231n's rel_error, max |a - n| / max(1e-8, |a| + |n|) over the
// elements, judges each element relative to itself, so its worst element is
// the smallest gradient: centered differences in double with h = 1e-5 carry an
// absolute error of about eps * loss / h + h^2 |f'''| ~ 1e-10 (observed: up to
// 2.5e-10), which on an element of 3e-6 is a rel_error of 1.4e-5 although the
// backward is exact. So two bounds, both asserted for every parameter:
//   - CS231n's rel_error < 1e-4 (their notes: "1e-4 > relative error is
//     usually okay for objectives with kinks", ReLU here), and
//   - the same rel_error with the denominator floored at 1e-3 instead of
//     1e-8, i.e. |a - n| <= 1e-6 (|a| + |n|) for gradients above 1e-3 and
//     |a - n| <= 1e-9 (4x the observed noise) below: < 1e-6, the precision
//     the brief asks of W and b in double. (PyTorch's gradcheck, for scale:
//     atol 1e-5, rtol 1e-3.)
// One exception, stated: a bias followed by batchnorm has zero gradient
// (batchnorm subtracts the batch mean), where any relative error compares two
// roundoff noises, so there both gradients must be below the noise floor.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "nets/network_core.h"
#include "support/checks.h"

namespace simdnet::nets {
namespace {

constexpr double kThreshold = 1e-6;  // floored rel_error, every parameter
constexpr double kClassicThreshold = 1e-4;  // CS231n's rel_error, every parameter
constexpr double kStep = 1e-5;       // h of the centered differences
// |dloss/db| of a bias before batchnorm: analytic ~1e-17 (sum of a zero-mean
// column), numeric ~eps * loss / h ~ 1e-10.
constexpr double kZeroGradientFloor = 1e-9;

struct GradientCase {
  std::string name;
  bool batchnorm = false;
  float dropout = 0.0f;
  float l2 = 0.0f;
  size_t batch = 3;
  friend void PrintTo(const GradientCase& c, std::ostream* os) { *os << c.name; }
};

NetSpec small_spec(const GradientCase& c, uint64_t seed = 7) {
  NetSpec spec;  // CS231n's check: N, D, H1, H2, C = 2..6, 15, 20, 30, 10
  spec.input_dim = 15;
  spec.hidden_dims = {20, 30};
  spec.num_classes = 10;
  spec.batchnorm = c.batchnorm;
  spec.dropout = c.dropout;
  spec.l2 = c.l2;
  spec.init = Init::kXavier;  // activations of order 1 with no batchnorm either
  spec.seed = seed;
  return spec;
}

struct Batch {
  kernels::MatrixOf<double> x;
  std::vector<int32_t> y;
};
Batch random_batch(size_t rows, size_t cols, size_t classes, unsigned seed) {
  Batch b{kernels::MatrixOf<double>(rows, cols), {}};
  const test::MatrixD x = test::random_matrix_d(rows, cols, seed, -2, 2);
  std::memcpy(b.x.data(), x.data.data(), x.data.size() * sizeof(double));
  for (size_t i = 0; i < rows; ++i) b.y.push_back(int32_t((i * 7 + seed) % classes));
  return b;
}

// Centered differences of net.loss over every element of `values`.
std::vector<double> numeric_loss_gradient(Network<double>& net, std::span<double> values,
                                          const Batch& batch, uint64_t step) {
  std::vector<double> grad(values.size());
  for (size_t e = 0; e < values.size(); ++e) {
    const double old = values[e];
    values[e] = old + kStep;
    const double plus = net.loss(batch.x.view(), batch.y, step);
    values[e] = old - kStep;
    const double minus = net.loss(batch.x.view(), batch.y, step);
    values[e] = old;
    grad[e] = (plus - minus) / (2 * kStep);
  }
  return grad;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

std::vector<double> as_vector(const kernels::MatrixOf<double>& m) {
  return {m.storage().begin(), m.storage().end()};
}

bool feeds_batchnorm(const NetSpec& spec, const std::string& name) {
  const size_t hidden = spec.hidden_dims.size();
  return spec.batchnorm && name[0] == 'b' && name.rfind("beta", 0) != 0 &&
         std::stoul(name.substr(1)) <= hidden;
}

// Checks every parameter of `net` on `batch` against centered differences.
void check_all_parameters(Network<double>& net, const Batch& batch, uint64_t step) {
  net.loss_and_gradients(batch.x.view(), batch.y, step);
  for (ParameterD& p : net.parameters()) {
    const std::vector<double> analytic = as_vector(p.grad);
    const std::vector<double> numeric = numeric_loss_gradient(net, p.value.storage(), batch, step);
    if (feeds_batchnorm(net.spec(), p.name)) {
      std::cout << "[ rel_err  ] " << p.name << ": zero before batchnorm, max |analytic| "
                << max_abs(analytic) << ", max |numeric| " << max_abs(numeric) << "\n";
      for (size_t e = 0; e < analytic.size(); ++e) {
        EXPECT_LT(std::fabs(analytic[e]), kZeroGradientFloor) << p.name << "[" << e << "]";
        EXPECT_LT(std::fabs(numeric[e]), kZeroGradientFloor) << p.name << "[" << e << "]";
      }
      continue;
    }
    const double classic = test::rel_error(analytic, numeric);
    // CS231n's rel_error with the denominator floored at 1e-3 (see the top).
    const double floored = test::rel_error(analytic, numeric, 1e-3);
    std::cout << "[ rel_err  ] " << p.name << ": CS231n " << classic << ", floored " << floored
              << "\n";
    EXPECT_LT(classic, kClassicThreshold) << p.name;
    EXPECT_LT(floored, kThreshold) << p.name;
  }
}

class WholeNetGradient : public ::testing::TestWithParam<GradientCase> {};

TEST_P(WholeNetGradient, MatchesCenteredDifferences) {
  const GradientCase& c = GetParam();
  Network<double> net(small_spec(c));
  const Batch batch = random_batch(c.batch, 15, 10, 3);
  const uint64_t step = 11;  // fixes the dropout masks for every evaluation
  check_all_parameters(net, batch, step);
}

INSTANTIATE_TEST_SUITE_P(
    Nets, WholeNetGradient,
    ::testing::Values(GradientCase{"Plain", false, 0.0f, 0.0f, 3},
                      GradientCase{"PlainL2", false, 0.0f, 3.14f, 3},
                      GradientCase{"Batchnorm", true, 0.0f, 0.0f, 6},
                      GradientCase{"BatchnormL2", true, 0.0f, 0.7f, 6},
                      GradientCase{"DropoutFixedMask", false, 0.25f, 0.0f, 4},
                      GradientCase{"BatchnormDropoutL2", true, 0.25f, 0.7f, 6}),
    [](const auto& info) { return info.param.name; });

// The dropout masks really are fixed by (seed, step) and change with the step:
// otherwise the check above would compare differences of different functions.
TEST(WholeNetGradient, DropoutMaskIsAFunctionOfTheStep) {
  Network<double> net(small_spec({"", false, 0.5f, 0.0f, 4}));
  const Batch batch = random_batch(4, 15, 10, 3);
  EXPECT_EQ(net.loss(batch.x.view(), batch.y, 1), net.loss(batch.x.view(), batch.y, 1));
  EXPECT_NE(net.loss(batch.x.view(), batch.y, 1), net.loss(batch.x.view(), batch.y, 2));
}

// The float network (SIMD kernels) computes the gradients the double one
// (references) computes, on the same parameters; then the double network's
// gradients pass the numeric check on that same net, so the float path is
// tied to centered differences.
TEST(WholeNetGradient, FloatPathAgreesWithDoublePath) {
  for (const GradientCase& c : {GradientCase{"Plain", false, 0.0f, 0.5f, 8},
                                GradientCase{"BatchnormDropout", true, 0.2f, 0.5f, 8}}) {
    SCOPED_TRACE(c.name);
    const NetSpec spec = small_spec(c, 21);
    Network<float> net_f(spec);
    Network<double> net_d(spec);
    for (size_t k = 0; k < net_f.parameters().size(); ++k) {  // the float values, exactly
      const kernels::Matrix& from = net_f.parameters()[k].value;
      kernels::MatrixOf<double>& to = net_d.parameters()[k].value;
      for (size_t i = 0; i < from.rows(); ++i) {
        for (size_t j = 0; j < from.cols(); ++j) to.at(i, j) = from.at(i, j);
      }
    }
    Batch batch = random_batch(c.batch, 15, 10, 5);
    kernels::Matrix x_f(c.batch, 15);  // the same inputs: rounded to float for both
    for (size_t i = 0; i < c.batch; ++i) {
      for (size_t j = 0; j < 15; ++j) {
        x_f.at(i, j) = float(batch.x.at(i, j));
        batch.x.at(i, j) = x_f.at(i, j);
      }
    }
    const uint64_t step = 3;
    const float loss_f = net_f.loss_and_gradients(x_f.view(), batch.y, step);
    const double loss_d = net_d.loss_and_gradients(batch.x.view(), batch.y, step);
    // Float: every value carries a relative error of a few 2^-24 per
    // operation through about ten layers of dot products of length <= 30;
    // 1e-5 relative leaves an order of magnitude over the observed ~1e-6.
    EXPECT_NEAR(loss_f, loss_d, 1e-5 * std::fabs(loss_d));
    for (size_t k = 0; k < net_f.parameters().size(); ++k) {
      const Parameter& pf = net_f.parameters()[k];
      const ParameterD& pd = net_d.parameters()[k];
      double scale = 0, worst = 0;
      for (size_t i = 0; i < pf.grad.rows(); ++i) {
        for (size_t j = 0; j < pf.grad.cols(); ++j) {
          scale = std::max(scale, std::fabs(pd.grad.at(i, j)));
          worst = std::max(worst, std::fabs(double(pf.grad.at(i, j)) - pd.grad.at(i, j)));
        }
      }
      // Relative to the largest gradient of the parameter: elementwise
      // relative errors are meaningless where a gradient is ~0 (b before
      // batchnorm, where float leaves ~1e-8 of roundoff). Observed: max |diff|
      // <= 2.5e-7 * max |grad| (float's 2^-24 = 6e-8 through a few layers);
      // the bound is 40x that, plus 1e-7 absolute for the zero gradients.
      std::cout << "[ f32/f64  ] " << pf.name << " max |diff| " << worst << " of max |grad| "
                << scale << "\n";
      EXPECT_LE(worst, 1e-5 * scale + 1e-7) << pf.name;
    }
    check_all_parameters(net_d, batch, step);
  }
}

}  // namespace
}  // namespace simdnet::nets
