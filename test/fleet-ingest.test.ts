// `fleet ingest DIR`: real reports from `check --format json`, stored once, bad files refused with a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from './helpers/run-cli.js';
import { FIXTURES, writeTree } from './helpers/tree.js';

test('reports written by nodes to a shared directory are ingested idempotently', () => {
  const dir = writeTree({
    'garbage.json': '{"schema": "ctrsafe.report/1"',
    'wrong.json': '{"schema":"other"}',
  });
  for (const host of ['rocky9', 'debian12', 'centos7-default']) {
    const r = runCli(['check', '--root', path.join(FIXTURES, host), '--format', 'json']);
    fs.writeFileSync(path.join(dir, `${host}.json`), r.stdout);
  }
  fs.copyFileSync(path.join(dir, 'rocky9.json'), path.join(dir, 'rocky9-again.json'));
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  const r = runCli(['fleet', 'ingest', dir, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 reports stored, 1 already stored, 0 older than the node's latest, 2 refused/);
  assert.match(r.stdout, /garbage\.json: not valid JSON/);
  assert.match(runCli(['fleet', 'ingest', dir, '--db', db]).stdout, /0 reports stored, 4 already stored/);
  const s = JSON.parse(runCli(['fleet', 'summary', '--db', db, '--format', 'json']).stdout) as {
    nodes: number;
    readiness: Record<string, Record<string, number>>;
  };
  assert.equal(s.nodes, 3);
  assert.deepEqual(s.readiness.charliecloud, { yes: 2, no: 1 }, 'centos7-default has user namespaces off');
  const nodes = JSON.parse(
    runCli(['fleet', 'nodes', '--db', db, '--limit', '2', '--format', 'json']).stdout,
  ) as {
    total: number;
    nodes: { generated_at: string }[];
  };
  assert.deepEqual([nodes.total, nodes.nodes.length], [3, 2]);
  // Times as ISO 8601, not epoch milliseconds.
  assert.match(nodes.nodes[0]!.generated_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  // Text tables by default, as kube-bench and sinfo print them.
  const table = runCli(['fleet', 'nodes', '--db', db]).stdout.split('\n');
  assert.match(table[0]!, /^HOST +KERNEL +OS +CRITICAL +HIGH +VULNERABLE +REPORTED$/);
  assert.equal(table.filter((l) => /^(cn0301|bookworm-ws|cn0101) /.test(l)).length, 3);
  assert.match(table.at(-2)!, /^nodes 1-3 of 3$/);
  const summary = runCli(['fleet', 'summary', '--db', db]).stdout;
  assert.match(summary, /^3 nodes: /);
  assert.match(summary, /\ncharliecloud +0 +2|\nRUNTIME/);
  const csv = runCli(['fleet', 'nodes', '--db', db, '--format', 'csv']).stdout.split('\r\n');
  assert.equal(
    csv[0],
    'hostname,kernel_release,os,fail_critical,fail_high,vulns_affected,generated_at,received_at,report_id',
  );
  assert.equal(csv.filter((l) => l.startsWith('"')).length, 3);
});
