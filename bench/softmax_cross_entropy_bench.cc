// Softmax cross-entropy (fused loss + dscores), softmax and argmax: SIMD vs
// reference vs the triad roof, GB/s.
// Bytes that must move: softmax-CE reads scores and labels, writes dscores
// (8 B/elem + 4 B/row); softmax reads scores, writes probs (8 B/elem); argmax
// reads scores, writes classes (4 B/elem + 4 B/row).
// Shapes: the memory-bound set, plus the nets' output layers (128x10, 100x10),
// where per-row overheads, not bandwidth, decide the speed.
#include <cstdint>
#include <vector>

#include "simdnet/kernels/softmax_cross_entropy.h"
#include "support/bench_util.h"
#include "support/shapes.h"

int main(int argc, char** argv) {
  using namespace simdnet;
  using bench::Unit;
  auto shapes = bench::memory_bound_shapes();
  const std::vector<bench::Shape> net_shapes = {{128, 10, "128x10"}, {100, 10, "100x10"}};
  shapes.insert(shapes.end(), net_shapes.begin(), net_shapes.end());
  for (const auto& s : shapes) {
    // Scores in [-4, 4): logits of a trained-ish net, not just noise near 0.
    auto scores = std::make_shared<kernels::Matrix>(bench::filled(s.rows, s.cols, 1));
    for (float& v : scores->storage()) v *= 4;
    auto out = std::make_shared<kernels::Matrix>(s.rows, s.cols);
    auto labels = std::make_shared<std::vector<int32_t>>(s.rows);
    for (size_t i = 0; i < s.rows; ++i) (*labels)[i] = int32_t((i * 7 + 3) % s.cols);
    auto classes = std::make_shared<std::vector<int32_t>>(s.rows);
    const double elems = double(s.rows) * s.cols, rows = double(s.rows);
    const double ce_bytes = 8 * elems + 4 * rows, softmax_bytes = 8 * elems,
                 argmax_bytes = 4 * elems + 4 * rows;
    const bool net_shape = s.cols == 10;
    for (int t : bench::bench_threads()) {
      bench::register_rate(
          "softmax_cross_entropy", "simd", s.name, t, {Unit::kGBps, ce_bytes}, [=] {
            benchmark::DoNotOptimize(
                kernels::softmax_cross_entropy(scores->view(), *labels, out->view()));
          });
      bench::register_rate(
          "softmax_cross_entropy", "reference", s.name, t, {Unit::kGBps, ce_bytes}, [=] {
            benchmark::DoNotOptimize(
                kernels::reference::softmax_cross_entropy(scores->view(), *labels, out->view()));
          });
      bench::register_triad("softmax_cross_entropy", s.name, t, ce_bytes);
      if (net_shape) continue;  // the inference kernels at the memory-bound shapes only
      bench::register_rate("softmax", "simd", s.name, t, {Unit::kGBps, softmax_bytes},
                           [=] { kernels::softmax(scores->view(), out->view()); });
      bench::register_rate("softmax", "reference", s.name, t, {Unit::kGBps, softmax_bytes},
                           [=] { kernels::reference::softmax(scores->view(), out->view()); });
      bench::register_triad("softmax", s.name, t, softmax_bytes);
      bench::register_rate("argmax_rows", "simd", s.name, t, {Unit::kGBps, argmax_bytes},
                           [=] { kernels::argmax_rows(scores->view(), *classes); });
      bench::register_rate("argmax_rows", "reference", s.name, t, {Unit::kGBps, argmax_bytes},
                           [=] { kernels::reference::argmax_rows(scores->view(), *classes); });
      bench::register_triad("argmax_rows", s.name, t, argmax_bytes);
    }
  }
  return bench::run_benchmarks(argc, argv);
}
