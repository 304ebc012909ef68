#!/usr/bin/env python3
"""Writes the golden values the kernel tests compare against (tests/golden_test.cc).

The peer is PyTorch: its autograd gives the backward passes, its optimizer the
Adam step. Inputs are float32 values (so the C++ side reads them exactly);
PyTorch computes in float64, so a golden value is the exact answer to ~1e-15
and the test's tolerance measures simdnet's own float32 rounding.

How they were made (Debian 12):
    apt-get install python3-torch
    python3 tests/golden/make_golden.py      # rewrites tests/golden/*.txt

CI does not need PyTorch: the .txt files are committed. Format: see
tests/support/golden.h.
"""
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(231)


def f32(*shape, scale=1.0, offset=0.0):
    """Random float32-representable values, returned as float64 tensors."""
    return (torch.randn(*shape) * scale + offset).float().double()


def write(name, arrays, note):
    path = os.path.join(HERE, name + ".txt")
    with open(path, "w") as f:
        f.write(f"# {note}\n# written by tests/golden/make_golden.py with torch {torch.__version__}\n")
        for key, t in arrays.items():
            t = t.detach().double().reshape(-1) if t.dim() else t.detach().double().reshape(1)
            dims = " ".join(str(d) for d in (arrays[key].shape if arrays[key].dim() else (1,)))
            f.write(f"array {key} {dims}\n")
            vals = [repr(float(v)) for v in t.tolist()]
            for i in range(0, len(vals), 8):
                f.write(" ".join(vals[i:i + 8]) + "\n")
    print("wrote", path)


def softmax_cross_entropy():
    n, c = 8, 10
    scores = f32(n, c, scale=3.0).requires_grad_()
    labels = torch.randint(0, c, (n,))
    loss = torch.nn.functional.cross_entropy(scores, labels)  # mean over rows
    loss.backward()
    write("softmax_cross_entropy",
          {"scores": scores, "labels": labels.double(), "loss": loss, "dscores": scores.grad},
          "F.cross_entropy(scores, labels) (mean) and its gradient w.r.t. scores")


def batchnorm():
    n, d, eps, momentum = 16, 7, 1e-5, 0.9  # CS231n's momentum: running = m*running + (1-m)*batch
    x = f32(n, d, scale=2.0, offset=0.5).requires_grad_()
    gamma = f32(d, scale=0.5, offset=1.0).requires_grad_()
    beta = f32(d, scale=0.5).requires_grad_()
    running_mean, running_var = f32(d, scale=0.1), f32(d, scale=0.1, offset=1.0).abs()
    dout = f32(n, d)
    out = torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    out.backward(dout)
    # CS231n updates the running variance with the biased batch variance
    # (PyTorch's own buffer uses the unbiased one), so compute it explicitly.
    new_mean = momentum * running_mean + (1 - momentum) * x.detach().mean(0)
    new_var = momentum * running_var + (1 - momentum) * x.detach().var(0, unbiased=False)
    inference = torch.nn.functional.batch_norm(x.detach(), new_mean, new_var, gamma.detach(),
                                               beta.detach(), training=False, eps=eps)
    write("batchnorm",
          {"x": x, "gamma": gamma, "beta": beta, "running_mean": running_mean,
           "running_var": running_var, "dout": dout, "out": out, "dx": x.grad,
           "dgamma": gamma.grad, "dbeta": beta.grad, "new_running_mean": new_mean,
           "new_running_var": new_var, "inference_out": inference},
          f"F.batch_norm training forward + autograd backward, eps {eps}, momentum {momentum} "
          "(CS231n convention); inference_out uses the new running statistics")


def matmul():
    a, b, bias = f32(13, 37), f32(37, 19), f32(19)
    write("matmul",
          {"a": a, "b": b, "bias": bias, "c": a @ b, "c_bias_relu": torch.relu(a @ b + bias),
           "c_tn": a.T @ (a @ b), "c_nt": (a @ b) @ b.T},
          "c = a@b; c_bias_relu = relu(a@b + bias); c_tn = a.T @ c; c_nt = c @ b.T")


def adam():
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-8
    w = f32(5, 11).requires_grad_()
    w0 = w.detach().clone()
    opt = torch.optim.Adam([w], lr=lr, betas=(b1, b2), eps=eps)
    grads = [f32(5, 11) for _ in range(3)]
    for g in grads:
        w.grad = g.clone()
        opt.step()
    state = opt.state[w]
    write("adam",
          {"w0": w0, "dw1": grads[0], "dw2": grads[1], "dw3": grads[2], "w3": w,
           "m3": state["exp_avg"], "v3": state["exp_avg_sq"]},
          f"torch.optim.Adam(lr={lr}, betas=({b1}, {b2}), eps={eps}): three steps from w0 "
          "with gradients dw1..dw3; w3, m3, v3 after step t=3")


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    softmax_cross_entropy()
    batchnorm()
    matmul()
    adam()
