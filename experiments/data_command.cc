// simdnet data fetch: downloads data sets by name (scripts/fetch-data checks
// every file against its pinned SHA-256), then decodes them once into the
// cache, so that training loads them fast.
//
//   simdnet data fetch             every set
//   simdnet data fetch mnist cifar10
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "flags.h"
#include "simdnet/nets/data.h"
#include "simdnet/nets/data_files.h"

namespace simdnet::cli {
namespace {

struct DataFlags {
  std::vector<std::string> sets;
  std::string data_dir;
};

int run_fetch(const DataFlags& f) {
  std::vector<std::string> sets;
  for (const std::string& name : f.sets.empty() ? std::vector<std::string>{"all"} : f.sets) {
    if (name == "all") {
      sets.insert(sets.end(), nets::dataset_names().begin(), nets::dataset_names().end());
      continue;
    }
    check_dataset("data fetch", name);
    sets.push_back(name);
  }
  const std::filesystem::path dir =
      f.data_dir.empty() ? nets::default_data_dir() : std::filesystem::path(f.data_dir);
  for (const std::string& name : sets) {
    nets::fetch_raw_data(name, dir);
    const auto start = std::chrono::steady_clock::now();
    nets::DataOptions options;
    options.data_dir = dir.string();
    options.fetch = false;
    const nets::DataSplits d = nets::load_dataset(name, options);  // decodes and caches
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: ready in %s (%zu train / %zu val / %zu test, %zu features; loaded in %.2fs)\n",
                name.c_str(), dir.string().c_str(), d.train.size(), d.val.size(), d.test.size(),
                d.train.features(), seconds);
  }
  return 0;
}

}  // namespace

Command add_data_command(CLI::App& app) {
  auto flags = std::make_shared<DataFlags>();
  CLI::App* cmd = app.add_subcommand("data", "Fetch and cache the data sets");
  cmd->require_subcommand(1);
  CLI::App* fetch = cmd->add_subcommand(
      "fetch", "Download data sets by name (SHA-256 checked) and decode them into the cache");
  fetch->add_option("sets", flags->sets, "mnist, cifar10, fashion-mnist or all")
      ->default_str("all");
  fetch->add_option("--data-dir", flags->data_dir, "Where data sets are kept")
      ->default_str("$SIMDNET_DATA_DIR, else <repo>/data");
  return [flags, fetch] {
    if (!fetch->parsed()) return kExitUsage;
    return run_fetch(*flags);
  };
}

}  // namespace simdnet::cli
