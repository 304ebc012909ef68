// IDX files (MNIST, Fashion-MNIST), plain or gzip'd: zlib reads both, telling
// them apart by content. Header: 4-byte big-endian magic (0, 0, type 0x08 =
// unsigned byte, number of dimensions), then one big-endian uint32 per
// dimension, then the bytes.
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "file_error.h"
#include "simdnet/nets/data_files.h"

namespace simdnet::nets {
namespace {

using detail::file_error;
using detail::hex32;
namespace fs = std::filesystem;

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;
// Deflate's largest expansion (zlib's FAQ: 1032:1, from 258-byte matches of
// 1-bit codes): n compressed bytes never hold more than 1032 * n.
constexpr uint64_t kMaxDeflateRatio = 1032;

struct GzClose {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzClose>;

uint32_t big_endian32(const unsigned char* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

class IdxFile {
 public:
  explicit IdxFile(const fs::path& path) : path_(path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) file_error(path, "missing (no such file)");
    file_size_ = fs::file_size(path, ec);
    if (ec) file_error(path, "cannot read its size: " + ec.message());
    file_.reset(gzopen(path.c_str(), "rb"));
    if (!file_) file_error(path, std::string("cannot open: ") + std::strerror(errno));
    gzbuffer(file_.get(), 1 << 20);
  }

  // Reads the magic and the dimension fields; checks the magic.
  std::vector<uint32_t> header(uint32_t magic, const char* what) {
    unsigned char m[4];
    read_exactly(m, 4, "header (magic)");
    const uint32_t got = big_endian32(m);
    if (got != magic)
      file_error(path_, "bad magic " + hex32(got) + ", expected " + hex32(magic) + " (" + what +
                            ")");
    std::vector<uint32_t> dims(magic & 0xff);
    std::vector<unsigned char> fields(4 * dims.size());
    read_exactly(fields.data(), fields.size(), "header (dimension fields)");
    for (size_t i = 0; i < dims.size(); ++i) dims[i] = big_endian32(&fields[4 * i]);
    header_bytes_ = 4 + 4 * dims.size();
    return dims;
  }

  // Checks that the dimension fields describe a sane payload that the file
  // really holds, before anything is allocated; returns its size in bytes.
  size_t payload_bytes(const std::vector<uint32_t>& dims) {
    uint64_t n = 1;
    std::string shape;
    bool overflow = false;
    for (uint32_t d : dims) {
      shape += (shape.empty() ? "" : " x ") + std::to_string(d);
      overflow = overflow || __builtin_mul_overflow(n, uint64_t{d}, &n);
    }
    if (overflow) file_error(path_, "dimensions " + shape + " overflow a 64-bit size");
    for (uint32_t d : dims)
      if (d == 0) file_error(path_, "dimensions " + shape + " include a zero");
    if (n > kMaxDataBytes)
      file_error(path_, "dimensions " + shape + " ask for " + std::to_string(n) +
                            " bytes, more than the limit of " + std::to_string(kMaxDataBytes));
    const uint64_t total = header_bytes_ + n;
    if (gzdirect(file_.get())) {
      if (file_size_ != total)
        file_error(path_, "wrong size: the file is " + std::to_string(file_size_) +
                              " bytes, its header (dimensions " + shape + ") asks for " +
                              std::to_string(total));
    } else if (total / kMaxDeflateRatio > file_size_) {
      // The trailer's ISIZE is as forgeable as the header: this bound is not.
      file_error(path_, "the header (dimensions " + shape + ") asks for " + std::to_string(total) +
                            " bytes, more than a gzip file of " + std::to_string(file_size_) +
                            " bytes can hold (deflate expands at most " +
                            std::to_string(kMaxDeflateRatio) + ":1)");
    } else if (gzip_isize() != static_cast<uint32_t>(total)) {
      file_error(path_, "wrong size or truncated: the gzip trailer says " +
                            std::to_string(gzip_isize()) + " bytes uncompressed (mod 2^32), " +
                            "the header (dimensions " + shape + ") asks for " +
                            std::to_string(total));
    }
    return static_cast<size_t>(n);
  }

  void read_payload(uint8_t* out, size_t n, const char* what) {
    read_exactly(out, n, what);
    unsigned char extra;
    if (gzread(file_.get(), &extra, 1) > 0)
      file_error(path_, std::string("trailing data after the ") + what);
  }

 private:
  void read_exactly(void* out, size_t n, const char* what) {
    size_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
      const int got = gzread(file_.get(), static_cast<char*>(out) + done, chunk);
      if (got < 0) {
        int err = 0;
        std::string msg = gzerror(file_.get(), &err);
        // zlib puts the path in front of its message: keep the message only.
        const std::string prefix = path_.string() + ": ";
        if (msg.starts_with(prefix)) msg.erase(0, prefix.size());
        file_error(path_, "corrupt gzip data: " + msg);
      }
      if (got == 0)
        file_error(path_, std::string("truncated ") + what + ": got " + std::to_string(done) +
                              " of " + std::to_string(n) + " bytes");
      done += static_cast<size_t>(got);
    }
  }

  // The gzip trailer's ISIZE: the uncompressed size mod 2^32.
  uint32_t gzip_isize() const {
    std::ifstream in(path_, std::ios::binary);
    unsigned char t[4] = {};
    if (file_size_ < 18 || !in.seekg(-4, std::ios::end) || !in.read(reinterpret_cast<char*>(t), 4))
      file_error(path_, "truncated gzip data (no trailer)");
    return uint32_t{t[0]} | uint32_t{t[1]} << 8 | uint32_t{t[2]} << 16 | uint32_t{t[3]} << 24;
  }

  fs::path path_;
  uint64_t file_size_ = 0;
  uint64_t header_bytes_ = 0;
  GzFile file_;
};

}  // namespace

ByteImages read_idx_images(const fs::path& path) {
  IdxFile file(path);
  const auto dims = file.header(kImagesMagic, "IDX unsigned-byte images, 3 dimensions");
  ByteImages images;
  const size_t bytes = file.payload_bytes(dims);
  images.count = dims[0];
  images.shape = {dims[1], dims[2], 1};
  images.pixels.resize(bytes);
  file.read_payload(images.pixels.data(), bytes, "pixel data");
  return images;
}

std::vector<uint8_t> read_idx_labels(const fs::path& path, int num_classes) {
  IdxFile file(path);
  const auto dims = file.header(kLabelsMagic, "IDX unsigned-byte labels, 1 dimension");
  const size_t count = file.payload_bytes(dims);
  std::vector<uint8_t> labels(count);
  file.read_payload(labels.data(), count, "labels");
  for (size_t i = 0; i < count; ++i)
    if (labels[i] >= num_classes)
      file_error(path, "label " + std::to_string(labels[i]) + " at index " + std::to_string(i) +
                           " is out of range [0, " + std::to_string(num_classes) + ")");
  return labels;
}

}  // namespace simdnet::nets
