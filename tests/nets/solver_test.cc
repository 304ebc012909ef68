// The Solver on synthetic Gaussian blobs: it learns with every update rule;
// histories, learning-rate decay and batch counts; the best parameters are
// restored; a NaN loss stops training cleanly; the progress callback; same
// seed => byte-identical weights for 1 and 2 threads; no allocation per step.
#include "simdnet/nets/solver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <new>

#include "simdnet/kernels/parallel.h"
#include "simdnet/nets/update_rule.h"
#include "support/errors.h"
#include "synthetic_data.h"

// Every allocation of this test binary is counted, so a test can show that a
// stretch of code allocates nothing.
namespace {
std::atomic<size_t> g_allocations{0};
}
void* operator new(size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
// (GCC sees free() on memory from operator new; here that memory is malloc's.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace simdnet::nets {
namespace {

using test::error_of;
using testing::gaussian_blobs;
using ::testing::HasSubstr;

NetSpec blob_spec(size_t features = 10, size_t classes = 4) {
  NetSpec s;
  s.input_dim = features;
  s.hidden_dims = {32};
  s.num_classes = classes;
  s.seed = 5;
  return s;
}

std::vector<std::vector<float>> weights_of(const FullyConnectedNet& net) {
  std::vector<std::vector<float>> out;
  for (const Parameter& p : net.parameters())
    out.emplace_back(p.value.storage().begin(), p.value.storage().end());
  for (const Buffer& b : net.buffers())
    out.emplace_back(b.value.storage().begin(), b.value.storage().end());
  return out;
}

// Bit-for-bit equality (NaN-safe, -0.0 distinct).
bool same_bits(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() ||
        std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
      return false;
  return true;
}

class SolverRuleTest : public ::testing::TestWithParam<UpdateRule> {};

TEST_P(SolverRuleTest, LearnsSeparableBlobs) {
  const Dataset train = gaussian_blobs(400, 10, 4, 1);
  const Dataset val = gaussian_blobs(100, 10, 4, 1, 400);
  FullyConnectedNet net(blob_spec());
  SolverConfig c;
  c.update.rule = GetParam();
  c.update.learning_rate = GetParam() == UpdateRule::kSgd ? 0.1f
                           : GetParam() == UpdateRule::kRmsprop || GetParam() == UpdateRule::kAdam
                               ? 3e-3f
                               : 3e-2f;
  c.batch_size = 20;
  c.num_epochs = 8;
  Solver solver(net, train, val, c);
  const TrainOutcome outcome = solver.train();
  ASSERT_FALSE(outcome.diverged) << outcome.message;
  const auto& epochs = solver.record().epochs;
  ASSERT_EQ(epochs.size(), 8u);
  // The blobs' centers are >= 2 apart in about half of 10 features, noise 1:
  // a linear boundary separates them with few errors.
  EXPECT_GE(outcome.best_val_acc, 0.9);
  EXPECT_LT(epochs.back().loss, 0.5 * epochs.front().loss + 0.05)
      << "the loss should fall well below its first epoch's";
  EXPECT_DOUBLE_EQ(solver.check_accuracy(val), outcome.best_val_acc)
      << "the net holds the best parameters";
}

INSTANTIATE_TEST_SUITE_P(AllRules, SolverRuleTest,
                         ::testing::Values(UpdateRule::kSgd, UpdateRule::kSgdMomentum,
                                           UpdateRule::kNesterov, UpdateRule::kRmsprop,
                                           UpdateRule::kAdam),
                         [](const auto& info) { return update_rule_name(info.param); });

TEST(Solver, HistoriesBatchCountsAndLearningRateDecay) {
  const Dataset train = gaussian_blobs(103, 10, 4, 2);
  const Dataset val = gaussian_blobs(30, 10, 4, 2, 103);
  for (bool with_replacement : {false, true}) {
    SCOPED_TRACE(with_replacement ? "with replacement" : "shuffled");
    FullyConnectedNet net(blob_spec());
    SolverConfig c;
    c.update.learning_rate = 0.08f;
    c.lr_decay = 0.5f;
    c.batch_size = 10;
    c.num_epochs = 3;
    c.sample_with_replacement = with_replacement;
    Solver solver(net, train, val, c);
    // Shuffled: every example once, ceil(103 / 10) = 11 batches (the last of
    // 3). With replacement (CS231n): max(103 / 10, 1) = 10 full batches.
    const size_t batches = with_replacement ? 10 : 11;
    EXPECT_EQ(solver.batches_per_epoch(), batches);
    solver.train();
    const TrainingRecord& r = solver.record();
    EXPECT_EQ(r.epoch, 3u);
    EXPECT_EQ(r.iteration, 3 * batches);
    EXPECT_EQ(r.loss_history.size(), 3 * batches);
    ASSERT_EQ(r.epochs.size(), 3u);
    float lr = 0.08f;
    for (size_t e = 0; e < 3; ++e) {
      EXPECT_EQ(r.epochs[e].epoch, e + 1);
      EXPECT_EQ(r.epochs[e].learning_rate, lr) << "epoch " << e + 1;
      lr *= 0.5f;
      double mean = 0;
      for (size_t b = 0; b < batches; ++b) mean += r.loss_history[e * batches + b];
      EXPECT_NEAR(r.epochs[e].loss, mean / batches, 1e-9);
      EXPECT_GT(r.epochs[e].seconds, 0.0);
      EXPECT_GT(r.epochs[e].samples_per_second, 0.0);
      EXPECT_GE(r.epochs[e].train_acc, 0.0);
      EXPECT_LE(r.epochs[e].train_acc, 1.0);
      EXPECT_GE(r.epochs[e].val_acc, 0.0);
    }
    EXPECT_EQ(solver.optimizer().learning_rate(), lr) << "decayed after every epoch";
  }
}

TEST(Solver, ChecksItsSettingsNamingTheField) {
  const Dataset train = gaussian_blobs(50, 10, 4, 2);
  const Dataset val;
  FullyConnectedNet net(blob_spec());
  auto message = [&](SolverConfig c) {
    return error_of<std::invalid_argument>([&] { Solver s(net, train, val, c); });
  };
  EXPECT_THAT(message({.update = {}, .batch_size = 0}), HasSubstr("batch_size = 0"));
  EXPECT_THAT(message({.update = {}, .batch_size = 51}),
              HasSubstr("batch_size = 51; expected 1 to the training set's size, 50"));
  EXPECT_THAT(message({.update = {}, .batch_size = 10, .num_epochs = 0}),
              HasSubstr("num_epochs = 0"));
  EXPECT_THAT(message({.update = {}, .lr_decay = 0.0f, .batch_size = 10}),
              HasSubstr("lr_decay = 0"));
  EXPECT_THAT(message({.update = {}, .lr_decay = 1.5f, .batch_size = 10}),
              HasSubstr("lr_decay = 1.5"));
  EXPECT_THAT(message({.update = {.learning_rate = -1.0f}, .batch_size = 10}),
              HasSubstr("learning_rate = -1"));
  const SolverConfig fits{.update = {}, .batch_size = 50};
  EXPECT_NO_THROW(Solver s(net, train, val, fits));
  const Dataset wrong_width = gaussian_blobs(50, 9, 4, 2);
  EXPECT_THROW(Solver(net, wrong_width, val, {}), std::invalid_argument);
}

TEST(Solver, RestoresTheBestParametersByValidationAccuracy) {
  Dataset train = gaussian_blobs(200, 10, 4, 3);
  const Dataset val = gaussian_blobs(100, 10, 4, 3, 200);
  FullyConnectedNet net(blob_spec());
  Solver solver(net, train, val,
                {.update = {.learning_rate = 0.1f}, .batch_size = 20, .num_epochs = 2});
  solver.train();
  const double good = solver.record().epochs[1].val_acc;
  ASSERT_GT(good, 0.8);
  // From epoch 3 on, the training labels are wrong (shifted by one class):
  // validation accuracy collapses, and the end restores epoch 2 (or 1).
  for (int32_t& y : train.y) y = (y + 1) % 4;
  solver.set_num_epochs(5);
  const TrainOutcome outcome = solver.train();
  ASSERT_FALSE(outcome.diverged);
  const auto& epochs = solver.record().epochs;
  ASSERT_EQ(epochs.size(), 5u);
  EXPECT_LT(epochs.back().val_acc, 0.5) << "the shifted labels must hurt";
  size_t argmax = 0;
  for (size_t e = 0; e < epochs.size(); ++e)
    if (epochs[e].val_acc > epochs[argmax].val_acc) argmax = e;
  EXPECT_EQ(outcome.best_epoch, argmax + 1);
  EXPECT_LE(outcome.best_epoch, 2u);
  EXPECT_EQ(outcome.best_val_acc, epochs[argmax].val_acc);
  EXPECT_DOUBLE_EQ(solver.check_accuracy(val), epochs[argmax].val_acc);
  const auto& best = solver.record().best_parameters;
  for (size_t i = 0; i < net.parameters().size(); ++i)
    EXPECT_EQ(std::memcmp(net.parameters()[i].value.data(), best[i].data(),
                          best[i].rows() * best[i].stride() * sizeof(float)),
              0)
        << net.parameters()[i].name;
}

TEST(Solver, TrainingAgainEndsExactlyWhereOneLongerRunEnds) {
  // Blobs so far apart that validation accuracy is 1 from the first epoch on:
  // the best epoch stays 1 (ties keep the first), so best != last.
  const Dataset train = gaussian_blobs(120, 10, 4, 8, 0, 4.0f, 0.3f);
  const Dataset val = gaussian_blobs(40, 10, 4, 8, 120, 4.0f, 0.3f);
  NetSpec spec = blob_spec();
  spec.batchnorm = true;
  spec.dropout = 0.2f;
  const SolverConfig config{.update = {.rule = UpdateRule::kAdam, .learning_rate = 2e-2f},
                            .lr_decay = 0.8f,
                            .batch_size = 16,
                            .num_epochs = 4};
  FullyConnectedNet a(spec);
  Solver longer(a, train, val, config);
  longer.train();

  FullyConnectedNet b(spec);
  SolverConfig half = config;
  half.num_epochs = 2;
  Solver twice(b, train, val, half);
  twice.train();
  EXPECT_TRUE(twice.record().net_holds_best);
  ASSERT_EQ(twice.record().best_epoch, 1u);
  twice.set_num_epochs(4);
  twice.train();
  EXPECT_TRUE(same_bits(weights_of(a), weights_of(b)));
  EXPECT_EQ(longer.record().loss_history, twice.record().loss_history);
  EXPECT_EQ(longer.record().best_epoch, twice.record().best_epoch);
  for (size_t i = 0; i < longer.record().last_parameters.size(); ++i)
    EXPECT_EQ(std::memcmp(longer.record().last_parameters[i].data(),
                          twice.record().last_parameters[i].data(),
                          longer.record().last_parameters[i].rows() *
                              longer.record().last_parameters[i].stride() * sizeof(float)),
              0);
}

TEST(Solver, WithoutValidationSetKeepsTheLatestEpoch) {
  const Dataset train = gaussian_blobs(100, 10, 4, 3);
  const Dataset val;
  FullyConnectedNet net(blob_spec());
  Solver solver(net, train, val,
                {.update = {.learning_rate = 0.05f}, .batch_size = 10, .num_epochs = 3});
  const TrainOutcome outcome = solver.train();
  EXPECT_EQ(outcome.best_epoch, 3u);
  EXPECT_TRUE(std::isnan(solver.record().epochs[0].val_acc));
}

TEST(Solver, NonFiniteLossStopsTrainingNamingTheStepAndTheLastGoodEpoch) {
  const Dataset train = gaussian_blobs(100, 10, 4, 4);
  const Dataset val = gaussian_blobs(40, 10, 4, 4, 100);
  FullyConnectedNet net(blob_spec());
  Solver solver(net, train, val,
                {.update = {.learning_rate = 0.05f}, .batch_size = 10, .num_epochs = 1});
  solver.train();
  const auto after_epoch_1 = weights_of(net);
  // An absurd learning rate from epoch 2 on: step 10's update throws the
  // weights to ~1e30, so step 11's scores overflow and its loss is not finite.
  solver.optimizer().set_learning_rate(1e30f);
  solver.set_num_epochs(3);
  const TrainOutcome outcome = solver.train();
  EXPECT_TRUE(outcome.diverged);
  EXPECT_THAT(outcome.message, HasSubstr("at step 11 (epoch 2, batch 2 of 10)"));
  EXPECT_THAT(outcome.message, HasSubstr("Last good epoch: 1"));
  EXPECT_THAT(outcome.message, HasSubstr("from epoch 1 (val acc "));
  EXPECT_EQ(outcome.epochs_done, 1u);
  EXPECT_EQ(solver.record().loss_history.size(), 11u) << "the non-finite step is not recorded";
  EXPECT_TRUE(same_bits(weights_of(net), after_epoch_1)) << "the best (epoch 1) parameters";

  // Diverging in the very first epoch leaves the initial parameters.
  FullyConnectedNet fresh(blob_spec());
  const auto initial = weights_of(fresh);
  Solver first(fresh, train, val,
               {.update = {.learning_rate = 1e30f}, .batch_size = 10, .num_epochs = 2});
  const TrainOutcome early = first.train();
  EXPECT_TRUE(early.diverged);
  EXPECT_THAT(early.message, HasSubstr("at step 1 (epoch 1, batch 2 of 10)"));
  EXPECT_THAT(early.message, HasSubstr("Last good epoch: none"));
  EXPECT_THAT(early.message, HasSubstr("the initial ones"));
  EXPECT_TRUE(same_bits(weights_of(fresh), initial));
}

TEST(Solver, ReportsProgressAfterEveryStepAndEveryEpoch) {
  const Dataset train = gaussian_blobs(60, 10, 4, 5);
  const Dataset val = gaussian_blobs(20, 10, 4, 5, 60);
  FullyConnectedNet net(blob_spec());
  Solver solver(net, train, val, {.update = {}, .batch_size = 16, .num_epochs = 2});
  std::vector<std::string> events;
  solver.set_progress_callback([&](const Progress& p) {
    EXPECT_EQ(p.num_epochs, 2u);
    EXPECT_EQ(p.batches_per_epoch, 4u);
    EXPECT_GT(p.loss, 0.0);
    EXPECT_GE(p.eta_seconds, 0.0);
    events.push_back(std::to_string(p.epoch) +
                     (p.epoch_done ? "done" : ":" + std::to_string(p.batch)));
    if (p.epoch_done) {
      EXPECT_EQ(p.epoch_done->epoch, p.epoch);
      EXPECT_EQ(p.batch, 4u);
    }
  });
  solver.train();
  EXPECT_THAT(events, ::testing::ElementsAre("1:1", "1:2", "1:3", "1:4", "1done", "2:1", "2:2",
                                             "2:3", "2:4", "2done"));
}

// Trains a net with batchnorm and dropout on `threads` threads.
std::vector<std::vector<float>> train_on(int threads, bool with_replacement, uint64_t seed) {
  kernels::set_thread_count(threads);
  const Dataset train = gaussian_blobs(256, 40, 5, 6);
  const Dataset val = gaussian_blobs(64, 40, 5, 6, 256);
  NetSpec spec = blob_spec(40, 5);
  spec.hidden_dims = {300, 200};
  spec.batchnorm = true;
  spec.dropout = 0.3f;
  FullyConnectedNet net(spec);
  Solver solver(net, train, val,
                {.update = {.rule = UpdateRule::kAdam, .learning_rate = 1e-3f},
                 .batch_size = 64,
                 .num_epochs = 2,
                 .seed = seed,
                 .sample_with_replacement = with_replacement});
  solver.train();
  auto w = weights_of(net);
  w.emplace_back(solver.record().loss_history);
  return w;
}

TEST(Solver, SameSeedGivesByteIdenticalWeightsForOneAndTwoThreads) {
  const int before = kernels::thread_count();
  for (bool with_replacement : {false, true}) {
    SCOPED_TRACE(with_replacement ? "with replacement" : "shuffled");
    const auto one = train_on(1, with_replacement, 9);
    const auto two = train_on(2, with_replacement, 9);
    EXPECT_TRUE(same_bits(one, two));
    EXPECT_FALSE(same_bits(one, train_on(2, with_replacement, 10)))
        << "another Solver seed gives another minibatch order";
  }
  kernels::set_thread_count(before);
}

size_t allocations_during_one_epoch(size_t train_size) {
  const Dataset train = gaussian_blobs(train_size, 10, 4, 7);
  const Dataset val = gaussian_blobs(40, 10, 4, 7, train_size);
  FullyConnectedNet net(blob_spec());
  Solver solver(net, train, val,
                {.update = {.rule = UpdateRule::kSgdMomentum},
                 .batch_size = 16,
                 .num_epochs = 1,
                 .num_train_samples = 32});
  const size_t before = g_allocations.load();
  solver.train();
  return g_allocations.load() - before;
}

// What one training step of the net itself allocates, in steady state.
size_t net_allocations_per_step() {
  const Dataset train = gaussian_blobs(16, 10, 4, 7);
  FullyConnectedNet net(blob_spec());
  const std::span<const int32_t> y(train.y);
  net.loss_and_gradients(train.x.view(), y, 0);
  const size_t before = g_allocations.load();
  for (uint64_t step = 1; step <= 10; ++step) net.loss_and_gradients(train.x.view(), y, step);
  return (g_allocations.load() - before) / 10;
}

TEST(Solver, TheStepLoopAddsNoAllocation) {
  // One epoch of 10 steps and one of 40: what train() allocates once or per
  // epoch is the same for both; the 30 extra steps may allocate only what the
  // net's own loss_and_gradients does (nothing, once the kernels allocate
  // nothing per call).
  allocations_during_one_epoch(160);  // first use: the thread pool and other one-time set-up
  const size_t short_epoch = allocations_during_one_epoch(160);
  const size_t long_epoch = allocations_during_one_epoch(640);
  const size_t per_net_step = net_allocations_per_step();
  EXPECT_EQ(long_epoch - short_epoch, 30 * per_net_step);
  if (per_net_step > 0)
    std::cout << "note: FullyConnectedNet::loss_and_gradients allocates " << per_net_step
              << " time(s) per call (below the Solver)\n";
}
// The same at the sizes where the kernels split their work across threads
// (each matmul strip leases its thread's packing buffer): a 256-256-128-10
// net with batchnorm and dropout at batch 64 on 2 threads, forward, backward
// and an Adam step, allocates nothing per step once warm.
TEST(Solver, AStepOnTwoThreadsAllocatesNothing) {
  const int before_threads = kernels::thread_count();
  kernels::set_thread_count(2);
  const Dataset train = gaussian_blobs(64, 256, 10, 11);
  NetSpec spec = blob_spec(256, 10);
  spec.hidden_dims = {256, 128};
  spec.batchnorm = true;
  spec.dropout = 0.25f;
  FullyConnectedNet net(spec);
  Optimizer optimizer({.rule = UpdateRule::kAdam, .learning_rate = 1e-3f}, net.parameters());
  const std::span<const int32_t> y(train.y);
  for (uint64_t step = 0; step < 3; ++step) {  // warm: every buffer at its size
    net.loss_and_gradients(train.x.view(), y, step);
    optimizer.step(net.parameters());
  }
  // operator new, and the aligned storage of matrices and scratch buffers.
  auto allocations = [] {
    return g_allocations.load() + kernels::MatrixOf<float>::allocations() +
           kernels::MatrixOf<double>::allocations();
  };
  const size_t before = allocations();
  for (uint64_t step = 3; step < 13; ++step) {
    net.loss_and_gradients(train.x.view(), y, step);
    optimizer.step(net.parameters());
  }
  EXPECT_EQ(allocations() - before, 0u) << "allocations in 10 steps on 2 threads";
  kernels::set_thread_count(before_threads);
}
}  // namespace
}  // namespace simdnet::nets
