#!/usr/bin/env bash
# Benchmarks `ctrsafe db update` on export-sized zips (zip64 included) and a tracker JSON against unzip and jq, and the
# database load per check: see bench/db-update-bench.ts. Usage: bench/db-update.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/db-update-bench.js ] || npm run build >/dev/null
BENCH_RUNS="${1:-5}" node --expose-gc dist/bench/db-update-bench.js
