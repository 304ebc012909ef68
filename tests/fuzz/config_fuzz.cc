// libFuzzer target: the TOML experiment config (experiments/config.h, toml++).
// Each input is parsed in both profiles; a config that parses has every grid
// point's settings built and resolved for a 1000-example training set, as
// `simdnet experiment` does. A ConfigError is the parser's answer to a bad
// config; anything else (another exception, a sanitizer report) is a bug.
#include <string_view>

#include "simdnet/experiments/config.h"

namespace ex = simdnet::experiments;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (ex::Profile profile : {ex::Profile::kFull, ex::Profile::kQuick}) {
    try {
      const ex::ExperimentConfig config = ex::parse_experiment_config(text, "fuzz.toml", profile);
      if (config.axes.empty() || config.axes.size() > 2 || config.seeds.size() < 3)
        __builtin_trap();
      for (const ex::GridPoint& point : ex::grid_points(config)) {
        ex::RunSettings settings = ex::settings_for(config, point);
        ex::resolve_for_data(settings, 1000);
        if (settings.solver.batch_size == 0 || settings.solver.num_epochs == 0) __builtin_trap();
        (void)point.label(config.axes);
      }
      (void)ex::resolved_text(config);
    } catch (const ex::ConfigError&) {
    }
  }
  return 0;
}
