// The `simdnet` command, run as a user runs it: every bad flag value exits
// non-zero with a message naming the flag and the value, before any data is
// loaded or any training starts; --help shows every flag's default.
//
// CliRealData.*: short runs on real MNIST (fetched like data_real_test):
// train -> save -> evaluate agree, and --threads 1 and --threads 2 save
// byte-identical models.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "simdnet/nets/npz.h"
#include "support/temp_dir.h"

#ifndef SIMDNET_BINARY
#error "SIMDNET_BINARY must name the simdnet executable"
#endif

namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int status = -1;
  std::string out, err;
  double seconds = 0;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class Cli : public simdnet::test::TempDirTest {
 protected:
  Cli() : TempDirTest("simdnet-cli-test") {}

  // Runs `simdnet <args>` (args as a shell would split them) in the temporary
  // folder, with no data folder to find: a command that got as far as loading
  // data would fail differently (and slowly), which the tests rule out.
  Result run(const std::string& args, bool with_data = false) {
    const fs::path out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
    std::string command = "cd '" + dir_.string() + "' && ";
    if (!with_data) command += "SIMDNET_DATA_DIR='" + (dir_ / "no-data").string() + "' ";
    command += std::string(SIMDNET_BINARY) + " " + args + " >'" + out.string() + "' 2>'" +
               err.string() + "'";
    const auto start = std::chrono::steady_clock::now();
    const int status = std::system(command.c_str());
    Result r;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
  }

  // A bad value of `flag`: exit status 2, the flag, value and reason on
  // stderr, nothing trained (no table on stdout).
  void expect_usage_error(const std::string& args, const std::string& message) {
    SCOPED_TRACE("simdnet " + args);
    // --no-fetch: were a check missing, the command must fail fast, not download.
    const bool loads_data = args.starts_with("train") || args.starts_with("evaluate");
    const Result r = run(args + (loads_data ? " --no-fetch" : ""));
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr(message));
    EXPECT_THAT(r.out, Not(HasSubstr("epoch"))) << "nothing may be trained";
  }
};

TEST_F(Cli, TrainRejectsEveryBadNumberNamingFlagAndValue) {
  expect_usage_error("train --lr 0", "--lr 0: the learning rate must be > 0");
  expect_usage_error("train --lr -0.5", "--lr -0.5: the learning rate must be > 0");
  expect_usage_error("train --lr nan", "--lr nan: the learning rate must be > 0");
  expect_usage_error("train --dropout 1", "--dropout 1: the drop probability p must be in [0, 1)");
  expect_usage_error("train --dropout -0.1",
                     "--dropout -0.1: the drop probability p must be in [0, 1)");
  expect_usage_error("train --batch 0", "--batch 0: the batch size must be at least 1");
  expect_usage_error("train --batch -5", "--batch -5: the batch size must be at least 1");
  expect_usage_error("train --epochs 0", "--epochs 0: must be at least 1");
  expect_usage_error("train --l2 -1", "--l2 -1: the L2 strength must be >= 0");
  expect_usage_error("train --momentum 1", "--momentum 1: must be in [0, 1)");
  expect_usage_error("train --decay-rate 1.5", "--decay-rate 1.5: must be in [0, 1)");
  expect_usage_error("train --beta2 1", "--beta2 1: must be in [0, 1)");
  expect_usage_error("train --epsilon 0", "--epsilon 0: must be > 0");
  expect_usage_error("train --lr-decay 0",
                     "--lr-decay 0: the per-epoch learning-rate factor must be in (0, 1]");
  expect_usage_error("train --lr-decay 1.1", "--lr-decay 1.1");
  expect_usage_error("train --weight-scale 0 --init weight_scale", "--weight-scale 0: must be > 0");
  expect_usage_error("train --threads -1", "--threads -1: must be >= 0");
  expect_usage_error("train --val-size -3", "--val-size -3: must be >= 0");
  expect_usage_error("train --train-subset -1", "--train-subset -1: must be >= 0");
}

TEST_F(Cli, TrainRejectsUnknownNamesAndBadHiddenLists) {
  expect_usage_error("train --update momentum",
                     "--update 'momentum': unknown update rule; expected sgd, sgd_momentum, "
                     "nesterov, rmsprop or adam");
  expect_usage_error(
      "train --dataset imagenet",
      "--dataset 'imagenet': unknown data set; expected mnist, fashion-mnist or cifar10");
  expect_usage_error("train --init glorot",
                     "--init 'glorot': unknown; expected he, xavier or weight_scale");
  expect_usage_error("train --hidden ''", "--hidden '': no hidden layer given");
  expect_usage_error("train --hidden 0",
                     "--hidden '0': a layer of width 0; every width must be > 0");
  expect_usage_error("train --hidden 100,0,100", "--hidden '100,0,100': a layer of width 0");
  expect_usage_error("train --hidden 100,,100", "--hidden '100,,100': an empty width");
  expect_usage_error("train --hidden 100,", "--hidden '100,': an empty width");
  expect_usage_error("train --hidden 1e3", "--hidden '1e3': '1e3' is not a layer width");
}

TEST_F(Cli, OutputPathsAreCheckedBeforeTraining) {
  expect_usage_error(
      "train --save no-such-folder/model.npz",
      "--save no-such-folder/model.npz: cannot write: folder no-such-folder does not exist");
  fs::create_directory(dir_ / "a-folder");
  expect_usage_error("train --save-state a-folder",
                     "--save-state a-folder: cannot write: it is a folder");
  expect_usage_error("train --save /proc/model.npz",
                     "--save /proc/model.npz: cannot write: cannot create files in /proc");
  expect_usage_error("train --save same.npz --save-state same.npz",
                     "--save and --save-state name the same file, same.npz");
  expect_usage_error("train --load missing.npz", "--load missing.npz: no such file");
  // Flags that a saved state fixes cannot be given with --load.
  std::ofstream(dir_ / "state.npz") << "x";
  expect_usage_error("train --load state.npz --lr 0.5", "--lr cannot be combined with --load");
  expect_usage_error("train --load state.npz --hidden 10",
                     "--hidden cannot be combined with --load");
  // A file that is not a state: a plain error (status 1) naming the file.
  const Result r = run("train --load state.npz --epochs 3");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("state.npz: not a readable .npz (zip) file"));
  EXPECT_FALSE(fs::exists(dir_ / "model.npz"));
}

TEST_F(Cli, ParseErrorsFromCli11AreNonZero) {
  Result r = run("train --lr abc");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.out + r.err, HasSubstr("--lr"));
  r = run("train --no-such-flag");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.out + r.err, HasSubstr("--no-such-flag"));
  r = run("");
  EXPECT_NE(r.status, 0);
  r = run("evaluate");
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.out + r.err, HasSubstr("--model is required"));
}

TEST_F(Cli, EvaluateAndDataRejectBadArguments) {
  expect_usage_error("evaluate --model absent.npz", "--model absent.npz: no such file");
  std::ofstream(dir_ / "junk.npz") << "not a zip";
  expect_usage_error("evaluate --model junk.npz --dataset cifar100",
                     "--dataset 'cifar100': unknown data set");
  expect_usage_error("evaluate --model junk.npz --split holdout",
                     "--split 'holdout': expected test, val or train");
  Result r = run("evaluate --model junk.npz --dataset mnist");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("junk.npz: not a readable .npz (zip) file"));
  expect_usage_error("data fetch svhn", "data fetch 'svhn': unknown data set");
  // A model without a data set recorded needs --dataset.
  simdnet::nets::npz::save_npz(dir_ / "bare.npz",
                               std::vector{simdnet::nets::npz::Array::int64_scalar("x", 1)});
  r = run("evaluate --model bare.npz");
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("bare.npz: array 'simdnet/format' is missing"));
}

TEST_F(Cli, HelpDocumentsEveryFlagWithItsDefault) {
  for (const char* command : {"train", "evaluate", "data fetch"}) {
    SCOPED_TRACE(command);
    const Result r = run(std::string(command) + " --help");
    EXPECT_EQ(r.status, 0);
    const std::regex flag_line(R"(^  (-h,)?--[a-z0-9-]+.*$)");
    std::vector<std::string> lines;
    std::istringstream text(r.out);
    for (std::string line; std::getline(text, line);) lines.push_back(line);
    size_t flags = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      if (!std::regex_match(line, flag_line) || line.find("--help") != std::string::npos) continue;
      ++flags;
      // "--lr FLOAT=0.01  ...", an on/off flag saying "(default: off)", or a
      // REQUIRED one; a long default moves the description to the next line.
      std::string description = line;
      if (i + 1 < lines.size() && !std::regex_match(lines[i + 1], flag_line))
        description += lines[i + 1];
      EXPECT_TRUE(line.find('=') != std::string::npos ||
                  line.find("REQUIRED") != std::string::npos ||
                  description.find("(default: off)") != std::string::npos)
          << "no default shown: " << line;
    }
    const std::string name = command;
    EXPECT_GE(flags, name == "train" ? 30u : name == "evaluate" ? 5u : 1u);
  }
  const Result r = run("train --help");
  EXPECT_THAT(r.out, AllOf(HasSubstr("--lr FLOAT=0.01"), HasSubstr("--batch INT=100"),
                           HasSubstr("--update TEXT=sgd"), HasSubstr("--hidden TEXT=100"),
                           HasSubstr("--dropout FLOAT=0"), HasSubstr("DROP probability p")));
}

// --- real MNIST ------------------------------------------------------------------

TEST_F(Cli, RealDataTrainSaveEvaluateAgree) {
  const std::string common =
      "--dataset mnist --train-subset 3000 --hidden 64 --epochs 2 "
      "--lr 0.1 --seed 3 ";
  Result r = run("train " + common + "--batch 3001", true);
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("--batch 3001: larger than the training set (3000 examples"));

  r = run("train " + common + "--batch 50 --save model.npz --save-state state.npz", true);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("epoch      loss train_acc   val_acc   seconds  samples/s"));
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.out, m, std::regex(R"(test accuracy: ([0-9.]+) \((\d+) / 10000\))")))
      << r.out;
  const std::string trained_count = m[2];
  EXPECT_GT(std::stod(m[1]), 0.85) << "64 hidden units, 3000 examples, 2 epochs";
  EXPECT_THAT(r.out, Not(HasSubstr("\r"))) << "not a terminal: plain lines only";

  r = run("evaluate --model model.npz", true);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("test accuracy: "));
  EXPECT_THAT(r.out, HasSubstr("(" + trained_count + " / 10000)"))
      << "the same model, the same count";
  EXPECT_THAT(r.out, HasSubstr("confusion matrix"));

  // Resume the saved state for one more epoch.
  r = run("train --load state.npz --epochs 3", true);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("resumed: state.npz after epoch 2"));
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n +3 +[0-9.]+ )"))) << r.out;
}

TEST_F(Cli, RealDataOneAndTwoThreadsSaveByteIdenticalModels) {
  const std::string common =
      "--dataset mnist --train-subset 2000 --hidden 128,64 --batchnorm "
      "--dropout 0.2 --update adam --lr 1e-3 --batch 64 --epochs 2 --seed 7 ";
  Result one = run("train " + common + "--threads 1 --save one.npz", true);
  ASSERT_EQ(one.status, 0) << one.err;
  Result two = run("train " + common + "--threads 2 --save two.npz", true);
  ASSERT_EQ(two.status, 0) << two.err;
  const std::string a = read_file(dir_ / "one.npz"), b = read_file(dir_ / "two.npz");
  EXPECT_GT(a.size(), 100000u);
  EXPECT_TRUE(a == b) << "same seed, 1 vs 2 threads: the saved models must be byte-identical";
}

}  // namespace
