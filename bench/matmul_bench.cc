// matmul: simdnet vs the scalar reference vs the peers (OpenBLAS, oneDNN
// sgemm and matmul primitive, BLIS: support/gemm_peers.h), GFLOP/s = 2·M·N·K
// per call, on the nets' shapes (each forward and its two backward forms) and
// squares (support/shapes.h); plus the FMA peak of this machine ("fma_peak"),
// so a matmul rate can be read as a fraction of peak.
//
// Every peer runs with as many threads as simdnet, and its product is checked
// against simdnet's once per shape and thread count before any timing (a peer
// misconfigured into computing something else would otherwise look fast).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/matmul_bench.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::bench::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// FMAs on independent accumulators, as many as the register file holds beside
// two constants: acc = acc·x + y, steps times. Returns a sum so nothing is
// optimized away. FLOPs: steps · accumulators · lanes · 2.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
inline constexpr size_t kFmaAccumulators = 30;
#else
inline constexpr size_t kFmaAccumulators = 14;
#endif

size_t FmaLanesPerStep() { return hn::Lanes(hn::ScalableTag<float>()) * kFmaAccumulators; }

float FmaPeak(size_t steps) {
  const hn::ScalableTag<float> d;
  const auto x = hn::Set(d, 0.999999f), y = hn::Set(d, 1e-7f);
  hn::Vec<decltype(d)> acc[kFmaAccumulators];
  for (size_t i = 0; i < kFmaAccumulators; ++i) acc[i] = hn::Set(d, float(i));
  for (size_t s = 0; s < steps; ++s) {
    HWY_UNROLL(32)
    for (size_t i = 0; i < kFmaAccumulators; ++i) acc[i] = hn::MulAdd(acc[i], x, y);
  }
  for (size_t i = 1; i < kFmaAccumulators; ++i) acc[0] = hn::Add(acc[0], acc[i]);
  return hn::GetLane(acc[0]);
}

}  // namespace simdnet::bench::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "simdnet/kernels/matmul.h"
#include "simdnet/kernels/parallel.h"
#include "support/bench_util.h"
#include "support/gemm_peers.h"
#include "support/shapes.h"

namespace simdnet::bench {
HWY_EXPORT(FmaPeak);
HWY_EXPORT(FmaLanesPerStep);

namespace {

using kernels::MatmulForm;

// Exits with a message unless the peer's C equals simdnet's: inputs are in
// [-1, 1), so |c| <= k and float rounding of a k-term dot product differs
// between two orders by at most ~k·2^-24·k in the worst case; typical
// differences are ~sqrt(k)·2^-24·sqrt(k). 1e-5·k leaves room for the typical
// case (3e-2 at k = 3072, against observed ~1e-4) and catches any wrong
// transpose or stride (errors of order sqrt(k) >= 10).
void check_same_product(const std::string& peer, const std::string& shape,
                        const kernels::Matrix& want, const kernels::Matrix& got, size_t k) {
  double worst = 0;
  for (size_t i = 0; i < want.rows(); ++i)
    for (size_t j = 0; j < want.cols(); ++j)
      worst = std::max(worst, std::fabs(double(want.data()[i * want.stride() + j]) -
                                        double(got.data()[i * got.stride() + j])));
  if (!(worst <= 1e-5 * double(k))) {
    std::fprintf(stderr,
                 "matmul_bench: peer %s at shape %s differs from simdnet by %g (expected <= %g):"
                 " the peer is misconfigured\n",
                 peer.c_str(), shape.c_str(), worst, 1e-5 * double(k));
    std::exit(1);
  }
}

std::string kernel_name(MatmulForm form) {
  return std::string("matmul_") + (form == MatmulForm::kNN ? "nn"
                                   : form == MatmulForm::kTN ? "tn"
                                                             : "nt");
}

void register_matmul(const MatmulShape& s, const std::vector<GemmPeer>& peers) {
  const bool ta = s.form == MatmulForm::kTN, tb = s.form == MatmulForm::kNT;
  auto a = std::make_shared<kernels::Matrix>(filled(ta ? s.k : s.m, ta ? s.m : s.k, 1));
  auto b = std::make_shared<kernels::Matrix>(filled(tb ? s.n : s.k, tb ? s.k : s.n, 2));
  auto c = std::make_shared<kernels::Matrix>(s.m, s.n);
  const double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
  const std::string kernel = kernel_name(s.form);
  const std::string shape = std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                            std::to_string(s.k);
  const MatmulForm form = s.form;
  // simdnet's product, computed when the first peer of this shape runs: only
  // the benchmarks a filter selects pay for their checks.
  auto want = std::make_shared<kernels::Matrix>(0, 0);
  for (int t : bench_threads()) {
    register_rate(kernel, "simd", shape, t, {Unit::kGflops, flops},
                  [=] { kernels::matmul(form, a->view(), b->view(), c->view()); });
    // The reference takes about 1 ns per multiply-add: small shapes only.
    if (flops <= 2.5e8) {
      register_rate(kernel, "reference", shape, t, {Unit::kGflops, flops},
                    [=] { kernels::reference::matmul(form, a->view(), b->view(), c->view()); });
    }
    const GemmProblem problem{ta, tb, s.m, s.n, s.k, a->data(), a->stride(), b->data(),
                              b->stride(), c->data(), c->stride(), t};
    for (const GemmPeer& peer : peers) {
      auto call = peer.prepare(problem);
      // The first call is register_rate's untimed warm-up: it checks the product.
      auto checked = std::make_shared<bool>(false);
      register_rate(kernel, peer.name, shape, t, {Unit::kGflops, flops},
                    [=, name = peer.name] {
                      call();
                      if (*checked) return;
                      if (want->rows() == 0) {
                        *want = kernels::Matrix(s.m, s.n);
                        kernels::matmul(form, a->view(), b->view(), want->view());
                        call();  // c again holds the peer's product
                      }
                      check_same_product(name, shape, *want, *c, s.k);
                      *checked = true;
                    });
    }
  }
}

// FmaPeak on t threads (4 blocks per thread, so that a late worker does not
// leave one thread with all the work): the machine's FMA roof at t threads.
void register_fma_peak() {
  constexpr size_t kSteps = 1 << 14, kBlocksPerThread = 4;
  const double lanes = double(HWY_DYNAMIC_DISPATCH(FmaLanesPerStep)());
  const double flops_per_block = 2.0 * double(kSteps) * lanes;
  for (int t : bench_threads()) {
    const size_t blocks = kBlocksPerThread * size_t(t);
    register_rate("fma_peak", "simd", "regs", t, {Unit::kGflops, flops_per_block * double(blocks)},
                  [blocks] {
                    kernels::parallel_for(blocks, [](size_t) {
                      benchmark::DoNotOptimize(HWY_DYNAMIC_DISPATCH(FmaPeak)(kSteps));
                    });
                  });
  }
}

}  // namespace
}  // namespace simdnet::bench

int main(int argc, char** argv) {
  using namespace simdnet::bench;
  const std::vector<GemmPeer> peers = gemm_peers();
  std::string names;
  for (const auto& p : peers) names += (names.empty() ? "" : ",") + p.name;
  benchmark::AddCustomContext("matmul_peers", names);
  register_fma_peak();
  for (const auto& s : matmul_shapes()) register_matmul(s, peers);
  return run_benchmarks(argc, argv);
}
#endif  // HWY_ONCE
