// One whole training step (forward + backward + update) through the nets
// library, on real data, for the nets of support/train_nets.h: what a
// training epoch costs per batch, without the Solver's bookkeeping.
//
// Each timed call is net.loss_and_gradients on the next batch of consecutive
// training rows (a view, no gather: the Solver's row gather is the only part
// not timed here; `simdnet train` times it) and Optimizer::step.
// Counters: GFLOP/s = 6 · params · batch per step (2 forward + 4 backward
// FLOPs per weight and sample; the first layer's dx, which the net skips, is
// included, so this slightly overstates the work) and samples/s.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <map>
#include <memory>

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
  size_t parameter_count() const {
    size_t n = 0;
    for (const auto& p : net.parameters()) n += p.value.rows() * p.value.cols();
    return n;
  }
};

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
        state.counters["GFLOP/s"] =
            benchmark::Counter(6e-9 * double(trainer.parameter_count()) * batch,
                               benchmark::Counter::kIsIterationInvariantRate);
        state.counters["samples/s"] =
            benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
      })->UseRealTime()->MinTime(0.3);
    }
  }
  return bench::run_benchmarks(argc, argv);
}
