// The subcommands of `simdnet`: each adds its flags to the app and runs.
//
//   simdnet train     train a net, print a per-epoch table and the test accuracy
//   simdnet evaluate  a saved model's test accuracy and confusion matrix
//   simdnet data      fetch (and cache) the data sets
//   simdnet experiment  run an experiment config: grid x seeds -> tables, plots
//
// A command returns the process's exit status. Bad flag values throw
// UsageError (exit status 2, the message names the flag and the value); other
// failures (missing data, unreadable files) throw std::exception (status 1).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>

namespace simdnet::cli {

// A flag with an unusable value: "--lr 0: the learning rate must be > 0".
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Adds the subcommand to `app`; the returned function runs it (after parsing,
// when the subcommand was given).
using Command = std::function<int()>;
Command add_train_command(CLI::App& app);
Command add_evaluate_command(CLI::App& app);
Command add_data_command(CLI::App& app);
Command add_experiment_command(CLI::App& app);

// The process's command line, shell-quoted where needed (for results' headers).
const std::string& command_line();

}  // namespace simdnet::cli
