// Scalar references for the update rules: the formulas of
// simdnet/kernels/optimizer.h, one element at a time, in double from the float
// inputs; each output is rounded to float once, when stored.
#include <cmath>

#include "kernels/shape_check.h"
#include "simdnet/kernels/optimizer.h"

namespace simdnet::kernels::reference {
namespace {

// g = dw + weight_decay * w
double gradient(float dw, float w, double weight_decay) {
  return weight_decay != 0 ? double(dw) + weight_decay * double(w) : double(dw);
}

}  // namespace

void sgd_update(std::span<float> w, std::span<const float> dw, const SgdConfig& config) {
  detail::check_config("reference::sgd_update", config);
  detail::check_length("reference::sgd_update", "dw", dw.size(), w.size());
  const double lr = config.learning_rate;
  for (size_t i = 0; i < w.size(); ++i) {
    const double g = gradient(dw[i], w[i], config.weight_decay);
    w[i] = static_cast<float>(double(w[i]) - lr * g);
  }
}

void sgd_momentum_update(std::span<float> w, std::span<const float> dw,
                         std::span<float> velocity, const SgdMomentumConfig& config) {
  detail::check_config("reference::sgd_momentum_update", config);
  detail::check_length("reference::sgd_momentum_update", "dw", dw.size(), w.size());
  detail::check_length("reference::sgd_momentum_update", "velocity", velocity.size(), w.size());
  const double lr = config.learning_rate, mu = config.momentum;
  for (size_t i = 0; i < w.size(); ++i) {
    const double g = gradient(dw[i], w[i], config.weight_decay);
    const double v = mu * double(velocity[i]) - lr * g;
    velocity[i] = static_cast<float>(v);
    w[i] = static_cast<float>(double(w[i]) + v);
  }
}

void nesterov_update(std::span<float> w, std::span<const float> dw, std::span<float> velocity,
                     const NesterovConfig& config) {
  detail::check_config("reference::nesterov_update", config);
  detail::check_length("reference::nesterov_update", "dw", dw.size(), w.size());
  detail::check_length("reference::nesterov_update", "velocity", velocity.size(), w.size());
  const double lr = config.learning_rate, mu = config.momentum;
  for (size_t i = 0; i < w.size(); ++i) {
    const double g = gradient(dw[i], w[i], config.weight_decay);
    const double v_prev = velocity[i];
    const double v = mu * v_prev - lr * g;
    velocity[i] = static_cast<float>(v);
    w[i] = static_cast<float>(double(w[i]) - mu * v_prev + (1 + mu) * v);
  }
}

void rmsprop_update(std::span<float> w, std::span<const float> dw, std::span<float> cache,
                    const RmspropConfig& config) {
  detail::check_config("reference::rmsprop_update", config);
  detail::check_length("reference::rmsprop_update", "dw", dw.size(), w.size());
  detail::check_length("reference::rmsprop_update", "cache", cache.size(), w.size());
  const double lr = config.learning_rate, decay = config.decay_rate, eps = config.epsilon;
  for (size_t i = 0; i < w.size(); ++i) {
    const double g = gradient(dw[i], w[i], config.weight_decay);
    const double c = decay * double(cache[i]) + (1 - decay) * g * g;
    cache[i] = static_cast<float>(c);
    w[i] = static_cast<float>(double(w[i]) - lr * g / (std::sqrt(c) + eps));
  }
}

void adam_update(std::span<float> w, std::span<const float> dw, std::span<float> m,
                 std::span<float> v, const AdamConfig& config, int64_t t) {
  detail::check_config("reference::adam_update", config, t);
  detail::check_length("reference::adam_update", "dw", dw.size(), w.size());
  detail::check_length("reference::adam_update", "m", m.size(), w.size());
  detail::check_length("reference::adam_update", "v", v.size(), w.size());
  const double lr = config.learning_rate, b1 = config.beta1, b2 = config.beta2;
  const double eps = config.epsilon;
  const double correction1 = 1 - std::pow(b1, double(t)), correction2 = 1 - std::pow(b2, double(t));
  for (size_t i = 0; i < w.size(); ++i) {
    const double g = gradient(dw[i], w[i], config.weight_decay);
    const double mi = b1 * double(m[i]) + (1 - b1) * g;
    const double vi = b2 * double(v[i]) + (1 - b2) * g * g;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    const double m_hat = mi / correction1, v_hat = vi / correction2;
    w[i] = static_cast<float>(double(w[i]) - lr * m_hat / (std::sqrt(v_hat) + eps));
  }
}

// The fused overloads: the checks of the SIMD ones, then each parameter alone
// (qualified: ADL would also find the SIMD kernels through the config type).
void sgd_update(std::span<const ParameterArrays> parameters, const SgdConfig& config) {
  detail::check_config("reference::sgd_update", config);
  detail::check_parameters("reference::sgd_update", parameters, 0);
  for (const ParameterArrays& p : parameters) reference::sgd_update(p.w, p.dw, config);
}

void sgd_momentum_update(std::span<const ParameterArrays> parameters,
                         const SgdMomentumConfig& config) {
  detail::check_config("reference::sgd_momentum_update", config);
  detail::check_parameters("reference::sgd_momentum_update", parameters, 1);
  for (const ParameterArrays& p : parameters)
    reference::sgd_momentum_update(p.w, p.dw, p.state0, config);
}

void nesterov_update(std::span<const ParameterArrays> parameters, const NesterovConfig& config) {
  detail::check_config("reference::nesterov_update", config);
  detail::check_parameters("reference::nesterov_update", parameters, 1);
  for (const ParameterArrays& p : parameters)
    reference::nesterov_update(p.w, p.dw, p.state0, config);
}

void rmsprop_update(std::span<const ParameterArrays> parameters, const RmspropConfig& config) {
  detail::check_config("reference::rmsprop_update", config);
  detail::check_parameters("reference::rmsprop_update", parameters, 1);
  for (const ParameterArrays& p : parameters)
    reference::rmsprop_update(p.w, p.dw, p.state0, config);
}

void adam_update(std::span<const ParameterArrays> parameters, const AdamConfig& config,
                 int64_t t) {
  detail::check_config("reference::adam_update", config, t);
  detail::check_parameters("reference::adam_update", parameters, 2);
  for (const ParameterArrays& p : parameters)
    reference::adam_update(p.w, p.dw, p.state0, p.state1, config, t);
}

}  // namespace simdnet::kernels::reference
