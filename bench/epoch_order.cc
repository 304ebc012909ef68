// Prints the order in which `simdnet train` visits the training set in one
// epoch, so the peer scripts (bench/peers/*_train.py) step through the very
// same batches: the Solver's permutation, keyed by (seed, epoch) through
// nets::random_permutation and the shuffle stream of nets/streams.h.
//
//   epoch_order DATASET SEED EPOCH OUT.u32     (little-endian uint32, one per example)
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "simdnet/nets/data.h"
#include "simdnet/nets/solver.h"
#include "simdnet/nets/streams.h"

int main(int argc, char** argv) {
  using namespace simdnet;
  if (argc != 5) {
    std::fprintf(stderr, "usage: epoch_order DATASET SEED EPOCH OUT.u32\n");
    return 2;
  }
  try {
    const std::string dataset = argv[1];
    const uint64_t seed = std::stoull(argv[2]), epoch = std::stoull(argv[3]);
    if (epoch == 0) throw std::invalid_argument("EPOCH = 0: epochs are numbered from 1");
    // The training split's size, as the Solver sees it (default val split).
    const size_t n = nets::load_dataset(dataset).train.size();
    std::vector<uint32_t> order;
    nets::random_permutation(seed, nets::streams::shuffle(epoch), n, order);
    std::ofstream out(argv[4], std::ios::binary);
    out.write(reinterpret_cast<const char*>(order.data()), std::streamsize(order.size() * 4));
    if (!out) throw std::runtime_error(std::string(argv[4]) + ": cannot write");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "epoch_order: %s\n", e.what());
    return 1;
  }
  return 0;
}
