// Registration helpers shared by the kernel benchmarks.
//
// Every benchmark is named  <kernel>/<impl>/<shape>/threads:<T>  where impl is
// simd (simdnet), reference (the scalar reference), triad (the bandwidth roof
// at the same bytes) or a peer (openblas, ...). scripts/bench-summary pairs
// rows by kernel, shape and threads, so a speed-up is always a ratio measured
// in the same run. Rates are counters: GFLOP/s (2MNK for matmul) or GB/s
// (bytes that must move per call / time).
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace simdnet::bench {

enum class Unit { kGflops, kGBps };

struct Rate {
  Unit unit;
  double amount;  // FLOP or bytes per call
};

// Registers `body` (one kernel call) as  kernel/impl/shape/threads:T  with
// real time (threaded kernels: CPU time of the main thread would lie) and the
// rate counter. The thread count is set before timing starts.
void register_rate(const std::string& kernel, const std::string& impl, const std::string& shape,
                   int threads, Rate rate, std::function<void()> body);

// A streaming triad a[i] = b[i] + s * c[i] moving `bytes` bytes per call (two
// reads and one write), registered as  kernel/triad/shape/threads:T  beside a
// memory-bound kernel: its GB/s is that kernel's bandwidth roof.
void register_triad(const std::string& kernel, const std::string& shape, int threads,
                    double bytes);

// Thread counts to benchmark: 1 and 2 by default; SIMDNET_BENCH_THREADS="1,2,4,8,16"
// overrides (used on larger machines to measure scaling).
std::vector<int> bench_threads();

// Runs the registered benchmarks (after Google Benchmark's own flags).
int run_benchmarks(int argc, char** argv);

}  // namespace simdnet::bench
