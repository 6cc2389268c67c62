// The fleet carries GPU and RDMA readiness (issue 19.4): real check reports of the GPU and InfiniBand fixture hosts,
// stored on SQLite and on PostgreSQL, give the counters, the node x runtime matrix for each device, its filters,
// drift, the toolkit upgrade grouped with a hostlist in the patch plan, /metrics that promtool accepts, and an upgrade
// from the store's version 7 that fills them in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCheck } from '../../src/cli/check-command.js';
import { deviceMatrix, matrixRuntimes } from '../../src/fleet/node-grid.js';
import { renderFleetMetrics } from '../../src/fleet/server/metrics.js';
import { acceleratorTokens, acceleratorsOfReport } from '../../src/fleet/store/accelerator-state.js';
import { MIGRATIONS } from '../../src/fleet/store/migrations.js';
import { WHY_MAX } from '../../src/fleet/store/node-state.js';
import { withServerFacts } from '../../src/fleet/store/server-facts.js';
import { openDriver, openStore } from '../../src/fleet/store/open-store.js';
import { validateReport, type NodeReport } from '../../src/fleet/validate-report.js';
import { assertPromtoolAccepts } from '../helpers/promtool.js';
import { DEVICES_SKIP, layeredHost } from '../helpers/layered-host.js';
import { storeBackends } from '../helpers/store-backends.js';

const T0 = Date.UTC(2026, 10, 2);
let seq = 0;

/** The report `check` writes for a fixture host, as a node would send it under `hostname`. */
async function checked(fixture: string, hostname: string): Promise<Record<string, unknown>> {
  const { report } = await runCheck({ root: layeredHost(fixture) });
  const raw = JSON.parse(JSON.stringify(report)) as Record<string, unknown> & { host: object };
  return { ...raw, report_id: `acc-${hostname}-${++seq}`, host: { ...raw.host, hostname } };
}

function valid(raw: unknown): NodeReport {
  const v = validateReport(raw);
  assert.ok(v.ok, v.ok ? '' : v.reason);
  return v.report;
}

const backends = storeBackends('ctrsafe_test_accelerators');

for (const [name, url] of backends)
  test(
    `${name}: GPU and RDMA readiness of real reports in the counters, matrix, filters, drift, plan, /metrics and an upgrade from version 7`,
    { skip: DEVICES_SKIP },
    async () => {
      const u = await url();
      let store = await openStore(u);
      const vulnerable = await checked('gpu-nvidia-vulnerable', 'gpu001');
      const fixed = await checked('gpu-nvidia-fixed', 'gpu002');
      // A third GPU node on toolkit 1.17.3 (fixed for CVE-2024-0132/0133, not for the rest): the same upgrade.
      const older = JSON.parse(JSON.stringify(vulnerable)) as {
        report_id: string;
        host: { hostname: string };
        vulnerabilities: { id: string; installed_version: string; fixed_version: string }[];
      };
      older.report_id = `acc-gpu003-${++seq}`;
      older.host.hostname = 'gpu003';
      older.vulnerabilities = older.vulnerabilities
        .filter((v) => v.fixed_version !== '1.16.2')
        .map((v) => ({
          ...v,
          installed_version: v.installed_version === '1.16.1' ? '1.17.3' : v.installed_version,
        }));
      const ib = await checked('ib-low-memlock', 'ib001');
      const none = await checked('gpu-none', 'cpu001');
      // A node on a ctrsafe from before issue 19: no accelerators section; counted in neither.
      const old = await checked('gpu-none', 'old001');
      delete old.accelerators;
      try {
        for (const r of [vulnerable, fixed, older, ib, none, old]) await store.ingest(valid(r), T0);
        const s = await store.summary(T0, 1e12);
        assert.deepEqual(s.accelerators, {
          gpu: { present: { no: 2, yes: 3 }, ready: { apptainer: { yes: 3 }, podman: { yes: 3 } } },
          rdma: { present: { no: 4, yes: 1 }, ready: { podman: { no: 1 } } },
        });

        // The matrix for each device: only the nodes with it, each cell the runtime's readiness and why.
        const gpuPage = await store.nodeViews({ offset: 0, limit: 100, device: 'gpu' });
        assert.deepEqual(
          gpuPage.nodes.map((n) => n.hostname),
          ['gpu001', 'gpu002', 'gpu003'],
        );
        const rdma = deviceMatrix(
          (await store.nodeViews({ offset: 0, limit: 100, device: 'rdma' })).nodes,
          'rdma',
        );
        assert.deepEqual(
          rdma.map((n) => [n.hostname, n.present]),
          [['ib001', 'yes']],
        );
        assert.deepEqual(matrixRuntimes(rdma), ['podman']);
        assert.equal(rdma[0]!.runtimes.podman!.verdict, 'blocked');
        assert.match(
          rdma[0]!.runtimes.podman!.why!,
          /^memlock 64 KiB is below 64 MiB: MPI over verbs will fail/,
        );
        const all = deviceMatrix((await store.nodeViews({ offset: 0, limit: 100 })).nodes, 'gpu');
        assert.deepEqual(
          Object.fromEntries(all.map((n) => [n.hostname, n.present])),
          { cpu001: 'no', gpu001: 'yes', gpu002: 'yes', gpu003: 'yes', ib001: 'no', old001: null },
          'a node without the section is "not reported", not "no GPU"',
        );
        // The node table's filter: the runtime's readiness for the device, not its own.
        assert.equal(
          (await store.listNodes({ offset: 0, limit: 10, device: 'rdma', runtime: 'podman', ready: 'no' }))
            .total,
          1,
        );
        assert.equal(
          (await store.listNodes({ offset: 0, limit: 10, device: 'gpu', runtime: 'podman', ready: 'no' }))
            .total,
          0,
        );

        // The patch plan: one toolkit upgrade to 1.17.8 for the nodes on 1.16.1 and 1.17.3, with their hostlist.
        const plan = await store.plan({ offset: 0, limit: 50 });
        const toolkit = plan.items.filter((p) => /nvidia-container-toolkit/.test(p.title));
        assert.equal(toolkit.length, 1, JSON.stringify(toolkit));
        assert.equal(
          toolkit[0]!.title,
          'Update nvidia-container-toolkit (Go/github.com/NVIDIA/nvidia-container-toolkit) to at least 1.17.8',
        );
        assert.equal(toolkit[0]!.hostlist, 'gpu[001,003]');
        assert.deepEqual(toolkit[0]!.fixes, ['CVE-2025-23266', 'CVE-2025-23267']);

        // /metrics: per-device presence and per-runtime readiness, accepted by promtool.
        const text = renderFleetMetrics(s);
        assert.match(text, /^ctrsafe_fleet_accelerator_present_nodes\{kind="gpu",state="yes"\} 3$/m);
        assert.match(
          text,
          /^ctrsafe_fleet_accelerator_ready_nodes\{kind="rdma",runtime="podman",state="no"\} 1$/m,
        );
        assertPromtoolAccepts(text);

        // Drift: the InfiniBand node's limit raised; its podman verdict moves and the counters with it.
        const raised = JSON.parse(JSON.stringify(ib)) as {
          report_id: string;
          generated_at: string;
          accelerators: { rdma: { runtimes: { ready: string; reasons: string[] }[] } };
        };
        raised.report_id = `acc-ib001-${++seq}`;
        raised.generated_at = new Date(Date.parse(raised.generated_at) + 60_000).toISOString();
        raised.accelerators.rdma.runtimes[0]!.ready = 'yes';
        await store.ingest(valid(raised), T0 + 60_000);
        assert.deepEqual(
          (await store.transitions('ib001')).map((t) => [t.subject, t.old_value, t.new_value]),
          [['rdma.podman.ready', 'no', 'yes']],
        );
        const after = (await store.summary(T0, 1e12)).accelerators;
        assert.deepEqual(after.rdma!.ready, { podman: { yes: 1 } });
        await store.close();

        // Back to version 7: no device readiness in the state, view and filter columns or the counters.
        const driver = await openDriver(u);
        await driver.run("DELETE FROM fleet_counts WHERE metric IN ('accel_present', 'accel_ready')");
        await driver.run("UPDATE nodes SET view = '{}', runtimes = ''");
        await driver.run('DELETE FROM schema_version WHERE version > 7');
        await driver.close();
        store = await openStore(u);
        assert.equal(await store.migrate(), MIGRATIONS.length);
        assert.deepEqual((await store.summary(T0, 1e12)).accelerators, after);
        assert.equal((await store.nodeViews({ offset: 0, limit: 100, device: 'gpu' })).total, 3);
      } finally {
        await store.close();
      }
    },
  );

test('attack: a node names runtimes that are not ctrsafe ids in its accelerators section; the fleet keeps none of them', () => {
  const section = (runtimes: { runtime: string; ready: string }[]) => ({
    present: 'yes',
    summary: '',
    devices: [],
    notes: [],
    problems: [],
    runtimes: runtimes.map((r) => ({ ...r, how: '', reasons: ['x'.repeat(5000)], remediation: [] })),
  });
  const r = valid({
    schema: 'ctrsafe.report/1',
    report_id: 'acc-attack-1',
    generated_at: new Date(T0).toISOString(),
    host: {
      hostname: 'evil001',
      kernel: { release: '6.1.0', distro_kernel: true },
      os: { id: 'debian', version_id: '12' },
    },
    runtimes: [],
    findings: [],
    accelerators: {
      gpu: {
        ...section([
          { runtime: 'podman|apptainer=yes', ready: 'no' },
          { runtime: '%gpu', ready: 'no' },
          { runtime: 'podman', ready: 'no' },
          { runtime: 'podman', ready: 'yes' },
        ]),
        vendor: 'nvidia',
        driver_version: null,
        toolkit_version: null,
        cdi_devices: [],
      },
      rdma: { ...section([]), present: 'no', memlock: { bytes: null, source: null } },
    },
  });
  const a = acceleratorsOfReport(withServerFacts(r), WHY_MAX);
  assert.deepEqual([...a.gpu!.runtimes.keys()], ['podman'], 'only ctrsafe runtime ids, the first of each');
  assert.equal(a.gpu!.runtimes.get('podman')!.why!.length, WHY_MAX, 'the reason is cut');
  assert.deepEqual(acceleratorTokens(a), ['%gpu', '%gpu:podman=no']);
});
