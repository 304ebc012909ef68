// Runs a program as a child process (fork + exec, no shell), stdout and stderr
// to files, so that a test can signal it mid-run: SIGINT/SIGTERM/SIGKILL
// tests of the simdnet command.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace simdnet::test {

// Starts `program` with `args` (split at spaces) in folder `cwd`, stdout and
// stderr to `out` and `err`; returns its pid.
inline pid_t start_process(const std::string& program, const std::string& args,
                           const std::filesystem::path& cwd, const std::filesystem::path& out,
                           const std::filesystem::path& err) {
  std::vector<std::string> words{program};
  std::istringstream in(args);
  for (std::string word; in >> word;) words.push_back(word);
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const std::string out_path = out.string(), err_path = err.string(), dir = cwd.string();
  const pid_t pid = fork();
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    if (chdir(dir.c_str()) != 0) _exit(120);
    const int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(121);
    execv(argv[0], argv.data());
    _exit(122);
  }
  return pid;
}

// A process killed by signal S reads as 1000 + S: unlike a shell's 128 + S,
// that cannot be confused with exiting 130 after handling SIGINT.
inline int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

// The exit status (exit_code_of).
inline int wait_for_process(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return exit_code_of(status);
}

// True once the process has ended (its status then in *status).
inline bool process_ended(pid_t pid, int* status) {
  int raw = 0;
  if (waitpid(pid, &raw, WNOHANG) != pid) return false;
  *status = exit_code_of(raw);
  return true;
}

}  // namespace simdnet::test
