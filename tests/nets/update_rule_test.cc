// The Optimizer (every update rule over a set of named parameters) against
// CS231n's optim.py written out in double, step after step; its state names
// and checks; and the Solver's Philox permutations.
#include "simdnet/nets/update_rule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "simdnet/kernels/philox.h"
#include "simdnet/nets/solver.h"
#include "support/errors.h"

namespace simdnet::nets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// CS231n's optim.py in double, one parameter at a time.
struct ReferenceState {
  std::vector<double> w, a, b;  // a: velocity / cache / m, b: v
  int64_t t = 0;
};

void reference_step(const UpdateConfig& c, ReferenceState& s, const std::vector<double>& dw) {
  const double lr = c.learning_rate, mu = c.momentum, eps = c.epsilon;
  if (c.rule == UpdateRule::kAdam) ++s.t;
  for (size_t i = 0; i < s.w.size(); ++i) {
    const double g = dw[i];
    switch (c.rule) {
      case UpdateRule::kSgd:
        s.w[i] -= lr * g;
        break;
      case UpdateRule::kSgdMomentum:
        s.a[i] = mu * s.a[i] - lr * g;
        s.w[i] += s.a[i];
        break;
      case UpdateRule::kNesterov: {
        const double v_prev = s.a[i];
        s.a[i] = mu * s.a[i] - lr * g;
        s.w[i] += -mu * v_prev + (1 + mu) * s.a[i];
        break;
      }
      case UpdateRule::kRmsprop:
        s.a[i] = c.decay_rate * s.a[i] + (1 - c.decay_rate) * g * g;
        s.w[i] -= lr * g / (std::sqrt(s.a[i]) + eps);
        break;
      case UpdateRule::kAdam: {
        s.a[i] = c.beta1 * s.a[i] + (1 - c.beta1) * g;
        s.b[i] = c.beta2 * s.b[i] + (1 - c.beta2) * g * g;
        const double m_hat = s.a[i] / (1 - std::pow(double{c.beta1}, static_cast<double>(s.t)));
        const double v_hat = s.b[i] / (1 - std::pow(double{c.beta2}, static_cast<double>(s.t)));
        s.w[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
        break;
      }
    }
  }
}

// A deterministic value in [-1, 1) for (parameter, step, element).
float value_at(uint64_t stream, uint64_t index) {
  return 2.0f * kernels::philox::uniform(7, stream, index) - 1.0f;
}

std::vector<Parameter> make_parameters() {
  std::vector<Parameter> params;
  params.push_back({"W1", kernels::Matrix(5, 7), kernels::Matrix(5, 7)});
  params.push_back({"b1", kernels::Matrix(1, 7), kernels::Matrix(1, 7)});
  params.push_back({"gamma1", kernels::Matrix(1, 7), kernels::Matrix(1, 7)});
  for (size_t p = 0; p < params.size(); ++p) {
    auto w = params[p].value.storage();
    for (size_t i = 0; i < w.size(); ++i) w[i] = value_at(p, i);
  }
  return params;
}

class UpdateRuleTest : public ::testing::TestWithParam<UpdateRule> {};

TEST_P(UpdateRuleTest, MatchesCs231nOptimInDoubleOverSteps) {
  UpdateConfig c;
  c.rule = GetParam();
  c.learning_rate = c.rule == UpdateRule::kAdam ? 1e-2f : 5e-2f;
  std::vector<Parameter> params = make_parameters();
  Optimizer optimizer(c, params);
  std::vector<ReferenceState> ref(params.size());
  for (size_t p = 0; p < params.size(); ++p) {
    const auto w = params[p].value.storage();
    ref[p].w.assign(w.begin(), w.end());
    ref[p].a.assign(w.size(), 0.0);
    ref[p].b.assign(w.size(), 0.0);
  }
  for (int step = 0; step < 6; ++step) {
    // The Solver decays the learning rate between epochs: so does this test.
    if (step == 3) {
      c.learning_rate *= 0.5f;
      optimizer.set_learning_rate(c.learning_rate);
    }
    for (size_t p = 0; p < params.size(); ++p) {
      auto dw = params[p].grad.storage();
      std::vector<double> dw_double(dw.size());
      for (size_t i = 0; i < dw.size(); ++i) {
        dw[i] = value_at(100 + 10 * static_cast<uint64_t>(step) + p, i);
        dw_double[i] = dw[i];
      }
      reference_step(c, ref[p], dw_double);
    }
    optimizer.step(params);
    for (size_t p = 0; p < params.size(); ++p) {
      const auto w = params[p].value.storage();
      for (size_t i = 0; i < w.size(); ++i) {
        // Float arithmetic against double over a few steps: each step rounds
        // w and the state once per operation (a handful of float epsilons of
        // |w| ~ 1); the abs part covers values that pass near zero.
        const double tol = 1e-6 + 1e-5 * std::abs(ref[p].w[i]);
        ASSERT_NEAR(w[i], ref[p].w[i], tol) << params[p].name << "[" << i << "] step " << step;
      }
    }
  }
  EXPECT_EQ(optimizer.adam_steps(), c.rule == UpdateRule::kAdam ? 6 : 0);
}

INSTANTIATE_TEST_SUITE_P(AllRules, UpdateRuleTest,
                         ::testing::Values(UpdateRule::kSgd, UpdateRule::kSgdMomentum,
                                           UpdateRule::kNesterov, UpdateRule::kRmsprop,
                                           UpdateRule::kAdam),
                         [](const auto& info) { return update_rule_name(info.param); });

TEST(Optimizer, StateIsNamedPerParameterAndShapedLikeIt) {
  auto names_of = [](UpdateRule rule) {
    std::vector<Parameter> params = make_parameters();
    Optimizer o({.rule = rule}, params);
    std::vector<std::string> names;
    for (const auto& s : o.state()) {
      names.push_back(s.name);
      const std::string parameter = s.name.substr(s.name.find('/') + 1);
      const auto& p = *std::find_if(params.begin(), params.end(),
                                    [&](const Parameter& q) { return q.name == parameter; });
      EXPECT_EQ(s.value.rows(), p.value.rows());
      EXPECT_EQ(s.value.cols(), p.value.cols());
      for (float v : s.value.storage()) EXPECT_EQ(v, 0.0f) << "state starts at zero";
    }
    return names;
  };
  EXPECT_TRUE(names_of(UpdateRule::kSgd).empty());
  EXPECT_THAT(names_of(UpdateRule::kSgdMomentum),
              ElementsAre("velocity/W1", "velocity/b1", "velocity/gamma1"));
  EXPECT_THAT(names_of(UpdateRule::kNesterov),
              ElementsAre("velocity/W1", "velocity/b1", "velocity/gamma1"));
  EXPECT_THAT(names_of(UpdateRule::kRmsprop), ElementsAre("cache/W1", "cache/b1", "cache/gamma1"));
  EXPECT_THAT(names_of(UpdateRule::kAdam),
              ElementsAre("adam_m/W1", "adam_v/W1", "adam_m/b1", "adam_v/b1", "adam_m/gamma1",
                          "adam_v/gamma1"));
}

TEST(Optimizer, RejectsBadSettingsNamingTheField) {
  std::vector<Parameter> params = make_parameters();
  auto message = [&](UpdateConfig c) {
    return test::error_of<std::invalid_argument>([&] { Optimizer o(c, params); });
  };
  EXPECT_THAT(message({.learning_rate = 0.0f}), HasSubstr("learning_rate = 0"));
  EXPECT_THAT(message({.learning_rate = -1.0f}), HasSubstr("learning_rate = -1"));
  EXPECT_THAT(message({.learning_rate = NAN}), HasSubstr("learning_rate = nan"));
  EXPECT_THAT(message({.momentum = 1.0f}), HasSubstr("momentum = 1"));
  EXPECT_THAT(message({.decay_rate = -0.1f}), HasSubstr("decay_rate = -0.1"));
  EXPECT_THAT(message({.beta2 = 1.0f}), HasSubstr("beta2 = 1"));
  EXPECT_THAT(message({.epsilon = 0.0f}), HasSubstr("epsilon = 0"));
  Optimizer o({}, params);
  EXPECT_THROW(o.set_learning_rate(0.0f), std::invalid_argument);
  EXPECT_EQ(o.learning_rate(), UpdateConfig{}.learning_rate) << "a rejected rate is not taken";

  std::vector<Parameter> mismatched;
  mismatched.push_back({"W1", kernels::Matrix(2, 3), kernels::Matrix(3, 2)});
  EXPECT_THROW(Optimizer({}, mismatched), std::invalid_argument);
}

TEST(Optimizer, RuleNamesRoundTrip) {
  for (const std::string& name : update_rule_names()) {
    const auto rule = parse_update_rule(name);
    ASSERT_TRUE(rule.has_value()) << name;
    EXPECT_EQ(update_rule_name(*rule), name);
  }
  EXPECT_FALSE(parse_update_rule("momentum").has_value());
  EXPECT_FALSE(parse_update_rule("").has_value());
}

TEST(RandomPermutation, IsAPermutationAndReplaysExactly) {
  for (size_t n : {0u, 1u, 2u, 7u, 1000u, 55000u}) {
    std::vector<uint32_t> p, again;
    random_permutation(3, streams::shuffle(1), n, p);
    std::vector<uint32_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i) << "n = " << n;
    random_permutation(3, streams::shuffle(1), n, again);
    EXPECT_EQ(p, again);
    if (n >= 7) {
      std::vector<uint32_t> other_epoch, other_seed;
      random_permutation(3, streams::shuffle(2), n, other_epoch);
      random_permutation(4, streams::shuffle(1), n, other_seed);
      EXPECT_NE(p, other_epoch);
      EXPECT_NE(p, other_seed);
    }
  }
}

TEST(RandomPermutation, EveryElementIsEquallyLikelyInEveryPlace) {
  // 12000 permutations of 6: each (place, element) count ~ Binomial(12000,
  // 1/6), mean 2000, sd 40.8; 6 sd (245) is a bound no fair shuffle crosses.
  constexpr size_t kN = 6, kTrials = 12000;
  size_t counts[kN][kN] = {};
  std::vector<uint32_t> p;
  for (size_t t = 0; t < kTrials; ++t) {
    random_permutation(11, streams::shuffle(t), kN, p);
    for (size_t place = 0; place < kN; ++place) ++counts[place][p[place]];
  }
  for (size_t place = 0; place < kN; ++place)
    for (size_t e = 0; e < kN; ++e)
      EXPECT_NEAR(static_cast<double>(counts[place][e]), kTrials / 6.0, 245.0)
          << "place " << place << " element " << e;
}

TEST(UniformBelow, CoversTheRangeAndStaysInIt) {
  EXPECT_EQ(uniform_below(0, 10), 0u);
  EXPECT_EQ(uniform_below(~uint64_t{0}, 10), 9u);
  EXPECT_EQ(uniform_below(uint64_t{1} << 63, 10), 5u);
  EXPECT_EQ(uniform_below(~uint64_t{0}, 1), 0u);
}

TEST(SolverStreams, AreDisjointFromEachOtherAndFromTheNetsStreams) {
  std::set<uint64_t> seen;
  for (uint64_t epoch : {0ull, 1ull, 2ull, 1000000ull}) {
    EXPECT_TRUE(seen.insert(streams::shuffle(epoch)).second);
    EXPECT_TRUE(seen.insert(streams::train_accuracy(epoch)).second);
  }
  EXPECT_TRUE(seen.insert(streams::kSampleWithReplacement).second);
  for (uint64_t s : seen) {
    EXPECT_EQ(s >> streams::kDomainShift, streams::kShuffleDomain >> streams::kDomainShift)
        << "every Solver stream lies in the shuffling domain";
  }
}

}  // namespace
}  // namespace simdnet::nets
