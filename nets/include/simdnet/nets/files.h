// Files that survive a crash, a kill or a full disk whole: every file simdnet
// writes is either its old version or its new one, never a torn mix.
//
//   write_file_atomically   write a temporary beside the file, fsync it,
//                           rename it over the file, fsync the folder (the
//                           rename is atomic; the folder's fsync makes it
//                           durable)
//   replace_file            the same for a writer that wants a path to write
//                           (libzip's .npz writer)
//   append_whole            whole lines appended by one write() on an
//                           O_APPEND descriptor, then fsync; a short write
//                           (disk full) is cut back off
//   check_writable_directory  at start-up, not after an hour of training
//
// A process killed between creating and renaming its temporary leaves
// "<file>.tmp.<pid>" behind; the file itself is untouched.
//
// Every failure is a std::runtime_error naming the path and strerror(errno).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

namespace simdnet::nets {

// path.tmp.<pid> -> write -> fsync -> rename -> fsync(dir). The file gets mode
// 0666 minus the umask, like any newly created file.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// As write_file_atomically, for writers that write a file by name:
// `write_temp(temp)` must create `temp` (path.tmp.<pid>); it is then fsync'ed
// and renamed over `path`. When write_temp throws, the temporary is removed
// and the exception propagates; `path` is untouched.
void replace_file(const std::filesystem::path& path,
                  const std::function<void(const std::filesystem::path& temp)>& write_temp);

// One write() of `text` (whole lines) on an O_APPEND fd, then fsync; creates
// the file (and fsyncs its folder then). On a short write the file is
// truncated back to its previous length before the error is thrown.
void append_whole(const std::filesystem::path& path, std::string_view text);

// Creates `dir` if missing; throws std::runtime_error naming it unless a probe
// file can be created, written and removed there and at least
// `min_free_bytes` are free (statvfs: f_bavail * f_frsize, what an
// unprivileged writer may use).
void check_writable_directory(const std::filesystem::path& dir,
                              uint64_t min_free_bytes = uint64_t{64} << 20);

// Bytes free to an unprivileged writer in the file system holding `dir`
// (statvfs); throws std::runtime_error naming `dir` when statvfs fails.
uint64_t free_bytes(const std::filesystem::path& dir);

}  // namespace simdnet::nets
