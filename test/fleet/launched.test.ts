// A launcher (srun, pdsh) stopped at the collector's timeout or by a signal ends with everything it started, even
// when it ignores SIGTERM; one that ends on its own is read to the end, but not waited on for ever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CollectionStop, runLauncher, spawnLauncher } from '../../src/fleet/launched.js';
import { processGone as gone } from '../helpers/process-gone.js';

/** A launcher that prints the pid of a `sleep 30` it leaves holding its pipes, after SCRIPT. */
async function withLeftover(script: string) {
  const child = spawnLauncher('sh', ['-c', `${script}; sleep 30 & echo $!; wait`], process.env);
  child.stdout.setEncoding('utf8');
  const sleeper = Number(await new Promise<string>((r) => child.stdout.once('data', r)));
  return { child, sleeper };
}

test('runLauncher: a stop sends SIGTERM, then SIGKILL, to the launcher and what it started', async () => {
  // Ignores SIGTERM, and so does its child (sleep inherits the ignored disposition).
  const { child, sleeper } = await withLeftover('trap "" TERM');
  const stop = new AbortController();
  const t0 = Date.now();
  const ended = runLauncher(child, 'sh', stop.signal, 300);
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
  const ended = runLauncher(child, 'sh', stop.signal, 20_000);
  stop.abort();
  assert.equal(await ended, null);
  assert.equal(child.signalCode, 'SIGTERM');
  assert.ok(Date.now() - t0 < 1_900);
  assert.ok(await gone(sleeper));
});

test('runLauncher: after an exit of its own, what is still written is read; a silent leftover is let go after 2 s', async () => {
  // Exits at once; a leftover writes one more line a second later, and a sleep holds the pipes.
  const child = spawnLauncher(
    'sh',
    ['-c', 'echo first; (sleep 1; echo late) & sleep 30 & echo $!'],
    process.env,
  );
  child.stdout.setEncoding('utf8');
  let out = '';
  child.stdout.on('data', (c: string) => (out += c));
  const t0 = Date.now();
  assert.equal(await runLauncher(child, 'sh', new AbortController().signal), 0);
  const took = Date.now() - t0;
  assert.ok(
    took >= 2_900 && took < 6_000,
    `ended after ${took} ms: 2 s after the last line, a second after the exit`,
  );
  assert.match(out, /^first\n\d+\nlate\n$/, 'the line written after the exit was read');
  const sleeper = Number(/\n(\d+)\n/.exec(out)![1]);
  assert.ok(await gone(sleeper), 'the leftover holding the pipes was sent SIGTERM');
});

test('runLauncher: a leftover in a session of its own that writes for ever holds the collection for the grace at most', async () => {
  const child = spawnLauncher(
    'sh',
    ['-c', "setsid sh -c 'echo $$; while :; do echo tick; sleep 0.2; done' & sleep 0.3"],
    process.env,
  );
  child.stdout.setEncoding('utf8');
  let out = '';
  child.stdout.on('data', (c: string) => (out += c));
  const t0 = Date.now();
  assert.equal(await runLauncher(child, 'sh', new AbortController().signal, 300), 0);
  const took = Date.now() - t0;
  const writer = Number(out.split('\n')[0]);
  try {
    // Exit at 0.3 s; 2 s of reading (the grace, 0.3 s, is less than the pipes' own 2 s) although it never fell silent.
    assert.ok(took >= 2_000 && took < 5_000, `ended after ${took} ms`);
    assert.match(out, /(tick\n){5,}/);
  } finally {
    process.kill(writer, 'SIGKILL');
  }
});

test('runLauncher: a launcher that ends on its own is not signalled afterwards', async () => {
  const child = spawnLauncher('true', [], process.env);
  const stop = new AbortController();
  assert.equal(await runLauncher(child, 'true', stop.signal, 100), 0);
  stop.abort();
  assert.equal(child.signalCode, null);
});

test('runLauncher: a launcher that is not installed is one line', async () => {
  const child = spawnLauncher('ctrsafe-no-such-launcher', [], process.env);
  await assert.rejects(runLauncher(child, 'srun', new AbortController().signal), {
    message: 'srun is not installed or not on PATH',
  });
});

test('CollectionStop: the timeout or a signal, named; a signal after the timeout is named too; close leaves nothing', async () => {
  const before = process.listeners('SIGHUP').length;
  const bySignal = new CollectionStop(60_000);
  assert.equal(process.listeners('SIGHUP').length, before + 1);
  assert.equal(bySignal.stopped(), null);
  const aborted = new Promise((r) => bySignal.signal.addEventListener('abort', r, { once: true }));
  process.kill(process.pid, 'SIGHUP');
  await aborted;
  assert.deepEqual(bySignal.stopped(), { by: 'signal', signal: 'SIGHUP' });
  bySignal.close();
  assert.equal(process.listeners('SIGHUP').length, before);

  const byTime = new CollectionStop(50);
  await new Promise((r) => byTime.signal.addEventListener('abort', r, { once: true }));
  assert.deepEqual(byTime.stopped(), { by: 'timeout' });
  process.kill(process.pid, 'SIGHUP');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(byTime.stopped(), { by: 'signal', signal: 'SIGHUP' }, 'the exit status will say so');
  byTime.close();
  assert.equal(process.listeners('SIGHUP').length, before);
});

test('CollectionStop: a second Ctrl-C SIGKILLs the launchers and what they started, then ends ctrsafe by SIGINT', async () => {
  // A collector in a process of its own: its launcher ignores SIGTERM, and the grace is a minute.
  const launchedJs = new URL('../../src/fleet/launched.js', import.meta.url).href;
  const script = `
    const { CollectionStop, runLauncher, spawnLauncher } = await import(${JSON.stringify(launchedJs)});
    const stop = new CollectionStop(60000);
    const child = spawnLauncher('sh', ['-c', 'trap "" TERM; sleep 30 & echo $! $$; wait'], process.env);
    child.stdout.pipe(process.stdout);
    await runLauncher(child, 'sh', stop.signal, 60000);
    stop.close();
    console.log('ended without the second signal');
  `;
  const collector = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  collector.stdout.setEncoding('utf8');
  const [sleeper, sh] = (await new Promise<string>((r) => collector.stdout.once('data', r)))
    .trim()
    .split(' ')
    .map(Number) as [number, number];
  const ended = new Promise<NodeJS.Signals | null>((r) => collector.once('exit', (_c, sig) => r(sig)));
  const t0 = Date.now();
  collector.kill('SIGINT');
  // The first one: SIGTERM, ignored; both still run.
  assert.equal(await gone(sh, 500), false);
  collector.kill('SIGINT');
  assert.equal(await ended, 'SIGINT');
  const took = Date.now() - t0;
  // Not at once: srun gets 2 s after the first signal's SIGTERM to cancel its job with slurmctld.
  assert.ok(took >= 1_900 && took < 6_000, `ended ${took} ms after the first Ctrl-C`);
  assert.ok(await gone(sh), 'the launcher was killed');
  assert.ok(await gone(sleeper), 'what it started was killed');
});
