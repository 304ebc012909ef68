// The experiment driver: grid x seeds -> runs.csv, summary.md, plots.
#include "simdnet/experiments/experiment.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#include "simdnet/experiments/machine.h"
#include "simdnet/experiments/runs_table.h"
#include "simdnet/experiments/summary.h"
#include "simdnet/kernels/parallel.h"
#include "simdnet/kernels/target.h"
#include "simdnet/nets/checkpoint.h"
#include "simdnet/nets/files.h"
#include "simdnet/nets/interrupt.h"
#include "simdnet/nets/update_rule.h"

namespace simdnet::experiments {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string real(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// A float setting as written in a config: 0.01, not 0.00999999978.
std::string setting(float v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : real(v);
}

// Accuracies are fractions of whole examples: 6 decimals print them exactly
// for up to 10^6 examples... of which the nan of a missing set stays "nan".
std::string accuracy(double v) {
  if (std::isnan(v)) return "nan";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

// "batch_size=128 lr_scaling=linear", seed 2 -> "batch_size-128_lr_scaling-linear_seed2".
std::string file_stem(const std::string& label, uint64_t seed) {
  std::string s;
  for (char c : label) s += c == '=' ? '-' : c == ' ' ? '_' : c;
  return s + "_seed" + std::to_string(seed);
}

// The data, loaded once for all the runs that share its options.
class DataCache {
 public:
  const nets::DataSplits& get(const RunSettings& s, const ExperimentOptions& o) {
    nets::DataOptions options = s.data;
    options.data_dir = o.data_dir;
    options.fetch = o.fetch;
    const std::string key = s.dataset + "|" + std::to_string(options.train_subset) + "|" +
                            (options.val_size ? std::to_string(*options.val_size) : "-") + "|" +
                            (options.standardize ? "1" : "0") + "|" +
                            std::to_string(options.pixel_scale);
    if (!data_ || key != key_) {
      data_.reset();  // free the old set before loading the next
      data_ = std::make_unique<nets::DataSplits>(nets::load_dataset(s.dataset, options));
      key_ = key;
    }
    return *data_;
  }

 private:
  std::string key_;
  std::unique_ptr<nets::DataSplits> data_;
};

// The hyperparameter columns of a run (everything before "epoch").
std::vector<std::string> run_values(const std::string& label, uint64_t seed,
                                    const RunSettings& s, const nets::DataSplits& data) {
  const nets::UpdateConfig& u = s.solver.update;
  std::string hidden;
  for (size_t w : s.net.hidden_dims) hidden += (hidden.empty() ? "" : "-") + std::to_string(w);
  return {label,
          std::to_string(seed),
          s.dataset,
          std::to_string(data.train.size()),
          std::to_string(data.val.size()),
          s.data.standardize ? "true" : "false",
          setting(s.data.pixel_scale),
          hidden,
          s.net.batchnorm ? "true" : "false",
          setting(s.net.dropout),
          nets::init_name(s.net.init),
          setting(s.net.weight_scale),
          setting(s.net.l2),
          nets::update_rule_name(u.rule),
          setting(u.learning_rate),
          s.linear_lr_scaling ? "linear" : "held",
          setting(s.solver.lr_decay),
          setting(u.momentum),
          setting(u.decay_rate),
          setting(u.beta1),
          setting(u.beta2),
          setting(u.epsilon),
          std::to_string(s.solver.batch_size),
          s.budget_in_updates ? "updates" : "epochs",
          std::to_string(s.solver.num_epochs),
          s.solver.sample_with_replacement ? "true" : "false",
          std::to_string(s.solver.num_train_samples),
          std::to_string(kernels::thread_count()),
          kernels::active_target_name()};
}

// Test accuracies per epoch beside a checkpoint: "0.912300\n0.931200\n".
std::vector<double> read_accuracies(const fs::path& path) {
  std::vector<double> values;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) values.push_back(std::strtod(line.c_str(), nullptr));
  return values;
}

std::string accuracies_text(const std::vector<double>& values) {
  std::string s;
  for (double v : values) s += accuracy(v) + "\n";
  return s;
}

// Runs plot.py on the results folder; false (after printing why) if it fails.
bool render_plots(const fs::path& dir, std::FILE* out) {
  const std::string script = std::string(SIMDNET_SOURCE_DIR) + "/experiments/plot.py";
  // Debian's interpreter first: python3-matplotlib is installed for it, and a
  // python3 earlier on the PATH (pyenv, a venv) may lack matplotlib.
  const char* python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  std::fflush(out);
  const pid_t pid = fork();
  if (pid == 0) {
    execlp(python, python, script.c_str(), dir.c_str(), static_cast<char*>(nullptr));
    std::fprintf(stderr, "cannot run python3 %s: %s\n", script.c_str(), std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "simdnet experiment: error: plotting %s failed (%s %s); "
                 "the tables are written\n", dir.c_str(), python, script.c_str());
    return false;
  }
  return true;
}

}  // namespace

ExperimentOutcome run_experiment(const ExperimentConfig& config, const std::string& name,
                                 const ExperimentOptions& options) {
  const Clock::time_point start = Clock::now();
  ExperimentOutcome outcome;
  const bool quick = options.profile == Profile::kQuick;
  const fs::path dir = options.results_root / (quick ? fs::path("quick") / name : fs::path(name));
  outcome.dir = dir;
  const fs::path runs_csv = dir / "runs.csv", resolved_file = dir / "config.resolved",
                 checkpoints = dir / "checkpoints";

  // Refuse to mix results of another config (before any training).
  const std::string resolved =
      "profile = " + std::string(quick ? "quick" : "full") + "\n" + resolved_text(config);
  if (options.restart) {
    for (const fs::path& p : {runs_csv, resolved_file, dir / "summary.md"}) fs::remove(p);
    fs::remove_all(checkpoints);
    fs::remove_all(dir / "plots");
  }
  nets::check_writable_directory(dir);
  if (fs::exists(resolved_file) && read_file(resolved_file) != resolved)
    throw std::runtime_error(dir.string() + " holds results of a different config (see " +
                             resolved_file.string() + " against " + config.source +
                             "); rerun with --restart to discard them, or move the folder");
  nets::write_file_atomically(resolved_file, resolved);
  nets::write_file_atomically(dir / "config.toml", read_file(config.source));

  // Whole runs only; a torn tail or partial run is cut off (and redone).
  RunsTable table = read_runs_table(runs_csv.string());
  if (!fs::exists(runs_csv) || !table.dropped.empty()) {
    std::string text = csv_line(run_columns());
    for (const RunRow& r : table.rows) text += csv_line(r.values);
    nets::write_file_atomically(runs_csv, text);
    for (const std::string& d : table.dropped)
      std::fprintf(options.out, "runs.csv: dropped %s\n", d.c_str());
    table.dropped.clear();
  }

  const std::vector<GridPoint> points = grid_points(config);
  outcome.runs = points.size() * config.seeds.size();
  for (const GridPoint& p : points)
    for (uint64_t seed : config.seeds)
      outcome.skipped += table.runs.count({p.label(config.axes), std::to_string(seed)});
  std::fprintf(options.out, "%s: %zu runs (%zu settings x %zu seeds), %zu done before\n",
               dir.c_str(), outcome.runs, points.size(), config.seeds.size(), outcome.skipped);

  nets::install_interrupt_handlers();
  DataCache cache;
  size_t run_index = outcome.skipped;
  double trained_seconds = 0;
  for (const GridPoint& point : points) {
    const std::string label = point.label(config.axes);
    for (uint64_t seed : config.seeds) {
      if (table.runs.count({label, std::to_string(seed)})) continue;
      if (nets::interrupted()) break;
      ++run_index;
      const Clock::time_point run_start = Clock::now();
      RunSettings s = settings_for(config, point);
      const nets::DataSplits& data = cache.get(s, options);
      resolve_for_data(s, data.train.size());
      s.net.input_dim = data.train.features();
      s.net.num_classes = static_cast<size_t>(data.train.num_classes);
      s.net.seed = seed;
      s.solver.seed = seed;

      nets::FullyConnectedNet net(s.net);
      nets::Solver solver(net, data.train, data.val, s.solver);
      const fs::path state = checkpoints / (file_stem(label, seed) + ".state.npz");
      const fs::path state_tests = checkpoints / (file_stem(label, seed) + ".test_acc");
      std::vector<double> test_acc;
      if (fs::exists(state)) {  // a signal interrupted this run: continue it exactly
        nets::restore_training_state(nets::read_training_state(state), solver);
        test_acc = read_accuracies(state_tests);
        if (test_acc.size() != solver.record().epoch)
          throw std::runtime_error(state_tests.string() + ": " + std::to_string(test_acc.size()) +
                                   " test accuracies for " +
                                   std::to_string(solver.record().epoch) +
                                   " epochs; remove the checkpoint to redo the run");
      }
      char head[160];
      std::snprintf(head, sizeof head, "[%zu/%zu] %s seed=%llu", run_index, outcome.runs,
                    label.c_str(), static_cast<unsigned long long>(seed));
      auto last_draw = Clock::now();
      solver.set_progress_callback([&](const nets::Progress& p) {
        if (p.epoch_done) {
          const size_t e = p.epoch_done->epoch;
          const bool tested = e % s.test_every == 0 || e == p.num_epochs;
          test_acc.push_back(tested ? solver.check_accuracy(data.test)
                                    : std::numeric_limits<double>::quiet_NaN());
        }
        if (!options.live || Clock::now() - last_draw < std::chrono::milliseconds(100)) return;
        last_draw = Clock::now();
        std::fprintf(options.out, "\r\033[K%s  epoch %zu/%zu  batch %zu/%zu  loss %.4f", head,
                     p.epoch, p.num_epochs, p.batch, p.batches_per_epoch, p.loss);
        std::fflush(options.out);
      });
      solver.set_stop_request([] { return nets::interrupted(); });
      const nets::TrainOutcome trained = solver.train();
      if (options.live) std::fprintf(options.out, "\r\033[K");

      if (trained.interrupted) {
        fs::create_directories(checkpoints);
        nets::save_training_state(state, solver);
        nets::write_file_atomically(state_tests, accuracies_text(test_acc));
        std::fprintf(options.out, "%s: interrupted in epoch %zu; saved %s\n", head,
                     solver.record().epoch + 1, state.c_str());
        break;
      }
      // The run's rows, appended whole.
      const std::vector<std::string> values = run_values(label, seed, s, data);
      std::string rows;
      uint64_t updates = 0;
      const auto& epochs = solver.record().epochs;
      for (size_t e = 0; e < epochs.size(); ++e) {
        const nets::EpochStats& st = epochs[e];
        updates += solver.batches_per_epoch();
        std::vector<std::string> row = values;
        for (const std::string& v :
             {std::to_string(st.epoch), std::to_string(updates), real(st.loss),
              accuracy(st.train_acc), accuracy(st.val_acc), accuracy(test_acc.at(e)),
              real(st.seconds), real(st.samples_per_second), std::string("ok")})
          row.push_back(v);
        rows += csv_line(row);
      }
      if (trained.diverged) {
        std::vector<std::string> row = values;
        for (const std::string& v :
             {std::to_string(epochs.size() + 1), std::to_string(solver.record().iteration),
              std::string("nan"), std::string("nan"), std::string("nan"), std::string("nan"),
              std::string("nan"), std::string("nan"), std::string("diverged")})
          row.push_back(v);
        rows += csv_line(row);
      }
      nets::append_whole(runs_csv, rows);
      fs::remove(state);
      fs::remove(state_tests);
      ++outcome.trained;

      const double run_seconds = seconds_since(run_start);
      trained_seconds += run_seconds;
      const size_t left = outcome.runs - run_index;
      const double eta = trained_seconds / static_cast<double>(outcome.trained) *
                         static_cast<double>(left);
      if (trained.diverged) {
        std::fprintf(options.out, "%s: diverged (%s)  %.1fs\n", head, trained.message.c_str(),
                     run_seconds);
      } else {
        std::fprintf(options.out,
                     "%s: val %.2f%%  test %.2f%%  %zu epochs  %.1fs  (%zu left, ETA %.0fs)\n",
                     head, epochs.back().val_acc * 100, test_acc.back() * 100, epochs.size(),
                     run_seconds, left, eta);
      }
      std::fflush(options.out);
    }
    if (nets::interrupted()) break;
  }
  outcome.interrupt_signal = nets::interrupt_signal();

  // Nothing new: the summary and plots on disk already describe runs.csv,
  // and their header names the invocation that trained (keep it).
  const fs::path summary_file = dir / "summary.md";
  if (outcome.trained == 0 && outcome.interrupt_signal == 0 && fs::exists(summary_file) &&
      (!options.plots || fs::exists(dir / "plots" / "curves.png"))) {
    outcome.summary = read_file(summary_file);
    return outcome;
  }
  // The summary of everything in runs.csv, whichever invocation ran it.
  SummaryContext context;
  context.name = name;
  context.profile = quick ? "quick" : "full";
  context.command = options.command;
  context.wall_seconds = seconds_since(start);
  context.machine = machine_info();
  outcome.summary = summary_markdown(config, read_runs_table(runs_csv.string()), context);
  nets::write_file_atomically(summary_file, outcome.summary);
  if (options.plots && outcome.interrupt_signal == 0)
    outcome.plots_failed = !render_plots(dir, options.out);
  return outcome;
}

}  // namespace simdnet::experiments
