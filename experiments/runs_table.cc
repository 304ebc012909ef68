// runs.csv: the columns, and reading back only whole runs.
#include "simdnet/experiments/runs_table.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace simdnet::experiments {

const std::vector<std::string>& run_columns() {
  static const std::vector<std::string> columns = {
      "setting", "seed", "dataset", "train_size", "val_size", "standardize", "pixel_scale", "hidden",
      "batchnorm", "dropout", "init", "weight_scale", "l2", "update", "learning_rate",
      "lr_scaling", "lr_decay", "momentum", "decay_rate", "beta1", "beta2", "epsilon",
      "batch_size", "budget", "epochs", "sample_with_replacement", "train_acc_samples",
      "threads", "target", "epoch", "updates", "train_loss", "train_acc", "val_acc", "test_acc",
      "seconds", "samples_per_second", "status"};
  return columns;
}

bool is_timing_column(const std::string& c) {
  return c == "seconds" || c == "samples_per_second" || c == "threads";
}

size_t column(const std::string& name) {
  const auto& cols = run_columns();
  for (size_t i = 0; i < cols.size(); ++i)
    if (cols[i] == name) return i;
  throw std::logic_error("runs.csv has no column " + name);
}

std::string csv_line(const std::vector<std::string>& values) {
  std::string line;
  for (size_t i = 0; i < values.size(); ++i) line += (i ? "," : "") + values[i];
  return line + "\n";
}

namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

}  // namespace

RunsTable read_runs_table(const std::string& path) {
  RunsTable table;
  std::ifstream in(path, std::ios::binary);
  if (!in) return table;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) return table;
  // A line without its newline was cut short by a crash mid-write.
  if (text.back() != '\n') {
    const size_t cut = text.rfind('\n');
    table.dropped.push_back("a torn last line (" + std::to_string(text.size() - cut - 1) +
                            " bytes without a newline)");
    text.resize(cut == std::string::npos ? 0 : cut + 1);
  }
  std::istringstream lines(text);
  std::string line;
  if (!std::getline(lines, line)) return table;
  if (line != csv_line(run_columns()).substr(0, csv_line(run_columns()).size() - 1))
    throw std::runtime_error(path + ": the header is not simdnet's runs.csv header (expected \"" +
                             csv_line(run_columns()).substr(0, 60) +
                             "...\"); move the file away or rerun with --restart");
  const size_t n = run_columns().size();
  std::vector<RunRow> rows;
  size_t line_no = 1;
  while (std::getline(lines, line)) {
    ++line_no;
    std::vector<std::string> fields = split(line);
    if (fields.size() != n) {
      table.dropped.push_back("line " + std::to_string(line_no) + ": " +
                              std::to_string(fields.size()) + " fields, expected " +
                              std::to_string(n));
      continue;
    }
    rows.push_back(RunRow{std::move(fields)});
  }
  // Group by run; keep a run only if its epochs are exactly 1..k, ending at
  // `epochs` or in a diverged epoch.
  std::map<RunKey, std::vector<size_t>> groups;
  for (size_t i = 0; i < rows.size(); ++i)
    groups[{rows[i][column("setting")], rows[i][column("seed")]}].push_back(i);
  std::vector<bool> keep(rows.size(), false);
  for (const auto& [key, idx] : groups) {
    bool whole = true;
    for (size_t k = 0; k < idx.size(); ++k)
      whole &= rows[idx[k]][column("epoch")] == std::to_string(k + 1);
    const RunRow& last = rows[idx.back()];
    whole &= last[column("status")] == "diverged" || last[column("epoch")] == last[column("epochs")];
    if (!whole) {
      table.dropped.push_back("run " + key.first + " seed " + key.second + ": " +
                              std::to_string(idx.size()) + " rows that are not one whole run");
      continue;
    }
    for (size_t i : idx) keep[i] = true;
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!keep[i]) continue;
    const RunRow& r = rows[i];
    table.runs[{r[column("setting")], r[column("seed")]}].push_back(table.rows.size());
    table.rows.push_back(r);
  }
  return table;
}

}  // namespace simdnet::experiments
