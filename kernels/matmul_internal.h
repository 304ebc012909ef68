// Target-independent pieces of matmul shared by its dispatcher (matmul.cc,
// HWY_ONCE part) and its per-target code (matmul-inl.h): the problem as raw
// pointers, and the packing buffers.
//
// The packing buffers are owned by the calling thread, grown on demand and
// kept, so a steady-state call allocates nothing.
//
// A matmul can start on a thread whose own matmul is still running: the caller
// of a nested parallel_for may pick up another task while it waits (TBB work
// stealing), and that task may call matmul. The lease detects this and hands
// such a call a private buffer instead of the busy one.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

#include "simdnet/kernels/matmul.h"

namespace simdnet::kernels::detail {

// C (m×n, row stride ldc) = relu?( op(A)·op(B) + bias + (accumulate ? C : 0) ).
// op(A) is m×k: A[i·lda + k] (NN, NT) or A[k·lda + i] (TN); op(B) is k×n:
// B[k·ldb + j] (NN, TN) or B[j·ldb + k] (NT). bias is null or n floats.
struct MatmulProblem {
  MatmulForm form;
  const float* a;
  size_t lda;
  const float* b;
  size_t ldb;
  float* c;
  size_t ldc;
  size_t m, n, k;
  bool accumulate;
  const float* bias;
  bool relu;
};

class MatmulWorkspace {
 public:
  // 64-byte aligned room for `floats` floats; contents are unspecified.
  float* reserve(size_t floats) {
    if (floats > capacity_) {
      const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
      void* p = std::aligned_alloc(64, bytes);
      if (!p) throw std::bad_alloc();
      storage_.reset(static_cast<float*>(p));
      capacity_ = bytes / sizeof(float);
    }
    return storage_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> storage_;
  size_t capacity_ = 0;
};

// This thread's workspace for the duration of one matmul call.
class MatmulWorkspaceLease {
 public:
  MatmulWorkspaceLease() : busy_(thread_busy()) {
    if (!busy_) thread_busy() = true;
  }
  ~MatmulWorkspaceLease() {
    if (!busy_) thread_busy() = false;
  }
  MatmulWorkspaceLease(const MatmulWorkspaceLease&) = delete;
  MatmulWorkspaceLease& operator=(const MatmulWorkspaceLease&) = delete;

  MatmulWorkspace& get() { return busy_ ? private_ : thread_workspace(); }

 private:
  static MatmulWorkspace& thread_workspace() {
    thread_local MatmulWorkspace workspace;
    return workspace;
  }
  static bool& thread_busy() {
    thread_local bool busy = false;
    return busy;
  }
  bool busy_;
  MatmulWorkspace private_;  // used only by a nested call
};

}  // namespace simdnet::kernels::detail
