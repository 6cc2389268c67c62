// The collector registry (src/collect/collectors.ts): each collector writes only the facts it declares, works on a
// copied tree when it says so, and check, snapshot, the gate's check and the run's readiness take their collectors
// from it, none forgotten: a collector registered once is seen by all four.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCheck } from '../../src/cli/check-command.js';
import { collectHost } from '../../src/collect/collect-host.js';
import {
  collectorsAt,
  collectorsReading,
  FILE_COLLECTORS,
  runCollectors,
  STAGES,
  type CollectorId,
  type FileCollector,
} from '../../src/collect/collectors.js';
import type { Facts } from '../../src/facts/fact.js';
import { runCheckChild } from '../../src/gate/run-check-child.js';
import { HostRoot } from '../../src/host/host-root.js';
import { collectReadinessFacts, READINESS_READS, readinessCollectors } from '../../src/run/host-readiness.js';
import { GateInput } from '../../src/schema/node-report.js';
import { writeSnapshot } from '../../src/snapshot/write-snapshot.js';
import { fixtureHost } from '../helpers/fixture-host.js';
import { BIN } from '../helpers/tree.js';

const HOSTS = ['rocky9', 'debian12', 'ubuntu2404', 'shifter-cray', 'apptainer-setuid', 'sles15sp3'];

const declared = (provides: readonly string[], id: string) =>
  provides.some((p) => (p.endsWith('.') ? id.startsWith(p) : id === p));

for (const c of FILE_COLLECTORS)
  test(`collector ${c.id}: writes only the facts it declares, on fixture trees and on this host`, () => {
    const roots = [...HOSTS.map((h) => HostRoot.open(fixtureHost(h))), HostRoot.live()];
    let written = 0;
    for (const root of roots) {
      const facts: Facts = new Map();
      // Alone, without its condition: what it writes when it runs.
      c.collect(root, facts, {});
      written += facts.size;
      const stray = [...facts.keys()].filter((k) => !declared(c.provides, k));
      assert.deepEqual(stray, [], `${c.id} on ${root.isLive ? 'this host' : root.dir}`);
      // On a copied tree nothing is live: a collector that says it works there reads files only.
      if (c.needs === 'tree' && !root.isLive)
        for (const f of facts.values())
          assert.notEqual(f.how, 'probe', `${c.id} works on a tree, but ${f.id} came from a probe there`);
    }
    assert.ok(written > 0, `${c.id} wrote no fact on any host`);
  });

test('check runs every registered collector whose condition holds, once each', async () => {
  for (const h of ['rocky9', 'ubuntu2404']) {
    const root = HostRoot.open(fixtureHost(h));
    const got = await collectHost({ root });
    const want = FILE_COLLECTORS.filter((c) => !('when' in c) || c.when(got.facts)).map((c) => c.id);
    assert.deepEqual([...got.collectors].sort(), [...want].sort(), h);
  }
  // The condition bites: AppArmor profiles are read only where Ubuntu's restriction is on.
  const noble = await collectHost({ root: HostRoot.open(fixtureHost('ubuntu2404')) });
  const rocky = await collectHost({ root: HostRoot.open(fixtureHost('rocky9')) });
  assert.equal(
    noble.collectors.includes('apparmor'),
    noble.facts.get('sysctl.kernel.apparmor_restrict_unprivileged_userns')?.value === 1,
  );
  assert.equal(rocky.collectors.includes('apparmor'), false);
});

test("the run's readiness reads the same facts as check for what it judges", async () => {
  const root = HostRoot.open(fixtureHost('debian12'));
  const readiness = collectReadinessFacts(root);
  const full = (await collectHost({ root })).facts;
  assert.ok(readiness.size > 10);
  for (const [id, f] of readiness) assert.deepEqual(full.get(id), f, id);
  const steps: string[] = [];
  const ran: CollectorId[] = runCollectors(['os', 'apparmor'], root, new Map(), {
    onStep: (s) => steps.push(s),
  });
  assert.deepEqual(ran, ['os'], 'a collector whose condition fails does not run');
  assert.deepEqual(steps, ['reading os-release'], 'each collector names its step for the watchdog');
});

/** The facts a collector wrote, by value (evidence names the tree they were read from). */
const valuesOf = (facts: Facts, c: FileCollector) =>
  Object.fromEntries(
    [...facts].filter(([id]) => declared(c.provides, id)).map(([id, f]) => [id, f.value] as const),
  );

test("a collector registered once is seen by check, snapshot, the gate and the run's readiness", async () => {
  // This host, as `ctrsafe snapshot` takes it (a snapshot copies a live host).
  const { collected: checked, root } = await runCheck({});
  const ran = FILE_COLLECTORS.filter((c) => checked.collectors.includes(c.id));
  assert.ok(ran.length >= FILE_COLLECTORS.length - 1, `check ran ${checked.collectors.join(', ')}`);
  // snapshot: the files each collector read are copied, so on the snapshot it runs again and writes the same.
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-registry-')), 'snap');
  writeSnapshot(root, checked, out, { version: 'test', now: new Date() });
  const again = await collectHost({ root: HostRoot.open(out) });
  // The gate: its check runs in a child under the watchdog, which names each collector's step as it starts.
  const gate = await runCheckChild([], {
    timeoutMs: 120_000,
    accept: GateInput,
    argv0: [process.execPath, BIN],
  });
  assert.ok(gate.ok, gate.ok ? '' : gate.error);
  const readiness = collectReadinessFacts(root);
  for (const c of ran) {
    assert.ok(again.collectors.includes(c.id), `${c.id} runs on the snapshot`);
    const written = valuesOf(checked.facts, c);
    assert.ok(Object.keys(written).length > 0, `${c.id} wrote facts`);
    // (What only the live process can know, such as whether ctrsafe runs in a chroot, is not in a snapshot.)
    const kept = Object.entries(valuesOf(again.facts, c));
    assert.ok(kept.length > 0, `${c.id} wrote facts on the snapshot`);
    for (const [id, v] of kept) assert.deepEqual(v, written[id], `${id} survives the snapshot`);
    assert.ok(gate.steps.includes(c.step), `the gate's watchdog hears "${c.step}"`);
    // The readiness runs it when it provides a fact the readiness reads, and then reads what check read.
    const reads = c.provides.some((p) => READINESS_READS.some((r) => p.startsWith(r) || r.startsWith(p)));
    assert.equal(readinessCollectors(root.isLive).includes(c.id), reads, c.id);
    for (const [id, v] of Object.entries(valuesOf(readiness, c))) assert.deepEqual(v, written[id], id);
  }
  assert.deepEqual(readinessCollectors(true), ['os', 'kernel', 'sysctls', 'apparmor']);
});

test('composition is from the registry: a collector added to it is run by its stage and by the readiness', () => {
  const extra = {
    id: 'extra',
    stage: 'host',
    step: 'reading an extra file',
    provides: ['sysctl.extra'],
    needs: 'live',
    cost: 'files',
    collect: () => undefined,
  } satisfies FileCollector;
  const registry: readonly FileCollector[] = [...FILE_COLLECTORS, extra];
  assert.deepEqual(collectorsAt('host', registry), ['os', 'kernel', 'sysctls', 'extra']);
  assert.deepEqual(
    STAGES.flatMap((s) => collectorsAt(s, registry)).sort(),
    registry.map((c) => c.id).sort(),
    'every collector has a stage check runs',
  );
  assert.deepEqual(collectorsReading(READINESS_READS, registry, true), [
    'os',
    'kernel',
    'sysctls',
    'apparmor',
    'extra',
  ]);
  assert.deepEqual(
    collectorsReading(READINESS_READS, registry, false),
    ['os', 'kernel', 'sysctls', 'apparmor'],
    'on a tree, a collector that needs the live host is left out',
  );
  assert.deepEqual(collectorsReading(['gpu.present'], registry, true), ['accelerators']);
});
