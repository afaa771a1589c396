"""scikit-learn 1.2 LogisticRegression(lbfgs, multinomial) on the sparse workload (bench/run sparse).

  sklearn_sparse_peer.py PATH WORKLOAD FEATURES OURS_PREFIX [--budget SECONDS] [--max-iter K]

Loads the LIBSVM file with load_svmlight_file (scipy.sparse CSR), C = 1/(λN), tol=1e-15 so it runs max_iter
iterations. max_iter: --max-iter, or chosen from a 5-iteration probe so the timed fit takes about --budget
seconds (default 120). Scores the fit with common.objective_sparse and compares with our F (OURS_PREFIX.json,
written by `Softmax.Bench.dll sparse`); also scores our W, b (OURS_PREFIX.w.f64/.b.f64) with the Python F, so
the two implementations of F are checked against each other on the same point.
"""
import json
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from common import LAMBDA, blas_info, emit, log, objective_sparse, peak_rss_mb

SYSTEM = "scikit-learn 1.2 lbfgs"


class _Traced:
    """Stands in for scipy.optimize inside sklearn's _logistic module: minimize() runs as before, and each L-BFGS
    iteration's objective value (the last evaluation before scipy's per-iteration callback) is recorded with the
    time since the fit started. The values are sklearn's internal objective; main() maps them to F at the end point."""

    def __init__(self, real, t0):
        self.real, self.t0, self.trace = real, t0, []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def minimize(self, fun, x0, *args, **kwargs):
        last = [None]

        def traced(w, *a):
            v = fun(w, *a)
            last[0] = v[0] if isinstance(v, tuple) else v
            return v

        kwargs["callback"] = lambda xk: self.trace.append((time.perf_counter() - self.t0, float(last[0])))
        return self.real.minimize(traced, x0, *args, **kwargs)


def fit(X, y, max_iter, trace=False):
    import sklearn.linear_model._logistic as logistic
    clf = LogisticRegression(solver="lbfgs", multi_class="multinomial", C=1.0 / (LAMBDA * X.shape[0]),
                             tol=1e-15, max_iter=max_iter)
    real = logistic.optimize
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        traced = _Traced(real, t0) if trace else None
        if traced:
            logistic.optimize = traced
        try:
            clf.fit(X, y)
        finally:
            logistic.optimize = real
        seconds = time.perf_counter() - t0
    return (clf, seconds, traced.trace) if trace else (clf, seconds)


def first_below(trace, threshold):
    return next((t for t, f in trace if f <= threshold), None)


def main(argv):
    path, workload, features, ours_prefix = argv[0], argv[1], int(argv[2]), argv[3]
    budget = float(argv[argv.index("--budget") + 1]) if "--budget" in argv else 120.0
    fixed = int(argv[argv.index("--max-iter") + 1]) if "--max-iter" in argv else None
    t0 = time.perf_counter()
    X, y = load_svmlight_file(path, n_features=features, dtype=np.float32)
    X = X.tocsr()
    y = y.astype(np.int64)
    log(f"{workload}: loaded {X.shape} nnz={X.nnz} in {time.perf_counter() - t0:.1f} s")
    ours = json.load(open(ours_prefix + ".json"))
    f_ours = ours["F"]
    C = ours["classes"]
    f_ours_py = None
    if os.path.exists(ours_prefix + ".w.f64"):  # bench/run deletes them after the step; a re-run then skips the check
        W_ours = np.fromfile(ours_prefix + ".w.f64", dtype=np.float64).reshape(C, features)
        b_ours = np.fromfile(ours_prefix + ".b.f64", dtype=np.float64)
        f_ours_py = objective_sparse(W_ours, b_ours, X, y)
        del W_ours, b_ours
    log(f"{workload}: our F: C# {f_ours!r}, Python {f_ours_py!r}")

    if fixed is None:
        _, probe = fit(X, y, 5)
        max_iter = max(5, int(budget / (probe / 5)))
        log(f"{workload}: 5-iteration probe {probe:.1f} s -> max_iter {max_iter} for a ~{budget:.0f} s budget")
    else:
        max_iter = fixed
    clf, seconds, trace = fit(X, y, max_iter, trace=True)
    it = int(np.max(clf.n_iter_))
    f = objective_sparse(clf.coef_, clf.intercept_, X, y)
    rel = (f - f_ours) / abs(f_ours)
    log(f"{workload}: sklearn {it} iterations in {seconds:.1f} s, F = {f!r}, (F - F_ours)/F_ours = {rel:.3e}")

    # Time to 1e-6: F* = the better of the two end points (this synthetic problem has no reference optimum); each
    # system's time is where its own recorded trajectory first came within 1e-6 of F* (one run each, not a re-timed
    # fit with a learned max_iter as for Fashion-MNIST).
    f_star = min(f, f_ours)
    threshold = f_star * (1 + 1e-6)
    scale = f / trace[-1][1] if trace else 1.0  # sklearn's internal objective is N·F; calibrated on the end point
    t_sk = first_below([(t, v * scale) for t, v in trace], threshold)
    t_ours = first_below([(t, v) for t, v in ours.get("trace", [])], threshold)
    common = dict(F_star=f_star, F_star_from="min(our final F, scikit-learn's final F), both in float64 by the shared routine")
    emit("Softmax (ours) L-BFGS", workload, "time to 1e-6", t_ours, F=f_ours, F_minus_Fstar=f_ours - f_star,
         **{"reached_1e-6": t_ours is not None}, **common,
         note=("" if t_ours is not None else "did NOT reach 1e-6; ")
         + "first iteration within 1e-6 of F* in the timed fit's own trajectory (set-up included)")
    emit(SYSTEM, workload, "time to 1e-6", t_sk, F=f, F_minus_Fstar=f - f_star, **{"reached_1e-6": t_sk is not None},
         **common, note=("" if t_sk is not None else f"did NOT reach 1e-6 in {it} iterations; ")
         + "first iteration within 1e-6 of F* in the timed fit's trajectory (scipy callback)")
    emit(SYSTEM, workload, "fit", seconds, iterations=it, F=f, peak_rss=peak_rss_mb(),
         F_minus_Fstar=f - f_ours, F_rel_gap_vs_ours=rel, **{"reached_1e-6": bool(rel <= 1e-6)},
         max_iter=max_iter, budget_seconds=budget,
         F_ours_csharp=f_ours, F_ours_python=f_ours_py,
         F_impl_rel_diff=None if f_ours_py is None else abs(f_ours_py - f_ours) / abs(f_ours),
         note=f"max_iter {max_iter} (~{budget:.0f} s budget), tol 1e-15; F - F* column = F - our L-BFGS F",
         blas=blas_info())


if __name__ == "__main__":
    main(sys.argv[1:])
