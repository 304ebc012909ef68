// Atomic replacement, whole appends and start-up checks (files.h), on POSIX
// calls: std::ofstream can neither fsync nor say why a write failed.
#include "simdnet/nets/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace simdnet::nets {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const fs::path& path, const std::string& what, int error) {
  throw std::runtime_error(path.string() + ": " + what + ": " + std::strerror(error));
}

// Closes on scope exit (errors from close after fsync carry no news).
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes all of `data`, retrying after signals and partial writes. Returns 0
// or the errno of the failing write.
int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

int fsync_retrying(int fd) {
  while (::fsync(fd) != 0)
    if (errno != EINTR) return errno;
  return 0;
}

fs::path folder_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// A rename or a new name is durable only once its folder is synced.
void fsync_folder(const fs::path& file) {
  const fs::path folder = folder_of(file);
  Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd < 0) fail(folder, "cannot open folder to sync it", errno);
  if (const int e = fsync_retrying(dir.fd)) fail(folder, "cannot sync folder", e);
}

fs::path temp_path_for(const fs::path& path) {
  fs::path temp = path;
  temp += ".tmp." + std::to_string(::getpid());
  return temp;
}

// fsync(temp), rename(temp, path), fsync(folder). Removes temp on failure.
void commit(const fs::path& temp, const fs::path& path) {
  {
    Fd fd(::open(temp.c_str(), O_RDONLY | O_CLOEXEC));
    int e = fd.fd < 0 ? errno : fsync_retrying(fd.fd);
    if (e) {
      ::unlink(temp.c_str());
      fail(temp, "cannot sync", e);
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(temp.c_str());
    fail(path, "cannot rename " + temp.filename().string() + " into place", e);
  }
  fsync_folder(path);
}

}  // namespace

void write_file_atomically(const fs::path& path, std::string_view contents) {
  if (path.empty()) throw std::runtime_error("write_file_atomically: empty path");
  const fs::path temp = temp_path_for(path);
  {
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (fd.fd < 0) fail(path, "cannot create " + temp.filename().string(), errno);
    if (const int e = write_all(fd.fd, contents)) {
      ::unlink(temp.c_str());
      fail(path, "cannot write " + temp.filename().string(), e);
    }
    // fsync here, while it is open for writing (some file systems report
    // delayed write errors only to a writer's fsync).
    if (const int e = fsync_retrying(fd.fd)) {
      ::unlink(temp.c_str());
      fail(path, "cannot sync " + temp.filename().string(), e);
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(temp.c_str());
    fail(path, "cannot rename " + temp.filename().string() + " into place", e);
  }
  fsync_folder(path);
}

void replace_file(const fs::path& path, const std::function<void(const fs::path&)>& write_temp) {
  if (path.empty()) throw std::runtime_error("replace_file: empty path");
  const fs::path temp = temp_path_for(path);
  try {
    write_temp(temp);
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  commit(temp, path);
}

void append_whole(const fs::path& path, std::string_view text) {
  if (path.empty()) throw std::runtime_error("append_whole: empty path");
  bool created = false;
  int raw = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (raw < 0 && errno == ENOENT) {
    raw = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    created = raw >= 0;
  }
  Fd fd(raw);
  if (fd.fd < 0) fail(path, "cannot open for appending", errno);
  if (text.empty()) return;
  struct stat before;
  if (::fstat(fd.fd, &before) != 0) fail(path, "cannot stat", errno);
  // One write(): O_APPEND places it at the end as one unit, so concurrent
  // appenders never interleave inside a row.
  ssize_t n;
  do n = ::write(fd.fd, text.data(), text.size());
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(text.size())) {
    const int e = n < 0 ? errno : ENOSPC;  // a short write: the disk filled up
    // Cut a partial row back off, so the file holds whole rows only.
    if (n > 0) {
      // Best effort: the error thrown below says what went wrong either way.
      [[maybe_unused]] const int cut = ::ftruncate(fd.fd, before.st_size);
    }
    fail(path, "cannot append " + std::to_string(text.size()) + " bytes", e);
  }
  if (const int e = fsync_retrying(fd.fd)) fail(path, "cannot sync after appending", e);
  if (created) fsync_folder(path);
}

uint64_t free_bytes(const fs::path& dir) {
  struct statvfs st;
  if (::statvfs(dir.c_str(), &st) != 0) fail(dir, "cannot query free space (statvfs)", errno);
  return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
}

void check_writable_directory(const fs::path& dir, uint64_t min_free_bytes) {
  const fs::path where = dir.empty() ? fs::path(".") : dir;
  std::error_code ec;
  if (fs::exists(where, ec) && !fs::is_directory(where, ec))
    throw std::runtime_error(where.string() + ": not a folder (expected a folder to write into)");
  fs::create_directories(where, ec);
  if (ec) throw std::runtime_error(where.string() + ": cannot create folder: " + ec.message());
  // The real test, not permission bits (root ignores them; a read-only mount
  // does not show in them): create, write, sync and remove a file.
  std::string probe = (where / ".simdnet-probe-XXXXXX").string();
  const int raw = ::mkstemp(probe.data());
  if (raw < 0) fail(where, "cannot create files in this folder", errno);
  {
    Fd fd(raw);
    const std::string_view text = "simdnet write probe\n";
    int e = write_all(fd.fd, text);
    if (!e) e = fsync_retrying(fd.fd);
    if (e) {
      ::unlink(probe.c_str());
      fail(where, "cannot write files in this folder", e);
    }
  }
  if (::unlink(probe.c_str()) != 0) fail(where, "cannot remove files in this folder", errno);
  const uint64_t free = free_bytes(where);
  if (free < min_free_bytes)
    throw std::runtime_error(where.string() + ": only " + std::to_string(free >> 20) +
                             " MiB free, expected at least " +
                             std::to_string((min_free_bytes + (1 << 20) - 1) >> 20) +
                             " MiB for results and checkpoints");
}

}  // namespace simdnet::nets
