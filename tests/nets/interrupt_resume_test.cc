// A stop request mid-epoch, a checkpoint, a restore into a fresh net and
// Solver: training ends with the same bits (parameters, buffers, update-rule
// state, histories) as the uninterrupted run, wherever the stop lands: before
// the first step, mid-epoch, after an epoch's last step, twice in a row. And
// SIGINT/SIGTERM as stop requests (interrupt.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstring>

#include "simdnet/nets/checkpoint.h"
#include "simdnet/nets/interrupt.h"
#include "support/temp_dir.h"
#include "synthetic_data.h"

namespace simdnet::nets {
namespace {

namespace fs = std::filesystem;
using testing::gaussian_blobs;
using ::testing::HasSubstr;

bool same_bits(const kernels::Matrix& a, const kernels::Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && a.stride() == b.stride() &&
         std::memcmp(a.data(), b.data(), a.rows() * a.stride() * sizeof(float)) == 0;
}

NetSpec spec() {
  NetSpec s;
  s.input_dim = 12;
  s.hidden_dims = {24, 16};
  s.num_classes = 3;
  s.batchnorm = true;  // running statistics: buffers
  s.dropout = 0.2f;    // masks keyed by the step
  s.l2 = 1e-3f;
  s.seed = 5;
  return s;
}

// 110 examples, batch 25: 5 batches per epoch, the last one of 10.
SolverConfig config(bool with_replacement) {
  return {.update = {.rule = UpdateRule::kAdam, .learning_rate = 2e-3f},
          .lr_decay = 0.9f,
          .batch_size = 25,
          .num_epochs = 3,
          .seed = 11,
          .sample_with_replacement = with_replacement,
          .num_train_samples = 50};
}

class InterruptResumeTest : public test::TempDirTest,
                            public ::testing::WithParamInterface<bool> {
 protected:
  InterruptResumeTest() : TempDirTest("simdnet-interrupt-test") {}

  // Everything a resumed run must reproduce, compared bit for bit.
  static void expect_same_run(const Solver& a, const Solver& b) {
    const auto& pa = a.net().parameters();
    const auto& pb = b.net().parameters();
    for (size_t i = 0; i < pa.size(); ++i)
      EXPECT_TRUE(same_bits(pa[i].value, pb[i].value)) << pa[i].name;
    for (size_t i = 0; i < a.net().buffers().size(); ++i)
      EXPECT_TRUE(same_bits(a.net().buffers()[i].value, b.net().buffers()[i].value))
          << a.net().buffers()[i].name;
    for (size_t i = 0; i < a.record().last_parameters.size(); ++i)
      EXPECT_TRUE(same_bits(a.record().last_parameters[i], b.record().last_parameters[i]))
          << "last " << pa[i].name;
    for (size_t i = 0; i < a.optimizer().state().size(); ++i)
      EXPECT_TRUE(same_bits(a.optimizer().state()[i].value, b.optimizer().state()[i].value))
          << a.optimizer().state()[i].name;
    EXPECT_EQ(a.record().iteration, b.record().iteration);
    EXPECT_EQ(a.record().loss_history, b.record().loss_history);
    ASSERT_EQ(a.record().epochs.size(), b.record().epochs.size());
    for (size_t e = 0; e < a.record().epochs.size(); ++e) {
      EXPECT_EQ(a.record().epochs[e].loss, b.record().epochs[e].loss) << "epoch " << e + 1;
      EXPECT_EQ(a.record().epochs[e].train_acc, b.record().epochs[e].train_acc);
      EXPECT_EQ(a.record().epochs[e].val_acc, b.record().epochs[e].val_acc);
      EXPECT_EQ(a.record().epochs[e].learning_rate, b.record().epochs[e].learning_rate);
    }
    EXPECT_EQ(a.record().best_epoch, b.record().best_epoch);
  }

  const Dataset train_ = gaussian_blobs(110, 12, 3, 8);
  const Dataset val_ = gaussian_blobs(30, 12, 3, 8, 110);
};

// Stops after `stops[0]` steps, saves, restores into a fresh Solver, stops
// after `stops[1]` more, ... then runs to the end; compares with one run.
TEST_P(InterruptResumeTest, ResumedRunEndsWithTheUninterruptedRunsBits) {
  const bool with_replacement = GetParam();
  FullyConnectedNet reference_net(spec());
  Solver reference(reference_net, train_, val_, config(with_replacement));
  ASSERT_EQ(reference.batches_per_epoch(), with_replacement ? 4u : 5u);
  const TrainOutcome done = reference.train();
  ASSERT_FALSE(done.diverged || done.interrupted) << done.message;

  const size_t per_epoch = reference.batches_per_epoch();
  // Mid-epoch; after an epoch's last step (before its accuracy checks);
  // twice within one epoch; right at the start of a resumed run.
  const std::vector<std::vector<size_t>> plans = {
      {2}, {per_epoch}, {per_epoch + 1, 1}, {3, 0, per_epoch}, {2 * per_epoch - 1, 2}};
  for (const auto& stops : plans) {
    SCOPED_TRACE("stops after " + ::testing::PrintToString(stops) + " steps");
    const fs::path state = dir_ / "state.npz";
    {
      FullyConnectedNet net(spec());
      Solver solver(net, train_, val_, config(with_replacement));
      size_t steps = 0;
      solver.set_stop_request([&] { return steps++ == stops[0]; });
      const TrainOutcome outcome = solver.train();
      ASSERT_TRUE(outcome.interrupted);
      EXPECT_FALSE(outcome.diverged);
      EXPECT_THAT(outcome.message, HasSubstr("stopped on request"));
      EXPECT_EQ(solver.record().iteration, stops[0]);
      EXPECT_EQ(solver.record().epoch_batches_done,
                stops[0] - solver.record().epoch * per_epoch);
      save_training_state(state, solver);
    }
    for (size_t k = 1; k <= stops.size(); ++k) {
      const SavedTraining saved = read_training_state(state);
      FullyConnectedNet net(saved.spec);
      Solver solver(net, train_, val_, saved.config);
      restore_training_state(saved, solver);
      if (k == stops.size()) {
        const TrainOutcome outcome = solver.train();
        ASSERT_FALSE(outcome.interrupted || outcome.diverged) << outcome.message;
        EXPECT_EQ(solver.record().epoch_batches_done, 0u);
        expect_same_run(reference, solver);
        break;
      }
      const uint64_t before = solver.record().iteration;
      size_t steps = 0;
      // A request already pending when train() starts: no step is taken.
      solver.set_stop_request([&] { return steps++ == stops[k]; });
      const TrainOutcome outcome = solver.train();
      ASSERT_TRUE(outcome.interrupted);
      EXPECT_EQ(solver.record().iteration, before + stops[k]);
      save_training_state(state, solver);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sampling, InterruptResumeTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "WithReplacement" : "Permutation";
                         });

TEST_F(InterruptResumeTest, AStateNotAtAStepOfItsEpochIsRefused) {
  FullyConnectedNet net(spec());
  Solver solver(net, train_, val_, config(false));
  size_t steps = 0;
  solver.set_stop_request([&] { return steps++ == 3; });  // after 3 steps
  solver.train();
  const fs::path state = dir_ / "state.npz";
  save_training_state(state, solver);
  std::vector<npz::Array> arrays = npz::NpzFile(state).arrays();
  for (npz::Array& a : arrays)
    if (a.name == "state/epoch_batches_done") a = npz::Array::int64_scalar(a.name, 2);
  npz::save_npz(state, arrays);
  const SavedTraining saved = read_training_state(state);
  FullyConnectedNet fresh(saved.spec);
  Solver resumed(fresh, train_, val_, saved.config);
  try {
    restore_training_state(saved, resumed);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("state.npz: array 'state/epoch_batches_done'"));
    EXPECT_THAT(e.what(), HasSubstr("does not match state/iteration 3"));
  }
}

TEST(Interrupt, SigintAndSigtermAreRecordedNotFatal) {
  install_interrupt_handlers();
  clear_interrupt();
  EXPECT_FALSE(interrupted());
  EXPECT_EQ(interrupt_exit_code(), 0);
  raise(SIGTERM);  // the handler runs before raise returns (same thread)
  EXPECT_TRUE(interrupted());
  EXPECT_EQ(interrupt_signal(), SIGTERM);
  EXPECT_EQ(interrupt_exit_code(), 143);
  EXPECT_STREQ(signal_name(interrupt_signal()), "SIGTERM");
  clear_interrupt();
  raise(SIGINT);
  EXPECT_EQ(interrupt_exit_code(), 130);
  clear_interrupt();
}

TEST(Interrupt, ASecondSignalKillsAtOnce) {
  EXPECT_EXIT(
      {
        install_interrupt_handlers();
        clear_interrupt();
        raise(SIGINT);
        raise(SIGINT);
        std::exit(0);  // not reached
      },
      ::testing::KilledBySignal(SIGINT), "");
}

TEST(Interrupt, ASignalStopsTrainingAfterTheCurrentStep) {
  install_interrupt_handlers();
  clear_interrupt();
  const Dataset train = gaussian_blobs(60, 12, 3, 2);
  const Dataset val = gaussian_blobs(20, 12, 3, 2, 60);
  FullyConnectedNet net(spec());
  Solver solver(net, train, val, {.update = {}, .batch_size = 10, .num_epochs = 2});
  solver.set_stop_request([] { return interrupted(); });
  solver.set_progress_callback([](const Progress& p) {
    if (p.epoch == 1 && p.batch == 4 && !p.epoch_done) raise(SIGINT);
  });
  const TrainOutcome outcome = solver.train();
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_EQ(solver.record().iteration, 4u);
  EXPECT_EQ(solver.record().epoch_batches_done, 4u);
  EXPECT_EQ(outcome.epochs_done, 0u);
  clear_interrupt();
}

}  // namespace
}  // namespace simdnet::nets
