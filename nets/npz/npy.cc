// One array as a .npy file, after numpy.lib.format (format versions 1.0 to
// 3.0). Layout:
//
//   "\x93NUMPY" major minor  header_len  header  data
//    6 bytes    1     1      2 (v1) or 4 (v2, v3) little-endian
//
// header is a Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (784, 512), }
// padded with spaces and ended by '\n' so that 6 + 2 + 2 + header_len is a
// multiple of 64 (NumPy aligns the data so it can be memory-mapped).
#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

#include "simdnet/nets/npz.h"

namespace simdnet::nets::npz {
namespace {

static_assert(std::endian::native == std::endian::little,
              ".npy data is written as the host's bytes, declared little-endian");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kAlignment = 64;
// A header longer than this is not one NumPy would write for our arrays.
constexpr size_t kMaxHeaderSize = 1 << 16;

[[noreturn]] void npy_error(const std::string& where, const std::string& what) {
  throw std::runtime_error(where + ": " + what);
}

// '<f4', '<f8', '<i8', '<U7': NumPy's descr of the array's element type.
std::string descr_of(const Array& a) {
  switch (a.dtype()) {
    case DType::kFloat32:
      return "<f4";
    case DType::kFloat64:
      return "<f8";
    case DType::kInt64:
      return "<i8";
    case DType::kString:
      // At least one code unit: NumPy's np.array("") is '<U1' too.
      return "<U" + std::to_string(std::max<size_t>(std::get<std::string>(a.values).size(), 1));
  }
  return "";
}

// --- a tiny reader for the header's dict literal ----------------------------
// Accepts what NumPy writes: string keys; values that are a quoted string,
// True/False, or a tuple of non-negative integers; optional trailing commas.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& where) : text_(text), where_(where) {}

  struct Header {
    std::string descr;
    bool fortran_order = false;
    std::vector<size_t> shape;
  };

  Header parse() {
    Header h;
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = quoted();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        h.descr = quoted();
        has_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        has_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        has_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != '}') fail("expected ',' or '}'");
    }
    if (!has_descr || !has_order || !has_shape)
      fail("it lacks one of 'descr', 'fortran_order', 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    npy_error(where_, "bad .npy header " + std::string(text_) + ": " + what);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string quoted() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    const size_t end = text_.find(q, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return s;
  }
  bool boolean() {
    if (text_.substr(pos_, 4) == "True") return pos_ += 4, true;
    if (text_.substr(pos_, 5) == "False") return pos_ += 5, false;
    fail("expected True or False");
  }
  std::vector<size_t> tuple() {
    std::vector<size_t> dims;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') fail("expected a dimension");
      size_t d = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (d > (size_t{1} << 48)) fail("dimension too large");
        d = d * 10 + static_cast<size_t>(peek() - '0');
        ++pos_;
      }
      dims.push_back(d);
      skip_space();
      if (peek() == ',') ++pos_;
    }
    ++pos_;
    return dims;
  }

  std::string_view text_;
  const std::string& where_;
  size_t pos_ = 0;
};

// The element count of `shape`, failing (instead of wrapping) on overflow.
size_t checked_count(std::span<const size_t> shape, const std::string& where) {
  size_t n = 1;
  for (size_t d : shape) {
    if (d != 0 && n > (size_t{1} << 40) / d)
      npy_error(where, "shape " + shape_string(shape) + " is too large");
    n *= d;
  }
  return n;
}

template <class T>
std::vector<T> read_values(std::span<const uint8_t> data, size_t count) {
  std::vector<T> v(count);
  if (count != 0) std::memcpy(v.data(), data.data(), count * sizeof(T));
  return v;
}

}  // namespace

std::vector<uint8_t> encode_npy(const Array& array) {
  std::string header = "{'descr': '" + descr_of(array) +
                       "', 'fortran_order': False, 'shape': " + shape_string(array.shape) + ", }";
  // Pad with spaces so that the data starts at a multiple of 64, '\n' last.
  const size_t preamble = kMagicSize + 2 + 2;
  const size_t total = (preamble + header.size() + 1 + kAlignment - 1) / kAlignment * kAlignment;
  header.append(total - preamble - header.size() - 1, ' ');
  header.push_back('\n');
  if (header.size() >= kMaxHeaderSize)
    throw std::invalid_argument("npz: array '" + array.name + "': .npy header too long");

  std::vector<uint8_t> bytes(kMagic, kMagic + kMagicSize);
  bytes.push_back(1);  // format version 1.0
  bytes.push_back(0);
  bytes.push_back(static_cast<uint8_t>(header.size() & 0xff));
  bytes.push_back(static_cast<uint8_t>(header.size() >> 8));
  bytes.insert(bytes.end(), header.begin(), header.end());

  auto append = [&](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
  };
  std::visit(
      [&](const auto& values) {
        using V = std::decay_t<decltype(values)>;
        if constexpr (std::is_same_v<V, std::string>) {
          // UTF-32LE code units; ASCII only (checked by Array::string), NUL-padded.
          const size_t units = std::max<size_t>(values.size(), 1);
          for (size_t i = 0; i < units; ++i) {
            const uint32_t c = i < values.size() ? static_cast<uint8_t>(values[i]) : 0;
            append(&c, 4);
          }
        } else {
          append(values.data(), values.size() * sizeof(values[0]));
        }
      },
      array.values);
  return bytes;
}

Array decode_npy(std::span<const uint8_t> bytes, std::string name, const std::string& where) {
  if (bytes.size() < kMagicSize + 4 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0)
    npy_error(where, "not a .npy array (no \\x93NUMPY magic)");
  const uint8_t major = bytes[6];
  size_t header_len = 0, preamble = 0;
  if (major == 1) {
    header_len = size_t{bytes[8]} | size_t{bytes[9]} << 8;
    preamble = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) npy_error(where, "truncated .npy header");
    header_len = size_t{bytes[8]} | size_t{bytes[9]} << 8 | size_t{bytes[10]} << 16 |
                 size_t{bytes[11]} << 24;
    preamble = 12;
  } else {
    npy_error(where, ".npy format version " + std::to_string(major) + "." +
                         std::to_string(bytes[7]) + " is not supported (1.0 to 3.0 are)");
  }
  if (header_len > kMaxHeaderSize || preamble + header_len > bytes.size())
    npy_error(where, "truncated .npy header (" + std::to_string(header_len) + " bytes announced, " +
                         std::to_string(bytes.size() - preamble) + " present)");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + preamble), header_len);
  const auto header = HeaderParser(text, where).parse();
  if (header.fortran_order)
    npy_error(where, "fortran_order True (column-major) is not supported; save a C-order array");

  Array a;
  a.name = std::move(name);
  a.shape = header.shape;
  const size_t count = checked_count(header.shape, where);
  const std::span<const uint8_t> data = bytes.subspan(preamble + header_len);

  size_t element_size = 0;
  const std::string& d = header.descr;
  if (d == "<f4") {
    element_size = 4;
  } else if (d == "<f8") {
    element_size = 8;
  } else if (d == "<i8") {
    element_size = 8;
  } else if (d.size() > 2 && d.substr(0, 2) == "<U") {
    size_t units = 0;
    for (char c : d.substr(2)) {
      if (c < '0' || c > '9' || units > 1000000) npy_error(where, "bad dtype '" + d + "'");
      units = units * 10 + static_cast<size_t>(c - '0');
    }
    element_size = 4 * units;
    if (!header.shape.empty())
      npy_error(where, "a '<U' string array must be 0-d (a single string); its shape is " +
                           shape_string(header.shape));
  } else {
    npy_error(where, "dtype '" + d +
                         "' is not supported (simdnet reads '<f4', '<f8', '<i8' and 0-d '<U')");
  }
  if (data.size() != count * element_size)
    npy_error(where, "data is " + std::to_string(data.size()) + " bytes; shape " +
                         shape_string(header.shape) + " of '" + d + "' needs " +
                         std::to_string(count * element_size));

  if (d == "<f4") {
    a.values = read_values<float>(data, count);
  } else if (d == "<f8") {
    a.values = read_values<double>(data, count);
  } else if (d == "<i8") {
    a.values = read_values<int64_t>(data, count);
  } else {
    std::string text_value;
    for (size_t i = 0; i + 4 <= data.size(); i += 4) {
      uint32_t c;
      std::memcpy(&c, data.data() + i, 4);
      if (c == 0) break;  // NumPy pads with NULs
      if (c > 127) npy_error(where, "the string holds non-ASCII text (not supported)");
      text_value.push_back(static_cast<char>(c));
    }
    a.values = std::move(text_value);
  }
  return a;
}

}  // namespace simdnet::nets::npz
