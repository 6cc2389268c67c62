// One contract suite, run on SQLite and on a real PostgreSQL server (started by the test command on loopback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FleetStore } from '../../../src/fleet/store/fleet-store.js';
import { StorageError, type SqlDriver } from '../../../src/fleet/store/sql-driver.js';
import { MIGRATIONS } from '../../../src/fleet/store/migrations.js';
import { findRule } from '../../../src/rules/catalogue.js';
import { loadBuiltinAdvisories } from '../../../src/advisories/load-advisories.js';
import { openDriver, openStore } from '../../../src/fleet/store/open-store.js';
import { parseReport, validateReport, type NodeReport } from '../../../src/fleet/validate-report.js';

const pgUrl = process.env.CTRSAFE_TEST_PG;
if (process.env.CI && !pgUrl)
  throw new Error('CI must run the contract suite on PostgreSQL: CTRSAFE_TEST_PG is not set');

let seq = 0;
/** Arrival times are real dates: a report's own time orders it only up to the moment it arrived. */
const T0 = Date.UTC(2026, 10, 2);
function report(
  host: string,
  over: { at?: string; kernel?: string; ready?: string; vulns?: { id: string; status: string }[] } = {},
): NodeReport {
  const raw = {
    schema: 'ctrsafe.report/1',
    report_id: `r-${host}-${++seq}-${Math.random().toString(36).slice(2)}`,
    generated_at: over.at ?? new Date(Date.UTC(2026, 10, 1, 0, 0, seq)).toISOString(),
    host: {
      hostname: host,
      kernel: { release: over.kernel ?? '5.14.0-427.el9.x86_64', distro_kernel: true },
      os: { id: 'rocky', version_id: '9.4' },
    },
    runtimes: [
      { id: 'apptainer', ready: over.ready ?? 'yes', risk: 'low' },
      { id: 'podman', ready: 'no', risk: 'none' },
    ],
    findings: [
      { id: 'CS-K001', severity: 'critical', status: 'pass' },
      { id: 'CS-H001', severity: 'high', status: 'fail' },
    ],
    vulnerabilities: (over.vulns ?? []).map((v) => ({ ...v, severity: 'high' })),
  };
  const v = validateReport(raw);
  if (!v.ok) throw new Error(v.reason);
  return v.report;
}

async function freshPg(): Promise<string> {
  // Each run gets its own schema-free database state: drop what an earlier run left.
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  await c.end();
  return pgUrl!;
}

const backends: [string, () => Promise<string>][] = [
  [
    'sqlite',
    async () => `sqlite:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-db-')), 'fleet.db')}`,
  ],
];
if (pgUrl) backends.push(['postgres', freshPg]);

for (const [name, url] of backends) {
  test(`${name}: migrations, idempotent ingest, latest state, transitions, paging, summary, retention`, async () => {
    const store: FleetStore = await openStore(await url());
    try {
      assert.equal(await store.migrate(), MIGRATIONS.length, 'migrating twice is a no-op');
      const a1 = report('node001', { vulns: [{ id: 'CVE-2024-1086', status: 'affected' }] });
      assert.deepEqual(await store.ingest(a1, T0 + 1000), { stored: true, transitions: 0 });
      assert.equal(
        (await store.ingest(a1, T0 + 1001)).note,
        'duplicate',
        'the same report id is stored once',
      );
      const a2 = report('node001', { kernel: '5.14.0-503.el9.x86_64', ready: 'no', vulns: [] });
      const r2 = await store.ingest(a2, T0 + 2000);
      assert.equal(r2.stored, true);
      assert.equal(r2.transitions, 3, 'kernel, apptainer readiness, and the fixed vulnerability');
      const older = report('node001', { at: '2020-01-01T00:00:00.000Z' });
      assert.equal(
        (await store.ingest(older, T0 + 3000)).note,
        'older',
        'a late spooled report does not replace newer state',
      );
      const n = await store.node('node001');
      assert.equal(n?.row.report_id, a2.report_id);
      assert.equal(n?.row.kernel_release, '5.14.0-503.el9.x86_64');
      const tr = await store.transitions('node001');
      assert.deepEqual(tr.map((t) => t.subject).sort(), [
        'kernel',
        'runtime.apptainer.ready',
        'vuln.CVE-2024-1086',
      ]);
      for (let i = 2; i <= 25; i++)
        await store.ingest(
          report(`node${String(i).padStart(3, '0')}`, {
            ready: i % 2 ? 'yes' : 'no',
            vulns: i % 3 ? [] : [{ id: 'CVE-2024-1086', status: 'affected' }],
          }),
          T0 + 5000 + i,
        );
      const page = await store.listNodes({ offset: 10, limit: 10 });
      assert.equal(page.total, 25);
      assert.deepEqual(
        page.nodes.map((x) => x.hostname),
        Array.from({ length: 10 }, (_, i) => `node${String(i + 11).padStart(3, '0')}`),
      );
      const notReady = await store.listNodes({ offset: 0, limit: 100, runtime: 'apptainer', ready: 'no' });
      assert.equal(notReady.total, 1 + 12, 'node001 and the even nodes 002..024');
      // Stale by the report's own time (issue 16): node001's latest report was made before every other node's.
      const node002Made = (await store.node('node002'))!.row.generated_at;
      const s = await store.summary(node002Made + 1000, 1000);
      assert.equal(s.nodes, 25);
      assert.equal(s.stale, 1, "node001's report was made before node002's");
      assert.deepEqual(s.readiness.apptainer, { yes: 12, no: 13 });
      // The dashboard's verdicts (issue 18): ready at low risk, blocked when it cannot run; no other words invented.
      assert.deepEqual(s.verdicts, { apptainer: { ready: 12, blocked: 13 }, podman: { blocked: 25 } });
      assert.deepEqual(s.severity_nodes, { high: 8 }, 'nodes with an affected advisory of each severity');
      assert.equal(
        (await store.listNodes({ offset: 0, limit: 1, runtime: 'apptainer', verdict: 'blocked' })).total,
        13,
      );
      assert.deepEqual(s.vulnerabilities, [
        {
          id: 'CVE-2024-1086',
          affected: 8,
          unknown: 0,
          mitigated: 0,
          severity: 'high',
          // From ctrsafe's own advisory database: the nodes sent no summary.
          summary: loadBuiltinAdvisories().advisories.find((a) => a.id === 'CVE-2024-1086')!.summary,
        },
      ]);
      assert.deepEqual(
        s.rules,
        [
          {
            id: 'CS-H001',
            title: findRule('CS-H001')!.title,
            severity: findRule('CS-H001')!.severity,
            failing: 25,
          },
        ],
        "rule titles and severities come from ctrsafe's own catalogue, not from the nodes (they called CS-H001 high)",
      );
      assert.equal(s.kernels[0]!.nodes, 24);
      const pruned = await store.prune(T0 + 4000);
      assert.equal(pruned.nodes, 1);
      assert.equal((await store.listNodes({ offset: 0, limit: 5 })).total, 24);
      const after = await store.summary(T0 + 5100, 1000);
      assert.equal(after.nodes, 24, 'pruning moves the counters too');
      assert.deepEqual(after.readiness.apptainer, { yes: 12, no: 12 });
    } finally {
      await store.close();
    }
  });

  test(`${name}: plan, filters and drift; the counters always equal a rebuild from the stored reports`, async () => {
    const store = await openStore(await url());
    try {
      const kernelVuln = (id: string, severity: string) => ({
        id,
        status: 'affected',
        severity,
        target: 'kernel',
        package: 'kernel',
        installed_version: '3.10.0-957.el7',
        fixed_version: '3.10.0-1160.el7',
      });
      for (let i = 1; i <= 40; i++) {
        const raw = JSON.parse(JSON.stringify(report(`cn${String(i).padStart(3, '0')}`))) as Record<
          string,
          unknown
        >;
        const old = i <= 30;
        raw.host = {
          ...(raw.host as object),
          kernel: { release: old ? '3.10.0-957.el7.x86_64' : '5.14.0-427.el9.x86_64', distro_kernel: true },
        };
        raw.vulnerabilities = old
          ? [kernelVuln('CVE-2016-5195', 'high'), kernelVuln('CVE-2022-0847', 'high')]
          : [];
        raw.findings = [
          {
            // Critical in ctrsafe's catalogue: the plan weighs it by the catalogue, not by the node's word.
            id: 'CS-K001',
            severity: 'low',
            status: i % 8 === 0 ? 'fail' : 'pass',
            title: 'allow setuid is off',
            remediation: 'Set "allow setuid = no".',
          },
          {
            id: 'CS-K007',
            severity: 'low',
            status: 'fail',
            title: 'Yama ptrace',
            remediation: 'Set kernel.yama.ptrace_scope=1.',
          },
        ];
        const v = validateReport(raw);
        assert.ok(v.ok, v.ok ? '' : v.reason);
        await store.ingest(v.report, T0 + 10_000 + i);
      }
      const plan = await store.plan({ offset: 0, limit: 10 });
      assert.equal(plan.total, 3, 'one kernel update, two rule fixes');
      assert.deepEqual(
        plan.items.map((p) => [p.kind, p.nodes, p.weight, p.hostlist]),
        [
          ['kernel-update', 30, 30 * 50, 'cn[001-030]'],
          ['rule-fix', 5, 5 * 100, 'cn[008,016,024,032,040]'],
          ['rule-fix', 40, 40, 'cn[001-040]'],
        ],
        'the most risk removed first: two highs on 30 nodes, then one critical on 5, then a low on 40',
      );
      assert.match(plan.items[0]!.title, /Update the kernel \(kernel\) to at least 3\.10\.0-1160\.el7/);
      const byAction = await store.listNodes({ offset: 0, limit: 100, action: plan.items[1]!.key });
      assert.deepEqual(
        byAction.nodes.map((n) => n.hostname),
        ['cn008', 'cn016', 'cn024', 'cn032', 'cn040'],
      );
      assert.equal((await store.listNodes({ offset: 0, limit: 1, rule: 'CS-K001' })).total, 5);
      assert.equal((await store.listNodes({ offset: 0, limit: 1, vuln: 'CVE-2022-0847' })).total, 30);
      assert.equal((await store.listNodes({ offset: 0, limit: 1, critical: true })).total, 5);
      // The reports were made in order cn001..cn040: before cn011's are cn001..cn010's.
      const cn011Made = (await store.node('cn011'))!.row.generated_at;
      assert.equal((await store.listNodes({ offset: 0, limit: 1, staleBefore: cn011Made })).total, 10);
      assert.equal(
        (await store.listNodes({ offset: 0, limit: 1, search: 'cn_0' })).total,
        0,
        'LIKE wildcards are literal',
      );
      const risky = await store.listNodes({ offset: 0, limit: 2, sort: 'risk' });
      assert.deepEqual(
        risky.nodes.map((n) => n.hostname),
        ['cn008', 'cn016'],
      );
      // cn001 gets the new kernel: its kernel action goes, drift records it.
      const raw = JSON.parse(JSON.stringify(report('cn001', { at: '2026-11-02T00:00:00.000Z' }))) as Record<
        string,
        unknown
      >;
      raw.findings = [];
      const v = validateReport(raw);
      assert.ok(v.ok);
      await store.ingest(v.report, T0 + 20_000);
      assert.equal((await store.plan({ offset: 0, limit: 1 })).items[0]!.hostlist, 'cn[002-030]');
      assert.ok((await store.drift({ offset: 0, limit: 3 })).has_more);
      const drift = await store.drift({ offset: 0, limit: 50 });
      assert.equal(drift.has_more, false);
      assert.equal(drift.rows[0]!.hostname, 'cn001');
      assert.deepEqual(drift.rows.map((r) => r.subject).sort(), [
        'kernel',
        'rule.CS-K007',
        'vuln.CVE-2016-5195',
        'vuln.CVE-2022-0847',
      ]);
      assert.ok(drift.rows.some((r) => r.subject === 'kernel' && r.old_value === '3.10.0-957.el7.x86_64'));
      const live = {
        s: await store.summary(T0 + 30_000, 1e9),
        p: await store.plan({ offset: 0, limit: 50 }),
      };
      await store.rebuildDerived();
      assert.deepEqual(
        { s: await store.summary(T0 + 30_000, 1e9), p: await store.plan({ offset: 0, limit: 50 }) },
        live,
      );
    } finally {
      await store.close();
    }
  });

  test(`${name}: a database from before the counters is upgraded, its rows kept and the counters rebuilt`, async () => {
    const u = await url();
    const driver = u.startsWith('sqlite:')
      ? await (await import('../../../src/fleet/store/open-store.js')).openDriver(u)
      : (await import('../../../src/fleet/store/postgres-driver.js')).openPostgres(u);
    // Schema version 2, as the first release wrote it, with one node in it.
    await driver.run('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    for (const [i, m] of MIGRATIONS.slice(0, 2).entries()) {
      for (const stmt of m(driver.dialect)) await driver.run(stmt);
      await driver.run('INSERT INTO schema_version (version) VALUES (?)', [i + 1]);
    }
    const r = report('old001', { vulns: [{ id: 'CVE-2024-1086', status: 'affected' }] });
    await driver.run(
      'INSERT INTO nodes (hostname, report_id, generated_at, received_at, kernel_release, os, report) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ['old001', r.report_id, 1000, 1000, r.host.kernel.release, 'rocky 9.4', JSON.stringify(r)],
    );
    await driver.run("INSERT INTO node_runtimes VALUES ('old001', 'apptainer', 'yes', 'low')");
    await driver.run("INSERT INTO node_vulns VALUES ('old001', 'CVE-2024-1086', 'affected', 'high')");
    await driver.close();
    const store = await openStore(u);
    try {
      const s = await store.summary(T0 + 2000, 1e9);
      assert.equal(s.nodes, 1);
      assert.deepEqual(s.readiness.apptainer, { yes: 1 });
      assert.equal(s.vulnerabilities[0]?.affected, 1);
      assert.deepEqual(
        s.rules.map((x) => x.id),
        ['CS-H001'],
      );
      assert.equal((await store.listNodes({ offset: 0, limit: 5, runtime: 'podman', ready: 'no' })).total, 1);
    } finally {
      await store.close();
    }
  });

  test(`${name}: a database from before the verdicts (migration 5) gets them, its matrix rows and counters at upgrade`, async () => {
    const u = await url();
    let store = await openStore(u);
    const raw = JSON.parse(JSON.stringify(report('up001'))) as { runtimes: Record<string, unknown>[] };
    raw.runtimes = [
      { id: 'apptainer', ready: 'yes', risk: 'high', installed: true, reasons: ['setuid starter', 'more'] },
      { id: 'podman', ready: 'yes', risk: 'low', installed: false },
    ];
    const v = validateReport(raw);
    assert.ok(v.ok, v.ok ? '' : v.reason);
    await store.ingest(v.report, T0 + 1000);
    const want = (await store.summary(T0 + 2000, 1e9)).verdicts;
    assert.deepEqual(want, { apptainer: { degraded: 1 }, podman: { 'not-installed': 1 } });
    assert.deepEqual((await store.nodeViews({ offset: 0, limit: 10 })).nodes[0]?.runtimes.apptainer, {
      verdict: 'degraded',
      why: 'setuid starter',
    });
    await store.close();
    // Back to version 5 as it was: no view column, no verdict counters, states of [ready, risk].
    const driver = await openDriver(u);
    await driver.run("DELETE FROM fleet_counts WHERE metric IN ('verdict', 'severity_nodes')");
    await driver.run('ALTER TABLE nodes DROP COLUMN view');
    await driver.run('UPDATE nodes SET state = ?', [
      JSON.stringify({ r: { apptainer: ['yes', 'high'], podman: ['yes', 'low'] } }),
    ]);
    await driver.run('DROP TABLE daily_counts');
    await driver.run('DELETE FROM schema_version WHERE version > 5');
    await driver.close();
    store = await openStore(u);
    try {
      assert.deepEqual((await store.summary(T0 + 2000, 1e9)).verdicts, want);
      assert.equal(
        (await store.nodeViews({ offset: 0, limit: 10 })).nodes[0]?.runtimes.apptainer?.why,
        'setuid starter',
      );
    } finally {
      await store.close();
    }
  });

  test(`${name}: daily roll-ups: written at ingest and by the roll-up step, idempotent, carried over quiet days`, async () => {
    const store = await openStore(await url());
    try {
      const cve = 'CVE-2024-1086';
      // Ingest rolls up today by itself (the trend of a fresh server is not empty), then at most once a minute.
      const today = new Date().toISOString().slice(0, 10);
      for (const h of ['r001', 'r002', 'r003']) {
        await store.ingest(report(h, { vulns: h === 'r003' ? [] : [{ id: cve, status: 'affected' }] }), T0);
        assert.equal(
          (await store.trend(today, 1)).nodes[0],
          1,
          'the first batch rolled up, the next not yet',
        );
      }
      await store.rollup('2026-10-01');
      await store.rollup('2026-10-01');
      await store.ingest(report('r001', { ready: 'no', kernel: '5.14.0-503.el9.x86_64', vulns: [] }), T0 + 1);
      await store.rollup('2026-10-03');
      const t = await store.trend('2026-10-04', 5);
      assert.deepEqual(t.days, ['2026-09-30', '2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04']);
      assert.deepEqual(t.nodes, [null, 3, 3, 3, 3], 'no data before the first roll-up; quiet days carry it');
      assert.deepEqual(t.vulnerable_nodes, [null, 2, 2, 1, 1]);
      assert.deepEqual(t.severity_nodes.high, [null, 2, 2, 1, 1]);
      assert.deepEqual(t.verdicts.apptainer?.ready, [null, 3, 3, 2, 2]);
      assert.deepEqual(
        t.verdicts.apptainer?.blocked,
        [null, 0, 0, 1, 1],
        'zero, not unknown, once rolled up',
      );
      assert.deepEqual(await store.series('vuln', cve, '2026-10-04', 5), [
        { day: '2026-10-01', n: 2 },
        { day: '2026-10-03', n: 1 },
      ]);
      assert.deepEqual(await store.series('kernel', '5.14.0-503.el9.x86_64', '2026-10-04', 5), [
        { day: '2026-10-03', n: 1 },
      ]);
      // A counter that fell to zero leaves the day's roll-up when the day is rolled up again.
      await store.ingest(report('r002', { vulns: [] }), T0 + 2);
      await store.rollup('2026-10-03');
      assert.deepEqual(await store.series('vuln', cve, '2026-10-04', 5), [{ day: '2026-10-01', n: 2 }]);
      assert.deepEqual((await store.trend('2026-10-04', 5)).vulnerable_nodes, [null, 2, 2, 0, 0]);
      // Roll-ups of a year and a month are kept; older ones go at the next roll-up.
      await store.rollup('2024-01-01');
      await store.rollup('2026-10-04');
      assert.deepEqual(await store.series('kernel', '5.14.0-427.el9.x86_64', '2026-10-04', 1000), [
        { day: '2026-10-01', n: 3 },
        { day: '2026-10-03', n: 2 },
        { day: '2026-10-04', n: 2 },
      ]);
    } finally {
      await store.close();
    }
  });

  test(`${name}: a failure inside the transaction stores nothing; a storage failure fails its batch and backs off`, async () => {
    const u = await url();
    await (await openStore(u)).close();
    const driver = await openDriver(u);
    // A seam in front of the real driver: the statement named by `fail` throws what `error` makes.
    let fail: RegExp | null = null;
    let error: () => Error = () => new Error('injected');
    const wrap = (d: SqlDriver): SqlDriver => ({
      dialect: d.dialect,
      run: (sql, params) =>
        fail?.test(sql) && JSON.stringify(params).includes('node900')
          ? Promise.reject(error())
          : d.run(sql, params),
      all: (sql, params) => d.all(sql, params),
      transaction: (fn) => d.transaction((tx) => fn(wrap(tx))),
      close: () => d.close(),
    });
    const store = new FleetStore(wrap(driver));
    try {
      // Half-way through node900's report (its full report row): that report alone fails, its neighbour is stored,
      // and node900's report id is not remembered, so it can be delivered again.
      fail = /INSERT INTO node_reports/;
      const bad = report('node900');
      const good = report('node901');
      const [a, b] = await Promise.allSettled([store.ingest(bad, T0 + 1), store.ingest(good, T0 + 1)]);
      assert.equal(a.status, 'rejected');
      assert.equal(b.status, 'fulfilled', 'a report that fails alone does not fail its batch');
      assert.equal(await store.node('node900'), null);
      assert.equal((await store.listNodes({ offset: 0, limit: 10 })).total, 1);
      // A full disk: the whole batch fails as a storage error (answered 503), and the store backs off.
      fail = /INSERT INTO nodes/;
      error = () =>
        new StorageError(
          'the database could not be written (SQLITE_FULL: database or disk is full)',
          'SQLITE_FULL',
          true,
        );
      const [c, d] = await Promise.allSettled([
        store.ingest(bad, T0 + 2),
        store.ingest(report('node902'), T0 + 2),
      ]);
      assert.ok(
        c.status === 'rejected' && c.reason instanceof StorageError,
        'a storage failure is a StorageError',
      );
      assert.ok(d.status === 'rejected' && d.reason instanceof StorageError, 'its whole batch fails with it');
      fail = null;
      // At once, before anything else awaits: the first backoff is 100 ms.
      await assert.rejects(
        store.ingest(bad, T0 + 3),
        /unavailable/,
        'while backing off, writes are refused at once',
      );
      assert.equal(
        (await store.listNodes({ offset: 0, limit: 10 })).total,
        1,
        'nothing of that batch was stored',
      );
      await new Promise((r) => setTimeout(r, 150));
      assert.equal((await store.ingest(bad, T0 + 4)).stored, true, 'the same report can be delivered again');
      assert.equal((await store.listNodes({ offset: 0, limit: 10 })).total, 2);
    } finally {
      await store.close();
    }
  });

  test(`${name}: attack: what a node once sent does not stay; 10,000 ids one report, none the next, and the tables are as before`, async () => {
    const u = await url();
    await (await openStore(u)).close();
    const driver = await openDriver(u);
    const store = new FleetStore(driver);
    // Every table the summary, plan and node views read; transitions are history, kept for --retention-days.
    const tables = ['nodes', 'node_reports', 'node_actions', 'actions', 'fleet_counts'];
    const rows = async () => {
      const out: Record<string, number> = {};
      for (const t of tables)
        out[t] = Number((await driver.all<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${t}`))[0]!.n);
      return out;
    };
    try {
      const normal = { vulns: [{ id: 'CVE-2024-1086', status: 'affected' }] };
      await store.ingest(report('big001', normal), T0 + 1);
      await store.ingest(report('cn001', normal), T0 + 1);
      const base = await rows();
      const many = Array.from({ length: 10_000 }, (_, i) => ({
        id: `CVE-2099-${10000 + i}`,
        status: 'affected',
      }));
      assert.equal((await store.ingest(report('big001', { vulns: many }), T0 + 2)).stored, true);
      const grown = await rows();
      assert.ok(grown.fleet_counts! >= base.fleet_counts! + 10_000, JSON.stringify(grown));
      assert.equal((await store.ingest(report('big001', normal), T0 + 3)).stored, true);
      assert.deepEqual(
        { ...(await rows()), actions: base.actions },
        base,
        'the counters of ids no node has any more are gone at once',
      );
      // Actions no node needs go at the retention sweep, not at ingest: another server may count one again meanwhile.
      assert.equal((await store.prune(T0)).nodes, 0);
      assert.deepEqual(await rows(), base, 'and the actions no node needs with the sweep');
      const s = await store.summary(T0 + 4, 1e9);
      assert.deepEqual(
        s.vulnerabilities.map((v) => [v.id, v.affected]),
        [['CVE-2024-1086', 2]],
      );
    } finally {
      await store.close();
    }
  });
}

test('reports from nodes are validated: shape, enums and bounds', () => {
  const good = JSON.parse(JSON.stringify(report('node1'))) as Record<string, unknown>;
  const base = { ...good, schema: 'ctrsafe.report/1' };
  assert.equal(validateReport(base).ok, true);
  assert.match(
    (validateReport({ ...base, report_id: 'x'.repeat(100) }) as { reason: string }).reason,
    /report_id/,
  );
  assert.match(
    (
      validateReport({ ...base, runtimes: [{ id: 'docker', ready: 'yes', risk: 'low' }] }) as {
        reason: string;
      }
    ).reason,
    /^runtimes\[0\]\.id: "docker" is not one of singularity, /,
  );
  assert.match(
    (
      validateReport({ ...base, host: { hostname: 'h'.repeat(300), kernel: {}, os: {} } }) as {
        reason: string;
      }
    ).reason,
    /hostname/,
  );
  assert.equal(
    validateReport({ ...base, findings: new Array(5000).fill({ id: 'x', severity: 'low', status: 'fail' }) })
      .ok,
    false,
  );
});

test('host names: one documented charset; IDNs as punycode; dots, control and bidirectional characters refused', () => {
  const base = JSON.parse(JSON.stringify(report('node1'))) as Record<string, unknown> & {
    host: { hostname: string };
  };
  const named = (hostname: string) => validateReport({ ...base, host: { ...base.host, hostname } });
  for (const ok of ['cn001', 'cn001.cluster.example', 'gpu_07', 'xn--bcher-kva.example', 'a'.repeat(63)])
    assert.equal(named(ok).ok, true, ok);
  for (const [bad, why] of [
    ['..', /empty label/],
    ['.', /empty label/],
    ['cn001.', /empty label/],
    ['', /empty/],
    ['cn\n001', /printable ASCII/],
    ['\u202Ecn001', /printable ASCII/],
    ['bücher.example', /punycode/],
    ['-cn001', /label/],
    ['a'.repeat(64), /label/],
    [`${'a.'.repeat(126)}ab`, /longer than 253/],
    ['cn 001', /printable ASCII/],
  ] as const) {
    const v = named(bad);
    assert.equal(v.ok, false, JSON.stringify(bad));
    assert.match((v as { reason: string }).reason, why, JSON.stringify(bad));
  }
  // Invalid UTF-8 would decode to U+FFFD: two different byte strings, one name. Refused as bytes.
  const bytes = Buffer.from(JSON.stringify({ ...base, host: { ...base.host, hostname: 'cnXX' } }));
  const at = bytes.indexOf('cnXX');
  bytes[at + 2] = 0xff;
  bytes[at + 3] = 0xfe;
  assert.deepEqual(parseReport(bytes), { ok: false, reason: 'not valid UTF-8' });
});

test('every value of a report is bounded; NUL and lone surrogates are refused on both stores alike', () => {
  const base = JSON.parse(JSON.stringify(report('node1'))) as Record<string, unknown>;
  const reason = (r: Record<string, unknown>) =>
    (validateReport(r) as { ok: boolean; reason?: string }).reason ?? '';
  assert.match(reason({ ...base, extra: { note: 'a\u0000b' } }), /^extra\.note holds a NUL character$/);
  assert.match(reason({ ...base, extra: ['\ud800'] }), /^extra\[0\] holds a lone UTF-16 surrogate$/);
  assert.match(
    reason({ ...base, extra: 'x'.repeat(70_000) }),
    /^extra: a string of 70000 characters, at most 65536$/,
  );
  let deep: unknown = 'x';
  for (let i = 0; i < 20; i++) deep = [deep];
  assert.match(reason({ ...base, extra: deep }), /nested deeper than 16 levels/);
  assert.match(
    reason({ ...base, extra: Array.from({ length: 10_001 }, () => 1) }),
    /^extra: 10001 entries, at most 10000$/,
  );
  assert.match(
    reason({
      ...base,
      vulnerabilities: Array.from({ length: 10_001 }, (_, i) => ({
        id: `CVE-1-${i}`,
        status: 'affected',
        severity: 'high',
      })),
    }),
    /^vulnerabilities: 10001 entries, at most 10000$/,
  );
  assert.match(
    reason({ ...base, runtimes: new Array(65).fill({ id: 'podman', ready: 'yes', risk: 'low' }) }),
    /^runtimes: 65 entries, at most 64$/,
  );
  assert.match(
    reason({ ...base, vulnerabilities: [{ id: 'CVE "x"', status: 'affected', severity: 'high' }] }),
    /^vulnerabilities\[0\]\.id must match pattern/,
  );
  assert.equal(
    validateReport({ ...base, future_field: { added: ['by a later ctrsafe'] } }).ok,
    true,
    'new optional fields pass within bounds',
  );
});
