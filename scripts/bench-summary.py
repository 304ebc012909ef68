#!/usr/bin/env python3
"""Summarizes Google Benchmark JSON from the simdnet bench binaries.

Benchmarks are named  kernel/impl/shape/threads:T  (bench/support/bench_util.h).
For every kernel x shape x threads this prints the simd rate (median over
repetitions) and its ratio to every other impl measured in the same run:
reference (the scalar reference), triad (the bandwidth roof at the same bytes),
and peers such as openblas. A ratio > 1 means simdnet is faster.

    python3 scripts/bench-summary.py results/bench/raw/*.json
"""
import json
import sys
from collections import defaultdict

UNITS = ("GFLOP/s", "GB/s")


def load(paths):
    """Returns {(kernel, shape, threads): {impl: (unit, value)}} using medians."""
    rows = defaultdict(dict)
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        runs = data["benchmarks"]
        has_aggregates = any(r.get("run_type") == "aggregate" for r in runs)
        for r in runs:
            if has_aggregates and r.get("aggregate_name") != "median":
                continue
            parts = r["run_name"].split("/")
            if len(parts) < 4 or not parts[3].startswith("threads:"):
                continue
            kernel, impl, shape, threads = parts[0], parts[1], parts[2], int(parts[3][8:])
            unit = next((u for u in UNITS if u in r), None)
            if unit is None:
                continue
            rows[(kernel, shape, threads)][impl] = (unit, float(r[unit]))
    return rows


def main(paths):
    rows = load(paths)
    peers = sorted({impl for impls in rows.values() for impl in impls} - {"simd"},
                   key=lambda p: (p not in ("reference", "triad"), p))
    header = ["kernel", "shape", "threads", "unit", "simdnet"] + [f"x {p}" for p in peers]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for (kernel, shape, threads), impls in sorted(rows.items()):
        if "simd" not in impls:
            continue
        unit, value = impls["simd"]
        cells = [kernel, shape, str(threads), unit, f"{value:.1f}"]
        for p in peers:
            cells.append(f"{value / impls[p][1]:.2f}" if p in impls and impls[p][1] > 0 else "")
        print("| " + " | ".join(cells) + " |")
    print()
    print("x reference: speed-up over the scalar reference; x triad: fraction of the "
          "streaming-triad bandwidth at the same bytes (the roof); x <peer>: ratio to that "
          "library. All ratios are medians measured in the same run.")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: bench-summary.py RESULT.json [...]")
    main(sys.argv[1:])
