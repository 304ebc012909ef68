// simdnet: train and evaluate fully-connected nets on MNIST, Fashion-MNIST and
// CIFAR-10 on the CPU. `simdnet --help`, `simdnet train --help`.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"

namespace simdnet::cli {
namespace {
std::string g_command_line;
}  // namespace

const std::string& command_line() { return g_command_line; }

}  // namespace simdnet::cli

int main(int argc, char** argv) {
  using namespace simdnet::cli;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_of(" '\"$`\\") == std::string::npos;
    g_command_line += (i ? " " : "") + (plain ? arg : "'" + arg + "'");
  }
  CLI::App app{"simdnet: fully-connected nets trained on the CPU with hand-vectorized kernels"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, Command>> commands;
  // Each adder creates the subcommand of that name.
  auto add = [&](const char* name, Command (*adder)(CLI::App&)) {
    Command run = adder(app);
    commands.emplace_back(app.get_subcommand(name), std::move(run));
  };
  add("train", add_train_command);
  add("evaluate", add_evaluate_command);
  add("data", add_data_command);
  add("experiment", add_experiment_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, run] : commands) {
    if (!sub->parsed()) continue;
    const std::string name = "simdnet " + sub->get_name();
    try {
      return run();
    } catch (const UsageError& e) {
      std::fprintf(stderr, "%s: error: %s\n(run `%s --help` for every flag and its default)\n",
                   name.c_str(), e.what(), name.c_str());
      return kExitUsage;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
      return kExitFailure;
    }
  }
  return kExitUsage;
}
