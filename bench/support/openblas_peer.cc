// OpenBLAS cblas_sgemm. It reads OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when it
// loads, so the caller sets or unsets them; the peer is named by the kernel
// set OpenBLAS picked (openblas-prescott, openblas-skylakex, ...), since the
// two differ by 5x and 0.3.21 does not recognise every AVX-512 CPU.
#include <cctype>

#include "support/gemm_peers.h"

#ifdef SIMDNET_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace simdnet::bench {

std::vector<GemmPeer> openblas_peers() {
#ifdef SIMDNET_HAVE_OPENBLAS
  std::string name = std::string("openblas-") + openblas_get_corename();
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return {{name, [](const GemmProblem& p) -> std::function<void()> {
             return [p] {
               openblas_set_num_threads(p.threads);
               cblas_sgemm(CblasRowMajor, p.ta ? CblasTrans : CblasNoTrans,
                           p.tb ? CblasTrans : CblasNoTrans, int(p.m), int(p.n), int(p.k), 1.0f,
                           p.a, int(p.lda), p.b, int(p.ldb), 0.0f, p.c, int(p.ldc));
             };
           }}};
#else
  return {};
#endif
}

}  // namespace simdnet::bench
