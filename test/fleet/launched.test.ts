// A launcher (srun, pdsh) stopped at the collector's timeout or by a signal ends with everything it started, even
// when it ignores SIGTERM; one that ends on its own is waited for, but not for ever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abortOnSignals, launched, spawnLauncher, stopOnAbort } from '../../src/fleet/launched.js';
import { processGone as gone } from '../helpers/process-gone.js';

/** A launcher that prints the pid of a `sleep 30` it leaves holding its pipes, after SCRIPT. */
async function withLeftover(script: string) {
  const child = spawnLauncher('sh', ['-c', `${script}; sleep 30 & echo $!; wait`], process.env);
  child.stdout.setEncoding('utf8');
  const sleeper = Number(await new Promise<string>((r) => child.stdout.once('data', r)));
  return { child, sleeper };
}

test('stopOnAbort: SIGTERM, then SIGKILL, to the launcher and what it started', async () => {
  // Ignores SIGTERM, and so does its child (sleep inherits the ignored disposition).
  const { child, sleeper } = await withLeftover('trap "" TERM');
  const stop = new AbortController();
  const undo = stopOnAbort(child, stop.signal, 300);
  const t0 = Date.now();
  stop.abort('at the timeout');
  const code = await launched(child, 'sh').finally(undo);
  const took = Date.now() - t0;
  assert.equal(code, null);
  assert.equal(child.signalCode, 'SIGKILL', 'SIGTERM was ignored');
  assert.ok(took >= 300 && took < 1_900, `ended after ${took} ms: the grace, not the pipes' 2 s`);
  assert.ok(await gone(sleeper), 'the process the launcher started was killed with it');
});

test('stopOnAbort: a launcher that takes SIGTERM takes its children with it, without waiting for the grace', async () => {
  const { child, sleeper } = await withLeftover('true');
  const stop = new AbortController();
  const undo = stopOnAbort(child, stop.signal, 20_000);
  const t0 = Date.now();
  stop.abort();
  assert.equal(await launched(child, 'sh').finally(undo), null);
  assert.equal(child.signalCode, 'SIGTERM');
  assert.ok(Date.now() - t0 < 1_900);
  assert.ok(await gone(sleeper));
});

test('launched: a launcher that exits on its own is waited for 2 s past its exit, not for a leftover holding its pipes', async () => {
  const child = spawnLauncher('sh', ['-c', 'sleep 30 & echo $!'], process.env);
  child.stdout.setEncoding('utf8');
  let out = '';
  child.stdout.on('data', (c: string) => (out += c));
  const t0 = Date.now();
  assert.equal(await launched(child, 'sh'), 0);
  const took = Date.now() - t0;
  assert.ok(took >= 1_900 && took < 5_000, `ended after ${took} ms`);
  const sleeper = Number(out.trim());
  assert.ok(sleeper > 0, `sleep's pid was read before the pipes were let go: ${JSON.stringify(out)}`);
  // Left running (it ended on its own: nothing was stopped) until the timeout stops the group.
  assert.equal(await gone(sleeper, 300), false);
  const stop = new AbortController();
  const undo = stopOnAbort(child, stop.signal, 300);
  stop.abort();
  assert.ok(await gone(sleeper), 'a stop after the launcher exited still kills what it left');
  undo();
});

test('stopOnAbort: a launcher that ends on its own is not signalled afterwards', async () => {
  const child = spawnLauncher('true', [], process.env);
  const stop = new AbortController();
  const undo = stopOnAbort(child, stop.signal, 100);
  assert.equal(await launched(child, 'true').finally(undo), 0);
  stop.abort();
  assert.equal(child.signalCode, null);
});

test('launched: a launcher that is not installed is one line', async () => {
  const child = spawnLauncher('ctrsafe-no-such-launcher', [], process.env);
  await assert.rejects(launched(child, 'srun'), { message: 'srun is not installed or not on PATH' });
});

test('abortOnSignals: SIGHUP stops the collection with its name; after undo it is not caught', async () => {
  const before = process.listeners('SIGHUP');
  const stop = new AbortController();
  const undo = abortOnSignals(stop);
  const aborted = new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }));
  process.kill(process.pid, 'SIGHUP');
  await aborted;
  assert.equal(stop.signal.reason, 'by SIGHUP');
  undo();
  // The second signal is left to end ctrsafe: one handler that raises it again, nothing that swallows it.
  const added = process.listeners('SIGHUP').filter((l) => !before.includes(l));
  assert.equal(added.length, 1);
  for (const l of added) process.removeListener('SIGHUP', l);
  // Undone before a signal: nothing of it is left.
  const other = new AbortController();
  const ints = process.listeners('SIGINT').length;
  abortOnSignals(other)();
  assert.equal(process.listeners('SIGINT').length, ints);
  assert.deepEqual(
    process.listeners('SIGHUP').filter((l) => !before.includes(l)),
    [],
  );
  assert.equal(other.signal.aborted, false);
});
