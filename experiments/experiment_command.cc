// simdnet experiment: runs one experiment config (experiment.h) and prints
// its summary table.
//
//   simdnet experiment experiments/configs/update_rules_mnist.toml --quick --threads 2
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "flags.h"
#include "simdnet/experiments/config.h"
#include "simdnet/experiments/experiment.h"
#include "simdnet/kernels/parallel.h"

namespace simdnet::cli {
namespace {

struct ExperimentFlags {
  std::string config;
  bool quick = false;
  int threads = 0;
  std::string results = "results";
  std::string data_dir;
  bool no_fetch = false;
  bool restart = false;
  bool no_plots = false;
  bool quiet = false;
  bool no_summary = false;
};

}  // namespace

Command add_experiment_command(CLI::App& app) {
  auto flags = std::make_shared<ExperimentFlags>();
  CLI::App* sub = app.add_subcommand(
      "experiment",
      "Run an experiment config (experiments/configs/*.toml): every grid point x seed, "
      "skipping runs already done; writes runs.csv, summary.md and plots under "
      "RESULTS/<config name>/ (RESULTS/quick/<name>/ with --quick)");
  sub->add_option("config", flags->config, "the experiment's TOML file")->required();
  sub->add_flag("--quick", flags->quick, "the config's quick profile ([quick]: fewer epochs, "
                                         "smaller grid)");
  sub->add_option("--threads", flags->threads, "kernel threads; 0: all cores")
      ->capture_default_str();
  sub->add_option("--results", flags->results, "the results folder")->capture_default_str();
  sub->add_option("--data-dir", flags->data_dir, "raw data and cache (default: <repo>/data)");
  sub->add_flag("--no-fetch", flags->no_fetch, "do not fetch missing data");
  sub->add_flag("--restart", flags->restart, "discard this experiment's earlier results first");
  sub->add_flag("--no-plots", flags->no_plots, "skip the plots");
  sub->add_flag("--quiet", flags->quiet, "print only the summary");
  sub->add_flag("--no-summary", flags->no_summary,
                "do not print the summary table at the end (it is in summary.md)");

  return [flags] {
    const ExperimentFlags& f = *flags;
    if (f.threads < 0)
      throw UsageError("--threads " + std::to_string(f.threads) + ": expected >= 0 (0: all cores)");
    if (!std::filesystem::is_regular_file(f.config))
      throw UsageError("config " + f.config + ": no such file (expected an experiment's .toml)");
    const auto profile = f.quick ? experiments::Profile::kQuick : experiments::Profile::kFull;
    const experiments::ExperimentConfig config =
        experiments::read_experiment_config(f.config, profile);
    kernels::set_thread_count(f.threads);

    experiments::ExperimentOptions options;
    options.profile = profile;
    options.results_root = f.results;
    options.data_dir = f.data_dir;
    options.fetch = !f.no_fetch;
    options.plots = !f.no_plots;
    options.restart = f.restart;
    options.command = command_line();
    std::FILE* devnull = f.quiet ? std::fopen("/dev/null", "w") : nullptr;
    options.out = devnull ? devnull : stdout;
    options.live = !f.quiet && isatty(fileno(stdout)) == 1;
    const std::string name = std::filesystem::path(f.config).stem().string();
    const experiments::ExperimentOutcome outcome =
        experiments::run_experiment(config, name, options);
    if (devnull) std::fclose(devnull);

    if (!f.no_summary) std::printf("\n%s\n", outcome.summary.c_str());
    std::printf("results: %s/{runs.csv,summary.md%s}\n", outcome.dir.c_str(),
                options.plots && !outcome.plots_failed && !outcome.interrupt_signal ? ",plots/"
                                                                                    : "");
    if (outcome.interrupt_signal) {
      std::fprintf(stderr,
                   "simdnet experiment: interrupted; %zu of %zu runs done. Run the same command "
                   "again to continue.\n",
                   outcome.skipped + outcome.trained, outcome.runs);
      return 128 + outcome.interrupt_signal;
    }
    return outcome.plots_failed ? kExitFailure : 0;
  };
}

}  // namespace simdnet::cli
