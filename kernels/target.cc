// Reports the Highway target chosen by dynamic dispatch: a function exported
// per target that returns its own HWY_TARGET, dispatched like any kernel.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/target.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
int64_t CompiledTarget() { return HWY_TARGET; }
}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "simdnet/kernels/target.h"

namespace simdnet::kernels {
HWY_EXPORT(CompiledTarget);

const char* active_target_name() {
  return hwy::TargetName(HWY_DYNAMIC_DISPATCH(CompiledTarget)());
}
}  // namespace simdnet::kernels
#endif  // HWY_ONCE
