// matmul: argument checks and Highway dispatch. The blocking, packing and the
// micro-kernel are per target, in matmul-inl.h and the files it includes.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/matmul.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/matmul-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
void Matmul(const detail::MatmulProblem& problem) { MatmulParallel(problem); }
}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/matmul_check.h"
#include "kernels/matmul_internal.h"
#include "simdnet/kernels/matmul.h"

namespace simdnet::kernels {
HWY_EXPORT(Matmul);

const char* matmul_form_name(MatmulForm form) {
  switch (form) {
    case MatmulForm::kNN: return "NN";
    case MatmulForm::kTN: return "TN";
    case MatmulForm::kNT: return "NT";
  }
  return "?";
}

void matmul(MatmulForm form, ConstMatrixView a, ConstMatrixView b, MatrixView c,
            const MatmulEpilogue& epilogue) {
  const auto d = detail::check_matmul("matmul", form, a, b, c, epilogue.bias.size());
  detail::check_relu_mask("matmul", form, c, epilogue.relu_mask);
  if (d.m == 0 || d.n == 0) return;
  const detail::MatmulProblem problem{form,
                                      a.data,
                                      a.stride,
                                      b.data,
                                      b.stride,
                                      c.data,
                                      c.stride,
                                      d.m,
                                      d.n,
                                      d.k,
                                      epilogue.accumulate,
                                      epilogue.bias.empty() ? nullptr : epilogue.bias.data(),
                                      epilogue.relu,
                                      epilogue.relu_mask.data,
                                      epilogue.relu_mask.stride};
  HWY_DYNAMIC_DISPATCH(Matmul)(problem);
}

}  // namespace simdnet::kernels
#endif  // HWY_ONCE
