// matmul: simdnet vs the scalar reference vs OpenBLAS (cblas_sgemm), GFLOP/s
// = 2·M·N·K per call, on the nets' shapes (each forward and its two backward
// forms) and squares; plus the FMA peak of this machine ("fma_peak"), so a
// matmul rate can be read as a fraction of peak.
//
// OpenBLAS runs with as many threads as simdnet (openblas_set_num_threads).
// It reads OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when it loads, so the caller
// sets or unsets them (scripts/main unsets them); the kernel set OpenBLAS
// picked is recorded in the benchmark context as "openblas_core".
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
#include <cctype>
#include <memory>
#include <string>

#include "simdnet/kernels/matmul.h"
#include "simdnet/kernels/parallel.h"
#include "support/bench_util.h"
#include "support/shapes.h"

#ifdef SIMDNET_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace simdnet::bench {
HWY_EXPORT(FmaPeak);
HWY_EXPORT(FmaLanesPerStep);

namespace {

using kernels::MatmulForm;

struct MatmulShape {
  MatmulForm form;
  size_t m, n, k;
};

#ifdef SIMDNET_HAVE_OPENBLAS
std::string openblas_impl_name() {
  std::string name = std::string("openblas-") + openblas_get_corename();
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return name;
}
#endif

std::string kernel_name(MatmulForm form) {
  return std::string("matmul_") + (form == MatmulForm::kNN ? "nn"
                                   : form == MatmulForm::kTN ? "tn"
                                                             : "nt");
}

void register_matmul(const MatmulShape& s) {
  const bool ta = s.form == MatmulForm::kTN, tb = s.form == MatmulForm::kNT;
  auto a = std::make_shared<kernels::Matrix>(filled(ta ? s.k : s.m, ta ? s.m : s.k, 1));
  auto b = std::make_shared<kernels::Matrix>(filled(tb ? s.n : s.k, tb ? s.k : s.n, 2));
  auto c = std::make_shared<kernels::Matrix>(s.m, s.n);
  const double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
  const std::string kernel = kernel_name(s.form);
  const std::string shape = std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                            std::to_string(s.k);
  const MatmulForm form = s.form;
  for (int t : bench_threads()) {
    register_rate(kernel, "simd", shape, t, {Unit::kGflops, flops},
                  [=] { kernels::matmul(form, a->view(), b->view(), c->view()); });
    // The reference takes about 1 ns per multiply-add: small shapes only.
    if (flops <= 2.5e8) {
      register_rate(kernel, "reference", shape, t, {Unit::kGflops, flops},
                    [=] { kernels::reference::matmul(form, a->view(), b->view(), c->view()); });
    }
#ifdef SIMDNET_HAVE_OPENBLAS
    // Named by the kernel set OpenBLAS chose (e.g. openblas-prescott,
    // openblas-skylakex): which one it picks depends on OPENBLAS_CORETYPE and on
    // whether it recognizes the CPU, and the two differ by 5x.
    register_rate(kernel, openblas_impl_name(), shape, t, {Unit::kGflops, flops}, [=] {
      openblas_set_num_threads(t);
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                  int(s.m), int(s.n), int(s.k), 1.0f, a->data(), int(a->stride()), b->data(),
                  int(b->stride()), 0.0f, c->data(), int(c->stride()));
    });
#endif
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
#ifdef SIMDNET_HAVE_OPENBLAS
  benchmark::AddCustomContext("openblas_core", openblas_get_corename());
#endif
  register_fma_peak();
  const MatmulShape shapes[] = {
      // MNIST-sized affine layer at batch 128: forward x·W, dW = xᵀ·dout, dx = dout·Wᵀ.
      {MatmulForm::kNN, 128, 512, 784},
      {MatmulForm::kTN, 784, 512, 128},
      {MatmulForm::kNT, 128, 784, 512},
      // CIFAR-10 input layer at batch 100, 100 hidden units.
      {MatmulForm::kNN, 100, 100, 3072},
      {MatmulForm::kTN, 3072, 100, 100},
      {MatmulForm::kNT, 100, 3072, 100},
      // A wide CIFAR-10 layer at batch 256.
      {MatmulForm::kNN, 256, 1024, 3072},
      {MatmulForm::kTN, 3072, 1024, 256},
      {MatmulForm::kNT, 256, 3072, 1024},
      // Squares.
      {MatmulForm::kNN, 256, 256, 256},
      {MatmulForm::kNN, 512, 512, 512},
      {MatmulForm::kNN, 1024, 1024, 1024},
      {MatmulForm::kNN, 2048, 2048, 2048},
  };
  for (const auto& s : shapes) register_matmul(s);
  return run_benchmarks(argc, argv);
}
#endif  // HWY_ONCE
