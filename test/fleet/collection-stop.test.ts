// A collection stops at its timeout or at a signal to ctrsafe, names which, and leaves nothing installed; a second
// Ctrl-C ends ctrsafe, killing the launchers and what they started, but not before srun could cancel its job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CollectionStop, stoppedText } from '../../src/fleet/collection-stop.js';
import { processGone as gone } from '../helpers/process-gone.js';

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
  assert.deepEqual(
    [stoppedText({ by: 'timeout' }), stoppedText({ by: 'signal', signal: 'SIGINT' })],
    ['at the timeout', 'by SIGINT'],
  );
});

test('CollectionStop: a second Ctrl-C SIGKILLs the launchers and what they started, then ends ctrsafe by SIGINT', async () => {
  // A collector in a process of its own: its launcher ignores SIGTERM, and the grace is a minute.
  const launchedJs = new URL('../../src/fleet/launched.js', import.meta.url).href;
  const stopJs = new URL('../../src/fleet/collection-stop.js', import.meta.url).href;
  const script = `
    const { runLauncher, spawnLauncher } = await import(${JSON.stringify(launchedJs)});
    const { CollectionStop } = await import(${JSON.stringify(stopJs)});
    const stop = new CollectionStop(60000);
    const child = spawnLauncher('sh', ['-c', 'trap "" TERM; sleep 30 & echo $! $$; wait'], process.env);
    child.stdout.pipe(process.stdout);
    await runLauncher(child, 'sh', { stop: stop.signal, graceMs: 60000, lastResort: stop.lastResort });
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
