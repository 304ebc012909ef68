#include "support/gemm_peers.h"

namespace simdnet::bench {

std::vector<GemmPeer> gemm_peers() {
  std::vector<GemmPeer> all;
  for (auto* list : {&openblas_peers, &onednn_peers, &blis_peers})
    for (auto& p : (*list)()) all.push_back(std::move(p));
  return all;
}

}  // namespace simdnet::bench
