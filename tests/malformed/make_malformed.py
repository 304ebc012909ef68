#!/usr/bin/env python3
"""Writes the malformed-input corpus under tests/malformed/ (committed; rerun
after changing a case):

    python3 tests/malformed/make_malformed.py

One file per bad input, in a folder per reader: idx/, png/, json/, npz/,
checkpoint/, config/. tests/nets/malformed_input_test.cc reads each with its reader and
asserts the exact message fragment it must fail with; the fuzz targets
(scripts/fuzz) start from these files too. Python's standard library only.
The checkpoint cases edit a real model and training state that simdnet wrote
(tests/fuzz/corpus/npz/*-bn.npz: see tests/fuzz/make_seeds.py).
"""
import ast
import gzip
import io
import os
import struct
import warnings
import zipfile
import zlib

# duplicate_entry.npz is meant to hold two entries of one name.
warnings.filterwarnings("ignore", "Duplicate name", UserWarning)

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ_NPZ = os.path.join(HERE, "..", "fuzz", "corpus", "npz")


def write(folder, name, data):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), "wb") as f:
        f.write(data)


# --- IDX -------------------------------------------------------------------------
IMAGES, LABELS = 0x00000803, 0x00000801


def idx(magic, dims, payload=b""):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


def fixed_gzip(data):
    """gzip with a fixed header time, so reruns write the same bytes."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as g:
        g.write(data)
    return out.getvalue()


def make_idx():
    write("idx", "empty.idx", b"")
    # Magic and one of the three dimension fields.
    write("idx", "truncated_header.idx", idx(IMAGES, [2])[:8])
    # 2 x 4 x 4 images announce 32 pixel bytes; 20 are there.
    write("idx", "truncated_pixels.idx", idx(IMAGES, [2, 4, 4], bytes(range(20))))
    # Type 0x0D (float) instead of 0x08 (unsigned byte).
    write("idx", "wrong_magic_float.idx", idx(0x00000D03, [1, 2, 2], bytes(16)))
    # A labels file where images are expected.
    write("idx", "labels_not_images.idx", idx(LABELS, [3], bytes([1, 2, 3])))
    # (2^32-1)^3 bytes do not fit 64 bits.
    write("idx", "dims_overflow.idx", idx(IMAGES, [0xFFFFFFFF] * 3, bytes(88)))
    # 65536 x 65536 x 256 = 2^40 bytes (a terabyte) in a 100-byte file.
    write("idx", "dims_terabyte.idx", idx(IMAGES, [65536, 65536, 256], bytes(84)))
    # 1000^3 bytes: under the 1 GiB limit, but the file holds 100.
    write("idx", "dims_gigabyte_in_100_bytes.idx", idx(IMAGES, [1000, 1000, 1000], bytes(84)))
    write("idx", "dims_zero.idx", idx(IMAGES, [0, 28, 28]))
    # gzip'd, announcing a gigabyte; the gzip trailer's size (ISIZE) is
    # forged to agree, so only deflate's 1032:1 bound can tell. 2 MB of
    # zeros (2 KB deflated) follow the header, so that zlib's first read
    # (1 MB buffered) does not reach the trailer and see through the forgery.
    forged = bytearray(fixed_gzip(idx(IMAGES, [1000, 1000, 1000], bytes(2 << 20))))
    forged[-4:] = struct.pack("<I", (16 + 1000**3) % 2**32)
    write("idx", "gzip_forged_size.idx.gz", bytes(forged))
    # A gzip'd valid file cut before its trailer.
    whole = fixed_gzip(idx(IMAGES, [3, 4, 4], bytes(range(48))))
    write("idx", "gzip_truncated.idx.gz", whole[: len(whole) - 10])
    # Labels: one is 10 with num_classes 10.
    write("idx", "labels_out_of_range.idx", idx(LABELS, [4], bytes([3, 9, 10, 0])))
    write("idx", "labels_255.idx", idx(LABELS, [2], bytes([255, 0])))


# --- PNG ---------------------------------------------------------------------------
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png(width, height, colour_type, bit_depth=8, channels=3, pixels=None, plte=False):
    """A PNG: signature, IHDR, (PLTE), one IDAT of unfiltered scanlines, IEND."""
    row = width * channels * bit_depth // 8
    if pixels is None:
        pixels = bytes((7 * i + 3) % 256 for i in range(row * height))
    raw = b"".join(b"\x00" + pixels[r * row : (r + 1) * row] for r in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    body = chunk(b"IHDR", ihdr)
    if plte:
        body += chunk(b"PLTE", bytes(range(12)))
    return SIGNATURE + body + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def make_png():
    # Read as an 8x4 RGB image (the test and the fuzz target's small case).
    good = png(8, 4, 2)
    write("png", "not_a_png.png", b"GIF89a this is not a PNG at all")
    write("png", "truncated_header.png", good[:20])
    write("png", "truncated_data.png", good[: len(good) - 30])
    write("png", "wrong_size_8x5.png", png(8, 5, 2))
    write("png", "greyscale.png", png(8, 4, 0, channels=1))
    write("png", "rgba.png", png(8, 4, 6, channels=4))
    write("png", "rgb_16bit.png", png(8, 4, 2, bit_depth=16))
    write("png", "indexed.png", png(8, 4, 3, channels=1, pixels=bytes(32), plte=True))
    # One byte of the image data flipped: the IDAT chunk's CRC no longer matches.
    bad = bytearray(good)
    bad[good.index(b"IDAT") + 6] ^= 0xFF
    write("png", "idat_bad_crc.png", bytes(bad))
    # A header 2^31-1 pixels square (PNG's largest) in a 100-byte file.
    huge = struct.pack(">IIBBBBB", 0x7FFFFFFF, 0x7FFFFFFF, 8, 2, 0, 0, 0)
    write("png", "dims_huge.png", SIGNATURE + chunk(b"IHDR", huge) + good[33:])
    # A CIFAR-10 batch's header (1024x10000 RGB, 30 MB of pixels) on a
    # 1-row image: read as a batch, it must be refused before 30 MB are taken.
    tiny = png(1024, 1, 2)
    ihdr = struct.pack(">IIBBBBB", 1024, 10000, 8, 2, 0, 0, 0)
    fake = SIGNATURE + chunk(b"IHDR", ihdr) + tiny[len(SIGNATURE) + 25 :]
    write("png", "cifar_header_tiny_file.png", fake)


# --- JSON labels (read as 5 labels in [0, 10)) --------------------------------------
def make_json():
    write("json", "not_json.json", b"labels: 1 2 3 4 5\n")
    write("json", "truncated.json", b"[0, 1, 2,")
    write("json", "object.json", b'{"labels": [0, 1, 2, 3, 4]}')
    write("json", "count_3.json", b"[0, 1, 2]")
    write("json", "label_10.json", b"[0, 1, 2, 3, 10]")
    write("json", "label_negative.json", b"[0, -1, 2, 3, 4]")
    write("json", "label_float.json", b"[0, 1.5, 2, 3, 4]")
    write("json", "label_string.json", b'[0, 1, "2", 3, 4]')
    write("json", "label_2pow64.json", b"[0, 1, 2, 3, 18446744073709551616]")
    # A number past double's range: nlohmann throws out_of_range, not parse_error.
    write("json", "number_1e400.json", b"[0, 1, 2, 3, 1e400]")
    write("json", "deep_nesting.json", b"[" * 10000 + b"]" * 10000)


# --- .npy and .npz ------------------------------------------------------------------
def npy(header, data=b"", version=(1, 0), raw_header=False):
    """A .npy entry; header is the dict literal's text, padded as NumPy pads it."""
    text = header.encode("latin1")
    if not raw_header:
        pre = 10 if version[0] == 1 else 12
        text += b" " * ((64 - (pre + len(text) + 1) % 64) % 64) + b"\n"
    size = struct.pack("<H", len(text)) if version[0] == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes(version) + size + text + data


def f4(shape):
    return "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (shape,)


def npz(entries, compression=zipfile.ZIP_STORED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, data)
    return out.getvalue()


def forge_sizes(zip_bytes, size):
    """Sets the one entry's uncompressed size in both its local header and the
    central directory (so libzip's consistency check sees them agree)."""
    b = bytearray(zip_bytes)
    local = b.index(b"PK\x03\x04")
    b[local + 22 : local + 26] = struct.pack("<I", size)
    central = b.index(b"PK\x01\x02")
    b[central + 24 : central + 28] = struct.pack("<I", size)
    return bytes(b)


def make_npz():
    ok = npy(f4((2, 3)), bytes(24))
    write("npz", "not_a_zip.npz", b"\x93NUMPY this is a bare .npy, not a zip of them")
    good = npz([("W1.npy", ok), ("b1.npy", npy(f4((3,)), bytes(12)))])
    write("npz", "truncated.npz", good[: len(good) // 2])
    write("npz", "not_npy_entry.npz", npz([("W1.npy", ok), ("README.txt", b"hello")]))
    write("npz", "npy_bad_magic.npz", npz([("W1.npy", b"\x93NUMPX" + ok[6:])]))
    write("npz", "npy_version_9.npz", npz([("W1.npy", b"\x93NUMPY\x09\x00" + ok[8:])]))
    write("npz", "npy_header_truncated.npz", npz([("W1.npy", ok[:40])]))
    write("npz", "npy_header_len_huge.npz", npz([("W1.npy", npy(f4((2,)), version=(2, 0))[:8] + struct.pack("<I", 0xFFFFFFF0) + b"{}")]))
    write("npz", "npy_fortran_order.npz", npz([("W1.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", bytes(24)))]))
    write("npz", "npy_unknown_key.npz", npz([("W1.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'align': True, }", bytes(8)))]))
    write("npz", "npy_missing_shape.npz", npz([("W1.npy", npy("{'descr': '<f4', 'fortran_order': False, }", bytes(8)))]))
    write("npz", "npy_dtype_int32.npz", npz([("W1.npy", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", bytes(8)))]))
    write("npz", "npy_big_endian.npz", npz([("W1.npy", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", bytes(8)))]))
    write("npz", "npy_string_vector.npz", npz([("W1.npy", npy("{'descr': '<U4', 'fortran_order': False, 'shape': (2,), }", bytes(32)))]))
    write("npz", "npy_data_short.npz", npz([("W1.npy", npy(f4((2, 3)), bytes(20)))]))
    # 2^47 x 2^47 elements: the count overflows 64 bits.
    write("npz", "npy_shape_overflow.npz", npz([("W1.npy", npy(f4((2**47, 2**47)), bytes(8)))]))
    # 2^20 x 2^20 float32: 4 TiB announced by a 128-byte entry.
    write("npz", "npy_shape_terabytes.npz", npz([("W1.npy", npy(f4((2**20, 2**20)), bytes(8)))]))
    # A dimension with more digits than any size has.
    write("npz", "npy_dim_99_digits.npz", npz([("W1.npy", npy(f4("(" + "9" * 99 + ",)")))]))
    write("npz", "duplicate_entry.npz", npz([("W1.npy", ok), ("W1.npy", ok)]))
    # The zip directory claims a 2 GiB entry that holds 152 stored bytes.
    write("npz", "zip_stored_size_forged.npz", forge_sizes(npz([("W1.npy", ok)]), 0x80000000))
    # ... and a 2 GiB entry from 40-odd deflated bytes (deflate's limit is 1032:1).
    write("npz", "zip_deflated_size_forged.npz",
          forge_sizes(npz([("W1.npy", ok)], zipfile.ZIP_DEFLATED), 0x80000000))
    write("npz", "zip_bzip2.npz", npz([("W1.npy", ok)], zipfile.ZIP_BZIP2))


# --- checkpoints: a real model, one array changed --------------------------------------
def read_npy(data):
    major = data[6]
    n, pre = (struct.unpack("<H", data[8:10])[0], 10) if major == 1 else (struct.unpack("<I", data[8:12])[0], 12)
    header = ast.literal_eval(data[pre : pre + n].decode("latin1"))
    return header, data[pre + n :]


def typed(descr, shape, values):
    fmt = {"<f4": "<%df", "<f8": "<%dd", "<i8": "<%dq"}[descr]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    return npy(header, struct.pack(fmt % len(values), *values))


def string(text):
    header = "{'descr': '<U%d', 'fortran_order': False, 'shape': (), }" % len(text)
    return npy(header, b"".join(struct.pack("<I", ord(c)) for c in text))


def edited(source, replace=None, drop=(), add=()):
    """The arrays of `source`, with replace[name] = new .npy bytes, `drop`
    removed and `add` (name, bytes) appended, as a stored .npz."""
    replace = replace or {}
    with zipfile.ZipFile(os.path.join(FUZZ_NPZ, source)) as z:
        entries = []
        for name in z.namelist():
            key = name[: -len(".npy")]
            if key in drop:
                continue
            entries.append((name, replace.get(key, z.read(name))))
    entries += [(name + ".npy", data) for name, data in add]
    return npz(entries)


def model_array(name):
    with zipfile.ZipFile(os.path.join(FUZZ_NPZ, "model-bn.npz")) as z:
        return read_npy(z.read(name + ".npy"))


def make_checkpoint():
    m = "model-bn.npz"  # 784-3-10, batchnorm, dropout 0.25
    header, data = model_array("W1")
    rows, cols = header["shape"]
    w1 = list(struct.unpack("<%df" % (rows * cols), data))
    write("checkpoint", "W1_wrong_shape.npz", edited(m, {"W1": typed("<f4", (rows, cols - 1), w1[: rows * (cols - 1)])}))
    write("checkpoint", "W1_float64.npz", edited(m, {"W1": typed("<f8", (rows, cols), w1)}))
    write("checkpoint", "W1_vector.npz", edited(m, {"W1": typed("<f4", (rows * cols,), w1)}))
    header, data = model_array("W2")
    w2 = list(struct.unpack("<%df" % (len(data) // 4), data))
    w2[2] = float("nan")
    write("checkpoint", "W2_nan.npz", edited(m, {"W2": typed("<f4", tuple(header["shape"]), w2)}))
    write("checkpoint", "running_var1_inf.npz", edited(m, {"running_var1": typed("<f4", (3,), [1.0, float("inf"), 1.0])}))
    write("checkpoint", "b1_missing.npz", edited(m, drop=("b1",)))
    write("checkpoint", "extra_array.npz", edited(m, add=(("W9", typed("<f4", (1,), [0.0])),)))
    write("checkpoint", "format_unknown.npz", edited(m, {"simdnet/format": string("weights")}))
    write("checkpoint", "version_2.npz", edited(m, {"simdnet/version": typed("<i8", (), [2])}))
    write("checkpoint", "input_dim_negative.npz", edited(m, {"spec/input_dim": typed("<i8", (), [-4])}))
    # Widths of 2^32 (the largest spec/* allow): a 2^64-float net, asked for
    # by a 16 KB file; refused before the net is built.
    write("checkpoint", "widths_2pow32.npz", edited(m, {
        "spec/input_dim": typed("<i8", (), [2**32]),
        "spec/hidden_dims": typed("<i8", (1,), [2**32])}))
    write("checkpoint", "hidden_dims_float.npz", edited(m, {"spec/hidden_dims": typed("<f8", (1,), [3.0])}))
    write("checkpoint", "dropout_1.npz", edited(m, {"spec/dropout": typed("<f8", (), [1.0])}))
    write("checkpoint", "init_unknown.npz", edited(m, {"spec/init": string("zeros")}))
    write("checkpoint", "batchnorm_flag_2.npz", edited(m, {"spec/batchnorm": typed("<i8", (), [2])}))
    s = "state-bn.npz"  # the same run's training state (Adam)
    write("checkpoint", "state_as_model.npz", edited(s))
    write("checkpoint", "state_update_rule_unknown.npz", edited(s, {"solver/update_rule": string("lbfgs")}))
    write("checkpoint", "state_learning_rate_nan.npz", edited(s, {"solver/learning_rate": typed("<f8", (), [float("nan")])}))


# --- TOML experiment configs --------------------------------------------------------
AXIS = '\n[[axis]]\nfield = "solver.update"\nvalues = ["sgd", "adam"]\n'


def make_config():
    def cfg(name, text, axis=True):
        write("config", name + ".toml", (text + (AXIS if axis else "")).encode())

    cfg("not_toml", "[net\nhidden = [100]\n")
    cfg("unknown_section", "[optimizer]\nlearning_rate = 0.1\n")
    cfg("unknown_field", "[net]\nhiden = [100, 100]\n")
    cfg("unknown_quick_field", "[quick]\nsolver.epoch = 2\n")
    cfg("wrong_type_bool", '[net]\nbatchnorm = "yes"\n')
    cfg("wrong_type_list", "[net]\nhidden = 100\n")
    cfg("wrong_type_int", "[solver]\nepochs = 2.5\n")
    cfg("dataset_unknown", '[data]\ndataset = "imagenet"\n')
    cfg("learning_rate_negative", "[solver]\nlearning_rate = -0.1\n")
    cfg("learning_rate_nan", "[solver]\nlearning_rate = nan\n")
    cfg("dropout_1", "[net]\ndropout = 1.0\n")
    cfg("hidden_too_wide", "[net]\nhidden = [100, 2000000]\n")
    cfg("hidden_empty", "[net]\nhidden = []\n")
    cfg("epochs_million", "[solver]\nepochs = 1000000\n")
    cfg("integer_overflow", "[solver]\nepochs = 99999999999999999999\n")
    cfg("seeds_two", "[run]\nseeds = [1, 2]\n")
    cfg("seeds_repeated", "[run]\nseeds = [1, 2, 1]\n")
    cfg("no_axis", "[solver]\nepochs = 2\n", axis=False)
    cfg("three_axes", AXIS + AXIS.replace("solver.update", "net.batchnorm").replace('["sgd", "adam"]', "[true]")
        + AXIS.replace("solver.update", "solver.epochs").replace('["sgd", "adam"]', "[1, 2]"), axis=False)
    cfg("axis_value_wrong_type", '[[axis]]\nfield = "solver.batch_size"\nvalues = [100, "half"]\n', axis=False)
    cfg("axis_value_out_of_range", '[[axis]]\nfield = "solver.batch_size"\nvalues = [100, 0]\n', axis=False)
    cfg("axis_unknown_field", '[[axis]]\nfield = "solver.speed"\nvalues = [1]\n', axis=False)


if __name__ == "__main__":
    make_idx()
    make_png()
    make_json()
    make_npz()
    make_checkpoint()
    make_config()
