// `simdnet experiment` run as a user runs it, on real MNIST (fetched like
// data_real_test's; the tests fail, never skip, without the data):
// - a finished experiment rerun trains nothing and leaves runs.csv as it was;
// - --threads 1 and --threads 2 give the same rows, byte for byte, but for the
//   timing columns (seconds, samples_per_second, threads);
// - SIGINT or SIGTERM mid-run exits 130/143, and rerunning completes the
//   sweep with exactly the rows of an uninterrupted one: none missing, none
//   twice, none half-written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "support/child_process.h"
#include "support/temp_dir.h"

#ifndef SIMDNET_BINARY
#error "SIMDNET_BINARY must name the simdnet executable"
#endif

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Batchnorm, dropout and Adam: every kind of state a resumed run must carry.
// 2 settings x 3 seeds, 3 epochs of 60 steps each.
constexpr const char* kConfig = R"(title = "tiny"
[data]
dataset = "mnist"
train_subset = 3000
val_size = 1000
[net]
hidden = [64, 32]
batchnorm = true
[solver]
update = "adam"
learning_rate = 1e-3
batch_size = 50
epochs = 3
[run]
seeds = [1, 2, 3]
target_accuracy = 0.8
[[axis]]
field = "net.dropout"
values = [0.0, 0.3]
)";

// runs.csv without its timing columns (seconds, samples_per_second, threads).
std::vector<std::string> without_timing(const std::string& csv) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::istringstream h(line);
  for (std::string field; std::getline(h, field, ',');) header.push_back(field);
  std::vector<std::string> rows;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kept, field;
    for (size_t c = 0; std::getline(fields, field, ','); ++c)
      if (c < header.size() && header[c] != "seconds" && header[c] != "samples_per_second" &&
          header[c] != "threads")
        kept += field + ",";
    rows.push_back(kept);
  }
  return rows;
}

class ExperimentCli : public simdnet::test::TempDirTest {
 protected:
  ExperimentCli() : TempDirTest("simdnet-experiment-cli-test") {
    std::ofstream(dir_ / "tiny.toml") << kConfig;
  }

  pid_t start(const std::string& args) {
    // Gone before the child starts: a poll must not read the last run's output.
    fs::remove(dir_ / "stdout.txt");
    fs::remove(dir_ / "stderr.txt");
    return simdnet::test::start_process(SIMDNET_BINARY, "experiment tiny.toml " + args, dir_,
                                        dir_ / "stdout.txt", dir_ / "stderr.txt");
  }
  int run(const std::string& args) { return simdnet::test::wait_for_process(start(args)); }
  std::string out() const { return read_file(dir_ / "stdout.txt"); }
  std::string err() const { return read_file(dir_ / "stderr.txt"); }
  std::string runs(const std::string& results) const {
    return read_file(dir_ / results / "tiny" / "runs.csv");
  }
};

TEST_F(ExperimentCli, RerunTrainsNothingAndOneOrTwoThreadsGiveTheSameRows) {
  ASSERT_EQ(run("--threads 2 --results two"), 0) << out() << err();
  const std::string two = runs("two");
  EXPECT_EQ(without_timing(two).size(), 2u * 3u * 3u) << "settings x seeds x epochs";
  EXPECT_TRUE(fs::exists(dir_ / "two/tiny/summary.md"));
  EXPECT_TRUE(fs::exists(dir_ / "two/tiny/plots/curves.png")) << err();
  EXPECT_TRUE(fs::exists(dir_ / "two/tiny/plots/axis_dropout.svg")) << err();
  EXPECT_THAT(read_file(dir_ / "two/tiny/summary.md"), HasSubstr("| dropout=0.3 | 3/3 |"));

  ASSERT_EQ(run("--threads 2 --results two --no-plots"), 0) << out() << err();
  EXPECT_THAT(out(), HasSubstr("6 runs (2 settings x 3 seeds), 6 done before"));
  EXPECT_THAT(out(), Not(HasSubstr("[1/6]"))) << "a finished experiment trains nothing";
  EXPECT_EQ(runs("two"), two) << "rerunning must not touch runs.csv";

  ASSERT_EQ(run("--threads 1 --results one --no-plots"), 0) << out() << err();
  EXPECT_EQ(without_timing(runs("one")), without_timing(two));
}

TEST_F(ExperimentCli, SignalMidRunThenRerunGivesTheUninterruptedRows) {
  const auto reference_start = std::chrono::steady_clock::now();
  ASSERT_EQ(run("--threads 2 --results reference --no-plots"), 0) << out() << err();
  const std::vector<std::string> reference = without_timing(runs("reference"));
  ASSERT_EQ(reference.size(), 18u);
  // About one run's time (the sweep has 6), so that a signal sent within it
  // after a run's line mostly lands inside the next run, however fast or
  // loaded this machine is.
  const auto run_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - reference_start)
                          .count() / 6;

  // Interrupt at random moments after a run's line; each rerun continues
  // where the last stopped. At least 6 times, and until a signal has landed
  // inside a run (the checkpoint path): a sweep that completes before that
  // starts over.
  std::mt19937 random(12345);
  bool resumed_a_run = false;
  int interrupts = 0;
  for (int attempt = 0; attempt < 40 && (attempt < 6 || !resumed_a_run); ++attempt) {
    const int signal = attempt % 2 == 0 ? SIGINT : SIGTERM;
    const pid_t pid = start("--threads 2 --results interrupted --no-plots");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int status = -1;
    bool ended = false;
    while (!(ended = simdnet::test::process_ended(pid, &status)) &&
           out().find("seed=") == std::string::npos && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (!ended) {
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::uniform_int_distribution<long>(0, std::max<long>(1, run_ms))(random)));
      kill(pid, signal);
      status = simdnet::test::wait_for_process(pid);
    }
    if (status == 0) {  // the sweep finished before the signal came
      if (resumed_a_run) break;
      fs::remove_all(dir_ / "interrupted");  // start over
      continue;
    }
    ++interrupts;
    EXPECT_EQ(status, 128 + signal) << out() << err();
    EXPECT_THAT(err(), HasSubstr("interrupted")) << out();
    resumed_a_run |= out().find("interrupted in epoch") != std::string::npos;
    // Whatever is on disk now holds whole runs only.
    EXPECT_EQ(without_timing(runs("interrupted")).size() % 3, 0u) << runs("interrupted");
  }
  ASSERT_EQ(run("--threads 2 --results interrupted --no-plots"), 0) << out() << err();
  EXPECT_GT(interrupts, 0) << "no signal landed before the sweep finished";
  EXPECT_TRUE(resumed_a_run) << "no signal landed inside a run (the checkpoint path)";
  const std::vector<std::string> rows = without_timing(runs("interrupted"));
  EXPECT_EQ(std::multiset<std::string>(rows.begin(), rows.end()),
            std::multiset<std::string>(reference.begin(), reference.end()))
      << "every run exactly once, with the uninterrupted run's numbers";
  EXPECT_FALSE(fs::exists(dir_ / "interrupted/tiny/checkpoints") &&
               !fs::is_empty(dir_ / "interrupted/tiny/checkpoints"))
      << "finished runs leave no checkpoint";
}

TEST_F(ExperimentCli, ADifferentConfigIsRefusedUntilRestart) {
  ASSERT_EQ(run("--threads 2 --results r --no-plots"), 0) << out() << err();
  std::string changed = kConfig;
  changed.replace(changed.find("epochs = 3"), 10, "epochs = 2");
  std::ofstream(dir_ / "tiny.toml") << changed;
  EXPECT_EQ(run("--threads 2 --results r --no-plots"), 1);
  EXPECT_THAT(err(), HasSubstr("holds results of a different config"));
  EXPECT_EQ(without_timing(runs("r")).size(), 18u) << "the old results are kept";
  ASSERT_EQ(run("--threads 2 --results r --no-plots --restart"), 0) << out() << err();
  EXPECT_EQ(without_timing(runs("r")).size(), 12u);
}

}  // namespace
