// A launcher (srun, pdsh) stopped at the collector's timeout ends, even when it ignores SIGTERM and leaves a
// process holding its pipes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { launched, stopOnAbort } from '../../src/fleet/launched.js';

test('stopOnAbort: SIGTERM, then SIGKILL; pipes a leftover process holds are let go, so waiting ends', async () => {
  // Ignores SIGTERM, and its child (sleep) keeps stdout and stderr open long after it is killed.
  const child = spawn('sh', ['-c', 'trap "" TERM; sleep 30 & echo $!; wait'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8');
  const sleeper = Number(await new Promise<string>((r) => child.stdout.once('data', r)));
  const stop = new AbortController();
  const undo = stopOnAbort(child, stop.signal, 300);
  const t0 = Date.now();
  stop.abort();
  const code = await launched(child, 'sh').finally(undo);
  const took = Date.now() - t0;
  assert.equal(code, null);
  assert.equal(child.signalCode, 'SIGKILL', 'SIGTERM was ignored');
  assert.ok(took >= 300 && took < 10_000, `ended after ${took} ms (0.3 s grace, 2 s for the pipes)`);
  process.kill(sleeper);
});

test('stopOnAbort: a launcher that ends on its own is not signalled afterwards', async () => {
  const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = new AbortController();
  const undo = stopOnAbort(child, stop.signal, 100);
  assert.equal(await launched(child, 'true').finally(undo), 0);
  stop.abort();
  assert.equal(child.signalCode, null);
});
