// Experiment configs (experiments/include/simdnet/experiments/config.h): the
// fields a config sets reach the runs' settings, linked axis fields follow
// their axis (also in the quick profile's subset), an update budget becomes
// epochs, and every bad config fails with a message naming the file, the
// field and the value. And runs.csv read back keeps whole runs only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "simdnet/experiments/config.h"
#include "simdnet/experiments/runs_table.h"
#include "simdnet/experiments/summary.h"
#include "support/temp_dir.h"

namespace {

using namespace simdnet::experiments;
using ::testing::HasSubstr;

constexpr const char* kBase = R"(
title = "t"
[data]
dataset = "cifar10"
train_subset = 4000
pixel_scale = 255
[net]
hidden = [100, 100]
init = "weight_scale"
weight_scale = 5e-2
[solver]
batch_size = 100
epochs = 5
[run]
seeds = [1, 2, 3]
[[axis]]
field = "solver.update"
values = ["sgd", "rmsprop", "adam"]
with = { "solver.learning_rate" = [1e-2, 1e-4, 1e-3] }
[[axis]]
field = "solver.batch_size"
values = [32, "full"]
[quick]
solver.epochs = 2
axis_values = [["adam", "sgd"], ["full"]]
)";

std::string config_error(const std::string& text) {
  try {
    parse_experiment_config(text, "bad.toml", Profile::kFull);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

// kBase with `from` replaced by `to`.
std::string with(const std::string& from, const std::string& to) {
  std::string s = kBase;
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(ExperimentConfig, FieldsAndLinkedAxisValuesReachEachRun) {
  const ExperimentConfig c = parse_experiment_config(kBase, "base.toml", Profile::kFull);
  const std::vector<GridPoint> points = grid_points(c);
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[2].label(c.axes), "update=rmsprop batch_size=32");
  const RunSettings s = settings_for(c, points[2]);
  EXPECT_EQ(s.dataset, "cifar10");
  EXPECT_EQ(s.data.train_subset, 4000u);
  EXPECT_EQ(s.data.pixel_scale, 255.0f);
  EXPECT_EQ(s.net.hidden_dims, (std::vector<size_t>{100, 100}));
  EXPECT_EQ(s.net.init, simdnet::nets::Init::kWeightScale);
  EXPECT_FLOAT_EQ(s.net.weight_scale, 5e-2f);
  EXPECT_EQ(s.solver.update.rule, simdnet::nets::UpdateRule::kRmsprop);
  EXPECT_FLOAT_EQ(s.solver.update.learning_rate, 1e-4f) << "rmsprop's linked learning rate";
  EXPECT_EQ(s.solver.batch_size, 32u);
  EXPECT_EQ(s.solver.num_epochs, 5u);
  EXPECT_EQ(c.seeds, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(settings_for(c, points[1]).full_batch);
}

TEST(ExperimentConfig, QuickProfileOverridesFieldsAndKeepsLinkedValuesPaired) {
  const ExperimentConfig c = parse_experiment_config(kBase, "base.toml", Profile::kQuick);
  const std::vector<GridPoint> points = grid_points(c);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].label(c.axes), "update=adam batch_size=full");
  const RunSettings adam = settings_for(c, points[0]);
  EXPECT_FLOAT_EQ(adam.solver.update.learning_rate, 1e-3f);
  EXPECT_FLOAT_EQ(settings_for(c, points[1]).solver.update.learning_rate, 1e-2f);
  EXPECT_EQ(adam.solver.num_epochs, 2u);
  EXPECT_NE(resolved_text(c), resolved_text(parse_experiment_config(kBase, "b", Profile::kFull)));
}

TEST(ExperimentConfig, BudgetsAndScalingResolveAgainstTheTrainingSet) {
  RunSettings s;
  s.solver.batch_size = 128;
  s.solver.update.learning_rate = 0.01f;
  s.linear_lr_scaling = true;
  s.lr_reference_batch = 128;
  s.budget_in_updates = true;
  s.updates = 400;
  RunSettings big = s;
  big.solver.batch_size = 1024;
  resolve_for_data(s, 4096);    // 32 batches per epoch: 400 / 32 = 12.5 -> 13 epochs
  resolve_for_data(big, 4096);  // 4 per epoch -> 100 epochs
  EXPECT_EQ(s.solver.num_epochs, 13u);
  EXPECT_EQ(big.solver.num_epochs, 100u);
  EXPECT_FLOAT_EQ(big.solver.update.learning_rate, 0.08f) << "0.01 * 1024 / 128";
  RunSettings full = s;
  full.full_batch = true;
  resolve_for_data(full, 4096);
  EXPECT_EQ(full.solver.batch_size, 4096u);
  EXPECT_EQ(full.solver.num_epochs, 400u);
}

TEST(ExperimentConfig, EveryBadConfigNamesTheFileFieldAndValue) {
  EXPECT_THAT(config_error("[data\n"), HasSubstr("bad.toml:1:"));
  EXPECT_THAT(config_error(with("train_subset", "train_subsett")),
              HasSubstr("unknown field 'data.train_subsett'"));
  EXPECT_THAT(config_error(with("[run]", "[runs]")), HasSubstr("unknown key 'runs'"));
  EXPECT_THAT(config_error(with("epochs = 5", "epochs = \"5\"")),
              HasSubstr("solver.epochs (line 13): expected an integer"));
  EXPECT_THAT(config_error(with("epochs = 5", "epochs = 0")),
              HasSubstr("solver.epochs = 0: expected an integer >= 1"));
  EXPECT_THAT(config_error(with("weight_scale = 5e-2", "weight_scale = -1")),
              HasSubstr("net.weight_scale = -1: expected a number > 0"));
  EXPECT_THAT(config_error(with("hidden = [100, 100]", "hidden = [100, 0]")),
              HasSubstr("net.hidden = 100-0"));
  EXPECT_THAT(config_error(with("dataset = \"cifar10\"", "dataset = \"imagenet\"")),
              HasSubstr("data.dataset = imagenet: expected mnist, fashion-mnist or cifar10"));
  EXPECT_THAT(config_error(with("seeds = [1, 2, 3]", "seeds = [1, 2]")),
              HasSubstr("run.seeds = 1-2: expected at least 3 distinct seeds"));
  EXPECT_THAT(config_error(with("seeds = [1, 2, 3]", "seeds = [1, 1, 2]")),
              HasSubstr("at least 3 distinct seeds"));
  EXPECT_THAT(config_error(with("values = [32, \"full\"]", "values = [32, 0, \"full\"]")),
              HasSubstr("grid point update=sgd batch_size=0: solver.batch_size = 0"));
  EXPECT_THAT(config_error(with("values = [32, \"full\"]", "values = [32, \"half\"]")),
              HasSubstr("axis 2 (solver.batch_size) value 2 (line"));
  EXPECT_THAT(config_error(with("[1e-2, 1e-4, 1e-3]", "[1e-2, 1e-4]")),
              HasSubstr("with.solver.learning_rate (line 19): expected 3 values"));
  EXPECT_THAT(config_error(with("field = \"solver.update\"", "field = \"solver.speed\"")),
              HasSubstr("field = \"solver.speed\": expected a data, net or solver field"));
  EXPECT_THAT(config_error(with("[\"full\"]]", "[\"half\"]]")),
              HasSubstr("quick.axis_values[2] (solver.batch_size)"));
  EXPECT_THAT(config_error(with("[\"full\"]]", "[64]]")), HasSubstr("64 is not one of axis 2"));
  EXPECT_THAT(config_error(with("[[axis]]\nfield = \"solver.batch_size\"\nvalues = [32, \"full\"]",
                                "")),
              HasSubstr("quick.axis_values (line 23): expected 1 list(s), one per axis"));
  EXPECT_THAT(config_error("title = \"t\"\n"), HasSubstr("no [[axis]]"));
}

TEST(RunsTable, ReadsBackWholeRunsOnlyAndSaysWhatItDropped) {
  simdnet::test::TempDir dir("simdnet-runs-table-test");
  const std::filesystem::path path = dir.path() / "runs.csv";
  auto row = [](const std::string& setting, int seed, int epoch, int epochs,
                const std::string& status = "ok") {
    std::vector<std::string> v(run_columns().size(), "0");
    v[column("setting")] = setting;
    v[column("seed")] = std::to_string(seed);
    v[column("epoch")] = std::to_string(epoch);
    v[column("epochs")] = std::to_string(epochs);
    v[column("status")] = status;
    return csv_line(v);
  };
  std::string text = csv_line(run_columns());
  text += row("a=1", 1, 1, 2) + row("a=1", 1, 2, 2);        // whole
  text += row("a=1", 2, 1, 2);                              // half a run
  text += row("a=2", 1, 1, 3) + row("a=2", 1, 2, 3, "diverged");  // whole: it diverged
  text += row("a=2", 2, 1, 1).substr(0, 20);                // torn last line
  std::ofstream(path) << text;
  const RunsTable t = read_runs_table(path.string());
  EXPECT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.runs.size(), 2u);
  EXPECT_TRUE(t.runs.count({"a=1", "1"}));
  EXPECT_TRUE(t.runs.count({"a=2", "1"}));
  ASSERT_EQ(t.dropped.size(), 2u);
  EXPECT_THAT(t.dropped[0], HasSubstr("torn last line"));
  EXPECT_THAT(t.dropped[1], HasSubstr("run a=1 seed 2: 1 rows that are not one whole run"));

  std::ofstream(path) << "epoch,loss\n1,2\n";
  EXPECT_THROW(read_runs_table(path.string()), std::runtime_error);
}

TEST(Summary, MeanAndSampleStd) {
  const MeanStd m = mean_std({0.9, 0.92, 0.94});
  EXPECT_NEAR(m.mean, 0.92, 1e-12);
  EXPECT_NEAR(m.std, 0.02, 1e-12) << "n - 1 in the denominator";
  EXPECT_EQ(mean_std({}).n, 0u);
}

}  // namespace
