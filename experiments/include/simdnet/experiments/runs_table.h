// results/<name>/runs.csv: one row per run and epoch. A run's rows are
// appended in one write when the run ends (nets::append_whole), so the file
// only ever holds whole runs; reading it back drops (and reports) anything
// else a crash could leave, e.g. a torn last line.
//
// Columns: the grid point ("setting"), the seed, every hyperparameter as the
// run used it (learning_rate after lr_scaling, batch_size after "full",
// epochs after an update budget), the machine's threads and Highway target,
// then per epoch: epoch, updates (steps so far), train_loss (mean minibatch
// loss of the epoch), train_acc (on train_acc_samples examples), val_acc,
// test_acc, seconds (training only), samples_per_second, status ("ok", or
// "diverged": a non-finite loss stopped the run in that epoch; its metrics
// are then nan).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace simdnet::experiments {

// The columns, in order.
const std::vector<std::string>& run_columns();
// The columns a run's timing lives in: seconds, samples_per_second, threads
// (everything else is a pure function of config and seed).
bool is_timing_column(const std::string& column);

// One row: values in run_columns() order, as text.
struct RunRow {
  std::vector<std::string> values;
  const std::string& operator[](size_t column) const { return values[column]; }
};

// A run's key: (setting, seed).
using RunKey = std::pair<std::string, std::string>;

struct RunsTable {
  std::vector<RunRow> rows;                        // whole runs only, in file order
  std::map<RunKey, std::vector<size_t>> runs;      // row indices per run
  std::vector<std::string> dropped;                // what was left out, and why
};

// Column index by name (std::logic_error if unknown).
size_t column(const std::string& name);

// "a,b,c\n" for a row or the header.
std::string csv_line(const std::vector<std::string>& values);

// Reads runs.csv (an empty table if the file does not exist). Throws
// std::runtime_error naming the file if its header is not run_columns().
// Rows with the wrong number of fields, a torn last line, and runs whose
// epochs are not 1..epochs (or end in "diverged") are dropped and listed.
RunsTable read_runs_table(const std::string& path);

}  // namespace simdnet::experiments
