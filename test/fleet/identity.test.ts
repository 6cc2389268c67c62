// Node identity: enrolment binds a host name once; re-enrolment, revocation, re-key, approval, rate limit, audit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApp, type AppConfig } from '../../src/fleet/server/app.js';
import { openStore } from '../../src/fleet/store/open-store.js';
import type { FleetStore } from '../../src/fleet/store/fleet-store.js';
import { validateReport } from '../../src/fleet/validate-report.js';
import { runMain } from '../helpers/run-main.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const SECRET = 'enrol-secret-for-tests-0123456789';

let seq = 0;
function report(hostname: string): Record<string, unknown> {
  const r = {
    schema: 'ctrsafe.report/1',
    report_id: `id-${hostname}-${++seq}`,
    generated_at: new Date(Date.now() - 60_000 + seq).toISOString(),
    host: {
      hostname,
      kernel: { release: '5.14.0-427.el9.x86_64', distro_kernel: true },
      os: { id: 'rocky', version_id: '9.4' },
    },
    runtimes: [{ id: 'apptainer', ready: 'yes', risk: 'low' }],
    findings: [],
    vulnerabilities: [],
  };
  assert.ok(validateReport(r).ok);
  return r;
}

async function setup(cfg: Partial<AppConfig> = {}) {
  const dbFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-identity-')), 'fleet.db');
  const store: FleetStore = await openStore(`sqlite:${dbFile}`);
  const events: Record<string, unknown>[] = [];
  const app = createApp(store, {
    adminToken: ADMIN,
    enrollSecret: SECRET,
    staleMs: 3600_000,
    onEvent: (kind, e) => events.push({ kind, ...e }),
    ...cfg,
  });
  const call = async (method: string, url: string, body?: unknown, token?: string, peer = '10.0.0.1') => {
    const r = await app({
      method,
      url,
      peer,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
    });
    return { status: r.status, json: JSON.parse(r.body) as Record<string, unknown>, headers: r.headers };
  };
  const enrol = (hostname: string, peer = '10.0.0.1') =>
    call('POST', '/api/v1/enroll', { hostname, secret: SECRET }, undefined, peer);
  const push = (hostname: string, token: string) => call('POST', '/api/v1/reports', report(hostname), token);
  return { store, call, enrol, push, events, dbFile };
}

test('attack: enrolling a known host name again does not take the node; the live token stays', async () => {
  const { store, call, enrol, push, events } = await setup();
  try {
    const first = await enrol('node001');
    assert.equal(first.status, 201);
    const token = first.json.node_token as string;
    // The attacker holds the enrolment secret (it is on every node) and asks for node001 from another address.
    const again = await enrol('node001', '10.6.6.6');
    assert.equal(again.status, 409, JSON.stringify(again.json));
    assert.equal(again.json.node_token, undefined, 'no token for the attacker');
    assert.match(String(again.json.error), /enrolled already .* ctrsafe fleet rekey node001/);
    assert.equal((await push('node001', token)).status, 201, "the victim's own token still works");
    const audit = (await call('GET', '/api/v1/audit', undefined, ADMIN)).json.events as Record<
      string,
      unknown
    >[];
    assert.ok(
      audit.some(
        (e) => e.action === 'enrol:refused-enrolled' && e.hostname === 'node001' && e.peer === '10.6.6.6',
      ),
      'the refusal is in the audit trail with the address',
    );
    assert.ok(audit.some((e) => e.action === 'enrol:enrolled' && e.peer === '10.0.0.1'));
    assert.ok(
      events.some(
        (e) => e.kind === 'audit' && e.action === 'enrol:refused-enrolled' && e.peer === '10.6.6.6',
      ),
      'and in the log',
    );
  } finally {
    await store.close();
  }
});

test('revocation sticks: a revoked node cannot enrol back; an administrator re-keys it deliberately', async () => {
  const { store, call, enrol, push } = await setup();
  try {
    const token = (await enrol('node002')).json.node_token as string;
    assert.equal((await call('DELETE', '/api/v1/nodes/node002/token', undefined, ADMIN)).status, 200);
    assert.equal((await push('node002', token)).status, 401, 'the revoked token is dead');
    const back = await enrol('node002');
    assert.equal(back.status, 403, 'a revoked node does not come back by enrolling');
    assert.match(String(back.json.error), /revoked/);
    // The administrator re-keys it: one enrolment, within the window, from the address given.
    const rk = await call(
      'POST',
      '/api/v1/nodes/node002/rekey',
      { within_hours: 1, from: '10.0.0.2' },
      ADMIN,
    );
    assert.equal(rk.status, 200, JSON.stringify(rk.json));
    assert.equal((await enrol('node002', '10.9.9.9')).status, 409, 'not from another address');
    const ok = await enrol('node002', '10.0.0.2');
    assert.equal(ok.status, 201);
    assert.equal((await push('node002', ok.json.node_token as string)).status, 201);
    assert.equal(
      (await enrol('node002', '10.0.0.2')).status,
      409,
      'the window closes with its one enrolment',
    );
    // Re-key with a token the administrator installs on the node: the old one stops at once.
    const issued = await call('POST', '/api/v1/nodes/node002/rekey', { issue_token: true }, ADMIN);
    assert.equal(issued.status, 201);
    assert.equal((await push('node002', ok.json.node_token as string)).status, 401);
    assert.equal((await push('node002', issued.json.node_token as string)).status, 201);
    const actions = (
      (await call('GET', '/api/v1/audit?node=node002', undefined, ADMIN)).json.events as { action: string }[]
    )
      .map((e) => e.action)
      .reverse();
    assert.deepEqual(actions, [
      'enrol:enrolled',
      'revoke',
      'enrol:refused-revoked',
      'rekey:enrolment-window',
      'enrol:refused-enrolled',
      'enrol:rekeyed',
      'enrol:refused-enrolled',
      'rekey:token-issued',
    ]);
    assert.equal(
      (await call('POST', '/api/v1/nodes/node002/rekey', { from: 'not-an-ip' }, ADMIN)).status,
      400,
    );
    assert.equal((await call('POST', '/api/v1/nodes/node002/rekey', {}, 'x'.repeat(32))).status, 401);
  } finally {
    await store.close();
  }
});

test('--reenroll approve: a second enrolment waits for an administrator; approval re-keys from that address', async () => {
  const { store, call, enrol, push } = await setup({ reenrol: 'approve' });
  try {
    const token = (await enrol('node003')).json.node_token as string;
    const held = await enrol('node003', '10.0.0.33');
    assert.equal(held.status, 202);
    assert.equal(held.json.node_token, undefined, 'no token while it waits');
    assert.equal(
      (await enrol('node003', '10.0.0.33')).json.request,
      held.json.request,
      'one request per address',
    );
    assert.equal((await push('node003', token)).status, 201, 'the live token works while the request waits');
    const list = (await call('GET', '/api/v1/enrolments?status=pending', undefined, ADMIN)).json.requests as {
      id: number;
      hostname: string;
      peer: string;
    }[];
    assert.deepEqual(
      list.map((r) => [r.hostname, r.peer]),
      [['node003', '10.0.0.33']],
    );
    assert.equal((await call('POST', `/api/v1/enrolments/${list[0]!.id}/approve`, {}, ADMIN)).status, 200);
    assert.equal((await push('node003', token)).status, 401, 'approval retires the old token');
    assert.equal((await enrol('node003', '10.0.0.44')).status, 202, 'another address still only asks');
    const fresh = await enrol('node003', '10.0.0.33');
    assert.equal(fresh.status, 201);
    assert.equal((await push('node003', fresh.json.node_token as string)).status, 201);
    assert.equal(
      (await call('POST', `/api/v1/enrolments/${list[0]!.id}/approve`, {}, ADMIN)).status,
      404,
      'decided once',
    );
  } finally {
    await store.close();
  }
});

test('enrolment is rate-limited per address before its body is read; refusals are logged once a minute', async () => {
  const { store, call, enrol, events } = await setup({ enrolRate: { perMinute: 6, burst: 3 } });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await enrol(`rl00${i}`, '10.1.1.1')).status, 201);
    const limited = await enrol('rl009', '10.1.1.1');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    // Guessing the secret costs the same tokens.
    assert.equal(
      (await call('POST', '/api/v1/enroll', { hostname: 'x1', secret: 'guess' }, undefined, '10.1.1.1'))
        .status,
      429,
    );
    assert.equal((await enrol('rl010', '10.2.2.2')).status, 201, 'another address is not held up');
    assert.equal(
      (await call('POST', '/api/v1/enroll', { hostname: 'x1', secret: 'guess' }, undefined, '10.3.3.3'))
        .status,
      403,
    );
    for (let i = 0; i < 5; i++) await enrol('rl011', '10.1.1.1');
    const rate = events.filter((e) => e.action === 'enrol:refused-rate');
    assert.equal(rate.length, 1, 'a flood of refusals is one audit line a minute');
    const audit = (await call('GET', '/api/v1/audit', undefined, ADMIN)).json.events as Record<
      string,
      unknown
    >[];
    assert.ok(audit.some((e) => e.action === 'enrol:refused-secret' && e.peer === '10.3.3.3'));
    assert.equal((await enrol('../../etc', '10.4.4.4')).status, 400, 'a name that is not a host name');
  } finally {
    await store.close();
  }
});

test('the administrator does the same from the command line; every action is in the audit trail', async () => {
  const { store, enrol, push, dbFile } = await setup();
  const db = `sqlite:${dbFile}`;
  const token = (await enrol('node004')).json.node_token as string;
  await store.close();
  const rekey = await runMain([
    'fleet',
    'rekey',
    'node004',
    '--db',
    db,
    '--within-hours',
    '2',
    '--from',
    '10.0.0.4',
  ]);
  assert.equal(rekey.code, 0, rekey.stderr);
  assert.match(rekey.stdout, /node004's token no longer works; it may enrol again .* from 10\.0\.0\.4/);
  const issued = await runMain(['fleet', 'rekey', 'node004', '--db', db, '--issue-token']);
  assert.match(issued.stdout, /^[A-Za-z0-9_-]{43}\n$/);
  assert.equal((await runMain(['fleet', 'revoke', 'node004', '--db', db])).code, 0);
  assert.equal((await runMain(['fleet', 'revoke', 'node004', '--db', db])).code, 1, 'nothing left to revoke');
  assert.equal((await runMain(['fleet', 'rekey', '..', '--db', db])).code, 2);
  const audit = (await runMain(['fleet', 'audit', '--db', db, '--node', 'node004'])).stdout;
  assert.match(audit, /revoke\s+node004\s+by cli:/);
  assert.match(audit, /rekey:token-issued\s+node004\s+by cli:/);
  assert.match(audit, /rekey:enrolment-window\s+node004\s+by cli:.*from 10\.0\.0\.4/);
  const again = await setupOn(dbFile);
  try {
    assert.equal((await again.push('node004', token)).status, 401);
  } finally {
    await again.store.close();
  }
  void push;
});

async function setupOn(dbFile: string) {
  const store = await openStore(`sqlite:${dbFile}`);
  const app = createApp(store, { adminToken: ADMIN, enrollSecret: SECRET, staleMs: 3600_000 });
  return {
    store,
    push: async (hostname: string, token: string) =>
      app({
        method: 'POST',
        url: '/api/v1/reports',
        headers: { authorization: `Bearer ${token}` },
        body: Buffer.from(JSON.stringify(report(hostname))),
      }),
  };
}
