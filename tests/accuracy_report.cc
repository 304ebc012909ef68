// The accuracy report (benchdnn's correctness mode is the model): every kernel
// x every Highway target this CPU supports x every shape, against the scalar
// reference. By default one row per (kernel, target) summarizes its shapes: the
// largest absolute error, the largest relative error, and how much of its
// tolerance the worst element used (err / (abs + rel |ref|); <= 1 passes), with
// the shape where that happened. Exits 1 if any element of any case is outside
// its tolerance.
//
//   build/release/tests/accuracy_report             summary per kernel x target
//   build/release/tests/accuracy_report --shapes    one row per kernel x target x shape
//   build/release/tests/accuracy_report --failures  only the cases outside tolerance
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "hwy/highway.h"
#include "hwy/targets.h"
#include "simdnet/kernels/target.h"
#include "support/accuracy.h"

namespace {

using simdnet::test::CaseResult;

struct Row {
  std::string kernel, target, shape;  // shape: the worst one when summarizing
  size_t cases = 0, failed = 0;
  double max_abs = 0, max_rel = 0, used = 0;
};

void print_header() {
  std::printf("| %-26s | %-6s | %5s | %9s | %9s | %8s | %-24s | %-4s |\n", "kernel", "target",
              "cases", "max abs", "max rel", "tol used", "worst shape", "ok");
  std::printf("|----------------------------|--------|-------|-----------|-----------|----------|"
              "--------------------------|------|\n");
}

void print_row(const Row& r) {
  std::printf("| %-26s | %-6s | %5zu | %9.2e | %9.2e | %8.2g | %-24s | %-4s |\n", r.kernel.c_str(),
              r.target.c_str(), r.cases, r.max_abs, r.max_rel, r.used, r.shape.c_str(),
              r.failed ? "FAIL" : "ok");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (!mode.empty() && mode != "--shapes" && mode != "--failures") {
    std::fprintf(stderr, "accuracy_report: unknown option '%s'; expected --shapes or --failures\n",
                 mode.c_str());
    return 2;
  }
  const auto cases = simdnet::test::all_accuracy_cases();
  std::map<std::string, std::string> why;  // tolerance justification per kernel
  size_t total = 0, failed = 0;

  print_header();
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    const std::string target_name = simdnet::kernels::active_target_name();
    std::vector<Row> summary;            // one per kernel, in first-seen order
    std::map<std::string, size_t> index;  // kernel -> its row in summary
    for (const auto& c : cases) {
      const CaseResult r = c.run();
      const bool ok = r.error.ok();
      ++total;
      failed += !ok;
      why[c.kernel] = r.tolerance.why;
      const Row one{c.kernel, target_name, c.shape, 1, size_t{!ok}, r.error.max_abs,
                    r.error.max_rel, r.error.max_tolerance_used};
      if (mode == "--shapes" || (mode == "--failures" && !ok)) print_row(one);
      auto [it, added] = index.try_emplace(c.kernel, summary.size());
      if (added) summary.push_back({c.kernel, target_name, "", 0, 0, 0, 0, 0});
      Row& s = summary[it->second];
      s.cases += 1;
      s.failed += one.failed;
      s.max_abs = std::max(s.max_abs, one.max_abs);
      s.max_rel = std::max(s.max_rel, one.max_rel);
      if (one.used >= s.used) s.used = one.used, s.shape = one.shape;
    }
    if (mode.empty())
      for (const Row& s : summary) print_row(s);
  }
  hwy::SetSupportedTargetsForTest(0);

  std::printf("\nAn element passes if |got - ref| <= abs + rel * |ref|; 'tol used' is the largest\n"
              "|got - ref| / (abs + rel * |ref|) over all elements and shapes. Tolerances:\n");
  for (const auto& [kernel, reason] : why) std::printf("  %-26s %s\n", kernel.c_str(), reason.c_str());
  std::printf("\naccuracy report: %zu cases, %zu outside tolerance, targets:", total, failed);
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) std::printf(" %s", hwy::TargetName(target));
  std::printf("\n");
  return failed == 0 ? 0 : 1;
}
