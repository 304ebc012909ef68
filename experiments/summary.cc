// summary.md from runs.csv (so it covers every run, whichever invocation did it).
#include "simdnet/experiments/summary.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace simdnet::experiments {
namespace {

double number_in(const RunRow& row, const char* name) {
  return std::strtod(row[column(name)].c_str(), nullptr);
}

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// "97.12 ± 0.08" (values scaled by `scale`), "–" when there are none.
std::string cell(const std::vector<double>& values, double scale, const char* fmt) {
  const MeanStd m = mean_std(values);
  if (m.n == 0) return "–";
  std::string s = format(fmt, m.mean * scale);
  if (m.n > 1) s += " ± " + format(fmt, m.std * scale);
  return s;
}

std::string duration(double seconds) {
  if (seconds < 60) return format("%.1f s", seconds);
  if (seconds < 3600) return format("%.1f min", seconds / 60);
  return format("%.2f h", seconds / 3600);
}

}  // namespace

MeanStd mean_std(const std::vector<double>& values) {
  MeanStd m;
  m.n = values.size();
  if (m.n == 0) return m;
  for (double v : values) m.mean += v;
  m.mean /= static_cast<double>(m.n);
  if (m.n < 2) return m;
  double ss = 0;
  for (double v : values) ss += (v - m.mean) * (v - m.mean);
  m.std = std::sqrt(ss / static_cast<double>(m.n - 1));
  return m;
}

std::string summary_markdown(const ExperimentConfig& config, const RunsTable& table,
                             const SummaryContext& ctx) {
  const std::vector<GridPoint> points = grid_points(config);
  const double target = std::get<double>(config.fields.at("run.target_accuracy"));
  double training_seconds = 0;
  for (const RunRow& r : table.rows) training_seconds += number_in(r, "seconds");

  std::string md = "# " + (config.title.empty() ? ctx.name : config.title) + "\n\n";
  if (!config.description.empty()) md += config.description + "\n\n";
  const MachineInfo& m = ctx.machine;
  md += "| | |\n|---|---|\n";
  md += "| config | `" + config.source + "`, " + ctx.profile + " profile: " +
        std::to_string(points.size()) + " settings × " + std::to_string(config.seeds.size()) +
        " seeds |\n";
  md += "| commit | " + m.commit + " |\n";
  md += "| date | " + m.date + " |\n";
  md += "| CPU | " + m.cpu + ", " + std::to_string(m.cores) + " cores |\n";
  md += "| threads | " + std::to_string(m.threads) + " |\n";
  md += "| Highway target | " + m.target + " |\n";
  if (!m.load.empty())
    md += "| load average | " + m.load + " (1 / 5 / 15 min, when the summary was written) |\n";
  md += "| wall time | " + duration(ctx.wall_seconds) + " (this invocation); training time in " +
        "runs.csv: " + duration(training_seconds) + " |\n";
  md += "| command | `" + ctx.command + "` |\n\n";

  md += "Accuracies in %, mean ± std over seeds; gap = final train − final val accuracy "
        "(points; train accuracy on a sample of the training set). Target: val ≥ " +
        format("%.4g", target * 100) + "%.\n\n";
  md += "| setting | runs | final val | best val | final test | train − val gap | s/epoch | "
        "samples/s | epochs to target | s to target |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const GridPoint& point : points) {
    const std::string label = point.label(config.axes);
    std::vector<double> final_val, best_val, final_test, gap, spe, sps, to_target_epochs,
        to_target_seconds;
    size_t runs = 0, diverged = 0;
    for (uint64_t seed : config.seeds) {
      auto it = table.runs.find({label, std::to_string(seed)});
      if (it == table.runs.end()) continue;
      ++runs;
      const std::vector<size_t>& idx = it->second;
      const RunRow& last = table.rows[idx.back()];
      if (last[column("status")] == "diverged") {
        ++diverged;
        continue;
      }
      final_val.push_back(number_in(last, "val_acc"));
      final_test.push_back(number_in(last, "test_acc"));
      gap.push_back(number_in(last, "train_acc") - number_in(last, "val_acc"));
      double best = 0, seconds = 0, samples = 0;
      bool reached = false;
      for (size_t i : idx) {
        const RunRow& r = table.rows[i];
        best = std::max(best, number_in(r, "val_acc"));
        seconds += number_in(r, "seconds");
        samples += number_in(r, "seconds") * number_in(r, "samples_per_second");
        if (!reached && number_in(r, "val_acc") >= target) {
          reached = true;
          to_target_epochs.push_back(number_in(r, "epoch"));
          to_target_seconds.push_back(seconds);
        }
      }
      best_val.push_back(best);
      spe.push_back(seconds / static_cast<double>(idx.size()));
      sps.push_back(seconds > 0 ? samples / seconds : 0);
    }
    const std::string ok = std::to_string(final_val.size());
    const std::string reached = " (" + std::to_string(to_target_epochs.size()) + "/" + ok + ")";
    md += "| " + label + " | " + std::to_string(runs) + "/" + std::to_string(config.seeds.size()) +
          (diverged ? ", " + std::to_string(diverged) + " diverged" : "") + " | " +
          cell(final_val, 100, "%.2f") + " | " + cell(best_val, 100, "%.2f") + " | " +
          cell(final_test, 100, "%.2f") + " | " + cell(gap, 100, "%.2f") + " | " +
          cell(spe, 1, "%.3g") + " | " + cell(sps, 1, "%.0f") + " | " +
          cell(to_target_epochs, 1, "%.1f") + reached + " | " + cell(to_target_seconds, 1, "%.3g") +
          " |\n";
  }
  if (!table.dropped.empty()) {
    md += "\nLeft out of runs.csv when it was read (rerun to redo them):\n";
    for (const std::string& d : table.dropped) md += "- " + d + "\n";
  }
  md += "\nPlots: `plots/` (curves per setting; final accuracy along each axis). "
        "Rows: `runs.csv`.\n";
  return md;
}

}  // namespace simdnet::experiments
