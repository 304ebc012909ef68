#include "simdnet/kernels/matmul.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "simdnet/kernels/parallel.h"
#include "simdnet/kernels/relu.h"
#include "support/checks.h"
#include "support/errors.h"

namespace simdnet::test {
namespace {

using kernels::MatmulForm;

// Runs once per Highway target compiled into the library (AVX3, AVX2, SSE4, ...).
class MatmulTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(MatmulTest);

TEST_P(MatmulTest, MatchesReference) { expect_cases_pass(matmul_cases()); }

// A matmul called from inside parallel tasks (as a layer running per-sample
// work would) must not share packing buffers with the one running on the same
// thread: each result equals the one computed alone.
TEST_P(MatmulTest, CallsFromParallelTasksAreIndependent) {
  constexpr size_t kCalls = 6;
  const auto a = random_matrix(37, 300, 11), b = random_matrix(300, 70, 12);
  std::vector<kernels::Matrix> alone, nested;
  for (size_t t = 0; t < kCalls; ++t) alone.emplace_back(37, 70), nested.emplace_back(37, 70);
  for (size_t t = 0; t < kCalls; ++t) {
    kernels::matmul(MatmulForm::kNN, a.view().rows_from(t, 31), b.view(),
                    alone[t].view().rows_from(0, 31));
  }
  const int before = kernels::thread_count();
  kernels::set_thread_count(3);
  kernels::parallel_for(kCalls, [&](size_t t) {
    kernels::matmul(MatmulForm::kNN, a.view().rows_from(t, 31), b.view(),
                    nested[t].view().rows_from(0, 31));
  });
  kernels::set_thread_count(before);
  for (size_t t = 0; t < kCalls; ++t) {
    EXPECT_EQ(0, std::memcmp(alone[t].data(), nested[t].data(), 37 * 70 * sizeof(float)))
        << "call " << t;
  }
}

// Many tiles and several k blocks, all three forms with a full epilogue: the
// same bits for 1, 2, 3 and 4 threads (one thread packs and computes in turn,
// several overlap packing and computing), on every target.
TEST_P(MatmulTest, BitIdenticalAcrossThreads) {
  const size_t m = 151, n = 203, k = 577;
  const auto a = random_matrix(m, k, 21), at = random_matrix(k, m, 22);
  const auto b = random_matrix(k, n, 23), bt = random_matrix(n, k, 24);
  const auto c0 = random_matrix(m, n, 25);
  const std::vector<float> bias = random_vector(n, 26);
  const auto mask = random_matrix(m, n, 27);
  expect_bit_identical_across_threads([&] {
    std::vector<float> out;
    const struct {
      MatmulForm form;
      const kernels::Matrix &a, &b;
    } calls[] = {{MatmulForm::kNN, a, b}, {MatmulForm::kTN, at, b}, {MatmulForm::kNT, a, bt}};
    for (const auto& call : calls) {
      kernels::Matrix c(m, n);
      std::memcpy(c.data(), c0.data(), m * n * sizeof(float));
      kernels::matmul(call.form, call.a.view(), call.b.view(), c.view(),
                      {true, bias, true, mask.view()});
      out.insert(out.end(), c.storage().begin(), c.storage().end());
    }
    return out;
  });
}

// With more threads than a dimension has panels or vectors, the strips
// (kernels/matmul-inl.h, MatmulParallel) must still cover C exactly once:
// shapes thinner than one panel or one vector, on 7 and 16 threads, against 1.
TEST_P(MatmulTest, StripsCoverThinShapesOnManyThreads) {
  const struct {
    size_t m, n, k;
  } shapes[] = {{5, 300, 700}, {300, 5, 700}, {1, 1, 1}, {9, 17, 2000}, {100, 100, 3072}, {2, 4096, 64}};
  const int before = kernels::thread_count();
  for (const auto& s : shapes) {
    const auto a = random_matrix(s.m, s.k, 61), b = random_matrix(s.k, s.n, 62);
    const std::vector<float> bias = random_vector(s.n, 63);
    auto run = [&] {
      kernels::Matrix c(s.m, s.n);
      kernels::matmul(MatmulForm::kNN, a.view(), b.view(), c.view(), {.bias = bias, .relu = true});
      std::vector<uint32_t> bits(s.m * s.n);  // compared as bits: 0 and -0 differ
      std::memcpy(bits.data(), c.data(), bits.size() * sizeof(float));
      return bits;
    };
    kernels::set_thread_count(1);
    const auto single = run();
    for (int threads : {7, 16}) {
      kernels::set_thread_count(threads);
      EXPECT_EQ(single, run()) << s.m << "x" << s.n << "x" << s.k << " on " << threads << " threads";
    }
  }
  kernels::set_thread_count(before);
}

// The ReLU backward fused into the store (relu_mask = y) gives the bits of
// the matmul followed by relu_backward(C, y): the nets rely on this to fuse
// without changing a result. Three forms, two k blocks, strided C and y.
TEST_P(MatmulTest, ReluMaskEqualsMatmulThenReluBackward) {
  const size_t m = 37, n = 53, k = 300;
  const auto a = random_matrix(m, k, 41), at = random_matrix(k, m, 42);
  const auto b = random_matrix(k, n, 43), bt = random_matrix(n, k, 44);
  auto y = random_matrix(m, n, 45, -1, 1, n + 3);
  for (size_t j = 0; j < n; j += 5) y.view().at(j % m, j) = 0;  // y > 0 is strict
  const struct {
    MatmulForm form;
    const kernels::Matrix &a, &b;
  } calls[] = {{MatmulForm::kNN, a, b}, {MatmulForm::kTN, at, b}, {MatmulForm::kNT, a, bt}};
  for (const auto& call : calls) {
    kernels::Matrix fused(m, n, n + 1), separate(m, n, n + 1);
    kernels::matmul(call.form, call.a.view(), call.b.view(), fused.view(), {.relu_mask = y.view()});
    kernels::matmul(call.form, call.a.view(), call.b.view(), separate.view());
    kernels::relu_backward(separate.view(), y.view(), separate.view());
    EXPECT_EQ(0, std::memcmp(fused.data(), separate.data(), fused.storage().size_bytes()))
        << kernels::matmul_form_name(call.form);
  }
}

// The message of matmul on matrices (and a bias) of these shapes.
std::string matmul_error(MatmulForm form, size_t am, size_t ak, size_t bk, size_t bn, size_t cm,
                         size_t cn, size_t bias = 0) {
  kernels::Matrix a(am, ak), b(bk, bn), c(cm, cn);
  const std::vector<float> bias_values(bias);
  return error_of<std::invalid_argument>([&] {
    kernels::matmul(form, a.view(), b.view(), c.view(), {false, bias_values, false});
  });
}

TEST(Matmul, ShapeMismatchNamesTheFormAndShapes) {
  EXPECT_EQ("matmul NN: A is 3x4 but B is 5x6; expected A.cols == B.rows",
            matmul_error(MatmulForm::kNN, 3, 4, 5, 6, 3, 6));
  EXPECT_EQ("matmul TN: A is 3x4 but B is 5x6; expected A.rows == B.rows",
            matmul_error(MatmulForm::kTN, 3, 4, 5, 6, 4, 6));
  EXPECT_EQ("matmul NT: A is 3x4 but B is 5x6; expected A.cols == B.cols",
            matmul_error(MatmulForm::kNT, 3, 4, 5, 6, 3, 5));
  EXPECT_EQ("matmul NN: C is 3x5 but A is 3x4 and B is 4x6; expected C to be 3x6",
            matmul_error(MatmulForm::kNN, 3, 4, 4, 6, 3, 5));
  EXPECT_EQ("matmul NN: bias has 5 elements; expected 0 or 6 (one per column of C)",
            matmul_error(MatmulForm::kNN, 3, 4, 4, 6, 3, 6, 5));
  kernels::Matrix a(3, 4), b(4, 6), c(3, 6), y(3, 5);
  EXPECT_EQ("matmul NN: relu_mask is 3x5; expected C's shape, 3x6",
            error_of<std::invalid_argument>([&] {
              kernels::matmul(MatmulForm::kNN, a.view(), b.view(), c.view(),
                              {.relu_mask = y.view()});
            }));
  EXPECT_THROW(kernels::reference::matmul(MatmulForm::kNN, b.view(), a.view(), c.view()),
               std::invalid_argument);
}

// CS231n's affine layer, out = x·W + b, with its backward written as matmuls:
//   dx = dout·Wᵀ (NT), dW = xᵀ·dout (TN), db = 1ᵀ·dout (TN with a column of ones),
// on the double reference, against centered differences: rel_error < 1e-8.
TEST(Matmul, AffineGradientCheck) {
  const size_t n = 5, d = 7, h = 4;
  MatrixD x = random_matrix_d(n, d, 31), w = random_matrix_d(d, h, 32);
  MatrixD b = random_matrix_d(1, h, 33);
  const MatrixD dout = random_matrix_d(n, h, 34);
  auto forward = [&] {
    MatrixD out(n, h);
    kernels::reference::matmul(MatmulForm::kNN, x.view(), w.view(), out.view(),
                               {false, b.data, false});
    return out.data;
  };
  MatrixD dx(n, d), dw(d, h), db(1, h), ones(n, 1);
  for (double& v : ones.data) v = 1;
  kernels::reference::matmul(MatmulForm::kNT, dout.view(), w.view(), dx.view());
  kernels::reference::matmul(MatmulForm::kTN, x.view(), dout.view(), dw.view());
  kernels::reference::matmul(MatmulForm::kTN, ones.view(), dout.view(), db.view());
  EXPECT_LT(rel_error(dx.data, numeric_gradient(forward, x.data, dout.data)), 1e-8);
  EXPECT_LT(rel_error(dw.data, numeric_gradient(forward, w.data, dout.data)), 1e-8);
  EXPECT_LT(rel_error(db.data, numeric_gradient(forward, b.data, dout.data)), 1e-8);
}

}  // namespace
}  // namespace simdnet::test
