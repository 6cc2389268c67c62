// The progress line: its text, its pace, and silence where no one watches (a pipe, a log, --quiet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProgress, progressLine } from '../../src/cli/progress.js';

test('the text: bytes, rate and elapsed time; with a total, percent and time left', () => {
  assert.equal(
    formatProgress('unpacking a.sif', 3 * 1024 ** 3, null, 60_000),
    'unpacking a.sif: 3.0G, 51.2M/s, 1:00',
  );
  assert.equal(
    formatProgress('db update', 512 * 1024 ** 2, 2048 * 1024 ** 2, 10_000),
    'db update: 25% of 2.0G, 51.2M/s, 0:30 left',
  );
  assert.equal(formatProgress('x', 0, 100, 0), 'x: 0% of 100B, 0B/s, ? left');
  // db update counts records, not bytes.
  assert.equal(
    formatProgress('reading all.zip', 41_250, null, 12_500, 'records'),
    'reading all.zip: 41,250 records, 3,300/s, 0:13',
  );
  assert.equal(formatProgress('r', 1, 4, 1000, 'records'), 'r: 25% of 4 records, 1/s, 0:03 left');
});

test('on a terminal: at most four updates a second, cleared at the end; nothing on a pipe or with --quiet', () => {
  let t = 0;
  const written: string[] = [];
  const tty = { isTTY: true, write: (s: string) => written.push(s) };
  const p = progressLine({ stderr: tty }, 'sanitizing big.tar', null, { now: () => t });
  for (let i = 0; i < 40; i++) {
    t += 50;
    p.add(1024 * 1024);
  }
  p.done();
  assert.equal(written.length, 2000 / 250 + 1, written.join('|'));
  assert.equal(written[0], '\rsanitizing big.tar: 5.0M, 20.0M/s, 0:00\x1b[K');
  assert.equal(written.at(-1), '\r\x1b[K');
  const quiet: string[] = [];
  const q = progressLine({ stderr: { isTTY: true, write: (s: string) => quiet.push(s) } }, 'x', null, {
    quiet: true,
    now: () => (t += 1000),
  });
  q.add(1);
  q.add(1);
  q.done();
  const pipe: string[] = [];
  const n = progressLine({ stderr: { write: (s: string) => pipe.push(s) } }, 'x', null, {
    now: () => (t += 1000),
  });
  n.add(1);
  n.add(1);
  n.done();
  assert.deepEqual([quiet, pipe], [[], []]);
});
