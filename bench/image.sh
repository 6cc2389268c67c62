#!/usr/bin/env bash
# Benchmarks the squashfs reader against unsquashfs in one run: see bench/image-bench.ts. Usage: bench/image.sh [RUNS] [COMPRESSORS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/image-bench.js ] || npm run build >/dev/null
# The shipped agent is one esbuild bundle: time the reader that way too (module loading is part of start-up).
npx esbuild bench/squashfs-list.ts --bundle --platform=node --format=esm --log-level=warning \
  --outfile=dist/bench/squashfs-list.bundle.mjs
BENCH_RUNS="${1:-15}" BENCH_COMP="${2:-gzip,lzo,xz,zstd}" node dist/bench/image-bench.js
