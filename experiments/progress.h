// The per-epoch table of `simdnet train`, and on a terminal a live line for
// the epoch in progress, redrawn in place:
//
//   epoch 3/10 [########............] 172/430  loss 0.2134  41250 samples/s  ETA 1.6s
//
// which each finished epoch replaces with its table row. When the output is
// not a terminal (a file, a pipe, CI logs) only the rows are printed, one
// plain line per epoch.
#pragma once

#include <chrono>
#include <cstdio>

#include "simdnet/nets/solver.h"

namespace simdnet::cli {

class EpochTable {
 public:
  // live: redraw a progress line in place (pass isatty(fileno(out))).
  EpochTable(std::FILE* out, bool live);

  void header();
  void row(const nets::EpochStats& stats);
  // For Solver::set_progress_callback: the live line (at most ~10 redraws a
  // second), and the row when an epoch is done.
  void on_progress(const nets::Progress& progress);
  // Clears a live line left on the screen (before printing anything else).
  void clear_live_line();

 private:
  std::FILE* out_;
  bool live_;
  bool line_shown_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "1.6s", "2m05s", "1h02m": a duration for humans.
void format_duration(double seconds, char* buf, size_t size);

}  // namespace simdnet::cli
