// Per-call scratch memory of the kernels (matmul's packing buffers, the
// partials of the reductions), kept by the calling thread between calls, so
// that a training loop allocates (and page-faults) nothing in steady state:
// the first call on a thread grows the buffer, later calls reuse it.
//
// A kernel can start on a thread whose own kernel call is still running: the
// caller of a parallel_for may pick up another task while it waits (TBB work
// stealing), and that task may call a kernel. The lease detects this and
// hands such a nested call a private buffer instead of the busy one, so it
// never overwrites the outer call's scratch.
//
//   detail::ScratchLease<double> scratch;          // for the whole call
//   double* partials = scratch.reserve(blocks);    // contents unspecified
#pragma once

#include <cstddef>

#include "simdnet/kernels/matrix.h"

namespace simdnet::kernels::detail {

// A growable 64-byte aligned array of T: a MatrixOf<T> used as one row,
// whose reshape grows the storage only when asked for more than ever before.
template <class T>
class ScratchBuffer {
 public:
  // Room for `count` elements, 64-byte aligned; contents are unspecified.
  // Valid until the next reserve that grows the buffer.
  T* reserve(size_t count) { return storage_.reshape(1, count).data; }

 private:
  MatrixOf<T> storage_;
};

// This thread's ScratchBuffer<T> for the duration of one kernel call (one
// buffer per thread and element type, shared by every kernel family), or a
// private one for a call nested inside another on the same thread.
template <class T>
class ScratchLease {
 public:
  ScratchLease() : nested_(thread_busy()) { thread_busy() = true; }
  ~ScratchLease() {
    if (!nested_) thread_busy() = false;
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;

  ScratchBuffer<T>& buffer() { return nested_ ? private_ : thread_buffer(); }
  // buffer().reserve(count): call it once per lease, as a later call that
  // grows the buffer invalidates what an earlier one returned.
  T* reserve(size_t count) { return buffer().reserve(count); }

 private:
  static ScratchBuffer<T>& thread_buffer() {
    thread_local ScratchBuffer<T> buffer;
    return buffer;
  }
  static bool& thread_busy() {
    thread_local bool busy = false;
    return busy;
  }
  bool nested_;
  ScratchBuffer<T> private_;  // used only by a nested call
};

}  // namespace simdnet::kernels::detail
