// The only file that talks to oneTBB. See include/simdnet/kernels/parallel.h.
#include "simdnet/kernels/parallel.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace simdnet::kernels {
namespace {

int default_thread_count() {
  if (const char* env = std::getenv("SIMDNET_THREADS"); env && *env) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (*end != '\0' || n < 1 || n > 1024) {
      throw std::invalid_argument("SIMDNET_THREADS='" + std::string(env) +
                                  "': expected an integer thread count in [1, 1024]");
    }
    return static_cast<int>(n);
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

struct Arena {
  int threads = 0;
  std::unique_ptr<tbb::task_arena> arena;
};

Arena& arena_state() {
  static Arena state;
  return state;
}

Arena& ensure_arena() {
  Arena& s = arena_state();
  if (!s.arena) set_thread_count(0);
  return s;
}

}  // namespace

void set_thread_count(int threads) {
  if (threads < 0) {
    throw std::invalid_argument("thread count " + std::to_string(threads) +
                                ": expected 0 (default) or a positive number");
  }
  Arena& s = arena_state();
  int n = threads == 0 ? default_thread_count() : threads;
  if (s.arena && s.threads == n) return;
  s.threads = n;
  s.arena = std::make_unique<tbb::task_arena>(n);
}

int thread_count() { return ensure_arena().threads; }

void parallel_for(size_t blocks, FunctionRef<void(size_t block)> body) {
  Arena& s = ensure_arena();
  if (blocks <= 1 || s.threads == 1) {
    for (size_t b = 0; b < blocks; ++b) body(b);
    return;
  }
  // simple_partitioner with grain 1: every block is its own task, so the
  // blocks' boundaries are exactly the caller's (and thus thread-independent).
  s.arena->execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, blocks, 1),
        [&](const tbb::blocked_range<size_t>& r) {
          for (size_t b = r.begin(); b != r.end(); ++b) body(b);
        },
        tbb::simple_partitioner());
  });
}

}  // namespace simdnet::kernels
