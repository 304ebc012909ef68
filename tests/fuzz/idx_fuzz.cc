// libFuzzer target: the IDX reader (MNIST, Fashion-MNIST), plain or gzip'd.
// Each input is read both as images and as labels. A std::runtime_error is
// the reader's answer to a bad file; anything else (another exception, a
// sanitizer report, an allocation past libFuzzer's -malloc_limit_mb) is a bug.
#include <stdexcept>

#include "fuzz_file.h"
#include "simdnet/nets/data_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static simdnet::fuzz::FuzzFile file("input.idx");
  const auto& path = file.write(data, size);
  try {
    const simdnet::nets::ByteImages images = simdnet::nets::read_idx_images(path);
    if (images.pixels.size() != images.count * images.shape.features()) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  try {
    const auto labels = simdnet::nets::read_idx_labels(path, 10);
    for (uint8_t l : labels)
      if (l >= 10) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
