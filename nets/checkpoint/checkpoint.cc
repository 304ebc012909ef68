// Models and training states as .npz (names and layout: checkpoint.h). Each
// part of a file — spec, data recipe, parameters, solver settings, update-rule
// state, record — has one function that makes its arrays and one that reads
// them back, so the two cannot drift apart: a reader also checks the file's
// names against the arrays the writer would make for the same net.
#include "simdnet/nets/checkpoint.h"

#include "simdnet/nets/files.h"

#include <bit>
#include <cmath>
#include <set>
#include <stdexcept>

namespace simdnet::nets {
namespace {

namespace fs = std::filesystem;
using npz::Array;
using npz::DType;
using npz::NpzFile;

constexpr int64_t kFormatVersion = 1;
constexpr const char* kModelFormat = "model";
constexpr const char* kStateFormat = "training-state";

int64_t as_int64(uint64_t v) { return std::bit_cast<int64_t>(v); }
uint64_t as_uint64(int64_t v) { return std::bit_cast<uint64_t>(v); }

// A parameter or buffer is 1-D unless it is a weight matrix (CS231n: b1,
// gamma1, beta1, running_mean1 are vectors).
bool is_vector(const std::string& name) { return name.empty() || name[0] != 'W'; }

// --- readers' small checks ---------------------------------------------------

size_t read_count(const NpzFile& f, const std::string& name, int64_t max = INT64_MAX) {
  const int64_t v = f.int64_scalar(name);
  if (v < 0 || v > max) f.fail(name, "= " + std::to_string(v) + ", out of range");
  return static_cast<size_t>(v);
}

bool read_flag(const NpzFile& f, const std::string& name) {
  const int64_t v = f.int64_scalar(name);
  if (v != 0 && v != 1) f.fail(name, "= " + std::to_string(v) + ", expected 0 or 1");
  return v == 1;
}

float read_float(const NpzFile& f, const std::string& name) {
  return static_cast<float>(f.float64_scalar(name));
}

void check_format(const NpzFile& f, const char* expected) {
  const std::string& format = f.string("simdnet/format");
  if (format != expected) {
    if (format == kStateFormat)
      f.fail("simdnet/format",
             "is 'training-state': this is a training state, not a model; "
             "resume it with `simdnet train --load`");
    f.fail("simdnet/format", "is '" + format + "', expected '" + expected + "'");
  }
  const int64_t version = f.int64_scalar("simdnet/version");
  if (version != kFormatVersion)
    f.fail("simdnet/version", "is " + std::to_string(version) + "; this simdnet reads version " +
                                  std::to_string(kFormatVersion));
}

// The file must hold exactly the names the writer would write.
void check_names(const NpzFile& f, const std::vector<Array>& expected, const std::string& what) {
  std::set<std::string> want;
  for (const Array& a : expected) want.insert(a.name);
  for (const std::string& name : f.names())
    if (!want.contains(name)) f.fail(name, "is not part of " + what);
  for (const std::string& name : want)
    if (!f.contains(name)) f.fail(name, "is missing (" + what + " has it)");
}

std::string net_shape(const NetSpec& s) {
  std::string out = std::to_string(s.input_dim);
  // (Appends, not "-" + string: GCC 12 warns falsely on that, -Wrestrict.)
  for (size_t h : s.hidden_dims) out.append("-").append(std::to_string(h));
  return out.append("-").append(std::to_string(s.num_classes));
}

// --- spec/ ----------------------------------------------------------------------

void add_spec(std::vector<Array>& out, const NetSpec& s) {
  std::vector<int64_t> hidden(s.hidden_dims.begin(), s.hidden_dims.end());
  out.push_back(Array::int64_scalar("spec/input_dim", static_cast<int64_t>(s.input_dim)));
  out.push_back(Array::int64("spec/hidden_dims", {hidden.size()}, hidden));
  out.push_back(Array::int64_scalar("spec/num_classes", static_cast<int64_t>(s.num_classes)));
  out.push_back(Array::int64_scalar("spec/batchnorm", s.batchnorm));
  out.push_back(Array::float64_scalar("spec/dropout", s.dropout));
  out.push_back(Array::float64_scalar("spec/l2", s.l2));
  out.push_back(Array::string("spec/init", init_name(s.init)));
  out.push_back(Array::float64_scalar("spec/weight_scale", s.weight_scale));
  out.push_back(Array::int64_scalar("spec/seed", as_int64(s.seed)));
}

NetSpec read_spec(const NpzFile& f) {
  NetSpec s;
  constexpr int64_t kMaxWidth = int64_t{1} << 32;
  s.input_dim = read_count(f, "spec/input_dim", kMaxWidth);
  for (int64_t h : f.int64_vector("spec/hidden_dims")) {
    if (h <= 0 || h > kMaxWidth) f.fail("spec/hidden_dims", "holds " + std::to_string(h));
    s.hidden_dims.push_back(static_cast<size_t>(h));
  }
  s.num_classes = read_count(f, "spec/num_classes", kMaxWidth);
  s.batchnorm = read_flag(f, "spec/batchnorm");
  s.dropout = read_float(f, "spec/dropout");
  s.l2 = read_float(f, "spec/l2");
  const std::string& init = f.string("spec/init");
  const std::optional<Init> parsed = parse_init(init);
  if (!parsed) f.fail("spec/init", "is '" + init + "', expected he, xavier or weight_scale");
  s.init = *parsed;
  s.weight_scale = read_float(f, "spec/weight_scale");
  s.seed = as_uint64(f.int64_scalar("spec/seed"));
  try {
    validate_net_spec(s);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(f.path().string() + ": spec/* describe no valid net: " + e.what());
  }
  // Before anyone builds (allocates) the net: the file holds every weight
  // matrix at the shape spec/* give, so forged widths cannot ask for more
  // memory than the file's own arrays fill.
  size_t rows = s.input_dim;
  for (size_t i = 0; i <= s.hidden_dims.size(); ++i) {
    const size_t cols = i < s.hidden_dims.size() ? s.hidden_dims[i] : s.num_classes;
    f.float32("W" + std::to_string(i + 1), std::vector<size_t>{rows, cols});
    rows = cols;
  }
  return s;
}

// --- data/ -----------------------------------------------------------------------

void add_data(std::vector<Array>& out, const DataRecipe& d) {
  if (d.dataset.empty()) return;
  const DataOptions& o = d.options;
  out.push_back(Array::string("data/dataset", d.dataset));
  out.push_back(Array::int64_scalar(
      "data/val_size", static_cast<int64_t>(o.val_size.value_or(default_val_size(d.dataset)))));
  out.push_back(Array::int64_scalar(
      "data/subtract_channel_mean",
      o.subtract_channel_mean.value_or(default_subtract_channel_mean(d.dataset))));
  out.push_back(Array::int64_scalar("data/standardize", o.standardize));
  out.push_back(Array::int64_scalar("data/train_subset", static_cast<int64_t>(o.train_subset)));
  out.push_back(Array::int64_scalar("data/cs231n_test_subset", o.cs231n_test_subset));
  // Only when set: files without it read as 1, the scale before it existed.
  if (o.pixel_scale != 1.0f) out.push_back(Array::float64_scalar("data/pixel_scale", o.pixel_scale));
}

DataRecipe read_data(const NpzFile& f) {
  DataRecipe d;
  if (!f.contains("data/dataset")) return d;
  d.dataset = f.string("data/dataset");
  d.options.val_size = read_count(f, "data/val_size");
  d.options.subtract_channel_mean = read_flag(f, "data/subtract_channel_mean");
  d.options.standardize = read_flag(f, "data/standardize");
  d.options.train_subset = read_count(f, "data/train_subset");
  d.options.cs231n_test_subset = read_flag(f, "data/cs231n_test_subset");
  if (f.contains("data/pixel_scale"))
    d.options.pixel_scale = static_cast<float>(f.float64_scalar("data/pixel_scale"));
  return d;
}

// --- parameters and buffers -----------------------------------------------------

void add_net(std::vector<Array>& out, const FullyConnectedNet& net, const std::string& prefix) {
  for (const Parameter& p : net.parameters())
    out.push_back(Array::float32(prefix + p.name, p.value.view(), is_vector(p.name)));
  for (const Buffer& b : net.buffers())
    out.push_back(Array::float32(prefix + b.name, b.value.view(), is_vector(b.name)));
}

// A NaN or infinity in a parameter, running statistic or update-rule state
// would make every prediction (or every later step) NaN: refused where it is
// read, naming the array and the index.
void check_finite(const NpzFile& f, const std::string& name, kernels::ConstMatrixView m) {
  for (size_t r = 0; r < m.rows; ++r)
    for (size_t c = 0; c < m.cols; ++c)
      if (!std::isfinite(m.row(r)[c]))
        f.fail(name, "holds " + std::to_string(m.row(r)[c]) + " at index " +
                         std::to_string(r * m.cols + c) + "; its values must be finite");
}

void read_net(const NpzFile& f, FullyConnectedNet& net) {
  for (Parameter& p : net.parameters()) {
    f.read_matrix(p.name, p.value.view(), is_vector(p.name));
    check_finite(f, p.name, p.value.view());
  }
  for (Buffer& b : net.buffers()) {
    f.read_matrix(b.name, b.value.view(), is_vector(b.name));
    check_finite(f, b.name, b.value.view());
  }
}

std::vector<Array> model_arrays(const FullyConnectedNet& net, const DataRecipe& data,
                                const char* format) {
  std::vector<Array> out;
  out.push_back(Array::string("simdnet/format", format));
  out.push_back(Array::int64_scalar("simdnet/version", kFormatVersion));
  add_spec(out, net.spec());
  add_data(out, data);
  add_net(out, net, "");
  return out;
}

// --- solver/ ------------------------------------------------------------------------

void add_solver_config(std::vector<Array>& out, const SolverConfig& c) {
  out.push_back(Array::string("solver/update_rule", update_rule_name(c.update.rule)));
  out.push_back(Array::float64_scalar("solver/learning_rate", c.update.learning_rate));
  out.push_back(Array::float64_scalar("solver/momentum", c.update.momentum));
  out.push_back(Array::float64_scalar("solver/decay_rate", c.update.decay_rate));
  out.push_back(Array::float64_scalar("solver/beta1", c.update.beta1));
  out.push_back(Array::float64_scalar("solver/beta2", c.update.beta2));
  out.push_back(Array::float64_scalar("solver/epsilon", c.update.epsilon));
  out.push_back(Array::float64_scalar("solver/lr_decay", c.lr_decay));
  out.push_back(Array::int64_scalar("solver/batch_size", static_cast<int64_t>(c.batch_size)));
  out.push_back(Array::int64_scalar("solver/num_epochs", static_cast<int64_t>(c.num_epochs)));
  out.push_back(Array::int64_scalar("solver/seed", as_int64(c.seed)));
  out.push_back(Array::int64_scalar("solver/sample_with_replacement", c.sample_with_replacement));
  out.push_back(
      Array::int64_scalar("solver/num_train_samples", static_cast<int64_t>(c.num_train_samples)));
  out.push_back(
      Array::int64_scalar("solver/num_val_samples", static_cast<int64_t>(c.num_val_samples)));
}

SolverConfig read_solver_config(const NpzFile& f) {
  SolverConfig c;
  const std::string& rule = f.string("solver/update_rule");
  const std::optional<UpdateRule> parsed = parse_update_rule(rule);
  if (!parsed) f.fail("solver/update_rule", "is '" + rule + "', not an update rule");
  c.update.rule = *parsed;
  c.update.learning_rate = read_float(f, "solver/learning_rate");
  c.update.momentum = read_float(f, "solver/momentum");
  c.update.decay_rate = read_float(f, "solver/decay_rate");
  c.update.beta1 = read_float(f, "solver/beta1");
  c.update.beta2 = read_float(f, "solver/beta2");
  c.update.epsilon = read_float(f, "solver/epsilon");
  c.lr_decay = read_float(f, "solver/lr_decay");
  c.batch_size = read_count(f, "solver/batch_size");
  c.num_epochs = read_count(f, "solver/num_epochs");
  c.seed = as_uint64(f.int64_scalar("solver/seed"));
  c.sample_with_replacement = read_flag(f, "solver/sample_with_replacement");
  c.num_train_samples = read_count(f, "solver/num_train_samples");
  c.num_val_samples = read_count(f, "solver/num_val_samples");
  try {
    check_update_config(c.update);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(f.path().string() + ": solver/* hold a bad setting: " + e.what());
  }
  return c;
}

// --- state/, best/, history/ and the update rule's arrays ---------------------

// Where a stop request left the epoch (TrainingRecord::epoch_batches_done and
// the epoch's partial sums; all 0 at an epoch boundary). Files written before
// these existed lack all four: they were saved at epoch boundaries.
std::vector<Array> mid_epoch_arrays(const TrainingRecord& r) {
  return {Array::int64_scalar("state/epoch_batches_done", static_cast<int64_t>(r.epoch_batches_done)),
          Array::float64_scalar("state/epoch_loss_sum", r.epoch_loss_sum),
          Array::int64_scalar("state/epoch_samples", static_cast<int64_t>(r.epoch_samples)),
          Array::float64_scalar("state/epoch_seconds", r.epoch_seconds)};
}
constexpr const char* kMidEpochMarker = "state/epoch_batches_done";

void read_mid_epoch(const NpzFile& f, const Solver& solver, TrainingRecord& r) {
  if (!f.contains(kMidEpochMarker)) return;
  const size_t batches = solver.batches_per_epoch();
  r.epoch_batches_done = read_count(f, kMidEpochMarker, static_cast<int64_t>(batches));
  // Every epoch has the same number of steps, in both sampling modes.
  if (r.iteration != r.epoch * batches + r.epoch_batches_done)
    f.fail(kMidEpochMarker, "= " + std::to_string(r.epoch_batches_done) + " with state/epoch " +
                                std::to_string(r.epoch) + " and " + std::to_string(batches) +
                                " batches per epoch does not match state/iteration " +
                                std::to_string(r.iteration));
  r.epoch_loss_sum = f.float64_scalar("state/epoch_loss_sum");
  r.epoch_samples = read_count(
      f, "state/epoch_samples",
      static_cast<int64_t>(r.epoch_batches_done * solver.config().batch_size));
  r.epoch_seconds = f.float64_scalar("state/epoch_seconds");
  if (!std::isfinite(r.epoch_loss_sum) || r.epoch_loss_sum < 0)
    f.fail("state/epoch_loss_sum", "is " + std::to_string(r.epoch_loss_sum) +
                                       ", expected a finite sum of losses >= 0");
  if (!std::isfinite(r.epoch_seconds) || r.epoch_seconds < 0)
    f.fail("state/epoch_seconds", "is " + std::to_string(r.epoch_seconds) +
                                      ", expected finite seconds >= 0");
}

template <class Get>
std::vector<double> column(const std::vector<EpochStats>& epochs, Get get) {
  std::vector<double> out;
  for (const EpochStats& e : epochs) out.push_back(get(e));
  return out;
}

void add_record(std::vector<Array>& out, const Solver& solver) {
  const TrainingRecord& r = solver.record();
  const FullyConnectedNet& net = solver.net();
  out.push_back(Array::int64_scalar("state/epoch", static_cast<int64_t>(r.epoch)));
  out.push_back(Array::int64_scalar("state/iteration", static_cast<int64_t>(r.iteration)));
  out.push_back(Array::float64_scalar("state/learning_rate", solver.optimizer().learning_rate()));
  out.push_back(Array::int64_scalar("state/adam_t", solver.optimizer().adam_steps()));
  out.push_back(Array::int64_scalar("state/best_epoch", static_cast<int64_t>(r.best_epoch)));
  out.push_back(Array::float64_scalar("state/best_val_acc", r.best_val_acc));
  for (const Array& a : mid_epoch_arrays(r)) out.push_back(a);
  for (size_t i = 0; i < net.parameters().size(); ++i) {
    const std::string& name = net.parameters()[i].name;
    out.push_back(Array::float32("best/" + name, r.best_parameters.at(i).view(), is_vector(name)));
  }
  for (size_t i = 0; i < net.buffers().size(); ++i) {
    const std::string& name = net.buffers()[i].name;
    out.push_back(Array::float32("best/" + name, r.best_buffers.at(i).view(), is_vector(name)));
  }
  for (const Optimizer::StateArray& s : solver.optimizer().state()) {
    const std::string parameter = s.name.substr(s.name.find('/') + 1);
    out.push_back(Array::float32(s.name, s.value.view(), is_vector(parameter)));
  }
  const auto& e = r.epochs;
  const size_t n = e.size();
  out.push_back(Array::float32("history/loss", {r.loss_history.size()}, r.loss_history));
  auto add_column = [&](const char* name, std::vector<double> values) {
    out.push_back(Array::float64(name, {n}, values));
  };
  add_column("history/epoch_loss", column(e, [](const EpochStats& s) { return s.loss; }));
  add_column("history/train_acc", column(e, [](const EpochStats& s) { return s.train_acc; }));
  add_column("history/val_acc", column(e, [](const EpochStats& s) { return s.val_acc; }));
  add_column("history/seconds", column(e, [](const EpochStats& s) { return s.seconds; }));
  add_column("history/samples_per_second",
             column(e, [](const EpochStats& s) { return s.samples_per_second; }));
  add_column("history/learning_rate",
             column(e, [](const EpochStats& s) { return double{s.learning_rate}; }));
}

void read_record(const NpzFile& f, Solver& solver) {
  TrainingRecord r;
  r.epoch = read_count(f, "state/epoch");
  r.iteration = read_count(f, "state/iteration");
  r.best_epoch = read_count(f, "state/best_epoch", static_cast<int64_t>(r.epoch));
  r.best_val_acc = f.float64_scalar("state/best_val_acc");
  read_mid_epoch(f, solver, r);

  const std::span<const float> loss =
      f.float32("history/loss", std::vector<size_t>{static_cast<size_t>(r.iteration)});
  r.loss_history.assign(loss.begin(), loss.end());
  auto epoch_column = [&](const char* name) {
    const std::span<const double> v = f.float64_vector(name);
    if (v.size() != r.epoch)
      f.fail(name, "has " + std::to_string(v.size()) + " entries; state/epoch is " +
                       std::to_string(r.epoch));
    return v;
  };
  const auto epoch_loss = epoch_column("history/epoch_loss");
  const auto train_acc = epoch_column("history/train_acc");
  const auto val_acc = epoch_column("history/val_acc");
  const auto seconds = epoch_column("history/seconds");
  const auto rate = epoch_column("history/samples_per_second");
  const auto lr = epoch_column("history/learning_rate");
  for (size_t i = 0; i < r.epoch; ++i)
    r.epochs.push_back({.epoch = i + 1,
                        .loss = epoch_loss[i],
                        .train_acc = train_acc[i],
                        .val_acc = val_acc[i],
                        .seconds = seconds[i],
                        .samples_per_second = rate[i],
                        .learning_rate = static_cast<float>(lr[i])});

  FullyConnectedNet& net = solver.net();
  for (const Parameter& p : net.parameters()) {
    kernels::Matrix m(p.value.rows(), p.value.cols(), p.value.stride());
    f.read_matrix("best/" + p.name, m.view(), is_vector(p.name));
    check_finite(f, "best/" + p.name, m.view());
    r.best_parameters.push_back(std::move(m));
  }
  for (const Buffer& b : net.buffers()) {
    kernels::Matrix m(b.value.rows(), b.value.cols(), b.value.stride());
    f.read_matrix("best/" + b.name, m.view(), is_vector(b.name));
    check_finite(f, "best/" + b.name, m.view());
    r.best_buffers.push_back(std::move(m));
  }

  Optimizer& optimizer = solver.optimizer();
  for (Optimizer::StateArray& s : optimizer.state()) {
    const std::string parameter = s.name.substr(s.name.find('/') + 1);
    f.read_matrix(s.name, s.value.view(), is_vector(parameter));
    check_finite(f, s.name, s.value.view());
  }
  const int64_t adam_t = f.int64_scalar("state/adam_t");
  if (adam_t < 0 || static_cast<uint64_t>(adam_t) > r.iteration)
    f.fail("state/adam_t", "= " + std::to_string(adam_t) + ", out of range");
  optimizer.set_adam_steps(adam_t);
  const float learning_rate = read_float(f, "state/learning_rate");
  try {
    optimizer.set_learning_rate(learning_rate);
  } catch (const std::invalid_argument& e) {
    f.fail("state/learning_rate", std::string("is unusable: ") + e.what());
  }
  read_net(f, net);
  solver.record() = std::move(r);
}

std::vector<Array> state_arrays(const Solver& solver, const DataRecipe& data) {
  std::vector<Array> out = model_arrays(solver.net(), data, kStateFormat);
  const TrainingRecord& r = solver.record();
  if (r.net_holds_best) {
    // W1, ... are the parameters training continues from, not the best ones
    // train() left in the net.
    const FullyConnectedNet& net = solver.net();
    for (Array& a : out) {
      for (size_t i = 0; i < net.parameters().size(); ++i)
        if (a.name == net.parameters()[i].name)
          a = Array::float32(a.name, r.last_parameters.at(i).view(), is_vector(a.name));
      for (size_t i = 0; i < net.buffers().size(); ++i)
        if (a.name == net.buffers()[i].name)
          a = Array::float32(a.name, r.last_buffers.at(i).view(), is_vector(a.name));
    }
  }
  add_solver_config(out, solver.config());
  add_record(out, solver);
  return out;
}

}  // namespace

std::string init_name(Init init) {
  switch (init) {
    case Init::kHe:
      return "he";
    case Init::kXavier:
      return "xavier";
    case Init::kWeightScale:
      return "weight_scale";
  }
  return "?";
}

std::optional<Init> parse_init(std::string_view name) {
  if (name == "he") return Init::kHe;
  if (name == "xavier") return Init::kXavier;
  if (name == "weight_scale") return Init::kWeightScale;
  return std::nullopt;
}

// Both savers replace the file atomically (files.h): a kill or a full disk
// mid-save leaves the previous file whole.
void save_model(const fs::path& path, const FullyConnectedNet& net, const DataRecipe& data) {
  const std::vector<Array> arrays = model_arrays(net, data, kModelFormat);
  replace_file(path, [&](const fs::path& temp) { npz::save_npz(temp, arrays); });
}

LoadedModel load_model(const fs::path& path) {
  const NpzFile f(path);
  check_format(f, kModelFormat);
  LoadedModel model{FullyConnectedNet(read_spec(f)), read_data(f)};
  check_names(f, model_arrays(model.net, model.data, kModelFormat),
              "a model of the net " + net_shape(model.net.spec()) + " its spec/* describe");
  read_net(f, model.net);
  return model;
}

void save_training_state(const fs::path& path, const Solver& solver, const DataRecipe& data) {
  const std::vector<Array> arrays = state_arrays(solver, data);
  replace_file(path, [&](const fs::path& temp) { npz::save_npz(temp, arrays); });
}

SavedTraining read_training_state(const fs::path& path) {
  NpzFile f(path);
  check_format(f, kStateFormat);
  NetSpec spec = read_spec(f);
  SolverConfig config = read_solver_config(f);
  DataRecipe data = read_data(f);
  return {std::move(spec), config, std::move(data), std::move(f)};
}

void restore_training_state(const SavedTraining& saved, Solver& solver) {
  const NpzFile& f = saved.file;
  const NetSpec& have = solver.net().spec();
  if (net_shape(have) != net_shape(saved.spec) || have.batchnorm != saved.spec.batchnorm)
    throw std::invalid_argument("restore_training_state: the solver's net " + net_shape(have) +
                                " is not the saved net " + net_shape(saved.spec));
  if (solver.config().update.rule != saved.config.update.rule)
    throw std::invalid_argument("restore_training_state: the solver uses " +
                                update_rule_name(solver.config().update.rule) + ", the saved run " +
                                update_rule_name(saved.config.update.rule));
  std::vector<Array> expected = state_arrays(solver, saved.data);
  if (!f.contains(kMidEpochMarker))  // an older file, saved at an epoch boundary
    std::erase_if(expected, [](const Array& a) { return a.name.starts_with("state/epoch_"); });
  check_names(f, expected,
              "a training state of the net " + net_shape(saved.spec) + " with " +
                  update_rule_name(saved.config.update.rule));
  read_record(f, solver);
}

}  // namespace simdnet::nets
