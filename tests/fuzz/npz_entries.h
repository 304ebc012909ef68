// The checkpoint target's input: a list of .npz entries, each
//   [1 byte: name length n] [n bytes: name] [4 bytes little-endian: m] [m bytes: .npy]
// which the target zips (stored, CRCs right) before loading it. Fuzzing the
// raw zip (npz_fuzz) rarely gets past libzip's CRC check into the arrays;
// this framing lets every mutation reach the .npy headers and the
// checkpoint's own checks. A truncated last entry is cut to what is there.
#pragma once

#include <zip.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace simdnet::fuzz {

struct NpzEntry {
  std::string name;  // the entry's name in the zip, without ".npy"
  std::vector<uint8_t> npy;
};

inline std::vector<NpzEntry> decode_entries(const uint8_t* data, size_t size) {
  std::vector<NpzEntry> out;
  size_t pos = 0;
  while (pos < size) {
    const size_t announced = data[pos++];
    const size_t n = std::min(announced, size - pos);
    NpzEntry e;
    e.name.assign(reinterpret_cast<const char*>(data + pos), n);
    pos += n;
    uint32_t m = 0;
    for (int i = 0; i < 4 && pos < size; ++i) m |= uint32_t{data[pos++]} << (8 * i);
    const size_t len = std::min<size_t>(m, size - pos);
    e.npy.assign(data + pos, data + pos + len);
    pos += len;
    out.push_back(std::move(e));
  }
  return out;
}

inline std::vector<uint8_t> encode_entries(const std::vector<NpzEntry>& entries) {
  std::vector<uint8_t> out;
  for (const NpzEntry& e : entries) {
    out.push_back(static_cast<uint8_t>(e.name.size()));
    out.insert(out.end(), e.name.begin(), e.name.end());
    const uint32_t m = static_cast<uint32_t>(e.npy.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(m >> (8 * i)));
    out.insert(out.end(), e.npy.begin(), e.npy.end());
  }
  return out;
}

// Writes `entries` as a stored zip at `path`; false if libzip refuses one
// (e.g. a duplicate or empty name), which the target then skips.
inline bool write_zip(const std::filesystem::path& path, const std::vector<NpzEntry>& entries) {
  int code = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (zip == nullptr) {
    std::fprintf(stderr, "zip_open %s failed: %d\n", path.c_str(), code);
    std::abort();
  }
  for (const NpzEntry& e : entries) {
    zip_source_t* source = zip_source_buffer(zip, e.npy.data(), e.npy.size(), 0);
    const std::string name = e.name + ".npy";
    const zip_int64_t index =
        source ? zip_file_add(zip, name.c_str(), source, ZIP_FL_ENC_UTF_8) : -1;
    if (index < 0) {
      if (source) zip_source_free(source);
      zip_discard(zip);
      return false;
    }
    zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  if (zip_close(zip) != 0) {
    zip_discard(zip);
    return false;
  }
  return true;
}

}  // namespace simdnet::fuzz
