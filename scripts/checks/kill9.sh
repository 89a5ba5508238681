#!/usr/bin/env bash
# Kills `emofuse run` with SIGKILL at random moments, again and again on the same run folder, then
# lets it finish and checks that its outputs (checkpoints, feature sets, submission) are byte for
# byte those of an uninterrupted run. Usage: scripts/checks/kill9.sh [KILLS] [EMOFUSE-BINARY]
set -euo pipefail
kills=${1:-20}
bin=${2:-.build/release/emofuse}
[ -x "$bin" ] || { echo "no executable $bin: run 'swift build -c release' first or pass the binary" >&2; exit 2; }
work=$(mktemp -d /tmp/emofuse-kill9.XXXXXX)
trap 'rm -rf "$work"' EXIT
export EMOFUSE_CACHE="$work/cache"

"$bin" synth --out "$work/data" --preset tiny --seed 4 >/dev/null
cat > "$work/config.json" <<'JSON'
{"featureSets": ["egemaps", "vggface", "fau_intensity"], "network": {"hiddenSize": 16, "layers": 2},
 "training": {"maxEpochs": 8, "patience": 4, "windowLength": 60, "windowHop": 20, "batchSize": 16}}
JSON
args=(run --data "$work/data" --config "$work/config.json" --quiet)
run() { "$bin" "${args[@]}" "$@"; }

start=$(date +%s%N)
run --run "$work/reference" >/dev/null
duration_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "uninterrupted run: ${duration_ms} ms"

# Each attempt resumes the folder the previous kill left; when a run outlives its kill time and
# finishes, the folder starts over, so that kills keep landing mid-training.
killed=0; attempts=0
while [ "$killed" -lt "$kills" ] && [ "$attempts" -lt $((kills * 4)) ]; do
  attempts=$((attempts + 1))
  "$bin" "${args[@]}" --run "$work/killed" >/dev/null 2>&1 &   # the process itself, not a subshell
  pid=$!
  delay_ms=$(( (RANDOM * 32768 + RANDOM) % (duration_ms + 1) ))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then
    killed=$((killed + 1))
    wait "$pid" 2>/dev/null || true
  else
    wait "$pid" 2>/dev/null || true
    if [ "$killed" -lt "$kills" ]; then rm -rf "$work/killed"; fi
  fi
done
echo "SIGKILLs delivered to a running emofuse: $killed (in $attempts attempts)"
run --run "$work/killed" >/dev/null

status=0
for part in checkpoints feature_segments submission; do
  if ! diff -r -x '.*' "$work/reference/$part" "$work/killed/$part" >/dev/null; then
    echo "DIFFERENT: $part"; diff -rq -x '.*' "$work/reference/$part" "$work/killed/$part" | head -5; status=1
  fi
done
[ $status -eq 0 ] && echo "outputs identical to the uninterrupted run (checkpoints, feature sets, submission)"
exit $status
