// The processes a launcher started are found through /proc, in any session, and only the very process is signalled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { descendantsOf, signalIfSame } from '../../src/fleet/process-tree.js';
import { processGone } from '../helpers/process-gone.js';

test('descendantsOf finds children and grandchildren in sessions of their own; signalIfSame spares a reused pid', async () => {
  // sh, and below it a sleep in a new session (as pdsh starts each command), which prints its pid.
  const child = spawn('sh', ['-c', 'setsid sh -c "echo \\$\\$; exec sleep 30" & wait'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  child.stdout.setEncoding('utf8');
  const grandchild = Number(await new Promise<string>((r) => child.stdout.once('data', r)));
  const found = descendantsOf(child.pid!);
  const pids = found.map((p) => p.pid);
  assert.ok(pids.includes(grandchild), `${grandchild} in ${pids.join(' ')}`);
  assert.ok(!pids.includes(child.pid!), 'the root itself is not listed');
  assert.deepEqual(descendantsOf(grandchild), [], 'sleep started nothing');
  const ref = found.find((p) => p.pid === grandchild)!;
  // Listened for now: sh ends as soon as its child is killed, perhaps before the polls below return.
  const closed = new Promise((r) => child.once('close', r));
  // The same pid with another start time is another process: left alone.
  signalIfSame({ pid: grandchild, start: `${ref.start}0` }, 'SIGKILL');
  assert.equal(await processGone(grandchild, 300), false);
  signalIfSame(ref, 'SIGKILL');
  assert.ok(await processGone(grandchild));
  await closed;
  // A pid that is gone: nothing, and no throw.
  signalIfSame(ref, 'SIGKILL');
  assert.deepEqual(descendantsOf(grandchild), []);
});
