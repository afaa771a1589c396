"""numpy peer: the course's vectorised ("fast") full-batch softmax loss and gradient, on one BLAS thread.

Same objective as everywhere (mean cross-entropy + lam/2 ||W||^2, bias not penalised), W stored (D, C) as the
course does. Times the median of --repeats calls after 2 warm-up calls, for float32 and float64 X.
bench/run sets OPENBLAS_NUM_THREADS=1; threadpoolctl (when present) enforces it too.
"""
import argparse
import time

import numpy as np

import common

SYSTEM = f"numpy {np.__version__} + OpenBLAS"


def softmax_loss_vectorized(W, b, X, y, lam):
    """W: (D, C), b: (C,), X: (N, D), y: (N,). Returns (loss, dW, db), all in X's dtype."""
    n = X.shape[0]
    scores = X @ W + b  # (N, C)
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    sums = scores.sum(axis=1)
    probs = scores
    probs /= sums[:, None]
    rows = np.arange(n)
    loss = -np.log(probs[rows, y]).sum() / n + 0.5 * lam * (W * W).sum()
    probs[rows, y] -= 1
    probs /= n
    dW = X.T @ probs + lam * W
    db = probs.sum(axis=0)
    return loss, dW, db


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    limiter = None
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=args.threads, user_api="blas")
    except ImportError:
        pass

    Xraw, y = common.load_fashion_mnist("train", raw=True)
    rng = np.random.default_rng(1)
    W0 = rng.normal(scale=1e-3, size=(Xraw.shape[1], common.CLASSES))
    b0 = rng.normal(scale=1e-3, size=common.CLASSES)
    reference = common.objective(W0.T, b0, Xraw, y)
    for dtype, name in ((np.float32, "f32"), (np.float64, "f64")):
        X = Xraw.astype(dtype)
        X /= dtype(255)
        W, b = W0.astype(dtype), b0.astype(dtype)
        times = []
        for r in range(args.repeats + 2):
            t0 = time.perf_counter()
            loss, dW, db = softmax_loss_vectorized(W, b, X, y, common.LAMBDA)
            dt = time.perf_counter() - t0
            if r >= 2:
                times.append(dt)
        common.emit(SYSTEM, f"fashion-mnist {name}", "value+grad full batch", common.median(times), len(times),
                    threads=args.threads, min_seconds=min(times),
                    loss_rel_error_vs_shared_F=abs(float(loss) - reference) / reference, blas=common.blas_info())
        del X
    if limiter is not None:
        limiter.restore_original_limits()


if __name__ == "__main__":
    main()
