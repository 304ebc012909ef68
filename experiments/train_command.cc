// simdnet train: builds the net and Solver from flags (or resumes a saved
// training state), trains with a per-epoch table, reports the test accuracy
// and saves the best parameters.
//
//   simdnet train --dataset mnist --hidden 512 --update sgd --lr 0.1 --batch 128
//                 --epochs 10 --threads 2 --seed 1 --save model.npz --save-state run.npz
//
// SIGINT or SIGTERM: the current step finishes, the training state (with the
// position inside the epoch) is saved to --save-state (else
// simdnet-train-interrupted.npz), the best model so far to --save, and the
// command exits with 130 or 143; `simdnet train --resume run.npz` then ends
// with the same bytes in --save as an uninterrupted run. A NaN or infinite
// loss or gradient stops training (exit 1) without overwriting the state
// saved after the last good epoch.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include "commands.h"
#include "flags.h"
#include "progress.h"
#include "simdnet/kernels/parallel.h"
#include "simdnet/nets/checkpoint.h"
#include "simdnet/nets/data.h"
#include "simdnet/nets/files.h"
#include "simdnet/nets/interrupt.h"
#include "simdnet/nets/network.h"
#include "simdnet/nets/solver.h"

namespace simdnet::cli {
namespace {

using nets::NetSpec;
using nets::SolverConfig;

// The flags, as parsed. Counts and sizes are signed so that "-5" reaches our
// checks (and their messages) instead of wrapping around.
struct TrainFlags {
  std::string dataset = "mnist";
  std::string data_dir;
  bool no_fetch = false;
  long long val_size = -1;  // -1: the data set's default
  long long train_subset = 0;
  bool standardize = false;
  bool cs231n_test_subset = false;

  std::string hidden = "100";
  bool batchnorm = false;
  double dropout = 0.0;
  double l2 = 0.0;
  std::string init = "he";
  double weight_scale = 1e-2;

  std::string update = "sgd";
  double lr = 1e-2;
  double momentum = 0.9;
  double decay_rate = 0.99;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double lr_decay = 1.0;
  long long batch = 100;
  long long epochs = 10;
  bool sample_with_replacement = false;
  long long train_acc_samples = 1000;

  int threads = 0;
  unsigned long long seed = 0;
  std::string save, save_state, load, resume;
};

// Where an interrupted run saves its state when no --save-state names a file.
constexpr const char* kInterruptedStatePath = "simdnet-train-interrupted.npz";

// Options that define the net or the training: a resumed run takes them from
// the saved state, so giving one with --load is an error.
struct Flagged {
  std::vector<CLI::Option*> fixed_by_state;
  CLI::Option* dataset = nullptr;
  CLI::Option* epochs = nullptr;
  CLI::Option* val_size = nullptr;
};

void check_real(const std::string& flag, double v, bool ok, const std::string& expected) {
  if (!ok || !std::isfinite(v)) throw UsageError(flag + " " + number(v) + ": " + expected);
}

void check_count(const std::string& flag, long long v, long long min, const std::string& expected) {
  if (v < min) throw UsageError(flag + " " + std::to_string(v) + ": " + expected);
}

struct Plan {
  NetSpec spec;
  SolverConfig config;
  nets::DataRecipe recipe;
  std::optional<nets::SavedTraining> resume;
};

// Every flag checked, before any data is loaded or any time is spent.
Plan plan_from_flags(const TrainFlags& f) {
  Plan plan;
  check_dataset("--dataset", f.dataset);
  NetSpec& s = plan.spec;
  s.hidden_dims = parse_hidden_dims("--hidden", f.hidden);
  s.batchnorm = f.batchnorm;
  check_real("--dropout", f.dropout, f.dropout >= 0 && f.dropout < 1,
             "the drop probability p must be in [0, 1) (0: no dropout)");
  s.dropout = static_cast<float>(f.dropout);
  check_real("--l2", f.l2, f.l2 >= 0, "the L2 strength must be >= 0");
  s.l2 = static_cast<float>(f.l2);
  const auto init = nets::parse_init(f.init);
  if (!init)
    throw UsageError("--init '" + f.init + "': unknown; expected he, xavier or weight_scale");
  s.init = *init;
  check_real("--weight-scale", f.weight_scale, f.weight_scale > 0, "must be > 0");
  s.weight_scale = static_cast<float>(f.weight_scale);
  s.seed = f.seed;

  SolverConfig& c = plan.config;
  const auto rule = nets::parse_update_rule(f.update);
  if (!rule)
    throw UsageError("--update '" + f.update + "': unknown update rule; expected " +
                     one_of(nets::update_rule_names()));
  c.update.rule = *rule;
  check_real("--lr", f.lr, f.lr > 0, "the learning rate must be > 0");
  c.update.learning_rate = static_cast<float>(f.lr);
  check_real("--momentum", f.momentum, f.momentum >= 0 && f.momentum < 1, "must be in [0, 1)");
  c.update.momentum = static_cast<float>(f.momentum);
  check_real("--decay-rate", f.decay_rate, f.decay_rate >= 0 && f.decay_rate < 1,
             "must be in [0, 1)");
  c.update.decay_rate = static_cast<float>(f.decay_rate);
  check_real("--beta1", f.beta1, f.beta1 >= 0 && f.beta1 < 1, "must be in [0, 1)");
  c.update.beta1 = static_cast<float>(f.beta1);
  check_real("--beta2", f.beta2, f.beta2 >= 0 && f.beta2 < 1, "must be in [0, 1)");
  c.update.beta2 = static_cast<float>(f.beta2);
  check_real("--epsilon", f.epsilon, f.epsilon > 0, "must be > 0");
  c.update.epsilon = static_cast<float>(f.epsilon);
  check_real("--lr-decay", f.lr_decay, f.lr_decay > 0 && f.lr_decay <= 1,
             "the per-epoch learning-rate factor must be in (0, 1]");
  c.lr_decay = static_cast<float>(f.lr_decay);
  check_count("--batch", f.batch, 1, "the batch size must be at least 1");
  c.batch_size = static_cast<size_t>(f.batch);
  check_count("--epochs", f.epochs, 1, "must be at least 1");
  c.num_epochs = static_cast<size_t>(f.epochs);
  c.seed = f.seed;
  c.sample_with_replacement = f.sample_with_replacement;
  check_count("--train-acc-samples", f.train_acc_samples, 0, "must be >= 0 (0: all)");
  c.num_train_samples = static_cast<size_t>(f.train_acc_samples);

  nets::DataOptions& o = plan.recipe.options;
  plan.recipe.dataset = f.dataset;
  if (f.val_size != -1) {
    check_count("--val-size", f.val_size, 0, "must be >= 0");
    o.val_size = static_cast<size_t>(f.val_size);
  }
  check_count("--train-subset", f.train_subset, 0, "must be >= 0 (0: all)");
  o.train_subset = static_cast<size_t>(f.train_subset);
  o.standardize = f.standardize;
  o.cs231n_test_subset = f.cs231n_test_subset;
  return plan;
}

// A resumed run: net, solver and data settings come from the state file.
Plan plan_from_state(const TrainFlags& f, const Flagged& flagged) {
  for (const CLI::Option* opt : flagged.fixed_by_state)
    if (opt->count() > 0)
      throw UsageError(opt->get_name() +
                       " cannot be combined with --load or --resume: a resumed run keeps the "
                       "net, solver and data settings saved in " +
                       f.load +
                       " (only --epochs, --threads, --save, --save-state, --data-dir and "
                       "--no-fetch may change)");
  Plan plan;
  plan.resume = nets::read_training_state(f.load);
  plan.spec = plan.resume->spec;
  plan.config = plan.resume->config;
  plan.recipe = plan.resume->data;
  if (plan.recipe.dataset.empty())
    throw std::runtime_error(f.load + ": the state records no data set (data/dataset)");
  if (flagged.dataset->count() > 0 && f.dataset != plan.recipe.dataset)
    throw UsageError("--dataset '" + f.dataset + "': " + f.load + " was trained on '" +
                     plan.recipe.dataset + "'");
  if (flagged.epochs->count() > 0) {
    check_count("--epochs", f.epochs, 1, "must be at least 1");
    plan.config.num_epochs = static_cast<size_t>(f.epochs);
  }
  return plan;
}

std::string describe_net(const NetSpec& s) {
  std::string shape = std::to_string(s.input_dim);
  for (size_t h : s.hidden_dims) shape.append("-").append(std::to_string(h));
  shape.append("-").append(std::to_string(s.num_classes));
  std::string init = nets::init_name(s.init);
  if (s.init == nets::Init::kWeightScale) init += " " + number(s.weight_scale);
  return shape + ", init " + init + ", batchnorm " + (s.batchnorm ? "on" : "off") + ", dropout p " +
         number(s.dropout) + ", l2 " + number(s.l2) + ", seed " + std::to_string(s.seed);
}

std::string describe_solver(const SolverConfig& c, size_t batches) {
  const nets::UpdateConfig& u = c.update;
  std::string rule = nets::update_rule_name(u.rule) + ", lr " + number(u.learning_rate);
  switch (u.rule) {
    case nets::UpdateRule::kSgdMomentum:
    case nets::UpdateRule::kNesterov:
      rule += ", momentum " + number(u.momentum);
      break;
    case nets::UpdateRule::kRmsprop:
      rule += ", decay_rate " + number(u.decay_rate);
      break;
    case nets::UpdateRule::kAdam:
      rule += ", beta1 " + number(u.beta1) + ", beta2 " + number(u.beta2);
      break;
    case nets::UpdateRule::kSgd:
      break;
  }
  return rule + ", lr decay " + number(c.lr_decay) + " per epoch, batch " +
         std::to_string(c.batch_size) + " (" + std::to_string(batches) + " per epoch, " +
         (c.sample_with_replacement ? "sampled with replacement" : "shuffled") + "), " +
         std::to_string(c.num_epochs) + " epochs, seed " + std::to_string(c.seed);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The folder of each output file takes files and has room for them (a full
// disk is an error now, not after hours of training): at least `min_free`
// bytes, and never less than 64 MiB.
void check_output_room(const TrainFlags& f, uint64_t min_free) {
  for (const auto& [flag, path] : {std::pair{"--save", &f.save}, {"--save-state", &f.save_state}}) {
    if (path->empty()) continue;
    const std::filesystem::path p(*path);
    try {
      nets::check_writable_directory(p.has_parent_path() ? p.parent_path() : ".",
                                     std::max(min_free, uint64_t{64} << 20));
    } catch (const std::runtime_error& e) {
      throw UsageError(std::string(flag) + " " + *path + ": " + e.what());
    }
  }
}

// Bytes a training state of this net may take (parameters, the best ones,
// those training continues from, up to two update-rule arrays each), twice:
// the old file stays until its replacement is complete.
uint64_t state_bytes_bound(const nets::FullyConnectedNet& net) {
  uint64_t floats = 0;
  for (const nets::Parameter& p : net.parameters()) floats += p.value.rows() * p.value.cols();
  return 2 * 5 * sizeof(float) * floats;
}

// After a stop request: the state to resume from, the best model so far,
// everything flushed; 128 + the signal.
int finish_interrupted(const TrainFlags& f, const nets::Solver& solver,
                       const nets::DataRecipe& recipe, const std::string& why) {
  const nets::TrainingRecord& r = solver.record();
  const std::string state = f.save_state.empty() ? kInterruptedStatePath : f.save_state;
  std::fflush(stdout);
  std::fprintf(stderr, "interrupted by %s: %s\n", nets::signal_name(nets::interrupt_signal()),
               why.c_str());
  nets::save_training_state(state, solver, recipe);
  if (!f.save.empty() && r.epoch > 0) {
    nets::save_model(f.save, solver.net(), recipe);
    std::printf("saved:   %s (the parameters of epoch %zu, the best so far)\n", f.save.c_str(),
                r.best_epoch);
  }
  std::printf("state:   %s (step %llu: epoch %zu, %zu of %zu batches done)\n", state.c_str(),
              static_cast<unsigned long long>(r.iteration), r.epoch + 1, r.epoch_batches_done,
              solver.batches_per_epoch());
  std::printf("resume:  simdnet train --resume %s%s%s\n", state.c_str(),
              f.save.empty() ? "" : " --save ", f.save.c_str());
  std::fflush(stdout);
  return nets::interrupt_exit_code();
}

int run_train(TrainFlags f, const Flagged& flagged) {
  // 1. Every flag, and the output paths, before anything slow.
  if (!f.resume.empty()) {
    // --resume X: continue X and keep saving there.
    if (!f.load.empty() || !f.save_state.empty())
      throw UsageError("--resume " + f.resume +
                       " cannot be combined with --load or --save-state (it means both)");
    f.load = f.save_state = f.resume;
  }
  if (!f.load.empty()) check_readable_file(f.resume.empty() ? "--load" : "--resume", f.load);
  if (!f.save.empty()) check_writable_path("--save", f.save);
  if (!f.save_state.empty()) check_writable_path("--save-state", f.save_state);
  check_output_room(f, 0);
  if (!f.save.empty() && std::filesystem::path(f.save) == std::filesystem::path(f.save_state))
    throw UsageError("--save and --save-state name the same file, " + f.save);
  check_count("--threads", f.threads, 0, "must be >= 0 (0: $SIMDNET_THREADS or every core)");
  Plan plan = f.load.empty() ? plan_from_flags(f) : plan_from_state(f, flagged);

  kernels::set_thread_count(f.threads);
  // From here on a signal asks to stop (after the current step, in train()).
  nets::install_interrupt_handlers();

  // 2. The data.
  nets::DataOptions options = plan.recipe.options;
  options.data_dir = f.data_dir;
  options.fetch = !f.no_fetch;
  const auto load_start = std::chrono::steady_clock::now();
  const nets::DataSplits data = nets::load_dataset(plan.recipe.dataset, options);
  const double load_seconds = seconds_since(load_start);
  // Saved with the model: the unset optionals resolved to what was used.
  plan.recipe.options.val_size = data.val.size();
  plan.recipe.options.subtract_channel_mean = !data.channel_mean.empty();
  if (plan.config.batch_size > data.train.size())
    throw UsageError("--batch " + std::to_string(plan.config.batch_size) +
                     ": larger than the training set (" + std::to_string(data.train.size()) +
                     " examples of " + plan.recipe.dataset + " after --val-size/--train-subset)");

  // 3. Net and Solver (restored when resuming).
  plan.spec.input_dim = data.train.features();
  plan.spec.num_classes = static_cast<size_t>(data.train.num_classes);
  if (plan.resume && (plan.resume->spec.input_dim != plan.spec.input_dim ||
                      plan.resume->spec.num_classes != plan.spec.num_classes))
    throw std::runtime_error(f.load + ": its net takes " +
                             std::to_string(plan.resume->spec.input_dim) + " features, " +
                             plan.recipe.dataset + " has " + std::to_string(plan.spec.input_dim));
  nets::FullyConnectedNet net(plan.spec);
  nets::Solver solver(net, data.train, data.val, plan.config);
  if (plan.resume) nets::restore_training_state(*plan.resume, solver);
  check_output_room(f, state_bytes_bound(net));

  std::printf(
      "data:    %s, %zu train / %zu val / %zu test examples of %zu features (loaded in %.2fs)\n",
      data.name.c_str(), data.train.size(), data.val.size(), data.test.size(),
      data.train.features(), load_seconds);
  std::printf("net:     %s\n", describe_net(plan.spec).c_str());
  std::printf("solver:  %s\n", describe_solver(plan.config, solver.batches_per_epoch()).c_str());
  std::printf("threads: %d\n", kernels::thread_count());
  if (plan.resume) {
    const nets::TrainingRecord& r = solver.record();
    if (r.epoch_batches_done > 0)
      std::printf("resumed: %s in epoch %zu after batch %zu of %zu (step %llu)\n", f.load.c_str(),
                  r.epoch + 1, r.epoch_batches_done, solver.batches_per_epoch(),
                  static_cast<unsigned long long>(r.iteration));
    else
      std::printf("resumed: %s after epoch %zu (step %llu)\n", f.load.c_str(), r.epoch,
                  static_cast<unsigned long long>(r.iteration));
  }
  std::printf("\n");

  // 4. Training, one table row per epoch (and a live line on a terminal).
  EpochTable table(stdout, isatty(fileno(stdout)) == 1);
  table.header();
  for (const nets::EpochStats& e : solver.record().epochs) table.row(e);
  solver.set_progress_callback([&](const nets::Progress& p) {
    table.on_progress(p);
    // After every epoch, so an interrupted run can resume from the last one.
    if (p.epoch_done && !f.save_state.empty())
      nets::save_training_state(f.save_state, solver, plan.recipe);
  });
  solver.set_stop_request([] { return nets::interrupted(); });
  const nets::TrainOutcome outcome = solver.train();
  table.clear_live_line();
  std::printf("\n");
  // The state file keeps the last good epoch's state: a diverged run writes
  // nothing over it.
  if (outcome.diverged) std::fprintf(stderr, "%s\n", outcome.message.c_str());
  if (outcome.interrupted) return finish_interrupted(f, solver, plan.recipe, outcome.message);

  // 5. The best parameters: test accuracy, and saved.
  if (outcome.best_epoch > 0 && data.val.size() > 0)
    std::printf("best:    epoch %zu, val acc %.4f (its parameters are kept)\n", outcome.best_epoch,
                outcome.best_val_acc);
  if (data.test.size() > 0) {
    const double acc = solver.check_accuracy(data.test);
    std::printf("test accuracy: %.4f (%zu / %zu)\n", acc,
                static_cast<size_t>(std::llround(acc * static_cast<double>(data.test.size()))),
                data.test.size());
  }
  if (!f.save.empty()) {
    nets::save_model(f.save, net, plan.recipe);
    std::printf("saved:   %s (the parameters of epoch %zu)\n", f.save.c_str(), outcome.best_epoch);
  }
  if (!f.save_state.empty() && solver.record().epoch > 0)
    std::printf("state:   %s (after epoch %zu; resume with --load)\n", f.save_state.c_str(),
                solver.record().epoch);
  if (nets::interrupted()) return nets::interrupt_exit_code();  // a signal after the last step
  return outcome.diverged ? kExitFailure : 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  auto flagged = std::make_shared<Flagged>();
  TrainFlags& f = *flags;
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train a fully-connected net {affine - [batchnorm] - relu - [dropout]} x L - affine - "
      "softmax; print a table per epoch, then the test accuracy of the best parameters "
      "(by validation accuracy)");
  cmd->option_defaults()->always_capture_default();
  auto fixed = [&](CLI::Option* o) {
    flagged->fixed_by_state.push_back(o);
    return o;
  };

  // Data.
  flagged->dataset = cmd->add_option(
      "--dataset", f.dataset,
      "Data set: " + one_of(nets::dataset_names()) + " (fetched and cached on first use)");
  cmd->add_option("--data-dir", f.data_dir, "Where data sets are kept")
      ->default_str("$SIMDNET_DATA_DIR, else <repo>/data");
  cmd->add_flag("--no-fetch", f.no_fetch,
                "Fail instead of downloading missing data (default: off)");
  flagged->val_size = fixed(
      cmd->add_option("--val-size", f.val_size,
                      "Validation examples, taken from the end of the official training set"));
  flagged->val_size->default_str("5000 for mnist and fashion-mnist, 1000 for cifar10");
  fixed(cmd->add_option("--train-subset", f.train_subset,
                        "Train on the first K training examples only (0: all)"));
  fixed(cmd->add_flag("--standardize", f.standardize,
                      "Per-feature standardization (x - mean) / std, statistics from the "
                      "training split (default: off)"));
  fixed(cmd->add_flag(
      "--cs231n-test-subset", f.cs231n_test_subset,
      "Test on the first 1000 test examples (CS231n's CIFAR-10 subset) (default: off)"));

  // Net.
  fixed(cmd->add_option("--hidden", f.hidden,
                        "Hidden layer widths, comma-separated: 512, or 100,100,100"));
  fixed(cmd->add_flag("--batchnorm", f.batchnorm,
                      "Batch normalization after each hidden affine (default: off)"));
  fixed(cmd->add_option("--dropout", f.dropout,
                        "Dropout DROP probability p in [0, 1) after each hidden ReLU (0: none)"));
  fixed(
      cmd->add_option("--l2", f.l2, "L2 regularization strength: loss += 0.5 * l2 * sum ||W||^2"));
  fixed(cmd->add_option("--init", f.init,
                        "Weight initialization: he (N(0, 2/fan_in)), xavier (N(0, 1/fan_in)) or "
                        "weight_scale (weight_scale * N(0, 1), CS231n)"));
  fixed(cmd->add_option("--weight-scale", f.weight_scale,
                        "Standard deviation for --init weight_scale"));

  // Solver.
  fixed(cmd->add_option("--update", f.update, "Update rule: " + one_of(nets::update_rule_names())));
  fixed(cmd->add_option("--lr", f.lr, "Learning rate, > 0"));
  fixed(cmd->add_option("--momentum", f.momentum,
                        "Momentum of sgd_momentum and nesterov, in [0, 1)"));
  fixed(cmd->add_option("--decay-rate", f.decay_rate, "rmsprop's decay rate, in [0, 1)"));
  fixed(cmd->add_option("--beta1", f.beta1, "adam's beta1, in [0, 1)"));
  fixed(cmd->add_option("--beta2", f.beta2, "adam's beta2, in [0, 1)"));
  fixed(cmd->add_option("--epsilon", f.epsilon, "rmsprop's and adam's epsilon, > 0"));
  fixed(cmd->add_option("--lr-decay", f.lr_decay, "After each epoch: lr *= lr-decay, in (0, 1]"));
  fixed(cmd->add_option("--batch", f.batch, "Minibatch size, 1 to the training set's size"));
  flagged->epochs = cmd->add_option("--epochs", f.epochs,
                                    "Epochs (with --load: the total to reach; default: as saved)");
  fixed(cmd->add_flag("--sample-with-replacement", f.sample_with_replacement,
                      "CS231n's sampling: each batch drawn at random with replacement, "
                      "max(N / batch, 1) batches per epoch; off: each epoch one pass over every "
                      "example, reshuffled (default: off)"));
  fixed(cmd->add_option("--train-acc-samples", f.train_acc_samples,
                        "Train accuracy after each epoch on this many random training examples "
                        "(0: all)"));

  // Run.
  cmd->add_option("--threads", f.threads, "Worker threads (0: $SIMDNET_THREADS, else every core)");
  fixed(cmd->add_option("--seed", f.seed,
                        "Seed of initialization, dropout masks and minibatch order"));
  cmd->add_option("--save", f.save,
                  "Save the best parameters (with the net's spec) as a NumPy .npz model")
      ->default_str("none");
  cmd->add_option("--save-state", f.save_state,
                  "Save the full training state (.npz) after every epoch and when interrupted "
                  "(SIGINT/SIGTERM: after the current step, exit 130/143), to resume with "
                  "--load or --resume")
      ->default_str("none; interrupted: " + std::string(kInterruptedStatePath));
  cmd->add_option("--load", f.load,
                  "Resume the training state saved with --save-state (its net, solver and data "
                  "settings are kept)")
      ->default_str("none");
  cmd->add_option("--resume", f.resume,
                  "Resume a training state and keep saving it there: --load X --save-state X. "
                  "Continues mid-epoch where an interrupt stopped it; the final parameters are "
                  "the same, bit for bit, as an uninterrupted run's")
      ->default_str("none");

  return [flags, flagged] { return run_train(*flags, *flagged); };
}

}  // namespace simdnet::cli
