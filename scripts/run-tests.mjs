// Runs the test files in the order given, N at a time: `node --test FILE...` sorts the files it is given, which
// would start the slowest ones (scripts/test-files.mjs, SLOW_FIRST) wherever their names fall. The same runner
// (node:test's run(), one process per file) and the reporter node --test would choose: TAP on Node 20 without a
// terminal, spec otherwise. Exit 1 when a test failed, as node --test does.
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';

const args = process.argv.slice(2);
let concurrency = 2;
if (args[0]?.startsWith('--concurrency=')) concurrency = Number(args.shift().slice('--concurrency='.length));
if (!Number.isInteger(concurrency) || concurrency < 1 || args.length === 0) {
  process.stderr.write('usage: run-tests.mjs [--concurrency=N] FILE...\n');
  process.exit(2);
}

const major = Number(process.versions.node.split('.')[0]);
const useSpec = major >= 23 || process.stdout.isTTY;
let failed = false;
const stream = run({ files: args, concurrency });
stream.on('test:fail', (data) => {
  // A todo test that fails is expected to (node --test does not fail the run for it either).
  if (data.todo === undefined || data.todo === false) failed = true;
});
stream.on('end', () => {
  if (failed) process.exitCode = 1;
});
stream.compose(useSpec ? new spec() : tap).pipe(process.stdout);
