// Update rules: Highway dispatch + fixed element blocks on the thread pool.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/optimizer.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/optimizer-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {

// One exported function per rule; weight_decay == 0 takes the kDecay = false body.
void Sgd(float* w, const float* dw, size_t n, float lr, float weight_decay) {
  if (weight_decay != 0) {
    SgdBlock<true>(w, dw, n, lr, weight_decay);
  } else {
    SgdBlock<false>(w, dw, n, lr, 0);
  }
}

void Momentum(float* w, const float* dw, float* velocity, size_t n, float lr, float mu,
              float weight_decay) {
  if (weight_decay != 0) {
    MomentumBlock<true>(w, dw, velocity, n, lr, mu, weight_decay);
  } else {
    MomentumBlock<false>(w, dw, velocity, n, lr, mu, 0);
  }
}

void Nesterov(float* w, const float* dw, float* velocity, size_t n, float lr, float mu,
              float weight_decay) {
  if (weight_decay != 0) {
    NesterovBlock<true>(w, dw, velocity, n, lr, mu, weight_decay);
  } else {
    NesterovBlock<false>(w, dw, velocity, n, lr, mu, 0);
  }
}

void Rmsprop(float* w, const float* dw, float* cache, size_t n, float lr, float decay,
             float one_minus_decay, float eps, float weight_decay) {
  if (weight_decay != 0) {
    RmspropBlock<true>(w, dw, cache, n, lr, decay, one_minus_decay, eps, weight_decay);
  } else {
    RmspropBlock<false>(w, dw, cache, n, lr, decay, one_minus_decay, eps, 0);
  }
}

void Adam(float* w, const float* dw, float* m, float* v, size_t n, float lr, float b1,
          float one_minus_b1, float b2, float one_minus_b2, float inv_correction1,
          float inv_correction2, float eps, float weight_decay) {
  if (weight_decay != 0) {
    AdamBlock<true>(w, dw, m, v, n, lr, b1, one_minus_b1, b2, one_minus_b2, inv_correction1,
                    inv_correction2, eps, weight_decay);
  } else {
    AdamBlock<false>(w, dw, m, v, n, lr, b1, one_minus_b1, b2, one_minus_b2, inv_correction1,
                     inv_correction2, eps, 0);
  }
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kernels/shape_check.h"
#include "simdnet/kernels/optimizer.h"
#include "simdnet/kernels/parallel.h"

namespace simdnet::kernels {
HWY_EXPORT(Sgd);
HWY_EXPORT(Momentum);
HWY_EXPORT(Nesterov);
HWY_EXPORT(Rmsprop);
HWY_EXPORT(Adam);

namespace detail {
namespace {

// The shortest text that reads back as the same float: 0.001f prints as 0.001.
std::string format(float value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof(text), value).ptr;
  return std::string(text, end);
}

[[noreturn]] void fail(const char* kernel, const char* name, float value, const char* expected) {
  throw std::invalid_argument(std::string(kernel) + ": " + name + " = " + format(value) +
                              "; expected " + expected);
}

void check_positive(const char* kernel, const char* name, float value) {
  if (!(std::isfinite(value) && value > 0)) fail(kernel, name, value, "a finite value > 0");
}
void check_non_negative(const char* kernel, const char* name, float value) {
  if (!(std::isfinite(value) && value >= 0)) fail(kernel, name, value, "a finite value >= 0");
}
void check_unit_interval(const char* kernel, const char* name, float value) {
  if (!(value >= 0 && value < 1)) fail(kernel, name, value, "a value in [0, 1)");
}

}  // namespace

void check_config(const char* kernel, const SgdConfig& config) {
  check_positive(kernel, "learning_rate", config.learning_rate);
  check_non_negative(kernel, "weight_decay", config.weight_decay);
}
void check_config(const char* kernel, const SgdMomentumConfig& config) {
  check_positive(kernel, "learning_rate", config.learning_rate);
  check_unit_interval(kernel, "momentum", config.momentum);
  check_non_negative(kernel, "weight_decay", config.weight_decay);
}
void check_config(const char* kernel, const RmspropConfig& config) {
  check_positive(kernel, "learning_rate", config.learning_rate);
  check_unit_interval(kernel, "decay_rate", config.decay_rate);
  check_positive(kernel, "epsilon", config.epsilon);
  check_non_negative(kernel, "weight_decay", config.weight_decay);
}
void check_config(const char* kernel, const AdamConfig& config, int64_t t) {
  check_positive(kernel, "learning_rate", config.learning_rate);
  check_unit_interval(kernel, "beta1", config.beta1);
  check_unit_interval(kernel, "beta2", config.beta2);
  check_positive(kernel, "epsilon", config.epsilon);
  check_non_negative(kernel, "weight_decay", config.weight_decay);
  if (t < 1) {
    throw std::invalid_argument(std::string(kernel) + ": t = " + std::to_string(t) +
                                "; expected the step number, counted from 1");
  }
}

void check_parameters(const char* kernel, std::span<const ParameterArrays> parameters,
                      int states) {
  // The state arrays' names, as the single-array overloads call them. Nothing
  // here allocates unless it throws: the check runs on every training step.
  const std::string_view k(kernel);
  const char* name0 =
      k.ends_with("adam_update") ? "m" : k.ends_with("rmsprop_update") ? "cache" : "velocity";
  for (size_t i = 0; i < parameters.size(); ++i) {
    const ParameterArrays& p = parameters[i];
    auto check = [&](const char* name, size_t got) {
      if (got == p.w.size()) return;
      throw std::invalid_argument(std::string(k) + ": parameter " + std::to_string(i) + ": " +
                                  name + " has " + std::to_string(got) + " elements; expected " +
                                  std::to_string(p.w.size()));
    };
    check("dw", p.dw.size());
    if (states >= 1) check(name0, p.state0.size());
    if (states >= 2) check("v", p.state1.size());
  }
}

}  // namespace detail

namespace {

// Fixed blocks of elements, independent of the thread count.
constexpr size_t kBlock = 16384;

// The fused overloads' blocks: the parameters' arrays laid end to end, cut
// into kBlock elements of that concatenation. body(p, i, n) runs on elements
// [i, i + n) of parameters[p], for each piece of a block, in order.
template <class Body>
void for_each_fused_block(std::span<const ParameterArrays> parameters, const Body& body) {
  size_t total = 0;
  for (const ParameterArrays& p : parameters) total += p.w.size();
  parallel_for(block_count(total, kBlock), [&](size_t b) {
    const size_t begin = b * kBlock, end = std::min(total, begin + kBlock);
    // start: the parameter's first element in the concatenation (a linear
    // walk: a net has tens of parameters, a block's work is 16K elements).
    size_t start = 0;
    for (size_t p = 0; p < parameters.size() && start < end; ++p) {
      const size_t stop = start + parameters[p].w.size();
      if (stop > begin) {
        const size_t lo = std::max(begin, start), hi = std::min(end, stop);
        if (hi > lo) body(parameters[p], lo - start, hi - lo);
      }
      start = stop;
    }
  });
}

}  // namespace

// The single-array updates: their own checks (messages without a parameter
// index), then the fused update on a one-parameter list, whose blocks are then
// exactly the fixed kBlock blocks of that array.
void sgd_update(std::span<float> w, std::span<const float> dw, const SgdConfig& config) {
  detail::check_config("sgd_update", config);
  detail::check_length("sgd_update", "dw", dw.size(), w.size());
  const ParameterArrays one{w, dw, {}, {}};
  sgd_update(std::span<const ParameterArrays>(&one, 1), config);
}

void sgd_momentum_update(std::span<float> w, std::span<const float> dw,
                         std::span<float> velocity, const SgdMomentumConfig& config) {
  detail::check_config("sgd_momentum_update", config);
  detail::check_length("sgd_momentum_update", "dw", dw.size(), w.size());
  detail::check_length("sgd_momentum_update", "velocity", velocity.size(), w.size());
  const ParameterArrays one{w, dw, velocity, {}};
  sgd_momentum_update(std::span<const ParameterArrays>(&one, 1), config);
}

void nesterov_update(std::span<float> w, std::span<const float> dw, std::span<float> velocity,
                     const NesterovConfig& config) {
  detail::check_config("nesterov_update", config);
  detail::check_length("nesterov_update", "dw", dw.size(), w.size());
  detail::check_length("nesterov_update", "velocity", velocity.size(), w.size());
  const ParameterArrays one{w, dw, velocity, {}};
  nesterov_update(std::span<const ParameterArrays>(&one, 1), config);
}

void rmsprop_update(std::span<float> w, std::span<const float> dw, std::span<float> cache,
                    const RmspropConfig& config) {
  detail::check_config("rmsprop_update", config);
  detail::check_length("rmsprop_update", "dw", dw.size(), w.size());
  detail::check_length("rmsprop_update", "cache", cache.size(), w.size());
  const ParameterArrays one{w, dw, cache, {}};
  rmsprop_update(std::span<const ParameterArrays>(&one, 1), config);
}

void adam_update(std::span<float> w, std::span<const float> dw, std::span<float> m,
                 std::span<float> v, const AdamConfig& config, int64_t t) {
  detail::check_config("adam_update", config, t);
  detail::check_length("adam_update", "dw", dw.size(), w.size());
  detail::check_length("adam_update", "m", m.size(), w.size());
  detail::check_length("adam_update", "v", v.size(), w.size());
  const ParameterArrays one{w, dw, m, v};
  adam_update(std::span<const ParameterArrays>(&one, 1), config, t);
}

void sgd_update(std::span<const ParameterArrays> parameters, const SgdConfig& config) {
  detail::check_config("sgd_update", config);
  detail::check_parameters("sgd_update", parameters, 0);
  for_each_fused_block(parameters, [&](const ParameterArrays& p, size_t i, size_t n) {
    HWY_DYNAMIC_DISPATCH(Sgd)(p.w.data() + i, p.dw.data() + i, n, config.learning_rate,
                              config.weight_decay);
  });
}

void sgd_momentum_update(std::span<const ParameterArrays> parameters,
                         const SgdMomentumConfig& config) {
  detail::check_config("sgd_momentum_update", config);
  detail::check_parameters("sgd_momentum_update", parameters, 1);
  for_each_fused_block(parameters, [&](const ParameterArrays& p, size_t i, size_t n) {
    HWY_DYNAMIC_DISPATCH(Momentum)(p.w.data() + i, p.dw.data() + i, p.state0.data() + i, n,
                                   config.learning_rate, config.momentum, config.weight_decay);
  });
}

void nesterov_update(std::span<const ParameterArrays> parameters, const NesterovConfig& config) {
  detail::check_config("nesterov_update", config);
  detail::check_parameters("nesterov_update", parameters, 1);
  for_each_fused_block(parameters, [&](const ParameterArrays& p, size_t i, size_t n) {
    HWY_DYNAMIC_DISPATCH(Nesterov)(p.w.data() + i, p.dw.data() + i, p.state0.data() + i, n,
                                   config.learning_rate, config.momentum, config.weight_decay);
  });
}

void rmsprop_update(std::span<const ParameterArrays> parameters, const RmspropConfig& config) {
  detail::check_config("rmsprop_update", config);
  detail::check_parameters("rmsprop_update", parameters, 1);
  const float one_minus_decay = static_cast<float>(1.0 - double(config.decay_rate));
  for_each_fused_block(parameters, [&](const ParameterArrays& p, size_t i, size_t n) {
    HWY_DYNAMIC_DISPATCH(Rmsprop)(p.w.data() + i, p.dw.data() + i, p.state0.data() + i, n,
                                  config.learning_rate, config.decay_rate, one_minus_decay,
                                  config.epsilon, config.weight_decay);
  });
}

void adam_update(std::span<const ParameterArrays> parameters, const AdamConfig& config,
                 int64_t t) {
  detail::check_config("adam_update", config, t);
  detail::check_parameters("adam_update", parameters, 2);
  // Per-call scalars in double: 1 - beta and the bias corrections 1 / (1 - beta^t).
  const double b1 = config.beta1, b2 = config.beta2;
  const float one_minus_b1 = static_cast<float>(1.0 - b1);
  const float one_minus_b2 = static_cast<float>(1.0 - b2);
  const float inv_correction1 = static_cast<float>(1.0 / (1.0 - std::pow(b1, double(t))));
  const float inv_correction2 = static_cast<float>(1.0 / (1.0 - std::pow(b2, double(t))));
  for_each_fused_block(parameters, [&](const ParameterArrays& p, size_t i, size_t n) {
    HWY_DYNAMIC_DISPATCH(Adam)(p.w.data() + i, p.dw.data() + i, p.state0.data() + i,
                               p.state1.data() + i, n, config.learning_rate, config.beta1,
                               one_minus_b1, config.beta2, one_minus_b2, inv_correction1,
                               inv_correction2, config.epsilon, config.weight_decay);
  });
}

}  // namespace simdnet::kernels
#endif  // HWY_ONCE
