#!/usr/bin/env bash
# Starts a one-node Slurm on this machine for EmoFuse's cluster tests (run as root): installs
# Debian's slurmctld, slurmd, slurm-client and munge if missing, writes a munge key and a slurm.conf
# for this host (its hostname, its CPUs, select/cons_tres with CR_CPU, proctrack/linuxproc, no
# accounting), starts munged, slurmctld and slurmd, and waits until sinfo shows the node idle.
# The PIDs of what it started go to $EMOFUSE_SLURM_DIR/pids; scripts/slurm/stop.sh stops them.
set -euo pipefail
dir=${EMOFUSE_SLURM_DIR:-/tmp/emofuse-slurm}
mkdir -p "$dir"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
fi

host=$(hostname -s)
cpus=$(nproc)
memory_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key; chmod 0755 /run/munge

cat > /etc/slurm/slurm.conf <<CONF
# Written by EmoFuse's scripts/slurm/start.sh: a one-node cluster for tests.
ClusterName=emofuse
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SwitchType=switch/none
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=600
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

# A daemon of an earlier start (its PID file still there) is stopped first.
if [ -f "$dir/pids" ]; then bash "$(dirname "$0")/stop.sh" || true; fi

started=""
if pgrep -x munged >/dev/null; then
  echo "slurm: using the munged already running"
else
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid --socket=/run/munge/munge.socket.2 \
    --key-file=/etc/munge/munge.key --log-file=/var/log/munge/munged.log --seed-file=/var/lib/munge/munged.seed
  for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  started="$(cat /run/munge/munged.pid)"
fi
rm -f "$dir/slurmctld.pid" "$dir/slurmd.pid"
/usr/sbin/slurmctld -i
/usr/sbin/slurmd
for _ in $(seq 100); do [ -s "$dir/slurmctld.pid" ] && [ -s "$dir/slurmd.pid" ] && break; sleep 0.1; done
echo "$started $(cat "$dir/slurmctld.pid") $(cat "$dir/slurmd.pid")" > "$dir/pids"

for _ in $(seq 120); do
  state=$(sinfo -h -n "$host" -o '%t' 2>/dev/null || true)
  if [ "$state" = "idle" ]; then echo "slurm: node $host idle ($cpus CPUs)"; exit 0; fi
  sleep 0.5
done
echo "slurm: node $host did not become idle (state '${state:-none}'); logs:" >&2
tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
