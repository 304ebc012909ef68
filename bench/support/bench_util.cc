#include "support/bench_util.h"

#include <cstdlib>
#include <memory>
#include <sstream>

#include "simdnet/kernels/matrix.h"
#include "simdnet/kernels/parallel.h"
#include "support/triad.h"

namespace simdnet::bench {

void register_rate(const std::string& kernel, const std::string& impl, const std::string& shape,
                   int threads, Rate rate, std::function<void()> body) {
  const std::string name = kernel + "/" + impl + "/" + shape + "/threads:" + std::to_string(threads);
  benchmark::RegisterBenchmark(name.c_str(),
                               [threads, rate, body](benchmark::State& state) {
                                 kernels::set_thread_count(threads);
                                 body();  // warm caches and page in outputs
                                 for (auto _ : state) body();
                                 const char* unit = rate.unit == Unit::kGflops ? "GFLOP/s" : "GB/s";
                                 state.counters[unit] = benchmark::Counter(
                                     rate.amount * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
                               })
      ->UseRealTime()
      ->MinTime(0.05);
}

void register_triad(const std::string& kernel, const std::string& shape, int threads,
                    double bytes) {
  const size_t n = static_cast<size_t>(bytes / (3 * sizeof(float)));
  auto arrays = std::make_shared<std::vector<kernels::AlignedVector>>();
  for (int i = 0; i < 3; ++i) arrays->emplace_back(n);
  for (size_t i = 0; i < n; ++i) (*arrays)[1][i] = 1.0f, (*arrays)[2][i] = 2.0f;
  register_rate(kernel, "triad", shape, threads, {Unit::kGBps, 3.0 * n * sizeof(float)},
                [arrays, n] {
                  auto& a = *arrays;
                  triad(a[0].data(), a[1].data(), a[2].data(), 0.5f, n);
                  benchmark::DoNotOptimize(a[0].data());
                  benchmark::ClobberMemory();
                });
}

std::vector<int> bench_threads() {
  std::vector<int> threads;
  const char* env = std::getenv("SIMDNET_BENCH_THREADS");
  std::stringstream list(env && *env ? env : "1,2");
  for (std::string item; std::getline(list, item, ',');) threads.push_back(std::stoi(item));
  return threads;
}

int run_benchmarks(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace simdnet::bench
