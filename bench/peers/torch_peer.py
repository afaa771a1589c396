"""PyTorch CPU peer: Linear + CrossEntropy trained by SGD (batch 256, momentum 0.9, weight decay lam on the
weight only, so the loop minimises the shared F), and one full-batch forward+backward.

Per thread count (torch.set_num_threads): one warm-up epoch, 5 timed epochs (median reported), then 4 more so the
model has seen 10 epochs, then F (shared float64 routine) and test accuracy. bench/run sets OPENBLAS_NUM_THREADS=1.
"""
import argparse
import time

import numpy as np
import torch

import common

SYSTEM = f"PyTorch {torch.__version__.split('+')[0]} CPU"


def sgd_run(X, y, threads, lr, batch, warmup, timed, total, seed):
    torch.manual_seed(seed)
    n, d = X.shape
    model = torch.nn.Linear(d, common.CLASSES)
    torch.nn.init.zeros_(model.weight)
    torch.nn.init.zeros_(model.bias)
    opt = torch.optim.SGD([
        {"params": [model.weight], "weight_decay": common.LAMBDA},
        {"params": [model.bias], "weight_decay": 0.0},
    ], lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        perm = torch.randperm(n)
        for start in range(0, n, batch):
            idx = perm[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            opt.step()

    times = []
    for e in range(total):
        t0 = time.perf_counter()
        epoch()
        dt = time.perf_counter() - t0
        if warmup <= e < warmup + timed:
            times.append(dt)
    W = model.weight.detach().double().numpy()
    b = model.bias.detach().double().numpy()
    return times, W, b


def full_batch_pass(X, y, repeats):
    """One forward+backward over all rows: scores, mean cross-entropy + lam/2 ||W||^2, gradients of W and b."""
    W = torch.zeros(common.CLASSES, X.shape[1], requires_grad=True)
    b = torch.zeros(common.CLASSES, requires_grad=True)
    times = []
    for r in range(repeats + 2):
        t0 = time.perf_counter()
        W.grad = None
        b.grad = None
        loss = torch.nn.functional.cross_entropy(X @ W.T + b, y) + 0.5 * common.LAMBDA * (W * W).sum()
        loss.backward()
        dt = time.perf_counter() - t0
        if r >= 2:
            times.append(dt)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--timed", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=20, help="full-batch passes timed")
    args = ap.parse_args()

    Xn, yn = common.load_fashion_mnist("train", dtype=np.float32)
    Xt, yt = common.load_fashion_mnist("t10k", raw=True)
    Xd, _ = common.load_fashion_mnist("train", raw=True)  # uint8: the shared F scales it to float64 per block
    X = torch.from_numpy(np.ascontiguousarray(Xn))
    y = torch.from_numpy(yn)

    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        times, W, b = sgd_run(X, y, threads, args.lr, args.batch, 1, args.timed, args.epochs, seed=1)
        peak = common.peak_rss_mb()
        F = common.objective(W, b, Xd, yn)
        common.emit(SYSTEM, "fashion-mnist", f"SGD epoch b={args.batch}", common.median(times), args.epochs, F,
                    common.accuracy(W, b, Xt, yt), peak, threads=threads, lr=args.lr, momentum=0.9,
                    epoch_times=[round(t, 5) for t in times],
                    note=f"median of {len(times)} epochs after 1 warm-up; F after {args.epochs} epochs")
        fb = full_batch_pass(X, y, args.repeats)
        common.emit(SYSTEM, "fashion-mnist f32", "value+grad full batch", common.median(fb), len(fb),
                    threads=threads, min_seconds=min(fb))


if __name__ == "__main__":
    main()
