// `simdnet train` under faults, on real MNIST (fetched like data_real_test):
// SIGINT and SIGTERM mid-run exit 130 / 143 after saving a state, and
// `--resume` ends with a model byte-identical to an uninterrupted run's;
// SIGKILL at random moments never leaves a torn state file.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "simdnet/nets/checkpoint.h"
#include "support/child_process.h"
#include "support/temp_dir.h"

#ifndef SIMDNET_BINARY
#error "SIMDNET_BINARY must name the simdnet executable"
#endif

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}


class FaultsCli : public simdnet::test::TempDirTest {
 protected:
  FaultsCli() : TempDirTest("simdnet-faults-cli-test") {}

  // Starts `simdnet <args>` in the temporary folder, stdout and stderr to
  // files there (removed first, so a poll never reads the last run's); its pid.
  pid_t start(const std::string& args) {
    fs::remove(dir_ / "stdout.txt");
    fs::remove(dir_ / "stderr.txt");
    return simdnet::test::start_process(SIMDNET_BINARY, args, dir_, dir_ / "stdout.txt",
                                        dir_ / "stderr.txt");
  }

  // The exit status, or 1000 + the signal that killed it.
  static int wait_for(pid_t pid) { return simdnet::test::wait_for_process(pid); }

  std::string out() const { return read_file(dir_ / "stdout.txt"); }
  std::string err() const { return read_file(dir_ / "stderr.txt"); }

  // Runs to the end; the exit status.
  int run(const std::string& args) { return wait_for(start(args)); }

  // Runs until stdout shows the table row of `epoch`, then sends `signal`;
  // the exit status.
  int interrupt_after_row(const std::string& args, size_t epoch, int signal) {
    const pid_t pid = start(args);
    const std::regex row("\n +" + std::to_string(epoch) + " +[0-9.]+ ");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!std::regex_search(out(), row)) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        ADD_FAILURE() << "simdnet ended before epoch " << epoch << ":\n" << out() << err();
        return -1;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        wait_for(pid);
        ADD_FAILURE() << "no row for epoch " << epoch << " within 120 s";
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // Into the next epoch (~0.1 s long here), not at its first step.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    kill(pid, signal);
    return wait_for(pid);
  }
};

// Batchnorm, dropout and Adam: every kind of state a resume must carry.
const std::string kTrain =
    "train --dataset mnist --train-subset 6000 --val-size 1000 --hidden 128,64 --batchnorm "
    "--dropout 0.2 --update adam --lr 1e-3 --lr-decay 0.9 --batch 50 --epochs 4 --seed 5 "
    "--threads 2 ";

TEST_F(FaultsCli, SigintThenSigtermThenResumeSavesTheUninterruptedModelsBytes) {
  ASSERT_EQ(run(kTrain + "--save reference.npz"), 0) << err();
  const std::string reference = read_file(dir_ / "reference.npz");
  ASSERT_GT(reference.size(), 100000u);

  // SIGINT in epoch 2: status 130, a state to resume from.
  ASSERT_EQ(interrupt_after_row(kTrain + "--save model.npz --save-state run.npz", 1, SIGINT), 130)
      << out() << err();
  EXPECT_THAT(err(), HasSubstr("interrupted by SIGINT: training stopped on request after"));
  EXPECT_THAT(out(), HasSubstr("state:   run.npz (step "));
  EXPECT_THAT(out(), HasSubstr("resume:  simdnet train --resume run.npz --save model.npz"));
  {
    const auto saved = simdnet::nets::read_training_state(dir_ / "run.npz");
    const int64_t step = saved.file.int64_scalar("state/iteration");
    EXPECT_GT(step, 120) << "past epoch 1 (120 steps)";
    std::cout << "SIGINT landed after step " << step << ", "
              << saved.file.int64_scalar("state/epoch_batches_done") << " of 120 batches into "
              << "epoch " << saved.file.int64_scalar("state/epoch") + 1 << "\n";
  }

  // SIGTERM in the resumed run: 143.
  ASSERT_EQ(interrupt_after_row("train --resume run.npz --save model.npz", 3, SIGTERM), 143)
      << out() << err();
  EXPECT_THAT(out(), HasSubstr("resumed: run.npz in epoch 2 after batch "));
  EXPECT_THAT(err(), HasSubstr("interrupted by SIGTERM"));

  ASSERT_EQ(run("train --resume run.npz --save model.npz"), 0) << out() << err();
  EXPECT_THAT(out(), HasSubstr("test accuracy: "));
  EXPECT_TRUE(read_file(dir_ / "model.npz") == reference)
      << "interrupted twice and resumed: the model must be byte-identical to the reference";
  EXPECT_EQ(run("train --resume run.npz --save model.npz --load run.npz"), 2);
  EXPECT_THAT(err(), HasSubstr("--resume run.npz cannot be combined with --load or --save-state"));
}

TEST_F(FaultsCli, SigkillAtRandomMomentsNeverLeavesATornFile) {
  // Short epochs (5 steps, 100 validation examples): the state file and the
  // model are replaced many times a second.
  const std::string args =
      "train --dataset mnist --train-subset 500 --val-size 100 --hidden 64 --batch 100 "
      "--epochs 100000 --threads 1 --save-state state.npz --train-acc-samples 100";
  std::mt19937 random(12345);
  int with_state = 0;
  for (int trial = 0; trial < 10; ++trial) {
    const pid_t pid = start(args);
    // After the data is loaded (~0.2 s) and into the saving.
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + random() % 700));
    kill(pid, SIGKILL);
    ASSERT_EQ(wait_for(pid), 1000 + SIGKILL) << err();
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (name.find(".tmp.") != std::string::npos) continue;  // a temporary cut short
      if (name != "state.npz") continue;
      ++with_state;
      // Old or new, the whole file reads back and restores.
      EXPECT_NO_THROW({
        const auto saved = simdnet::nets::read_training_state(e.path());
        EXPECT_GT(saved.file.int64_scalar("state/epoch"), 0);
      }) << "trial " << trial;
    }
  }
  EXPECT_GT(with_state, 5) << "most kills should come after the first save";
}

}  // namespace
