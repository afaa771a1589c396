#!/usr/bin/env bash
# The validation experiment behind the digits default λ (TrainingFlags.DigitsL2): 5-fold stratified cross-validation
# of L-BFGS over a λ grid on the digits TRAINING split only (1437 rows; the 360 test rows are not used to choose),
# pixels scaled by their declared range 1/16 (the default). Prints the table of docs/experiments/digits-lambda.md.
# Usage: docs/experiments/digits-lambda.sh [softmax command]   (default: dotnet run --project src/Softmax.Cli -c Release --)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -gt 0 ]; then softmax=("$@"); else softmax=(dotnet run --project src/Softmax.Cli -c Release --); fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"${softmax[@]}" tune --data digits --solver lbfgs --folds 5 --seed 0 \
    --l2-grid 1e-6,1e-5,2e-5,5e-5,1e-4,2e-4,5e-4,1e-3,1e-2 \
    --model "$out/best.softmax" --metrics-json "$out/tune.json" --quiet > /dev/null
python3 - "$out/tune.json" <<'PY'
import json, math, sys
t = json.load(open(sys.argv[1]))
rows = sorted(t["trials"], key=lambda r: r["l2"])
best = min(rows, key=lambda r: r["validation_log_loss"])
se = best["validation_log_loss_std"] / math.sqrt(t["folds"])
chosen = max((r for r in rows if r["validation_log_loss"] <= best["validation_log_loss"] + se), key=lambda r: r["l2"])
print("| λ2 | CV log-loss (mean ± std) | CV accuracy (mean ± std) |")
print("|---:|---:|---:|")
for r in rows:
    mark = " **(chosen)**" if r is chosen else (" (lowest)" if r is best else "")
    print(f"| {r['l2']:g}{mark} | {r['validation_log_loss']:.4f} ± {r['validation_log_loss_std']:.4f} | {r['validation_accuracy']:.4f} ± {r['validation_accuracy_std']:.4f} |")
print(f"\nLowest mean log-loss: λ = {best['l2']:g}; one standard error = {se:.4f}; chosen (largest λ within it): λ = {chosen['l2']:g}.")
PY
