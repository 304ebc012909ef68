// libFuzzer target: the CIFAR-10 JSON labels reader (nlohmann-json). The
// input is read as an array of 5 labels in [0, 10). A std::runtime_error is
// the reader's answer to a bad file; anything else is a bug.
#include <stdexcept>

#include "fuzz_file.h"
#include "simdnet/nets/data_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static simdnet::fuzz::FuzzFile file("labels.json");
  const auto& path = file.write(data, size);
  try {
    const auto labels = simdnet::nets::read_json_labels(path, 5, 10);
    if (labels.size() != 5) __builtin_trap();
    for (uint8_t l : labels)
      if (l >= 10) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
