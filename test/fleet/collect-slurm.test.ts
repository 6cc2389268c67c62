// Planning a Slurm collection from sinfo's answer: which partition each node's task is submitted in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  choosePartitions,
  describeState,
  parseReservation,
  parseSinfoNodes,
  srunGroups,
} from '../../src/fleet/collect-slurm.js';

// As `sinfo -h -N -o "%N %T %P %a %s"` prints it: a node once per partition it is in, the default one marked "*",
// and each partition's job size in nodes.
const SINFO = `cn001 idle compute* up 1-infinite
cn001 idle all up 1-infinite
cn002 mixed compute* up 1-infinite
cn002 mixed all up 1-infinite
gpu01 allocated gpu up 1-2
gpu01 allocated all up 1-infinite
gpu02 idle gpu up 1-2
gpu02 idle all up 1-infinite
old01 idle legacy down 1
cn003 IDLE debug inact 1-4
cn003 IDLE compute* up 1-infinite
dead01 down* compute* up 1-infinite
`;

test('sinfo: each node once, its state, the partitions that take jobs, and the default one', () => {
  const { nodes, defaultPartition } = parseSinfoNodes(SINFO);
  assert.equal(defaultPartition, 'compute');
  assert.deepEqual(Object.fromEntries(parseSinfoNodes(SINFO).maxNodes), { gpu: 2, legacy: 1, debug: 4 });
  assert.deepEqual([...nodes.keys()], ['cn001', 'cn002', 'gpu01', 'gpu02', 'old01', 'cn003', 'dead01']);
  assert.deepEqual(nodes.get('cn001'), { state: 'idle', partitions: ['compute', 'all'] });
  assert.deepEqual(nodes.get('old01'), { state: 'idle', partitions: [] }, 'a down partition takes no job');
  assert.deepEqual(nodes.get('cn003'), { state: 'idle', partitions: ['compute'] }, 'nor an inactive one');
  assert.equal(nodes.get('dead01')!.state, 'down*');
  assert.deepEqual(parseSinfoNodes('\n  \n'), {
    nodes: new Map(),
    defaultPartition: null,
    maxNodes: new Map(),
  });
});

test('partitions: the default one first, where a plain srun goes; then the largest for the rest, ties by name', () => {
  const { nodes, defaultPartition } = parseSinfoNodes(SINFO);
  const of = (n: string) => nodes.get(n)?.partitions ?? [];
  // "all" holds more of them, but the default partition takes every node it has; "all" only the GPU nodes
  // ("gpu" holds as many of those, and "all" comes first by name).
  assert.deepEqual(
    Object.fromEntries(choosePartitions(['cn001', 'cn002', 'gpu01', 'gpu02', 'cn003'], of, defaultPartition)),
    {
      cn001: 'compute',
      cn002: 'compute',
      cn003: 'compute',
      gpu01: 'all',
      gpu02: 'all',
    },
  );
  // Without a default: the partition holding most of them, so one srun.
  assert.deepEqual(new Set(choosePartitions(['cn001', 'cn002', 'gpu01'], of).values()), new Set(['all']));
  // Disjoint partitions of equal size: by name.
  const split = choosePartitions(['a', 'b'], (n) => (n === 'a' ? ['zeta'] : ['alpha']));
  assert.deepEqual(Object.fromEntries(split), { a: 'zeta', b: 'alpha' });
  assert.equal(choosePartitions(['a'], () => ['zeta', 'alpha']).get('a'), 'alpha');
  // A node in no partition that takes jobs gets none (the plan lists it as not asked).
  assert.equal(choosePartitions(['old01'], of, defaultPartition).size, 0);
});

test("sruns: each partition's nodes in the plan's order, cut to its MaxNodes", () => {
  const partitionOf = new Map([
    ['a1', 'small'],
    ['b1', 'big'],
    ['a2', 'small'],
    ['a3', 'small'],
    ['b2', 'big'],
  ]);
  assert.deepEqual(
    srunGroups(['a1', 'b1', 'a2', 'a3', 'b2', 'ghost'], partitionOf, new Map([['small', 2]])),
    [
      { partition: 'small', nodes: ['a1', 'a2'] },
      { partition: 'small', nodes: ['a3'] },
      { partition: 'big', nodes: ['b1', 'b2'] },
    ],
  );
  assert.deepEqual(srunGroups([], partitionOf, new Map()), []);
});

test('reservations: the nodes and state scontrol --oneliner prints (Slurm 22.05); none, or nodeless, said so', () => {
  const line =
    'ReservationName=maint StartTime=2026-12-08T01:27:25 EndTime=2026-12-08T02:27:25 Duration=01:00:00 Nodes=cn[001-003],gpu7 NodeCnt=4 CoreCnt=4 Features=(null) PartitionName=(null) Flags=MAINT,SPEC_NODES TRES=cpu=4 Users=root Groups=(null) Accounts=(null) Licenses=(null) State=ACTIVE BurstBuffer=(null) Watts=n/a MaxStartDelay=(null)\n';
  assert.deepEqual(parseReservation(line), { nodes: ['cn001', 'cn002', 'cn003', 'gpu7'], active: true });
  assert.deepEqual(parseReservation(line.replace('State=ACTIVE', 'State=INACTIVE')), {
    nodes: ['cn001', 'cn002', 'cn003', 'gpu7'],
    active: false,
  });
  assert.deepEqual(parseReservation(line.replace('Nodes=cn[001-003],gpu7', 'Nodes=(null)')), {
    nodes: [],
    active: true,
  });
  // "NodeCnt=" and "Nodes=" differ: only the field itself is read.
  assert.deepEqual(parseReservation('ReservationName=x NodeCnt=3 State=ACTIVE'), { nodes: [], active: true });
  assert.equal(parseReservation('Reservation x not found\n'), null);
});

test("node states: sinfo's suffixes in words, a plain state as it is", () => {
  assert.equal(describeState('idle*'), 'idle* (not responding)');
  assert.equal(describeState('down~'), 'down~ (powered off)');
  assert.equal(describeState('drained*@'), 'drained*@ (not responding, pending reboot)');
  assert.equal(describeState('unknown+drain*'), 'unknown+drain* (not responding)');
  assert.equal(describeState('drained'), 'drained');
  assert.equal(describeState('maint'), 'maint');
});
