// The C++ half of npz_numpy_check.py (which runs it):
//
//   npz_numpy_helper write DIR   writes DIR/model.npz and DIR/state.npz (a
//                                small net trained on synthetic blobs, with
//                                batchnorm and adam) and DIR/manifest.tsv,
//                                every array's file, name, dtype, shape and
//                                exact values, for NumPy to compare against
//   npz_numpy_helper check FILE  reads an .npz that NumPy wrote (np.savez or
//                                np.savez_compressed of the arrays named in
//                                npz_numpy_check.py) and checks every value
//
// Exit status 0 when all is well; otherwise 1 with the reason on stderr.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "simdnet/nets/checkpoint.h"
#include "synthetic_data.h"

namespace {

using namespace simdnet::nets;
namespace fs = std::filesystem;

// One manifest line: file, name, dtype, shape ("3,4"; "" for a scalar), values
// (floats as C's %a hex, exact; integers in decimal; a string as is).
void describe(std::FILE* out, const std::string& file, const npz::Array& a) {
  std::string shape;
  for (size_t i = 0; i < a.shape.size(); ++i)
    shape.append(i ? "," : "").append(std::to_string(a.shape[i]));
  static const char* kDescr[] = {"<f4", "<f8", "<i8", "<U"};
  std::fprintf(out, "%s\t%s\t%s\t%s\t", file.c_str(), a.name.c_str(),
               kDescr[static_cast<int>(a.dtype())], shape.c_str());
  std::visit(
      [&](const auto& values) {
        using V = std::decay_t<decltype(values)>;
        if constexpr (std::is_same_v<V, std::string>) {
          std::fputs(values.c_str(), out);
        } else {
          for (size_t i = 0; i < values.size(); ++i) {
            if (i) std::fputc(' ', out);
            if constexpr (std::is_same_v<V, std::vector<int64_t>>)
              std::fprintf(out, "%lld", static_cast<long long>(values[i]));
            else
              std::fprintf(out, "%a", static_cast<double>(values[i]));
          }
        }
      },
      a.values);
  std::fputc('\n', out);
}

int write(const fs::path& dir) {
  const Dataset train = testing::gaussian_blobs(90, 6, 3, 1);
  const Dataset val = testing::gaussian_blobs(30, 6, 3, 1, 90);
  NetSpec spec;
  spec.input_dim = 6;
  spec.hidden_dims = {5, 4};
  spec.num_classes = 3;
  spec.batchnorm = true;
  spec.seed = 2;
  FullyConnectedNet net(spec);
  Solver solver(net, train, val,
                {.update = {.rule = UpdateRule::kAdam, .learning_rate = 1e-2f},
                 .batch_size = 30,
                 .num_epochs = 2});
  solver.set_progress_callback([&](const Progress& p) {
    if (p.epoch_done) save_training_state(dir / "state.npz", solver, {"mnist", {}});
  });
  solver.train();
  save_model(dir / "model.npz", net, {"mnist", {}});

  std::FILE* out = std::fopen((dir / "manifest.tsv").c_str(), "w");
  if (!out) return std::perror("manifest.tsv"), 1;
  for (const char* file : {"model.npz", "state.npz"}) {
    const npz::NpzFile f(dir / file);
    for (const npz::Array& a : f.arrays()) describe(out, file, a);
  }
  std::fclose(out);
  return 0;
}

int check(const fs::path& path) {
  const npz::NpzFile f(path);
  int failures = 0;
  auto expect = [&](bool ok, const std::string& what) {
    if (!ok) {
      std::cerr << path.string() << ": " << what << "\n";
      ++failures;
    }
  };
  const auto w = f.float32("W", std::vector<size_t>{3, 4});
  for (size_t i = 0; i < 12; ++i)
    expect(w[i] == static_cast<float>(i) / 7.0f, "W[" + std::to_string(i) + "] differs");
  const auto d = f.float64_vector("d");
  expect(d.size() == 2 && d[0] == 1.0 / 3.0 && d[1] == -2.5, "d differs");
  const auto ints = f.int64_vector("i");
  expect(ints.size() == 3 && ints[0] == INT64_MIN && ints[1] == 5 && ints[2] == INT64_MAX,
         "i differs");
  expect(f.float64_scalar("scalar") == 0.1, "scalar differs");
  expect(f.int64_scalar("count") == 7, "count differs");
  expect(f.string("rule") == "nesterov", "rule differs");
  expect(f.array("empty").shape == std::vector<size_t>{0, 5}, "empty's shape differs");
  expect(f.names().size() == 7, "expected exactly 7 arrays");
  if (failures == 0) std::cout << path.string() << ": all 7 arrays as NumPy wrote them\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::strcmp(argv[1], "write") == 0) return write(argv[2]);
    if (argc == 3 && std::strcmp(argv[1], "check") == 0) return check(argv[2]);
  } catch (const std::exception& e) {
    std::cerr << "npz_numpy_helper: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: npz_numpy_helper write DIR | check FILE.npz\n";
  return 2;
}
