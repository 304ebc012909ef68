#include "simdnet/kernels/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "support/checks.h"
#include "support/errors.h"

namespace simdnet::test {
namespace {

namespace k = kernels;

class OptimizerTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(OptimizerTest);

TEST_P(OptimizerTest, MatchesReference) { expect_cases_pass(optimizer_cases()); }

// Parameters, their gradient and all of a rule's state (zero at the start,
// like CS231n's config): what the SIMD kernel and the reference each evolve.
struct Trajectory {
  std::vector<float> w, s1, s2;
  explicit Trajectory(size_t n) : w(random_vector(n, 41, -1, 1)), s1(n), s2(n) {}
};

using Step = std::function<void(Trajectory&, std::span<const float> dw, bool reference,
                                int64_t t)>;

// Five steps in a row (adam: t = 1 .. 5) from zero state, a new gradient each
// step; after step k both trajectories agree within k times the one-step
// tolerance of optimizer_cases (each step's rounding differences add; the
// rules are contractions in their state, so they do not grow).
void expect_steps_match(const char* rule, float weight_decay, const Step& step) {
  constexpr size_t n = 4099;
  Trajectory got(n), ref(n);
  for (int64_t t = 1; t <= 5; ++t) {
    const std::vector<float> dw = random_vector(n, 100 + unsigned(t), -1, 1);
    step(got, dw, false, t);
    step(ref, dw, true, t);
    const Tolerance tol{double(t) * 0x1p-22, double(t) * 0x1p-21, ""};
    const ErrorStats e = merge(compare(got.w, ref.w, tol),
                               merge(compare(got.s1, ref.s1, tol), compare(got.s2, ref.s2, tol)));
    EXPECT_TRUE(e.ok()) << rule << " (weight_decay " << weight_decay << ") step " << t << ": "
                        << e.failures << " elements out of tolerance, max abs " << e.max_abs
                        << ", max rel " << e.max_rel;
  }
}

TEST_P(OptimizerTest, SeveralStepsInARow) {
  for (const float wd : {0.0f, 0.05f}) {
    expect_steps_match("sgd", wd,
                       [&](Trajectory& x, std::span<const float> dw, bool ref, int64_t) {
                         const k::SgdConfig c{.learning_rate = 0.05f, .weight_decay = wd};
                         ref ? k::reference::sgd_update(x.w, dw, c) : k::sgd_update(x.w, dw, c);
                       });
    expect_steps_match("sgd_momentum", wd,
                       [&](Trajectory& x, std::span<const float> dw, bool ref, int64_t) {
                         const k::SgdMomentumConfig c{.weight_decay = wd};
                         ref ? k::reference::sgd_momentum_update(x.w, dw, x.s1, c)
                             : k::sgd_momentum_update(x.w, dw, x.s1, c);
                       });
    expect_steps_match("nesterov", wd,
                       [&](Trajectory& x, std::span<const float> dw, bool ref, int64_t) {
                         const k::NesterovConfig c{.momentum = 0.8f, .weight_decay = wd};
                         ref ? k::reference::nesterov_update(x.w, dw, x.s1, c)
                             : k::nesterov_update(x.w, dw, x.s1, c);
                       });
    expect_steps_match("rmsprop", wd,
                       [&](Trajectory& x, std::span<const float> dw, bool ref, int64_t) {
                         const k::RmspropConfig c{.weight_decay = wd};
                         ref ? k::reference::rmsprop_update(x.w, dw, x.s1, c)
                             : k::rmsprop_update(x.w, dw, x.s1, c);
                       });
    expect_steps_match("adam", wd,
                       [&](Trajectory& x, std::span<const float> dw, bool ref, int64_t t) {
                         const k::AdamConfig c{.weight_decay = wd};
                         ref ? k::reference::adam_update(x.w, dw, x.s1, x.s2, c, t)
                             : k::adam_update(x.w, dw, x.s1, x.s2, c, t);
                       });
  }
}

// CS231n's first Adam step from zero state moves every weight by almost
// exactly learning_rate against the gradient's sign: m_hat = g, v_hat = g^2.
TEST_P(OptimizerTest, FirstAdamStepIsLearningRateTimesSign) {
  std::vector<float> w(37, 0.5f), dw = random_vector(37, 3, -1, 1), m(37), v(37);
  k::adam_update(w, dw, m, v, {}, 1);
  for (size_t i = 0; i < w.size(); ++i) {
    const double expected = 0.5 - 1e-3 * std::fabs(dw[i]) / (std::fabs(dw[i]) + 1e-8) *
                                      (dw[i] > 0 ? 1 : -1);
    EXPECT_NEAR(expected, w[i], 1e-7) << i;
  }
}

// Without weight decay, g is dw itself: an infinite weight stays infinite
// instead of becoming inf - lr * (dw + 0 * inf) = NaN.
TEST_P(OptimizerTest, ZeroWeightDecayDoesNotReadWIntoTheGradient) {
  std::vector<float> w(19, std::numeric_limits<float>::infinity()), dw(19, 1.0f);
  k::sgd_update(w, dw, {});
  for (const float x : w) EXPECT_EQ(std::numeric_limits<float>::infinity(), x);
}

TEST(Optimizer, BitIdenticalAcrossThreads) {
  constexpr size_t n = 1024 * 1024 + 3;  // 65 blocks of 16K elements
  const std::vector<float> w0 = random_vector(n, 1), dw = random_vector(n, 2);
  expect_bit_identical_across_threads([&] {
    std::vector<float> w = w0, a(n, 0.01f), b(n, 0.02f), out;
    const auto append = [&](const std::vector<float>& x) {
      out.insert(out.end(), x.begin(), x.end());
    };
    k::sgd_update(w, dw, {.weight_decay = 0.1f});
    append(w);
    k::sgd_momentum_update(w, dw, a, {});
    append(w), append(a);
    k::nesterov_update(w, dw, a, {});
    append(w), append(a);
    k::rmsprop_update(w, dw, b, {.weight_decay = 0.01f});
    append(w), append(b);
    k::adam_update(w, dw, a, b, {}, 3);
    append(w), append(a), append(b);
    return out;
  });
}

// The fused overloads (one call over all of a net's parameters) against one
// single-array call per parameter: the same bits, for 1 to 4 threads. The
// lengths are a CIFAR-10 net's ([100]x5, batchnorm) and odd ones around the
// 16K-element blocks, so that blocks span several parameters and split others.
TEST_P(OptimizerTest, FusedEqualsOneCallPerParameter) {
  const std::vector<size_t> lengths = {307200, 100, 100, 100, 10000, 100, 100, 100, 10000,
                                       100,    100, 100, 10000, 1,   16383, 17, 16385, 0, 1000};
  struct Arrays {
    std::vector<float> w, dw, s1, s2;
  };
  std::vector<Arrays> start;
  for (size_t p = 0; p < lengths.size(); ++p) {
    const size_t n = lengths[p];
    const unsigned seed = 7 + 4 * unsigned(p);
    start.push_back({random_vector(n, seed), random_vector(n, seed + 1),
                     random_vector(n, seed + 2, -0.1f, 0.1f),
                     random_vector(n, seed + 3, 0, 0.01f)});
  }
  using Single = std::function<void(Arrays&)>;
  using Fused = std::function<void(std::span<const k::ParameterArrays>)>;
  // w and both states of every parameter, end to end.
  auto flatten = [](const std::vector<Arrays>& all) {
    std::vector<float> out;
    for (const Arrays& x : all)
      for (const auto* v : {&x.w, &x.s1, &x.s2}) out.insert(out.end(), v->begin(), v->end());
    return out;
  };
  auto expect_same = [&](const char* rule, const Single& single, const Fused& fused) {
    std::vector<Arrays> one = start;
    for (Arrays& x : one) single(x);
    const std::vector<float> expected = flatten(one);
    const auto run_fused = [&] {
      std::vector<Arrays> all = start;
      std::vector<k::ParameterArrays> arrays;
      for (Arrays& x : all) arrays.push_back({x.w, x.dw, x.s1, x.s2});
      fused(arrays);
      return flatten(all);
    };
    const std::vector<float> got = run_fused();
    ASSERT_EQ(expected.size(), got.size());
    EXPECT_EQ(0, std::memcmp(expected.data(), got.data(), got.size() * sizeof(float))) << rule;
    expect_bit_identical_across_threads(run_fused);
  };
  const k::SgdConfig sgd{.learning_rate = 0.05f, .weight_decay = 0.01f};
  expect_same("sgd", [&](Arrays& x) { k::sgd_update(x.w, x.dw, sgd); },
              [&](auto p) { k::sgd_update(p, sgd); });
  const k::SgdMomentumConfig momentum{};
  expect_same("sgd_momentum", [&](Arrays& x) { k::sgd_momentum_update(x.w, x.dw, x.s1, momentum); },
              [&](auto p) { k::sgd_momentum_update(p, momentum); });
  const k::NesterovConfig nesterov{.momentum = 0.8f};
  expect_same("nesterov", [&](Arrays& x) { k::nesterov_update(x.w, x.dw, x.s1, nesterov); },
              [&](auto p) { k::nesterov_update(p, nesterov); });
  const k::RmspropConfig rmsprop{};
  expect_same("rmsprop", [&](Arrays& x) { k::rmsprop_update(x.w, x.dw, x.s1, rmsprop); },
              [&](auto p) { k::rmsprop_update(p, rmsprop); });
  const k::AdamConfig adam{};
  expect_same("adam", [&](Arrays& x) { k::adam_update(x.w, x.dw, x.s1, x.s2, adam, 3); },
              [&](auto p) { k::adam_update(p, adam, 3); });
}

TEST(Optimizer, FusedBadArgumentsNameTheParameter) {
  std::vector<float> w(6), dw(6), s(6), short_state(5);
  const auto message = error_of<std::invalid_argument>;
  const std::vector<k::ParameterArrays> bad_dw = {{w, dw, s, s}, {w, short_state, s, s}};
  EXPECT_EQ("sgd_update: parameter 1: dw has 5 elements; expected 6",
            message([&] { k::sgd_update(bad_dw, {}); }));
  // sgd uses no state: empty state spans are fine.
  const std::vector<k::ParameterArrays> stateless = {{w, dw, {}, {}}};
  EXPECT_NO_THROW(k::sgd_update(stateless, {}));
  EXPECT_EQ("sgd_momentum_update: parameter 0: velocity has 0 elements; expected 6",
            message([&] { k::sgd_momentum_update(stateless, {}); }));
  const std::vector<k::ParameterArrays> bad_v = {
      {w, dw, s, s}, {w, dw, s, s}, {w, dw, s, short_state}};
  EXPECT_EQ("adam_update: parameter 2: v has 5 elements; expected 6",
            message([&] { k::adam_update(bad_v, {}, 1); }));
  const std::vector<k::ParameterArrays> bad_cache = {{w, dw, short_state, s}};
  EXPECT_EQ("rmsprop_update: parameter 0: cache has 5 elements; expected 6",
            message([&] { k::rmsprop_update(bad_cache, {}); }));
  EXPECT_EQ("reference::nesterov_update: parameter 0: velocity has 0 elements; expected 6",
            message([&] { k::reference::nesterov_update(stateless, {}); }));
  EXPECT_EQ("adam_update: t = 0; expected the step number, counted from 1",
            message([&] { k::adam_update(bad_v, {}, 0); }));
}

TEST(Optimizer, BadArgumentsAreNamed) {
  std::vector<float> w(6), dw(6), s(6), short_state(5);
  const auto message = error_of<std::invalid_argument>;
  EXPECT_EQ("sgd_update: dw has 5 elements; expected 6",
            message([&] { k::sgd_update(w, short_state, {}); }));
  EXPECT_EQ("sgd_update: learning_rate = 0; expected a finite value > 0",
            message([&] { k::sgd_update(w, dw, {.learning_rate = 0}); }));
  EXPECT_EQ("sgd_update: learning_rate = nan; expected a finite value > 0", message([&] {
              k::sgd_update(w, dw, {.learning_rate = std::numeric_limits<float>::quiet_NaN()});
            }));
  EXPECT_EQ("sgd_update: weight_decay = -0.5; expected a finite value >= 0",
            message([&] { k::sgd_update(w, dw, {.weight_decay = -0.5f}); }));
  EXPECT_EQ("sgd_momentum_update: velocity has 5 elements; expected 6",
            message([&] { k::sgd_momentum_update(w, dw, short_state, {}); }));
  EXPECT_EQ("sgd_momentum_update: momentum = 1; expected a value in [0, 1)",
            message([&] { k::sgd_momentum_update(w, dw, s, {.momentum = 1}); }));
  EXPECT_EQ("nesterov_update: momentum = -0.25; expected a value in [0, 1)",
            message([&] { k::nesterov_update(w, dw, s, {.momentum = -0.25f}); }));
  EXPECT_EQ("rmsprop_update: decay_rate = 1.5; expected a value in [0, 1)",
            message([&] { k::rmsprop_update(w, dw, s, {.decay_rate = 1.5f}); }));
  EXPECT_EQ("rmsprop_update: epsilon = 0; expected a finite value > 0",
            message([&] { k::rmsprop_update(w, dw, s, {.epsilon = 0}); }));
  EXPECT_EQ("rmsprop_update: cache has 5 elements; expected 6",
            message([&] { k::rmsprop_update(w, dw, short_state, {}); }));
  EXPECT_EQ("adam_update: beta1 = 1; expected a value in [0, 1)",
            message([&] { k::adam_update(w, dw, s, s, {.beta1 = 1}, 1); }));
  EXPECT_EQ("adam_update: beta2 = inf; expected a value in [0, 1)", message([&] {
              k::adam_update(w, dw, s, s, {.beta2 = std::numeric_limits<float>::infinity()}, 1);
            }));
  EXPECT_EQ("adam_update: t = 0; expected the step number, counted from 1",
            message([&] { k::adam_update(w, dw, s, s, {}, 0); }));
  EXPECT_EQ("adam_update: v has 5 elements; expected 6",
            message([&] { k::adam_update(w, dw, s, short_state, {}, 1); }));
  EXPECT_EQ("reference::adam_update: learning_rate = -0.001; expected a finite value > 0",
            message([&] { k::reference::adam_update(w, dw, s, s, {.learning_rate = -1e-3f}, 1); }));
}

}  // namespace
}  // namespace simdnet::test
