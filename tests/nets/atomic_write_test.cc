// files.h: atomic replacement leaves the old or the new file, never a mix or
// a temporary; appends are whole rows even when the writer is SIGKILLed in a
// loop of them; full disks and unwritable folders fail naming the path.
#include "simdnet/nets/files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/errors.h"
#include "support/temp_dir.h"

namespace simdnet::nets {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using ::testing::HasSubstr;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Names in `dir`, sorted.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class FilesTest : public test::TempDirTest {
 protected:
  FilesTest() : TempDirTest("simdnet-files-test") {}
};

TEST_F(FilesTest, WriteFileAtomicallyCreatesAndReplacesLeavingNoTemporary) {
  const fs::path p = dir_ / "table.csv";
  write_file_atomically(p, "a,b\n1,2\n");
  EXPECT_EQ(read_all(p), "a,b\n1,2\n");
  write_file_atomically(p, "new");
  EXPECT_EQ(read_all(p), "new");
  write_file_atomically(p, "");
  EXPECT_EQ(read_all(p), "");
  EXPECT_EQ(listing(dir_), std::vector<std::string>{"table.csv"});
}

TEST_F(FilesTest, WriteErrorsNameThePathAndTheReason) {
  const std::string missing = error_of([&] { write_file_atomically(dir_ / "no/such/f", "x"); });
  EXPECT_THAT(missing, HasSubstr((dir_ / "no/such/f").string()));
  EXPECT_THAT(missing, HasSubstr("No such file or directory"));
  // A folder where the file should go: the rename fails, the temporary goes.
  fs::create_directory(dir_ / "taken");
  EXPECT_THAT(error_of([&] { write_file_atomically(dir_ / "taken", "x"); }),
              HasSubstr("Is a directory"));
  EXPECT_EQ(listing(dir_), std::vector<std::string>{"taken"});
}

TEST_F(FilesTest, ReplaceFileKeepsTheOldFileWhenTheWriterFails) {
  const fs::path p = dir_ / "state.npz";
  write_file_atomically(p, "old");
  EXPECT_THROW(replace_file(p,
                            [](const fs::path& temp) {
                              std::ofstream(temp) << "half of it";
                              throw std::runtime_error("writer failed");
                            }),
               std::runtime_error);
  EXPECT_EQ(read_all(p), "old");
  EXPECT_EQ(listing(dir_), std::vector<std::string>{"state.npz"}) << "no temporary left";
  replace_file(p, [](const fs::path& temp) {
    EXPECT_EQ(temp.filename().string(), "state.npz.tmp." + std::to_string(getpid()));
    std::ofstream(temp) << "new";
  });
  EXPECT_EQ(read_all(p), "new");
  // A writer that makes no file: an error naming the temporary.
  EXPECT_THAT(error_of([&] { replace_file(p, [](const fs::path&) {}); }),
              HasSubstr("state.npz.tmp."));
  EXPECT_EQ(read_all(p), "new");
}

TEST_F(FilesTest, AppendWholeCreatesThenAppends) {
  const fs::path p = dir_ / "runs.csv";
  append_whole(p, "h1,h2\n");
  append_whole(p, "1,2\n3,4\n");
  append_whole(p, "");
  EXPECT_EQ(read_all(p), "h1,h2\n1,2\n3,4\n");
}

TEST_F(FilesTest, AFullDiskIsAnErrorNamingTheFile) {
  // /dev/full: every write fails with ENOSPC, as on a full disk.
  ASSERT_TRUE(fs::exists("/dev/full")) << "this test needs Linux's /dev/full";
  const std::string e = error_of([] { append_whole("/dev/full", "1,2\n"); });
  EXPECT_THAT(e, HasSubstr("/dev/full"));
  EXPECT_THAT(e, HasSubstr("No space left on device"));
}

TEST_F(FilesTest, CheckWritableDirectoryCreatesFoldersAndChecksRoom) {
  check_writable_directory(dir_ / "results/run1", 0);
  EXPECT_TRUE(fs::is_directory(dir_ / "results/run1"));
  EXPECT_TRUE(fs::is_empty(dir_ / "results/run1")) << "the probe file is removed";
  // More room than any disk has.
  const std::string full = error_of([&] { check_writable_directory(dir_, UINT64_MAX); });
  EXPECT_THAT(full, HasSubstr(dir_.string()));
  EXPECT_THAT(full, HasSubstr("MiB free, expected at least"));
  // A file where the folder should be.
  std::ofstream(dir_ / "plain") << "x";
  EXPECT_THAT(error_of([&] { check_writable_directory(dir_ / "plain/sub"); }),
              HasSubstr((dir_ / "plain/sub").string()));
  EXPECT_THAT(error_of([&] { check_writable_directory(dir_ / "plain"); }),
              HasSubstr("not a folder"));
  // A read-only file system (root ignores permission bits, not this).
  if (fs::is_directory("/proc/self"))
    EXPECT_THAT(error_of([] { check_writable_directory("/proc/self"); }),
                HasSubstr("/proc/self: cannot create files in this folder"));
  EXPECT_GT(free_bytes(dir_), 0u);
}

// A child appends numbered rows as fast as it can and replaces a file with
// numbered contents; it is SIGKILLed at varying moments. Every row on disk is
// whole and in order, and the replaced file holds exactly one version.
TEST_F(FilesTest, SigkillLeavesWholeRowsAndWholeFiles) {
  const fs::path rows = dir_ / "rows.csv", whole = dir_ / "whole.txt";
  // A long row: crossing page boundaries is where a torn write could show.
  const std::string pad(3000, 'x');
  for (int trial = 0; trial < 12; ++trial) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (long i = 0;; ++i) {
        append_whole(rows, std::to_string(i) + "," + pad + ",end\n");
        write_file_atomically(whole, "version " + std::to_string(i) + "\n" + pad + "\nend\n");
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + 7 * trial));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));

    std::ifstream in(rows);
    std::string line;
    long expected_next = -1;
    size_t count = 0;
    const std::string text = read_all(rows);
    ASSERT_TRUE(text.empty() || text.back() == '\n') << "trial " << trial << ": a torn last row";
    while (std::getline(in, line)) {
      ++count;
      ASSERT_TRUE(line.ends_with("," + pad + ",end")) << "trial " << trial << ", row " << count;
      const long i = std::stol(line.substr(0, line.find(',')));
      // Each trial's child counts from 0 again.
      if (i != 0) ASSERT_EQ(i, expected_next) << "trial " << trial;
      expected_next = i + 1;
    }
    if (fs::exists(whole)) {
      const std::string w = read_all(whole);
      EXPECT_TRUE(w.starts_with("version ") && w.ends_with("\n" + pad + "\nend\n"))
          << "trial " << trial << ": " << w.size() << " bytes";
    }
  }
}

}  // namespace
}  // namespace simdnet::nets
