// The training loop, after CS231n's Solver: minibatch steps with an update
// rule, per-epoch learning-rate decay, train and validation accuracy after
// each epoch, the best parameters by validation accuracy kept and restored at
// the end, histories, and a progress callback.
//
//   nets::FullyConnectedNet net(spec);
//   nets::Solver solver(net, data.train, data.val, {.update = {.rule = nets::UpdateRule::kAdam,
//                                                             .learning_rate = 1e-3f},
//                                                  .batch_size = 128, .num_epochs = 10});
//   nets::TrainOutcome outcome = solver.train();
//
// Minibatches. Default: each epoch visits every training example once, in the
// order of a random permutation keyed by (seed, epoch) — Philox, so a run
// replays exactly whatever the thread count — in ceil(N / batch) batches, the
// last one smaller when batch does not divide N. With
// sample_with_replacement (CS231n's Solver): max(N / batch, 1) batches per
// epoch, each of `batch` examples drawn uniformly with replacement, keyed by
// (seed, iteration).
//
// Reproducibility: every random choice is a pure function of the seeds and the
// counters (epoch, iteration) saved in checkpoints, so a run resumed from a
// checkpoint continues exactly as the uninterrupted run would have.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "simdnet/kernels/matrix.h"
#include "simdnet/nets/data.h"
#include "simdnet/nets/network.h"
#include "simdnet/nets/streams.h"
#include "simdnet/nets/update_rule.h"

namespace simdnet::nets {

struct SolverConfig {
  UpdateConfig update;
  float lr_decay = 1.0f;    // after each epoch: learning_rate *= lr_decay; in (0, 1]
  size_t batch_size = 100;  // CS231n's default
  size_t num_epochs = 10;   // train() runs until this many epochs are done
  uint64_t seed = 0;        // keys shuffling, sampling and the train-accuracy subsample
  bool sample_with_replacement = false;
  size_t num_train_samples = 1000;  // train accuracy on this many random training examples
                                    // (drawn with replacement, as CS231n); 0 or >= N: all
  size_t num_val_samples = 0;       // validation accuracy on the first K; 0: all
};

// Throws std::invalid_argument naming the field unless usable with a training
// set of `train_size` examples: batch_size in [1, train_size], num_epochs >= 1,
// lr_decay in (0, 1], and the update config (check_update_config).
void check_solver_config(const SolverConfig& config, size_t train_size);

// What one epoch did.
struct EpochStats {
  size_t epoch = 0;               // 1-based
  double loss = 0;                // mean minibatch loss over the epoch
  double train_acc = 0;           // on the training subsample
  double val_acc = 0;             // NaN when there is no validation set
  double seconds = 0;             // training time: forward, backward, update (no accuracy checks)
  double samples_per_second = 0;  // training examples stepped through per second
  float learning_rate = 0;        // the rate this epoch's steps used
};

// Reported after every step, and once more at each epoch's end.
struct Progress {
  size_t epoch = 0;  // the epoch being trained, 1-based
  size_t num_epochs = 0;
  size_t batch = 0;  // batches done in this epoch
  size_t batches_per_epoch = 0;
  double loss = 0;                         // mean loss of this epoch's batches so far
  double samples_per_second = 0;           // this epoch so far
  double eta_seconds = 0;                  // until this epoch's last step
  const EpochStats* epoch_done = nullptr;  // set at the epoch's end, after the accuracy checks
};
using ProgressCallback = std::function<void(const Progress&)>;

// How train() ended.
struct TrainOutcome {
  bool diverged = false;     // a loss or gradient was NaN or infinite: training stopped there
  bool interrupted = false;  // the stop request (set_stop_request) said stop
  std::string message;       // why it stopped, when diverged or interrupted
  size_t epochs_done = 0;
  size_t best_epoch = 0;  // whose parameters the net holds now (0: the initial ones)
  double best_val_acc = 0;
};

// Everything train() accumulates; checkpoints save and restore it.
struct TrainingRecord {
  size_t epoch = 0;                 // epochs completed
  uint64_t iteration = 0;           // steps taken (keys dropout masks and sampling)
  // Inside epoch `epoch + 1` when a stop request ended train() mid-epoch:
  // its batches done so far, and the sums its EpochStats are made of, so
  // that the resumed epoch ends exactly as an uninterrupted one. All 0 at an
  // epoch boundary.
  size_t epoch_batches_done = 0;
  double epoch_loss_sum = 0;  // sum of those batches' losses, added in order
  size_t epoch_samples = 0;   // training examples stepped through
  double epoch_seconds = 0;   // their training time
  std::vector<float> loss_history;  // one per step
  std::vector<EpochStats> epochs;   // one per completed epoch
  // The best parameters and buffers (batchnorm running statistics) so far, in
  // the net's order: those of the epoch with the highest validation accuracy
  // (the first such epoch on ties, like CS231n), or of the latest epoch when
  // there is no validation set. Before the first epoch: the initial ones.
  size_t best_epoch = 0;
  double best_val_acc = -1;  // NaN once an epoch is kept without a validation set
  std::vector<kernels::Matrix> best_parameters;
  std::vector<kernels::Matrix> best_buffers;
  // When train() returns, the net holds the best parameters; those training
  // continues from (the last step's) wait here, and the next train() puts
  // them back first — so train() then train() again with more epochs ends
  // exactly where one longer train() ends, and a checkpoint saves these.
  bool net_holds_best = false;
  std::vector<kernels::Matrix> last_parameters;
  std::vector<kernels::Matrix> last_buffers;
};

class Solver {
 public:
  // The net, train and val must outlive the Solver. Checks the config
  // (check_solver_config) and allocates everything the loop needs: minibatch
  // buffers, the permutation, the update rule's state.
  Solver(FullyConnectedNet& net, const Dataset& train, const Dataset& val,
         const SolverConfig& config);

  // Called after every step and at every epoch's end, from train()'s thread.
  void set_progress_callback(ProgressCallback callback) { progress_ = std::move(callback); }

  // Asked after every step (and once when train() starts): when it returns
  // true, train() returns after that step with TrainOutcome::interrupted, the
  // record holding the position inside the epoch (epoch_batches_done and the
  // epoch's partial sums). A checkpoint saved then and restored resumes
  // byte-identically. E.g. [] { return nets::interrupted(); } (interrupt.h).
  void set_stop_request(std::function<bool()> should_stop) { stop_ = std::move(should_stop); }

  // Trains from record().epoch up to config().num_epochs (from the last
  // step's parameters, see TrainingRecord::net_holds_best), then puts the
  // best parameters into the net. A NaN or infinite loss stops training before
  // that step's update (TrainOutcome::diverged, with a message naming the
  // step and the last good epoch); the best parameters are restored then too.
  // So does a NaN or infinite gradient, caught in the parameters it reaches
  // within kParameterCheckInterval steps and always before the epoch ends (a
  // message naming the steps, the parameter and its layer; that epoch is not
  // kept, the last good one's parameters are restored). A stop request ends
  // training after the current step (TrainOutcome::interrupted), the best
  // parameters in the net, the last ones in the record, as at the end.
  TrainOutcome train();
  // Steps between train()'s checks of the parameters for NaN/Inf.
  static constexpr uint64_t kParameterCheckInterval = 32;

  // Fraction of `data` the net classifies right, in test mode: all of it, or
  // `num_samples` examples drawn with replacement (keyed by seed, stream)
  // when 0 < num_samples < size.
  double check_accuracy(const Dataset& data, size_t num_samples = 0, uint64_t stream = 0);

  // Batches per epoch for this training set and config.
  size_t batches_per_epoch() const;

  FullyConnectedNet& net() { return net_; }
  const FullyConnectedNet& net() const { return net_; }
  const SolverConfig& config() const { return config_; }
  // Raising num_epochs lets a finished (or resumed) run train further.
  void set_num_epochs(size_t num_epochs);
  Optimizer& optimizer() { return optimizer_; }
  const Optimizer& optimizer() const { return optimizer_; }
  TrainingRecord& record() { return record_; }
  const TrainingRecord& record() const { return record_; }

 private:
  size_t fill_batch(size_t batch_in_epoch);
  double accuracy_of(kernels::ConstMatrixView x, const int32_t* labels);
  double validation_accuracy();
  void keep_best();
  void restore_best();
  void keep_last();
  void restore_last();
  std::string stop_message(const char* why, size_t epoch, size_t batch, size_t batches) const;
  std::string nonfinite_gradient_message(const std::string& where, uint64_t first_step,
                                         size_t epoch) const;


  FullyConnectedNet& net_;
  const Dataset& train_;
  const Dataset& val_;
  SolverConfig config_;
  Optimizer optimizer_;
  TrainingRecord record_;
  ProgressCallback progress_;
  std::function<bool()> stop_;

  // Preallocated for the loop: one minibatch, the epoch's permutation.
  kernels::Matrix batch_x_;
  std::vector<int32_t> batch_y_;
  std::vector<uint32_t> order_;
  // For check_accuracy: a gathered subsample and the predictions.
  kernels::Matrix sample_x_;
  std::vector<int32_t> sample_y_;
  std::vector<int32_t> predictions_;
};

// A permutation of [0, n) keyed by (seed, stream): Fisher-Yates, each swap
// index drawn from 64 bits of the stream (bias below n / 2^64). `out` is
// resized to n (no allocation when it already has n elements).
void random_permutation(uint64_t seed, uint64_t stream, size_t n, std::vector<uint32_t>& out);

// A uniform integer in [0, n) from 64 random bits: (bits * n) >> 64.
inline uint64_t uniform_below(uint64_t bits, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(bits) * n) >> 64);
}

}  // namespace simdnet::nets
