// The .npz container: a zip archive (libzip) whose entries are "<name>.npy".
#include <fcntl.h>
#include <unistd.h>
#include <zip.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <stdexcept>

#include "simdnet/nets/npz.h"

namespace simdnet::nets::npz {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSuffix = ".npy";
// No array of ours comes near this; a larger entry is a wrong or corrupt file,
// refused before anything is allocated.
constexpr uint64_t kMaxEntryBytes = uint64_t{1} << 32;
// Deflate's largest expansion (zlib's FAQ): n compressed bytes hold at most
// 1032 * n.
constexpr uint64_t kMaxDeflateRatio = 1032;
// Entries carry a fixed modification time (2000-01-01), so that the same
// arrays always make the same bytes.
constexpr time_t kEntryTime = 946684800;

[[noreturn]] void file_error(const fs::path& path, const std::string& what) {
  throw std::runtime_error(path.string() + ": " + what);
}

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using Zip = std::unique_ptr<zip_t, ZipDiscard>;

struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

void check_array(const Array& a) {
  if (a.name.empty()) throw std::invalid_argument("save_npz: an array has an empty name");
  const size_t count = std::visit([](const auto& v) { return v.size(); }, a.values);
  if (a.dtype() == DType::kString ? !a.shape.empty() : count != a.element_count())
    throw std::invalid_argument("save_npz: array '" + a.name + "' has shape " +
                                shape_string(a.shape) + " but " + std::to_string(count) +
                                " values");
}

}  // namespace

void save_npz(const fs::path& path, std::span<const Array> arrays) {
  if (arrays.empty()) throw std::invalid_argument("save_npz: " + path.string() + ": no arrays");
  std::set<std::string> names;
  for (const Array& a : arrays) {
    check_array(a);
    if (!names.insert(a.name).second)
      throw std::invalid_argument("save_npz: " + path.string() + ": two arrays named '" + a.name +
                                  "'");
  }

  int code = 0;
  Zip zip(zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code));
  if (!zip) file_error(path, "cannot write: " + zip_error_text(code));
  // libzip reads the sources at zip_close: the encoded arrays live until then.
  std::vector<std::vector<uint8_t>> encoded;
  encoded.reserve(arrays.size());
  for (const Array& a : arrays) {
    encoded.push_back(encode_npy(a));
    zip_source_t* source =
        zip_source_buffer(zip.get(), encoded.back().data(), encoded.back().size(), 0);
    if (!source) file_error(path, "cannot write: " + std::string(zip_strerror(zip.get())));
    const std::string entry = a.name + std::string(kSuffix);
    const zip_int64_t index = zip_file_add(zip.get(), entry.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      file_error(path, "cannot add '" + entry + "': " + zip_strerror(zip.get()));
    }
    // Stored, like np.savez: float weights hardly compress.
    if (zip_set_file_compression(zip.get(), static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) !=
            0 ||
        zip_file_set_mtime(zip.get(), static_cast<zip_uint64_t>(index), kEntryTime, 0) != 0)
      file_error(path, "cannot write '" + entry + "': " + zip_strerror(zip.get()));
  }
  // zip_close writes a temporary file beside `path` and renames it into place.
  if (zip_close(zip.get()) != 0)
    file_error(path, "cannot write: " + std::string(zip_strerror(zip.get())));
  (void)zip.release();  // closed: nothing left to discard
}

void check_writable(const fs::path& path) {
  std::error_code ec;
  if (path.empty()) throw std::runtime_error("(empty path): cannot write: no file name given");
  if (fs::is_directory(path, ec)) file_error(path, "cannot write: it is a folder");
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, ec))
    file_error(path, "cannot write: folder " + folder.string() + " does not exist");
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec))
    file_error(path, "cannot write: it exists and is not a regular file");
  // The real test: create (and remove) a file in that folder, as the zip
  // writer will. Permission bits alone would not tell (root ignores them,
  // read-only mounts do not show in them).
  std::string probe =
      (folder / std::string(".").append(path.filename().string()).append(".probe-XXXXXX")).string();
  const int fd = mkstemp(probe.data());
  if (fd < 0)
    file_error(path, "cannot write: cannot create files in " + folder.string() + ": " +
                         std::strerror(errno));
  close(fd);
  unlink(probe.c_str());
  if (fs::exists(path, ec)) {
    const int existing = open(path.c_str(), O_WRONLY);
    if (existing < 0) file_error(path, std::string("cannot write: ") + std::strerror(errno));
    close(existing);
  }
}

NpzFile::NpzFile(const fs::path& path) : path_(path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) file_error(path, "missing (no such file)");
  const uint64_t file_size = fs::file_size(path, ec);
  if (ec) file_error(path, "cannot read its size: " + ec.message());
  int code = 0;
  Zip zip(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!zip)
    file_error(path, "not a readable .npz (zip) file: " +
                         (code == ZIP_ER_EXISTS ? std::string("two entries have the same name")
                                                : zip_error_text(code)));

  const zip_int64_t entries = zip_get_num_entries(zip.get(), 0);
  std::set<std::string> names;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE))
      file_error(path, "entry " + std::to_string(i) + ": " + zip_strerror(zip.get()));
    const std::string entry = st.name;
    const std::string where = path.string() + ": " + entry;
    if (entry.size() <= kSuffix.size() || !entry.ends_with(kSuffix))
      throw std::runtime_error(where + ": not a .npy entry (an .npz holds only <name>.npy files)");
    std::string name = entry.substr(0, entry.size() - kSuffix.size());
    if (!names.insert(name).second) throw std::runtime_error(where + ": appears twice");
    if (st.size > kMaxEntryBytes)
      throw std::runtime_error(where + ": " + std::to_string(st.size) +
                               " bytes, more than any simdnet array");
    // The sizes in the zip's directory are the file's word only: before
    // allocating st.size bytes, check that the entry's data can hold them.
    if (!(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_COMP_METHOD))
      throw std::runtime_error(where + ": the zip directory gives no compressed size or method");
    if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE)
      throw std::runtime_error(where + ": compression method " + std::to_string(st.comp_method) +
                               " is not supported (stored or deflate, as np.savez writes)");
    if (st.comp_size > file_size)
      throw std::runtime_error(where + ": " + std::to_string(st.comp_size) +
                               " compressed bytes, more than the whole file (" +
                               std::to_string(file_size) + ")");
    if (st.comp_method == ZIP_CM_STORE ? st.size != st.comp_size
                                       : st.size / kMaxDeflateRatio > st.comp_size)
      throw std::runtime_error(where + ": " + std::to_string(st.size) + " bytes cannot come from " +
                               std::to_string(st.comp_size) + " " +
                               (st.comp_method == ZIP_CM_STORE
                                    ? "stored bytes"
                                    : "deflated bytes (deflate expands at most 1032:1)"));

    std::unique_ptr<zip_file_t, ZipFileClose> file(
        zip_fopen_index(zip.get(), static_cast<zip_uint64_t>(i), 0));
    if (!file) throw std::runtime_error(where + ": cannot read: " + zip_strerror(zip.get()));
    std::vector<uint8_t> bytes(st.size);
    size_t got = 0;
    while (got < bytes.size()) {
      const zip_int64_t n = zip_fread(file.get(), bytes.data() + got, bytes.size() - got);
      if (n < 0)
        throw std::runtime_error(where + ": cannot read: " + zip_file_strerror(file.get()));
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    if (got != bytes.size())
      throw std::runtime_error(where + ": truncated (" + std::to_string(got) + " of " +
                               std::to_string(bytes.size()) + " bytes)");
    arrays_.push_back(decode_npy(bytes, std::move(name), where));
  }
}

}  // namespace simdnet::nets::npz
