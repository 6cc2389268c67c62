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

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const only = process.argv[2];
  if (only !== undefined && only !== '--unit' && only !== '--e2e') {
    process.stderr.write(`test-files: unknown option ${only} (--unit or --e2e)\n`);
    process.exit(2);
  }
  const files = testSources().filter((f) =>
    only === '--unit' ? !f.startsWith('test/e2e/') : only === '--e2e' ? f.startsWith('test/e2e/') : true,
  );
  for (const f of files) process.stdout.write(`dist/${f.replace(/\.ts$/, '.js')}\n`);
}
