#!/usr/bin/env python3
"""NumPy reads simdnet's .npz files, and simdnet reads NumPy's.

    npz_numpy_check.py PATH/TO/npz_numpy_helper

1. The helper writes model.npz and state.npz (a small trained net) and a
   manifest of every array's name, dtype, shape and exact values; this script
   np.load()s both files and checks that they hold exactly those arrays.
2. This script writes known arrays with np.savez and np.savez_compressed; the
   helper reads them with simdnet's reader and checks every value.

Fails (exit 1), never skips, when NumPy cannot be imported: install
python3-numpy (scripts/setup-deps does).
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError as e:
    print(f"npz_numpy_check: FAILED: NumPy cannot be imported by {sys.executable} ({e}).\n"
          "Install python3-numpy (scripts/setup-deps installs it); this check needs it.")
    sys.exit(1)


def parse_manifest(path):
    entries = []
    with open(path) as f:
        for line in f:
            file, name, dtype, shape, values = line.rstrip("\n").split("\t")
            shape = tuple(int(s) for s in shape.split(",")) if shape else ()
            entries.append((file, name, dtype, shape, values))
    return entries


def expected_values(dtype, values):
    if dtype == "<U":
        return values
    if not values:
        return []
    if dtype == "<i8":
        return [int(v) for v in values.split(" ")]
    return [float.fromhex(v) for v in values.split(" ")]


def check_simdnet_files(helper, folder):
    subprocess.run([helper, "write", folder], check=True)
    entries = parse_manifest(os.path.join(folder, "manifest.tsv"))
    failures = []
    for file in sorted({e[0] for e in entries}):
        with np.load(os.path.join(folder, file)) as f:
            want = {e[1]: e for e in entries if e[0] == file}
            if set(f.files) != set(want):
                failures.append(f"{file}: NumPy sees arrays {sorted(f.files)}, expected {sorted(want)}")
                continue
            for name, (_, _, dtype, shape, values) in want.items():
                a = f[name]
                where = f"{file}: {name}"
                if dtype == "<U":
                    if a.dtype.kind != "U" or a.shape != () or str(a) != values:
                        failures.append(f"{where}: {a!r}, expected the string {values!r}")
                    continue
                if a.dtype != np.dtype(dtype) or a.shape != shape:
                    failures.append(f"{where}: {a.dtype} {a.shape}, expected {dtype} {shape}")
                    continue
                expect = np.array(expected_values(dtype, values), dtype=np.dtype(dtype)).reshape(shape)
                if not np.array_equal(a, expect, equal_nan=dtype != "<i8"):
                    failures.append(f"{where}: values differ from the manifest")
        print(f"{file}: NumPy read {len(want)} arrays, every name, dtype, shape and value as written")
    # The parameters read the way CS231n's notebooks use them.
    with np.load(os.path.join(folder, "model.npz")) as f:
        if f["W1"].shape != (6, 5) or f["b1"].shape != (5,) or str(f["spec/init"]) != "he":
            failures.append("model.npz: W1/b1/spec/init are not what the net has")
        if list(f["spec/hidden_dims"]) != [5, 4] or int(f["spec/batchnorm"]) != 1:
            failures.append("model.npz: spec/hidden_dims or spec/batchnorm wrong")
    with np.load(os.path.join(folder, "state.npz")) as f:
        if int(f["state/epoch"]) != 2 or f["history/loss"].shape != (int(f["state/iteration"]),):
            failures.append("state.npz: state/epoch or history/loss wrong")
        if f["adam_m/W2"].shape != (5, 4) or str(f["solver/update_rule"]) != "adam":
            failures.append("state.npz: adam state or solver/update_rule wrong")
    return failures


def check_numpy_files(helper, folder):
    arrays = {
        "W": np.arange(12, dtype=np.float32).reshape(3, 4) / np.float32(7),
        "d": np.array([1 / 3, -2.5]),
        "i": np.array([-(2**63), 5, 2**63 - 1], dtype=np.int64),
        "scalar": np.float64(0.1),
        "count": np.int64(7),
        "rule": np.array("nesterov"),
        "empty": np.zeros((0, 5), dtype=np.float32),
    }
    failures = []
    for save in (np.savez, np.savez_compressed):
        path = os.path.join(folder, f"numpy_{save.__name__}.npz")
        save(path, **arrays)
        result = subprocess.run([helper, "check", path], capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        if result.returncode != 0:
            failures.append(f"{save.__name__}: simdnet could not read it: {result.stderr.strip()}")
    return failures


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    helper = sys.argv[1]
    print(f"NumPy {np.__version__}")
    with tempfile.TemporaryDirectory(prefix="simdnet-npz-numpy-") as folder:
        failures = check_simdnet_files(helper, folder) + check_numpy_files(helper, folder)
    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
