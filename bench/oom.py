"""The out-of-memory-sized workload: training on rows that do not fit the memory the process is given.

  oom.py SOFTMAX SCALE_BENCH_DLL WORKDIR [--rows N] [--limit-mib M] [--max-iter K]    JSON result lines (bench/run step "oom")

A synthetic packed file of N uint8 rows x 784 (default 2 400 000 rows, 1.75 GiB; generated once into WORKDIR) is
trained on inside a cgroup-v1 memory limit of M MiB (default 512; page cache counts against it, so the file cannot
stay cached and every pass reads the disk):
  1. `softmax train --data FILE --max-iter K` with no flag: the tool sees the limit (the GC reports it), switches to
     streamed training by itself, and finishes; timed, with its peak RSS and passes over the data;
  2. the same with --memory-limit far above the data (in memory forced): expected to fail with an out-of-memory error.
Without a writable cgroup the limit cannot be enforced: step 1 then runs with --stream and the note says so.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

CGROUP = "/sys/fs/cgroup/memory/softmax-bench-oom"


def arg(name, default):
    return type(default)(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def make_cgroup(limit_bytes):
    try:
        os.makedirs(CGROUP, exist_ok=True)
        with open(os.path.join(CGROUP, "memory.limit_in_bytes"), "w") as f:
            f.write(str(limit_bytes))
        return True
    except OSError as e:
        print(f"oom.py: no memory cgroup ({e}); the limit is not enforced", file=sys.stderr)
        return False


def run_measured(cmd, in_cgroup):
    if in_cgroup:
        cmd = ["sh", "-c", f'echo $$ > {CGROUP}/cgroup.procs && exec "$@"', "sh"] + cmd
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.monotonic() - t0
    return os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss / 1024.0, out.strip().splitlines()


def main():
    exe, scale_bench, work = sys.argv[1], sys.argv[2], sys.argv[3]
    rows, limit_mib, max_iter = arg("--rows", 2400000), arg("--limit-mib", 512), arg("--max-iter", 5)
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, f"synth-{rows}x784.smxp")
    if not os.path.exists(data):
        print(f"oom.py: generating {data}", file=sys.stderr)
        subprocess.run(["dotnet", scale_bench, "synth", data + ".tmp", str(rows)], check=True)
        os.replace(data + ".tmp", data)
    data_mib = rows * 784 / 2**20
    limited = make_cgroup(limit_mib << 20)
    workload = f"oom {rows}x784 u8 ({data_mib / 1024:.2f} GiB) in {limit_mib} MiB"
    with tempfile.TemporaryDirectory() as tmp:
        metrics = os.path.join(tmp, "m.json")
        cmd = [exe, "train", "-q", "--data", data, "--max-iter", str(max_iter), "--l2", "1e-4",
               "--model", os.path.join(tmp, "m.softmax"), "--metrics-json", metrics]
        if not limited:
            cmd.append("--stream")
        code, seconds, peak, lines = run_measured(cmd, limited)
        if code != 0:
            sys.exit(f"oom.py: streamed training failed ({code}): {lines[-5:]}")
        m = json.load(open(metrics))
        passes = m.get("epochs")
        print(json.dumps({
            "system": "Softmax (ours) L-BFGS", "workload": workload, "metric": "streamed fit", "seconds": seconds,
            "iterations": m.get("iterations"), "F": m.get("objective"), "peak_rss_mb": peak, "threads": os.cpu_count(),
            "passes": passes, "seconds_per_pass": m["train_seconds"] / passes if passes else None,
            "data_mib": data_mib, "limit_mib": limit_mib if limited else None,
            "note": (f"no flag: switched to streaming by itself under the {limit_mib} MiB cgroup limit; " if limited else
                     "--stream (no cgroup to enforce a limit); ")
                    + f"{passes} passes, {m['train_seconds'] / passes:.2f} s per pass "
                    + f"({data_mib / (m['train_seconds'] / passes):.0f} MiB/s incl. compute); peak RSS {peak:.0f} MiB "
                    + f"for {data_mib:.0f} MiB of rows; max_iter {max_iter}",
        }), flush=True)
        if limited:
            code, seconds, peak, lines = run_measured(cmd[:-2] + ["--memory-limit", str(1 << 40)], True)
            print(json.dumps({
                "system": "Softmax (ours)", "workload": workload, "metric": "in-memory fit (forced)", "seconds": None,
                "peak_rss_mb": peak, "exit_code": code,
                "note": ("failed as expected: " if code != 0 else "unexpectedly succeeded: ") + " | ".join(lines[-2:])[:300],
            }), flush=True)


if __name__ == "__main__":
    main()
