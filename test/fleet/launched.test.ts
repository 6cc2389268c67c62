// A launcher (srun, pdsh) stopped at the collector's timeout or by a signal ends with everything it started, even
// when it ignores SIGTERM; one that ends on its own is read to the end, but not waited on for ever.
import { test } from 'node:test';
import { getEventListeners } from 'node:events';
import assert from 'node:assert/strict';
import { runLauncher, spawnLauncher } from '../../src/fleet/launched.js';
import { processGone as gone } from '../helpers/process-gone.js';

/** A launcher that prints the pid of a `sleep 30` it leaves holding its pipes, after SCRIPT. */
async function withLeftover(script: string) {
  const child = spawnLauncher('sh', ['-c', `${script}; sleep 30 & echo $!; wait`], process.env);
  child.stdout.setEncoding('utf8');
  const sleeper = Number(await new Promise<string>((r) => child.stdout.once('data', r)));
  return { child, sleeper };
}

/** sh -c SCRIPT started as a launcher, and what it has written to its standard output so far. */
function launchSh(script: string) {
  const child = spawnLauncher('sh', ['-c', script], process.env);
  child.stdout.setEncoding('utf8');
  let out = '';
  child.stdout.on('data', (c: string) => (out += c));
  return { child, out: () => out };
}

test('runLauncher: a stop sends SIGTERM, then SIGKILL, to the launcher and what it started', async () => {
  // Ignores SIGTERM, and so does its child (sleep inherits the ignored disposition).
  const { child, sleeper } = await withLeftover('trap "" TERM');
  const stop = new AbortController();
  const t0 = Date.now();
  const ended = runLauncher(child, 'sh', { stop: stop.signal, graceMs: 300 });
  stop.abort();
  const code = await ended;
  const took = Date.now() - t0;
  assert.equal(code, null);
  assert.equal(child.signalCode, 'SIGKILL', 'SIGTERM was ignored');
  assert.ok(took >= 300 && took < 1_900, `ended after ${took} ms: the grace, not the pipes' 2 s`);
  assert.ok(await gone(sleeper), 'the process the launcher started was killed with it');
});

test('runLauncher: a launcher that takes SIGTERM takes its children with it, without waiting for the grace', async () => {
  const { child, sleeper } = await withLeftover('true');
  const stop = new AbortController();
  const t0 = Date.now();
  const ended = runLauncher(child, 'sh', { stop: stop.signal, graceMs: 20_000 });
  stop.abort();
  assert.equal(await ended, null);
  assert.equal(child.signalCode, 'SIGTERM');
  assert.ok(Date.now() - t0 < 1_900);
  assert.ok(await gone(sleeper));
});

test('runLauncher: after an exit of its own, what is still written is read; a silent leftover is let go after 2 s', async () => {
  // Exits at once; a leftover writes one more line a second later, and a sleep holds the pipes.
  const { child, out } = launchSh('echo first; (sleep 1; echo late) & sleep 30 & echo $!');
  const t0 = Date.now();
  assert.equal(await runLauncher(child, 'sh', { stop: new AbortController().signal }), 0);
  const took = Date.now() - t0;
  assert.ok(
    took >= 2_900 && took < 6_000,
    `ended after ${took} ms: 2 s after the last line, a second after the exit`,
  );
  assert.match(out(), /^first\n\d+\nlate\n$/, 'the line written after the exit was read');
  const sleeper = Number(/\n(\d+)\n/.exec(out())![1]);
  assert.ok(await gone(sleeper), 'the leftover holding the pipes was sent SIGTERM');
});

test('runLauncher: a leftover in a session of its own that writes for ever holds the collection for the grace at most', async () => {
  const { child, out } = launchSh(
    "setsid sh -c 'echo $$; while :; do echo tick; sleep 0.2; done' & sleep 0.3",
  );
  const t0 = Date.now();
  assert.equal(await runLauncher(child, 'sh', { stop: new AbortController().signal, graceMs: 300 }), 0);
  const took = Date.now() - t0;
  const writer = Number(out().split('\n')[0]);
  try {
    // Exit at 0.3 s; 2 s of reading (the grace, 0.3 s, is less than the pipes' own 2 s) although it never fell silent.
    assert.ok(took >= 2_000 && took < 5_000, `ended after ${took} ms`);
    assert.match(out(), /(tick\n){5,}/);
  } finally {
    try {
      process.kill(writer, 'SIGKILL');
    } catch {
      // Already ended: its next echo met the closed pipe (SIGPIPE) and a reaping init took it.
    }
  }
});

test('runLauncher: a launcher that ends on its own is not signalled afterwards', async () => {
  const child = spawnLauncher('true', [], process.env);
  const stop = new AbortController();
  assert.equal(await runLauncher(child, 'true', { stop: stop.signal, graceMs: 100 }), 0);
  // Nothing of it is left listening: a later stop (the collection's timeout) reaches no process of this launcher.
  assert.deepEqual(getEventListeners(stop.signal, 'abort'), []);
  assert.equal(child.listenerCount('exit'), 0);
  stop.abort();
  assert.equal(child.signalCode, null);
});

test('runLauncher: a launcher that is not installed is one line', async () => {
  const child = spawnLauncher('ctrsafe-no-such-launcher', [], process.env);
  await assert.rejects(runLauncher(child, 'srun', { stop: new AbortController().signal }), {
    message: 'srun is not installed or not on PATH',
  });
});
