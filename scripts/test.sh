#!/usr/bin/env bash
# The whole test suite, as CI and a developer run it: installs what the tests need, builds, lints, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use as real parts (the runtimes, probe helpers, peers for benchmarks).
pkgs=(charliecloud-runtime podman uidmap bubblewrap util-linux perl libcap2-bin squashfs-tools spectre-meltdown-checker hyperfine time python3-rpm rpm squashfs-tools-ng umoci skopeo zstd xz-utils e2fsprogs attr)
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

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
npm run lint
node --test --test-concurrency=2 dist/test/*.test.js
