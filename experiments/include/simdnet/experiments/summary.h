// results/<name>/summary.md: per grid point, mean ± std over the seeds of
//   final val / best val / final test accuracy (%), the final train - val gap
//   (percentage points), seconds per epoch, samples per second, and the epochs
//   and training seconds until validation accuracy first reached the target
//   (averaged over the seeds that reached it; "k/n" says how many did),
// headed by the commit, date, CPU, cores, threads, Highway target, wall time
// and the exact command. std is the sample standard deviation (n - 1).
#pragma once

#include <string>
#include <vector>

#include "simdnet/experiments/config.h"
#include "simdnet/experiments/machine.h"
#include "simdnet/experiments/runs_table.h"

namespace simdnet::experiments {

struct SummaryContext {
  std::string name;             // results/<name>
  std::string profile;          // "full" or "quick"
  std::string command;          // the exact command line
  double wall_seconds = 0;      // this invocation
  MachineInfo machine;
};

// The Markdown text. Grid points without runs in `table` are listed as such.
std::string summary_markdown(const ExperimentConfig& config, const RunsTable& table,
                             const SummaryContext& context);

// mean and sample std of `values` (std 0 for fewer than 2 values).
struct MeanStd {
  double mean = 0, std = 0;
  size_t n = 0;
};
MeanStd mean_std(const std::vector<double>& values);

}  // namespace simdnet::experiments
