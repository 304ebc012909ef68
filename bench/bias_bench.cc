// Bias forward/backward: SIMD vs reference vs the triad roof, GB/s.
// Bytes that must move: forward reads x and b, writes y (8 B/elem + 4 B/col);
// backward reads dout, writes db (4 B/elem + 4 B/col).
#include "simdnet/kernels/bias.h"
#include "support/bench_util.h"
#include "support/shapes.h"

int main(int argc, char** argv) {
  using namespace simdnet;
  using bench::Unit;
  for (const auto& s : bench::memory_bound_shapes()) {
    auto x = std::make_shared<kernels::Matrix>(bench::filled(s.rows, s.cols, 1));
    auto y = std::make_shared<kernels::Matrix>(s.rows, s.cols);
    auto b = std::make_shared<kernels::AlignedVector>(s.cols);
    auto db = std::make_shared<kernels::AlignedVector>(s.cols);
    const double elems = double(s.rows) * s.cols, cols = double(s.cols);
    const double forward_bytes = 8 * elems + 4 * cols, backward_bytes = 4 * elems + 4 * cols;
    for (int t : bench::bench_threads()) {
      bench::register_rate("bias_forward", "simd", s.name, t, {Unit::kGBps, forward_bytes},
                           [=] { kernels::bias_forward(x->view(), b->span(), y->view()); });
      bench::register_rate(
          "bias_forward", "reference", s.name, t, {Unit::kGBps, forward_bytes},
          [=] { kernels::reference::bias_forward(x->view(), b->span(), y->view()); });
      bench::register_triad("bias_forward", s.name, t, forward_bytes);
      bench::register_rate("bias_backward", "simd", s.name, t, {Unit::kGBps, backward_bytes},
                           [=] { kernels::bias_backward(x->view(), db->span()); });
      bench::register_rate("bias_backward", "reference", s.name, t, {Unit::kGBps, backward_bytes},
                           [=] { kernels::reference::bias_backward(x->view(), db->span()); });
      bench::register_triad("bias_backward", s.name, t, backward_bytes);
    }
  }
  return bench::run_benchmarks(argc, argv);
}
