#!/usr/bin/env bash
# Benchmarks `ctrsafe check` against its peers in one run: see bench/check-bench.ts. Usage: bench/check.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/check-bench.js ] || npm run build >/dev/null
BENCH_RUNS="${1:-15}" node dist/bench/check-bench.js
