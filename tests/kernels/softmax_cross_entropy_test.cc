#include "simdnet/kernels/softmax_cross_entropy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "support/checks.h"
#include "support/errors.h"

namespace simdnet::test {
namespace {

std::vector<int32_t> cyclic_labels(size_t rows, size_t classes) {
  std::vector<int32_t> labels(rows);
  for (size_t i = 0; i < rows; ++i) labels[i] = int32_t((i * 7 + 3) % classes);
  return labels;
}

// Runs once per Highway target compiled into the library (AVX3, AVX2, SSE4, ...).
class SoftmaxCrossEntropyTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(SoftmaxCrossEntropyTest);

TEST_P(SoftmaxCrossEntropyTest, MatchesReference) {
  expect_cases_pass(softmax_cross_entropy_cases());
}

// dscores may alias scores (and probs may alias scores): in place on a strided
// view gives the same bits as writing elsewhere, and leaves the padding alone.
TEST_P(SoftmaxCrossEntropyTest, InPlace) {
  const auto scores = random_matrix(11, 37, 4, -5, 5, 40);
  const auto labels = cyclic_labels(11, 37);
  kernels::Matrix ds(11, 37, 40);
  const float loss = kernels::softmax_cross_entropy(scores.view(), labels, ds.view());
  auto in_place = random_matrix(11, 37, 4, -5, 5, 40);
  const float loss_in_place =
      kernels::softmax_cross_entropy(in_place.view(), labels, in_place.view());
  EXPECT_EQ(loss, loss_in_place);
  kernels::Matrix probs(11, 37, 40);
  kernels::softmax(scores.view(), probs.view());
  auto probs_in_place = random_matrix(11, 37, 4, -5, 5, 40);
  kernels::softmax(probs_in_place.view(), probs_in_place.view());
  for (size_t r = 0; r < 11; ++r) {
    for (size_t c = 0; c < 37; ++c) {
      EXPECT_EQ(ds.at(r, c), in_place.at(r, c)) << r << "," << c;
      EXPECT_EQ(probs.at(r, c), probs_in_place.at(r, c)) << r << "," << c;
    }
    for (size_t c = 37; c < 40; ++c) {
      EXPECT_TRUE(std::isnan(in_place.at(r, c))) << "padding written";
      EXPECT_TRUE(std::isnan(probs_in_place.at(r, c))) << "padding written";
    }
  }
}

// Logits whose exp overflows (e^80 * C) or underflows: the loss stays finite
// and equals the exact value. Row 0: the label holds the max 80, the rest -80,
// loss_0 = log(1 + (C-1) e^-160) = 0 in float. Row 1: the label holds -80,
// one other class 80: loss_1 = 160 + log(1 + ...) = 160.
TEST_P(SoftmaxCrossEntropyTest, ExtremeLogitsGiveAFiniteLoss) {
  for (size_t classes : {2, 17, 1000}) {
    kernels::Matrix scores(2, classes), ds(2, classes);
    for (size_t c = 0; c < classes; ++c) scores.at(0, c) = scores.at(1, c) = -80;
    scores.at(0, 1) = 80;
    scores.at(1, 0) = 80;
    const std::vector<int32_t> labels = {1, 1};
    const float loss = kernels::softmax_cross_entropy(scores.view(), labels, ds.view());
    EXPECT_TRUE(std::isfinite(loss)) << classes;
    EXPECT_NEAR(loss, (0 + 160) / 2.0, 160 * 1e-6) << classes;
    for (float v : ds.storage()) EXPECT_TRUE(std::isfinite(v)) << classes;
    EXPECT_NEAR(ds.at(1, 1), -0.5f, 1e-7) << classes;  // (p_y - 1)/N with p_y = e^-160
    EXPECT_NEAR(ds.at(1, 0), 0.5f, 1e-7) << classes;   // p = 1 on the max
  }
}

// The first index of the max wins a tie, on every target, wherever the tie
// falls (same vector, across vectors, in the tail).
TEST_P(SoftmaxCrossEntropyTest, ArgmaxTakesTheFirstOfTies) {
  kernels::Matrix scores(3, 40);
  scores.at(0, 1) = scores.at(0, 2) = 3;     // same vector
  scores.at(1, 5) = scores.at(1, 33) = 2;    // different vectors
  scores.at(2, 38) = scores.at(2, 39) = -1;  // the rest 0: the max is 0 at index 0
  std::vector<int32_t> classes(3);
  kernels::argmax_rows(scores.view(), classes);
  EXPECT_EQ(classes, (std::vector<int32_t>{1, 5, 0}));
}

TEST(SoftmaxCrossEntropy, BitIdenticalAcrossThreads) {
  // Wide rows (one row per block) and the nets' narrow rows (many rows per block).
  const auto wide = random_matrix(1024, 4096, 5, -5, 5);
  const auto narrow = random_matrix(20000, 10, 6, -5, 5);
  const auto wide_labels = cyclic_labels(1024, 4096), narrow_labels = cyclic_labels(20000, 10);
  expect_bit_identical_across_threads([&] {
    kernels::Matrix ds_wide(1024, 4096), ds_narrow(20000, 10), probs(1024, 4096);
    std::vector<int32_t> classes(1024);
    const float losses[2] = {
        kernels::softmax_cross_entropy(wide.view(), wide_labels, ds_wide.view()),
        kernels::softmax_cross_entropy(narrow.view(), narrow_labels, ds_narrow.view())};
    kernels::softmax(wide.view(), probs.view());
    kernels::argmax_rows(wide.view(), classes);
    std::vector<float> out(losses, losses + 2);
    for (const auto* m : {&ds_wide, &ds_narrow, &probs})
      out.insert(out.end(), m->storage().begin(), m->storage().end());
    for (int32_t c : classes) out.push_back(float(c));
    return out;
  });
}

TEST(SoftmaxCrossEntropy, LabelOutOfRangeNamesRowAndLabel) {
  kernels::Matrix scores(4, 10), ds(4, 10);
  for (const auto& [labels, message] : std::vector<std::pair<std::vector<int32_t>, std::string>>{
           {{0, 9, 10, 1},
            "softmax_cross_entropy: labels[2] = 10 (row 2) is outside [0, 10), the class range "
            "of scores 4x10"},
           {{-1, 0, 0, 0},
            "softmax_cross_entropy: labels[0] = -1 (row 0) is outside [0, 10), the class range "
            "of scores 4x10"}}) {
    EXPECT_EQ(message, error_of<std::invalid_argument>([&] {
                kernels::softmax_cross_entropy(scores.view(), labels, ds.view());
              }));
  }
}

TEST(SoftmaxCrossEntropy, BadShapesNameTheArguments) {
  kernels::Matrix scores(4, 10), ds(4, 9), empty(0, 10);
  const std::vector<int32_t> labels(4), three(3);
  const auto message = error_of<std::invalid_argument>;
  EXPECT_EQ("softmax_cross_entropy: scores is 4x10 but dscores is 4x9; expected the same shape",
            message([&] { kernels::softmax_cross_entropy(scores.view(), labels, ds.view()); }));
  EXPECT_EQ("softmax_cross_entropy: labels has 3 elements; expected 4",
            message([&] { kernels::softmax_cross_entropy(scores.view(), three, scores.view()); }));
  EXPECT_EQ(
      "softmax_cross_entropy: scores is 0x10; expected at least one row and one class "
      "(the loss is a mean)",
      message([&] { kernels::softmax_cross_entropy(empty.view(), {}, empty.view()); }));
}

// CS231n: the analytic gradient of the mean loss with respect to the scores,
// dscores = (p - onehot)/N, against centered differences of the loss, in
// double, on the reference. CS231n expects rel_error < 1e-7 (softmax_loss).
TEST(SoftmaxCrossEntropy, GradientCheck) {
  MatrixD scores = random_matrix_d(9, 6, 7, -3, 3);
  const auto labels = cyclic_labels(9, 6);
  MatrixD dscores(9, 6);
  kernels::reference::softmax_cross_entropy(scores.view(), labels, dscores.view());
  const auto numeric = numeric_gradient(
      [&] {
        MatrixD unused(9, 6);
        return std::vector<double>{
            kernels::reference::softmax_cross_entropy(scores.view(), labels, unused.view())};
      },
      scores.data, {1.0});
  EXPECT_LT(rel_error(dscores.data, numeric), 1e-7);
}

}  // namespace
}  // namespace simdnet::test
