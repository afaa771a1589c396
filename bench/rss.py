"""Peak resident memory of the `softmax` tool training Fashion-MNIST, against the runtime's base.

  rss.py SOFTMAX [--repeats N]     one JSON result line (bench/run step "rss")

The job is what a user runs: `softmax train -q --data fashion-mnist` (L-BFGS, uint8 rows, the default settings),
each run a fresh process whose peak RSS comes from wait4(2). The base is the same command on the embedded digits
set (1797 rows of 64 values: no data to speak of), so it holds the runtime, the tool's libraries and the code the
training path compiles. The issue's target: peak <= base + 1.3 x the decoded training data (60000 x 784 bytes).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile


def peak_mib(cmd):
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.Popen(cmd + ["--model", os.path.join(tmp, "m.softmax")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"rss.py: {' '.join(cmd)} failed: {err.decode(errors='replace')[-500:]}")
        return usage.ru_maxrss / 1024.0   # KiB on Linux


def main():
    exe = sys.argv[1]
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 3
    job = [exe, "train", "-q", "--data", "fashion-mnist"]
    base_cmd = [exe, "train", "-q"]
    peaks = [peak_mib(job) for _ in range(repeats)]
    bases = [peak_mib(base_cmd) for _ in range(repeats)]
    peak, base = statistics.median(peaks), statistics.median(bases)
    data = 60000 * 784 / 2**20
    target = base + 1.3 * data
    print(json.dumps({
        "system": "Softmax (ours)", "workload": "fashion-mnist u8", "metric": "peak RSS training", "seconds": None,
        "peak_rss_mb": peak, "base_rss_mb": base, "train_data_mb": data, "target_mb": target, "met": peak <= target,
        "ratio_over_data": (peak - base) / data, "repeats": repeats,
        "runs_mb": " ".join(f"{p:.1f}" for p in peaks), "base_runs_mb": " ".join(f"{b:.1f}" for b in bases),
        "note": "softmax train -q --data fashion-mnist, a fresh process each run, median; "
                "base = the same command on the embedded digits set",
    }))


if __name__ == "__main__":
    main()
