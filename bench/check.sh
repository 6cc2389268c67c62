#!/usr/bin/env bash
# Benchmarks `ctrsafe check` against its peers in one run: see bench/check-bench.ts. Usage: bench/check.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
# Root's V8 code cache lives in /var/cache/ctrsafe, which the .deb and .rpm make; an npm install does not, and
# without it every start compiles the bundle. Measured as installed: made here, as the packages make it.
if [ "$(id -u)" -eq 0 ] && [ ! -d /var/cache/ctrsafe ]; then
  install -d -m 0755 /var/cache/ctrsafe && echo "made /var/cache/ctrsafe (root's code cache, as the packages do)"
fi
[ -f dist/bench/check-bench.js ] || npm run build >/dev/null
BENCH_RUNS="${1:-15}" node dist/bench/check-bench.js
