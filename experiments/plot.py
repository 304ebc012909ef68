#!/usr/bin/env python3
"""Plots of one experiment's results (matplotlib, Debian python3-matplotlib).

    python3 experiments/plot.py results/<name>

reads runs.csv and config.resolved there and writes, as PNG and SVG, to plots/:
  curves.*        per setting, mean over seeds (band: ± std) per epoch of the
                  training loss, train accuracy and validation accuracy
  axis_<key>.*    along each grid axis: final validation accuracy (mean ± std
                  over seeds) and seconds per epoch, one line per value of the
                  other axis
"""
import csv
import math
import os
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def read_axes(path):
    """[(key, [values in config order])] from config.resolved's 'axis' lines."""
    axes = []
    with open(path) as f:
        for line in f:
            if line.startswith("axis "):
                field, values = line[len("axis "):].split(" =", 1)
                axes.append((field.split(".", 1)[1], values.split()))
    return axes


def parse_setting(label):
    return dict(part.split("=", 1) for part in label.split(" "))


def mean_std(values):
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def save(fig, folder, stem):
    for ext in ("png", "svg"):
        fig.savefig(os.path.join(folder, f"{stem}.{ext}"), dpi=120, bbox_inches="tight")
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot.py RESULTS_DIR (holding runs.csv and config.resolved)")
    folder = sys.argv[1]
    runs_csv = os.path.join(folder, "runs.csv")
    resolved = os.path.join(folder, "config.resolved")
    for path in (runs_csv, resolved):
        if not os.path.isfile(path):
            sys.exit(f"plot.py: {path}: no such file (run `simdnet experiment` first)")
    axes = read_axes(resolved)
    with open(runs_csv, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "ok"]
    if not rows:
        sys.exit(f"plot.py: {runs_csv}: no finished runs to plot")
    title = os.path.basename(os.path.normpath(folder))
    out = os.path.join(folder, "plots")
    os.makedirs(out, exist_ok=True)

    # setting -> seed -> [rows by epoch]
    runs = defaultdict(lambda: defaultdict(list))
    for r in rows:
        runs[r["setting"]][r["seed"]].append(r)
    order = {key: values for key, values in axes}

    def sort_key(label):
        s = parse_setting(label)
        return [order[k].index(s[k]) if s.get(k) in order.get(k, []) else 0 for k, _ in axes]

    settings = sorted(runs, key=sort_key)

    # Curves: mean over seeds per epoch.
    panels = [("train_loss", "training loss (epoch mean)", True),
              ("train_acc", "train accuracy (sample)", False),
              ("val_acc", "validation accuracy", False)]
    fig, axs = plt.subplots(1, 3, figsize=(16, 4.8))
    cmap = plt.get_cmap("viridis" if len(settings) > 10 else "tab10")
    for i, label in enumerate(settings):
        color = cmap(i / max(len(settings) - 1, 1)) if len(settings) > 10 else cmap(i % 10)
        seeds = runs[label].values()
        epochs = min(len(s) for s in seeds)
        x = list(range(1, epochs + 1))
        for ax, (col, _, _) in zip(axs, panels):
            stats = [mean_std([float(s[e][col]) for s in seeds]) for e in range(epochs)]
            mean = [m for m, _ in stats]
            std = [d for _, d in stats]
            ax.plot(x, mean, color=color, label=label, marker="." if epochs < 30 else None)
            ax.fill_between(x, [m - d for m, d in zip(mean, std)],
                            [m + d for m, d in zip(mean, std)], color=color, alpha=0.15)
    for ax, (_, name, log) in zip(axs, panels):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axs[-1].legend(fontsize=7, loc="lower right", ncol=2 if len(settings) > 8 else 1)
    fig.suptitle(f"{title}: mean over seeds (band: ± std)")
    save(fig, out, "curves")

    # Final metrics along each axis.
    def final(label, col):
        return [float(seed_rows[-1][col]) for seed_rows in runs[label].values()]

    def seconds_per_epoch(label):
        return [statistics.fmean(float(r["seconds"]) for r in seed_rows)
                for seed_rows in runs[label].values()]

    for a, (key, values) in enumerate(axes):
        others = axes[1 - a][1] if len(axes) == 2 else [None]
        other_key = axes[1 - a][0] if len(axes) == 2 else None
        fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(12, 4.5))
        for other in others:
            xs, acc, acc_err, spe, spe_err = [], [], [], [], []
            for i, v in enumerate(values):
                label = " ".join(
                    f"{k}={v if k == key else other}" for k, _ in axes)
                if label not in runs:
                    continue
                m, d = mean_std(final(label, "val_acc"))
                t, td = mean_std(seconds_per_epoch(label))
                xs.append(i)
                acc.append(m * 100)
                acc_err.append(d * 100)
                spe.append(t)
                spe_err.append(td)
            name = f"{other_key}={other}" if other_key else "final"
            ax_acc.errorbar(xs, acc, yerr=acc_err, marker="o", capsize=3, label=name)
            ax_time.errorbar(xs, spe, yerr=spe_err, marker="o", capsize=3, label=name)
        for ax, name in ((ax_acc, "final validation accuracy (%)"), (ax_time, "seconds per epoch")):
            ax.set_xticks(range(len(values)))
            ax.set_xticklabels(values, rotation=30 if len(values) > 6 else 0)
            ax.set_xlabel(key)
            ax.set_ylabel(name)
            ax.grid(alpha=0.3)
            if other_key:
                ax.legend(fontsize=8)
        fig.suptitle(f"{title}: along {key} (mean ± std over seeds)")
        save(fig, out, f"axis_{key}")
    print(f"plots: {out}/curves.{{png,svg}}, "
          + ", ".join(f"axis_{k}.{{png,svg}}" for k, _ in axes))


if __name__ == "__main__":
    main()
