// Splits and preprocessing (data.h): validation from the end of the official
// training set, statistics from the training split only, bytes to floats.
//
// Every statistic is computed exactly from the bytes (integer sums), so it
// does not depend on summation order; each feature then becomes
//   x = (byte / 255.0f - offset[f]) * inv_scale[f] * pixel_scale
// in float, with offset 0 and inv_scale 1 when nothing is subtracted: plain
// pixels are exactly byte / 255.0f.
#include <cmath>
#include <stdexcept>

#include "simdnet/nets/data_files.h"

namespace simdnet::nets {
namespace {

Dataset to_floats(const ByteDataset& src, size_t begin, size_t count,
                  const std::vector<float>& offset, const std::vector<float>& inv_scale,
                  float pixel_scale) {
  const size_t d = src.images.shape.features();
  Dataset out;
  out.num_classes = src.num_classes;
  out.x = kernels::Matrix(count, d);
  out.y.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* in = src.images.pixels.data() + (begin + i) * d;
    float* row = out.x.data() + i * out.x.stride();
    for (size_t f = 0; f < d; ++f)
      row[f] = (static_cast<float>(in[f]) / 255.0f - offset[f]) * inv_scale[f] * pixel_scale;
    out.y[i] = src.labels[begin + i];
  }
  return out;
}

}  // namespace

size_t default_val_size(const std::string& name) { return name == "cifar10" ? 1000 : 5000; }

bool default_subtract_channel_mean(const std::string& name) { return name == "cifar10"; }

DataSplits make_splits(const std::string& name, const ByteDataset& train_full,
                       const ByteDataset& test, const DataOptions& options) {
  const ImageShape shape = train_full.images.shape;
  const size_t d = shape.features();
  const size_t channels = shape.channels;
  if (test.images.shape.features() != d || test.num_classes != train_full.num_classes)
    throw std::runtime_error(name + ": train and test sets differ in shape or classes");

  if (!(options.pixel_scale > 0) || !std::isfinite(options.pixel_scale))
    throw std::runtime_error(name + ": pixel_scale " + std::to_string(options.pixel_scale) +
                             ": expected a finite number > 0");
  const size_t n_full = train_full.images.count;
  const size_t val_size = options.val_size.value_or(default_val_size(name));
  if (val_size >= n_full)
    throw std::runtime_error(name + ": val_size " + std::to_string(val_size) +
                             " leaves no training examples (the training set has " +
                             std::to_string(n_full) + ")");
  const size_t n_train = n_full - val_size;
  if (options.train_subset > n_train)
    throw std::runtime_error(name + ": train_subset " + std::to_string(options.train_subset) +
                             " is larger than the training split (" + std::to_string(n_train) +
                             ")");
  constexpr size_t kCs231nTest = 1000;
  if (options.cs231n_test_subset && test.images.count < kCs231nTest)
    throw std::runtime_error(name + ": the test set has fewer than 1000 examples");
  const size_t n_test = options.cs231n_test_subset ? kCs231nTest : test.images.count;

  DataSplits s;
  s.name = name;
  s.shape = shape;
  std::vector<float> offset(d, 0.0f), inv_scale(d, 1.0f);

  // Integer sums over the training split: exact, order-free.
  const uint8_t* px = train_full.images.pixels.data();
  if (options.subtract_channel_mean.value_or(default_subtract_channel_mean(name))) {
    std::vector<uint64_t> sum(channels, 0);
    for (size_t i = 0; i < n_train * d; i += channels)
      for (size_t c = 0; c < channels; ++c) sum[c] += px[i + c];
    const double per_channel = static_cast<double>(n_train) * (d / channels) * 255.0;
    s.channel_mean.resize(channels);
    for (size_t c = 0; c < channels; ++c) s.channel_mean[c] = sum[c] / per_channel;
    for (size_t f = 0; f < d; ++f) offset[f] = static_cast<float>(s.channel_mean[f % channels]);
  }
  if (options.standardize) {
    // (x - mean_f) / std_f; it subsumes the channel mean (a constant per feature).
    std::vector<uint64_t> sum(d, 0), sum_sq(d, 0);
    for (size_t i = 0; i < n_train; ++i) {
      const uint8_t* row = px + i * d;
      for (size_t f = 0; f < d; ++f) {
        sum[f] += row[f];
        sum_sq[f] += uint64_t{row[f]} * row[f];
      }
    }
    s.feature_mean.resize(d);
    s.feature_std.resize(d);
    const double n = static_cast<double>(n_train);
    for (size_t f = 0; f < d; ++f) {
      // n^2 var(bytes) = n * sum_sq - sum^2, exact in 64 bits for these sizes.
      const uint64_t spread = n_train * sum_sq[f] - sum[f] * sum[f];
      s.feature_mean[f] = sum[f] / (n * 255.0);
      s.feature_std[f] = std::sqrt(static_cast<double>(spread)) / (n * 255.0);
      offset[f] = static_cast<float>(s.feature_mean[f]);
      inv_scale[f] = spread == 0 ? 1.0f : static_cast<float>(1.0 / s.feature_std[f]);
    }
  }

  const size_t train_count = options.train_subset > 0 ? options.train_subset : n_train;
  s.train = to_floats(train_full, 0, train_count, offset, inv_scale, options.pixel_scale);
  s.val = to_floats(train_full, n_train, val_size, offset, inv_scale, options.pixel_scale);
  s.test = to_floats(test, 0, n_test, offset, inv_scale, options.pixel_scale);
  return s;
}

}  // namespace simdnet::nets
