// The committed malformed-input corpus (tests/malformed/, written by its
// make_malformed.py): every file is read by its reader and must fail with a
// std::runtime_error naming the file and saying what was wrong (the exact
// fragment below). Also: every file there has a case here, and the inputs
// the fuzzers once crashed on (tests/fuzz/regressions/) now read cleanly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "simdnet/experiments/config.h"
#include "simdnet/nets/checkpoint.h"
#include "simdnet/nets/data_files.h"
#include "simdnet/nets/npz.h"
#include "support/errors.h"

namespace simdnet::nets {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const fs::path kCorpus = SIMDNET_MALFORMED_DIR;
const fs::path kRegressions = SIMDNET_FUZZ_REGRESSIONS_DIR;

// Which reader a file goes to, as simdnet uses it.
enum class Reader {
  kIdxImages,      // read_idx_images
  kIdxLabels,      // read_idx_labels(path, 10)
  kPng,            // read_png_rgb8(path, 8, 4)
  kCifarPng,       // read_cifar10_png (1024x10000)
  kJsonLabels,     // read_json_labels(path, 5, 10)
  kNpz,            // npz::NpzFile
  kModel,          // load_model
  kTrainingState,  // read_training_state
  kConfig,         // experiments::read_experiment_config (full profile)
};

void read_with(Reader reader, const fs::path& p) {
  switch (reader) {
    case Reader::kIdxImages: read_idx_images(p); return;
    case Reader::kIdxLabels: read_idx_labels(p, 10); return;
    case Reader::kPng: read_png_rgb8(p, 8, 4); return;
    case Reader::kCifarPng: read_cifar10_png(p); return;
    case Reader::kJsonLabels: read_json_labels(p, 5, 10); return;
    case Reader::kNpz: npz::NpzFile{p}; return;
    case Reader::kModel: load_model(p); return;
    case Reader::kTrainingState: read_training_state(p); return;
    case Reader::kConfig: experiments::read_experiment_config(p, experiments::Profile::kFull); return;
  }
}

struct Case {
  const char* file;  // under tests/malformed/
  Reader reader;
  const char* message;  // what the error, which starts with the path, must say
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.file; }

// clang-format off
const Case kCases[] = {
  // --- IDX ---
  {"idx/empty.idx", Reader::kIdxImages, "truncated header (magic): got 0 of 4 bytes"},
  {"idx/truncated_header.idx", Reader::kIdxImages,
   "truncated header (dimension fields): got 4 of 12 bytes"},
  {"idx/truncated_pixels.idx", Reader::kIdxImages,
   "wrong size: the file is 36 bytes, its header (dimensions 2 x 4 x 4) asks for 48"},
  {"idx/wrong_magic_float.idx", Reader::kIdxImages,
   "bad magic 0x00000d03, expected 0x00000803 (IDX unsigned-byte images, 3 dimensions)"},
  {"idx/labels_not_images.idx", Reader::kIdxImages, "bad magic 0x00000801, expected 0x00000803"},
  {"idx/dims_overflow.idx", Reader::kIdxImages,
   "dimensions 4294967295 x 4294967295 x 4294967295 overflow a 64-bit size"},
  {"idx/dims_terabyte.idx", Reader::kIdxImages,
   "dimensions 65536 x 65536 x 256 ask for 1099511627776 bytes, more than the limit of "
   "1073741824"},
  {"idx/dims_gigabyte_in_100_bytes.idx", Reader::kIdxImages,
   "wrong size: the file is 100 bytes, its header (dimensions 1000 x 1000 x 1000) asks for "
   "1000000016"},
  {"idx/dims_zero.idx", Reader::kIdxImages, "dimensions 0 x 28 x 28 include a zero"},
  {"idx/gzip_forged_size.idx.gz", Reader::kIdxImages,
   "the header (dimensions 1000 x 1000 x 1000) asks for 1000000016 bytes, more than a gzip "
   "file of 2076 bytes can hold (deflate expands at most 1032:1)"},
  {"idx/gzip_truncated.idx.gz", Reader::kIdxImages,
   "wrong size or truncated: the gzip trailer says"},
  {"idx/labels_out_of_range.idx", Reader::kIdxLabels,
   "label 10 at index 2 is out of range [0, 10)"},
  {"idx/labels_255.idx", Reader::kIdxLabels, "label 255 at index 0 is out of range [0, 10)"},

  // --- PNG ---
  {"png/not_a_png.png", Reader::kPng, "not a PNG file (bad signature)"},
  {"png/truncated_header.png", Reader::kPng, "bad or truncated PNG header: "},
  {"png/truncated_data.png", Reader::kPng, "corrupt or truncated PNG data: "},
  {"png/wrong_size_8x5.png", Reader::kPng, "wrong image dimensions 8x5, expected 8x4"},
  {"png/greyscale.png", Reader::kPng,
   "wrong colour type: greyscale, 8-bit, expected 8-bit RGB (colour type 2)"},
  {"png/rgba.png", Reader::kPng, "wrong colour type: RGBA, 8-bit, expected 8-bit RGB"},
  {"png/rgb_16bit.png", Reader::kPng, "wrong colour type: RGB, 16-bit, expected 8-bit RGB"},
  {"png/indexed.png", Reader::kPng, "wrong colour type: indexed, 8-bit, expected 8-bit RGB"},
  {"png/idat_bad_crc.png", Reader::kPng, "corrupt or truncated PNG data: "},
  {"png/dims_huge.png", Reader::kPng,
   "bad or truncated PNG header: arithmetic overflow"},
  {"png/cifar_header_tiny_file.png", Reader::kCifarPng,
   "truncated: 1024x10000 RGB needs 30730000 bytes of scanlines, more than a PNG of 362 bytes "
   "can hold (deflate expands at most 1032:1)"},

  // --- JSON labels ---
  {"json/not_json.json", Reader::kJsonLabels, "not valid JSON: "},
  {"json/truncated.json", Reader::kJsonLabels, "not valid JSON: "},
  {"json/object.json", Reader::kJsonLabels, "expected a JSON array of integer labels"},
  {"json/count_3.json", Reader::kJsonLabels, "wrong label count 3, expected 5"},
  {"json/label_10.json", Reader::kJsonLabels, "label 10 at index 4 is out of range [0, 10)"},
  {"json/label_negative.json", Reader::kJsonLabels,
   "label -1 at index 1 is out of range [0, 10)"},
  {"json/label_float.json", Reader::kJsonLabels, "label at index 1 is not an integer: 1.5"},
  {"json/label_string.json", Reader::kJsonLabels, "label at index 2 is not an integer: \"2\""},
  {"json/label_2pow64.json", Reader::kJsonLabels,
   "label at index 4 is not an integer: 1.8446744073709552e+19"},
  {"json/number_1e400.json", Reader::kJsonLabels,
   "not valid JSON: [json.exception.out_of_range.406] number overflow parsing '1e400'"},
  {"json/deep_nesting.json", Reader::kJsonLabels, "wrong label count 1, expected 5"},

  // --- .npz container and .npy entries ---
  {"npz/not_a_zip.npz", Reader::kNpz, "not a readable .npz (zip) file: Not a zip archive"},
  {"npz/truncated.npz", Reader::kNpz, "not a readable .npz (zip) file: "},
  {"npz/not_npy_entry.npz", Reader::kNpz,
   "README.txt: not a .npy entry (an .npz holds only <name>.npy files)"},
  {"npz/npy_bad_magic.npz", Reader::kNpz, "W1.npy: not a .npy array (no \\x93NUMPY magic)"},
  {"npz/npy_version_9.npz", Reader::kNpz,
   "W1.npy: .npy format version 9.0 is not supported (1.0 to 3.0 are)"},
  {"npz/npy_header_truncated.npz", Reader::kNpz,
   "W1.npy: truncated .npy header (118 bytes announced, 30 present)"},
  {"npz/npy_header_len_huge.npz", Reader::kNpz,
   "W1.npy: truncated .npy header (4294967280 bytes announced, 2 present)"},
  {"npz/npy_fortran_order.npz", Reader::kNpz,
   "W1.npy: fortran_order True (column-major) is not supported"},
  {"npz/npy_unknown_key.npz", Reader::kNpz, "unexpected key 'align'"},
  {"npz/npy_missing_shape.npz", Reader::kNpz,
   "it lacks one of 'descr', 'fortran_order', 'shape'"},
  {"npz/npy_dtype_int32.npz", Reader::kNpz,
   "W1.npy: dtype '<i4' is not supported (simdnet reads '<f4', '<f8', '<i8' and 0-d '<U')"},
  {"npz/npy_big_endian.npz", Reader::kNpz, "W1.npy: dtype '>f4' is not supported"},
  {"npz/npy_string_vector.npz", Reader::kNpz,
   "W1.npy: a '<U' string array must be 0-d (a single string); its shape is (2,)"},
  {"npz/npy_data_short.npz", Reader::kNpz,
   "W1.npy: data is 20 bytes; shape (2, 3) of '<f4' needs 24"},
  {"npz/npy_shape_overflow.npz", Reader::kNpz,
   "W1.npy: shape (140737488355328, 140737488355328) is too large"},
  {"npz/npy_shape_terabytes.npz", Reader::kNpz,
   "W1.npy: data is 8 bytes; shape (1048576, 1048576) of '<f4' needs 4398046511104"},
  {"npz/npy_dim_99_digits.npz", Reader::kNpz, "dimension too large"},
  {"npz/duplicate_entry.npz", Reader::kNpz,
   "not a readable .npz (zip) file: two entries have the same name"},
  {"npz/zip_stored_size_forged.npz", Reader::kNpz,
   "W1.npy: 2147483648 bytes cannot come from 152 stored bytes"},
  {"npz/zip_deflated_size_forged.npz", Reader::kNpz,
   "W1.npy: 2147483648 bytes cannot come from "},
  {"npz/zip_bzip2.npz", Reader::kNpz,
   "W1.npy: compression method 12 is not supported (stored or deflate, as np.savez writes)"},

  // --- checkpoints: a real model or training state with one array changed ---
  {"checkpoint/W1_wrong_shape.npz", Reader::kModel,
   "array 'W1' has shape (784, 2), expected (784, 3)"},
  {"checkpoint/W1_float64.npz", Reader::kModel,
   "array 'W1' is float64 ('<f8'), expected float32 ('<f4')"},
  {"checkpoint/W1_vector.npz", Reader::kModel, "array 'W1' has shape (2352,), expected (784, 3)"},
  {"checkpoint/W2_nan.npz", Reader::kModel,
   "array 'W2' holds nan at index 2; its values must be finite"},
  {"checkpoint/running_var1_inf.npz", Reader::kModel,
   "array 'running_var1' holds inf at index 1; its values must be finite"},
  {"checkpoint/b1_missing.npz", Reader::kModel, "array 'b1' is missing"},
  {"checkpoint/extra_array.npz", Reader::kModel,
   "array 'W9' is not part of a model of the net 784-3-10 its spec/* describe"},
  {"checkpoint/format_unknown.npz", Reader::kModel,
   "array 'simdnet/format' is 'weights', expected 'model'"},
  {"checkpoint/version_2.npz", Reader::kModel,
   "array 'simdnet/version' is 2; this simdnet reads version 1"},
  {"checkpoint/input_dim_negative.npz", Reader::kModel,
   "array 'spec/input_dim' = -4, out of range"},
  {"checkpoint/widths_2pow32.npz", Reader::kModel,
   "array 'W1' has shape (784, 3), expected (4294967296, 4294967296)"},
  {"checkpoint/hidden_dims_float.npz", Reader::kModel,
   "array 'spec/hidden_dims' is float64 ('<f8'), expected int64 ('<i8')"},
  {"checkpoint/dropout_1.npz", Reader::kModel, "spec/* describe no valid net: "},
  {"checkpoint/init_unknown.npz", Reader::kModel,
   "array 'spec/init' is 'zeros', expected he, xavier or weight_scale"},
  {"checkpoint/batchnorm_flag_2.npz", Reader::kModel,
   "array 'spec/batchnorm' = 2, expected 0 or 1"},
  {"checkpoint/state_as_model.npz", Reader::kModel,
   "array 'simdnet/format' is 'training-state': this is a training state, not a model"},
  {"checkpoint/state_update_rule_unknown.npz", Reader::kTrainingState,
   "array 'solver/update_rule' is 'lbfgs', not an update rule"},
  {"checkpoint/state_learning_rate_nan.npz", Reader::kTrainingState,
   "solver/* hold a bad setting: "},

  // --- TOML experiment configs (each with a valid [[axis]] unless about axes) ---
  {"config/not_toml.toml", Reader::kConfig, ":1:5: not valid TOML: "},
  {"config/unknown_section.toml", Reader::kConfig,
   "unknown key 'optimizer' (line 1); expected one of the sections data, net, solver, run"},
  {"config/unknown_field.toml", Reader::kConfig,
   "unknown field 'net.hiden' (line 2); known fields: data.dataset, "},
  {"config/unknown_quick_field.toml", Reader::kConfig,
   "unknown field 'quick.solver.epoch' (line 2); known fields: "},
  {"config/wrong_type_bool.toml", Reader::kConfig, "net.batchnorm (line 2): expected true or false"},
  {"config/wrong_type_list.toml", Reader::kConfig,
   "net.hidden (line 2): expected a list of integers"},
  {"config/wrong_type_int.toml", Reader::kConfig, "solver.epochs (line 2): expected an integer"},
  {"config/dataset_unknown.toml", Reader::kConfig,
   "data.dataset = imagenet: expected mnist, fashion-mnist or cifar10"},
  {"config/learning_rate_negative.toml", Reader::kConfig,
   "solver.learning_rate = -0.1: expected a number > 0"},
  {"config/learning_rate_nan.toml", Reader::kConfig,
   "solver.learning_rate = nan: expected a number > 0"},
  {"config/dropout_1.toml", Reader::kConfig,
   "net.dropout = 1: expected a drop probability in [0, 1)"},
  {"config/hidden_too_wide.toml", Reader::kConfig,
   "net.hidden = 100-2000000: expected one to 255 layer widths, each in [1, 1048576]"},
  {"config/hidden_empty.toml", Reader::kConfig,
   "net.hidden = []: expected one to 255 layer widths"},
  {"config/epochs_million.toml", Reader::kConfig,
   "solver.epochs = 1000000: expected an integer in [1, 100000]"},
  {"config/integer_overflow.toml", Reader::kConfig, ":2:30: not valid TOML: Error while parsing decimal integer: '99999999999999999999' is not representable in 64 bits"},
  {"config/seeds_two.toml", Reader::kConfig,
   "run.seeds = 1-2: expected at least 3 distinct seeds, each >= 0"},
  {"config/seeds_repeated.toml", Reader::kConfig,
   "run.seeds = 1-2-1: expected at least 3 distinct seeds"},
  {"config/no_axis.toml", Reader::kConfig,
   "no [[axis]]: expected one or two, each with a field and values"},
  {"config/three_axes.toml", Reader::kConfig, "3 [[axis]] tables: expected one or two"},
  {"config/axis_value_wrong_type.toml", Reader::kConfig,
   "axis 1 (solver.batch_size) value 2 (line 3): expected an integer or \"full\""},
  {"config/axis_value_out_of_range.toml", Reader::kConfig,
   "grid point batch_size=0: solver.batch_size = 0: expected an integer >= 1 or \"full\""},
  {"config/axis_unknown_field.toml", Reader::kConfig,
   "axis 1: field = \"solver.speed\": expected a data, net or solver field: "},
};
// clang-format on

class MalformedInput : public ::testing::TestWithParam<Case> {};

TEST_P(MalformedInput, FailsNamingTheFileAndWhatIsWrong) {
  const Case& c = GetParam();
  const fs::path p = kCorpus / c.file;
  ASSERT_TRUE(fs::is_regular_file(p)) << p << " is missing: run tests/malformed/make_malformed.py";
  const std::string message = error_of([&] { read_with(c.reader, p); });
  EXPECT_THAT(message, StartsWith(p.string()));
  EXPECT_THAT(message, HasSubstr(c.message));
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.file;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, MalformedInput, ::testing::ValuesIn(kCases), case_name);

// Every file in the corpus is asserted above: none sits there untested.
TEST(MalformedCorpus, EveryFileHasACase) {
  std::set<std::string> listed;
  for (const Case& c : kCases) listed.insert(c.file);
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kCorpus)) {
    // Not inputs: the generator and the table of messages (README.md).
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || ext == ".py" || ext == ".md") continue;
    if (entry.path().parent_path().filename() == "__pycache__") continue;
    ++files;
    EXPECT_TRUE(listed.contains(fs::relative(entry.path(), kCorpus).string()))
        << entry.path() << " has no case in malformed_input_test.cc";
  }
  EXPECT_EQ(files, listed.size());
}

// Inputs a fuzz target once crashed on, one folder per target: each must now
// be read to the end or refused with a std::runtime_error (anything else
// fails the test; a crash fails the whole binary).
TEST(FuzzRegressions, ReadCleanly) {
  const std::pair<const char*, std::vector<Reader>> targets[] = {
      {"idx", {Reader::kIdxImages, Reader::kIdxLabels}},
      {"png", {Reader::kPng, Reader::kCifarPng}},
      {"json_labels", {Reader::kJsonLabels}},
      {"npz", {Reader::kNpz, Reader::kModel, Reader::kTrainingState}},
  };
  for (const auto& [target, readers] : targets) {
    const fs::path dir = kRegressions / target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir))
      for (Reader reader : readers) {
        try {
          read_with(reader, entry.path());
        } catch (const std::runtime_error&) {
        }
      }
  }
}

}  // namespace
}  // namespace simdnet::nets
