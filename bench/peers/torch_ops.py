#!/usr/bin/python3
"""PyTorch 1.13 (Debian python3-torch) as the peer of simdnet's memory-bound
kernels: the same operation, shape and thread count, timed as a rate over
the bytes simdnet's benchmark counts for that kernel (bench/<family>_bench.cc),
so GB/s values compare directly (a ratio of rates is a ratio of times).

Each kernel calls what PyTorch itself runs in training: the aten op that
autograd dispatches to (relu and threshold_backward, native_batch_norm and
its backward, native_dropout and its backward), F.cross_entropy forward +
backward through autograd (log_softmax + nll_loss and their backwards), and
torch.optim's step() on one flat parameter for the update rules.

    torch_ops.py --threads 1 --out torch_ops.json [--filter relu]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common  # noqa: E402

SHAPES = [(128, 512), (256, 1024), (1024, 4096)]  # bench/support/shapes.h


def kernels(torch, rows, cols):
    """(name, bytes per call, body) for one shape, bytes as simdnet counts them."""
    F = torch.nn.functional
    aten = torch.ops.aten
    n = rows * cols
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(rows, cols, generator=gen) * 2 - 1
    dout = torch.rand(rows, cols, generator=gen) * 2 - 1
    scores = (x * 4).clone().requires_grad_(True)
    labels = torch.tensor([(i * 7 + 3) % cols for i in range(rows)], dtype=torch.int64)
    w, b = torch.ones(cols), torch.zeros(cols)
    rm, rv = torch.zeros(cols), torch.ones(cols)
    _, save_mean, save_invstd = aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5)
    _, mask = aten.native_dropout(x, 0.5, True)

    def cross_entropy():
        scores.grad = None
        F.cross_entropy(scores, labels).backward()

    out = [
        ("relu_forward", 8 * n, lambda: torch.relu(x)),
        ("relu_backward", 12 * n, lambda: aten.threshold_backward(dout, x, 0.0)),
        ("softmax_cross_entropy", 8 * n + 4 * rows, cross_entropy),
        ("batchnorm_forward", 8 * n, lambda: aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5)),
        ("batchnorm_backward", 12 * n, lambda: aten.native_batch_norm_backward(
            dout, x, w, rm, rv, save_mean, save_invstd, True, 1e-5, [True, True, True])),
        ("dropout_forward", 8 * n, lambda: aten.native_dropout(x, 0.5, True)),
        ("dropout_backward", 8 * n, lambda: aten.native_dropout_backward(dout, mask, 2.0)),
    ]
    # Update rules on one flat parameter of n elements; tiny learning rates
    # keep the values sane over many calls (as optimizer_bench.cc does).
    # Bytes as simdnet counts them (optimizer_bench.cc): 12 / 20 / 20 / 20 / 28 per element.
    optim = torch.optim
    rules = [
        ("sgd_update", 12, lambda p: optim.SGD([p], lr=1e-6)),
        ("sgd_momentum_update", 20, lambda p: optim.SGD([p], lr=1e-6, momentum=0.9)),
        ("nesterov_update", 20, lambda p: optim.SGD([p], lr=1e-6, momentum=0.9, nesterov=True)),
        ("rmsprop_update", 20, lambda p: optim.RMSprop([p], lr=1e-6, alpha=0.99, eps=1e-8)),
        ("adam_update", 28, lambda p: optim.Adam([p], lr=1e-6, betas=(0.9, 0.999), eps=1e-8)),
    ]
    for name, per_elem, make in rules:
        p = torch.nn.Parameter(torch.full((n,), 0.5))
        p.grad = torch.full((n,), 1e-3)
        opt = make(p)
        out.append((name, per_elem * n, opt.step))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--out", required=True, help="JSON output (Google Benchmark layout)")
    ap.add_argument("--filter", default="", help="only kernels whose name contains this")
    ap.add_argument("--min-time", type=float, default=0.1, help="seconds per timed run")
    args = ap.parse_args()
    peer_common.set_threads(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    rows = []
    with torch.no_grad():
        for r, c in SHAPES:
            for name, nbytes, body in kernels(torch, r, c):
                if args.filter not in name:
                    continue
                if name == "softmax_cross_entropy":
                    with torch.enable_grad():
                        rate = peer_common.time_rate(body, nbytes, args.min_time)
                else:
                    rate = peer_common.time_rate(body, nbytes, args.min_time)
                rows.append((name, "torch", f"{r}x{c}", args.threads, "GB/s", rate * 1e-9))
    peer_common.write_json(args.out, rows, {"torch": torch.__version__,
                                            "torch_threads": torch.get_num_threads()})


if __name__ == "__main__":
    main()
