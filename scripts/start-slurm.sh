#!/usr/bin/env bash
# Starts a Slurm on this machine (munge, slurmctld, slurmd) on loopback ports in a scratch directory, as
# ../shared/reference/recipes.md describes, and prints the slurm.conf path; stop-slurm.sh DIR stops it.
# Besides this machine's own node it has pair1 and pair2: two more slurmd here (slurmd -N, each on a port of
# its own, host names of their own so that the gate still finds this machine's node by name), so that tests can
# see where srun places each task on a cluster of more than one node.
set -euo pipefail
S=$(mktemp -d /tmp/ctrsafe-slurm.XXXXXX)
chmod 755 "$S" # munged runs as munge and must reach its socket directory below it
H=$(hostname -s)
PORT=$((17000 + $$ % 800))
mkdir -p "$S/munge-run" "$S/munge-lib" "$S/state" "$S/spool" "$S/log"
chown munge:munge "$S/munge-run" "$S/munge-lib"
chmod 755 "$S/munge-run"
chmod 700 "$S/munge-lib"
cat > "$S/slurm.conf" <<CONF
ClusterName=ctrsafe-test
SlurmctldHost=$H(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge-run/munge.socket
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool/%n
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd-%n.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$H NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 State=UNKNOWN
# A second node that never runs slurmd: the gate's drain/resume tests act on it, so jobs on $H are never held up.
NodeName=gatetest NodeAddr=127.0.0.1 Port=$((PORT + 2)) CPUs=1 RealMemory=100 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
PartitionName=gate Nodes=gatetest Default=NO MaxTime=INFINITE State=UP
NodeName=pair1 NodeHostname=pair1 NodeAddr=127.0.0.1 Port=$((PORT + 3)) CPUs=1 RealMemory=100 State=UNKNOWN
NodeName=pair2 NodeHostname=pair2 NodeAddr=127.0.0.1 Port=$((PORT + 4)) CPUs=1 RealMemory=100 State=UNKNOWN
PartitionName=pair Nodes=pair1,pair2 Default=NO MaxTime=INFINITE State=UP
CONF
runuser -u munge -- /usr/sbin/munged --socket="$S/munge-run/munge.socket" --pid-file="$S/munge-lib/munged.pid" \
  --log-file="$S/munge-lib/munged.log" --seed-file="$S/munge-lib/munged.seed" </dev/null >"$S/log/munged.out" 2>&1 || { cat "$S/log/munged.out" >&2; exit 1; }
for _ in $(seq 50); do [ -S "$S/munge-run/munge.socket" ] && break; sleep 0.1; done
export SLURM_CONF="$S/slurm.conf"
slurmctld -f "$S/slurm.conf" </dev/null >"$S/log/ctld.out" 2>&1
slurmd -f "$S/slurm.conf" </dev/null >"$S/log/d.out" 2>&1
for n in pair1 pair2; do
  slurmd -f "$S/slurm.conf" -N "$n" </dev/null >"$S/log/d-$n.out" 2>&1 || { cat "$S/log/d-$n.out" >&2; exit 1; }
done
for _ in $(seq 60); do
  [ "$(sinfo -h -N -n "$H,pair1,pair2" -o %T 2>/dev/null | sort -u)" = "idle" ] && break
  sleep 0.25
done
echo "$S/slurm.conf"
