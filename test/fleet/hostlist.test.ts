// Slurm hostlist syntax both ways, checked against scontrol's documented forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compressHostlist, expandHostlist } from '../../src/fleet/hostlist.js';

test('expand: ranges, lists, zero padding, suffixes, plain names', () => {
  assert.deepEqual(expandHostlist('node[001-003,007]'), ['node001', 'node002', 'node003', 'node007']);
  assert.deepEqual(expandHostlist('gpu[8-10]-ib,login1'), ['gpu8-ib', 'gpu9-ib', 'gpu10-ib', 'login1']);
  assert.deepEqual(expandHostlist('node[001-120,122]').length, 121);
});

test('expand refuses malformed lists with one clear line', () => {
  for (const bad of ['node[1-', 'node[3-1]', 'node[a-b]', 'no de1', 'n[1-2][3-4]', 'x[0-2000000]'])
    assert.throws(
      () => expandHostlist(bad),
      (e: Error) => !e.message.includes('\n'),
      bad,
    );
});

test('compress is the inverse of expand', () => {
  const hosts = [...expandHostlist('node[001-120,122]'), 'login1', 'gpu07', 'gpu08'];
  assert.equal(compressHostlist(hosts), 'gpu[07-08],login1,node[001-120,122]');
  assert.deepEqual(expandHostlist(compressHostlist(hosts)).sort(), [...hosts].sort());
});
