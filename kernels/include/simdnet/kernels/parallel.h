// The kernels' one door to oneTBB (implemented in kernels/parallel.cc).
//
// Determinism contract: work is cut into blocks whose size depends only on the
// problem shape, never on the thread count; a reduction writes one partial per
// block and the caller adds the partials in block order. Outputs are therefore
// bit-identical for 1, 2 or any number of threads.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace simdnet::kernels {

// Sets the number of worker threads once for the process (a TBB task_arena of
// that size). 0 means: the SIMDNET_THREADS environment variable if set, else
// all hardware threads. May be called again (tests and benchmarks do) but not
// while a kernel is running.
void set_thread_count(int threads);
int thread_count();

// A non-owning reference to a callable, so that parallel_for neither allocates
// nor exposes TBB in this header.
template <class Signature>
class FunctionRef;
template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef>)
  FunctionRef(F&& f)  // NOLINT: implicit on purpose, like std::function_ref
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, Args... a) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(a)...);
        }) {}
  R operator()(Args... a) const { return call_(object_, std::forward<Args>(a)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

// Runs body(block) for block in [0, blocks), in parallel on the arena's threads.
// Runs inline (no task overhead) when blocks <= 1 or one thread is set.
void parallel_for(size_t blocks, FunctionRef<void(size_t block)> body);

// Number of blocks of `block_size` items needed to cover `items`.
constexpr size_t block_count(size_t items, size_t block_size) {
  return (items + block_size - 1) / block_size;
}

// Rows per block for a row-wise kernel over `cols` columns: about
// `target_elements` per block (at least one row). Depends on the shape only.
constexpr size_t rows_per_block(size_t cols, size_t target_elements = 16384) {
  return cols == 0 || cols >= target_elements ? 1 : target_elements / cols;
}

}  // namespace simdnet::kernels
