// The collector registry (src/collect/collectors.ts): each collector writes only the facts it declares, works on a
// copied tree when it says so, and check and the run's readiness take their collectors from it, none forgotten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectHost } from '../../src/collect/collect-host.js';
import { FILE_COLLECTORS, runCollectors, type CollectorId } from '../../src/collect/collectors.js';
import type { Facts } from '../../src/facts/fact.js';
import { HostRoot } from '../../src/host/host-root.js';
import { collectReadinessFacts } from '../../src/run/host-readiness.js';
import { fixtureHost } from '../helpers/fixture-host.js';

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
