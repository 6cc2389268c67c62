#!/usr/bin/env bash
# Benchmarks `ctrsafe gate --image` against sha256sum of the same file: see bench/gate-image-bench.ts.
# Usage: bench/gate-image.sh [RUNS] [MiB]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/gate-image-bench.js ] || npm run build >/dev/null
BENCH_RUNS="${1:-7}" BENCH_MIB="${2:-1024}" node dist/bench/gate-image-bench.js
