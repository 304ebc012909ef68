// Experiment configs: a TOML file names the data, the net, the solver, one or
// two grid axes over any of their fields, the seeds and the epochs. Every
// field has a default; a config gives only what it changes.
//
//   title = "Update rules on MNIST (CS231n's setup)"
//   [data]
//   dataset = "mnist"
//   train_subset = 4000
//   [net]
//   hidden = [100, 100, 100, 100, 100]
//   init = "weight_scale"
//   weight_scale = 5e-2
//   [solver]
//   learning_rate = 1e-2
//   batch_size = 100
//   epochs = 5
//   [run]
//   seeds = [1, 2, 3]
//   target_accuracy = 0.9          # validation accuracy for "epochs to target"
//   [[axis]]
//   field = "solver.update"
//   values = ["sgd", "sgd_momentum", "nesterov", "rmsprop", "adam"]
//   [quick]                        # the quick profile: overrides, same layout
//   solver.epochs = 2
//   axis_values = [["sgd", "adam"]]  # optional, one list per axis: a subset
//                                    # of its values (linked fields follow)
//
// Fields (section.key = default):
//   data.dataset = "mnist"           mnist | fashion-mnist | cifar10
//   data.train_subset = 0            > 0: the first K training examples
//   data.val_size = -1               -1: the data set's default (nets/data.h)
//   data.standardize = false         per-feature standardization
//   data.pixel_scale = 1.0           features times this (255: CS231n's raw-pixel scale)
//   net.hidden = [100]               hidden layer widths
//   net.batchnorm = false
//   net.dropout = 0.0                drop probability p in [0, 1)
//   net.init = "he"                  he | xavier | weight_scale
//   net.weight_scale = 1e-2          for init = "weight_scale"
//   net.l2 = 0.0
//   solver.update = "sgd"            sgd | sgd_momentum | nesterov | rmsprop | adam
//   solver.learning_rate = 1e-2
//   solver.lr_scaling = "held"       held | linear: lr * batch_size / lr_reference_batch
//   solver.lr_reference_batch = 128  (Goyal et al. 2017's linear scaling rule)
//   solver.momentum = 0.9, solver.decay_rate = 0.99, solver.beta1 = 0.9,
//   solver.beta2 = 0.999, solver.epsilon = 1e-8, solver.lr_decay = 1.0
//   solver.batch_size = 100          or "full": the whole training set
//   solver.budget = "epochs"         epochs | updates
//   solver.epochs = 10               the budget when budget = "epochs"
//   solver.updates = 1000            budget = "updates": epochs =
//                                    max(1, round(updates / batches per epoch))
//   solver.sample_with_replacement = false
//   solver.train_acc_samples = 1000  train accuracy on this many random examples; 0: all
//   run.seeds = [1, 2, 3]            at least 3, distinct
//   run.target_accuracy = 0.9        in (0, 1]
//   run.test_every = 1               test accuracy on every k-th epoch and the last (the
//                                    others' rows say nan): the test set costs more to
//                                    evaluate than a small training set to train on
//
// Every error is a ConfigError whose message names the file, the field (or
// axis) and the value, and says what was expected.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "simdnet/nets/data.h"
#include "simdnet/nets/network.h"
#include "simdnet/nets/solver.h"

namespace simdnet::experiments {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A field's value as written in the config.
using FieldValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>>;

// How a value reads in tables and run names: 0.01, 128, true, adam, 100-100.
std::string value_text(const FieldValue& value);

// Every field, by "section.key", set to the config's value or the default.
using Fields = std::map<std::string, FieldValue>;

// A grid axis: a field and its values, and optionally fields that change
// with it (one value per axis value), e.g. each update rule's learning rate:
//   [[axis]]
//   field = "solver.update"
//   values = ["sgd", "adam"]
//   with = { "solver.learning_rate" = [1e-2, 1e-3] }
struct Axis {
  std::string field;                // "solver.batch_size"
  std::vector<FieldValue> values;   // in the config's order
  std::vector<std::pair<std::string, std::vector<FieldValue>>> with;  // linked fields
};

// One run's complete settings, with the grid point applied. The batch size
// ("full"), learning rate (lr_scaling) and epochs (budget = "updates") that
// depend on the training set's size are resolved by resolve_for_data().
struct RunSettings {
  std::string dataset;
  nets::DataOptions data;
  nets::NetSpec net;            // input_dim and seed are set per run
  nets::SolverConfig solver;    // seed set per run; see resolve_for_data
  bool full_batch = false;
  bool linear_lr_scaling = false;
  size_t lr_reference_batch = 128;
  bool budget_in_updates = false;
  size_t updates = 0;
  double target_accuracy = 0.9;
  size_t test_every = 1;
};

// Fills in what depends on the training set: batch_size for a full batch, the
// scaled learning rate, and num_epochs for an update budget.
void resolve_for_data(RunSettings& settings, size_t train_size);

struct ExperimentConfig {
  std::string source;        // the file, for messages
  std::string title, description;
  Fields fields;             // the base settings (profile applied)
  std::vector<Axis> axes;    // one or two
  std::vector<uint64_t> seeds;
};

enum class Profile { kFull, kQuick };

// Parses and checks a config. Every grid point is built and checked here, so
// a bad value fails before any training. Throws ConfigError.
ExperimentConfig parse_experiment_config(std::string_view toml_text, const std::string& source,
                                         Profile profile = Profile::kFull);
// Reads the file (ConfigError if it cannot) and parses it.
ExperimentConfig read_experiment_config(const std::string& path, Profile profile);

// A grid point: the axis values, one per axis.
struct GridPoint {
  std::vector<FieldValue> values;
  // "update=adam", "batch_size=128 lr_scaling=linear": the axes' keys (the
  // part after the section) and values.
  std::string label(const std::vector<Axis>& axes) const;
};

// Grid points in order: the first axis outermost.
std::vector<GridPoint> grid_points(const ExperimentConfig& config);

// The settings of one grid point (the base fields with its values applied).
RunSettings settings_for(const ExperimentConfig& config, const GridPoint& point);

// Every field with its value at one grid point, "section.key = value" lines:
// what results/<name>/config.resolved records, so that results of another
// config are never mixed in.
std::string resolved_text(const ExperimentConfig& config);

}  // namespace simdnet::experiments
