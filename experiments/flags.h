// Checks of flag values shared by the subcommands: each throws UsageError
// with a message that names the flag and the value given and says what was
// expected, e.g. "--dropout 1: the drop probability p must be in [0, 1)".
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "commands.h"

namespace simdnet::cli {

// A number as the user would write it back: 0.1, 1e-08, 128.
std::string number(double value);

// "100", "100,100,100" -> layer widths, each > 0.
std::vector<size_t> parse_hidden_dims(const std::string& flag, const std::string& text);

// The data set's name is one simdnet knows.
void check_dataset(const std::string& flag, const std::string& name);

// A file will be writable at `path` (its folder exists and takes new files):
// checked before training, not after it.
void check_writable_path(const std::string& flag, const std::string& path);
// `path` names an existing regular file that can be opened for reading.
void check_readable_file(const std::string& flag, const std::string& path);

// "a, b or c"
std::string one_of(const std::vector<std::string>& names);

}  // namespace simdnet::cli
