#!/usr/bin/python3
"""The tables and plots of scripts/bench-compare, from its raw JSON rounds.

Every row in the inputs is named kernel/impl/shape/threads:T (simdnet's bench
binaries, bench/peers/*.py, bench-compare-train.py), impl "simd" being
simdnet. Each file holds one round; a value is the median over rounds.

Writes, under --out:
  summary.csv  kernel,shape,threads,unit,simdnet,peer,peer_value,ratio — one
               row per kernel x shape x threads x peer. ratio > 1 means
               simdnet is faster: simdnet / peer for rates (GFLOP/s, GB/s),
               peer / simdnet for times (s/epoch). Besides the libraries, the
               "peers" include the machine's limits measured in the same run:
                 fma-peak    matmul and training steps: ratio = fraction of
                             the FMA peak (fma_peak in matmul_bench)
                 triad       memory-bound kernels: fraction of the streaming
                             triad at the same bytes (the bandwidth roof)
                 flop-floor  training epochs: the epoch's needed FLOPs at
                             the FMA peak; ratio = fraction of that floor
                 reference   simdnet's scalar reference (speed-up over it)
  summary.md   the same, as tables per family, with issue 5's targets checked
  plots/<family>.png, .svg
"""
import argparse
import csv
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
from collections import defaultdict

RATE_UNITS = ("GFLOP/s", "GB/s", "samples/s")
TIME_UNITS = ("s/epoch",)
TRAIN_SIZE = {"mnist": 55000, "cifar10": 49000}
FAMILIES = [  # (family, kernel-name test), first match wins
    ("matmul", lambda k: k.startswith("matmul_")),
    ("relu", lambda k: k.startswith("relu_")),
    ("softmax_cross_entropy", lambda k: k in ("softmax_cross_entropy", "softmax", "argmax_rows")),
    ("batchnorm", lambda k: k.startswith("batchnorm_")),
    ("dropout", lambda k: k.startswith("dropout_")),
    ("optimizer", lambda k: k.endswith("_update")),
    ("bias", lambda k: k.startswith("bias_")),
    ("training", lambda k: k.startswith("train_")),
]


def family_of(kernel):
    return next((f for f, test in FAMILIES if test(kernel)), "other")


def load(paths):
    """{(kernel, shape, threads): {impl: (unit, [value per round])}}."""
    rows = defaultdict(lambda: defaultdict(lambda: [None, []]))
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for r in data["benchmarks"]:
            if r.get("run_type") == "aggregate" and r.get("aggregate_name") != "median":
                continue
            parts = r.get("run_name", r["name"]).split("/")
            if len(parts) < 4 or not parts[3].startswith("threads:"):
                continue
            unit = next((u for u in RATE_UNITS + TIME_UNITS if u in r), None)
            if unit is None:
                continue
            cell = rows[(parts[0], parts[2], int(parts[3][8:]))][parts[1]]
            cell[0] = unit
            cell[1].append(float(r[unit]))
    return rows


def median(cell):
    return statistics.median(cell[1])


def needed_flops_per_sample(shape):
    """b<batch>_<d0>-<d1>-...: 2 FLOPs per weight forward, 4 backward (dW and
    dx), minus the first layer's dx, which nothing needs."""
    dims = [int(d) for d in shape.split("_", 1)[1].split("-")]
    weights = [a * b for a, b in zip(dims[:-1], dims[1:])]
    return 6 * sum(weights) - 2 * weights[0]


def build_rows(raw):
    """The summary.csv rows, in table order."""
    peak = {t: median(impls["simd"]) for (k, s, t), impls in raw.items() if k == "fma_peak"}
    out = []
    for (kernel, shape, threads), impls in sorted(raw.items(), key=lambda kv: (family_of(kv[0][0]), kv[0])):
        if "simd" not in impls or kernel == "fma_peak":
            continue
        unit, simd = impls["simd"][0], median(impls["simd"])
        peers = {p: (impls[p][0], median(impls[p])) for p in impls if p != "simd"}
        if kernel.startswith("matmul_") or kernel.startswith("train_step_"):
            if threads in peak:
                peers["fma-peak"] = ("GFLOP/s", peak[threads])
        if kernel.startswith("train_epoch_") and threads in peak:
            dataset = kernel[len("train_epoch_"):]
            flops = needed_flops_per_sample(shape) * TRAIN_SIZE[dataset]
            peers["flop-floor"] = ("s/epoch", flops / (peak[threads] * 1e9))
        for peer, (_, value) in sorted(peers.items()):
            if value <= 0:
                continue
            ratio = value / simd if unit in TIME_UNITS else simd / value
            out.append({"kernel": kernel, "shape": shape, "threads": threads, "unit": unit,
                        "simdnet": simd, "peer": peer, "peer_value": value, "ratio": ratio})
    return out


def fmt(v):
    return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def library_peers(rows):
    return [r for r in rows if r["peer"] not in ("fma-peak", "triad", "flop-floor", "reference")]


def table(rows, peer_order):
    """Markdown: one line per kernel x shape x threads, one column per peer (ratio)."""
    keyed = defaultdict(dict)
    meta = {}
    for r in rows:
        key = (r["kernel"], r["shape"], r["threads"])
        keyed[key][r["peer"]] = r
        meta[key] = (r["unit"], r["simdnet"])
    peers = [p for p in peer_order if any(p in v for v in keyed.values())]
    lines = ["| kernel | shape | threads | simdnet | " + " | ".join(f"× {p}" for p in peers) + " |",
             "|" + "---|" * (4 + len(peers))]
    for key in keyed:
        unit, simd = meta[key]
        cells = [key[0], key[1], str(key[2]), f"{fmt(simd)} {unit}"]
        for p in peers:
            r = keyed[key].get(p)
            cells.append("" if r is None else f"{r['ratio']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def check_targets(rows):
    """Issue 5's targets, each as (text, met, detail)."""
    checks = []
    by = defaultdict(dict)
    for r in rows:
        by[(r["kernel"], r["shape"], r["threads"])][r["peer"]] = r
    threads = sorted({k[2] for k in by})
    # 1. matmul vs the best library peer; squares vs FMA peak.
    for t in threads:
        best = []
        for (k, s, tt), peers in by.items():
            if tt != t or not k.startswith("matmul_"):
                continue
            libs = [r for p, r in peers.items() if p not in ("fma-peak", "reference")]
            if libs:
                b = min(libs, key=lambda r: r["ratio"])  # the strongest peer gives the smallest ratio
                best.append((b["ratio"], f"{k} {s} vs {b['peer']}"))
        if best:
            g = geomean([b[0] for b in best])
            worst = min(best)
            checks.append((f"matmul, {t} thread(s): geometric mean vs the best peer >= 1.0",
                           g >= 1.0, f"{g:.2f} over {len(best)} shapes"))
            checks.append((f"matmul, {t} thread(s): every shape >= 0.9x the best peer",
                           worst[0] >= 0.9, f"lowest {worst[0]:.2f} ({worst[1]})"))
        for n in (1024, 2048):
            r = by.get(("matmul_nn", f"{n}x{n}x{n}", t), {}).get("fma-peak")
            if r:
                checks.append((f"matmul {n}², {t} thread(s): >= 90% of the FMA peak",
                               r["ratio"] >= 0.9, f"{100 * r['ratio']:.0f}%"))
    # 2. memory-bound: >= 80% of triad, faster than PyTorch.
    targeted = ("relu_forward", "relu_backward", "softmax_cross_entropy", "batchnorm_forward",
                "batchnorm_backward", "dropout_forward", "dropout_backward", "sgd_update",
                "sgd_momentum_update", "nesterov_update", "rmsprop_update", "adam_update")
    shapes = ("128x512", "256x1024", "1024x4096")  # the shapes (not the 10-class outputs)
    mem = [(k, s, t, p) for (k, s, t), p in by.items()
           if k in targeted and s in shapes and "triad" in p]
    if mem:
        low = [(p["triad"]["ratio"], f"{k} {s} t{t}") for k, s, t, p in mem]
        miss = sorted(x for x in low if x[0] < 0.8)
        checks.append(("memory-bound kernels: >= 80% of the triad roof",
                       not miss, f"{len(low) - len(miss)}/{len(low)} met; lowest: " +
                       ", ".join(f"{v:.2f} {n}" for v, n in miss[:6])))
        vs_torch = [(p["torch"]["ratio"], f"{k} {s} t{t}") for k, s, t, p in mem if "torch" in p]
        slower = sorted(x for x in vs_torch if x[0] <= 1.0)
        checks.append(("memory-bound kernels: faster than PyTorch", not slower,
                       f"{len(vs_torch) - len(slower)}/{len(vs_torch)} met" +
                       ("; slower: " + ", ".join(f"{v:.2f} {n}" for v, n in slower[:6]) if slower else
                        f"; lowest {min(vs_torch)[0]:.2f} ({min(vs_torch)[1]})" if vs_torch else "")))
    # 3. training epochs.
    for t in threads:
        for b in (128, 512):
            r = by.get(("train_epoch_mnist", f"b{b}_784-512-10", t), {}).get("flop-floor")
            if r:
                checks.append((f"MNIST batch {b}, {t} thread(s): >= 85% of the FLOP-bound floor",
                               r["ratio"] >= 0.85, f"{100 * r['ratio']:.0f}%"))
        r = by.get(("train_epoch_mnist", "b32_784-512-10", t), {}).get("torch")
        if r:
            checks.append((f"MNIST batch 32, {t} thread(s): >= 2x PyTorch", r["ratio"] >= 2.0,
                           f"{r['ratio']:.2f}x"))
    cifar = by.get(("train_epoch_cifar10", "b100_3072-100-100-100-100-100-10", 2), {})
    libs = [cifar[p] for p in ("torch", "numpy") if p in cifar]
    if libs:
        r = min(libs, key=lambda r: r["ratio"])
        checks.append(("CIFAR-10 net, 2 threads: >= 2.5x the faster of PyTorch and NumPy",
                       r["ratio"] >= 2.5, f"{r['ratio']:.2f}x vs {r['peer']}"))
    return checks


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def parts_table(raw):
    """matmul_parts_bench (1 thread): each part's share of the whole call's time."""
    peak = raw.get(("fma_peak", "regs", 1), {}).get("simd")
    parts = sorted((shape, impls) for (k, shape, t), impls in raw.items()
                   if k == "matmul_parts" and "whole" in impls)
    hot = raw.get(("matmul_parts", "tile_in_L2", 1), {}).get("micro_kernel_hot")
    if not parts or not peak:
        return []
    peak = median(peak)
    lines = ["| shape | whole | × fma-peak | micro-kernels alone | × fma-peak | packing op(A) | "
             "packing op(B) | rest |", "|---|---|---|---|---|---|---|---|"]
    for shape, impls in parts:
        if not all(p in impls for p in ("whole", "micro_kernels", "pack_a", "pack_b")):
            continue
        whole, micro, pa, pb = (median(impls[p]) for p in ("whole", "micro_kernels", "pack_a", "pack_b"))
        share = {p: whole / v for p, v in (("micro", micro), ("a", pa), ("b", pb))}
        rest = 1 - share["micro"] - share["a"] - share["b"]
        lines.append(f"| {shape} | {whole:.1f} GFLOP/s | {whole / peak:.2f} | {micro:.1f} GFLOP/s | "
                     f"{micro / peak:.2f} | {100 * share['a']:.0f}% | {100 * share['b']:.0f}% | "
                     f"{100 * rest:.0f}% |")
    return ["", "## matmul: where the time goes (1 thread)", "",
            "From `matmul_parts_bench`: each part run alone, as a share of the whole call's time "
            "(micro-kernels alone: the tile loops on panels already packed; packing: op(A)'s and "
            "op(B)'s panels for every k block; rest: what the parts alone do not account for, "
            "negative where they overlap in the whole call).", ""] + lines + ([
            "", f"The micro-kernel alone on panels that stay in L2 (one 128 x 384 tile of C, "
            f"kc = 256, over and over): {median(hot):.1f} GFLOP/s, "
            f"{median(hot) / peak:.2f} of the FMA peak."] if hot else [])


def write_md(path, rows, args, raw):
    lines = [
        "# simdnet vs its peers",
        "",
        f"`{args.command}` — {args.date or f'{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC'}, commit {commit()}, "
        f"{machine()}; medians of {args.reps} interleaved rounds; {args.wall} s of benchmarking; "
        f"load average {args.load} (above 0 means other work shared the cores: read with care).",
        "",
        "Read a ratio as \"simdnet is this many times as fast\" (> 1: simdnet faster): simdnet ÷ peer "
        "for rates, peer ÷ simdnet for seconds per epoch. Against a machine limit it is the fraction "
        "reached: × fma-peak (FMA throughput measured in matmul_bench), × triad (streaming triad at "
        "the same bytes), × flop-floor (the epoch's FLOPs at the FMA peak). OpenBLAS appears under "
        "the kernel set it ran (openblas-prescott: what 0.3.21 picks by itself on a CPU it does not "
        "recognise; openblas-skylakex: forced with OPENBLAS_CORETYPE, the fair peer); BLIS likewise "
        "(blis-haswell). PyTorch runs on OpenBLAS's OpenMP build, NumPy on its pthread build, both "
        "forced to SkylakeX, with the same thread count as simdnet.",
        "",
        "## Targets (issue 5)",
        "",
    ]
    for text, met, detail in check_targets(rows):
        lines.append(f"- {'**met**' if met else '**missed**'}: {text} — {detail}")
    order = ["openblas-skylakex", "openblas-prescott", "onednn-sgemm", "onednn-matmul"]
    order += sorted({r["peer"] for r in rows if r["peer"].startswith("blis")})
    order += ["torch", "numpy", "fma-peak", "triad", "flop-floor", "reference"]
    order += sorted({r["peer"] for r in rows} - set(order))
    for family, _ in FAMILIES:
        fam = [r for r in rows if family_of(r["kernel"]) == family]
        if fam:
            lines += ["", f"## {family}", ""] + table(fam, order)
    lines += parts_table(raw)
    lines += ["", "Plots: `plots/<family>.png` / `.svg`; every value: `summary.csv`."]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def plot(rows, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for family, _ in FAMILIES:
        fam = [r for r in rows if family_of(r["kernel"]) == family and r["peer"] != "reference"]
        if not fam:
            continue
        kernels = sorted({r["kernel"] for r in fam})
        fig, axes = plt.subplots(len(kernels), 1, figsize=(11, 2.8 * len(kernels)), squeeze=False)
        for ax, kernel in zip(axes[:, 0], kernels):
            ks = [r for r in fam if r["kernel"] == kernel]
            groups = sorted({(r["shape"], r["threads"]) for r in ks}, key=lambda g: (g[1], g[0]))
            peers = sorted({r["peer"] for r in ks})
            width = 0.8 / (len(peers) + 1)
            for i, g in enumerate(groups):
                simd = next(r["simdnet"] for r in ks if (r["shape"], r["threads"]) == g)
                ax.bar(i, simd, width, color="black", label="simdnet" if i == 0 else None)
            for j, p in enumerate(peers):
                xs, vs = [], []
                for i, g in enumerate(groups):
                    r = next((r for r in ks if (r["shape"], r["threads"], r["peer"]) == (*g, p)), None)
                    if r:
                        xs.append(i + (j + 1) * width)
                        vs.append(r["peer_value"])
                ax.bar(xs, vs, width, label=p)
            ax.set_xticks([i + 0.4 - width / 2 for i in range(len(groups))])
            ax.set_xticklabels([f"{s}\n{t} thr" for s, t in groups], fontsize=7)
            ax.set_ylabel(ks[0]["unit"])
            values = [r["simdnet"] for r in ks] + [r["peer_value"] for r in ks]
            if max(values) > 30 * min(values):  # a collapsed peer would flatten every other bar
                ax.set_yscale("log")
            ax.set_title(kernel + (" (lower is better)" if ks[0]["unit"] in TIME_UNITS else ""),
                         fontsize=10)
            ax.legend(fontsize=7, ncol=4)
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(os.path.join(out_dir, f"{family}.{ext}"), dpi=110)
        plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", default="?")
    ap.add_argument("--wall", default="?")
    ap.add_argument("--command", default="scripts/bench-compare")
    ap.add_argument("--date", default="", help="when the run ended (default: now)")
    ap.add_argument("--load", default="?", help="load averages around the run (1, 5, 15 min)")
    ap.add_argument("raw", nargs="+")
    args = ap.parse_args()
    raw = load(args.raw)
    rows = build_rows(raw)
    if not rows:
        sys.exit(f"bench-compare-summary: no simdnet rows in {len(args.raw)} files")
    with open(os.path.join(args.out, "summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["kernel", "shape", "threads", "unit", "simdnet", "peer",
                                          "peer_value", "ratio"])
        w.writeheader()
        for r in rows:
            w.writerow({**r, "simdnet": f"{r['simdnet']:.6g}", "peer_value": f"{r['peer_value']:.6g}",
                        "ratio": f"{r['ratio']:.4f}"})
    write_md(os.path.join(args.out, "summary.md"), rows, args, raw)
    os.makedirs(os.path.join(args.out, "plots"), exist_ok=True)
    plot(rows, os.path.join(args.out, "plots"))
    with open(os.path.join(args.out, "summary.md")) as f:
        print(f.read())


if __name__ == "__main__":
    main()
