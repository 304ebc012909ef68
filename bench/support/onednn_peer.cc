// oneDNN 2.6 (Debian libdnnl-dev, OpenMP runtime): dnnl_sgemm, its BLAS-like
// call, and the matmul primitive, created once per shape and thread count
// outside the timed call (as a framework would cache it). Threads: oneDNN's
// OpenMP build uses omp_get_max_threads(), read when the primitive is created
// and when it runs, so omp_set_num_threads comes first in both.
#include "support/gemm_peers.h"

#ifdef SIMDNET_HAVE_ONEDNN
#include <omp.h>

#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace simdnet::bench {

std::vector<GemmPeer> onednn_peers() {
#ifdef SIMDNET_HAVE_ONEDNN
  GemmPeer sgemm{"onednn-sgemm", [](const GemmProblem& p) -> std::function<void()> {
                   return [p] {
                     omp_set_num_threads(p.threads);
                     dnnl_sgemm(p.ta ? 'T' : 'N', p.tb ? 'T' : 'N', dnnl_dim_t(p.m),
                                dnnl_dim_t(p.n), dnnl_dim_t(p.k), 1.0f, p.a, dnnl_dim_t(p.lda),
                                p.b, dnnl_dim_t(p.ldb), 0.0f, p.c, dnnl_dim_t(p.ldc));
                   };
                 }};
  GemmPeer matmul{"onednn-matmul", [](const GemmProblem& p) -> std::function<void()> {
                    using dnnl::memory;
                    using dims = memory::dims;
                    omp_set_num_threads(p.threads);
                    auto engine = std::make_shared<dnnl::engine>(dnnl::engine::kind::cpu, 0);
                    const auto m = memory::dim(p.m), n = memory::dim(p.n), k = memory::dim(p.k);
                    // Logical A is m x k; element (i, j) of a transposed store is at j*lda + i.
                    const memory::desc a_md(dims{m, k}, memory::data_type::f32,
                                            p.ta ? dims{1, memory::dim(p.lda)}
                                                 : dims{memory::dim(p.lda), 1});
                    const memory::desc b_md(dims{k, n}, memory::data_type::f32,
                                            p.tb ? dims{1, memory::dim(p.ldb)}
                                                 : dims{memory::dim(p.ldb), 1});
                    const memory::desc c_md(dims{m, n}, memory::data_type::f32,
                                            dims{memory::dim(p.ldc), 1});
                    const dnnl::matmul::primitive_desc pd(
                        dnnl::matmul::desc(a_md, b_md, c_md), *engine);
                    auto prim = std::make_shared<dnnl::matmul>(pd);
                    auto a = std::make_shared<memory>(a_md, *engine, const_cast<float*>(p.a));
                    auto b = std::make_shared<memory>(b_md, *engine, const_cast<float*>(p.b));
                    auto c = std::make_shared<memory>(c_md, *engine, p.c);
                    auto stream = std::make_shared<dnnl::stream>(*engine);
                    return [=] {
                      omp_set_num_threads(p.threads);
                      prim->execute(*stream, {{DNNL_ARG_SRC, *a},
                                              {DNNL_ARG_WEIGHTS, *b},
                                              {DNNL_ARG_DST, *c}});
                      stream->wait();
                    };
                  }};
  return {sgemm, matmul};
#else
  return {};
#endif
}

}  // namespace simdnet::bench
