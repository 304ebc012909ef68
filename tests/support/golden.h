// Golden values written by a peer (PyTorch): tests/golden/make_golden.py
// writes tests/golden/<name>.txt, a plain-text list of named float arrays:
//
//   # comment lines (how the file was made)
//   array <name> <dim0> [<dim1> ...]
//   <values, whitespace separated, as many as the dims' product>
//
// Plain text so a reader needs nothing, and a diff shows what changed.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace simdnet::test {

struct GoldenArray {
  std::vector<size_t> shape;
  std::vector<double> values;
  std::vector<float> as_float() const { return {values.begin(), values.end()}; }
};

struct GoldenFile {
  std::string path;
  std::map<std::string, GoldenArray> arrays;
  // The array called `name`; throws std::runtime_error naming file and array if absent.
  const GoldenArray& at(const std::string& name) const;
};

// Reads SIMDNET_GOLDEN_DIR/<name>.txt; throws std::runtime_error naming the
// file and line on any malformed content.
GoldenFile load_golden(const std::string& name);

}  // namespace simdnet::test
