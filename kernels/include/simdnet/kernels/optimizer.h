// Parameter update rules, fused and vectorized over flat parameter arrays: one
// pass reads w, dw and the rule's state and writes w and the state. The
// semantics are CS231n's optim.py, plus an optional L2 weight-decay term:
//
//   g = dw + weight_decay * w                       (weight_decay = 0: g = dw)
//   sgd:          w -= learning_rate * g
//   sgd_momentum: v = momentum * v - learning_rate * g;  w += v
//   nesterov:     v_prev = v;  v = momentum * v - learning_rate * g;
//                 w += -momentum * v_prev + (1 + momentum) * v
//   rmsprop:      cache = decay_rate * cache + (1 - decay_rate) * g^2;
//                 w -= learning_rate * g / (sqrt(cache) + epsilon)
//   adam (step t >= 1, counted from 1 like CS231n's config['t'] after += 1):
//                 m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2;
//                 m_hat = m / (1 - beta1^t);  v_hat = v / (1 - beta2^t);
//                 w -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)
//
// The state arrays (velocity, cache, m, v) start at zero and have w's length.
// Elements are independent, so the arrays are cut into fixed blocks on the
// thread pool: results are bit-identical for any thread count. Arrays must not
// overlap one another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace simdnet::kernels {

// Hyperparameters with CS231n's names and defaults.
struct SgdConfig {
  float learning_rate = 1e-2f;
  float weight_decay = 0.0f;  // L2 term: g = dw + weight_decay * w
};

struct SgdMomentumConfig {
  float learning_rate = 1e-2f;
  float momentum = 0.9f;
  float weight_decay = 0.0f;
};
using NesterovConfig = SgdMomentumConfig;

struct RmspropConfig {
  float learning_rate = 1e-2f;
  float decay_rate = 0.99f;
  float epsilon = 1e-8f;
  float weight_decay = 0.0f;
};

struct AdamConfig {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
  float weight_decay = 0.0f;
};

// Each throws std::invalid_argument, naming the function and the value, if an
// array's length differs from w's or a hyperparameter is out of range:
// learning_rate and epsilon finite and > 0; momentum, decay_rate, beta1 and
// beta2 in [0, 1); weight_decay finite and >= 0; t >= 1.
void sgd_update(std::span<float> w, std::span<const float> dw, const SgdConfig& config);
void sgd_momentum_update(std::span<float> w, std::span<const float> dw,
                         std::span<float> velocity, const SgdMomentumConfig& config);
void nesterov_update(std::span<float> w, std::span<const float> dw, std::span<float> velocity,
                     const NesterovConfig& config);
void rmsprop_update(std::span<float> w, std::span<const float> dw, std::span<float> cache,
                    const RmspropConfig& config);
void adam_update(std::span<float> w, std::span<const float> dw, std::span<float> m,
                 std::span<float> v, const AdamConfig& config, int64_t t);

// The fused update of a whole training step: every parameter of a net in one
// call and one parallel pass, instead of one call (and one fork/join) per
// parameter; a net has many tiny ones (b1, gamma1, beta1, ...). The
// parameters' arrays are laid end to end and that concatenation is cut into
// the same fixed 16K-element blocks as above, so one block may span several
// small parameters. Every element gets the single-array update's arithmetic,
// so the result is bit-identical to calling the overloads above once per
// parameter, for any thread count.
struct ParameterArrays {
  std::span<float> w;
  std::span<const float> dw;
  std::span<float> state0;  // velocity (sgd_momentum, nesterov), cache (rmsprop), m (adam)
  std::span<float> state1;  // v (adam)
};
// A state the rule does not use may be empty. Throws std::invalid_argument as
// above, the message naming the parameter's index:
//   "adam_update: parameter 3: v has 5 elements; expected 6".
void sgd_update(std::span<const ParameterArrays> parameters, const SgdConfig& config);
void sgd_momentum_update(std::span<const ParameterArrays> parameters,
                         const SgdMomentumConfig& config);
void nesterov_update(std::span<const ParameterArrays> parameters, const NesterovConfig& config);
void rmsprop_update(std::span<const ParameterArrays> parameters, const RmspropConfig& config);
void adam_update(std::span<const ParameterArrays> parameters, const AdamConfig& config,
                 int64_t t);

// Scalar references: the same signatures; each element computed in double from
// the float inputs and rounded once when stored. The fused overloads run the
// single-array reference on each parameter in turn.
namespace reference {
void sgd_update(std::span<float> w, std::span<const float> dw, const SgdConfig& config);
void sgd_momentum_update(std::span<float> w, std::span<const float> dw,
                         std::span<float> velocity, const SgdMomentumConfig& config);
void nesterov_update(std::span<float> w, std::span<const float> dw, std::span<float> velocity,
                     const NesterovConfig& config);
void rmsprop_update(std::span<float> w, std::span<const float> dw, std::span<float> cache,
                    const RmspropConfig& config);
void adam_update(std::span<float> w, std::span<const float> dw, std::span<float> m,
                 std::span<float> v, const AdamConfig& config, int64_t t);
void sgd_update(std::span<const ParameterArrays> parameters, const SgdConfig& config);
void sgd_momentum_update(std::span<const ParameterArrays> parameters,
                         const SgdMomentumConfig& config);
void nesterov_update(std::span<const ParameterArrays> parameters, const NesterovConfig& config);
void rmsprop_update(std::span<const ParameterArrays> parameters, const RmspropConfig& config);
void adam_update(std::span<const ParameterArrays> parameters, const AdamConfig& config,
                 int64_t t);
}  // namespace reference

namespace detail {
// The hyperparameter checks shared by the kernels and the references: throw
// std::invalid_argument naming `kernel` and the offending value.
void check_config(const char* kernel, const SgdConfig& config);
void check_config(const char* kernel, const SgdMomentumConfig& config);
void check_config(const char* kernel, const RmspropConfig& config);
void check_config(const char* kernel, const AdamConfig& config, int64_t t);
// The fused overloads' length checks: dw and the first `states` state arrays
// of every parameter have w's length (states 0, 1 or 2: the rule's).
void check_parameters(const char* kernel, std::span<const ParameterArrays> parameters,
                      int states);
}  // namespace detail

}  // namespace simdnet::kernels
