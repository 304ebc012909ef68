// A fresh folder for a test's files, removed with everything in it afterwards.
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace simdnet::test {

// <system temp dir>/<prefix>-XXXXXX, made by mkdtemp (a new name, mode 0700);
// removed, with its contents, when the object goes. Throws
// std::system_error when the folder cannot be made.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "simdnet-test") {
    std::string name = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (mkdtemp(name.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + name);
    path_ = name;
  }
  ~TempDir() {
    std::error_code ignored;  // a destructor must not throw; a leftover folder is harmless
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A fixture whose every test gets its own empty folder dir_ (a TempDir named
// after `prefix`), removed when the test ends.
class TempDirTest : public ::testing::Test {
 protected:
  explicit TempDirTest(const std::string& prefix = "simdnet-test") : temp_dir_(prefix) {}

  TempDir temp_dir_;  // declared before dir_: made first, removed last
  const std::filesystem::path dir_ = temp_dir_.path();
};

}  // namespace simdnet::test
