// libFuzzer target: models and training states (nets/checkpoint) read from
// .npz files whose arrays the fuzzer writes (framing: npz_entries.h). Each
// input is loaded as a model (load_model) and as a training state, which is
// then restored into a Solver on 16 synthetic examples, as `simdnet train
// --load` does. A std::runtime_error is the reader's answer to a bad file;
// anything else is a bug, except a std::invalid_argument from the Solver
// refusing a saved setting for this small data set (batch_size > 16).
#include <optional>
#include <stdexcept>

#include "fuzz_file.h"
#include "npz_entries.h"
#include "simdnet/kernels/parallel.h"
#include "simdnet/nets/checkpoint.h"

namespace {

namespace nets = simdnet::nets;

// 16 examples of `features` zeros, labels cycling through the classes.
nets::Dataset examples(size_t features, size_t classes) {
  nets::Dataset d;
  d.num_classes = static_cast<int>(classes);
  d.x = simdnet::kernels::Matrix(16, features);
  for (size_t r = 0; r < 16; ++r)
    for (size_t c = 0; c < features; ++c) d.x.at(r, c) = 0.0f;
  for (size_t i = 0; i < 16; ++i) d.y.push_back(static_cast<int32_t>(i % classes));
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  simdnet::kernels::set_thread_count(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static simdnet::fuzz::FuzzFile file("input.npz");
  const auto& path = file.path();
  if (!simdnet::fuzz::write_zip(path, simdnet::fuzz::decode_entries(data, size))) return 0;
  try {
    const nets::LoadedModel model = nets::load_model(path);
    if (model.net.spec().input_dim == 0) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  try {
    const nets::SavedTraining saved = nets::read_training_state(path);
    nets::FullyConnectedNet net(saved.spec);
    const nets::Dataset train = examples(saved.spec.input_dim, saved.spec.num_classes);
    const nets::Dataset val;
    std::optional<nets::Solver> solver;
    try {
      solver.emplace(net, train, val, saved.config);
    } catch (const std::invalid_argument&) {
      return 0;  // a setting this harness's 16 examples cannot take; the file may be fine
    }
    nets::restore_training_state(saved, *solver);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
