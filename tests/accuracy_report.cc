// The accuracy report (benchdnn's correctness mode is the model): every kernel
// x every Highway target this CPU supports x every shape, against the scalar
// reference. Prints one table row per (kernel, target, shape) with the maximum
// absolute and relative errors and the tolerance each is held to; exits 1 if
// any case is outside its tolerance.
//
//   build/release/tests/accuracy_report [--failures-only]
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "simdnet/kernels/target.h"
#include "support/accuracy.h"

int main(int argc, char** argv) {
  const bool failures_only = argc > 1 && std::strcmp(argv[1], "--failures-only") == 0;
  const auto cases = simdnet::test::all_accuracy_cases();
  std::map<std::string, std::string> why;  // tolerance justification per kernel
  size_t total = 0, failed = 0;

  std::printf("| %-26s | %-7s | %-24s | %10s | %10s | %-19s | %-4s |\n", "kernel", "target",
              "shape", "max abs", "max rel", "tolerance abs+rel", "ok");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|\n", std::string(28, '-').c_str(),
              std::string(9, '-').c_str(), std::string(26, '-').c_str(),
              std::string(12, '-').c_str(), std::string(12, '-').c_str(),
              std::string(21, '-').c_str(), std::string(6, '-').c_str());
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (const auto& c : cases) {
      const auto r = c.run();
      ++total;
      const bool ok = r.error.ok();
      failed += !ok;
      why[c.kernel] = r.tolerance.why;
      if (failures_only && ok) continue;
      std::printf("| %-26s | %-7s | %-24s | %10.3g | %10.3g | %8.1e + %8.1e | %-4s |\n",
                  c.kernel.c_str(), simdnet::kernels::active_target_name(), c.shape.c_str(),
                  r.error.max_abs, r.error.max_rel, r.tolerance.abs, r.tolerance.rel,
                  ok ? "ok" : "FAIL");
    }
  }
  hwy::SetSupportedTargetsForTest(0);

  std::printf("\nTolerances (an element passes if |got - ref| <= abs + rel * |ref|):\n");
  for (const auto& [kernel, reason] : why) std::printf("  %-26s %s\n", kernel.c_str(), reason.c_str());
  std::printf("\naccuracy report: %zu cases, %zu outside tolerance, targets:", total, failed);
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) std::printf(" %s", hwy::TargetName(target));
  std::printf("\n");
  return failed == 0 ? 0 : 1;
}
