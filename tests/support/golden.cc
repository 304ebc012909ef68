#include "support/golden.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace simdnet::test {

const GoldenArray& GoldenFile::at(const std::string& name) const {
  auto it = arrays.find(name);
  if (it == arrays.end()) throw std::runtime_error(path + ": no array named '" + name + "'");
  return it->second;
}

GoldenFile load_golden(const std::string& name) {
  GoldenFile file;
  file.path = std::string(SIMDNET_GOLDEN_DIR) + "/" + name + ".txt";
  std::ifstream in(file.path);
  if (!in) throw std::runtime_error(file.path + ": cannot open golden file");
  std::string line;
  size_t line_no = 0;
  GoldenArray* current = nullptr;
  size_t expected = 0;
  std::string current_name;
  auto fail = [&](const std::string& what) {
    throw std::runtime_error(file.path + ":" + std::to_string(line_no) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    if (line.rfind("array ", 0) == 0) {
      if (current && current->values.size() != expected)
        fail("array '" + current_name + "' has " + std::to_string(current->values.size()) +
             " values, expected " + std::to_string(expected));
      std::string keyword;
      words >> keyword >> current_name;
      current = &file.arrays[current_name];
      expected = 1;
      for (size_t d; words >> d;) current->shape.push_back(d), expected *= d;
      if (current->shape.empty()) fail("array '" + current_name + "' has no dimensions");
      continue;
    }
    if (!current) fail("values before any 'array' line");
    for (std::string w; words >> w;) {
      try {
        current->values.push_back(std::stod(w));
      } catch (const std::exception&) {
        fail("'" + w + "' is not a number");
      }
    }
  }
  if (current && current->values.size() != expected)
    fail("array '" + current_name + "' has " + std::to_string(current->values.size()) +
         " values, expected " + std::to_string(expected));
  return file;
}

}  // namespace simdnet::test
