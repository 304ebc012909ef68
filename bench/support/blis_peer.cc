// BLIS 0.9 (Debian libblis-dev, OpenMP build) through its typed API
// bli_sgemm, which takes row and column strides, so row-major needs no
// CBLAS layer (whose cblas_sgemm symbol OpenBLAS also exports). BLIS picks a
// sub-configuration per CPU at load time; BLIS_ARCH_TYPE=<index> overrides it
// (0 = skx in 0.9's arch_t). The peer is named by the one it runs: blis-skx,
// blis-haswell, blis-generic...
#include "support/gemm_peers.h"

#ifdef SIMDNET_HAVE_BLIS
#include <blis.h>
#endif

namespace simdnet::bench {

std::vector<GemmPeer> blis_peers() {
#ifdef SIMDNET_HAVE_BLIS
  const std::string name = std::string("blis-") + bli_arch_string(bli_arch_query_id());
  return {{name, [](const GemmProblem& p) -> std::function<void()> {
             return [p] {
               bli_thread_set_num_threads(p.threads);
               float one = 1.0f, zero = 0.0f;
               // Row-major storage: row stride = leading dimension, column stride 1.
               bli_sgemm(p.ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
                         p.tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, dim_t(p.m), dim_t(p.n),
                         dim_t(p.k), &one, const_cast<float*>(p.a), inc_t(p.lda), 1,
                         const_cast<float*>(p.b), inc_t(p.ldb), 1, &zero, p.c, inc_t(p.ldc), 1);
             };
           }}};
#else
  return {};
#endif
}

}  // namespace simdnet::bench
