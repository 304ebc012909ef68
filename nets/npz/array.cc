// npz::Array's constructors and NpzFile's checked accessors: every mismatch
// between what a file holds and what the caller expects is an error naming
// the file and the array.
#include <algorithm>
#include <stdexcept>

#include "simdnet/nets/npz.h"

namespace simdnet::nets::npz {
namespace {

template <class T>
std::vector<T> to_vector(std::span<const T> values) {
  return {values.begin(), values.end()};
}

}  // namespace

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32 ('<f4')";
    case DType::kFloat64:
      return "float64 ('<f8')";
    case DType::kInt64:
      return "int64 ('<i8')";
    case DType::kString:
      return "string ('<U')";
  }
  return "?";
}

std::string shape_string(std::span<const size_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

DType Array::dtype() const {
  switch (values.index()) {
    case 0:
      return DType::kFloat32;
    case 1:
      return DType::kFloat64;
    case 2:
      return DType::kInt64;
    default:
      return DType::kString;
  }
}

size_t Array::element_count() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

Array Array::float32(std::string name, std::vector<size_t> shape, std::span<const float> values) {
  return {std::move(name), std::move(shape), to_vector(values)};
}

Array Array::float32(std::string name, kernels::ConstMatrixView m, bool as_vector) {
  if (as_vector && m.rows != 1)
    throw std::invalid_argument("npz: array '" + name + "': only a 1-row matrix is a vector, not " +
                                std::to_string(m.rows) + " rows");
  std::vector<float> v;
  v.reserve(m.size());
  for (size_t r = 0; r < m.rows; ++r) v.insert(v.end(), m.row(r), m.row(r) + m.cols);
  std::vector<size_t> shape = as_vector ? std::vector<size_t>{m.cols} : std::vector{m.rows, m.cols};
  return {std::move(name), std::move(shape), std::move(v)};
}

Array Array::float64(std::string name, std::vector<size_t> shape, std::span<const double> values) {
  return {std::move(name), std::move(shape), to_vector(values)};
}

Array Array::int64(std::string name, std::vector<size_t> shape, std::span<const int64_t> values) {
  return {std::move(name), std::move(shape), to_vector(values)};
}

Array Array::float64_scalar(std::string name, double value) {
  return {std::move(name), {}, std::vector<double>{value}};
}

Array Array::int64_scalar(std::string name, int64_t value) {
  return {std::move(name), {}, std::vector<int64_t>{value}};
}

Array Array::string(std::string name, std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) > 127 || c == '\0')
      throw std::invalid_argument("npz: array '" + name + "': text must be ASCII without NULs");
  return {std::move(name), {}, std::string(text)};
}

// --- NpzFile's accessors ------------------------------------------------------

std::vector<std::string> NpzFile::names() const {
  std::vector<std::string> out;
  for (const Array& a : arrays_) out.push_back(a.name);
  return out;
}

bool NpzFile::contains(std::string_view name) const {
  for (const Array& a : arrays_)
    if (a.name == name) return true;
  return false;
}

void NpzFile::fail(std::string_view name, const std::string& what) const {
  throw std::runtime_error(path_.string() + ": array '" + std::string(name) + "' " + what);
}

const Array& NpzFile::array(std::string_view name) const {
  for (const Array& a : arrays_)
    if (a.name == name) return a;
  fail(name,
       "is missing (the file is not what the reader expects: wrong file, or a different "
       "net or version)");
}

const Array& NpzFile::array(std::string_view name, DType dtype) const {
  const Array& a = array(name);
  if (a.dtype() != dtype)
    fail(name, "is " + dtype_name(a.dtype()) + ", expected " + dtype_name(dtype));
  return a;
}

const Array& NpzFile::array(std::string_view name, DType dtype,
                            std::span<const size_t> shape) const {
  const Array& a = array(name, dtype);
  bool same = a.shape.size() == shape.size();
  for (size_t i = 0; same && i < shape.size(); ++i) same = a.shape[i] == shape[i];
  if (!same) fail(name, "has shape " + shape_string(a.shape) + ", expected " + shape_string(shape));
  return a;
}

std::span<const float> NpzFile::float32(std::string_view name,
                                        std::span<const size_t> shape) const {
  return std::get<std::vector<float>>(array(name, DType::kFloat32, shape).values);
}

void NpzFile::read_matrix(std::string_view name, kernels::MatrixView out, bool as_vector) const {
  if (as_vector && out.rows != 1)
    throw std::invalid_argument("NpzFile::read_matrix: a vector fills a 1-row matrix, not " +
                                std::to_string(out.rows) + " rows");
  const std::vector<size_t> shape =
      as_vector ? std::vector<size_t>{out.cols} : std::vector<size_t>{out.rows, out.cols};
  const std::span<const float> values = float32(name, shape);
  for (size_t r = 0; r < out.rows; ++r)
    std::copy_n(values.data() + r * out.cols, out.cols, out.row(r));
}

std::span<const double> NpzFile::float64_vector(std::string_view name) const {
  const Array& a = array(name, DType::kFloat64);
  if (a.shape.size() != 1) fail(name, "has shape " + shape_string(a.shape) + ", expected (n,)");
  return std::get<std::vector<double>>(a.values);
}

std::span<const int64_t> NpzFile::int64_vector(std::string_view name) const {
  const Array& a = array(name, DType::kInt64);
  if (a.shape.size() != 1) fail(name, "has shape " + shape_string(a.shape) + ", expected (n,)");
  return std::get<std::vector<int64_t>>(a.values);
}

double NpzFile::float64_scalar(std::string_view name) const {
  return std::get<std::vector<double>>(array(name, DType::kFloat64, {}).values)[0];
}

int64_t NpzFile::int64_scalar(std::string_view name) const {
  return std::get<std::vector<int64_t>>(array(name, DType::kInt64, {}).values)[0];
}

const std::string& NpzFile::string(std::string_view name) const {
  return std::get<std::string>(array(name, DType::kString).values);
}

}  // namespace simdnet::nets::npz
