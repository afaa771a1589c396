"""OpenBLAS float32 GEMM rate through numpy (run with OPENBLAS_CORETYPE unset so it picks its own kernel).

Prints one JSON line per thread count: {"threads", "gflops" (median), "best_gflops", "seconds", "shape", "blas"}.
"""
import json
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
rng = np.random.default_rng(1)
a = rng.random((n, n), dtype=np.float32)
b = rng.random((n, n), dtype=np.float32)
c = np.empty((n, n), dtype=np.float32)
blas = [d.get("architecture") for d in threadpool_info() if d.get("user_api") == "blas"]
for threads in (1, 2):
    with threadpool_limits(limits=threads, user_api="blas"):
        np.matmul(a, b, out=c)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            np.matmul(a, b, out=c)
            times.append(time.perf_counter() - t0)
    med = sorted(times)[len(times) // 2]
    print(json.dumps({"threads": threads, "gflops": 2.0 * n ** 3 / med / 1e9, "seconds": med,
                      "best_gflops": 2.0 * n ** 3 / min(times) / 1e9,
                      "shape": f"{n}x{n}x{n}", "blas": blas}), flush=True)
