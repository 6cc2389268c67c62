#!/usr/bin/env bash
# Fleet ingest over loopback HTTP (the real server): SQLite, PostgreSQL and two servers on one PostgreSQL side by
# side, then the summary under large reports and memory around an unauthenticated flood.
#   bench/fleet-http.sh [NODES]        default 10000
#   BENCH_BASELINE=/path/to/an/older/dist/bundle/ctrsafe.cjs   runs that build interleaved, for ratios
#   BENCH_PG=postgres://...            a database to empty and use; as root without it, a scratch cluster is started
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/bench/fleet-http-bench.js ] && [ -f dist/bundle/ctrsafe.cjs ] || npm run build >/dev/null
if [ -z "${BENCH_PG:-}" ] && [ "$(id -u)" -eq 0 ] && ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PGS=$(mktemp -d /tmp/ctrsafe-bench-pg.XXXXXX)
  PGPORT=$((56000 + $$ % 900))
  mkdir -p "$PGS/sock" && chown -R postgres "$PGS"
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGS/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N >/dev/null
  # fsync stays on: the figures are for a database that keeps what it acknowledges.
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGS/data" -l "$PGS/log" -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGS/sock" start -w >/dev/null
  trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGS/data" stop -m fast >/dev/null 2>&1; rm -rf "$PGS"' EXIT
  runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres fleet_bench
  export BENCH_PG="postgres://postgres@127.0.0.1:$PGPORT/fleet_bench"
fi
BENCH_NODES="${1:-10000}" node dist/bench/fleet-http-bench.js
