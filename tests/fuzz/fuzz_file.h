// The readers under fuzzing take a path, as simdnet uses them: each input is
// written to one file in a folder of this process (on /dev/shm when there is
// one, so that the write costs a memcpy, not a disk), then read back by the
// reader. The folder is removed when the process exits.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace simdnet::fuzz {

class FuzzFile {
 public:
  explicit FuzzFile(const std::string& name) {
    std::error_code ec;
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                           ? std::filesystem::path("/dev/shm")
                                           : std::filesystem::temp_directory_path();
    std::string dir = (base / "simdnet-fuzz-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) {
      std::perror(("mkdtemp " + dir).c_str());
      std::abort();
    }
    dir_ = dir;
    path_ = dir_ / name;
  }
  ~FuzzFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  const std::filesystem::path& path() const { return path_; }

  // Replaces the file's contents with `data`; returns its path.
  const std::filesystem::path& write(const uint8_t* data, size_t size) {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (f == nullptr || (size != 0 && std::fwrite(data, 1, size, f) != size) ||
        std::fclose(f) != 0) {
      std::perror(("write " + path_.string()).c_str());
      std::abort();
    }
    return path_;
  }

 private:
  std::filesystem::path dir_, path_;
};

}  // namespace simdnet::fuzz
