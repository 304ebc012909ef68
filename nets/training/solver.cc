// The Solver's loop. Per step: gather a minibatch into preallocated buffers,
// loss and gradients (the net), one update (the Optimizer). Per epoch: decay
// the learning rate, check train and val accuracy, keep the best parameters.
#include "simdnet/nets/solver.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "random_index.h"
#include "simdnet/kernels/parallel.h"

namespace simdnet::nets {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void copy_matrix(const kernels::Matrix& from, kernels::Matrix& to) {
  if (to.rows() != from.rows() || to.cols() != from.cols() || to.stride() != from.stride())
    to = kernels::Matrix(from.rows(), from.cols(), from.stride());
  std::copy_n(from.data(), from.rows() * from.stride(), to.data());
}

// params[i] = the net's parameter i, buffers[i] = its buffer i (a snapshot;
// matrices of the right shape are reused, not reallocated).
void copy_from_net(const FullyConnectedNet& net, std::vector<kernels::Matrix>& params,
                   std::vector<kernels::Matrix>& buffers) {
  params.resize(net.parameters().size());
  buffers.resize(net.buffers().size());
  for (size_t i = 0; i < params.size(); ++i) copy_matrix(net.parameters()[i].value, params[i]);
  for (size_t i = 0; i < buffers.size(); ++i) copy_matrix(net.buffers()[i].value, buffers[i]);
}

// The inverse: a snapshot of copy_from_net (`which` names it in the error)
// back into the net.
void copy_into_net(const std::vector<kernels::Matrix>& params,
                   const std::vector<kernels::Matrix>& buffers, const char* which,
                   FullyConnectedNet& net) {
  if (params.size() != net.parameters().size() || buffers.size() != net.buffers().size())
    throw std::logic_error(std::string("solver: the ") + which +
                           " parameters do not match the net");
  for (size_t i = 0; i < params.size(); ++i) copy_matrix(params[i], net.parameters()[i].value);
  for (size_t i = 0; i < buffers.size(); ++i) copy_matrix(buffers[i], net.buffers()[i].value);
}

void copy_row(const kernels::Matrix& from, size_t from_row, kernels::Matrix& to, size_t to_row) {
  std::memcpy(to.data() + to_row * to.stride(), from.data() + from_row * from.stride(),
              from.cols() * sizeof(float));
}

std::string format_accuracy(double acc) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", acc);
  return buf;
}

// Whether a row holds a NaN or an infinity, branch-free so that it vectorizes:
// a float is non-finite iff its 8 exponent bits are all ones, and then adding
// 1 to the exponent field carries into bit 31:
//   ((bits & 0x7f800000) + 0x00800000) & 0x80000000.
// A pass over every parameter is memory-bound (MNIST 784-512-10: 1.6 MB,
// ~60 us, 2.5% of a step), so train() makes one every kParameterCheckInterval
// steps, and big matrices are split over the kernels' threads
// (has_nonfinite(Matrix)). (No target_clones for AVX-512 here: its ifunc
// resolver runs before the sanitizers' runtimes start, and crashes them.)
bool has_nonfinite(const float* row, size_t n) {
  uint32_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, row + i, sizeof bits);
    bad |= ((bits & 0x7f800000u) + 0x00800000u) & 0x80000000u;
  }
  return bad != 0;
}

// The first non-finite element of m, as "NaN at (i, j)", or "" when none.
std::string first_nonfinite(const kernels::Matrix& m) {
  for (size_t i = 0; i < m.rows(); ++i) {
    const float* row = m.data() + i * m.stride();
    if (!has_nonfinite(row, m.cols())) continue;
    for (size_t j = 0; j < m.cols(); ++j)
      if (!std::isfinite(row[j]))
        return std::string(std::isnan(row[j]) ? "NaN" : row[j] > 0 ? "+Inf" : "-Inf") +
               " at (" + std::to_string(i) + ", " + std::to_string(j) + ")";
  }
  return {};
}

// "affine layer 2 (the output layer)", "batchnorm 1" for a parameter's name
// (W2, b2, gamma1, beta1: network.h).
std::string layer_of(const std::string& name, size_t num_layers) {
  const size_t digits = name.find_first_of("0123456789");
  const std::string kind = name.substr(0, digits);
  const std::string index = digits == std::string::npos ? "?" : name.substr(digits);
  if (kind == "gamma" || kind == "beta") return "batchnorm " + index;
  std::string layer = "affine layer " + index;
  if (index == std::to_string(num_layers)) layer += " (the output layer)";
  return layer;
}

// Whether some row of m holds a NaN or infinity; big matrices in blocks of
// ~64K elements on the kernels' threads (an OR needs no fixed order).
bool has_nonfinite(const kernels::Matrix& m) {
  const size_t rows_per_block = kernels::rows_per_block(m.cols(), size_t{1} << 16);
  const size_t blocks = kernels::block_count(m.rows(), rows_per_block);
  std::atomic<bool> bad{false};
  kernels::parallel_for(blocks, [&](size_t b) {
    const size_t end = std::min(m.rows(), (b + 1) * rows_per_block);
    for (size_t i = b * rows_per_block; i < end; ++i)
      if (has_nonfinite(m.data() + i * m.stride(), m.cols())) {
        bad.store(true, std::memory_order_relaxed);
        return;
      }
  });
  return bad.load(std::memory_order_relaxed);
}

// The first parameter whose gradient (or, with `values`, whose value) holds
// a NaN or infinity: "the gradient of W2 (affine layer 2 ...): NaN at (3, 7)";
// "" when all are finite.
std::string nonfinite_parameter(const FullyConnectedNet& net, bool values) {
  const size_t layers = net.spec().hidden_dims.size() + 1;
  for (const Parameter& p : net.parameters()) {
    const kernels::Matrix& m = values ? p.value : p.grad;
    if (has_nonfinite(m))
      return std::string(values ? "the parameter " : "the gradient of ") + p.name + " (" +
             layer_of(p.name, layers) + "): " + first_nonfinite(m);
  }
  return {};
}

// "step 12 (epoch 2, batch 3 of 430)".
std::string step_position(uint64_t step, size_t epoch, size_t batch, size_t batches) {
  return "step " + std::to_string(step) + " (epoch " + std::to_string(epoch) + ", batch " +
         std::to_string(batch) + " of " + std::to_string(batches) + ")";
}

}  // namespace

void check_solver_config(const SolverConfig& c, size_t train_size) {
  check_update_config(c.update);
  if (c.batch_size == 0 || c.batch_size > train_size)
    throw std::invalid_argument("solver: batch_size = " + std::to_string(c.batch_size) +
                                "; expected 1 to the training set's size, " +
                                std::to_string(train_size));
  if (c.num_epochs == 0) throw std::invalid_argument("solver: num_epochs = 0; expected >= 1");
  if (!(c.lr_decay > 0 && c.lr_decay <= 1))
    throw std::invalid_argument("solver: lr_decay = " + std::to_string(c.lr_decay) +
                                "; expected a value in (0, 1]");
}

Solver::Solver(FullyConnectedNet& net, const Dataset& train, const Dataset& val,
               const SolverConfig& config)
    : net_(net),
      train_(train),
      val_(val),
      config_(config),
      optimizer_(config.update, net.parameters()) {
  check_solver_config(config_, train_.size());
  const size_t d = net_.spec().input_dim;
  if (train_.features() != d || (val_.size() > 0 && val_.features() != d))
    throw std::invalid_argument("solver: the net takes " + std::to_string(d) +
                                " features; train has " + std::to_string(train_.features()) +
                                ", val " + std::to_string(val_.features()));
  batch_x_ = kernels::Matrix(config_.batch_size, d);
  batch_y_.resize(config_.batch_size);
  order_.resize(train_.size());
  const size_t subsample = std::min(config_.num_train_samples, train_.size());
  sample_x_ = kernels::Matrix(subsample, d);
  sample_y_.resize(subsample);
  predictions_.resize(std::max(subsample, val_.size()));
  // Before the first epoch, the best parameters are the initial ones.
  keep_best();
}

size_t Solver::batches_per_epoch() const {
  const size_t n = train_.size(), b = config_.batch_size;
  return config_.sample_with_replacement ? std::max<size_t>(n / b, 1) : (n + b - 1) / b;
}

void Solver::set_num_epochs(size_t num_epochs) {
  if (num_epochs == 0) throw std::invalid_argument("solver: num_epochs = 0; expected >= 1");
  config_.num_epochs = num_epochs;
}

// Gathers batch `b` of the current epoch into batch_x_/batch_y_; returns its
// number of rows.
size_t Solver::fill_batch(size_t b) {
  const size_t n = train_.size(), size = config_.batch_size;
  if (config_.sample_with_replacement) {
    // Draw j = iteration * batch + k of the sampling stream picks row k.
    const uint64_t first = record_.iteration * size;
    for (size_t k = 0; k < size; ++k) {
      const size_t i =
          uniform_below(random64(config_.seed, streams::kSampleWithReplacement, first + k), n);
      copy_row(train_.x, i, batch_x_, k);
      batch_y_[k] = train_.y[i];
    }
    return size;
  }
  const size_t begin = b * size, rows = std::min(size, n - begin);
  for (size_t k = 0; k < rows; ++k) {
    const size_t i = order_[begin + k];
    copy_row(train_.x, i, batch_x_, k);
    batch_y_[k] = train_.y[i];
  }
  return rows;
}

double Solver::check_accuracy(const Dataset& data, size_t num_samples, uint64_t stream) {
  const size_t n = data.size();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  kernels::ConstMatrixView x = data.x.view();
  const int32_t* labels = data.y.data();
  size_t rows = n;
  if (num_samples > 0 && num_samples < n) {
    // CS231n: np.random.choice(N, num_samples), i.e. with replacement.
    if (sample_x_.rows() < num_samples || sample_x_.cols() != data.features()) {
      sample_x_ = kernels::Matrix(num_samples, data.features());
      sample_y_.resize(num_samples);
    }
    for (size_t k = 0; k < num_samples; ++k) {
      const size_t i = uniform_below(random64(config_.seed, stream, k), n);
      copy_row(data.x, i, sample_x_, k);
      sample_y_[k] = data.y[i];
    }
    x = sample_x_.view();
    labels = sample_y_.data();
    rows = num_samples;
  }
  return accuracy_of(x.rows_from(0, rows), labels);
}

double Solver::accuracy_of(kernels::ConstMatrixView x, const int32_t* labels) {
  if (predictions_.size() < x.rows) predictions_.resize(x.rows);
  net_.predict(x, std::span<int32_t>(predictions_.data(), x.rows));
  size_t right = 0;
  for (size_t i = 0; i < x.rows; ++i) right += predictions_[i] == labels[i];
  return static_cast<double>(right) / static_cast<double>(x.rows);
}

double Solver::validation_accuracy() {
  if (val_.size() == 0) return std::numeric_limits<double>::quiet_NaN();
  const size_t k = config_.num_val_samples;
  // All of val, or its first num_val_samples examples.
  const size_t rows = k > 0 && k < val_.size() ? k : val_.size();
  return accuracy_of(val_.x.view().rows_from(0, rows), val_.y.data());
}

void Solver::keep_best() { copy_from_net(net_, record_.best_parameters, record_.best_buffers); }
void Solver::keep_last() { copy_from_net(net_, record_.last_parameters, record_.last_buffers); }
void Solver::restore_best() {
  copy_into_net(record_.best_parameters, record_.best_buffers, "best", net_);
}
void Solver::restore_last() {
  copy_into_net(record_.last_parameters, record_.last_buffers, "last", net_);
}

std::string Solver::nonfinite_gradient_message(const std::string& where,
                                               uint64_t first_step, size_t epoch) const {
  // record_.iteration steps are done: the bad one is among the last few.
  const uint64_t last_step = record_.iteration - 1;
  const std::string steps = first_step == last_step
                                ? "step " + std::to_string(last_step)
                                : "one of steps " + std::to_string(first_step) + " to " +
                                      std::to_string(last_step);
  return "training stopped: a NaN or infinite gradient reached " + where + ", in " + steps +
         " (epoch " + std::to_string(epoch) + "; the loss stayed finite). Last good epoch: " +
         (record_.epoch == 0 ? std::string("none (it diverged in the first epoch)")
                             : std::to_string(record_.epoch)) +
         ". The net holds the best parameters, " +
         (record_.best_epoch == 0 ? std::string("the initial ones")
                                  : "from epoch " + std::to_string(record_.best_epoch)) +
         ". Try a smaller learning rate.";
}

std::string Solver::stop_message(const char* why, size_t epoch, size_t batch,
                                 size_t batches) const {
  return std::string("training stopped: ") + why + " at " +
         step_position(record_.iteration, epoch, batch, batches) +
         ", before that step's update. Last good epoch: " +
         (record_.epoch == 0 ? std::string("none (it diverged in the first epoch)")
                             : std::to_string(record_.epoch)) +
         ". The net holds the best parameters, " +
         (record_.best_epoch == 0
              ? std::string("the initial ones")
              : "from epoch " + std::to_string(record_.best_epoch) +
                    (val_.size() > 0 ? " (val acc " + format_accuracy(record_.best_val_acc) + ")"
                                     : std::string())) +
         ". Try a smaller learning rate.";
}

TrainOutcome Solver::train() {
  const size_t batches = batches_per_epoch();
  const size_t epochs_left =
      config_.num_epochs > record_.epoch ? config_.num_epochs - record_.epoch : 0;
  // The per-step history grows without allocating inside the loop.
  record_.loss_history.reserve(record_.loss_history.size() + epochs_left * batches);
  record_.epochs.reserve(config_.num_epochs);
  if (record_.epoch_batches_done > batches)
    throw std::logic_error("solver: the record is " + std::to_string(record_.epoch_batches_done) +
                           " batches into an epoch of " + std::to_string(batches));

  if (record_.net_holds_best) {
    restore_last();
    record_.net_holds_best = false;
  }
  TrainOutcome outcome;
  Progress progress;
  progress.num_epochs = config_.num_epochs;
  progress.batches_per_epoch = batches;
  auto stop_requested = [this] { return stop_ && stop_(); };
  auto stopped_by_request = [&](size_t epoch, size_t batches_done) {
    outcome.interrupted = true;
    outcome.message = "training stopped on request after " +
                      std::to_string(record_.iteration) + " steps (epoch " +
                      std::to_string(epoch) + ", " + std::to_string(batches_done) + " of " +
                      std::to_string(batches) + " batches done)";
  };
  // Steps before this one left every parameter finite.
  uint64_t checked_iteration = record_.iteration;
  if (epochs_left > 0 && stop_requested())
    stopped_by_request(record_.epoch + 1, record_.epoch_batches_done);

  while (!outcome.interrupted && record_.epoch < config_.num_epochs) {
    const size_t epoch = record_.epoch + 1;
    if (!config_.sample_with_replacement)
      random_permutation(config_.seed, streams::shuffle(epoch), train_.size(), order_);

    const float learning_rate = optimizer_.learning_rate();
    // From the epoch's start, or from where a stop request left it: the same
    // sums, added in the same order, as one uninterrupted pass.
    double loss_sum = record_.epoch_loss_sum;
    size_t samples = record_.epoch_samples;
    const double seconds_before = record_.epoch_seconds;
    const size_t first_batch = record_.epoch_batches_done;
    size_t batches_done = first_batch;
    const Clock::time_point start = Clock::now();
    progress.epoch = epoch;
    progress.epoch_done = nullptr;
    for (size_t b = first_batch; b < batches; ++b) {
      const size_t rows = fill_batch(b);
      const float loss = net_.loss_and_gradients(batch_x_.view().rows_from(0, rows),
                                                 std::span<const int32_t>(batch_y_.data(), rows),
                                                 record_.iteration);
      if (!std::isfinite(loss)) {
        // Name the layer where it shows: a bad parameter, else a bad
        // gradient, else the loss itself.
        std::string where = nonfinite_parameter(net_, true);
        if (where.empty()) where = nonfinite_parameter(net_, false);
        if (where.empty()) where = "the softmax loss (every parameter and gradient is finite)";
        outcome.diverged = true;
        outcome.message = stop_message(
            (std::string("the loss is ") + (std::isnan(loss) ? "NaN" : "infinite") + ", in " +
             where)
                .c_str(),
            epoch, b + 1, batches);
        break;
      }
      optimizer_.step(net_.parameters());
      record_.loss_history.push_back(loss);
      ++record_.iteration;
      loss_sum += loss;
      samples += rows;
      batches_done = b + 1;
      const double elapsed = seconds_before + seconds_since(start);
      if (progress_) {
        progress.batch = b + 1;
        progress.loss = loss_sum / static_cast<double>(b + 1);
        progress.samples_per_second = elapsed > 0 ? static_cast<double>(samples) / elapsed : 0;
        progress.eta_seconds =
            elapsed / static_cast<double>(b + 1) * static_cast<double>(batches - b - 1);
        progress_(progress);
      }
      const bool stop = stop_requested();
      // A finite loss can come with an overflowed gradient, which the update
      // carries into the parameters, where it stays: NaN - x is NaN, Inf - x
      // is Inf or NaN, for every update rule. So the parameters are checked
      // every kParameterCheckInterval steps, at each epoch's end and before a
      // stop: a non-finite gradient is caught a few steps late, but before
      // any epoch (and so any checkpoint) keeps it. Checking every gradient
      // at every step would cost ~5% of an MNIST step (a pass over cold
      // memory); this costs ~0.2%.
      if (stop || b + 1 == batches ||
          record_.iteration - checked_iteration >= kParameterCheckInterval) {
        if (std::string bad = nonfinite_parameter(net_, true); !bad.empty()) {
          outcome.diverged = true;
          outcome.message = nonfinite_gradient_message(bad, checked_iteration, epoch);
          break;
        }
        checked_iteration = record_.iteration;
      }
      if (stop) {
        stopped_by_request(epoch, batches_done);
        break;
      }
    }
    if (outcome.diverged || outcome.interrupted) {
      // The position after the last step taken, so that the record matches
      // the parameters (and a checkpoint of a stop request resumes here).
      record_.epoch_batches_done = batches_done;
      record_.epoch_loss_sum = loss_sum;
      record_.epoch_samples = samples;
      record_.epoch_seconds = seconds_before + seconds_since(start);
      break;
    }

    EpochStats stats;
    stats.epoch = epoch;
    stats.seconds = seconds_before + seconds_since(start);
    stats.loss = loss_sum / static_cast<double>(batches);
    stats.samples_per_second = stats.seconds > 0 ? static_cast<double>(samples) / stats.seconds : 0;
    stats.learning_rate = learning_rate;
    record_.epoch_batches_done = 0;
    record_.epoch_loss_sum = 0;
    record_.epoch_samples = 0;
    record_.epoch_seconds = 0;
    // CS231n decays after each epoch.
    optimizer_.set_learning_rate(learning_rate * config_.lr_decay);
    stats.train_acc =
        check_accuracy(train_, config_.num_train_samples, streams::train_accuracy(epoch));
    stats.val_acc = validation_accuracy();
    record_.epoch = epoch;
    record_.epochs.push_back(stats);
    if (val_.size() == 0 || stats.val_acc > record_.best_val_acc) {
      record_.best_epoch = epoch;
      record_.best_val_acc = stats.val_acc;
      keep_best();
    }
    if (progress_) {
      progress.batch = batches;
      progress.loss = stats.loss;
      progress.samples_per_second = stats.samples_per_second;
      progress.eta_seconds = 0;
      progress.epoch_done = &record_.epochs.back();
      progress_(progress);
    }
  }
  keep_last();
  restore_best();
  record_.net_holds_best = true;
  outcome.epochs_done = record_.epoch;
  outcome.best_epoch = record_.best_epoch;
  outcome.best_val_acc = record_.best_val_acc;
  return outcome;
}

}  // namespace simdnet::nets
