// The real data sets, from $SIMDNET_DATA_DIR or <repo>/data. load_dataset
// fetches what is missing (scripts/test fetches everything first); when the
// data cannot be had these tests FAIL with the fetch error — they never skip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <numeric>

#include "simdnet/nets/data.h"
#include "simdnet/nets/data_files.h"
#include "support/errors.h"
#include "support/temp_dir.h"

namespace simdnet::nets {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::array<size_t, 10> histogram(const std::vector<int32_t>& y) {
  std::array<size_t, 10> h{};
  for (int32_t v : y) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 10);
    if (v >= 0 && v < 10) ++h[static_cast<size_t>(v)];
  }
  return h;
}

std::array<size_t, 10> operator+(std::array<size_t, 10> a, const std::array<size_t, 10>& b) {
  for (size_t i = 0; i < 10; ++i) a[i] += b[i];
  return a;
}

void expect_range(const Dataset& d, float lo, float hi) {
  const auto [mn, mx] = std::minmax_element(d.x.data(), d.x.data() + d.size() * d.features());
  EXPECT_EQ(*mn, lo);
  EXPECT_EQ(*mx, hi);
}

DataSplits load_timed(const std::string& name, const DataOptions& o = {}) {
  const auto t0 = std::chrono::steady_clock::now();
  DataSplits d = load_dataset(name, o);
  std::cout << "[ timing   ] load_dataset(" << name << "): "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
            << " s\n";
  return d;
}

TEST(RealData, Mnist) {
  DataOptions o;
  o.val_size = 0;
  const DataSplits d = load_timed("mnist", o);
  ASSERT_EQ(d.train.size(), 60000u);
  ASSERT_EQ(d.test.size(), 10000u);
  EXPECT_EQ(d.train.features(), 784u);
  EXPECT_EQ(d.train.num_classes, 10);
  EXPECT_EQ(d.train.y[0], 5);
  EXPECT_EQ(d.test.y[0], 7);
  EXPECT_EQ(histogram(d.train.y), (std::array<size_t, 10>{5923, 6742, 5958, 6131, 5842, 5421,
                                                          5918, 6265, 5851, 5949}));
  EXPECT_EQ(histogram(d.test.y),
            (std::array<size_t, 10>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  expect_range(d.train, 0.0f, 1.0f);
  expect_range(d.test, 0.0f, 1.0f);
  // The first training image (a 5): pixel (row 14, col 14) is ink.
  EXPECT_GT(d.train.x.at(0, 14 * 28 + 14), 0.5f) << "IDX pixels are row-major";
}

TEST(RealData, MnistDefaultSplitIsTheSameData) {
  DataOptions all;
  all.val_size = 0;
  const DataSplits whole = load_dataset("mnist", all);
  const DataSplits d = load_timed("mnist");
  ASSERT_EQ(d.train.size(), 55000u);
  ASSERT_EQ(d.val.size(), 5000u);
  EXPECT_EQ(histogram(d.train.y) + histogram(d.val.y), histogram(whole.train.y));
  // val = the last 5000 of the official training set.
  EXPECT_EQ(0, std::memcmp(d.val.x.data(), whole.train.x.data() + size_t{55000} * 784,
                           size_t{5000} * 784 * sizeof(float)));
  EXPECT_EQ(std::vector<int32_t>(whole.train.y.begin() + 55000, whole.train.y.end()), d.val.y);
}

TEST(RealData, MnistStandardizedAndSubset) {
  DataOptions o;
  o.standardize = true;
  o.train_subset = 500;
  const DataSplits d = load_dataset("mnist", o);
  EXPECT_EQ(d.train.size(), 500u);
  ASSERT_EQ(d.feature_mean.size(), 784u);
  EXPECT_EQ(d.feature_std[0], 0.0);  // a border pixel: always 0
  EXPECT_GT(d.feature_std[14 * 28 + 14], 0.3);
  EXPECT_NEAR(d.feature_mean[14 * 28 + 14], 0.5, 0.2);
}

TEST(RealData, Cifar10PixelScaleMultipliesEveryFeatureLast) {
  DataOptions o;
  o.train_subset = 100;
  const DataSplits plain = load_dataset("cifar10", o);
  o.pixel_scale = 255.0f;
  const DataSplits raw = load_dataset("cifar10", o);
  ASSERT_EQ(raw.train.size(), 100u);
  // CS231n's scale: byte - channel mean, to float rounding (one product).
  for (size_t i = 0; i < 100 * 3072; ++i)
    ASSERT_EQ(raw.train.x.data()[i], plain.train.x.data()[i] * 255.0f) << i;
  for (size_t i = 0; i < 1000 * 3072; ++i)
    ASSERT_EQ(raw.test.x.data()[i], plain.test.x.data()[i] * 255.0f) << i;
  o.pixel_scale = 0.0f;
  EXPECT_THAT([&] { load_dataset("cifar10", o); },
              ::testing::ThrowsMessage<std::runtime_error>(
                  ::testing::HasSubstr("pixel_scale 0.000000: expected a finite number > 0")));
}

TEST(RealData, FashionMnist) {
  DataOptions o;
  o.val_size = 0;
  const DataSplits d = load_timed("fashion-mnist", o);
  ASSERT_EQ(d.train.size(), 60000u);
  ASSERT_EQ(d.test.size(), 10000u);
  EXPECT_EQ(d.train.features(), 784u);
  EXPECT_EQ(d.train.y[0], 9);
  EXPECT_EQ(d.test.y[0], 9);
  std::array<size_t, 10> train_h, test_h;
  train_h.fill(6000);
  test_h.fill(1000);
  EXPECT_EQ(histogram(d.train.y), train_h);
  EXPECT_EQ(histogram(d.test.y), test_h);
  expect_range(d.train, 0.0f, 1.0f);
}

TEST(RealData, Cifar10RawPixels) {
  DataOptions o;
  o.subtract_channel_mean = false;
  o.cs231n_test_subset = true;
  const DataSplits d = load_timed("cifar10", o);
  ASSERT_EQ(d.train.size(), 49000u);
  ASSERT_EQ(d.val.size(), 1000u);
  ASSERT_EQ(d.test.size(), 1000u);
  EXPECT_EQ(d.train.features(), 3072u);
  EXPECT_EQ(d.shape.height, 32u);
  EXPECT_EQ(d.shape.channels, 3u);
  // train_lables.json begins 6, 9, 9, 4, 1; test_lables.json 3, 8, 8, 0, 6.
  EXPECT_EQ(std::vector<int32_t>(d.train.y.begin(), d.train.y.begin() + 5),
            (std::vector<int32_t>{6, 9, 9, 4, 1}));
  EXPECT_EQ(std::vector<int32_t>(d.test.y.begin(), d.test.y.begin() + 5),
            (std::vector<int32_t>{3, 8, 8, 0, 6}));
  std::array<size_t, 10> per_class;
  per_class.fill(5000);
  EXPECT_EQ(histogram(d.train.y) + histogram(d.val.y), per_class);
  const auto test_h = histogram(d.test.y);
  EXPECT_EQ(std::accumulate(test_h.begin(), test_h.end(), size_t{0}), 1000u);
  expect_range(d.train, 0.0f, 1.0f);
  // HWC, as the original CIFAR-10: image 0 (a frog) begins with the pixels
  // (59, 62, 63), (43, 46, 45); image 1 (a truck) with (154, 177, 187).
  EXPECT_EQ(d.train.x.at(0, 0), 59.0f / 255.0f);
  EXPECT_EQ(d.train.x.at(0, 1), 62.0f / 255.0f);
  EXPECT_EQ(d.train.x.at(0, 2), 63.0f / 255.0f);
  EXPECT_EQ(d.train.x.at(0, 3), 43.0f / 255.0f);
  EXPECT_EQ(d.train.x.at(0, 5), 45.0f / 255.0f);
  EXPECT_EQ(d.train.x.at(1, 0), 154.0f / 255.0f);
  EXPECT_EQ(d.train.x.at(1, 1), 177.0f / 255.0f);
  EXPECT_EQ(d.train.x.at(1, 2), 187.0f / 255.0f);
}

TEST(RealData, Cifar10ChannelMeanFromTrain) {
  const DataSplits d = load_timed("cifar10");
  ASSERT_EQ(d.channel_mean.size(), 3u);
  // CIFAR-10's well-known channel means (over all 50000: 0.4914, 0.4822, 0.4465).
  EXPECT_NEAR(d.channel_mean[0], 0.4914, 0.002);
  EXPECT_NEAR(d.channel_mean[1], 0.4822, 0.002);
  EXPECT_NEAR(d.channel_mean[2], 0.4465, 0.002);
  for (size_t c = 0; c < 3; ++c) {
    double sum = 0;
    for (size_t i = 0; i < d.train.size(); ++i)
      for (size_t p = 0; p < 1024; ++p) sum += d.train.x.at(i, 3 * p + c);
    EXPECT_NEAR(sum / (d.train.size() * 1024.0), 0.0, 1e-5) << "channel " << c;
  }
  EXPECT_EQ(d.test.size(), 10000u);
}

TEST(RealData, FetchRejectsACorruptedCopy) {
  // A copy of the real MNIST labels with one byte changed, in a fresh data dir.
  const fs::path src = default_data_dir() / "raw/mnist/train-labels-idx1-ubyte";
  if (!fs::exists(src)) fetch_raw_data("mnist", default_data_dir());  // throws if it cannot
  ASSERT_TRUE(fs::exists(src)) << src << " is missing: run scripts/fetch-data mnist";
  const test::TempDir dir("simdnet-data-real");
  const fs::path copy = dir.path() / "raw/mnist/train-labels-idx1-ubyte";
  fs::create_directories(copy.parent_path());
  fs::copy_file(src, copy);
  {
    std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x07');
  }
  EXPECT_THAT(test::error_of([&] { fetch_raw_data("mnist", dir.path()); }),
              HasSubstr(copy.string() + ": SHA-256 mismatch: expected "
                                        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef0"
                                        "9a8a9eef7101c5, actual "));
}

}  // namespace
}  // namespace simdnet::nets
