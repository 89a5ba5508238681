#!/usr/bin/env bash
# Stops the daemons scripts/slurm/start.sh started, by their PIDs.
dir=${EMOFUSE_SLURM_DIR:-/tmp/emofuse-slurm}
[ -f "$dir/pids" ] || exit 0
for pid in $(cat "$dir/pids"); do kill "$pid" 2>/dev/null || true; done
for pid in $(cat "$dir/pids"); do
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
rm -f "$dir/pids"
