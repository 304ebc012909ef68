// Named arrays in NumPy's .npz format (a zip of .npy files, one per array), so
// that parameters and checkpoints open in NumPy or PyTorch:
//
//   f = np.load("model.npz");  f["W1"].shape  ->  (784, 512)
//
// Written: .npy format version 1.0 (NumPy's NEP 1 / numpy.lib.format): the
// magic "\x93NUMPY", version 1.0, a little-endian uint16 header length, then
// a Python dict literal {'descr': ..., 'fortran_order': False, 'shape': (...), }
// padded with spaces and ended by '\n' so the data starts on a 64-byte
// boundary, then the values in C order. Entries are stored uncompressed, as
// np.savez does. Read: versions 1.0, 2.0 and 3.0, stored or deflated entries
// (np.savez and np.savez_compressed both read back).
//
// Element types: float32 ('<f4'), float64 ('<f8'), int64 ('<i8'), and a 0-d
// ASCII string ('<Un', UTF-32 code units, as np.array("adam") stores it) for
// the few settings that are words (update rule, data set).
//
// Every reading error is a std::runtime_error whose message names the file and
// the array: "model.npz: array 'W1' has shape (784, 100), expected (784, 512)".
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "simdnet/kernels/matrix.h"

namespace simdnet::nets::npz {

enum class DType { kFloat32, kFloat64, kInt64, kString };

// "float32 ('<f4')" and so on, for messages.
std::string dtype_name(DType dtype);

// "(784, 512)", "(10,)", "()": NumPy's spelling of a shape.
std::string shape_string(std::span<const size_t> shape);

// One named array. `shape` is NumPy's: () for a scalar, (n,) for a vector,
// (rows, cols) for a matrix; values are in C (row-major) order.
struct Array {
  std::string name;
  std::vector<size_t> shape;
  std::variant<std::vector<float>, std::vector<double>, std::vector<int64_t>, std::string> values;

  DType dtype() const;
  // Number of elements: the product of the shape (1 for a scalar).
  size_t element_count() const;

  static Array float32(std::string name, std::vector<size_t> shape, std::span<const float> values);
  // A matrix view as a (rows, cols) array, or as a (cols,) vector when
  // `as_vector` (CS231n's b1, gamma1, running_mean1 are 1-D); stride dropped.
  static Array float32(std::string name, kernels::ConstMatrixView matrix, bool as_vector = false);
  static Array float64(std::string name, std::vector<size_t> shape, std::span<const double> values);
  static Array int64(std::string name, std::vector<size_t> shape, std::span<const int64_t> values);
  static Array float64_scalar(std::string name, double value);
  static Array int64_scalar(std::string name, int64_t value);
  static Array string(std::string name, std::string_view text);  // ASCII only
};

// Writes `arrays` as `path` (replaced if it exists; libzip writes a temporary
// file beside it and renames it into place). Throws std::invalid_argument for
// a malformed array (empty or duplicate name, shape that does not match the
// value count, non-ASCII text) and std::runtime_error naming the file when it
// cannot be written.
void save_npz(const std::filesystem::path& path, std::span<const Array> arrays);

// Throws std::runtime_error "<path>: cannot write: <why>" unless a file can be
// created at `path` (its folder exists and takes new files, and `path` is not
// a folder). Used to check --save paths before hours of training.
void check_writable(const std::filesystem::path& path);

// A whole .npz read into memory; its accessors check what the caller expects.
class NpzFile {
 public:
  // Reads and checks every entry: a .npy name, a readable header, a supported
  // dtype, C order, and a data size that matches the shape. Throws
  // std::runtime_error naming the file (and the entry) otherwise.
  explicit NpzFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const std::vector<Array>& arrays() const { return arrays_; }
  std::vector<std::string> names() const;
  bool contains(std::string_view name) const;

  // The array `name`, checked: it exists and has the dtype (and shape) asked.
  const Array& array(std::string_view name) const;
  const Array& array(std::string_view name, DType dtype) const;
  const Array& array(std::string_view name, DType dtype, std::span<const size_t> shape) const;

  std::span<const float> float32(std::string_view name, std::span<const size_t> shape) const;
  // Copies a float32 array of shape (rows, cols), or (cols,) when `as_vector`,
  // into `out` (out's rows and cols give the expected shape).
  void read_matrix(std::string_view name, kernels::MatrixView out, bool as_vector = false) const;
  // 1-D arrays of any length (histories).
  std::span<const double> float64_vector(std::string_view name) const;
  std::span<const int64_t> int64_vector(std::string_view name) const;
  double float64_scalar(std::string_view name) const;
  int64_t int64_scalar(std::string_view name) const;
  const std::string& string(std::string_view name) const;

  // Throws std::runtime_error naming `name` and the file: "<path>: array
  // 'name' <what>". For checks the caller makes on values.
  [[noreturn]] void fail(std::string_view name, const std::string& what) const;

 private:
  std::filesystem::path path_;
  std::vector<Array> arrays_;
};

// The .npy bytes of one array, and back (the .npz reader and writer use these;
// tests use them to build malformed entries). `where` names the entry in
// messages, e.g. "model.npz: W1.npy".
std::vector<uint8_t> encode_npy(const Array& array);
Array decode_npy(std::span<const uint8_t> bytes, std::string name, const std::string& where);

}  // namespace simdnet::nets::npz
