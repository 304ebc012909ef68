#!/usr/bin/python3
"""Runs `simdnet train` for one epoch and records its seconds per epoch in the
JSON layout of the other benchmark rows (bench/peers/peer_common.py), as
kernel train_epoch_<dataset>, impl simd. Part of scripts/bench-compare.

    bench-compare-train.py SIMDNET_BINARY SHAPE THREADS OUT.json -- <simdnet train flags>

The epoch's seconds are what the Solver times (gathers, forward, backward,
updates; no accuracy checks); they are recomputed from the printed samples/s,
which has more digits than the seconds column.
"""
import json
import re
import subprocess
import sys

TRAIN_SIZE = {"mnist": 55000, "cifar10": 49000}


def main(argv):
    if len(argv) < 6 or argv[4] != "--":
        sys.exit(__doc__)
    binary, shape, threads, out, flags = argv[0], argv[1], int(argv[2]), argv[3], argv[5:]
    dataset = flags[flags.index("--dataset") + 1]
    cmd = [binary, "train", "--epochs", "1", "--threads", str(threads)] + flags
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"bench-compare-train: {' '.join(cmd)} failed ({run.returncode}):\n{run.stderr}")
    # The per-epoch table (experiments/progress.cc):
    #   epoch loss train_acc val_acc seconds samples/s lr
    row = re.search(r"^\s*1\s+(\S+)\s+\S+\s+\S+\s+(\S+)\s+(\S+)\s+\S+\s*$", run.stdout, re.M)
    if not row:
        sys.exit(f"bench-compare-train: no epoch-1 row in the output of {' '.join(cmd)}:\n{run.stdout}")
    loss, samples_per_s = float(row.group(1)), float(row.group(3))
    seconds = TRAIN_SIZE[dataset] / samples_per_s
    name = f"train_epoch_{dataset}/simd/{shape}/threads:{threads}"
    with open(out, "w") as f:
        json.dump({"context": {"command": " ".join(cmd), "loss": loss},
                   "benchmarks": [{"name": name, "run_name": name, "run_type": "iteration",
                                   "s/epoch": seconds}]}, f, indent=1)
    print(f"{name}: {seconds:.3f} s/epoch, loss {loss:.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
