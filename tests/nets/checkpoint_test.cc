// Models and training states as .npz: save -> load gives identical
// predictions; a run resumed from a saved state ends bit for bit where the
// uninterrupted run ends, for every update rule; and files that do not match
// (wrong shape, missing or extra array, wrong format, bad settings) fail with
// a message naming the file and the array.
#include "simdnet/nets/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "support/errors.h"
#include "support/temp_dir.h"
#include "synthetic_data.h"

namespace simdnet::nets {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using testing::gaussian_blobs;
using ::testing::HasSubstr;

bool same_bits(const kernels::Matrix& a, const kernels::Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && a.stride() == b.stride() &&
         std::memcmp(a.data(), b.data(), a.rows() * a.stride() * sizeof(float)) == 0;
}

void expect_same_net(const FullyConnectedNet& a, const FullyConnectedNet& b) {
  ASSERT_EQ(a.parameters().size(), b.parameters().size());
  for (size_t i = 0; i < a.parameters().size(); ++i)
    EXPECT_TRUE(same_bits(a.parameters()[i].value, b.parameters()[i].value))
        << a.parameters()[i].name;
  ASSERT_EQ(a.buffers().size(), b.buffers().size());
  for (size_t i = 0; i < a.buffers().size(); ++i)
    EXPECT_TRUE(same_bits(a.buffers()[i].value, b.buffers()[i].value)) << a.buffers()[i].name;
}

NetSpec small_spec(bool batchnorm, float dropout) {
  NetSpec s;
  s.input_dim = 10;
  s.hidden_dims = {32, 16};
  s.num_classes = 4;
  s.batchnorm = batchnorm;
  s.dropout = dropout;
  s.l2 = 1e-3f;
  s.init = Init::kXavier;
  s.seed = 77;
  return s;
}

class CheckpointTest : public test::TempDirTest {
 protected:
  CheckpointTest() : TempDirTest("simdnet-checkpoint-test") {}

  // A copy of `from` with `edit` applied to its arrays.
  fs::path rewrite(const fs::path& from, const std::string& name,
                   const std::function<void(std::vector<npz::Array>&)>& edit) {
    std::vector<npz::Array> arrays = npz::NpzFile(from).arrays();
    edit(arrays);
    const fs::path to = dir_ / name;
    npz::save_npz(to, arrays);
    return to;
  }

  const Dataset train_ = gaussian_blobs(120, 10, 4, 21);
  const Dataset val_ = gaussian_blobs(40, 10, 4, 21, 120);
};

TEST_F(CheckpointTest, SaveThenLoadGivesIdenticalPredictions) {
  FullyConnectedNet net(small_spec(true, 0.25f));
  Solver solver(net, train_, val_,
                {.update = {.rule = UpdateRule::kAdam, .learning_rate = 3e-3f},
                 .batch_size = 20,
                 .num_epochs = 2});
  solver.train();
  DataRecipe recipe{"mnist", {}};
  recipe.options.standardize = true;
  recipe.options.val_size = 1234;
  const fs::path p = dir_ / "model.npz";
  save_model(p, net, recipe);

  LoadedModel loaded = load_model(p);
  const NetSpec& s = loaded.net.spec();
  EXPECT_EQ(s.input_dim, 10u);
  EXPECT_EQ(s.hidden_dims, (std::vector<size_t>{32, 16}));
  EXPECT_EQ(s.num_classes, 4u);
  EXPECT_TRUE(s.batchnorm);
  EXPECT_EQ(s.dropout, 0.25f);
  EXPECT_EQ(s.l2, 1e-3f);
  EXPECT_EQ(s.init, Init::kXavier);
  EXPECT_EQ(s.seed, 77u);
  EXPECT_EQ(loaded.data.dataset, "mnist");
  EXPECT_EQ(loaded.data.options.val_size, 1234u);
  EXPECT_EQ(loaded.data.options.subtract_channel_mean, false) << "mnist's default, resolved";
  EXPECT_TRUE(loaded.data.options.standardize);
  expect_same_net(net, loaded.net);

  kernels::Matrix before(val_.size(), 4), after(val_.size(), 4);
  net.scores(val_.x.view(), before.view());
  loaded.net.scores(val_.x.view(), after.view());
  EXPECT_TRUE(same_bits(before, after)) << "scores must be bit-identical";
  std::vector<int32_t> a(val_.size()), b(val_.size());
  net.predict(val_.x.view(), a);
  loaded.net.predict(val_.x.view(), b);
  EXPECT_EQ(a, b);

  // Shapes as CS231n has them: W 2-D, the rest 1-D.
  const npz::NpzFile f(p);
  EXPECT_EQ(f.array("W1").shape, (std::vector<size_t>{10, 32}));
  EXPECT_EQ(f.array("b1").shape, (std::vector<size_t>{32}));
  EXPECT_EQ(f.array("gamma2").shape, (std::vector<size_t>{16}));
  EXPECT_EQ(f.array("running_var1").shape, (std::vector<size_t>{32}));
  EXPECT_EQ(f.string("simdnet/format"), "model");
  EXPECT_FALSE(f.contains("solver/update_rule")) << "a model holds no training state";
}

struct ResumeCase {
  UpdateRule rule;
  bool with_replacement;
};

class ResumeTest : public CheckpointTest, public ::testing::WithParamInterface<ResumeCase> {};

TEST_P(ResumeTest, ResumedRunEndsBitForBitWhereTheUninterruptedRunEnds) {
  const ResumeCase rc = GetParam();
  SolverConfig config;
  config.update.rule = rc.rule;
  config.update.learning_rate =
      rc.rule == UpdateRule::kAdam || rc.rule == UpdateRule::kRmsprop ? 2e-3f : 2e-2f;
  config.lr_decay = 0.9f;
  config.batch_size = 16;
  config.num_epochs = 4;
  config.seed = 3;
  config.sample_with_replacement = rc.with_replacement;
  config.num_train_samples = 50;
  const NetSpec spec = small_spec(true, 0.2f);

  FullyConnectedNet straight(spec);
  Solver whole(straight, train_, val_, config);
  whole.train();

  // Interrupted after epoch 2: the state goes to disk and into new objects.
  const fs::path p = dir_ / "state.npz";
  {
    FullyConnectedNet net(spec);
    SolverConfig first_half = config;
    first_half.num_epochs = 2;
    Solver solver(net, train_, val_, first_half);
    // Saved from the epoch callback, as `simdnet train --save-state` does
    // (before train() puts the best parameters back).
    solver.set_progress_callback([&](const Progress& progress) {
      if (progress.epoch_done) save_training_state(p, solver, {"blobs", {}});
    });
    solver.train();
  }
  const SavedTraining saved = read_training_state(p);
  EXPECT_EQ(saved.config.update.rule, rc.rule);
  EXPECT_EQ(saved.config.update.learning_rate, config.update.learning_rate);
  EXPECT_EQ(saved.config.lr_decay, config.lr_decay);
  EXPECT_EQ(saved.config.seed, config.seed);
  EXPECT_EQ(saved.config.num_epochs, 2u);
  EXPECT_EQ(saved.config.sample_with_replacement, rc.with_replacement);
  EXPECT_EQ(saved.config.num_train_samples, 50u);
  EXPECT_EQ(saved.data.dataset, "blobs");
  FullyConnectedNet resumed_net(saved.spec);
  Solver resumed(resumed_net, train_, val_, saved.config);
  restore_training_state(saved, resumed);
  EXPECT_EQ(resumed.record().epoch, 2u);
  resumed.set_num_epochs(4);
  resumed.train();

  expect_same_net(straight, resumed_net);
  const TrainingRecord& a = whole.record();
  const TrainingRecord& b = resumed.record();
  EXPECT_EQ(a.loss_history, b.loss_history);
  EXPECT_EQ(a.iteration, b.iteration);
  EXPECT_EQ(a.best_epoch, b.best_epoch);
  EXPECT_EQ(a.best_val_acc, b.best_val_acc);
  ASSERT_EQ(a.epochs.size(), b.epochs.size());
  for (size_t e = 0; e < a.epochs.size(); ++e) {
    EXPECT_EQ(a.epochs[e].loss, b.epochs[e].loss) << e;
    EXPECT_EQ(a.epochs[e].train_acc, b.epochs[e].train_acc) << e;
    EXPECT_EQ(a.epochs[e].val_acc, b.epochs[e].val_acc) << e;
    EXPECT_EQ(a.epochs[e].learning_rate, b.epochs[e].learning_rate) << e;
  }
  EXPECT_EQ(whole.optimizer().learning_rate(), resumed.optimizer().learning_rate());
  EXPECT_EQ(whole.optimizer().adam_steps(), resumed.optimizer().adam_steps());
  for (size_t i = 0; i < whole.optimizer().state().size(); ++i)
    EXPECT_TRUE(same_bits(whole.optimizer().state()[i].value, resumed.optimizer().state()[i].value))
        << whole.optimizer().state()[i].name;
}

INSTANTIATE_TEST_SUITE_P(Rules, ResumeTest,
                         ::testing::Values(ResumeCase{UpdateRule::kSgd, false},
                                           ResumeCase{UpdateRule::kSgdMomentum, false},
                                           ResumeCase{UpdateRule::kNesterov, false},
                                           ResumeCase{UpdateRule::kRmsprop, false},
                                           ResumeCase{UpdateRule::kAdam, false},
                                           ResumeCase{UpdateRule::kAdam, true},
                                           ResumeCase{UpdateRule::kSgdMomentum, true}),
                         [](const auto& info) {
                           return update_rule_name(info.param.rule) +
                                  (info.param.with_replacement ? "_with_replacement" : "_shuffled");
                         });

TEST_F(CheckpointTest, StateSavedAfterTrainReturnsResumesFromTheLastStepNotTheBest) {
  SolverConfig config{.update = {.rule = UpdateRule::kSgdMomentum, .learning_rate = 5e-2f},
                      .batch_size = 16,
                      .num_epochs = 4,
                      .seed = 4};
  const NetSpec spec = small_spec(true, 0.1f);
  // Blobs so far apart that validation accuracy is 1 from the first epoch on:
  // the best epoch stays 1 (ties keep the first), so best != last.
  const Dataset train = gaussian_blobs(120, 10, 4, 21, 0, 3.0f, 0.5f);
  const Dataset val = gaussian_blobs(40, 10, 4, 21, 120, 3.0f, 0.5f);
  FullyConnectedNet straight(spec);
  Solver whole(straight, train, val, config);
  whole.train();

  const fs::path p = dir_ / "state.npz";
  {
    FullyConnectedNet net(spec);
    SolverConfig half = config;
    half.num_epochs = 2;
    Solver solver(net, train, val, half);
    solver.train();  // the net now holds the best parameters
    ASSERT_EQ(solver.record().best_epoch, 1u);
    save_training_state(p, solver);
  }
  const SavedTraining saved = read_training_state(p);
  FullyConnectedNet net(saved.spec);
  Solver resumed(net, train, val, saved.config);
  restore_training_state(saved, resumed);
  resumed.set_num_epochs(4);
  resumed.train();
  expect_same_net(straight, net);
  EXPECT_EQ(whole.record().loss_history, resumed.record().loss_history);
}

TEST_F(CheckpointTest, TrainingStateHoldsEveryPart) {
  FullyConnectedNet net(small_spec(true, 0.0f));
  Solver solver(net, train_, val_,
                {.update = {.rule = UpdateRule::kSgdMomentum, .learning_rate = 1e-2f},
                 .batch_size = 30,
                 .num_epochs = 3});
  solver.train();
  const fs::path p = dir_ / "state.npz";
  save_training_state(p, solver, {"mnist", {}});
  const npz::NpzFile f(p);
  EXPECT_EQ(f.string("simdnet/format"), "training-state");
  EXPECT_EQ(f.int64_scalar("state/epoch"), 3);
  EXPECT_EQ(f.int64_scalar("state/iteration"), 12);
  EXPECT_EQ(f.array("history/loss").shape, (std::vector<size_t>{12}));
  EXPECT_EQ(f.float64_vector("history/val_acc").size(), 3u);
  EXPECT_EQ(f.array("velocity/W1").shape, (std::vector<size_t>{10, 32}));
  EXPECT_EQ(f.array("velocity/b3").shape, (std::vector<size_t>{4}));
  EXPECT_EQ(f.array("best/running_mean2").shape, (std::vector<size_t>{16}));
  EXPECT_EQ(f.string("solver/update_rule"), "sgd_momentum");
  EXPECT_EQ(f.int64_scalar("solver/batch_size"), 30);
  EXPECT_EQ(f.string("data/dataset"), "mnist");
  EXPECT_EQ(f.int64_scalar("data/val_size"), 5000) << "mnist's default val_size, resolved";
  EXPECT_EQ(f.int64_vector("spec/hidden_dims")[1], 16);
  EXPECT_FALSE(f.contains("adam_m/W1"));
}

TEST_F(CheckpointTest, MismatchedFilesFailNamingFileAndArray) {
  FullyConnectedNet net(small_spec(false, 0.0f));
  const fs::path model = dir_ / "model.npz";
  save_model(model, net);
  auto find = [](std::vector<npz::Array>& arrays, const std::string& name) -> npz::Array& {
    for (auto& a : arrays)
      if (a.name == name) return a;
    throw std::logic_error("no " + name);
  };

  const fs::path transposed = rewrite(model, "transposed.npz", [&](auto& arrays) {
    find(arrays, "W1").shape = {32, 10};
  });
  EXPECT_THAT(
      error_of([&] { load_model(transposed); }),
      HasSubstr(transposed.string() + ": array 'W1' has shape (32, 10), expected (10, 32)"));

  const fs::path extra = rewrite(model, "extra.npz", [&](auto& arrays) {
    arrays.push_back(npz::Array::float32("W4", {16, 4}, std::vector<float>(64)));
  });
  EXPECT_THAT(
      error_of([&] { load_model(extra); }),
      HasSubstr(extra.string() + ": array 'W4' is not part of a model of the net 10-32-16-4"));

  const fs::path missing = rewrite(model, "missing.npz", [&](auto& arrays) {
    std::erase_if(arrays, [](const npz::Array& a) { return a.name == "b2"; });
  });
  EXPECT_THAT(error_of([&] { load_model(missing); }),
              HasSubstr(missing.string() + ": array 'b2' is missing"));

  const fs::path wrong_dtype = rewrite(model, "dtype.npz", [&](auto& arrays) {
    npz::Array& b1 = find(arrays, "b1");
    b1.values = std::vector<double>(32);
  });
  EXPECT_THAT(error_of([&] { load_model(wrong_dtype); }),
              HasSubstr("array 'b1' is float64 ('<f8'), expected float32 ('<f4')"));

  const fs::path zero_width = rewrite(model, "zero.npz", [&](auto& arrays) {
    find(arrays, "spec/hidden_dims").values = std::vector<int64_t>{32, 0};
  });
  EXPECT_THAT(error_of([&] { load_model(zero_width); }),
              HasSubstr("array 'spec/hidden_dims' holds 0"));

  const fs::path bad_init = rewrite(model, "init.npz", [&](auto& arrays) {
    find(arrays, "spec/init") = npz::Array::string("spec/init", "lecun");
  });
  EXPECT_THAT(error_of([&] { load_model(bad_init); }),
              HasSubstr("array 'spec/init' is 'lecun', expected he, xavier or weight_scale"));

  const fs::path bad_dropout = rewrite(model, "dropout.npz", [&](auto& arrays) {
    find(arrays, "spec/dropout") = npz::Array::float64_scalar("spec/dropout", 1.5);
  });
  EXPECT_THAT(
      error_of([&] { load_model(bad_dropout); }),
      HasSubstr(bad_dropout.string() + ": spec/* describe no valid net: NetSpec.dropout = 1.5"));

  const fs::path newer = rewrite(model, "newer.npz", [&](auto& arrays) {
    find(arrays, "simdnet/version") = npz::Array::int64_scalar("simdnet/version", 2);
  });
  EXPECT_THAT(error_of([&] { load_model(newer); }),
              HasSubstr("array 'simdnet/version' is 2; this simdnet reads version 1"));

  EXPECT_THAT(
      error_of([&] { read_training_state(model); }),
      HasSubstr(model.string() + ": array 'simdnet/format' is 'model', expected 'training-state'"));

  const Dataset train = gaussian_blobs(60, 10, 4, 1);
  Solver solver(net, train, val_,
                {.update = {.rule = UpdateRule::kAdam}, .batch_size = 20, .num_epochs = 1});
  solver.train();
  const fs::path state = dir_ / "state.npz";
  save_training_state(state, solver);
  EXPECT_THAT(
      error_of([&] { load_model(state); }),
      HasSubstr("this is a training state, not a model; resume it with `simdnet train --load`"));

  const fs::path short_history = rewrite(state, "history.npz", [&](auto& arrays) {
    find(arrays, "history/val_acc") = npz::Array::float64("history/val_acc", {0}, {});
  });
  {
    SavedTraining saved = read_training_state(short_history);
    FullyConnectedNet n(saved.spec);
    Solver s(n, train, val_, saved.config);
    EXPECT_THAT(error_of([&] { restore_training_state(saved, s); }),
                HasSubstr("array 'history/val_acc' has 0 entries; state/epoch is 1"));
  }
  const fs::path no_adam = rewrite(state, "no_adam.npz", [&](auto& arrays) {
    std::erase_if(arrays, [](const npz::Array& a) { return a.name == "adam_v/W2"; });
  });
  {
    SavedTraining saved = read_training_state(no_adam);
    FullyConnectedNet n(saved.spec);
    Solver s(n, train, val_, saved.config);
    EXPECT_THAT(error_of([&] { restore_training_state(saved, s); }),
                HasSubstr(no_adam.string() + ": array 'adam_v/W2' is missing"));
  }
  {
    // A Solver with another update rule cannot take this state.
    SavedTraining saved = read_training_state(state);
    FullyConnectedNet n(saved.spec);
    SolverConfig other = saved.config;
    other.update.rule = UpdateRule::kSgd;
    Solver s(n, train, val_, other);
    EXPECT_THROW(restore_training_state(saved, s), std::invalid_argument);
  }
}

}  // namespace
}  // namespace simdnet::nets
