#!/usr/bin/env bash
# Where `emofuse bench train`'s time goes: for every configuration and thread count, one
# `perf record -g` of the bench (the product's training loop, inference and the GEMM peak
# measurement in one process), summarised by scripts/bench/perf_summary.py: each phase's samples
# by kind of work (GEMM micro-kernel, packing, gate kernels, dropout, waiting, page faults, …),
# by thread, its most sampled functions, and the GEMMs' rate inside the micro-kernel.
#
# Usage: scripts/bench/profile.sh [--threads "1 2"] [--epochs N] [--configs "BiGRU-89 …"]
# Needs perf (Debian: apt-get install linux-perf; run as root or with kernel.perf_event_paranoid ≤ 1).
# Raw profiles go to $PROFILES (default /tmp/emofuse-profiles); the Markdown goes to stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/bench/configs.sh
THREADS="1" EPOCHS=3
FREQ=1999
PROFILES=${PROFILES:-/tmp/emofuse-profiles}
while [ $# -gt 0 ]; do
    case "$1" in
        --threads) THREADS=$2; shift 2 ;;
        --epochs) EPOCHS=$2; shift 2 ;;
        --configs) CONFIGS=$2; shift 2 ;;
        *) echo "profile.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
command -v perf >/dev/null || { echo "profile.sh: perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
swift build -c release --product emofuse >&2
BIN=$(swift build -c release --show-bin-path)/emofuse
mkdir -p "$PROFILES"

for config in $CONFIGS; do
    for threads in $THREADS; do
        base="$PROFILES/$config-${threads}t"
        # shellcheck disable=SC2046
        perf record -q -F "$FREQ" -g -o "$base.data" -- \
            "$BIN" bench train --threads "$threads" --epochs "$EPOCHS" $(flags "$config") > "$base.json"
        perf script -i "$base.data" -F tid,ip,sym,dso 2>/dev/null | swift demangle --simplified \
            | python3 scripts/bench/perf_summary.py --frequency "$FREQ" --bench "$base.json" --title "$config, $threads thread(s)"
        echo "profile.sh: $config, $threads thread(s) done" >&2
    done
done
