#!/usr/bin/env bash
# Benchmarks the advisory database load and matching per host: see bench/match-bench.ts.
# Usage: bench/match.sh [RUNS]; BASELINE=path/to/an/older/ctrsafe.cjs compares check --root with that build.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/match-bench.js ] || npm run build >/dev/null
BENCH_RUNS="${1:-11}" node dist/bench/match-bench.js
