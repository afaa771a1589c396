"""SoftmaxClassifier (libsoftmax through ctypes) vs scikit-learn's LogisticRegression(lbfgs), in one Python process.

Fashion-MNIST training set, x = pixel/255, lam = 1e-4 (C = 1/(lam N)), both scored by bench/peers/common.py's one
float64 F. For each: the smallest max_iter whose fit reaches F within 1e-6 relative of F* (the L-BFGS trajectories
are deterministic), then a fresh fit with that max_iter, timed. scikit-learn's part is bench/peers/sklearn_peer.py's
(learned from one recorded trajectory); ours records F through the progress callback of softmax.Model.train.

Also: (fit wall time - the solver's own seconds, as the CLI reports them) / fit wall time: the argument checks, the
problem (no copy: 64-byte aligned float32 rows of 784 columns are wrapped), the trainer's own work outside the solver's clock (moments
for the preconditioner, the final float64 F; the CLI does the same) and the coefficients out.
bench/python/binding_overhead.py splits it and compares with `softmax train`.

    SOFTMAX_LIBRARY=.../libsoftmax.so /usr/bin/python3 bench/python/fit_vs_sklearn.py            # full (minutes)
    SOFTMAX_LIBRARY=... /usr/bin/python3 bench/python/fit_vs_sklearn.py --subset 5000 --budget 60  # a check

With --subset the rows are the first N and F* is ours fitted tightly (tol 1e-12) on them. Prints JSON lines
(common.emit) and a markdown row for bench/RESULTS.md. Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset.
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "peers"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import common  # noqa: E402
import sklearn_peer  # noqa: E402
import softmax  # noqa: E402


def our_iterations_to_target(X, y, lam, target, cap):
    """Smallest max_iter whose fit's F (the engine's reported, float64) is within the target; None if not in cap."""
    trace = []
    problem = softmax.Problem(X, y, n_classes=int(y.max()) + 1)
    options = softmax.default_options(l2=lam, tol=0.0, max_iter=cap)
    try:
        softmax.Model.train(problem, options, progress=lambda p: trace.append(p.loss) or p.loss <= target)
    except softmax.TrainingCancelled:
        pass
    return next((k + 1 for k, f in enumerate(trace) if f <= target), None), trace


def our_timed_fit(X, y, lam, max_iter):
    clf = softmax.SoftmaxClassifier(alpha=lam, tol=0.0, max_iter=max_iter)
    t0 = time.perf_counter()
    clf.fit(X, y)
    seconds = time.perf_counter() - t0
    full_W, full_b = clf._model.coefficients()
    return clf, seconds, full_W, full_b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subset", type=int, default=0, help="use the first N training rows (a quick check)")
    ap.add_argument("--budget", type=float, default=600.0, help="seconds for scikit-learn's part")
    ap.add_argument("--cap", type=int, default=3000)
    args = ap.parse_args()

    pixels, y = common.load_fashion_mnist("train", raw=True)
    test_pixels, test_y = common.load_fashion_mnist("t10k", raw=True)
    if args.subset:
        pixels, y = pixels[:args.subset], y[:args.subset]
    n = len(y)
    X64 = common.LEVELS[pixels]  # the reference's data (see common.LEVELS)
    X32 = softmax.empty_aligned(X64.shape)  # what the engine stores, 64-byte aligned: the library wraps it, no copy
    X32[...] = X64
    lam = common.LAMBDA

    if args.subset:
        tight = softmax.SoftmaxClassifier(alpha=lam, tol=1e-12, max_iter=args.cap).fit(X32, y)
        f_star = common.objective(*tight._model.coefficients(), pixels, y, lam)
    else:
        f_star = common.F_STAR
    target = f_star * (1 + 1e-6)
    sklearn_peer.TARGET = target  # the peer's learner stops at this F
    sklearn_peer.common.F_STAR = f_star

    # Ours: learn the iterations, then a fresh timed fit; one more iteration at a time if the float64 score disagrees.
    m, trace = our_iterations_to_target(X32, y, lam, target, args.cap)
    m = m or len(trace)
    while True:
        clf, ours_s, W, b = our_timed_fit(X32, y, lam, m)
        F_ours = common.objective(W, b, pixels, y, lam)
        if F_ours <= target or m >= args.cap:
            break
        m += 1
    info = clf._model.training_info
    overhead = (ours_s - info.seconds) / ours_s
    common.emit("softmax (python)", "fashion-mnist", "time to 1e-6", ours_s, m, F_ours,
                common.accuracy(W, b, test_pixels, test_y), solver_seconds=info.seconds, binding_overhead=overhead,
                F_star=f_star, rows=n, reached=bool(F_ours <= target))

    # scikit-learn: bench/peers/sklearn_peer.py's method.
    t0 = time.perf_counter()
    k, sk_trace = sklearn_peer.learn_iterations(X64, y, args.cap, 0.45 * args.budget)
    common.log(f"scikit-learn learning fit: {len(sk_trace)} iterations in {time.perf_counter() - t0:.1f} s, first reaching: {k}")
    model, sk_s, sk_iters = sklearn_peer.timed_fit(X64, y, k or len(sk_trace))
    F_sk = common.objective(model.coef_, model.intercept_, pixels, y, lam)
    common.emit(sklearn_peer.SYSTEM, "fashion-mnist", "time to 1e-6", sk_s, sk_iters, F_sk,
                common.accuracy(model.coef_, model.intercept_, test_pixels, test_y), blas=common.blas_info(),
                F_star=f_star, rows=n, reached=bool(F_sk <= target))

    print(f"| SoftmaxClassifier vs LogisticRegression (lbfgs), {n} rows, F within 1e-6 of F* | "
          f"ours {ours_s:.2f} s ({m} it) | scikit-learn {sk_s:.2f} s ({sk_iters} it) | {sk_s / ours_s:.1f}x | "
          f"binding overhead {100 * overhead:.1f} % of fit |")


if __name__ == "__main__":
    main()
