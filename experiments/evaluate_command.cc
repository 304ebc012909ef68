// simdnet evaluate: a saved model's accuracy on a split, and its confusion
// matrix (rows: true class, columns: predicted class).
//
//   simdnet evaluate --model model.npz --dataset mnist
#include <cstdio>
#include <vector>

#include "commands.h"
#include "flags.h"
#include "simdnet/kernels/parallel.h"
#include "simdnet/nets/checkpoint.h"
#include "simdnet/nets/data.h"

namespace simdnet::cli {
namespace {

struct EvaluateFlags {
  std::string model;
  std::string dataset;  // empty: the one the model records
  std::string split = "test";
  std::string data_dir;
  bool no_fetch = false;
  int threads = 0;
};

void print_confusion(const std::vector<std::vector<size_t>>& confusion) {
  const size_t classes = confusion.size();
  std::printf("confusion matrix (rows: true class, columns: predicted class)\n%6s", "");
  for (size_t c = 0; c < classes; ++c) std::printf(" %6zu", c);
  std::printf("   recall\n");
  for (size_t t = 0; t < classes; ++t) {
    size_t total = 0;
    for (size_t n : confusion[t]) total += n;
    std::printf("%6zu", t);
    for (size_t p = 0; p < classes; ++p) std::printf(" %6zu", confusion[t][p]);
    std::printf("   %.4f\n",
                total ? static_cast<double>(confusion[t][t]) / static_cast<double>(total) : 0.0);
  }
}

int run_evaluate(const EvaluateFlags& f) {
  check_readable_file("--model", f.model);
  if (!f.dataset.empty()) check_dataset("--dataset", f.dataset);
  if (f.split != "test" && f.split != "val" && f.split != "train")
    throw UsageError("--split '" + f.split + "': expected test, val or train");
  if (f.threads < 0) throw UsageError("--threads " + std::to_string(f.threads) + ": must be >= 0");
  nets::LoadedModel model = nets::load_model(f.model);
  const std::string dataset = f.dataset.empty() ? model.data.dataset : f.dataset;
  if (dataset.empty())
    throw UsageError("--dataset: " + f.model + " records no data set; name one (" +
                     one_of(nets::dataset_names()) + ")");
  kernels::set_thread_count(f.threads);

  // The model's own preprocessing (validation split, standardization, mean
  // subtraction), so that its inputs look as they did in training.
  nets::DataOptions options = model.data.options;
  if (model.data.dataset != dataset) options = {};
  options.data_dir = f.data_dir;
  options.fetch = !f.no_fetch;
  const nets::DataSplits data = nets::load_dataset(dataset, options);
  const nets::Dataset& split = f.split == "test"  ? data.test
                               : f.split == "val" ? data.val
                                                  : data.train;
  const nets::NetSpec& spec = model.net.spec();
  if (spec.input_dim != split.features() ||
      spec.num_classes != static_cast<size_t>(split.num_classes))
    throw std::runtime_error(f.model + ": the model takes " + std::to_string(spec.input_dim) +
                             " features into " + std::to_string(spec.num_classes) + " classes; " +
                             dataset + " has " + std::to_string(split.features()) + " and " +
                             std::to_string(split.num_classes));
  if (split.size() == 0)
    throw UsageError("--split " + f.split + ": the " + f.split + " split is empty");

  std::vector<int32_t> predicted(split.size());
  model.net.predict(split.x.view(), predicted);
  const size_t classes = spec.num_classes;
  std::vector<std::vector<size_t>> confusion(classes, std::vector<size_t>(classes, 0));
  size_t right = 0;
  for (size_t i = 0; i < split.size(); ++i) {
    ++confusion[static_cast<size_t>(split.y[i])][static_cast<size_t>(predicted[i])];
    right += predicted[i] == split.y[i];
  }
  std::string shape = std::to_string(spec.input_dim);
  for (size_t h : spec.hidden_dims) shape.append("-").append(std::to_string(h));
  shape.append("-").append(std::to_string(spec.num_classes));
  std::printf("model:   %s (net %s%s%s)\n", f.model.c_str(), shape.c_str(),
              spec.batchnorm ? ", batchnorm" : "",
              model.data.dataset.empty() ? "" : (", trained on " + model.data.dataset).c_str());
  if (!model.data.dataset.empty() && model.data.dataset != dataset)
    std::printf("note:    evaluated on %s with its default preprocessing\n", dataset.c_str());
  std::printf("data:    %s, %s split, %zu examples\n\n", dataset.c_str(), f.split.c_str(),
              split.size());
  std::printf("%s accuracy: %.4f (%zu / %zu)\n\n", f.split.c_str(),
              static_cast<double>(right) / static_cast<double>(split.size()), right, split.size());
  print_confusion(confusion);
  return 0;
}

}  // namespace

Command add_evaluate_command(CLI::App& app) {
  auto flags = std::make_shared<EvaluateFlags>();
  EvaluateFlags& f = *flags;
  CLI::App* cmd = app.add_subcommand(
      "evaluate", "Accuracy and confusion matrix of a model saved by `simdnet train --save`");
  cmd->option_defaults()->always_capture_default();
  cmd->add_option("--model", f.model, "The model (.npz) to evaluate")->required();
  cmd->add_option("--dataset", f.dataset, "Data set: " + one_of(nets::dataset_names()))
      ->default_str("the one the model was trained on");
  cmd->add_option("--split", f.split, "Which split: test, val or train");
  cmd->add_option("--data-dir", f.data_dir, "Where data sets are kept")
      ->default_str("$SIMDNET_DATA_DIR, else <repo>/data");
  cmd->add_flag("--no-fetch", f.no_fetch,
                "Fail instead of downloading missing data (default: off)");
  cmd->add_option("--threads", f.threads, "Worker threads (0: $SIMDNET_THREADS, else every core)");
  return [flags] { return run_evaluate(*flags); };
}

}  // namespace simdnet::cli
