// Prometheus text from `check --format prometheus` and the fleet server's /metrics: well-formed, conventional names,
// promtool-clean, and an atomic textfile write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { ADMIN, request, SECRET, startServer, stopServer } from '../helpers/fleet-server.js';
import { runMain } from '../helpers/run-main.js';
import { FIXTURES, writeTree } from '../helpers/tree.js';

test('every line is a HELP, a TYPE or a sample of a ctrsafe_ gauge, and each runtime has exactly one state set', async () => {
  const r = await runMain([
    'check',
    '--root',
    path.join(FIXTURES, 'centos7-default'),
    '--format',
    'prometheus',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const names = new Set<string>();
  for (const l of lines) {
    if (l.startsWith('# HELP ') || l.startsWith('# TYPE ')) {
      assert.match(l, /^# (HELP ctrsafe_[a-z_]+ \S.*|TYPE ctrsafe_[a-z_]+ gauge)$/);
      continue;
    }
    const m = /^(ctrsafe_[a-z_]+)(\{[a-z_]+="[^"\\\n]*"(,[a-z_]+="[^"\\\n]*")*\})? (-?\d+(\.\d+)?)$/.exec(l);
    assert.ok(m, `malformed sample: ${l}`);
    names.add(m[1]!);
  }
  assert.ok(names.has('ctrsafe_runtime_ready') && names.has('ctrsafe_vulnerabilities'));
  const ready = lines.filter((l) => l.startsWith('ctrsafe_runtime_ready{runtime="charliecloud"'));
  assert.deepEqual(ready, [
    'ctrsafe_runtime_ready{runtime="charliecloud",state="yes"} 0',
    'ctrsafe_runtime_ready{runtime="charliecloud",state="no"} 1',
    'ctrsafe_runtime_ready{runtime="charliecloud",state="unknown"} 0',
  ]);
});

test('--textfile-dir writes ctrsafe.prom by rename, leaving no temporary file', async () => {
  const dir = writeTree({});
  const r = await runMain([
    'check',
    '--root',
    path.join(FIXTURES, 'rocky9'),
    '--format',
    'prometheus',
    '--textfile-dir',
    dir,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(dir), ['ctrsafe.prom']);
  assert.match(
    fs.readFileSync(path.join(dir, 'ctrsafe.prom'), 'utf8'),
    /^ctrsafe_check_timestamp_seconds \d+$/m,
  );
});

test("promtool check metrics (Debian's prometheus) accepts check's output: names, units, types, help", async () => {
  for (const host of ['centos7-default', 'ubuntu2404']) {
    const r = await runMain(['check', '--root', path.join(FIXTURES, host), '--format', 'prometheus']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ctrsafe_advisory_newest_record_timestamp_seconds \d{10}$/m);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: r.stdout, encoding: 'utf8' });
    assert.equal(
      lint.error,
      undefined,
      'promtool is installed (scripts/test.sh: apt-get install prometheus)',
    );
    assert.equal(lint.status, 0, `${host}: ${lint.stdout}${lint.stderr}`);
  }
});

test("promtool check metrics accepts the fleet server's /metrics, with a node's report stored", async () => {
  const dir = writeTree({});
  const server = await startServer(`sqlite:${path.join(dir, 'fleet.db')}`);
  const agent = new http.Agent({ keepAlive: false });
  try {
    const token = (
      await request(agent, server.port, 'POST', '/api/v1/enroll', { hostname: 'cn0301', secret: SECRET })
    ).json.node_token as string;
    const report = await runMain(['check', '--root', path.join(FIXTURES, 'rocky9'), '--format', 'json']);
    assert.equal(report.code, 0, report.stderr);
    const stored = await request(agent, server.port, 'POST', '/api/v1/reports', report.stdout, token);
    assert.equal(stored.status, 201, JSON.stringify(stored.json));
    const text = await new Promise<string>((resolve, reject) =>
      http
        .get(
          {
            port: server.port,
            host: '127.0.0.1',
            path: '/metrics',
            headers: { authorization: `Bearer ${ADMIN}` },
          },
          (res) => {
            let body = '';
            res.on('data', (b: Buffer) => (body += b.toString()));
            res.on('end', () =>
              res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode}`)),
            );
          },
        )
        .on('error', reject),
    );
    assert.match(text, /^ctrsafe_fleet_nodes 1$/m);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
  } finally {
    await stopServer(server);
  }
});
