// libFuzzer target: the .npz container as it comes (libzip, then every .npy
// entry), loaded as a model and as a training state. See checkpoint_fuzz for
// the arrays' contents past the zip's CRCs. A std::runtime_error is the
// reader's answer to a bad file; anything else is a bug.
#include <stdexcept>

#include "fuzz_file.h"
#include "simdnet/kernels/parallel.h"
#include "simdnet/nets/checkpoint.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  simdnet::kernels::set_thread_count(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static simdnet::fuzz::FuzzFile file("input.npz");
  const auto& path = file.write(data, size);
  try {
    simdnet::nets::npz::NpzFile f(path);
  } catch (const std::runtime_error&) {
    return 0;  // no use loading it as a checkpoint
  }
  try {
    simdnet::nets::load_model(path);
  } catch (const std::runtime_error&) {
  }
  try {
    simdnet::nets::read_training_state(path);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
