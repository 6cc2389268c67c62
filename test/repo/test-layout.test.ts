// Tests mirror src/ (issue 17.4): a test sits in the folder of the src/ module it tests, so the next one added lands
// where its code is. Outside that rule: e2e/ (tests that start the built bundle), repo/ (checks of the repository as a
// whole), helpers/ (code the tests share) and fixtures/ (data). The runner is given every test file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO } from '../helpers/tree.js';

/** Every file under test/ (fixtures left out: they are data), relative to test/. */
function testTree(): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(REPO, 'test', rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (r !== 'fixtures') walk(r);
      } else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** Whether a test file (relative to test/) sits outside the layout: each test in the folder of its src/ module. */
function misplaced(file: string): boolean {
  const dir = path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file);
  const top = dir.split('/')[0]!;
  if (top === 'e2e' || top === 'repo') return dir !== top;
  if (top === 'helpers' || top === 'fixtures') return true;
  return dir === '' || !fs.statSync(path.join(REPO, 'src', dir), { throwIfNoEntry: false })?.isDirectory();
}

test('every test file sits in a folder that exists under src/, or in e2e/ or repo/', () => {
  const tests = testTree().filter((f) => f.endsWith('.test.ts'));
  assert.ok(tests.length >= 90, `${tests.length} test files found`);
  assert.deepEqual(
    tests.filter(misplaced),
    [],
    'move each to test/<folder of its src/ module>/ (or test/e2e/ if it starts the bundle)',
  );
});

test('the layout check finds a misplaced test: at the top of test/, in a folder src/ lacks, among helpers', () => {
  for (const f of ['cli.test.ts', 'fleet/serverx/api.test.ts', 'helpers/x.test.ts', 'e2e/cli/x.test.ts'])
    assert.equal(misplaced(f), true, f);
  for (const f of ['fleet/server/api.test.ts', 'cli/cli.test.ts', 'e2e/package.test.ts', 'repo/x.test.ts'])
    assert.equal(misplaced(f), false, f);
});

test('only test files, helpers and their data sit under test/ outside fixtures/', () => {
  // The one exception: the tsconfig of the test whose callbacks run in Chromium (the DOM's globals, which the rest
  // of the tree compiles without).
  const other = testTree().filter(
    (f) =>
      !f.endsWith('.test.ts') &&
      !f.startsWith('helpers/') &&
      !f.startsWith('fixtures/') &&
      f !== 'fleet/dashboard/tsconfig.json',
  );
  assert.deepEqual(other, [], 'a helper goes to test/helpers/, data to test/fixtures/');
});

test('the runner is given every test file, in both the unit and the e2e lists', () => {
  const list = (...args: string[]): string[] => {
    const r = spawnSync(process.execPath, [path.join(REPO, 'scripts/test-files.mjs'), ...args], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  const expected = testTree()
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `dist/test/${f.replace(/\.ts$/, '.js')}`);
  assert.deepEqual(list(), expected);
  const unit = list('--unit');
  const e2e = list('--e2e');
  assert.deepEqual([...unit, ...e2e].sort(), expected);
  assert.ok(e2e.length > 0 && e2e.every((f) => f.startsWith('dist/test/e2e/')), e2e.join(' '));
  // Each listed file was compiled: a test the build leaves out would otherwise pass by not running.
  const missing = expected.filter((f) => !fs.existsSync(path.join(REPO, f)));
  assert.deepEqual(missing, []);
  const script = fs.readFileSync(path.join(REPO, 'scripts/test.sh'), 'utf8');
  assert.doesNotMatch(
    script,
    /dist\/test\/\*/,
    'test.sh lists the files with scripts/test-files.mjs, not a glob',
  );
  // The main pass runs every file; the pass on the machine's Node runs the files whose code differs there, each of
  // which exists, and never the package tests (their packages embed Node 24 whichever Node runs them).
  assert.match(script, /"\$NODE24" --test --test-concurrency="\$JOBS" "\$\{TESTS\[@\]\}"/);
  assert.match(script, /node --test --test-concurrency="\$JOBS" "\$\{LINE_TESTS\[@\]\}"/);
  const lines = list('--node-line');
  assert.ok(lines.length >= 5, lines.join(' '));
  assert.ok(!lines.includes('dist/test/e2e/package.test.js'));
  assert.ok(
    lines.includes('dist/test/fleet/store/store.test.js'),
    "the store's contract suite on better-sqlite3",
  );
});
