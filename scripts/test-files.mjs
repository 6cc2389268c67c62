// Prints the compiled test files (dist/test/.../NAME.test.js), one a line, for every test/**/NAME.test.ts: Node 20's
// test runner does not expand ** itself, and listing the sources leaves out stale files in dist/ from moved tests.
// --unit leaves out test/e2e/ (the tests that start the built bundle), --e2e lists only those. --node-line lists the
// files whose code takes another path on another Node, for scripts/test.sh's pass on the machine's Node.
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
 * The files whose code takes another path on another Node, beyond the language and Node API the compiler holds to
 * Node 20's (tsconfig lib ES2022, @types/node 20): the fleet store's contract suite and the fleet server under
 * attack (better-sqlite3 where its addon loads, built for the machine's Node, else node:sqlite; the server's memory
 * and latency bounds), the clients of Node's own fetch (undici, which each Node line bundles), the SIF signature
 * checks (Node's crypto on the OpenSSL each line bundles), and the bundle as `npm install` users start it (alone in
 * a directory, the live check). The node-lines and compile-cache tests run the machine's Node from the main pass
 * (CTRSAFE_TEST_MACHINE_NODE); the package tests build packages that embed Node 24 whichever Node runs them.
 */
export const NODE_LINE_FILES = [
  'test/advisories/sources/fetch-changelogs.test.ts',
  'test/e2e/agent-bundle.test.ts',
  'test/e2e/live-check.test.ts',
  'test/fleet/push.test.ts',
  'test/fleet/server/attacks.test.ts',
  'test/fleet/store/durability.test.ts',
  'test/fleet/store/node-sqlite.test.ts',
  'test/fleet/store/storage.test.ts',
  'test/fleet/store/store.test.ts',
  'test/image/sif/keyring.test.ts',
  'test/image/sif/signature-attacks.test.ts',
  'test/image/sif/signatures.test.ts',
];

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const only = process.argv[2];
  if (only !== undefined && only !== '--unit' && only !== '--e2e' && only !== '--node-line') {
    process.stderr.write(`test-files: unknown option ${only} (--unit, --e2e or --node-line)\n`);
    process.exit(2);
  }
  const all = testSources();
  const gone = NODE_LINE_FILES.filter((f) => !all.includes(f));
  if (gone.length > 0) {
    // A moved or removed file would otherwise drop out of the machine's Node's pass without a word.
    process.stderr.write(`test-files: NODE_LINE_FILES names files that do not exist: ${gone.join(' ')}\n`);
    process.exit(1);
  }
  const files = all.filter((f) =>
    only === '--unit'
      ? !f.startsWith('test/e2e/')
      : only === '--e2e'
        ? f.startsWith('test/e2e/')
        : only === '--node-line'
          ? NODE_LINE_FILES.includes(f)
          : true,
  );
  for (const f of files) process.stdout.write(`dist/${f.replace(/\.ts$/, '.js')}\n`);
}
