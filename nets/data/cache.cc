// The decoded-data cache: a ByteDataset as one flat file (see data_files.h),
// so a later load is a read and a CRC instead of a PNG or gzip decode.
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "file_error.h"
#include "simdnet/nets/data_files.h"

namespace simdnet::nets {
namespace {

using detail::file_error;
namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "the cache format is little-endian");

constexpr char kMagic[8] = {'S', 'I', 'M', 'D', 'N', 'E', 'T', 'C'};
constexpr uint32_t kVersion = 1;

struct CacheHeader {
  char magic[8];
  uint32_t version;
  uint32_t count, height, width, channels;
  uint32_t num_classes;
  uint32_t crc32;            // of the pixel bytes, then the label bytes
  uint32_t reserved0;
  uint64_t payload_bytes;    // count * features + count
  char source[64];           // what the data was decoded from, NUL-padded
  char reserved[16];
};
static_assert(sizeof(CacheHeader) == 128);

struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

uint32_t crc_of(const ByteDataset& d) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  crc = crc32_z(crc, d.images.pixels.data(), d.images.pixels.size());
  crc = crc32_z(crc, d.labels.data(), d.labels.size());
  return static_cast<uint32_t>(crc);
}

std::string source_tag(const char (&s)[64]) { return std::string(s, strnlen(s, sizeof s)); }

}  // namespace

void write_cache(const fs::path& path, const ByteDataset& data, std::string_view source) {
  const ByteImages& im = data.images;
  if (im.pixels.size() != im.count * im.shape.features() || data.labels.size() != im.count)
    file_error(path, "cannot cache: pixel or label count does not match the image count");
  if (source.size() >= sizeof(CacheHeader::source))
    file_error(path, "cannot cache: source tag too long");
  CacheHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.count = static_cast<uint32_t>(im.count);
  h.height = static_cast<uint32_t>(im.shape.height);
  h.width = static_cast<uint32_t>(im.shape.width);
  h.channels = static_cast<uint32_t>(im.shape.channels);
  h.num_classes = static_cast<uint32_t>(data.num_classes);
  h.crc32 = crc_of(data);
  h.payload_bytes = im.pixels.size() + data.labels.size();
  std::memcpy(h.source, source.data(), source.size());

  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) file_error(path.parent_path(), "cannot create the cache folder: " + ec.message());
  // A temporary name unique to this process and call, renamed into place.
  static std::atomic<unsigned> serial{0};
  const fs::path tmp = path.string() + ".tmp." + std::to_string(getpid()) + "." +
                       std::to_string(serial++);
  {
    std::unique_ptr<std::FILE, FileClose> f(std::fopen(tmp.c_str(), "wb"));
    if (!f) file_error(tmp, std::string("cannot create: ") + std::strerror(errno));
    const bool ok = std::fwrite(&h, sizeof h, 1, f.get()) == 1 &&
                    std::fwrite(im.pixels.data(), 1, im.pixels.size(), f.get()) ==
                        im.pixels.size() &&
                    std::fwrite(data.labels.data(), 1, data.labels.size(), f.get()) ==
                        data.labels.size() &&
                    std::fflush(f.get()) == 0 && fsync(fileno(f.get())) == 0;
    const int err = errno;
    if (std::fclose(f.release()) != 0 || !ok) {
      fs::remove(tmp, ec);
      file_error(tmp, std::string("cannot write: ") + std::strerror(err));
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    file_error(path, "cannot rename the temporary file into place: " + ec.message());
  }
}

ByteDataset read_cache(const fs::path& path, std::string_view source) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) file_error(path, "missing (no such file)");
  const uint64_t file_size = fs::file_size(path, ec);
  if (ec) file_error(path, "cannot read its size: " + ec.message());
  std::unique_ptr<std::FILE, FileClose> f(std::fopen(path.c_str(), "rb"));
  if (!f) file_error(path, std::string("cannot open: ") + std::strerror(errno));

  CacheHeader h{};
  if (file_size < sizeof h || std::fread(&h, sizeof h, 1, f.get()) != 1)
    file_error(path, "truncated header: the file is " + std::to_string(file_size) +
                         " bytes, a header is " + std::to_string(sizeof h));
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0)
    file_error(path, "bad magic: not a simdnet cache file");
  if (h.version != kVersion)
    file_error(path, "cache format version " + std::to_string(h.version) + ", expected " +
                         std::to_string(kVersion));
  if (source_tag(h.source) != source)
    file_error(path, "decoded from '" + source_tag(h.source) + "', expected '" +
                         std::string(source) + "'");
  if (h.num_classes == 0 || h.num_classes > 256)
    file_error(path, "bad class count " + std::to_string(h.num_classes));
  uint64_t pixels = 1;
  bool overflow = false;
  for (uint64_t d : {uint64_t{h.count}, uint64_t{h.height}, uint64_t{h.width},
                     uint64_t{h.channels}})
    overflow = overflow || __builtin_mul_overflow(pixels, d, &pixels);
  if (overflow || pixels + h.count > kMaxDataBytes || pixels + h.count != h.payload_bytes)
    file_error(path, "header sizes do not add up (count " + std::to_string(h.count) +
                         ", payload " + std::to_string(h.payload_bytes) + " bytes)");
  if (file_size != sizeof h + h.payload_bytes)
    file_error(path, "wrong size: the file is " + std::to_string(file_size) +
                         " bytes, its header asks for " +
                         std::to_string(sizeof h + h.payload_bytes));

  ByteDataset d;
  d.num_classes = static_cast<int>(h.num_classes);
  d.images.count = h.count;
  d.images.shape = {h.height, h.width, h.channels};
  d.images.pixels.resize(pixels);
  d.labels.resize(h.count);
  if (std::fread(d.images.pixels.data(), 1, pixels, f.get()) != pixels ||
      std::fread(d.labels.data(), 1, h.count, f.get()) != h.count)
    file_error(path, "truncated payload");
  if (crc_of(d) != h.crc32) file_error(path, "checksum mismatch (CRC-32 of the payload)");
  for (size_t i = 0; i < d.labels.size(); ++i)
    if (d.labels[i] >= d.num_classes)
      file_error(path, "label " + std::to_string(d.labels[i]) + " at index " +
                           std::to_string(i) + " is out of range");
  return d;
}

}  // namespace simdnet::nets
