// simdnet's kernels against values computed by a peer, PyTorch (in float64),
// written by tests/golden/make_golden.py. Where the per-family tests compare
// the SIMD kernels with simdnet's own references, these check that both agree
// with an independent implementation of the same maths (CS231n conventions).
//
// Tolerances: the golden values are exact to ~1e-15, so each bound is simdnet's
// float32 rounding: a few ulp per operation times the length of the longest
// reduction involved (stated per test).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "simdnet/kernels/batchnorm.h"
#include "simdnet/kernels/matmul.h"
#include "simdnet/kernels/optimizer.h"
#include "simdnet/kernels/softmax_cross_entropy.h"
#include "support/accuracy.h"
#include "support/golden.h"

namespace simdnet::test {
namespace {

using kernels::ConstMatrixView;
using kernels::Matrix;

// A golden 2-D array as a simdnet matrix.
Matrix matrix_of(const GoldenArray& a) {
  EXPECT_EQ(a.shape.size(), 2u);
  Matrix m(a.shape[0], a.shape[1]);
  for (size_t i = 0; i < a.values.size(); ++i) m.data()[i] = static_cast<float>(a.values[i]);
  return m;
}

ErrorStats compare_golden(std::span<const float> got, const GoldenArray& want, const Tolerance& t) {
  const std::vector<float> ref = want.as_float();
  return compare(got, ref, t);
}

#define EXPECT_WITHIN(stats, what) \
  EXPECT_TRUE((stats).ok()) << what << ": max abs err " << (stats).max_abs << ", max rel err " \
                            << (stats).max_rel << ", " << (stats).failures << " elements out"

TEST(Golden, Matmul) {
  const GoldenFile g = load_golden("matmul");
  const Matrix a = matrix_of(g.at("a")), b = matrix_of(g.at("b"));
  const std::vector<float> bias = g.at("bias").as_float();
  // K = 37 products of |values| ~ 1: |err| <= K * 2^-24 * sum|a||b| < 1e-4.
  const Tolerance tol{1e-4, 1e-5, "K=37 float32 FMAs"};

  Matrix c(13, 19), c_bias_relu(13, 19), c_tn(37, 19), c_nt(13, 37);
  kernels::matmul(kernels::MatmulForm::kNN, a.view(), b.view(), c.view());
  EXPECT_WITHIN(compare_golden(c.storage(), g.at("c"), tol), "c = a b");
  kernels::matmul(kernels::MatmulForm::kNN, a.view(), b.view(), c_bias_relu.view(),
                  {.bias = bias, .relu = true});
  EXPECT_WITHIN(compare_golden(c_bias_relu.storage(), g.at("c_bias_relu"), tol),
                "relu(a b + bias)");
  // c_tn = a^T c and c_nt = c b^T use simdnet's c: |c| ~ 6, K = 13 and 19.
  const Tolerance tol2{1e-3, 1e-5, "two chained products, K <= 37, |c| ~ 6"};
  kernels::matmul(kernels::MatmulForm::kTN, a.view(), c.view(), c_tn.view());
  EXPECT_WITHIN(compare_golden(c_tn.storage(), g.at("c_tn"), tol2), "a^T c");
  kernels::matmul(kernels::MatmulForm::kNT, c.view(), b.view(), c_nt.view());
  EXPECT_WITHIN(compare_golden(c_nt.storage(), g.at("c_nt"), tol2), "c b^T");
}

TEST(Golden, SoftmaxCrossEntropy) {
  const GoldenFile g = load_golden("softmax_cross_entropy");
  const Matrix scores = matrix_of(g.at("scores"));
  std::vector<int32_t> labels;
  for (double v : g.at("labels").values) labels.push_back(static_cast<int32_t>(v));
  Matrix dscores(scores.rows(), scores.cols());
  const float loss = kernels::softmax_cross_entropy(scores.view(), labels, dscores.view());
  // Loss ~ 3: exp/log are a few ulp each, summed over 8 rows.
  EXPECT_NEAR(loss, g.at("loss").values[0], 1e-5);
  EXPECT_WITHIN(compare_golden(dscores.storage(), g.at("dscores"), {1e-7, 1e-5, "few ulp"}),
                "dscores");
}

TEST(Golden, Batchnorm) {
  const GoldenFile g = load_golden("batchnorm");
  const Matrix x = matrix_of(g.at("x")), dout = matrix_of(g.at("dout"));
  const size_t n = x.rows(), d = x.cols();
  const auto gamma = g.at("gamma").as_float(), beta = g.at("beta").as_float();
  auto running_mean = g.at("running_mean").as_float(), running_var = g.at("running_var").as_float();
  std::vector<float> mean(d), inv_std(d), dgamma(d), dbeta(d);
  Matrix out(n, d), dx(n, d), inference(n, d);
  const float eps = 1e-5f;
  kernels::batchnorm_forward_train(x.view(), gamma, beta, eps, 0.9f, running_mean, running_var,
                                   out.view(), {mean, inv_std});
  kernels::batchnorm_backward(dout.view(), x.view(), gamma, kernels::ConstBatchnormCache{mean, inv_std},
                              dx.view(), dgamma, dbeta);
  kernels::batchnorm_forward_inference(x.view(), gamma, beta, running_mean, running_var, eps,
                                       inference.view());
  // Reductions over N = 16 rows of values ~ 2: a few ulp times N.
  const Tolerance tol{2e-5, 2e-5, "reductions over N=16 rows, values ~ 1"};
  EXPECT_WITHIN(compare_golden(out.storage(), g.at("out"), tol), "out");
  EXPECT_WITHIN(compare_golden(dx.storage(), g.at("dx"), tol), "dx");
  EXPECT_WITHIN(compare_golden(dgamma, g.at("dgamma"), tol), "dgamma");
  EXPECT_WITHIN(compare_golden(dbeta, g.at("dbeta"), tol), "dbeta");
  EXPECT_WITHIN(compare_golden(running_mean, g.at("new_running_mean"), tol), "running_mean");
  EXPECT_WITHIN(compare_golden(running_var, g.at("new_running_var"), tol), "running_var");
  EXPECT_WITHIN(compare_golden(inference.storage(), g.at("inference_out"), tol), "inference out");
}

TEST(Golden, AdamThreeSteps) {
  const GoldenFile g = load_golden("adam");
  auto w = g.at("w0").as_float();
  std::vector<float> m(w.size()), v(w.size());
  const kernels::AdamConfig config{.learning_rate = 1e-2f};
  for (int t = 1; t <= 3; ++t) {
    const auto dw = g.at("dw" + std::to_string(t)).as_float();
    kernels::adam_update(w, dw, m, v, config, t);
  }
  // Three steps of size ~lr = 1e-2 on |w| ~ 1: a few ulp of w per step.
  EXPECT_WITHIN(compare_golden(w, g.at("w3"), {1e-6, 1e-6, "3 steps, few ulp each"}), "w after 3 steps");
  EXPECT_WITHIN(compare_golden(m, g.at("m3"), {1e-7, 1e-6, "few ulp"}), "m");
  // beta2 = 0.999 is not exact in float: 1 - 0.999f = 0.00099998713, 1.3e-5
  // relative from 0.001, and v = (1 - beta2) g^2 + ... carries that error.
  EXPECT_WITHIN(compare_golden(v, g.at("v3"), {1e-8, 3e-5, "1 - beta2 rounded to float"}), "v");
}

TEST(Golden, MalformedFileNamesFileAndLine) {
  EXPECT_THROW(load_golden("no_such_file"), std::runtime_error);
  try {
    load_golden("no_such_file");
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_file.txt: cannot open golden file"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace simdnet::test
