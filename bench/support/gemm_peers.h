// The matmul benchmark's peers: other libraries' single-precision GEMM, each
// behind one interface so matmul_bench registers them alike. Each peer lives
// in its own translation unit (BLIS's blis.h and OpenBLAS's cblas.h declare
// the same CBLAS names, so they must never meet in one file), compiled in only
// when CMake found the library (SIMDNET_HAVE_<LIB>).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace simdnet::bench {

// Row-major C (m x n) = op(A) · op(B), op = transpose when ta / tb. A is
// stored k x m when ta, else m x k; B is n x k when tb, else k x n.
struct GemmProblem {
  bool ta = false, tb = false;
  size_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  size_t lda = 0;
  const float* b = nullptr;
  size_t ldb = 0;
  float* c = nullptr;
  size_t ldc = 0;
  int threads = 1;
};

struct GemmPeer {
  // Benchmark impl name: the library and what it runs, e.g. openblas-skylakex
  // (the kernel set OpenBLAS picked), blis-skx (the BLIS sub-configuration),
  // onednn-sgemm, onednn-matmul.
  std::string name;
  // Does all per-shape setup (oneDNN creates its primitive here) and returns
  // the call to time. The call sets the library's thread count itself.
  std::function<std::function<void()>(const GemmProblem&)> prepare;
};

// The peers compiled into this binary, in a fixed order.
std::vector<GemmPeer> gemm_peers();

// One per library; defined in <lib>_peer.cc.
std::vector<GemmPeer> openblas_peers();
std::vector<GemmPeer> onednn_peers();
std::vector<GemmPeer> blis_peers();

}  // namespace simdnet::bench
