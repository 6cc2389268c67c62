#!/usr/bin/env bash
# The report schema's validation cost on the fleet's ingest path: see bench/schema-validate-bench.ts.
# Usage: bench/schema-validate.sh [ROUNDS]; BENCH_BASELINE=<older dist/src/fleet/validate-report.js> for a ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/schema-validate-bench.js ] || npm run build >/dev/null
BENCH_ROUNDS="${1:-7}" node dist/bench/schema-validate-bench.js
