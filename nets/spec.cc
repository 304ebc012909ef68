// NetSpec validation: every error names the field, its value and what was
// expected, so the CLI can pass the message on unchanged.
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

#include "simdnet/nets/network.h"
#include "simdnet/nets/streams.h"

namespace simdnet::nets {

namespace {
template <class V>
[[noreturn]] void reject(const std::string& field, const V& value, const std::string& expected) {
  std::ostringstream message;
  message << "NetSpec." << field << " = " << value << ": " << expected;
  throw std::invalid_argument(message.str());
}
}  // namespace

void validate_net_spec(const NetSpec& spec) {
  if (spec.input_dim == 0) reject("input_dim", 0, "expected > 0 (features per example)");
  if (spec.hidden_dims.empty()) {
    reject("hidden_dims", "[]", "expected at least one hidden layer");
  }
  if (spec.hidden_dims.size() > streams::kMaxDropoutLayers) {
    reject("hidden_dims", std::to_string(spec.hidden_dims.size()) + " layers",
           "expected at most " + std::to_string(streams::kMaxDropoutLayers) + " hidden layers");
  }
  for (size_t l = 0; l < spec.hidden_dims.size(); ++l) {
    if (spec.hidden_dims[l] == 0) {
      reject("hidden_dims[" + std::to_string(l) + "]", 0, "expected > 0 units");
    }
  }
  if (spec.num_classes < 2) reject("num_classes", spec.num_classes, "expected >= 2");
  if (!(spec.dropout >= 0.0f && spec.dropout < 1.0f)) {
    reject("dropout", spec.dropout, "the drop probability p must be in [0, 1)");
  }
  if (!(std::isfinite(spec.l2) && spec.l2 >= 0.0f)) {
    reject("l2", spec.l2, "expected finite and >= 0");
  }
  if (spec.init == Init::kWeightScale &&
      !(std::isfinite(spec.weight_scale) && spec.weight_scale > 0.0f)) {
    reject("weight_scale", spec.weight_scale, "expected finite and > 0 with Init::kWeightScale");
  }
  if (spec.init != Init::kWeightScale && spec.init != Init::kHe && spec.init != Init::kXavier) {
    reject("init", static_cast<int>(spec.init), "expected kWeightScale, kHe or kXavier");
  }
}

}  // namespace simdnet::nets
