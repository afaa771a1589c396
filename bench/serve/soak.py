#!/usr/bin/env python3
"""Steady-memory soak of `softmax serve` under a mixed flood, on loopback only, for a bounded time.

  bench/serve/soak.py [--seconds 170] [--connections 12] [--cli src/Softmax.Cli/bin/Release/net10.0/softmax]

Trains the digits model into a temp folder, serves it with --watch and an admin token on 127.0.0.1 (a random port),
and floods it with every kind of request at once: single-row and 100-row JSON predictions, binary and CSV bodies,
invalid bodies (wrong width, NaN, malformed JSON, strings), rows near the float32 limit, GET /v1/model, the weights,
/metrics, /healthz, the page, unknown routes; one thread hot-reloads (good upload, bad upload, the file rewritten
for the watcher) every second, and one opens and drops idle sockets. Every 5 s it prints the server's RSS
(/proc/PID/status VmRSS), requests done and 5xx seen; at the end the RSS curve's summary: first, last, peak and the
slope over the second half (MiB/min). A 5xx is a bug: the exit code is 1 when any was seen. Only the Python standard
library is used; nothing leaves 127.0.0.1; the run is capped at 600 s.
"""
import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROW = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
       0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]


def requests(token):
    """(method, path, body bytes, content type, headers) of each request kind."""
    import struct
    one = json.dumps({"instances": [ROW]}).encode()
    batch = json.dumps({"instances": [ROW] * 100}).encode()
    huge = json.dumps({"instances": [[3e38] * 64]}).encode()
    binary = struct.pack("<64f", *ROW)
    csv = (",".join(map(str, ROW)) + "\n").encode() * 10
    bad = [b'{"instances":[[1,2,3]]}', b'{"instances":[[0,"x"]]}', b'{not json', b'{"instances":[[NaN]]}', b'']
    kinds = [("POST", "/v1/predict", one, "application/json")] * 6 + [
        ("POST", "/v1/predict", batch, "application/json"),
        ("POST", "/v1/predict?top_k=5", huge, "application/json"),
        ("POST", "/v1/predict", binary, "application/octet-stream"),
        ("POST", "/v1/predict", csv, "text/csv"),
        ("GET", "/v1/model", None, None), ("GET", "/v1/model/weights", None, None), ("GET", "/metrics", None, None),
        ("GET", "/healthz", None, None), ("GET", "/", None, None), ("GET", "/nope", None, None),
        ("DELETE", "/v1/predict", None, None)]
    kinds += [("POST", "/v1/predict", b, "application/json") for b in bad]
    return kinds


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.done = 0
        self.by_status = {}

    def add(self, status):
        with self.lock:
            self.done += 1
            self.by_status[status] = self.by_status.get(status, 0) + 1

    def server_errors(self):
        with self.lock:
            return sum(n for s, n in self.by_status.items() if s >= 500)


def worker(port, kinds, counters, stop, seed):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        method, path, body, ctype = rng.choice(kinds)
        headers = {"Content-Type": ctype} if ctype else {}
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            counters.add(response.status)
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        except (OSError, http.client.HTTPException):
            counters.add(0)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def reloader(port, token, model_path, counters, stop):
    good = open(model_path, "rb").read()
    bad = good[: len(good) // 2]
    n = 0
    while not stop.wait(1.0):
        n += 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            if n % 3 == 2:
                tmp = model_path + ".tmp"
                with open(tmp, "wb") as f:
                    f.write(good)
                os.replace(tmp, model_path)   # the watcher reloads it
                continue
            body = good if n % 3 == 0 else bad
            conn.request("POST", "/v1/model", body=body,
                         headers={"Authorization": "Bearer " + token, "Content-Type": "application/octet-stream"})
            response = conn.getresponse()
            response.read()
            counters.add(response.status)
        except (OSError, http.client.HTTPException):
            counters.add(0)
        finally:
            conn.close()


def idler(port, stop):
    while not stop.wait(0.5):
        socks = []
        for _ in range(20):
            try:
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                pass
        stop.wait(2.0)
        for s in socks:
            s.close()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=170)
    ap.add_argument("--connections", type=int, default=12)
    ap.add_argument("--cli", default="src/Softmax.Cli/bin/Release/net10.0/softmax")
    ap.add_argument("--sample", type=float, default=5)
    args = ap.parse_args()
    seconds = min(args.seconds, 600)
    token = "soak-" + str(random.randrange(1 << 30))
    with tempfile.TemporaryDirectory() as work:
        model = os.path.join(work, "digits.softmax")
        subprocess.run([args.cli, "train", "-q", "--model", model], check=True, stdout=subprocess.DEVNULL)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        log = open(os.path.join(work, "serve.log"), "w")
        server = subprocess.Popen([args.cli, "serve", "--model", model, "--urls", f"http://127.0.0.1:{port}",
                                   "--watch", "--admin-token", token], stdout=log, stderr=log)
        try:
            for _ in range(100):
                try:
                    http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            counters, stop = Counters(), threading.Event()
            kinds = requests(token)
            threads = [threading.Thread(target=worker, args=(port, kinds, counters, stop, i), daemon=True)
                       for i in range(args.connections)]
            threads.append(threading.Thread(target=reloader, args=(port, token, model, counters, stop), daemon=True))
            threads.append(threading.Thread(target=idler, args=(port, stop), daemon=True))
            start = time.monotonic()
            for t in threads:
                t.start()
            curve = []
            print(f"soak: {seconds:.0f} s, {args.connections} connections, pid {server.pid}, port {port}")
            print("   t_s  rss_mib  requests  req_per_s  5xx")
            last_done, last_t = 0, start
            while time.monotonic() - start < seconds:
                time.sleep(args.sample)
                now = time.monotonic()
                done = counters.done
                rss = rss_mib(server.pid)
                curve.append((now - start, rss))
                print(f"{now - start:6.0f} {rss:8.1f} {done:9d} {(done - last_done) / (now - last_t):10.0f} {counters.server_errors():4d}", flush=True)
                last_done, last_t = done, now
            stop.set()
            for t in threads:
                t.join(timeout=35)
            half = [p for p in curve if p[0] >= curve[-1][0] / 2]
            slope = 0.0
            if len(half) >= 2:
                n = len(half)
                mt = sum(t for t, _ in half) / n
                mr = sum(r for _, r in half) / n
                slope = sum((t - mt) * (r - mr) for t, r in half) / max(1e-9, sum((t - mt) ** 2 for t, _ in half)) * 60
            statuses = dict(sorted(counters.by_status.items()))
            print(json.dumps({"seconds": round(curve[-1][0]), "requests": counters.done, "statuses": statuses,
                              "rss_first_mib": round(curve[0][1], 1), "rss_last_mib": round(curve[-1][1], 1),
                              "rss_peak_mib": round(max(r for _, r in curve), 1),
                              "rss_slope_second_half_mib_per_min": round(slope, 2),
                              "server_errors_5xx": counters.server_errors()}))
            return 1 if counters.server_errors() else 0
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
