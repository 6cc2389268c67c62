// The attacks of issue 14 on the real `fleet serve` over loopback: unauthenticated bodies, memory, a large report
// against the summary, an unknown id's severity, connection floods, headers on every answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateReport } from '../../../src/fleet/validate-report.js';
import {
  ADMIN,
  headOnly,
  request,
  SECRET,
  sendLargeReports,
  startServer,
  stopServer,
} from '../../helpers/fleet-server.js';

const MiB = 1024 * 1024;

function report(hostname: string, vulns: { id: string; severity: string; summary?: string }[] = []) {
  return {
    schema: 'ctrsafe.report/1',
    report_id: `${hostname}-${Math.random().toString(36).slice(2)}`,
    generated_at: new Date().toISOString(),
    host: {
      hostname,
      kernel: { release: '5.14.0-427.el9.x86_64', distro_kernel: true },
      os: { id: 'rocky', version_id: '9.4' },
    },
    runtimes: [{ id: 'apptainer', ready: 'yes', risk: 'low' }],
    findings: [],
    vulnerabilities: vulns.map((v) => ({ status: 'affected', ...v })),
  };
}

/** A report at the vulnerability cap, about 14 MiB, every id unknown to the server and called critical. */
function largeReport(hostname: string, count = 10_000) {
  return report(
    hostname,
    Array.from({ length: count }, (_, i) => ({
      id: `CVE-2099-${10000 + i}`,
      severity: 'critical',
      summary: 's'.repeat(1400),
    })),
  );
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-attacks-'));

test('unauthenticated bodies are refused on the head, before a byte of them is read; memory returns to its base', async () => {
  const server = await startServer(`sqlite:${path.join(dir, 'mem.db')}`);
  const agent = new http.Agent({ keepAlive: true });
  try {
    // Only the head is sent: a 16 MiB body is announced and never comes, yet the answer does.
    for (const [route, token] of [
      ['/api/v1/reports', 'y'.repeat(43)],
      ['/api/v1/reports', ''],
      ['/api/v1/nodes/x/rekey', 'z'.repeat(43)],
    ] as const) {
      const { response } = await headOnly(
        server.port,
        `POST ${route} HTTP/1.1\r\nHost: x\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Type: application/json\r\nContent-Length: ${16 * MiB}\r\n\r\n`,
      );
      assert.match(response, /^HTTP\/1\.1 401 /, `${route}: ${response.split('\r\n')[0]}`);
      assert.match(response, /\r\ncache-control: no-store\r\n/i);
      assert.match(response, /\r\nx-content-type-options: nosniff\r\n/i);
      assert.match(response, /\r\nconnection: close\r\n/i);
    }
    // An authorised request whose body is announced above its route's bound: 413, also without reading it.
    const enrolled = await request(agent, server.port, 'POST', '/api/v1/enroll', {
      hostname: 'mem01',
      secret: SECRET,
    });
    const token = enrolled.json.node_token as string;
    const big = await headOnly(
      server.port,
      `POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${17 * MiB}\r\n\r\n`,
    );
    assert.match(big.response, /^HTTP\/1\.1 413 /);

    // The attack of the issue: many 16 MiB bodies without a valid token, all at once (buffered before, they grew
    // the server from 199 to 604 MiB for good). Now each is refused on its head and its connection closed.
    for (let i = 0; i < 5; i++) await request(agent, server.port, 'GET', '/api/v1/summary', undefined, ADMIN);
    const base = server.rssKiB();
    const body = Buffer.alloc(16 * MiB, 0x20);
    const attack = () =>
      new Promise<void>((resolve) => {
        const s = net.connect(server.port, '127.0.0.1', () => {
          s.write(
            `POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'q'.repeat(43)}\r\nContent-Length: ${body.length}\r\n\r\n`,
          );
          s.write(body);
        });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.setTimeout(20_000, () => s.destroy());
      });
    await Promise.all(Array.from({ length: 40 }, attack));
    await new Promise((r) => setTimeout(r, 1000));
    const after = server.rssKiB();
    const grown = (after - base) / 1024;
    assert.ok(
      grown < 64,
      `the server grew by ${grown.toFixed(0)} MiB over 640 MiB of refused bodies (base ${base} KiB)`,
    );
    assert.equal((await request(agent, server.port, 'GET', '/api/v1/summary', undefined, ADMIN)).status, 200);
    const log = server
      .output()
      .split('\n')
      .filter((l) => l.includes('"status":401') && l.includes('"route":"POST /api/v1/reports"'));
    assert.ok(log.length >= 40, 'each refusal is in the request log');
    const readIn = log.map((l) => (JSON.parse(l) as { bytes_in: number }).bytes_in);
    assert.deepEqual([...new Set(readIn)], [0], 'no byte of a refused body was taken in');
  } finally {
    agent.destroy();
    await stopServer(server);
  }
});

test('a large report does not hold up the summary; an unknown id keeps the server\'s "unknown"; the counters go with it', async (t) => {
  const server = await startServer(`sqlite:${path.join(dir, 'large.db')}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    const token = (
      await request(agent, server.port, 'POST', '/api/v1/enroll', { hostname: 'big01', secret: SECRET })
    ).json.node_token as string;
    const big = JSON.stringify(largeReport('big01'));
    assert.ok(big.length > 13 * MiB, `${big.length} bytes`);
    assert.ok(
      validateReport(JSON.parse(big)).ok,
      'the large report is valid: every list at or under its bound',
    );
    const over = JSON.stringify(largeReport('big01', 10_001));
    const refused = await request(agent, server.port, 'POST', '/api/v1/reports', over, token);
    assert.equal(refused.status, 422);
    assert.match(String(refused.json.error), /vulnerabilities: 10001 entries, at most 10000/);

    let stop = false;
    const latencies: number[] = [];
    const probe = (async () => {
      while (!stop) {
        const t0 = performance.now();
        const r = await request(agent, server.port, 'GET', '/api/v1/summary', undefined, ADMIN);
        assert.equal(r.status, 200);
        latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const t0 = performance.now();
    // Another process sends them: this one times the summaries, and must not be the one held up.
    const stored = await sendLargeReports(server.port, token, 'big01', 2);
    const storeMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await probe;
    assert.deepEqual(stored, [201, 201]);
    const worst = Math.max(...latencies);
    assert.ok(latencies.length >= 5, `${latencies.length} summaries during the attack`);
    assert.ok(
      worst < 1000,
      `the slowest summary took ${worst.toFixed(0)} ms while two large reports were stored`,
    );
    t.diagnostic(
      `two ~14 MiB reports stored in ${storeMs.toFixed(0)} ms; ${latencies.length} summaries meanwhile, slowest ${worst.toFixed(0)} ms`,
    );
    const s = (await request(agent, server.port, 'GET', '/api/v1/summary', undefined, ADMIN)).json as {
      vulnerabilities: { id: string; severity: string; summary: string }[];
    };
    const v = s.vulnerabilities.find((x) => x.id === 'CVE-2099-10000');
    assert.equal(v?.severity, 'unknown', 'the node called it critical; the server does not know it');
    assert.match(v?.summary ?? '', /^unknown: not in this server's advisory database/);
    // The node reports normally again: what its large report put in the counters is gone.
    const normal = await request(agent, server.port, 'POST', '/api/v1/reports', report('big01'), token);
    assert.equal(normal.status, 201);
    const after = (await request(agent, server.port, 'GET', '/api/v1/summary', undefined, ADMIN)).json as {
      vulnerabilities: unknown[];
    };
    assert.deepEqual(after.vulnerabilities, []);
  } finally {
    agent.destroy();
    await stopServer(server);
  }
});

/** A GET whose answer need not be JSON: status, headers, text. */
function get(
  port: number,
  url: string,
  token?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: '127.0.0.1', port, path: url, headers: token ? { authorization: `Bearer ${token}` } : {} },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      )
      .on('error', reject);
  });
}

test('connections are capped, every answer carries the security headers, /metrics has its own token', async () => {
  const metricsFile = path.join(dir, 'metrics-token');
  fs.writeFileSync(metricsFile, 'metrics-token-0123456789abcdef\n', { mode: 0o600 });
  const requestLog = path.join(dir, 'requests.jsonl');
  const auditLog = path.join(dir, 'audit.jsonl');
  const server = await startServer(`sqlite:${path.join(dir, 'conn.db')}`, [
    '--max-connections',
    '20',
    '--metrics-token-file',
    metricsFile,
    '--request-log',
    requestLog,
    '--audit-log',
    auditLog,
  ]);
  const agent = new http.Agent({ keepAlive: true });
  try {
    const node = (
      await request(agent, server.port, 'POST', '/api/v1/enroll', { hostname: 'm01', secret: SECRET })
    ).json.node_token as string;
    const metrics = await get(server.port, '/metrics', 'metrics-token-0123456789abcdef');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /^ctrsafe_fleet_nodes 0$/m);
    assert.equal((await get(server.port, '/metrics', ADMIN)).status, 200, 'the admin token works too');
    assert.equal((await get(server.port, '/metrics', node)).status, 401, 'a node token does not');
    assert.equal((await get(server.port, '/metrics')).status, 401);
    assert.equal(
      (await get(server.port, '/api/v1/summary', 'metrics-token-0123456789abcdef')).status,
      401,
      'the scrape token reads /metrics and nothing else',
    );
    for (const [url, token, status] of [
      ['/metrics', 'metrics-token-0123456789abcdef', 200],
      ['/metrics', undefined, 401],
      ['/api/v1/nodes', undefined, 401],
      ['/api/v1/nope', ADMIN, 404],
      ['/', undefined, 200],
      ['/assets/dashboard.js', undefined, 200],
    ] as const) {
      const r = await get(server.port, url, token);
      assert.equal(r.status, status, url);
      assert.equal(r.headers['cache-control'], 'no-store', `${url}: cache-control`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`);
      assert.equal(r.headers['x-frame-options'], 'DENY', `${url}: framing`);
    }
    // A flood of idle connections: past the cap they are closed as they come; the server keeps answering.
    const sockets = await Promise.all(
      Array.from(
        { length: 60 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(server.port, '127.0.0.1', () => resolve(s));
            s.on('error', () => undefined);
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 500));
    const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open' && !s.readableEnded).length;
    assert.ok(open <= 21, `${open} of 60 idle connections stayed open under a cap of 20`);
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await get(server.port, '/api/v1/summary', ADMIN)).status, 200);
    const body = JSON.stringify(report('m01'));
    assert.equal((await request(agent, server.port, 'POST', '/api/v1/reports', body, node)).status, 201);
    await stopServer(server);

    // The logs: files private to their owner, one JSON object a line, every field of the issue, no secret.
    for (const f of [requestLog, auditLog]) assert.equal(fs.statSync(f).mode & 0o777, 0o600, f);
    const lines = (f: string) =>
      fs
        .readFileSync(f, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const pushed = lines(requestLog).find((l) => l.route === 'POST /api/v1/reports');
    assert.ok(pushed, 'the report is in the request log');
    assert.deepEqual(
      { ...pushed, time: typeof pushed.time, bytes_out: typeof pushed.bytes_out, ms: typeof pushed.ms },
      {
        time: 'string',
        log: 'request',
        peer: '127.0.0.1',
        node: 'm01',
        route: 'POST /api/v1/reports',
        status: 201,
        bytes_in: Buffer.byteLength(body),
        bytes_out: 'number',
        ms: 'number',
      },
    );
    assert.ok(Math.abs(Date.parse(String(pushed.time)) - Date.now()) < 60_000, String(pushed.time));
    assert.ok(
      lines(auditLog).some(
        (l) => l.action === 'enrol:enrolled' && l.hostname === 'm01' && l.peer === '127.0.0.1',
      ),
      'the enrolment is in the audit log with its address',
    );
    const all = fs.readFileSync(requestLog, 'utf8') + fs.readFileSync(auditLog, 'utf8');
    for (const secret of [SECRET, ADMIN, node, 'metrics-token-0123456789abcdef'])
      assert.ok(!all.includes(secret), 'no token or secret is logged');
  } finally {
    agent.destroy();
    await stopServer(server);
  }
});
