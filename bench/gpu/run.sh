#!/usr/bin/env bash
# One prepared device run for issue 6 (GPU engine): correctness on real shapes against the CPU engine, then timings
# of the ILGPU engine and PyTorch on the same card, printed as one table (also written to $OUT/gpu-table.md).
#
# Prepare on the dev machine (no GPU needed), from the repo root:
#   mkdir -p out/gpu/fashion-mnist            # /out/ is listed in .git/info/exclude, so it is the carry folder
#   dotnet publish bench/gpu/GpuBench/GpuBench.csproj -c Release -r linux-x64 --self-contained -o out/gpu/pub
#   tar -C out/gpu -cJf out/gpu/gpubench.tar.xz pub && rm -rf out/gpu/pub
#   cp /usr/share/datasets/fashion-mnist/*.gz out/gpu/fashion-mnist/   # the device machine has no Debian dataset
# Then on the device (carry: ["out/gpu"], timeout_s ≈ 540):
#   bash bench/gpu/run.sh
# Options: QUICK=1 for tiny shapes (smoke test); CPU_LBFGS=0 skips the CPU-engine L-BFGS comparison.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CARRY=${CARRY:-$ROOT/out/gpu}
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
WORK=/tmp/softmax-gpu
rm -rf "$WORK" && mkdir -p "$WORK"
tar -C "$WORK" -xJf "$CARRY/gpubench.tar.xz" || { echo "missing $CARRY/gpubench.tar.xz: see the header of this script"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv,noheader 2>&1 | tee "$OUT/nvidia-smi.txt"
ARGS=()
[ "${QUICK:-0}" = 1 ] && ARGS+=(--quick)
[ "${CPU_LBFGS:-1}" = 0 ] && ARGS+=(--no-cpu-lbfgs)
[ -f "$CARRY/fashion-mnist/train-images-idx3-ubyte.gz" ] && ARGS+=(--fashion "$CARRY/fashion-mnist")
echo "== ILGPU engine"
timeout 420 "$WORK/pub/GpuBench" "${ARGS[@]}" 2> >(tee "$OUT/gpubench.err" >&2) | tee "$OUT/results.tsv"
echo "== PyTorch"
PYQ=(); [ "${QUICK:-0}" = 1 ] && PYQ=(--quick)
timeout 180 python3 "$ROOT/bench/gpu/torch_gpu.py" "${PYQ[@]}" 2> >(tee "$OUT/torch.err" >&2) | tee -a "$OUT/results.tsv"
python3 - "$OUT/results.tsv" <<'PY' | tee "$OUT/gpu-table.md"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.count("\t") >= 4]
r = {(s, n): (float(v) if v not in ("", "nan", "NaN") else float("nan"), u, note) for s, n, v, u, note in rows}
g = lambda n: r.get(("softmax-gpu", n), (float("nan"), "", ""))
t = lambda n: r.get(("pytorch", n), (float("nan"), "", ""))
print(f"card: {g('device')[2]}; {t('version')[2]}\n")
print("| operation | ILGPU engine | PyTorch | ratio | target | floor (1 read of X) | check vs CPU engine |")
print("|---|---|---|---|---|---|---|")
targets = {"60000x784": 0.10, "50000x3072": 0.31, "1000000x784": 1.6}
for shape, tgt in targets.items():
    k, c, p = g(f"fullbatch_kernels_{shape}"), g(f"fullbatch_call_{shape}"), t(f"fullbatch_{shape}")
    fe, ge = g(f"check_F_relerr_{shape}")[0], g(f"check_grad_relerr_{shape}")[0]
    print(f"| value+grad {shape} | {k[0]:.3f} ms kernels, {c[0]:.3f} ms call (round trip {g('roundtrip_share_'+shape)[0]:.1f}%) | {p[0]:.3f} ms | {p[0]/k[0]:.1f}x | ≤ {tgt} ms | {g('floor_'+shape)[0]:.3f} ms | F {fe:.1e}, grad {ge:.1e}, repeat bit-identical {int(g('check_bitwise_repeat_'+shape)[0]) if g('check_bitwise_repeat_'+shape)[0]==g('check_bitwise_repeat_'+shape)[0] else '?'} |")
s, ps = g("sgd_epoch_b256"), t("sgd_epoch_b256")
print(f"| SGD epoch, batch 256, 60000x784 | {s[0]:.2f} ms ({s[2]}) | {ps[0]:.1f} ms | {ps[0]/s[0]:.0f}x | ≤ 5 ms | | θ {g('check_sgd_epoch_theta_relerr')[0]:.1e}, loss {g('check_sgd_epoch_loss_relerr')[0]:.1e} |")
lg, lc = g("lbfgs_gpu_total"), g("lbfgs_cpu2_total")
print(f"| L-BFGS to F*(1+1e-6), Fashion-MNIST{'' if g('fashion_mnist_present')[0]==1 else ' (SYNTHETIC: no data)'} | {lg[0]/1e3:.2f} s ({lg[2]}) | | {g('lbfgs_speedup_vs_cpu2')[0]:.1f}x vs CPU engine 2 threads here | ≥ 20x vs 2-core dev box | | reached {g('lbfgs_gpu_reached')[0]} |")
print(f"\ncopy bandwidth {g('copy_bandwidth')[0]:.0f} GB/s")
for (s, n), v in sorted(r.items()):
    if n.startswith("fullbatch_kernels_") and "_blocks" in n: print(f"- {n}: {v[0]:.4f} ms")
PY
