#!/usr/bin/env bash
# Fleet API load over loopback HTTP (the real server, SQLite): bench/fleet-http.sh [NODES], default 20000; the issue's figure is 100000.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/fleet-http-bench.js ] && [ -f dist/bundle/ctrsafe.cjs ] || npm run build >/dev/null
BENCH_NODES="${1:-20000}" node dist/bench/fleet-http-bench.js
