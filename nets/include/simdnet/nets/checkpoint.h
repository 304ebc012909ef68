// Models and training states as NumPy .npz files (npz.h), readable in Python:
//
//   f = np.load("model.npz")
//   W1, b1 = f["W1"], f["b1"]            # (784, 512) float32, (512,) float32
//   str(f["spec/init"]), f["spec/hidden_dims"]      # 'he', array([512])
//
// A model file (save_model) holds
//   W1, b1, gamma1, beta1, ..., WL, bL    the parameters (W 2-D; the others 1-D,
//                                        as CS231n's b1, gamma1)
//   running_mean1, running_var1, ...     batchnorm running statistics (1-D)
//   spec/input_dim, spec/hidden_dims, spec/num_classes, spec/batchnorm,
//   spec/dropout, spec/l2, spec/init, spec/weight_scale, spec/seed
//                                        the NetSpec, enough to rebuild the net
//   data/dataset, data/val_size, data/subtract_channel_mean, data/standardize,
//   data/train_subset, data/cs231n_test_subset
//                                        how the inputs were prepared (when known),
//                                        so evaluation prepares test data alike
//   simdnet/format = 'model', simdnet/version = 1
//
// A training-state file (save_training_state) holds all that (W1... being the
// parameters training continues from), simdnet/format = 'training-state', and
//   solver/update_rule, solver/learning_rate, solver/momentum, solver/decay_rate,
//   solver/beta1, solver/beta2, solver/epsilon, solver/lr_decay,
//   solver/batch_size, solver/num_epochs, solver/seed,
//   solver/sample_with_replacement, solver/num_train_samples,
//   solver/num_val_samples               the SolverConfig
//   velocity/W1 | cache/W1 | adam_m/W1, adam_v/W1, ...
//                                        the update rule's state per parameter
//   state/epoch, state/iteration          the counters that key every random
//                                        stream (shuffle: (seed, epoch);
//                                        sampling and dropout: iteration)
//   state/learning_rate, state/adam_t     the decayed rate, Adam's step count
//   state/epoch_batches_done, state/epoch_loss_sum, state/epoch_samples,
//   state/epoch_seconds                  where a stop request left the current
//                                        epoch (all 0 at an epoch boundary;
//                                        absent from older files, read as 0)
//   state/best_epoch, state/best_val_acc, best/W1, ..., best/running_mean1, ...
//   history/loss (per step), history/epoch_loss, history/train_acc,
//   history/val_acc, history/seconds, history/samples_per_second,
//   history/learning_rate (per epoch)
//
// Integers are int64 (seeds hold the uint64's bits), flags int64 0/1, real
// settings float64, words 0-d strings. Readers check the format, every name
// (none missing, none unexpected), dtype and shape, and throw
// std::runtime_error naming the file and the array.
#pragma once

#include <filesystem>
#include <string>

#include "simdnet/nets/data.h"
#include "simdnet/nets/network.h"
#include "simdnet/nets/npz.h"
#include "simdnet/nets/solver.h"

namespace simdnet::nets {

// How a model's inputs were prepared (DataOptions' preprocessing fields; its
// unset optionals are saved resolved to the data set's defaults).
struct DataRecipe {
  std::string dataset;  // empty: not recorded
  DataOptions options;  // data_dir and fetch are not saved
};

// "he", "xavier", "weight_scale".
std::string init_name(Init init);
std::optional<Init> parse_init(std::string_view name);

// --- models: parameters, buffers, spec --------------------------------------
// Both savers replace `path` atomically (files.h: temporary, fsync, rename).
void save_model(const std::filesystem::path& path, const FullyConnectedNet& net,
                const DataRecipe& data = {});

struct LoadedModel {
  FullyConnectedNet net;
  DataRecipe data;  // dataset empty when the file records none
};
// Rebuilds the net from spec/* and loads its parameters and buffers. Accepts
// model files only (a training state says so and points to train --load).
LoadedModel load_model(const std::filesystem::path& path);

// --- training states ----------------------------------------------------------
void save_training_state(const std::filesystem::path& path, const Solver& solver,
                         const DataRecipe& data = {});

// The settings of a saved training state, read and checked first, so that the
// caller can load the data and build the net and Solver they describe.
struct SavedTraining {
  NetSpec spec;
  SolverConfig config;
  DataRecipe data;
  npz::NpzFile file;
};
SavedTraining read_training_state(const std::filesystem::path& path);

// Puts the saved parameters, buffers, update-rule state and TrainingRecord
// into `solver` (built on FullyConnectedNet(saved.spec) with saved.config, or
// a config differing only in num_epochs). Afterwards solver.train() continues
// exactly as the saved run would have.
void restore_training_state(const SavedTraining& saved, Solver& solver);

}  // namespace simdnet::nets
