// Prints the compiled test files (dist/test/.../NAME.test.js), one a line, for every test/**/NAME.test.ts: Node 20's
// test runner does not expand ** itself, and listing the sources leaves out stale files in dist/ from moved tests.
// --unit leaves out test/e2e/ (the tests that start the built bundle), --e2e lists only those.
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Test sources under test/, relative to the repository, sorted; fixtures hold data, never tests. */
export function testSources(root = ROOT) {
  const out = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory() && r !== 'test/fixtures') walk(r);
      else if (e.isFile() && e.name.endsWith('.test.ts')) out.push(r);
    }
  };
  walk('test');
  return out.sort();
}

/**
 * The files that take longest, longest first (seconds of one file's tests in a two-lane run of the suite on the
 * project's 2-core machine, 2026-12-07). The runner starts files in the order given, two at a time: a long file
 * started last would run alone at the end while the other lane idles, so these start first and the many short
 * files fill in beside them. Only the order changes; a file missing from this list runs after them.
 */
export const SLOW_FIRST = [
  'test/e2e/package.test.ts', // 47: dpkg-deb, rpmbuild, lintian, rpmlint, a debootstrapped install, qemu
  'test/fleet/store/postgres.test.ts', // 24: a real PostgreSQL restarted and hung under load
  'test/fleet/dashboard/pictures.test.ts', // 22: Chromium
  'test/image/fuzz-sif-ext.test.ts', // 20: two 9 s CPU budgets
  'test/fleet/store/store.test.ts', // 18: the store contract on SQLite and PostgreSQL
  'test/advisories/db-import-attacks.test.ts', // 16: 400 MiB and 65,536-entry exports
  'test/gate/gate.test.ts', // 14: watchdogs and timeouts
  'test/image/decompress/decompress.test.ts', // 13: every xz, zstd, lz4 and lzo variant
  'test/image/tar/fuzz-tar.test.ts', // 12: CPU budget
  'test/fleet/dashboard/dashboard.test.ts', // 12: Chromium
  'test/run/run.test.ts', // 11: bubblewrap
  'test/gate/slurm.test.ts', // 8: a real Slurm
  'test/e2e/agent-bundle.test.ts', // 8: the bundle and the single executable
];

/** The runner's order: SLOW_FIRST, then the rest sorted. */
export function runOrder(sources) {
  const slow = SLOW_FIRST.filter((f) => sources.includes(f));
  return [...slow, ...sources.filter((f) => !slow.includes(f))];
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const only = process.argv[2];
  if (only !== undefined && only !== '--unit' && only !== '--e2e') {
    process.stderr.write(`test-files: unknown option ${only} (--unit or --e2e)\n`);
    process.exit(2);
  }
  const files = runOrder(testSources()).filter((f) =>
    only === '--unit' ? !f.startsWith('test/e2e/') : only === '--e2e' ? f.startsWith('test/e2e/') : true,
  );
  process.stdout.write(files.map((f) => `dist/${f.replace(/\.ts$/, '.js')}\n`).join(''));
}
