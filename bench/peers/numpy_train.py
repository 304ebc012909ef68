#!/usr/bin/python3
"""NumPy (Debian python3-numpy, on Debian's OpenBLAS) trains the net simdnet
trains, CS231n style (layers as in the assignment's layers.py), for one
epoch, and reports seconds per epoch. Same layers, initialization scheme,
update rule and hyperparameters, batch size, thread count (OpenBLAS's) and,
with --order, the same minibatch order as `simdnet train`. Float32
throughout. Timed: gathers, forward, backward, updates; no accuracy checks.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common  # noqa: E402
import train_args  # noqa: E402


def main():
    args = train_args.parse(__doc__)
    peer_common.set_threads(args.threads)
    import numpy as np
    f32 = np.float32
    rng = np.random.default_rng(args.seed)
    x, y = peer_common.load_train(args.dataset)
    order = peer_common.load_order(args.order, len(y))
    dims = [x.shape[1]] + args.hidden + [10]
    L = len(dims) - 1
    params = {}
    for l in range(L):
        std = (2.0 / dims[l]) ** 0.5 if args.init == "he" else args.weight_scale
        params[f"W{l}"] = (rng.standard_normal((dims[l], dims[l + 1])) * std).astype(f32)
        params[f"b{l}"] = np.zeros(dims[l + 1], f32)
        if args.batchnorm and l < L - 1:
            params[f"gamma{l}"] = np.ones(dims[l + 1], f32)
            params[f"beta{l}"] = np.zeros(dims[l + 1], f32)
    running = {k: np.zeros(dims[l + 1], f32) if k.startswith("m") else np.ones(dims[l + 1], f32)
               for l in range(L - 1) if args.batchnorm for k in (f"m{l}", f"v{l}")}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    p, eps, lr, mu = args.dropout, f32(1e-5), f32(args.lr), f32(args.momentum)

    def step(idx):
        xb, yb = x[idx], y[idx]
        n = len(idx)
        caches, h = [], xb
        for l in range(L - 1):  # affine - [batchnorm] - relu - [dropout]
            a = h @ params[f"W{l}"] + params[f"b{l}"]
            c = {"in": h}
            if args.batchnorm:
                mean, var = a.mean(0), a.var(0)
                inv = f32(1) / np.sqrt(var + eps)
                xhat = (a - mean) * inv
                running[f"m{l}"] = f32(0.9) * running[f"m{l}"] + f32(0.1) * mean
                running[f"v{l}"] = f32(0.9) * running[f"v{l}"] + f32(0.1) * var
                a = xhat * params[f"gamma{l}"] + params[f"beta{l}"]
                c.update(xhat=xhat, inv=inv)
            h = np.maximum(a, 0)
            c["relu"] = a > 0
            if p > 0:
                mask = (rng.random(h.shape, dtype=f32) >= p) / f32(1 - p)
                h = h * mask
                c["mask"] = mask
            caches.append(c)
        scores = h @ params[f"W{L - 1}"] + params[f"b{L - 1}"]
        shifted = scores - scores.max(1, keepdims=True)
        e = np.exp(shifted)
        probs = e / e.sum(1, keepdims=True)
        loss = -np.log(probs[np.arange(n), yb]).mean()
        d = probs
        d[np.arange(n), yb] -= 1
        d /= n
        grads = {f"W{L - 1}": h.T @ d, f"b{L - 1}": d.sum(0)}
        d = d @ params[f"W{L - 1}"].T
        for l in range(L - 2, -1, -1):
            c = caches[l]
            if p > 0:
                d = d * c["mask"]
            d = d * c["relu"]
            if args.batchnorm:
                grads[f"gamma{l}"] = (d * c["xhat"]).sum(0)
                grads[f"beta{l}"] = d.sum(0)
                dxhat = d * params[f"gamma{l}"]
                # CS231n's batchnorm_backward_alt: one expression for dx.
                d = c["inv"] / n * (n * dxhat - dxhat.sum(0) - c["xhat"] * (dxhat * c["xhat"]).sum(0))
            grads[f"W{l}"] = c["in"].T @ d
            grads[f"b{l}"] = d.sum(0)
            if l > 0:
                d = d @ params[f"W{l}"].T
        for k, g in grads.items():
            if args.update == "sgd_momentum":  # CS231n: v = mu*v - lr*dw; w += v
                velocity[k] = mu * velocity[k] - lr * g
                params[k] += velocity[k]
            else:
                params[k] -= lr * g
        return loss

    for b in range(3):  # warm-up, as the other peers
        step(order[b * args.batch:(b + 1) * args.batch])
    start = time.perf_counter()
    for begin in range(0, len(order), args.batch):
        loss = step(order[begin:begin + args.batch])
    seconds = time.perf_counter() - start
    if not np.isfinite(loss):
        sys.exit(f"numpy_train: loss {loss} after one epoch: diverged")
    kernel = f"train_epoch_{args.dataset}"
    peer_common.write_json(args.out, [(kernel, "numpy", args.shape, args.threads, "s/epoch", seconds)],
                           {"numpy": np.__version__, "final_loss": float(loss)})
    print(f"{kernel} {args.shape} threads {args.threads}: {seconds:.3f} s/epoch, last loss {loss:.4f}")


if __name__ == "__main__":
    main()
