#!/usr/bin/env bash
# Stops what start-slurm.sh started: slurmd, slurmctld and munged, by their pid files in the scratch directory.
S=$(dirname "$1")
for p in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge-lib/munged.pid"; do
  [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
done
sleep 0.5
rm -rf "$S"
