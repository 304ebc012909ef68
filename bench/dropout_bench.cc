// Dropout forward/backward: SIMD vs reference vs the triad roof, GB/s.
// Bytes that must move: read the input, write the output (8 B/elem); the mask
// is computed from (seed, stream, index), never loaded. Dropout is the one
// memory-bound kernel with real arithmetic: one Philox4x32-10 block (20
// 32x32->64 multiplies) per four elements.
#include "simdnet/kernels/dropout.h"

#include "support/bench_util.h"
#include "support/shapes.h"

int main(int argc, char** argv) {
  using namespace simdnet;
  using bench::Unit;
  constexpr float kDrop = 0.5f;  // as p = 0.25, 0.75: no ties to resolve (see dropout.h)
  constexpr uint64_t kSeed = 42, kStream = 7;
  for (const auto& s : bench::memory_bound_shapes()) {
    auto x = std::make_shared<kernels::Matrix>(bench::filled(s.rows, s.cols, 1));
    auto y = std::make_shared<kernels::Matrix>(s.rows, s.cols);
    const double bytes = 8.0 * s.rows * s.cols;
    for (int t : bench::bench_threads()) {
      bench::register_rate("dropout_forward", "simd", s.name, t, {Unit::kGBps, bytes}, [=] {
        kernels::dropout_forward(x->view(), kDrop, kSeed, kStream, y->view());
      });
      bench::register_rate("dropout_forward", "reference", s.name, t, {Unit::kGBps, bytes}, [=] {
        kernels::reference::dropout_forward(x->view(), kDrop, kSeed, kStream, y->view());
      });
      bench::register_triad("dropout_forward", s.name, t, bytes);
      bench::register_rate("dropout_backward", "simd", s.name, t, {Unit::kGBps, bytes}, [=] {
        kernels::dropout_backward(x->view(), kDrop, kSeed, kStream, y->view());
      });
      bench::register_rate("dropout_backward", "reference", s.name, t, {Unit::kGBps, bytes}, [=] {
        kernels::reference::dropout_backward(x->view(), kDrop, kSeed, kStream, y->view());
      });
      bench::register_triad("dropout_backward", s.name, t, bytes);
      // A rate whose threshold has low bits: 1 in 256 elements ties on its top
      // 8 bits and draws 16 more (a scattered Philox batch per 8 ties).
      bench::register_rate("dropout_forward_p0.1", "simd", s.name, t, {Unit::kGBps, bytes}, [=] {
        kernels::dropout_forward(x->view(), 0.1f, kSeed, kStream, y->view());
      });
      bench::register_triad("dropout_forward_p0.1", s.name, t, bytes);
    }
  }
  return bench::run_benchmarks(argc, argv);
}
