#include "simdnet/kernels/dropout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "simdnet/kernels/philox.h"
#include "support/checks.h"
#include "support/errors.h"

namespace simdnet::test {
namespace {

using kernels::Matrix;
namespace philox = kernels::philox;
namespace mask = kernels::dropout_mask;

// ---------------------------------------------------------------- Philox ----

// Random123's known-answer vectors for philox4x32_10 (kat_vectors).
TEST(Philox, KnownAnswers) {
  EXPECT_EQ((philox::Counter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}),
            philox::philox4x32_10({0, 0, 0, 0}, {0, 0}));
  EXPECT_EQ((philox::Counter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}),
            philox::philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                                  {0xffffffff, 0xffffffff}));
  EXPECT_EQ((philox::Counter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}),
            philox::philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                                  {0xa4093822, 0x299f31d0}));
}

TEST(Philox, StreamLayout) {
  // word(i) is word i % 4 of block i / 4, the counter {block, stream}, the key seed.
  const uint64_t seed = 0x0123456789abcdefull, stream = 0xfedcba9876543210ull;
  const philox::Counter block = philox::philox4x32_10(
      {0x9abcdef1, 0x12345678, 0x76543210, 0xfedcba98}, {0x89abcdef, 0x01234567});
  const uint64_t block_index = 0x123456789abcdef1ull;
  for (uint64_t w = 0; w < 4; ++w) {
    EXPECT_EQ(block[w], philox::random_bits(seed, stream, 4 * block_index + w));
  }
  EXPECT_EQ(0.0f, philox::uniform_from_bits(0x000000ffu));
  EXPECT_EQ(1.0f - 0x1p-24f, philox::uniform_from_bits(0xffffffffu));
}

// The vectorized generator on every target against the scalar one: bit for
// bit, at block counts that are not multiples of the vector batch and across
// the 2^32-block boundary (where the counter's second word changes).
class PhiloxFillTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(PhiloxFillTest);

TEST_P(PhiloxFillTest, MatchesScalarPhilox) {
  const uint64_t seed = 0xdeadbeefcafef00dull, stream = 0x0000000100000002ull;
  for (const uint64_t first : {uint64_t{0}, uint64_t{5}, (uint64_t{1} << 32) - 37,
                               (uint64_t{7} << 32) - 3, ~uint64_t{0} - 200}) {
    for (const size_t blocks : {size_t{1}, size_t{3}, size_t{8}, size_t{29}, size_t{100}}) {
      std::vector<uint32_t> words(4 * blocks);
      kernels::philox_fill(seed, stream, first, words);
      for (size_t b = 0; b < blocks; ++b) {
        const philox::Counter expected = philox::block_words(seed, stream, first + b);
        ASSERT_EQ(0, std::memcmp(expected.data(), &words[4 * b], sizeof(expected)))
            << "block " << first + b << " (first " << first << ", " << blocks << " blocks)";
      }
    }
  }
}

TEST(Philox, FillRejectsPartialBlocks) {
  std::vector<uint32_t> words(6);
  EXPECT_THROW(kernels::philox_fill(1, 2, 0, words), std::invalid_argument);
}

// --------------------------------------------------------------- Dropout ----

class DropoutTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(DropoutTest);

TEST_P(DropoutTest, MatchesReference) { expect_cases_pass(dropout_cases()); }

// Forward on ones gives the mask times the scale; backward on ones must give
// the same bits (the same mask, regenerated), and the mask is the reference's.
TEST_P(DropoutTest, BackwardRegeneratesTheForwardMask) {
  Matrix ones(97, 257), fwd(97, 257), bwd(97, 257), ref(97, 257);
  for (float& v : ones.storage()) v = 1.0f;
  kernels::dropout_forward(ones.view(), 0.3f, 7, 11, fwd.view());
  kernels::dropout_backward(ones.view(), 0.3f, 7, 11, bwd.view());
  kernels::reference::dropout_forward(ones.view(), 0.3f, 7, 11, ref.view());
  EXPECT_EQ(0, std::memcmp(fwd.data(), bwd.data(), 97 * 257 * sizeof(float)));
  for (size_t i = 0; i < 97 * 257; ++i) {
    ASSERT_EQ(fwd.data()[i] != 0, ref.data()[i] != 0) << "mask differs at " << i;
  }
}

TEST_P(DropoutTest, InPlaceMatchesOutOfPlace) {
  auto x = random_matrix(31, 1000, 21, -1, 1, 1003);
  Matrix out(31, 1000, 1003);
  kernels::dropout_forward(x.view(), 0.1f, 3, 4, out.view());
  kernels::dropout_forward(x.view(), 0.1f, 3, 4, x.view());
  EXPECT_TRUE(compare(x.view(), out.view(), {}).ok());
}

TEST_P(DropoutTest, ZeroDropRateIsIdentity) {
  const auto x = random_matrix(13, 101, 22, -1, 1, 128);
  Matrix out(13, 101);
  kernels::dropout_forward(x.view(), 0.0f, 5, 6, out.view());
  EXPECT_TRUE(compare(out.view(), x.view(), {}).ok());
}

// u(e)'s low 16 bits matter only when its top 8 bits equal the threshold's
// (probability 2^-8): 256K elements give about 1000 such ties at p = 0.1,
// whose keep/drop the SIMD kernel must get from L(e) exactly.
TEST_P(DropoutTest, TiesAreDecidedByTheLowBits) {
  constexpr size_t kRows = 256, kCols = 1024;
  constexpr float p = 0.1f;
  constexpr uint64_t seed = 77, stream = 3;
  const uint32_t t = mask::threshold(p);
  ASSERT_NE(0u, t & 0xFFFFu) << "p must have low threshold bits for this test";
  static const std::vector<uint64_t> ties = [&] {
    std::vector<uint64_t> found;
    for (uint64_t e = 0; e < kRows * kCols; ++e) {
      if (mask::high_bits(seed, stream, e) == t >> 16) found.push_back(e);
    }
    return found;
  }();
  Matrix ones(kRows, kCols), out(kRows, kCols);
  for (float& v : ones.storage()) v = 1.0f;
  kernels::dropout_forward(ones.view(), p, seed, stream, out.view());
  size_t kept = 0;
  for (const uint64_t e : ties) {
    const bool keep = mask::uniform(seed, stream, e) >= p;
    kept += keep;
    EXPECT_EQ(keep, out.data()[e] != 0) << "tie at element " << e;
  }
  EXPECT_GE(ties.size(), 500u);
  EXPECT_GT(kept, 100u);
  EXPECT_LT(kept, ties.size() - 100);
}

// The fraction kept is 1 - p within 5 binomial standard deviations, and every
// kept value is exactly float(1 / (1 - p)).
TEST(Dropout, KeepFractionIsOneMinusP) {
  Matrix ones(1000, 1000), out(1000, 1000);
  for (float& v : ones.storage()) v = 1.0f;
  for (const float p : {0.1f, 0.25f, 0.5f, 0.75f}) {
    kernels::dropout_forward(ones.view(), p, 2024, 1, out.view());
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    size_t kept = 0;
    for (const float v : out.storage()) {
      kept += v != 0;
      ASSERT_TRUE(v == 0 || v == scale) << v;
    }
    const double n = 1e6, q = 1.0 - p, sigma = std::sqrt(n * p * q);
    EXPECT_NEAR(double(kept), n * q, 5 * sigma) << "p = " << p;
  }
}

// Masks of different streams (and seeds) are independent: they disagree on
// 2 p (1 - p) of the elements, within 5 standard deviations.
TEST(Dropout, StreamsAndSeedsGiveDifferentMasks) {
  Matrix ones(1000, 1000), a(1000, 1000), b(1000, 1000);
  for (float& v : ones.storage()) v = 1.0f;
  const auto disagreement = [&](uint64_t seed_b, uint64_t stream_b) {
    kernels::dropout_forward(ones.view(), 0.5f, 1, 0, a.view());
    kernels::dropout_forward(ones.view(), 0.5f, seed_b, stream_b, b.view());
    size_t differ = 0;
    for (size_t i = 0; i < 1000 * 1000; ++i) differ += (a.data()[i] != 0) != (b.data()[i] != 0);
    return double(differ);
  };
  const double n = 1e6, q = 0.5, sigma = std::sqrt(n * q * (1 - q));
  EXPECT_NEAR(disagreement(1, 1), n * q, 5 * sigma);
  EXPECT_NEAR(disagreement(1, uint64_t{1} << 32), n * q, 5 * sigma);
  EXPECT_NEAR(disagreement(2, 0), n * q, 5 * sigma);
  EXPECT_EQ(0.0, disagreement(1, 0));
}

TEST(Dropout, BitIdenticalAcrossThreads) {
  const auto x = random_matrix(1024, 4096, 5);
  const auto wide = random_matrix(3, 40000, 6);  // rows split into column blocks
  expect_bit_identical_across_threads([&] {
    Matrix y(1024, 4096), dx(1024, 4096), w(3, 40000);
    kernels::dropout_forward(x.view(), 0.1f, 8, 9, y.view());
    kernels::dropout_backward(x.view(), 0.1f, 8, 9, dx.view());
    kernels::dropout_forward(wide.view(), 0.3f, 8, 10, w.view());
    std::vector<float> out(y.storage().begin(), y.storage().end());
    out.insert(out.end(), dx.storage().begin(), dx.storage().end());
    out.insert(out.end(), w.storage().begin(), w.storage().end());
    return out;
  });
}

TEST(Dropout, BadArgumentsAreNamed) {
  Matrix x(4, 5), y(4, 5), z(4, 6);
  const auto message = error_of<std::invalid_argument>;
  EXPECT_EQ("dropout_forward: p = 1 is outside [0, 1); p is the probability of dropping an element",
            message([&] { kernels::dropout_forward(x.view(), 1.0f, 0, 0, y.view()); }));
  EXPECT_EQ(
      "dropout_backward: p = -0.25 is outside [0, 1); p is the probability of dropping an element",
      message([&] { kernels::dropout_backward(x.view(), -0.25f, 0, 0, y.view()); }));
  EXPECT_EQ(
      "dropout_forward: p = nan is outside [0, 1); p is the probability of dropping an element",
      message([&] {
        kernels::dropout_forward(x.view(), std::numeric_limits<float>::quiet_NaN(), 0, 0, y.view());
      }));
  EXPECT_EQ("dropout_forward: x is 4x5 but out is 4x6; expected the same shape",
            message([&] { kernels::dropout_forward(x.view(), 0.5f, 0, 0, z.view()); }));
  EXPECT_EQ("reference::dropout_backward: p = 1.5 is outside [0, 1); p is the probability of "
            "dropping an element",
            message([&] { kernels::reference::dropout_backward(x.view(), 1.5f, 0, 0, y.view()); }));
}

// CS231n: with the mask fixed by (seed, stream), dropout is linear in x; its
// analytic gradient (backward) against centered differences of the double
// reference; rel_error below 1e-9 (CS231n expects about 1e-11 for dropout).
TEST(Dropout, GradientCheck) {
  MatrixD x = random_matrix_d(10, 10, 7);
  const MatrixD dout = random_matrix_d(10, 10, 8);
  MatrixD dx(10, 10);
  kernels::reference::dropout_backward(dout.view(), 0.4f, 31, 41, dx.view());
  const auto numeric = numeric_gradient(
      [&] {
        MatrixD y(10, 10);
        kernels::reference::dropout_forward(x.view(), 0.4f, 31, 41, y.view());
        return y.data;
      },
      x.data, dout.data);
  EXPECT_LT(rel_error(dx.data, numeric), 1e-9);
  size_t zeros = 0;
  for (const double g : dx.data) zeros += g == 0;
  EXPECT_GT(zeros, 10u);  // some elements were dropped: the check covers both cases
  EXPECT_LT(zeros, 90u);
}

}  // namespace
}  // namespace simdnet::test
