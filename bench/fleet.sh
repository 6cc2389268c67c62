#!/usr/bin/env bash
# Fleet store load benchmark (in-process, no network): bench/fleet.sh [NODES], default 20000; the issue's figure is 100000.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/fleet-bench.js ] || npm run build >/dev/null
BENCH_NODES="${1:-20000}" node dist/bench/fleet-bench.js
