#!/usr/bin/env bash
# The overview's server time at 1,000 and 10,000 nodes with 90 days of roll-ups, beside the node page and summary.
#   bench/overview.sh [NODES,NODES]   default 1000,10000
#   BENCH_PG=postgres://...          also on PostgreSQL (the database is emptied)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/overview-bench.js ] || npm run build >/dev/null
BENCH_NODES="${1:-1000,10000}" node dist/bench/overview-bench.js
