// Runs one experiment: every grid point x seed, skipping runs already in
// results/<name>/runs.csv, so an interrupted sweep resumes where it stopped.
//
//   results/<name>/            (results/quick/<name>/ for the quick profile)
//     config.toml              a copy of the config
//     config.resolved          every field's value and the axes: a rerun with a
//                              different config is refused (or --restart)
//     runs.csv                 one row per run and epoch (runs_table.h)
//     summary.md               per grid point, mean ± std over seeds (summary.h)
//     plots/*.png, *.svg       experiments/plot.py (matplotlib)
//     checkpoints/             the state of a run a signal interrupted: the
//                              rerun continues it exactly (removed when done)
//
// A rerun that trains nothing leaves summary.md and plots/ as they are: their
// header names the invocation that did the training.
//
// A run's rows are appended in one write when it finishes. SIGINT/SIGTERM
// (nets/interrupt.h) ends the current step, saves the run's training state
// and its per-epoch test accuracies, writes the summary of what is done, and
// returns the signal; rerunning continues the run from that state, and its
// rows are then byte-identical (but for timing) to an uninterrupted run's.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include "simdnet/experiments/config.h"

namespace simdnet::experiments {

struct ExperimentOptions {
  Profile profile = Profile::kFull;
  std::filesystem::path results_root = "results";
  std::string data_dir;     // empty: nets::default_data_dir()
  bool fetch = true;        // fetch missing data (scripts/fetch-data)
  bool plots = true;        // render plots/ with experiments/plot.py
  bool restart = false;     // discard earlier results of this experiment first
  std::string command;      // the command line, for the summary's header
  std::FILE* out = stdout;  // progress
  bool live = false;        // redraw a live progress line (a terminal)
};

struct ExperimentOutcome {
  std::filesystem::path dir;
  size_t runs = 0;     // grid points x seeds
  size_t skipped = 0;  // already in runs.csv
  size_t trained = 0;  // finished by this invocation
  int interrupt_signal = 0;   // SIGINT/SIGTERM that stopped it, else 0
  bool plots_failed = false;  // plot.py failed (its message was printed)
  std::string summary;        // summary.md's text
};

// `name` is the results folder's name (the config file's stem).
ExperimentOutcome run_experiment(const ExperimentConfig& config, const std::string& name,
                                 const ExperimentOptions& options);

}  // namespace simdnet::experiments
