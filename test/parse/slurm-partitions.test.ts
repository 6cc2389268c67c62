// Slurm partitions from slurm.conf (slurm.conf(5) PartitionName, Nodes= hostlists), and the grid built from them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectAcceleratorFacts } from '../../src/collect/collect-accelerators.js';
import { addFact, type Facts } from '../../src/facts/fact.js';
import { HostRoot } from '../../src/host/host-root.js';
import { hostlistIncludes, slurmPartitionsOf } from '../../src/parse/slurm-partitions.js';
import { expandHostlist } from '../../src/fleet/hostlist.js';
import { NO_PARTITION, partitionGrid } from '../../src/fleet/node-grid.js';
import { writeTree } from '../helpers/tree.js';

test('hostlist membership without expanding: widths, ranges, lists, suffixes; agrees with the expander', () => {
  const expr = 'cn[001-100,200],gpu[1-4]-ib,login1';
  for (const h of ['cn001', 'cn100', 'cn200', 'gpu1-ib', 'gpu4-ib', 'login1'])
    assert.ok(hostlistIncludes(expr, h), h);
  for (const h of ['cn1', 'cn101', 'cn0001', 'gpu5-ib', 'gpu1', 'login', 'cn[001-100', ''])
    assert.ok(!hostlistIncludes(expr, h), h);
  const all = new Set(expandHostlist(expr));
  for (const h of ['cn050', 'cn150', 'gpu2-ib', 'gpu02-ib'])
    assert.equal(hostlistIncludes(expr, h), all.has(h), h);
  assert.ok(!hostlistIncludes('cn[001-100', 'cn001'), 'unbalanced: no match, no throw');
  // A partition of a million nodes is one pass over its text.
  assert.ok(hostlistIncludes('n[0000000-9999999]', 'n5000000'));
});

const CONF = `# site slurm.conf
NodeName=cn[001-100] CPUs=64
NodeSet=fat Feature=bigmem
PartitionName=DEFAULT MaxTime=1-00:00:00
PartitionName=batch Nodes=cn[001-100] Default=YES
PartitionName=debug nodes=cn[001-004] # lower-case keys are Slurm's too
PartitionName=all Nodes=ALL
PartitionName=bigmem Nodes=fat
PartitionName=gpu Nodes=gpu[01-08]
PartitionName=bad|name Nodes=ALL
`;

test('slurm.conf: the partitions that name this node or ALL; NodeSets said unresolved; DEFAULT and bad names skipped', () => {
  assert.deepEqual(slurmPartitionsOf(CONF, ['cn003']), {
    partitions: ['batch', 'debug', 'all'],
    unresolved: ['bigmem'],
  });
  assert.deepEqual(slurmPartitionsOf(CONF, ['gpu08']).partitions, ['all', 'gpu']);
  assert.deepEqual(slurmPartitionsOf('', ['cn003']), { partitions: [], unresolved: [] });
});

test('the collector says which partitions slurm.conf puts this host in, by its short name', () => {
  const tree = writeTree({ 'etc/slurm/slurm.conf': CONF });
  const facts: Facts = new Map();
  addFact(facts, 'host.hostname', 'cn042.cluster.example.org', 'file', '/etc/hostname');
  collectAcceleratorFacts(HostRoot.open(tree), facts);
  const f = facts.get('slurm.partitions');
  assert.deepEqual(f?.value, ['batch', 'all']);
  assert.match(
    f!.evidence,
    /cn042\.cluster\.example\.org is in PartitionName=batch, all; bigmem name a NodeSet/,
  );
  const none: Facts = new Map();
  collectAcceleratorFacts(HostRoot.open(tree), none);
  assert.equal(none.has('slurm.partitions'), false, 'no host name, no claim');
});

test('the partition grid: a node in every partition it is in, reasons said once, unknown partitions last', () => {
  const view = (
    hostname: string,
    partitions: string[],
    verdict: 'ready' | 'blocked',
    why: string | null,
  ) => ({
    hostname,
    partitions,
    runtimes: { apptainer: { verdict, why } },
  });
  const g = partitionGrid(
    [
      view('cn001', ['batch'], 'ready', null),
      view('gpu01', ['gpu', 'batch'], 'blocked', 'no user namespaces'),
      view('gpu02', ['gpu'], 'blocked', 'no user namespaces'),
      view('x1', [], 'ready', null),
      { hostname: 'y1', partitions: ['batch'], runtimes: {} },
    ],
    'apptainer',
  );
  assert.deepEqual(g.reasons, ['no user namespaces']);
  assert.deepEqual(
    g.partitions.map((p) => [p.name, p.nodes.map((n) => n[0]), p.counts]),
    [
      ['batch', ['cn001', 'gpu01', 'y1'], { ready: 1, blocked: 1, 'not reported': 1 }],
      ['gpu', ['gpu01', 'gpu02'], { blocked: 2 }],
      [NO_PARTITION, ['x1'], { ready: 1 }],
    ],
  );
  assert.deepEqual(g.partitions[1]!.nodes[0], ['gpu01', g.verdicts.indexOf('blocked'), 0]);
  assert.equal(g.partitions[0]!.nodes[2]![1], -1, 'a runtime the report does not list is "not reported"');
});
