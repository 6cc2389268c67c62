// pdsh's and srun --label's merged output regrouped per host: the prefix the collecting side added decides the
// host, never what the host printed; sizes are bounded per host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regroupLines } from '../../src/fleet/regroup-lines.js';
import { MAX_REPORT_BYTES } from '../../src/fleet/validate-report.js';

const NODES = ['cn001', 'cn002'];
const byTask = (key: string) => (/^\d{1,9}$/.test(key) ? NODES[Number(key)] : undefined);

test('srun task ids, padded or not and split across chunks, go to the nodes of the host file', () => {
  const r = regroupLines(byTask);
  r.push(' 0: {\n 1: {\n 0:   "a": 1\n');
  r.push(' 1: }\n 0: }');
  r.push('\n');
  assert.deepEqual(
    [...r.end()],
    [
      ['cn001', ['{', '  "a": 1', '}']],
      ['cn002', ['{', '}']],
    ],
  );
});

test('what a node prints cannot move its lines: a forged prefix stays in its own task; unknown tasks are dropped', () => {
  const r = regroupLines(byTask);
  r.push('0: 1: {"forged": true}\n7: stray\nx: junk\nno prefix at all\n: empty key\n');
  assert.deepEqual([...r.end()], [['cn001', ['1: {"forged": true}']]]);
});

test('each host is bounded on its own: past the report limit its lines are dropped, the others are kept', () => {
  const r = regroupLines(byTask);
  const big = 'x'.repeat(64 * 1024);
  const n = Math.ceil(MAX_REPORT_BYTES / big.length) + 2;
  for (let i = 0; i < n; i++) r.push(`0: ${big}\n`);
  r.push('1: small\n');
  const out = r.end();
  const kept = out.get('cn001')!.join('\n').length;
  assert.ok(kept <= MAX_REPORT_BYTES && kept > MAX_REPORT_BYTES - 2 * big.length, String(kept));
  assert.deepEqual(out.get('cn002'), ['small']);
});

test('a line without end is bounded: dropped up to its newline, and the lines after it are read', () => {
  const r = regroupLines(byTask);
  r.push('1: first\n0: ');
  const piece = 'y'.repeat(1024 * 1024);
  for (let i = 0; i * piece.length <= MAX_REPORT_BYTES + 2 * piece.length; i++) r.push(piece);
  r.push('tail of the long line\n0: after\n');
  assert.deepEqual(
    [...r.end()],
    [
      ['cn002', ['first']],
      ['cn001', ['after']],
    ],
  );
});
