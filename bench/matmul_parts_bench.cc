// Where a matmul's time goes, on one thread: the whole call, then its parts
// run alone on the same problem, each as the GFLOP/s the whole product would
// reach if that part were all there is (2·M·N·K ÷ the part's time). So a
// part's share of the whole call's time is  whole ÷ part:
//
//   matmul_parts/whole/<shape>        kernels::matmul
//   matmul_parts/micro_kernels/<shape> the tile loops and micro-kernels on
//                                     panels already packed (no packing)
//   matmul_parts/pack_a/<shape>       packing op(A), every k block
//   matmul_parts/pack_b/<shape>       packing op(B) (the panels not read in place)
//   matmul_parts/micro_kernel_hot/... the micro-kernel alone on panels that
//                                     stay in L1/L2: its ceiling
//
// micro_kernel_hot ÷ matmul_bench's fma_peak is how close the register-blocked
// inner loop comes to the FMA units' limit with its data in cache; the packing shares are
// what the data movement around them costs. The parts do not quite add up to
// the whole: a part run alone finds caches the whole call would have shared.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/matmul_parts_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/matmul-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::bench::HWY_NAMESPACE {
namespace K = simdnet::kernels::HWY_NAMESPACE;
using kernels::detail::MatmulProblem;
using MatmulWorkspace = kernels::detail::ScratchBuffer<float>;  // a part's packing buffer

// part 0: the whole call; 1: micro-kernels only (on what `workspace` holds
// from an earlier whole call); 2: packing op(A); 3: packing op(B).
void RunMatmulPart(const MatmulProblem& pr, MatmulWorkspace& workspace, int part) {
  if (part <= 1) {
    return K::MatmulBlocked(pr, workspace.reserve(K::MatmulPackedFloats(pr)), /*pack=*/part == 0);
  }
  const K::MatmulBlocking bl = K::PlanMatmul(pr.m, pr.n, pr.k);
  const size_t first_b = K::FirstPackedBPanel(pr);
  float* const dst = workspace.reserve(
      std::max(bl.m_panels * K::kMatmulMr, bl.n_panels * K::kMatmulNr) * std::max<size_t>(1, bl.kc));
  for (size_t blk = 0; blk < bl.k_blocks; ++blk) {
    if (part == 2) {
      K::PackAPanels(pr, bl, blk, 0, bl.m_panels, dst);
    } else {
      K::PackBPanels(pr, bl, blk, first_b, bl.n_panels, dst);
    }
  }
}

// The micro-kernel's ceiling: C (+)= the 16 A panels × 8 B panels of one
// MC × NC tile at kc = 256 (128 KB of A and 384 KB of B panels: the L2 blocks
// of matmul-inl.h), over and over, so that the panels stay in cache. Returns
// the FLOPs of one call.
double HotMicroKernels(float* a, float* b, float* c) {
  constexpr size_t kc = 256, a_panels = 16, b_panels = 8;
  constexpr size_t MR = K::kMatmulMr, NR = K::kMatmulNr, ldc = b_panels * NR;
  const K::PrefetchRegion none[2];
  for (size_t p = 0; p < a_panels; ++p) {
    for (size_t q = 0; q < b_panels; ++q) {
      K::PrefetchCursor prefetch(none, 0, 0);
      const K::TileStore out{c + p * MR * ldc + q * NR, ldc, MR, NR, true, nullptr, false,
                             nullptr, 0};
      K::MicroKernelForTile(a + p * kc * MR, K::BPanel{b + q * kc * NR, NR}, kc, out, prefetch, 0);
    }
  }
  return 2.0 * double(a_panels * MR) * double(b_panels * NR) * double(kc);
}

size_t HotMicroKernelFloats(int which) {  // 0: A panels, 1: B panels, 2: C
  constexpr size_t kc = 256, MR = K::kMatmulMr, NR = K::kMatmulNr;
  return which == 0 ? 16 * MR * kc : which == 1 ? 8 * NR * kc : 16 * MR * 8 * NR;
}

}  // namespace simdnet::bench::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <memory>
#include <string>

#include "kernels/matmul_internal.h"
#include "kernels/scratch.h"

#include "simdnet/kernels/matmul.h"
#include "simdnet/kernels/parallel.h"
#include "support/bench_util.h"
#include "support/shapes.h"

namespace simdnet::bench {
HWY_EXPORT(RunMatmulPart);
HWY_EXPORT(HotMicroKernels);
HWY_EXPORT(HotMicroKernelFloats);

namespace {

using kernels::detail::MatmulProblem;
using MatmulWorkspace = kernels::detail::ScratchBuffer<float>;  // a part's packing buffer

void register_parts(const MatmulShape& s) {
  using kernels::MatmulForm;
  const bool ta = s.form == MatmulForm::kTN, tb = s.form == MatmulForm::kNT;
  auto a = std::make_shared<kernels::Matrix>(filled(ta ? s.k : s.m, ta ? s.m : s.k, 1));
  auto b = std::make_shared<kernels::Matrix>(filled(tb ? s.n : s.k, tb ? s.k : s.n, 2));
  auto c = std::make_shared<kernels::Matrix>(s.m, s.n);
  const MatmulProblem problem{s.form, a->data(), a->stride(), b->data(), b->stride(), c->data(),
                              c->stride(), s.m, s.n, s.k, false, nullptr, false, nullptr, 0};
  // One workspace per part, so that the micro-kernels' part finds the panels
  // of its own last whole call (register_rate's warm-up call makes one).
  const std::string shape = std::string(kernels::matmul_form_name(s.form)) + "_" +
                            std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                            std::to_string(s.k);
  const double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
  const char* names[] = {"whole", "micro_kernels", "pack_a", "pack_b"};
  for (int part = 0; part < 4; ++part) {
    auto workspace = std::make_shared<MatmulWorkspace>();
    register_rate("matmul_parts", names[part], shape, 1, {Unit::kGflops, flops},
                  [=, first = std::make_shared<bool>(true)] {
                    (void)a, (void)b, (void)c;  // the problem's matrices live as long as this
                    if (part == 1 && *first) {  // pack once, as the whole call does
                      HWY_DYNAMIC_DISPATCH(RunMatmulPart)(problem, *workspace, 0);
                      *first = false;
                    }
                    HWY_DYNAMIC_DISPATCH(RunMatmulPart)(problem, *workspace, part);
                  });
  }
}

void register_hot_micro_kernels() {
  auto floats = [](int which) { return HWY_DYNAMIC_DISPATCH(HotMicroKernelFloats)(which); };
  auto a = std::make_shared<kernels::Matrix>(filled(1, floats(0), 3));
  auto b = std::make_shared<kernels::Matrix>(filled(1, floats(1), 4));
  auto c = std::make_shared<kernels::Matrix>(filled(1, floats(2), 5));
  const double flops = HWY_DYNAMIC_DISPATCH(HotMicroKernels)(a->data(), b->data(), c->data());
  register_rate("matmul_parts", "micro_kernel_hot", "tile_in_L2", 1, {Unit::kGflops, flops}, [=] {
    HWY_DYNAMIC_DISPATCH(HotMicroKernels)(a->data(), b->data(), c->data());
  });
}

}  // namespace
}  // namespace simdnet::bench

int main(int argc, char** argv) {
  using namespace simdnet::bench;
  simdnet::kernels::set_thread_count(1);
  register_hot_micro_kernels();
  for (const auto& s : matmul_shapes()) register_parts(s);
  return run_benchmarks(argc, argv);
}
#endif  // HWY_ONCE
