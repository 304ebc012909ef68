// The summary's header: commit (git, from the source tree this binary was
// built from), date, CPU, cores, threads, Highway target.
#include "simdnet/experiments/machine.h"

#include <sched.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "simdnet/kernels/parallel.h"
#include "simdnet/kernels/target.h"

namespace simdnet::experiments {
namespace {

// The first line a shell command prints ("" if it fails).
std::string first_line_of(const std::string& command) {
  std::FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return "";
  std::array<char, 256> buf{};
  std::string line;
  if (std::fgets(buf.data(), buf.size(), pipe)) line = buf.data();
  const int status = pclose(pipe);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return status == 0 ? line : "";
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

}  // namespace

MachineInfo machine_info() {
  MachineInfo m;
  const std::string git = std::string("git -C '") + SIMDNET_SOURCE_DIR + "' ";
  m.commit = first_line_of(git + "rev-parse --short=12 HEAD 2>/dev/null");
  if (m.commit.empty()) {
    m.commit = "unknown (not built from a git checkout)";
  } else if (!first_line_of(git + "status --porcelain --untracked-files=no 2>/dev/null").empty()) {
    m.commit += " + uncommitted changes";
  }
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &utc);
  m.date = date;
  m.cpu = cpu_model();
  cpu_set_t set;
  m.cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
  m.threads = kernels::thread_count();
  m.target = kernels::active_target_name();
  std::ifstream loadavg("/proc/loadavg");
  std::string one, five, fifteen;
  if (loadavg >> one >> five >> fifteen) m.load = one + " / " + five + " / " + fifteen;
  return m;
}

}  // namespace simdnet::experiments
