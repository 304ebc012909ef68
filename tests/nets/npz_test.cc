// The .npz reader and writer: round trips of every dtype and shape (values
// bit for bit), the exact .npy header NumPy writes, and every malformed file
// or mismatched expectation failing with a message that names the file and
// the array. Needs no network code and no NumPy (npz_numpy_check does that).
#include "simdnet/nets/npz.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "support/errors.h"
#include "support/temp_dir.h"

namespace simdnet::nets::npz {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using ::testing::AllOf;
using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;

Bytes as_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A .npy file by hand: magic, version, header padded to 64, data.
Bytes npy_by_hand(const std::string& dict, const Bytes& data, uint8_t major = 1) {
  Bytes out = as_bytes("\x93NUMPY");
  out.push_back(major);
  out.push_back(0);
  std::string header = dict;
  const size_t preamble = major == 1 ? 10 : 12;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

template <class T>
Bytes raw(const std::vector<T>& v) {
  Bytes out(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

class NpzTest : public test::TempDirTest {
 protected:
  NpzTest() : TempDirTest("simdnet-npz-test") {}

  // A zip with the given entries, written with libzip directly (so it can
  // hold what save_npz never writes).
  fs::path write_zip(const std::string& name,
                     const std::vector<std::pair<std::string, Bytes>>& entries) {
    const fs::path p = dir_ / name;
    int code = 0;
    zip_t* z = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
    EXPECT_NE(z, nullptr);
    for (const auto& [entry, bytes] : entries) {
      zip_source_t* s = zip_source_buffer(z, bytes.data(), bytes.size(), 0);
      EXPECT_GE(zip_file_add(z, entry.c_str(), s, 0), 0);
    }
    EXPECT_EQ(zip_close(z), 0);
    return p;
  }

  fs::path write_file(const std::string& name, const Bytes& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return p;
  }

  // One .npy entry "a.npy" in a zip; the error message of opening it.
  std::string error_of_entry(const Bytes& npy) {
    const fs::path p = write_zip("bad.npz", {{"a.npy", npy}});
    const std::string message = error_of([&] { NpzFile f(p); });
    EXPECT_THAT(message, HasSubstr(p.string() + ": a.npy: "));
    return message;
  }
};

TEST_F(NpzTest, RoundTripKeepsEveryDtypeShapeAndValueBitForBit) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> f32 = {0.0f,
                                  -0.0f,
                                  1.5f,
                                  -3.25e-38f,
                                  1e-45f /* denormal */,
                                  inf,
                                  -inf,
                                  std::numeric_limits<float>::quiet_NaN(),
                                  3.4e38f,
                                  0.1f,
                                  7.0f,
                                  -2.0f};
  const std::vector<double> f64 = {1.0 / 3.0, -1e308, 5e-324, std::nan("")};
  const std::vector<int64_t> i64 = {INT64_MIN, -1, 0, 1, INT64_MAX};
  std::vector<Array> arrays = {
      Array::float32("matrix", {3, 4}, f32),
      Array::float32("vector", {12}, f32),
      Array::float32("empty_matrix", {0, 3}, {}),
      Array::float64("doubles", {2, 2}, f64),
      Array::int64("ints", {5}, i64),
      Array::int64("empty", {0}, {}),
      Array::float64_scalar("scalar", -2.5),
      Array::int64_scalar("count", 42),
      Array::string("word", "sgd_momentum"),
      Array::string("blank", ""),
      Array::float32("group/inner", {1, 1}, std::vector<float>{9.0f}),
  };
  const fs::path p = dir_ / "all.npz";
  save_npz(p, arrays);
  const NpzFile f(p);
  ASSERT_EQ(f.arrays().size(), arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    const Array& got = f.arrays()[i];
    SCOPED_TRACE(arrays[i].name);
    EXPECT_EQ(got.name, arrays[i].name);
    EXPECT_EQ(got.shape, arrays[i].shape);
    EXPECT_EQ(got.dtype(), arrays[i].dtype());
    const Bytes want = encode_npy(arrays[i]), have = encode_npy(got);
    EXPECT_EQ(have, want) << "values differ";
  }
  // Bit patterns, NaN and -0.0 included.
  const auto values = f.float32("matrix", std::vector<size_t>{3, 4});
  for (size_t i = 0; i < f32.size(); ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(values[i]), std::bit_cast<uint32_t>(f32[i])) << i;
  EXPECT_EQ(f.int64_vector("ints")[0], INT64_MIN);
  EXPECT_EQ(f.float64_scalar("scalar"), -2.5);
  EXPECT_EQ(f.int64_scalar("count"), 42);
  EXPECT_EQ(f.string("word"), "sgd_momentum");
  EXPECT_EQ(f.string("blank"), "");
  EXPECT_TRUE(f.contains("group/inner"));
  EXPECT_FALSE(f.contains("group"));
}

TEST_F(NpzTest, MatrixViewsLoseTheirStrideAndVectorsAreOneDimensional) {
  kernels::Matrix m(2, 3, 8);  // stride 8: padding must not be written
  for (size_t r = 0; r < 2; ++r)
    for (size_t c = 0; c < 3; ++c) m.at(r, c) = static_cast<float>(10 * r + c);
  kernels::Matrix b(1, 3);
  b.at(0, 2) = 5.0f;
  const fs::path p = dir_ / "m.npz";
  save_npz(p, std::vector{Array::float32("W1", m.view()), Array::float32("b1", b.view(), true)});
  const NpzFile f(p);
  EXPECT_EQ(f.array("W1").shape, (std::vector<size_t>{2, 3}));
  EXPECT_EQ(f.array("b1").shape, (std::vector<size_t>{3}));
  kernels::Matrix back(2, 3, 5);
  f.read_matrix("W1", back.view());
  for (size_t r = 0; r < 2; ++r)
    for (size_t c = 0; c < 3; ++c) EXPECT_EQ(back.at(r, c), m.at(r, c));
  kernels::Matrix bias(1, 3);
  f.read_matrix("b1", bias.view(), true);
  EXPECT_EQ(bias.at(0, 2), 5.0f);
  // A vector is not a (1, 3) matrix, and the other way round.
  EXPECT_THAT(error_of([&] { f.read_matrix("b1", bias.view(), false); }),
              HasSubstr("'b1' has shape (3,), expected (1, 3)"));
}

TEST_F(NpzTest, NpyHeaderIsExactlyWhatNumpyWrites) {
  const Bytes bytes = encode_npy(Array::float32("x", {3, 4}, std::vector<float>(12, 1.0f)));
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 6), "\x93NUMPY");
  EXPECT_EQ(bytes[6], 1);  // version 1.0
  EXPECT_EQ(bytes[7], 0);
  const size_t header_len = bytes[8] | bytes[9] << 8;
  EXPECT_EQ((10 + header_len) % 64, 0u) << "data must start on a 64-byte boundary";
  const std::string header(bytes.begin() + 10,
                           bytes.begin() + 10 + static_cast<ptrdiff_t>(header_len));
  EXPECT_EQ(header.substr(0, header.find_last_not_of(" \n") + 1),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(bytes.size(), 10 + header_len + 12 * 4);

  auto dict_of = [](const Array& a) {
    const Bytes b = encode_npy(a);
    const std::string h(b.begin() + 10, b.begin() + 10 + (b[8] | b[9] << 8));
    return h.substr(0, h.find_last_not_of(" \n") + 1);
  };
  EXPECT_EQ(dict_of(Array::int64_scalar("t", 3)),
            "{'descr': '<i8', 'fortran_order': False, 'shape': (), }");
  EXPECT_EQ(dict_of(Array::float64("v", {5}, std::vector<double>(5))),
            "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }");
  EXPECT_EQ(dict_of(Array::string("s", "adam")),
            "{'descr': '<U4', 'fortran_order': False, 'shape': (), }");
}

TEST_F(NpzTest, ReadsVersion2HeadersAndDoubleQuotedDicts) {
  const std::vector<float> v = {1, 2, 3};
  const fs::path p = write_zip(
      "v2.npz",
      {{"a.npy", npy_by_hand("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3,)}",
                             raw(v), 2)}});
  const NpzFile f(p);
  EXPECT_EQ(f.float32("a", std::vector<size_t>{3})[2], 3.0f);
}

TEST_F(NpzTest, AccessorsNameTheFileAndTheArrayOnMismatch) {
  const fs::path p = dir_ / "model.npz";
  save_npz(p, std::vector{Array::float32("W1", {2, 3}, std::vector<float>(6)),
                          Array::int64_scalar("epoch", 3), Array::string("rule", "adam")});
  const NpzFile f(p);
  EXPECT_THAT(error_of([&] { f.array("W2"); }),
              AllOf(HasSubstr(p.string()), HasSubstr("array 'W2' is missing")));
  EXPECT_THAT(
      error_of([&] {
        f.float32("W1", std::vector<size_t>{2, 4});
      }),
      AllOf(HasSubstr(p.string()), HasSubstr("array 'W1' has shape (2, 3), expected (2, 4)")));
  EXPECT_THAT(error_of([&] { f.float64_scalar("epoch"); }),
              AllOf(HasSubstr(p.string()),
                    HasSubstr("array 'epoch' is int64 ('<i8'), expected float64 ('<f8')")));
  EXPECT_THAT(error_of([&] { f.int64_vector("epoch"); }),
              HasSubstr("array 'epoch' has shape (), expected (n,)"));
  EXPECT_THAT(error_of([&] { f.int64_scalar("rule"); }), HasSubstr("array 'rule' is string"));
  kernels::Matrix wrong(3, 2);
  EXPECT_THAT(error_of([&] { f.read_matrix("W1", wrong.view()); }),
              HasSubstr("'W1' has shape (2, 3), expected (3, 2)"));
}

TEST_F(NpzTest, MalformedFilesFailNamingFileAndEntry) {
  const std::vector<float> six(6, 1.0f);
  const std::string ok_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

  EXPECT_THAT(error_of([&] { NpzFile f(dir_ / "absent.npz"); }),
              AllOf(HasSubstr("absent.npz"), HasSubstr("missing")));
  const fs::path not_zip = write_file("text.npz", as_bytes("this is not a zip archive at all"));
  EXPECT_THAT(error_of([&] { NpzFile f(not_zip); }),
              AllOf(HasSubstr(not_zip.string()), HasSubstr("not a readable .npz (zip) file")));
  const fs::path other = write_zip("other.npz", {{"readme.txt", as_bytes("hello")}});
  EXPECT_THAT(error_of([&] { NpzFile f(other); }),
              AllOf(HasSubstr(other.string() + ": readme.txt"), HasSubstr("not a .npy entry")));

  EXPECT_THAT(error_of_entry(as_bytes("NUMPY!garbage")), HasSubstr("no \\x93NUMPY magic"));
  EXPECT_THAT(error_of_entry(npy_by_hand(ok_dict, raw(six), 4)),
              HasSubstr("format version 4.0 is not supported"));
  EXPECT_THAT(error_of_entry(npy_by_hand(
                  "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", raw(six))),
              HasSubstr("fortran_order True"));
  EXPECT_THAT(error_of_entry(npy_by_hand(
                  "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", raw(six))),
              HasSubstr("dtype '>f4' is not supported"));
  EXPECT_THAT(error_of_entry(npy_by_hand(
                  "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", raw(six))),
              HasSubstr("dtype '<i4' is not supported"));
  EXPECT_THAT(error_of_entry(npy_by_hand(ok_dict, raw(std::vector<float>(5)))),
              HasSubstr("data is 20 bytes; shape (2, 3) of '<f4' needs 24"));
  EXPECT_THAT(error_of_entry(npy_by_hand(ok_dict, raw(std::vector<float>(7)))),
              HasSubstr("data is 28 bytes"));
  EXPECT_THAT(error_of_entry(npy_by_hand("{'descr': '<f4', 'shape': (2, 3), }", raw(six))),
              HasSubstr("lacks one of"));
  EXPECT_THAT(error_of_entry(npy_by_hand(
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", raw(six))),
              HasSubstr("bad .npy header"));
  EXPECT_THAT(error_of_entry(npy_by_hand(
                  "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", Bytes(24))),
              HasSubstr("must be 0-d"));
  Bytes truncated = npy_by_hand(ok_dict, raw(six));
  truncated.resize(30);  // the header itself is cut
  EXPECT_THAT(error_of_entry(truncated), HasSubstr("truncated .npy header"));
  EXPECT_THAT(error_of_entry(npy_by_hand(
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                  raw(six))),
              HasSubstr("is too large"));
}

TEST_F(NpzTest, WriterRejectsMalformedArrays) {
  const fs::path p = dir_ / "x.npz";
  EXPECT_THAT(error_of<std::invalid_argument>([&] {
                save_npz(p, std::vector{Array::int64_scalar("a", 1), Array::int64_scalar("a", 2)});
              }),
              HasSubstr("two arrays named 'a'"));
  EXPECT_THAT(error_of<std::invalid_argument>([&] {
                save_npz(p, std::vector{Array{"m", {2, 3}, std::vector<float>(5)}});
              }),
              HasSubstr("'m' has shape (2, 3) but 5 values"));
  EXPECT_THAT(error_of<std::invalid_argument>(
                  [&] { save_npz(p, std::vector{Array::int64_scalar("", 1)}); }),
              HasSubstr("empty name"));
  EXPECT_THAT(error_of<std::invalid_argument>([&] { Array::string("s", "caf\xc3\xa9"); }),
              HasSubstr("ASCII"));
  EXPECT_THAT(error_of<std::invalid_argument>([&] { save_npz(p, std::vector<Array>{}); }),
              HasSubstr("no arrays"));
  EXPECT_FALSE(fs::exists(p));
}

TEST_F(NpzTest, SaveReplacesAnExistingFileAndWritesTheSameBytesForTheSameArrays) {
  const fs::path p = dir_ / "again.npz";
  write_file("again.npz", as_bytes("old content that is not a zip"));
  const std::vector arrays = {Array::float32("W1", {2, 2}, std::vector<float>{1, 2, 3, 4})};
  save_npz(p, arrays);
  auto read_all = [](const fs::path& q) {
    std::ifstream in(q, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string first = read_all(p);
  save_npz(p, arrays);
  EXPECT_EQ(read_all(p), first);
  EXPECT_EQ(NpzFile(p).float32("W1", std::vector<size_t>{2, 2})[3], 4.0f);
}

TEST_F(NpzTest, CheckWritableRefusesMissingFoldersAndFoldersAndLeavesNoProbeBehind) {
  EXPECT_THAT(
      error_of([&] { check_writable(dir_ / "no-such-folder" / "model.npz"); }),
      AllOf(HasSubstr("no-such-folder/model.npz: cannot write"), HasSubstr("does not exist")));
  EXPECT_THAT(error_of([&] { check_writable(dir_); }), HasSubstr("cannot write: it is a folder"));
  EXPECT_THAT(error_of([&] { check_writable(""); }), HasSubstr("cannot write"));
  // A folder that cannot take files: /proc is one whatever the user (root too).
  EXPECT_THAT(error_of([&] { check_writable("/proc/simdnet-model.npz"); }),
              HasSubstr("cannot create files in /proc"));
  check_writable(dir_ / "fine.npz");
  write_file("exists.npz", as_bytes("x"));
  check_writable(dir_ / "exists.npz");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1)
      << "the probe file must be removed";
  EXPECT_FALSE(fs::exists(dir_ / "fine.npz"));
}

}  // namespace
}  // namespace simdnet::nets::npz
