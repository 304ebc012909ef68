// Flag checks: one message shape for every flag, "<flag> <value>: <why>".
#include "flags.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "simdnet/nets/data.h"
#include "simdnet/nets/npz.h"

namespace simdnet::cli {

std::string number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

std::string one_of(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

std::vector<size_t> parse_hidden_dims(const std::string& flag, const std::string& text) {
  const std::string given = flag + " '" + text + "': ";
  if (text.empty())
    throw UsageError(given +
                     "no hidden layer given; expected comma-separated widths, e.g. 100 or "
                     "100,100,100");
  std::vector<size_t> dims;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty())
      throw UsageError(given +
                       "an empty width (two commas, or one at an end); expected e.g. "
                       "100,100");
    size_t width = 0;
    for (char c : item) {
      if (c < '0' || c > '9')
        throw UsageError(given + "'" + item + "' is not a layer width (a whole number > 0)");
      if (width > 100000000) throw UsageError(given + "width " + item + " is absurdly large");
      width = width * 10 + static_cast<size_t>(c - '0');
    }
    if (width == 0) throw UsageError(given + "a layer of width 0; every width must be > 0");
    dims.push_back(width);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return dims;
}

void check_dataset(const std::string& flag, const std::string& name) {
  for (const std::string& known : nets::dataset_names())
    if (known == name) return;
  throw UsageError(flag + " '" + name + "': unknown data set; expected " +
                   one_of(nets::dataset_names()));
}

void check_writable_path(const std::string& flag, const std::string& path) {
  try {
    nets::npz::check_writable(path);
  } catch (const std::runtime_error& e) {
    throw UsageError(flag + " " + e.what());
  }
}

void check_readable_file(const std::string& flag, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw UsageError(flag + " " + path + ": no such file");
  if (!std::filesystem::is_regular_file(path, ec))
    throw UsageError(flag + " " + path + ": not a regular file");
  if (!std::ifstream(path, std::ios::binary))
    throw UsageError(flag + " " + path + ": cannot be opened for reading");
}

}  // namespace simdnet::cli
