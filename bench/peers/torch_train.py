#!/usr/bin/python3
"""PyTorch 1.13 (Debian python3-torch) trains the net simdnet trains, for one
epoch, and reports seconds per epoch: same layers ({affine - [batchnorm] -
relu - [dropout]} x L - affine - softmax cross-entropy), initialization
scheme, update rule and hyperparameters, batch size, thread count and, with
--order, the very same minibatch order (bench/epoch_order). Timed: the
epoch's gathers, forward, backward and updates (as `simdnet train` times it;
no accuracy checks). Random streams differ (initial weights and dropout
masks are drawn by torch), which changes no timing.

torch.optim.SGD's momentum (buf = m*buf + g; w -= lr*buf) is CS231n's
(v = m*v - lr*g; w += v) with v = -lr*buf: the same trajectory at a fixed
learning rate.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common  # noqa: E402
import train_args  # noqa: E402


def build(torch, args, dims):
    nn = torch.nn
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:])):
        lin = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            std = (2.0 / fan_in) ** 0.5 if args.init == "he" else args.weight_scale
            lin.weight.normal_(0.0, std)
            lin.bias.zero_()
        layers.append(lin)
        if i == len(dims) - 2:
            break
        if args.batchnorm:
            layers.append(nn.BatchNorm1d(fan_out, eps=1e-5, momentum=0.1))
        layers.append(nn.ReLU())
        if args.dropout > 0:
            layers.append(nn.Dropout(args.dropout))
    return nn.Sequential(*layers)


def main():
    args = train_args.parse(__doc__)
    peer_common.set_threads(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_np, y_np = peer_common.load_train(args.dataset)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    order = torch.from_numpy(peer_common.load_order(args.order, len(y_np)))
    model = build(torch, args, [x.shape[1]] + args.hidden + [10])
    model.train()
    momentum = args.momentum if args.update == "sgd_momentum" else 0.0
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=momentum)
    loss_fn = torch.nn.functional.cross_entropy

    def step(idx):
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    for b in range(3):  # warm-up: thread pools, allocator, first-call dispatch
        step(order[b * args.batch:(b + 1) * args.batch])
    n = len(order)
    start = time.perf_counter()
    for begin in range(0, n, args.batch):
        loss = step(order[begin:begin + args.batch])
    seconds = time.perf_counter() - start
    if not np.isfinite(loss.item()):
        sys.exit(f"torch_train: loss {loss.item()} after one epoch: diverged")
    kernel = f"train_epoch_{args.dataset}"
    peer_common.write_json(args.out, [(kernel, "torch", args.shape, args.threads, "s/epoch", seconds)],
                           {"torch": torch.__version__, "final_loss": float(loss.item())})
    print(f"{kernel} {args.shape} threads {args.threads}: {seconds:.3f} s/epoch, last loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
