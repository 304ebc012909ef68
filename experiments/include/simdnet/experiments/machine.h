// What a results table is headed with, so a number can be traced to the code
// and machine that produced it.
#pragma once

#include <string>

namespace simdnet::experiments {

struct MachineInfo {
  std::string commit;   // "3f2a9c1", "+ uncommitted changes" appended when dirty; "unknown"
  std::string date;     // "2026-11-22 21:30 UTC"
  std::string cpu;      // /proc/cpuinfo's model name
  unsigned cores = 0;   // logical CPUs the process may use
  int threads = 0;      // kernels::thread_count()
  std::string target;   // the Highway target the kernels dispatch to, e.g. "AVX3"
  std::string load;     // /proc/loadavg's 1, 5 and 15 minute load averages: other work on
                        // the machine slows the timing columns, not the accuracies
};

MachineInfo machine_info();

}  // namespace simdnet::experiments
