// Data sets for the nets: MNIST, Fashion-MNIST and CIFAR-10, loaded by name,
// split and preprocessed as the experiments use them.
//
//   simdnet::nets::DataOptions opts;            // defaults: see below
//   auto d = simdnet::nets::load_dataset("cifar10", opts);
//   d.train.x  // (49000, 3072) float, one example per row
//   d.train.y  // 49000 labels in [0, 10)
//
// Where the data comes from: scripts/fetch-data puts the raw files, checked
// against pinned SHA-256 sums, under <data_dir>/raw/<set>/. The first load
// decodes them (IDX, gzip'd IDX, PNG + JSON) and writes a compact uint8 copy
// under <data_dir>/cache/; later loads read that copy (MNIST well under a
// second, CIFAR-10 about a second). If raw files are missing and the cache is
// too, load_dataset runs scripts/fetch-data itself (DataOptions::fetch).
//
// Splits (validation always from the END of the official training set):
//   mnist, fashion-mnist  60000 train -> 55000 train + 5000 val; 10000 test
//   cifar10               50000 train -> 49000 train + 1000 val (CS231n: val
//                         = training images 49000..49999); 10000 test, or
//                         CS231n's subset, the first 1000 test images
// Features, one row per example:
//   mnist, fashion-mnist  784 = 28x28 pixels, row-major
//   cifar10               3072 = 32x32x3, HWC: pixel (h, w) has its R, G, B at
//                         3*(32*h + w) + {0, 1, 2} (the PNGs' own order)
// Preprocessing, in this order:
//   1. pixels scaled to [0, 1] (byte / 255.0f);
//   2. CIFAR-10 only (default; see subtract_channel_mean): per-channel mean
//      subtraction, the 3 means computed on the training split only (all of
//      it, before train_subset) and subtracted from train, val and test.
//      CS231n subtracts the mean image (per feature) instead;
//   3. optional per-feature standardization (x - mean) / std, mean and std
//      from the training split only (before train_subset); a feature with
//      zero variance on train (MNIST's border pixels) is only centered;
//   4. optional training subset: the first train_subset training examples;
//   5. every feature times pixel_scale (default 1: a no-op, bit for bit).
// Every error is a std::runtime_error whose message names the file and what
// was wrong with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "simdnet/kernels/matrix.h"

namespace simdnet::nets {

// Examples as the nets see them.
struct Dataset {
  kernels::Matrix x;          // (N, D) float, one example per row, stride D
  std::vector<int32_t> y;     // N labels in [0, num_classes)
  int num_classes = 0;
  size_t size() const { return y.size(); }
  size_t features() const { return x.cols(); }
};

// One image's shape; features are laid out HWC (channel fastest).
struct ImageShape {
  size_t height = 0, width = 0, channels = 0;
  size_t features() const { return height * width * channels; }
};

struct DataSplits {
  std::string name;           // "mnist", "cifar10" or "fashion-mnist"
  ImageShape shape;
  Dataset train, val, test;
  // What was applied (empty when not): the per-channel means subtracted, and
  // the per-feature mean and std of the standardization. All from train.
  std::vector<double> channel_mean;
  std::vector<double> feature_mean, feature_std;
};

struct DataOptions {
  // Raw files and cache live here. Empty: $SIMDNET_DATA_DIR, else <repo>/data.
  std::string data_dir;
  // Validation examples taken from the end of the official training set.
  // Unset: 5000 for mnist and fashion-mnist, 1000 for cifar10 (CS231n). 0 is
  // allowed (an empty val set: train is the whole official training set).
  std::optional<size_t> val_size;
  // Unset: on for cifar10, off for mnist and fashion-mnist.
  std::optional<bool> subtract_channel_mean;
  bool standardize = false;          // per-feature (x - mean) / std, from train
  bool cs231n_test_subset = false;   // test = the first 1000 test examples
  size_t train_subset = 0;           // > 0: keep only the first K train examples
  // Every feature multiplied by this last (finite, > 0). 255 gives CS231n's
  // scale: raw byte values minus the mean, which its weight_scale settings
  // (e.g. 5e-2 for a five-layer net) are tuned for.
  float pixel_scale = 1.0f;
  bool fetch = true;                 // run scripts/fetch-data if raw files are missing
};

// "mnist", "fashion-mnist", "cifar10".
const std::vector<std::string>& dataset_names();

// The defaults that DataOptions' unset fields take for one data set.
size_t default_val_size(const std::string& name);
bool default_subtract_channel_mean(const std::string& name);

// $SIMDNET_DATA_DIR if set and not empty, else <repo>/data.
std::filesystem::path default_data_dir();

// Loads, splits and preprocesses one data set; throws std::runtime_error on an
// unknown name, bad options (val_size or train_subset too large) or bad data.
DataSplits load_dataset(const std::string& name, const DataOptions& options = {});

}  // namespace simdnet::nets
