// A NaN or infinite gradient stops training before its update, naming the
// step, the parameter and its layer, even when the loss is finite; a NaN
// loss names where the NaN shows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "simdnet/nets/solver.h"

namespace simdnet::nets {
namespace {

using ::testing::HasSubstr;

NetSpec spec() {
  NetSpec s;
  s.input_dim = 4;
  s.hidden_dims = {8};
  s.num_classes = 2;
  s.seed = 3;
  return s;
}

Dataset huge_inputs() {
  Dataset d;
  d.num_classes = 2;
  d.x = kernels::Matrix(20, 4);
  d.y.resize(20);
  for (size_t i = 0; i < 20; ++i) {
    d.y[i] = static_cast<int32_t>(i % 2);
    for (size_t j = 0; j < 4; ++j) d.x.at(i, j) = 1e10f;
  }
  return d;
}

Parameter& parameter(FullyConnectedNet& net, const std::string& name) {
  for (Parameter& p : net.parameters())
    if (p.name == name) return p;
  throw std::logic_error("no parameter " + name);
}

void fill(kernels::Matrix& m, float value) {
  for (size_t i = 0; i < m.rows(); ++i)
    for (size_t j = 0; j < m.cols(); ++j) m.at(i, j) = value;
}

TEST(Divergence, AnInfiniteGradientWithAFiniteLossStopsBeforeTheEpochIsKept) {
  // Inputs 1e10, W1 = 1e-30, W2 = +-1e30 (class 0 / class 1 columns): the
  // hidden units are ~4e-20 and the scores ~+-3e11, so the loss is finite
  // (~3e11 for class-1 examples); but dh = dscores * W2^T ~ 2e30 / N, and
  // dW1 = x^T dh ~ 1e40: overflows to +Inf, and step 0's update makes W1
  // -Inf. The next forward pass hides it (relu(-Inf) = 0: a finite loss
  // again); the parameter check at the epoch's end (step 1) finds it.
  const Dataset train = huge_inputs();
  const Dataset none;
  FullyConnectedNet net(spec());
  fill(parameter(net, "W1").value, 1e-30f);
  fill(parameter(net, "b1").value, 0);
  kernels::Matrix& w2 = parameter(net, "W2").value;
  for (size_t i = 0; i < w2.rows(); ++i) {
    w2.at(i, 0) = 1e30f;
    w2.at(i, 1) = -1e30f;
  }
  const float w1_before = parameter(net, "W1").value.at(0, 0);
  Solver solver(net, train, none, {.update = {.learning_rate = 1e-3f}, .batch_size = 10,
                                   .num_epochs = 2});
  const TrainOutcome outcome = solver.train();
  EXPECT_TRUE(outcome.diverged);
  EXPECT_FALSE(outcome.interrupted);
  EXPECT_THAT(outcome.message,
              HasSubstr("a NaN or infinite gradient reached the parameter W1 (affine layer 1): "
                        "-Inf at (0, 0), in one of steps 0 to 1 (epoch 1; the loss stayed "
                        "finite). Last good epoch: none"));
  EXPECT_EQ(outcome.epochs_done, 0u) << "the epoch is not kept";
  EXPECT_TRUE(solver.record().epochs.empty());
  EXPECT_EQ(parameter(net, "W1").value.at(0, 0), w1_before) << "the initial parameters";
}

TEST(Divergence, ANonFiniteParameterIsCaughtWithinTheCheckInterval) {
  // 200 examples, batch 1: 200 steps per epoch. A NaN put into W1 by hand
  // after step 40 (from the progress callback) is found at the check after
  // step 64 (every kParameterCheckInterval = 32 steps), long before the
  // epoch ends.
  Dataset train;
  train.num_classes = 2;
  train.x = kernels::Matrix(200, 4);
  train.y.assign(200, 0);
  const Dataset none;
  FullyConnectedNet net(spec());
  Solver solver(net, train, none, {.update = {}, .batch_size = 1, .num_epochs = 1});
  ASSERT_EQ(Solver::kParameterCheckInterval, 32u);
  solver.set_progress_callback([&](const Progress& p) {
    if (p.batch == 41 && !p.epoch_done)
      parameter(net, "W1").value.at(1, 2) = std::numeric_limits<float>::quiet_NaN();
  });
  const TrainOutcome outcome = solver.train();
  EXPECT_TRUE(outcome.diverged);
  EXPECT_THAT(outcome.message, HasSubstr("reached the parameter W1 (affine layer 1): NaN at (1, 2), "
                                         "in one of steps 32 to 63 (epoch 1;"));
  EXPECT_EQ(solver.record().iteration, 64u);
}

TEST(Divergence, ANanLossNamesTheLayerWhereTheNanShows) {
  const Dataset train = huge_inputs();
  const Dataset none;
  FullyConnectedNet net(spec());
  parameter(net, "W2").value.at(3, 1) = std::numeric_limits<float>::quiet_NaN();
  Solver solver(net, train, none, {.update = {}, .batch_size = 10, .num_epochs = 1});
  const TrainOutcome outcome = solver.train();
  EXPECT_TRUE(outcome.diverged);
  EXPECT_THAT(outcome.message,
              HasSubstr("the loss is NaN, in the parameter W2 (affine layer 2 (the output "
                        "layer)): NaN at (3, 1) at step 0"));
}

}  // namespace
}  // namespace simdnet::nets
