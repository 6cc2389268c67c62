// Planning a Slurm collection from sinfo's answer (which partition each node's task is submitted in), and sending
// groups Slurm refuses again, against stand-ins for srun, squeue and sinfo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  choosePartitions,
  describeState,
  parseReservation,
  parseSinfoNodes,
  namedUnavailable,
  runSlurmCollect,
  srunGroups,
  type CollectPlan,
} from '../../src/fleet/collect-slurm.js';
import { writeTree } from '../helpers/tree.js';

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

/**
 * Stand-ins for srun, squeue and sinfo, first on PATH: srun prints SRUN's stderr lines then waits to be stopped (or
 * ends with SRUN_EXIT once squeue has answered; from call SRUN_DONE_FROM on it ends well at once), squeue says SQUEUE, sinfo answers the next of SINFO per call (the last one again). Each
 * counts its calls.
 */
function slurmStandIns(o: {
  srun: string[];
  srunExit?: number;
  srunDoneFrom?: number;
  squeue: string;
  sinfo: string[];
}) {
  const bin = writeTree({});
  const count = (name: string) => `echo x >> '${bin}/${name}.calls'; n=$(wc -l < '${bin}/${name}.calls')`;
  const script = (name: string, body: string[]) =>
    fs.writeFileSync(path.join(bin, name), ['#!/bin/sh', count(name), ...body, ''].join('\n'), {
      mode: 0o755,
    });
  o.sinfo.forEach((a, i) => fs.writeFileSync(path.join(bin, `sinfo.${i + 1}`), a));
  script('srun', [
    ...(o.srunDoneFrom === undefined ? [] : [`[ "$n" -ge ${o.srunDoneFrom} ] && exit 0`]),
    ...o.srun.map((l) => `echo '${l}' >&2`),
    // An srun that ends on its own does so only once squeue has answered (what ctrsafe then does is the test).
    o.srunExit === undefined
      ? 'exec sleep 60'
      : `while [ ! -e '${bin}/squeue.done' ]; do sleep 0.05; done; sleep 0.5; exit ${o.srunExit}`,
  ]);
  script('squeue', [`echo '${o.squeue}'`, `touch '${bin}/squeue.done'`]);
  script('sinfo', [`[ -e '${bin}/sinfo.'$n ] || n=${o.sinfo.length}`, `cat '${bin}/sinfo.'$n`]);
  const calls = (name: string) => {
    const f = path.join(bin, `${name}.calls`);
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').length - 1 : 0;
  };
  return { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, calls };
}

const REFUSED = [
  'srun: job 12 queued and waiting for resources',
  'srun: Required node not available (down, drained or reserved)',
];
const sinfoWith = (drained: string[]) =>
  ['n1', 'n2', 'n3', 'n4', 'n5', 'n6']
    .map((n) => `${n} ${drained.includes(n) ? 'drained' : 'idle'} batch* up 1-infinite\n`)
    .join('');

function planOf(nodes: string[]): CollectPlan {
  return {
    nodes,
    partitionOf: new Map(nodes.map((n) => [n, 'batch'])),
    maxNodes: new Map(),
    unknown: [],
    unavailable: [],
    outsideReservation: [],
    canRun: (_n, state) => state === 'idle',
    outDir: writeTree({}),
  };
}

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];

/** runSlurmCollect over NODES against the stand-ins O: the stand-ins (their call counts) and what it returned. */
async function collectAgainst(o: Parameters<typeof slurmStandIns>[0], nodes: string[] = NODES) {
  const slurm = slurmStandIns(o);
  const run = await runSlurmCollect(planOf(nodes), ['ctrsafe', 'check'], {
    timeoutMs: 60_000,
    env: slurm.env,
  });
  return { slurm, run };
}

test('a group refused for a node gone goes out again without it, three times at most, and each gone node is named', async () => {
  // Each sinfo after a refusal has one more node drained, as health checks would between the tries.
  const { slurm, run } = await collectAgainst({
    srun: REFUSED,
    squeue: 'PENDING|ReqNodeNotAvail, UnavailableNodes:n6',
    sinfo: [
      sinfoWith(['n6']),
      sinfoWith(['n6', 'n5']),
      sinfoWith(['n6', 'n5', 'n4']),
      sinfoWith(['n6', 'n5', 'n4', 'n3']),
    ],
  });
  assert.equal(slurm.calls('srun'), 4, 'the first try and three more');
  assert.equal(slurm.calls('sinfo'), 4, 'one sinfo after each refusal, the last one too');
  assert.deepEqual(run.gone.map((g) => `${g.node} ${g.state}`).sort(), [
    'n3 drained',
    'n4 drained',
    'n5 drained',
    'n6 drained',
  ]);
  assert.equal(run.failures.length, 1, run.failures.join('\n'));
  assert.match(
    run.failures[0]!,
    /^partition batch: Slurm queued the job but cannot start it as asked \(squeue: job 12 pending: ReqNodeNotAvail, UnavailableNodes:n6\); srun was stopped; given up after 4 tries, nodes went away between them$/,
  );
  assert.equal(run.stopped, null);
});

test('a group refused though sinfo says every node can run goes out unchanged once, not three times', async () => {
  const { slurm, run } = await collectAgainst({
    srun: REFUSED,
    squeue: 'PENDING|ReqNodeNotAvail',
    sinfo: [sinfoWith([])],
  });
  assert.equal(slurm.calls('srun'), 2);
  assert.deepEqual(run.gone, []);
  assert.equal(run.failures.length, 1);
  assert.match(run.failures[0]!, /; given up after 2 tries, though sinfo says each node can run a task$/);
});

test('a refusal line whose job has started by the time squeue answers does not stop srun', async () => {
  const { slurm, run } = await collectAgainst(
    { srun: REFUSED, srunExit: 0, squeue: 'RUNNING|None', sinfo: [sinfoWith([])] },
    ['n1', 'n2'],
  );
  assert.equal(slurm.calls('srun'), 1);
  assert.equal(slurm.calls('squeue'), 1);
  assert.deepEqual(run.failures, [], 'srun ran to its end and exited 0');
  assert.deepEqual(run.gone, []);
});

test('a job waiting while squeue says ReqNodeNotAvail goes out again without a named node sinfo has drained, and waits when it has none (backfill)', async () => {
  // No refusal from srun: the job queued (for Resources, say), then squeue said ReqNodeNotAvail. With n6 drained,
  // the group goes out again without it; with every node runnable it is backfill's passing word.
  for (const drained of [['n6'], []]) {
    const { slurm, run } = await collectAgainst({
      srun: ['srun: job 21 queued and waiting for resources'],
      ...(drained.length > 0 ? { srunDoneFrom: 2 } : { srunExit: 0 }),
      squeue: 'PENDING|ReqNodeNotAvail, UnavailableNodes:n6',
      sinfo: [sinfoWith(drained)],
    });
    assert.ok(slurm.calls('sinfo') >= 1, 'sinfo was asked');
    assert.deepEqual(run.failures, []);
    if (drained.length > 0) {
      assert.equal(slurm.calls('srun'), 2, 'sent again without n6, and that srun ended well');
      assert.deepEqual(run.gone, [{ node: 'n6', state: 'drained' }]);
    } else {
      assert.equal(slurm.calls('srun'), 1, 'not stopped: it ran to its end');
      assert.deepEqual(run.gone, []);
    }
  }
});

test('the nodes a ReqNodeNotAvail reason names, among the group’s; the whole group when it cannot tell', () => {
  const group = ['cn001', 'cn002', 'cn003'];
  assert.deepEqual(namedUnavailable('ReqNodeNotAvail, UnavailableNodes:cn[002,009]', group), ['cn002']);
  assert.deepEqual(namedUnavailable('ReqNodeNotAvail, UnavailableNodes:gpu[01-02]', group), group);
  assert.deepEqual(namedUnavailable('ReqNodeNotAvail, UnavailableNodes:cn[001-0…', group), group);
  assert.deepEqual(namedUnavailable('ReqNodeNotAvail, UnavailableNodes:cn[', group), group);
  assert.deepEqual(namedUnavailable('ReqNodeNotAvail', group), group);
  // A squeue answer is read as untrusted: a range past the hostlist bound is the whole group, not a million names.
  assert.deepEqual(namedUnavailable('ReqNodeNotAvail, UnavailableNodes:cn[0-99999999]', group), group);
});
