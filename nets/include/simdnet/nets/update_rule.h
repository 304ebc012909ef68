// Update rules as CS231n's optim.py has them — sgd, sgd_momentum, nesterov,
// rmsprop, adam — applied to every parameter of a net, each parameter with its
// own state (CS231n's optim_configs: one config dict per parameter). Biases,
// gamma and beta are updated like the weights. L2 regularization is the net's
// (NetSpec::l2 puts l2 * W into dW), so the rules here add no weight decay.
//
// The arithmetic is the kernels' (simdnet/kernels/optimizer.h, formulas
// there); this file only keeps the state and walks the parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simdnet/kernels/matrix.h"
#include "simdnet/kernels/optimizer.h"
#include "simdnet/nets/network.h"

namespace simdnet::nets {

enum class UpdateRule { kSgd, kSgdMomentum, kNesterov, kRmsprop, kAdam };

// "sgd", "sgd_momentum", "nesterov", "rmsprop", "adam" (CS231n's names).
const std::vector<std::string>& update_rule_names();
std::string update_rule_name(UpdateRule rule);
std::optional<UpdateRule> parse_update_rule(std::string_view name);

// Hyperparameters; each rule reads the ones it uses. Defaults are CS231n's,
// except the learning rate, which is the caller's to choose (CS231n: 1e-2 for
// the sgd family, 1e-3 for adam).
struct UpdateConfig {
  UpdateRule rule = UpdateRule::kSgd;
  float learning_rate = 1e-2f;
  float momentum = 0.9f;     // sgd_momentum, nesterov
  float decay_rate = 0.99f;  // rmsprop
  float beta1 = 0.9f;        // adam
  float beta2 = 0.999f;      // adam
  float epsilon = 1e-8f;     // rmsprop, adam
};

// Throws std::invalid_argument naming the field and value unless the config
// is usable: learning_rate and epsilon finite and > 0; momentum, decay_rate,
// beta1, beta2 in [0, 1).
void check_update_config(const UpdateConfig& config);

// One update rule over a net's parameters, with its per-parameter state.
class Optimizer {
 public:
  // State arrays, zero, shaped like each parameter. Throws
  // std::invalid_argument if the config is bad or a parameter's value and
  // gradient differ in shape.
  Optimizer(const UpdateConfig& config, const std::vector<Parameter>& parameters);

  // One update of every parameter from its gradient: one fused kernel call
  // over all of them (kernels::ParameterArrays), bit-identical to one call
  // per parameter. No allocation after the first step.
  void step(std::vector<Parameter>& parameters);

  const UpdateConfig& config() const { return config_; }
  // The learning rate the next step uses; the Solver decays it per epoch.
  float learning_rate() const { return config_.learning_rate; }
  void set_learning_rate(float learning_rate);

  // Adam's step counter t (steps taken so far; the next step uses t + 1).
  int64_t adam_steps() const { return adam_steps_; }
  void set_adam_steps(int64_t t) { adam_steps_ = t; }

  // The state, one array per parameter and kind, named "<kind>/<parameter>":
  //   sgd: none; sgd_momentum, nesterov: velocity/W1; rmsprop: cache/W1;
  //   adam: adam_m/W1, adam_v/W1.
  // Checkpoints save and restore these (shapes as the parameters).
  struct StateArray {
    std::string name;
    kernels::Matrix value;
  };
  std::vector<StateArray>& state() { return state_; }
  const std::vector<StateArray>& state() const { return state_; }

 private:
  UpdateConfig config_;
  int64_t adam_steps_ = 0;
  size_t arrays_per_parameter_ = 0;
  std::vector<StateArray> state_;  // parameter p's arrays at p * arrays_per_parameter_ + k
  // The fused kernel's argument, refilled every step (a checkpoint load may
  // replace the parameters' matrices between steps); kept to reuse its storage.
  std::vector<kernels::ParameterArrays> arrays_;
};

}  // namespace simdnet::nets
