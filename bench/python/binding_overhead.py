"""The Python binding's overhead: SoftmaxClassifier.fit against `softmax train` on the same data and settings.

Fashion-MNIST training set, x = pixel/255 as float32 (C-contiguous, 784 = 49 x 16 columns, 64-byte aligned through
softmax.empty_aligned: the library wraps the array without a copy), lambda = 1e-4, L-BFGS with tol 0 and a fixed --iterations (so both run the same iterations),
all cores, auto precision, no preprocessing. Each measurement is the median of --runs fresh fits.

Python: the fit's wall time, split by timing the calls it makes:
  validate   scikit-learn's input checks, np.unique, the weights (Python)
  problem    softmax_problem_dense: wraps the rows (or copies them, for the --copy comparison)
  train      softmax_train: SoftmaxTrainer.Fit, the same code the CLI runs (its preprocessing, moments, the solver,
             the final float64 F), of which `solver` is the solver's own clock (training_info.seconds)
  after      naming the classes, coefficients out, the fitted attributes
The binding's overhead is (fit - train) / fit: what Python adds around the trainer the CLI runs.
CLI: `softmax train --data features.npy` (labels.npy beside it), its train_seconds (the solver's own clock, as
`solver` above) and the process's wall time (startup, reading the .npy, training, accuracy, writing the model).
The --copy run passes the same values in numpy's own array (16-byte aligned), which the library copies into aligned
rows: the cost the zero-copy path removes, and what misaligned rows would cost the solver instead.

    SOFTMAX_LIBRARY=.../libsoftmax.so SOFTMAX_CLI="dotnet .../Softmax.Cli.dll" /usr/bin/python3 bench/python/binding_overhead.py
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "peers"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import common  # noqa: E402
import softmax  # noqa: E402
from softmax import _classifier, _native  # noqa: E402


class Timers:
    """Wall time of the binding's calls inside one fit, by wrapping them."""

    def __init__(self):
        self.seconds = {}

    def wrap(self, owner, name, key):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - t0

        setattr(owner, name, timed)


def python_fit(X, y, iterations, threads):
    timers = Timers()
    saved = (_native.Problem.__init__, softmax.Model.train.__func__, _classifier.SoftmaxClassifier._validate_data)
    timers.wrap(_native.Problem, "__init__", "problem")
    timers.wrap(_classifier.SoftmaxClassifier, "_validate_data", "validate")
    original_train = softmax.Model.train

    def train(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original_train(*args, **kwargs)
        finally:
            timers.seconds["train"] = time.perf_counter() - t0

    softmax.Model.train = train
    try:
        clf = softmax.SoftmaxClassifier(alpha=common.LAMBDA, tol=0.0, max_iter=iterations, n_jobs=threads or None)
        t0 = time.perf_counter()
        clf.fit(X, y)
        fit = time.perf_counter() - t0
    finally:
        _native.Problem.__init__, _classifier.SoftmaxClassifier._validate_data = saved[0], saved[2]
        softmax.Model.train = classmethod(saved[1])
    s = timers.seconds
    info = clf._model.training_info
    return {"fit": fit, "validate": s.get("validate", 0.0), "problem": s["problem"], "train": s["train"],
            "solver": info.seconds, "after": fit - s["train"] - s["problem"] - s.get("validate", 0.0),
            "iterations": info.iterations, "objective": info.objective}


def cli_train(cli, features, iterations, threads, out):
    model, metrics = os.path.join(out, "cli.softmax"), os.path.join(out, "metrics.json")
    args = ["train", "--data", features, "--l2", str(common.LAMBDA), "--tol", "0", "--max-iter", str(iterations),
            "--threads", str(threads), "--preprocess", "none", "--model", model, "--metrics-json", metrics]
    t0 = time.perf_counter()
    run = subprocess.run(shlex.split(cli) + args, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if run.returncode != 0:
        raise RuntimeError(run.stdout + run.stderr)
    with open(metrics) as f:
        m = json.load(f)
    return {"wall": wall, "solver": m["train_seconds"], "iterations": m["iterations"], "objective": m["objective"]}


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--threads", type=int, default=0, help="0: all cores (both sides)")
    ap.add_argument("--rows", type=int, default=0, help="the first N rows only (a check of the script)")
    args = ap.parse_args()
    cli = os.environ.get("SOFTMAX_CLI")
    if not cli:
        sys.exit("set SOFTMAX_CLI to the softmax command, e.g. 'dotnet src/Softmax.Cli/bin/Release/net10.0/Softmax.Cli.dll'")

    pixels, y = common.load_fashion_mnist("train", raw=True)
    if args.rows:
        pixels, y = pixels[:args.rows], y[:args.rows]
    plain = (pixels.astype(np.float64) / 255.0).astype(np.float32)  # numpy's: 16-byte aligned, so copied
    if plain.ctypes.data % 64 == 0:
        plain = softmax.empty_aligned((plain.size + 4,))[4:].reshape(plain.shape)
        plain[...] = (pixels.astype(np.float64) / 255.0).astype(np.float32)
    X = softmax.empty_aligned(plain.shape)  # the same values at a 64-byte boundary: wrapped
    X[...] = plain
    assert softmax.Problem(X).is_view and not softmax.Problem(plain).is_view

    results = {}
    with tempfile.TemporaryDirectory() as out:
        np.save(os.path.join(out, "features.npy"), X)
        np.save(os.path.join(out, "labels.npy"), y.astype(np.int32))
        for r in range(args.runs):  # interleaved, so load changes touch all three alike
            for name, run in (("python", lambda: python_fit(X, y, args.iterations, args.threads)),
                              ("python --copy", lambda: python_fit(plain, y, args.iterations, args.threads)),
                              ("cli", lambda: cli_train(cli, os.path.join(out, "features.npy"), args.iterations,
                                                        args.threads, out))):
                results.setdefault(name, []).append(run())
                common.log(f"run {r + 1} {name}: {json.dumps(results[name][-1])}")

    load = os.getloadavg()
    for name, runs in results.items():
        print(json.dumps({"system": name, **{k: median(runs, k) for k in runs[0]}, "runs": runs}))
    py, cp, cl = results["python"], results["python --copy"], results["cli"]
    fit, train = median(py, "fit"), median(py, "train")
    print(f"| binding overhead, Fashion-MNIST float32 ({len(y)} rows), {args.iterations} L-BFGS iterations, median of {args.runs} "
          f"(load {load[0]:.1f}) | fit {fit:.2f} s = validate {median(py, 'validate') * 1e3:.0f} ms + problem "
          f"{median(py, 'problem') * 1e3:.1f} ms + softmax_train {train:.2f} s (solver {median(py, 'solver'):.2f} s) "
          f"+ after {median(py, 'after') * 1e3:.0f} ms; overhead (fit - train) / fit = {100 * (fit - train) / fit:.1f} % "
          f"| copying instead: problem {median(cp, 'problem') * 1e3:.0f} ms, fit {median(cp, 'fit'):.2f} s "
          f"| CLI: solver {median(cl, 'solver'):.2f} s, process {median(cl, 'wall'):.2f} s |")


if __name__ == "__main__":
    main()
