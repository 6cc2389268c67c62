#!/usr/bin/env bash
# Stops what start-slurm.sh started: slurmd, slurmctld and munged, by their pid files in the scratch directory.
# Usage: stop-slurm.sh /tmp/ctrsafe-slurm.XXXXXX/slurm.conf (the path start-slurm.sh printed, nothing else).
set -u
case "${1:-}" in
  /tmp/ctrsafe-slurm.*/slurm.conf) ;;
  *)
    echo "stop-slurm.sh: expected the slurm.conf path start-slurm.sh printed, got '${1:-}'" >&2
    exit 2
    ;;
esac
S=$(dirname "$1")
[ -f "$S/slurm.conf" ] || exit 0
for p in "$S"/slurmd-*.pid "$S/slurmctld.pid" "$S/munge-lib/munged.pid"; do
  [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
done
sleep 0.5
rm -rf "$S"
