#!/usr/bin/env bash
# Benchmarks SIF signature verification against sha256sum of the same 1 GiB file: see bench/sif-verify-bench.ts.
# Usage: bench/sif-verify.sh [RUNS] [MIB]   (BENCH_DIR=DIR puts the 2 GiB of scratch images elsewhere than $TMPDIR)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/sif-verify-bench.js ] && [ -f dist/bundle/ctrsafe.cjs ] || npm run build >/dev/null
BENCH_RUNS="${1:-7}" BENCH_MIB="${2:-1024}" node dist/bench/sif-verify-bench.js
