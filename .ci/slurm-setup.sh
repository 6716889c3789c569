#!/usr/bin/env bash
# CI: a one-node SLURM on this machine (munge + slurmctld + slurmd, Debian's slurm-wlm), so that
# src/experiment/slurm.test.ts submits real job arrays. Needs root; no systemd, no cgroups.
# Usage: source .ci/slurm-setup.sh   (exports SLURM_CONF; idempotent: a running cluster is kept)
# Stop: bash .ci/slurm-setup.sh stop
set -euo pipefail

SLURM_DIR="${PADAM_SLURM_DIR:-/tmp/padam-slurm}"
export SLURM_CONF="$SLURM_DIR/slurm.conf"

slurm_stop() {
  for f in "$SLURM_DIR/slurmd.pid" "$SLURM_DIR/slurmctld.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
}

if [ "${1:-}" = "stop" ]; then slurm_stop; exit 0; fi

if ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge
fi

# munge authenticates every SLURM message: a key, its folders, the daemon as the munge user.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
  [ -f /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
  chmod 400 /etc/munge/munge.key
  chmod 700 /etc/munge
  su -s /bin/sh munge -c /usr/sbin/munged
fi

if ! sinfo -h >/dev/null 2>&1; then
  host="$(hostname -s)"
  mkdir -p "$SLURM_DIR/spool" "$SLURM_DIR/state" "$SLURM_DIR/log"
  # linuxproc/none: the machine does not delegate cgroups. Memory is what the node may promise.
  cat > "$SLURM_CONF" <<EOF
ClusterName=padam-ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
MpiDefault=none
NodeName=$host CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 1 30); do
    sinfo -h -o %t 2>/dev/null | grep -q idle && break
    sleep 1
  done
fi
sinfo
