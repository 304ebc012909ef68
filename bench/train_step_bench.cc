// One whole training step (forward + backward + update) through the nets
// library, on real data, for the nets of support/train_nets.h: what a
// training epoch costs per batch, without the Solver's bookkeeping.
//
// Each timed call is net.loss_and_gradients on the next batch of consecutive
// training rows (a view, no gather: the Solver's row gather is the only part
// not timed here; `simdnet train` times it) and Optimizer::step.
// Counters: GFLOP/s of the step's needed work, per sample 2 forward + 4
// backward FLOPs (dW and dx) per weight, less the first layer's dx, which
// the net skips: 6·Σ d_i·d_{i+1} − 2·d_0·d_1 for layer widths d_0..d_L (the
// FLOP-floor arithmetic of scripts/bench-compare-summary.py); and samples/s.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <vector>

#include "simdnet/kernels/parallel.h"
#include "simdnet/nets/data.h"
#include "simdnet/nets/network.h"
#include "simdnet/nets/update_rule.h"
#include "support/bench_util.h"
#include "support/train_nets.h"

namespace {

using namespace simdnet;

struct Trainer {
  const nets::Dataset& data;
  nets::FullyConnectedNet net;
  nets::Optimizer optimizer;
  size_t batch;
  uint64_t step = 0;
  Trainer(const nets::Dataset& d, const bench::TrainNet& t)
      : data(d), net(t.spec), optimizer(t.update, net.parameters()), batch(t.batch) {}
  void train_step() {
    const size_t batches = data.size() / batch, b = step % batches;
    const auto x = data.x.view().rows_from(b * batch, batch);
    const std::span<const int32_t> y(data.y.data() + b * batch, batch);
    benchmark::DoNotOptimize(net.loss_and_gradients(x, y, step));
    optimizer.step(net.parameters());
    ++step;
  }

};

double needed_flops_per_sample(const nets::NetSpec& spec) {
  std::vector<size_t> widths{spec.input_dim};
  widths.insert(widths.end(), spec.hidden_dims.begin(), spec.hidden_dims.end());
  widths.push_back(spec.num_classes);
  double weights = 0;
  for (size_t i = 0; i + 1 < widths.size(); ++i) weights += double(widths[i] * widths[i + 1]);
  return 6 * weights - 2 * double(widths[0] * widths[1]);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::shared_ptr<nets::DataSplits>> data;
  try {
    for (const auto& t : bench::train_nets())
      if (!data.count(t.dataset))
        data[t.dataset] = std::make_shared<nets::DataSplits>(nets::load_dataset(t.dataset));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_step_bench: cannot load the data sets: %s\n", e.what());
    return 1;
  }
  for (const auto& t : bench::train_nets()) {
    auto splits = data[t.dataset];
    for (int threads : bench::bench_threads()) {
      const std::string name =
          "train_step_" + t.dataset + "/simd/" + t.shape() + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(name.c_str(), [splits, t, threads](benchmark::State& state) {
        kernels::set_thread_count(threads);
        Trainer trainer(splits->train, t);  // fresh net per run: same state every repetition
        for (int i = 0; i < 3; ++i) trainer.train_step();  // warm caches and the allocator
        for (auto _ : state) trainer.train_step();
        const double batch = double(t.batch);
        state.counters["GFLOP/s"] = benchmark::Counter(
            1e-9 * needed_flops_per_sample(t.spec) * batch, benchmark::Counter::kIsIterationInvariantRate);
        state.counters["samples/s"] =
            benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
      })->UseRealTime()->MinTime(0.3);
    }
  }
  return bench::run_benchmarks(argc, argv);
}
