"""Shared pieces of the Python peers: the Fashion-MNIST loader, the one scoring function F, and the JSON line.

F(W, b) = (1/N) * sum_j -log softmax(W x_j + b)[y_j] + (lam/2) * ||W||_F^2   (bias not penalised)
on the Fashion-MNIST training set, x = pixel/255, W of shape (C, D), evaluated in float64 with a stable
log-sum-exp. Mirrors bench/Common/Objective.cs.
"""
import gzip
import json
import os
import resource
import struct
import sys

import numpy as np

F_STAR = 0.3794770768995895
LAMBDA = 1e-4
CLASSES = 10
DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def _read_idx(path, expected_magic):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = struct.unpack(">i", raw[:4])[0]
    if magic != expected_magic:
        raise ValueError(f"{path}: magic: expected {expected_magic}, found {magic}")
    ndim = raw[3]
    dims = struct.unpack(">" + "i" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {int(np.prod(dims))} values, found {data.size}")
    return data.reshape(dims)


# x for each pixel value: the float32 nearest pixel/255, widened (numpy's pixels.astype(float32) / 255). The published
# F* (shared/reference) is the optimum for these values, and the engine's float64 path reads uint8 rows the same way
# (ByteMatrix.Levels). For x = pixel/255 computed in float64 the optimum is about 4.1e-9 (relative) higher, so every
# system gets and is scored on these values.
LEVELS = (np.arange(256, dtype=np.float32) / np.float32(255.0)).astype(np.float64)


def load_fashion_mnist(split="train", dtype=np.float64, raw=False):
    """Returns (X, y): X of shape (N, 784), pixel/255 in `dtype` (or uint8 when raw), y int64 in 0..9."""
    images = _read_idx(os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz"), 2051)
    labels = _read_idx(os.path.join(DATA_DIR, f"{split}-labels-idx1-ubyte.gz"), 2049)
    x = images.reshape(images.shape[0], -1)
    if not raw:
        x = LEVELS.astype(dtype)[x]
    return x, labels.astype(np.int64)


def _rows64(X, start, stop):
    """Rows [start, stop) as float64 x = LEVELS[pixel]; uint8 input is scaled here, so no float64 copy of X is kept."""
    block = X[start:stop]
    if block.dtype == np.uint8:
        return LEVELS[block]
    return np.asarray(block, dtype=np.float64)


def objective(W, b, X, y, lam=LAMBDA):
    """F in float64. W: (C, D), b: (C,), y: (N,); X: (N, D) raw uint8 pixels (preferred: exact pixel/255 in
    float64) or already scaled floats."""
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    total = 0.0
    for start in range(0, X.shape[0], 10000):  # blocks bound the float64 buffers
        s = _rows64(X, start, start + 10000) @ W.T + b  # scores: (rows, C)
        m = s.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(s - m).sum(axis=1))
        yy = y[start:start + 10000]
        total += float((lse - s[np.arange(yy.size), yy]).sum())
    return total / X.shape[0] + 0.5 * lam * float((W * W).sum())


def objective_sparse(W, b, X, y, lam=LAMBDA):
    """The same F for a scipy.sparse CSR X (the sparse workload), in float64; mirrors Objective.SparseValue in C#.
    W: (C, D), b: (C,), y: (N,) class indices. X's float values are widened to float64 as stored."""
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    total = 0.0
    n = X.shape[0]
    for start in range(0, n, 10000):
        s = np.asarray(X[start:start + 10000].astype(np.float64) @ W.T) + b  # scores: (rows, C)
        m = s.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(s - m).sum(axis=1))
        yy = y[start:start + 10000]
        total += float((lse - s[np.arange(yy.size), yy]).sum())
    return total / n + 0.5 * lam * float((W * W).sum())


def accuracy(W, b, X, y):
    """Fraction of rows whose argmax score is the label; X as in objective()."""
    s = _rows64(X, 0, X.shape[0]) @ np.asarray(W, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
    return float((s.argmax(axis=1) == y).mean())


def peak_rss_mb():
    """Peak resident set of this process (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def emit(system, workload, metric, seconds, iterations=None, F=None, test_accuracy=None, peak_rss=None, **extra):
    """Prints one JSON result line (the schema every system shares) and flushes."""
    def num(v):
        if v is None:
            return None
        v = float(v)
        return v if np.isfinite(v) else None

    line = {
        "system": system,
        "workload": workload,
        "metric": metric,
        "seconds": num(seconds),
        "iterations": None if iterations is None else int(iterations),
        "F": num(F),
        "F_minus_Fstar": None if F is None else num(F - F_STAR),
        "test_accuracy": num(test_accuracy),
        "peak_rss_mb": num(peak_rss if peak_rss is not None else peak_rss_mb()),
    }
    line.update(extra)
    print(json.dumps(line), flush=True)


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def blas_info():
    """The BLAS kernels numpy uses, as threadpoolctl reports them (None when it is not installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [
        {k: d.get(k) for k in ("internal_api", "version", "architecture", "threading_layer", "num_threads")}
        for d in threadpool_info() if d.get("user_api") == "blas"
    ]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def check_point(classes=CLASSES, features=784):
    """W[c,d] = 0.01*sin(c*D + d), b[c] = 0.1*cos(c): the fixed point of Objective.CheckPoint in C#."""
    W = 0.01 * np.sin(np.arange(classes * features, dtype=np.float64)).reshape(classes, features)
    b = 0.1 * np.cos(np.arange(classes, dtype=np.float64))
    return W, b


if __name__ == "__main__":
    # Prints the shared F at the check point; `dotnet Softmax.Bench.dll check-objective` must print the same.
    X, y = load_fashion_mnist("train", raw=True)
    print(repr(objective(*check_point(), X, y)))
