// Runs scripts/fetch-data (path compiled in as SIMDNET_FETCH_DATA_SCRIPT), the
// one place that downloads data and checks its SHA-256 sums.
#include <sys/wait.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

#include "simdnet/nets/data_files.h"

#ifndef SIMDNET_FETCH_DATA_SCRIPT
#error "SIMDNET_FETCH_DATA_SCRIPT must name scripts/fetch-data"
#endif

namespace simdnet::nets {
namespace {

// 'text' for /bin/sh, whatever it holds.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void fetch_raw_data(const std::string& name, const std::filesystem::path& data_dir) {
  const std::string script = SIMDNET_FETCH_DATA_SCRIPT;
  const std::string command = "bash " + shell_quote(script) + " --data-dir " +
                              shell_quote(data_dir.string()) + " " + shell_quote(name) + " 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error(script + ": cannot run");
  // Its output (progress, or the error) goes to our stderr as it comes, and
  // the last lines into the exception if it fails.
  std::string output;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe)) {
    std::cerr << buf << std::flush;
    output += buf;
    if (output.size() > 8192) output.erase(0, output.size() - 8192);
  }
  const int status = pclose(pipe);
  if (status != 0) {
    while (!output.empty() && output.back() == '\n') output.pop_back();
    const int code = status > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    throw std::runtime_error(script + " " + name + " failed (exit status " +
                             std::to_string(code) + "): " +
                             (output.empty() ? std::string("no output") : output));
  }
}

}  // namespace simdnet::nets
