// The update rules over a whole net: state bookkeeping around the kernels.
#include "simdnet/nets/update_rule.h"

#include <cmath>
#include <stdexcept>

#include "simdnet/kernels/optimizer.h"

namespace simdnet::nets {
namespace {

// The state kinds of each rule, in the order Optimizer::state() keeps them.
std::vector<std::string> state_kinds(UpdateRule rule) {
  switch (rule) {
    case UpdateRule::kSgd:
      return {};
    case UpdateRule::kSgdMomentum:
    case UpdateRule::kNesterov:
      return {"velocity"};
    case UpdateRule::kRmsprop:
      return {"cache"};
    case UpdateRule::kAdam:
      return {"adam_m", "adam_v"};
  }
  return {};
}

[[noreturn]] void bad_config(const std::string& field, float value, const char* expected) {
  throw std::invalid_argument("update rule: " + field + " = " + std::to_string(value) +
                              "; expected " + expected);
}

}  // namespace

const std::vector<std::string>& update_rule_names() {
  static const std::vector<std::string> names = {"sgd", "sgd_momentum", "nesterov", "rmsprop",
                                                 "adam"};
  return names;
}

std::string update_rule_name(UpdateRule rule) {
  return update_rule_names().at(static_cast<size_t>(rule));
}

std::optional<UpdateRule> parse_update_rule(std::string_view name) {
  const auto& names = update_rule_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<UpdateRule>(i);
  return std::nullopt;
}

void check_update_config(const UpdateConfig& c) {
  auto positive = [](const char* field, float v) {
    if (!(std::isfinite(v) && v > 0)) bad_config(field, v, "a finite value > 0");
  };
  auto unit = [](const char* field, float v) {
    if (!(v >= 0 && v < 1)) bad_config(field, v, "a value in [0, 1)");
  };
  positive("learning_rate", c.learning_rate);
  positive("epsilon", c.epsilon);
  unit("momentum", c.momentum);
  unit("decay_rate", c.decay_rate);
  unit("beta1", c.beta1);
  unit("beta2", c.beta2);
}

Optimizer::Optimizer(const UpdateConfig& config, const std::vector<Parameter>& parameters)
    : config_(config) {
  check_update_config(config_);
  const std::vector<std::string> kinds = state_kinds(config_.rule);
  arrays_per_parameter_ = kinds.size();
  for (const Parameter& p : parameters) {
    if (p.value.rows() != p.grad.rows() || p.value.cols() != p.grad.cols() ||
        p.value.stride() != p.grad.stride())
      throw std::invalid_argument("Optimizer: parameter " + p.name +
                                  ": value and gradient differ in shape or stride");
    // Same stride as the value, so the update runs over whole storages (the
    // padding, if any, has zero gradient and stays zero).
    for (const std::string& kind : kinds)
      state_.push_back(
          {kind + "/" + p.name, kernels::Matrix(p.value.rows(), p.value.cols(), p.value.stride())});
  }
}

void Optimizer::set_learning_rate(float learning_rate) {
  UpdateConfig c = config_;
  c.learning_rate = learning_rate;
  check_update_config(c);
  config_.learning_rate = learning_rate;
}

void Optimizer::step(std::vector<Parameter>& parameters) {
  if (parameters.size() * arrays_per_parameter_ != state_.size())
    throw std::invalid_argument(
        "Optimizer::step: " + std::to_string(parameters.size()) + " parameters, but state for " +
        std::to_string(state_.size() / std::max<size_t>(arrays_per_parameter_, 1)));
  const UpdateConfig& c = config_;
  if (c.rule == UpdateRule::kAdam) ++adam_steps_;
  // Every parameter with its state, for one fused kernel call: one parallel
  // pass over the whole net instead of a call (and a fork/join) per parameter.
  arrays_.resize(parameters.size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    // The k-th state array of parameter i; empty if the rule has fewer.
    auto state = [&](size_t k) {
      return k < arrays_per_parameter_ ? state_[i * arrays_per_parameter_ + k].value.storage()
                                       : std::span<float>();
    };
    arrays_[i] = {parameters[i].value.storage(), parameters[i].grad.storage(), state(0),
                  state(1)};
  }
  switch (c.rule) {
    case UpdateRule::kSgd:
      kernels::sgd_update(arrays_, {.learning_rate = c.learning_rate});
      break;
    case UpdateRule::kSgdMomentum:
      kernels::sgd_momentum_update(arrays_,
                                   {.learning_rate = c.learning_rate, .momentum = c.momentum});
      break;
    case UpdateRule::kNesterov:
      kernels::nesterov_update(arrays_, {.learning_rate = c.learning_rate, .momentum = c.momentum});
      break;
    case UpdateRule::kRmsprop:
      kernels::rmsprop_update(
          arrays_,
          {.learning_rate = c.learning_rate, .decay_rate = c.decay_rate, .epsilon = c.epsilon});
      break;
    case UpdateRule::kAdam:
      kernels::adam_update(arrays_,
                           {.learning_rate = c.learning_rate,
                            .beta1 = c.beta1,
                            .beta2 = c.beta2,
                            .epsilon = c.epsilon},
                           adam_steps_);
      break;
  }
}

}  // namespace simdnet::nets
