// Planning a Slurm collection from sinfo's answer: which partition each node's task is submitted in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choosePartitions, parseSinfoNodes } from '../../src/fleet/collect-slurm.js';

// As `sinfo -h -N -o "%N %T %R %a"` prints it: a node once per partition it is in.
const SINFO = `cn001 idle compute up
cn001 idle all up
cn002 mixed compute up
cn002 mixed all up
gpu01 allocated gpu up
gpu01 allocated all up
old01 idle legacy down
cn003 IDLE debug inact
cn003 IDLE compute up
dead01 down* compute up
`;

test('sinfo: each node once, its state, and only the partitions that take jobs', () => {
  const nodes = parseSinfoNodes(SINFO);
  assert.deepEqual([...nodes.keys()], ['cn001', 'cn002', 'gpu01', 'old01', 'cn003', 'dead01']);
  assert.deepEqual(nodes.get('cn001'), { state: 'idle', partitions: ['compute', 'all'] });
  assert.deepEqual(nodes.get('old01'), { state: 'idle', partitions: [] }, 'a down partition takes no job');
  assert.deepEqual(nodes.get('cn003'), { state: 'idle', partitions: ['compute'] }, 'nor an inactive one');
  assert.equal(nodes.get('dead01')!.state, 'down*');
  assert.equal(parseSinfoNodes('\n  \n').size, 0);
});

test('partitions: as few sruns as cover the nodes, the largest partition first, ties by name', () => {
  const nodes = parseSinfoNodes(SINFO);
  const of = (n: string) => nodes.get(n)?.partitions ?? [];
  // "all" holds three of the four, compute the fourth: two sruns, not one per partition seen.
  const chosen = choosePartitions(['cn001', 'cn002', 'gpu01', 'cn003'], of);
  assert.deepEqual(Object.fromEntries(chosen), {
    cn001: 'all',
    cn002: 'all',
    gpu01: 'all',
    cn003: 'compute',
  });
  // One partition holding everything is one srun.
  assert.deepEqual(new Set(choosePartitions(['cn001', 'cn002'], of).values()), new Set(['all']));
  // Disjoint partitions of equal size: by name.
  const split = choosePartitions(['a', 'b'], (n) => (n === 'a' ? ['zeta'] : ['alpha']));
  assert.deepEqual(Object.fromEntries(split), { a: 'zeta', b: 'alpha' });
  const tie = choosePartitions(['a'], () => ['zeta', 'alpha']);
  assert.equal(tie.get('a'), 'alpha');
  // A node in no partition that takes jobs gets none (the plan lists it as not asked).
  assert.equal(choosePartitions(['old01'], of).size, 0);
});
