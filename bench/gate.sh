#!/usr/bin/env bash
# Benchmarks `ctrsafe gate` against its peers in one run: see bench/gate-bench.ts. Usage: bench/gate.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/gate-bench.js ] || npm run build >/dev/null
BENCH_RUNS="${1:-15}" node dist/bench/gate-bench.js
