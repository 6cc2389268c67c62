// The fleet API's answers (src/schema/fleet-api.ts): a real server, in process, with real reports, on SQLite and on
// PostgreSQL, answers every declared route with a body the published file (docs/schema/ctrsafe.fleet-api-1.json, read
// by a second validator) and the declaration both accept; a field the server adds without declaring it is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { runCheck } from '../../src/cli/check-command.js';
import { createApp, type ApiRequest } from '../../src/fleet/server/app.js';
import { openStore } from '../../src/fleet/store/open-store.js';
import { documentProblem } from '../../src/schema/check-document.js';
import { FLEET_API_BODIES } from '../../src/schema/fleet-api.js';
import { fixtureHost } from '../helpers/fixture-host.js';
import { storeBackends } from '../helpers/store-backends.js';
import { REPO } from '../helpers/tree.js';

type Body = keyof typeof FLEET_API_BODIES;

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js') as new (o: object) => {
  compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] | null };
};
const published = JSON.parse(
  fs.readFileSync(path.join(REPO, 'docs/schema/ctrsafe.fleet-api-1.json'), 'utf8'),
) as Record<string, unknown>;
const ajv = new Ajv2020({ strict: false, allErrors: true });
/** A validator of one answer, from the published file alone: `#/$defs/NAME` inside it. */
const publishedBody = (name: Body) =>
  ajv.compile({ ...published, $ref: `#/$defs/${name}`, anyOf: undefined, title: undefined });

const ADMIN = 'admin-token-for-tests-0123456789';
const SECRET = 'enrol-secret-for-tests-0123456789';

async function report(fixture: string, hostname: string, id: string, at: number) {
  const root = fixtureHost(fixture);
  const { report: r } = await runCheck({ root, dbDir: path.join(root, 'no-store') });
  return {
    ...r,
    report_id: id,
    generated_at: new Date(at).toISOString(),
    host: { ...r.host, hostname },
  };
}

for (const [backend, url] of storeBackends('ctrsafe_test_api_schema'))
  test(`${backend}: every declared answer of a real server (enrol, reports, summary and its sections, overview, matrix, grid, nodes, node, plan, drift, re-key, revoke, enrolments, audit, errors) fits the published file and the declaration`, async () => {
    const store = await openStore(await url());
    let clock = Date.now();
    const app = createApp(store, {
      adminToken: ADMIN,
      enrollSecret: SECRET,
      staleMs: 3600_000,
      reenrol: 'approve',
      now: () => clock,
    });
    const seen = new Set<Body>();
    const call = async (
      want: Body,
      status: number,
      method: string,
      url: string,
      body?: unknown,
      token?: string,
    ) => {
      const r = await app({
        method,
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
        peer: '192.0.2.7',
      } as ApiRequest);
      assert.equal(r.status, status, `${method} ${url}: ${r.body}`);
      const doc = JSON.parse(r.body) as unknown;
      const v = publishedBody(want);
      assert.ok(
        v(doc),
        `${method} ${url} against the published ${want}: ${JSON.stringify(v.errors?.slice(0, 3))}`,
      );
      assert.equal(documentProblem(FLEET_API_BODIES[want], doc), null, `${method} ${url}`);
      seen.add(want);
      return doc as Record<string, unknown>;
    };
    try {
      const enrolled = await call('enrolled', 201, 'POST', '/api/v1/enroll', {
        hostname: 'node001',
        secret: SECRET,
      });
      const token = enrolled.node_token as string;
      await call('enrolled', 201, 'POST', '/api/v1/enroll', { hostname: 'node002', secret: SECRET });
      await call('error', 403, 'POST', '/api/v1/enroll', { hostname: 'node003', secret: 'wrong' });
      // Two reports of node001 from two fixture hosts: a kernel and runtimes that changed, for the drift.
      await call(
        'report',
        201,
        'POST',
        '/api/v1/reports',
        await report('rocky9', 'node001', 'r1', clock - 60_000),
        token,
      );
      const second = await report('debian12', 'node001', 'r2', clock - 30_000);
      await call('report', 201, 'POST', '/api/v1/reports', second, token);
      const dup = await call('report', 200, 'POST', '/api/v1/reports', second, token);
      assert.equal(dup.note, 'duplicate');
      await call(
        'error',
        403,
        'POST',
        '/api/v1/reports',
        await report('rocky9', 'node002', 'r3', clock),
        token,
      );

      const summary = await call('summary', 200, 'GET', '/api/v1/summary', undefined, ADMIN);
      assert.equal(summary.nodes, 1);
      const nodes = await call('nodes', 200, 'GET', '/api/v1/nodes', undefined, ADMIN);
      assert.equal((nodes.nodes as unknown[]).length, 1);
      const node = await call('node', 200, 'GET', '/api/v1/nodes/node001', undefined, ADMIN);
      assert.ok((node.transitions as unknown[]).length > 0, 'the second report changed the node');
      await call('error', 404, 'GET', '/api/v1/nodes/node999', undefined, ADMIN);
      const plan = await call('plan', 200, 'GET', '/api/v1/plan', undefined, ADMIN);
      assert.ok((plan.items as unknown[]).length > 0, 'a fixture host needs actions');
      const drift = await call('drift', 200, 'GET', '/api/v1/drift', undefined, ADMIN);
      assert.ok((drift.rows as unknown[]).length > 0);

      // The summary's sections as JSON: each the summary's own part.
      for (const section of ['readiness', 'kernels', 'vulnerabilities', 'rules'] as const) {
        const part = await call(
          `summary-${section}`,
          200,
          'GET',
          `/api/v1/summary/${section}`,
          undefined,
          ADMIN,
        );
        assert.deepEqual(part, summary[section], section);
      }
      for (const days of [30, 90]) {
        const overview = await call(
          'overview',
          200,
          'GET',
          `/api/v1/overview?days=${days}`,
          undefined,
          ADMIN,
        );
        assert.equal(overview.days, days);
        assert.ok(
          (overview.charts as { rows: unknown[] }[]).every((c) => c.rows.length > 0),
          'every chart has a table',
        );
      }
      const matrix = await call('matrix', 200, 'GET', '/api/v1/matrix', undefined, ADMIN);
      assert.deepEqual(
        (matrix.nodes as { hostname: string }[]).map((n) => n.hostname),
        ['node001'],
      );
      assert.ok((matrix.runtimes as string[]).length > 0);
      for (const device of ['gpu', 'rdma']) {
        const m = await call('matrix', 200, 'GET', `/api/v1/matrix?device=${device}`, undefined, ADMIN);
        assert.equal(m.device, device);
        assert.ok(
          (m.nodes as { present?: unknown }[]).every((n) => 'present' in n),
          device,
        );
      }
      const grid = await call('grid', 200, 'GET', '/api/v1/grid', undefined, ADMIN);
      assert.equal(grid.total, 1);
      await call('grid', 200, 'GET', '/api/v1/grid?runtime=podman', undefined, ADMIN);

      await call('rekeyed', 200, 'POST', '/api/v1/nodes/node002/rekey', { within_hours: 2 }, ADMIN);
      await call('rekeyed', 201, 'POST', '/api/v1/nodes/node002/rekey', { issue_token: true }, ADMIN);
      await call('revoked', 200, 'DELETE', '/api/v1/nodes/node002/token', undefined, ADMIN);
      // A second enrolment of a known name is held (reenrol: approve), then approved by the administrator.
      const held = await call('enrolment-held', 202, 'POST', '/api/v1/enroll', {
        hostname: 'node001',
        secret: SECRET,
      });
      const pending = await call(
        'enrolments',
        200,
        'GET',
        '/api/v1/enrolments?status=pending',
        undefined,
        ADMIN,
      );
      assert.deepEqual(
        (pending.requests as { id: number }[]).map((r) => r.id),
        [held.request],
      );
      clock += 1000;
      const approved = await call(
        'enrolment',
        200,
        'POST',
        `/api/v1/enrolments/${String(held.request)}/approve`,
        undefined,
        ADMIN,
      );
      // The answer says what was decided, as the list says it afterwards: when, by whom.
      assert.equal(approved.status, 'approved');
      assert.equal(approved.decided_at, clock);
      assert.equal(approved.decided_by, 'admin');
      const after = await call('enrolments', 200, 'GET', '/api/v1/enrolments', undefined, ADMIN);
      assert.deepEqual((after.requests as unknown[])[0], approved);

      const audit = await call('audit', 200, 'GET', '/api/v1/audit', undefined, ADMIN);
      const actions = (audit.events as { action: string }[]).map((e) => e.action);
      for (const a of ['rekey:token-issued', 'revoke', 'enrolment:approved'])
        assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
      const of2 = await call('audit', 200, 'GET', '/api/v1/audit?node=node002&limit=2', undefined, ADMIN);
      assert.deepEqual(
        (of2.events as { hostname: string }[]).map((e) => e.hostname),
        ['node002', 'node002'],
      );

      assert.deepEqual(
        Object.keys(FLEET_API_BODIES).filter((k) => !seen.has(k as Body)),
        [],
        'every published answer was met',
      );
    } finally {
      await store.close();
    }
  });

test('an answer with a field its declaration does not name, or a wrong type, fails both the published file and the declaration', () => {
  const row = {
    hostname: 'n1',
    report_id: 'r1',
    generated_at: 1,
    received_at: 2,
    kernel_release: null,
    os: 'rocky 9.3',
    fail_critical: 0,
    fail_high: 1,
    vulns_affected: 0,
  };
  const page = { total: 1, nodes: [row], stale_before: 0 };
  assert.ok(publishedBody('nodes')(page));
  assert.equal(documentProblem(FLEET_API_BODIES.nodes, page), null);
  for (const [bad, why] of [
    [
      { ...page, nodes: [{ ...row, secret: 'x' }] },
      /^nodes\[0\]\.secret: unknown key \(known: hostname, report_id, generated_at, /,
    ],
    [{ ...page, nodes: [{ ...row, fail_high: -1 }] }, /^nodes\[0\]\.fail_high must be >= 0 \(-1\)$/],
    [{ total: 1, nodes: [row] }, /^stale_before: missing$/],
  ] as const) {
    assert.equal(publishedBody('nodes')(bad), false, JSON.stringify(bad));
    assert.match(documentProblem(FLEET_API_BODIES.nodes, bad) ?? '', why);
  }
  // The grid's cells are 2020-12 tuples (prefixItems), the overview's window 30 or 90 days.
  const grid = {
    runtime: 'podman',
    verdicts: ['ready'],
    reasons: [],
    partitions: [{ name: 'batch', counts: { ready: 1 }, nodes: [['n1', 0, -1]] }],
    total: 1,
  };
  assert.ok(publishedBody('grid')(grid));
  assert.equal(documentProblem(FLEET_API_BODIES.grid, grid), null);
  for (const [name, bad] of [
    ['grid', { ...grid, partitions: [{ ...grid.partitions[0], nodes: [['n1', 0, -1, 'x']] }] }],
    ['grid', { ...grid, partitions: [{ ...grid.partitions[0], nodes: [['n1', -2, -1]] }] }],
    ['grid', { ...grid, verdicts: ['fine'] }],
    ['overview', { nodes: 0, stale: 0, critical_nodes: 0, vulnerable_nodes: 0, days: 7, charts: [] }],
  ] as const) {
    assert.equal(publishedBody(name)(bad), false, JSON.stringify(bad));
    assert.notEqual(documentProblem(FLEET_API_BODIES[name], bad), null, JSON.stringify(bad));
  }
});
