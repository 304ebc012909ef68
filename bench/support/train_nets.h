// The nets issue 5 trains end to end, shared by train_step_bench and
// epoch_order (and mirrored by bench/peers/*_train.py, which take the same
// settings as flags from scripts/bench-compare):
//   MNIST 784-512-10, He init, SGD lr 0.1, batch 32 / 128 / 512;
//   CS231n's CIFAR-10 net [100]x5 + batchnorm + dropout (drop p = 0.25),
//   weight_scale 5e-2, SGD with momentum 0.9, lr 1e-2, batch 100.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "simdnet/nets/network.h"
#include "simdnet/nets/update_rule.h"

namespace simdnet::bench {

struct TrainNet {
  std::string dataset;  // "mnist" or "cifar10"
  nets::NetSpec spec;
  nets::UpdateConfig update;
  size_t batch;
  // Benchmark shape name: b<batch>_<in>-<hidden...>-<classes>, e.g. b128_784-512-10.
  std::string shape() const {
    std::string s = "b" + std::to_string(batch) + "_" + std::to_string(spec.input_dim);
    for (size_t h : spec.hidden_dims) s += "-" + std::to_string(h);
    return s + "-" + std::to_string(spec.num_classes);
  }
};

inline std::vector<TrainNet> train_nets() {
  std::vector<TrainNet> nets;
  for (size_t batch : {32, 128, 512}) {
    nets::NetSpec spec{.input_dim = 784, .hidden_dims = {512}, .init = nets::Init::kHe, .seed = 1};
    nets.push_back({"mnist", spec, {.rule = nets::UpdateRule::kSgd, .learning_rate = 0.1f}, batch});
  }
  nets::NetSpec cifar{.input_dim = 3072,
                      .hidden_dims = {100, 100, 100, 100, 100},
                      .batchnorm = true,
                      .dropout = 0.25f,
                      .init = nets::Init::kWeightScale,
                      .weight_scale = 5e-2f,
                      .seed = 1};
  nets.push_back(
      {"cifar10", cifar, {.rule = nets::UpdateRule::kSgdMomentum, .learning_rate = 1e-2f}, 100});
  return nets;
}

}  // namespace simdnet::bench
