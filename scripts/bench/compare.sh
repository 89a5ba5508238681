#!/usr/bin/env bash
# EmoFuse vs PyTorch, side by side: for every configuration and thread count, PAIRS interleaved
# pairs (EmoFuse, PyTorch, EmoFuse, PyTorch, …) of `emofuse bench train` and
# scripts/bench/torch_reference.py on the same configuration, then one Markdown table of median
# ratios (PyTorch / EmoFuse: above 1 means EmoFuse is faster or smaller) with their spread
# (min–max over the pairs). Interleaving spreads a drifting VM's slow minutes over both sides.
#
# Usage: scripts/bench/compare.sh [--pairs N] [--threads "1 2"] [--epochs N] [--configs "BiGRU-89 …"]
# Run it on an idle machine; raw JSON lines go to $OUT (default /tmp/emofuse-compare.jsonl).
# Needs: Swift (release build) and PyTorch's CPU wheel (`pip install torch`).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/configs.sh
PAIRS=3 THREADS="1 2" EPOCHS=2
OUT=${OUT:-/tmp/emofuse-compare.jsonl}
while [ $# -gt 0 ]; do
    case "$1" in
        --pairs) PAIRS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --epochs) EPOCHS=$2; shift 2 ;;
        --configs) CONFIGS=$2; shift 2 ;;
        *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ "$PAIRS" -ge 3 ] || { echo "compare.sh: --pairs must be at least 3 (a median of fewer means little here)" >&2; exit 2; }
python3 -c 'import torch' 2>/dev/null || {
    echo "compare.sh: PyTorch is not installed; install its CPU wheel: pip install torch" >&2; exit 1; }
swift build -c release --product emofuse >&2
BIN=$(swift build -c release --show-bin-path)/emofuse

: > "$OUT"
# Thread counts are interleaved too (config by config, pair by pair), so the 2-over-1-thread
# ratios compare runs minutes apart, not a first half of the script with a second half.
for config in $CONFIGS; do
    for pair in $(seq "$PAIRS"); do
        for threads in $THREADS; do
            # shellcheck disable=SC2046
            "$BIN" bench train --threads "$threads" --epochs "$EPOCHS" $(flags "$config") \
                | sed "s/^{/{\"side\":\"emofuse\",\"pair\":$pair,/" >> "$OUT"
            # shellcheck disable=SC2046
            python3 scripts/bench/torch_reference.py --threads "$threads" --epochs "$EPOCHS" $(flags "$config") \
                | sed "s/^{/{\"side\":\"torch\",\"pair\":$pair,/" >> "$OUT"
            echo "compare.sh: $config, $threads thread(s), pair $pair of $PAIRS done" >&2
        done
    done
done

python3 - "$OUT" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def pairs(config, threads):
    by = {}
    for r in runs:
        if r["config"] == config and r["threads"] == threads:
            by.setdefault(r["pair"], {})[r["side"]] = r
    return [p for p in by.values() if len(p) == 2]
def ratio(ps, key, num="torch", den="emofuse"):
    v = [p[num][key] / p[den][key] for p in ps]
    return f"{statistics.median(v):.2f}× ({min(v):.2f}–{max(v):.2f})"
def median(ps, side, key):
    return statistics.median(p[side][key] for p in ps)
configs = list(dict.fromkeys(r["config"] for r in runs))
threads = sorted({r["threads"] for r in runs})
print("| configuration | threads | EmoFuse s/epoch | PyTorch s/epoch | training ratio | peak memory PyTorch/EmoFuse | EmoFuse share of GEMM peak |")
print("|---|---|---|---|---|---|---|")
for c in configs:
    for t in threads:
        ps = pairs(c, t)
        if not ps: continue
        print(f"| {c} | {t} | {median(ps, 'emofuse', 'epoch_seconds'):.3f} | {median(ps, 'torch', 'epoch_seconds'):.3f} "
              f"| {ratio(ps, 'epoch_seconds')} "
              f"| {ratio(ps, 'peak_rss_mb')} | {median(ps, 'emofuse', 'share_of_gemm_peak'):.0%} |")
print()
print("Inference (69 whole 600-step sequences, median of 3 runs per side; GFLOP/s by the same analytic")
print("count on both sides, and its share of EmoFuse's GEMM peak measured in the same pair):")
print()
print("| configuration | threads | EmoFuse s | PyTorch s | ratio | EmoFuse GFLOP/s (share of peak) | PyTorch GFLOP/s (share of peak) |")
print("|---|---|---|---|---|---|---|")
for c in configs:
    for t in threads:
        ps = pairs(c, t)
        if not ps: continue
        share = lambda side: statistics.median(p[side]["inference_gflops"] / p["emofuse"]["gemm_peak_gflops"] for p in ps)
        print(f"| {c} | {t} | {median(ps, 'emofuse', 'inference_seconds'):.3f} | {median(ps, 'torch', 'inference_seconds'):.3f} "
              f"| {ratio(ps, 'inference_seconds')} | {median(ps, 'emofuse', 'inference_gflops'):.1f} ({share('emofuse'):.0%}) "
              f"| {median(ps, 'torch', 'inference_gflops'):.1f} ({share('torch'):.0%}) |")
if len(threads) > 1:
    print()
    print(f"EmoFuse {threads[-1]} threads over {threads[0]} (s/epoch ratio within each pair, median and min–max):")
    for c in configs:
        one = {r["pair"]: r["epoch_seconds"] for r in runs if r["config"] == c and r["side"] == "emofuse" and r["threads"] == threads[0]}
        many = {r["pair"]: r["epoch_seconds"] for r in runs if r["config"] == c and r["side"] == "emofuse" and r["threads"] == threads[-1]}
        v = [one[p] / many[p] for p in one if p in many]
        if v: print(f"- {c}: {statistics.median(v):.2f}× ({min(v):.2f}–{max(v):.2f})")
PY
