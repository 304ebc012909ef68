// The only file that talks to oneTBB. See include/simdnet/kernels/parallel.h.
#include "simdnet/kernels/parallel.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace simdnet::kernels {
namespace {

// ThreadSanitizer cannot see oneTBB's synchronization: Debian's libtbb is not
// built with -fsanitize=thread. These tell it the two orderings a
// parallel_for guarantees: all that precedes it happens before every block,
// and every block happens before all that follows. Blocks stay unordered with
// one another, so a race between two blocks is still reported. (No-ops in
// other builds.) tests/tsan.supp covers oneTBB's own task objects.
inline void happens_before(void* token) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(token);
#else
  (void)token;
#endif
}
inline void happens_after(void* token) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(token);
#else
  (void)token;
#endif
}

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
  char before = 0, after = 0;  // their addresses name the two orderings for TSan
  happens_before(&before);
  s.arena->execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, blocks, 1),
        [&](const tbb::blocked_range<size_t>& r) {
          happens_after(&before);
          for (size_t b = r.begin(); b != r.end(); ++b) body(b);
          happens_before(&after);
        },
        tbb::simple_partitioner());
  });
  happens_after(&after);
}

}  // namespace simdnet::kernels
