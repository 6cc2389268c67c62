#!/usr/bin/env bash
# Benchmarks `ctrsafe run` against bwrap, ch-run and podman in one run: see bench/run-bench.ts. Usage: bench/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/run-bench.js ] || npm run build >/dev/null
BENCH_RUNS="${1:-11}" node dist/bench/run-bench.js
