// ReLU forward/backward: SIMD vs reference vs the triad roof, GB/s.
// Bytes that must move: forward reads x, writes y (8 B/elem); backward reads
// dout and x, writes dx (12 B/elem).
#include "simdnet/kernels/relu.h"

#include "support/bench_util.h"
#include "support/shapes.h"

int main(int argc, char** argv) {
  using namespace simdnet;
  using bench::Unit;
  for (const auto& s : bench::memory_bound_shapes()) {
    auto x = std::make_shared<kernels::Matrix>(bench::filled(s.rows, s.cols, 1));
    auto dout = std::make_shared<kernels::Matrix>(bench::filled(s.rows, s.cols, 2));
    auto y = std::make_shared<kernels::Matrix>(s.rows, s.cols);
    const double elems = double(s.rows) * s.cols;
    for (int t : bench::bench_threads()) {
      bench::register_rate("relu_forward", "simd", s.name, t, {Unit::kGBps, 8 * elems},
                           [=] { kernels::relu_forward(x->view(), y->view()); });
      bench::register_rate("relu_forward", "reference", s.name, t, {Unit::kGBps, 8 * elems},
                           [=] { kernels::reference::relu_forward(x->view(), y->view()); });
      bench::register_triad("relu_forward", s.name, t, 8 * elems);
      bench::register_rate("relu_backward", "simd", s.name, t, {Unit::kGBps, 12 * elems},
                           [=] { kernels::relu_backward(dout->view(), x->view(), y->view()); });
      bench::register_rate("relu_backward", "reference", s.name, t, {Unit::kGBps, 12 * elems}, [=] {
        kernels::reference::relu_backward(dout->view(), x->view(), y->view());
      });
      bench::register_triad("relu_backward", s.name, t, 12 * elems);
    }
  }
  return bench::run_benchmarks(argc, argv);
}
