// `fleet ingest DIR`: real reports from `check --format json`, stored once, each only for the node its file names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkJson } from '../helpers/check-report.js';
import { runMain } from '../helpers/run-main.js';
import { FIXTURES, writeTree } from '../helpers/tree.js';

const check = (fixture: string) => checkJson(path.join(FIXTURES, fixture));

test('reports written by nodes to a shared directory are ingested idempotently, each under its own name', async () => {
  const dir = writeTree({
    'garbage.json': '{"schema": "ctrsafe.report/1"',
    'wrong.json': '{"schema":"other"}',
  });
  // The fixtures' host names: rocky9 is cn0301, debian12 bookworm-ws, centos7-default cn0101.
  for (const [host, fixture] of [
    ['cn0301', 'rocky9'],
    ['bookworm-ws', 'debian12'],
    ['cn0101', 'centos7-default'],
  ] as const)
    fs.writeFileSync(path.join(dir, `${host}.json`), await check(fixture));
  // cn0101's report again, in a file named by its FQDN: not the file of the node that produced it.
  fs.copyFileSync(path.join(dir, 'cn0101.json'), path.join(dir, 'cn0101.cluster.example.json'));
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  const r = await runMain(['fleet', 'ingest', dir, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 reports stored, 0 already stored, 0 older than the node's latest, 3 refused/);
  assert.match(r.stdout, /garbage\.json: not valid JSON/);
  assert.match(r.stdout, /cn0101\.cluster\.example\.json: the report claims to be cn0101's/);
  assert.match(
    (await runMain(['fleet', 'ingest', dir, '--db', db])).stdout,
    /0 reports stored, 3 already stored/,
  );
  const s = JSON.parse((await runMain(['fleet', 'summary', '--db', db, '--format', 'json'])).stdout) as {
    nodes: number;
    readiness: Record<string, Record<string, number>>;
  };
  assert.equal(s.nodes, 3);
  assert.deepEqual(s.readiness.charliecloud, { yes: 2, no: 1 }, 'centos7-default has user namespaces off');
  const nodes = JSON.parse(
    (await runMain(['fleet', 'nodes', '--db', db, '--limit', '2', '--format', 'json'])).stdout,
  ) as {
    total: number;
    nodes: { generated_at: string }[];
  };
  assert.deepEqual([nodes.total, nodes.nodes.length], [3, 2]);
  // Times as ISO 8601, not epoch milliseconds.
  assert.match(nodes.nodes[0]!.generated_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  // Text tables by default, as kube-bench and sinfo print them.
  const table = (await runMain(['fleet', 'nodes', '--db', db])).stdout.split('\n');
  assert.match(table[0]!, /^HOST +KERNEL +OS +CRITICAL +HIGH +VULNERABLE +REPORTED$/);
  assert.equal(table.filter((l) => /^(cn0301|bookworm-ws|cn0101) /.test(l)).length, 3);
  assert.match(table.at(-2)!, /^nodes 1-3 of 3$/);
  const summary = (await runMain(['fleet', 'summary', '--db', db])).stdout;
  assert.match(summary, /^3 nodes: /);
  assert.match(summary, /\ncharliecloud +0 +2|\nRUNTIME/);
  const csv = (await runMain(['fleet', 'nodes', '--db', db, '--format', 'csv'])).stdout.split('\r\n');
  assert.equal(
    csv[0],
    'hostname,kernel_release,os,fail_critical,fail_high,vulns_affected,generated_at,received_at,report_id',
  );
  assert.equal(csv.filter((l) => l.startsWith('"')).length, 3);
});

test('attack: a node cannot store a report for another node through the directory, nor date it ahead to win', async () => {
  const dir = writeTree({});
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  // The victim's genuine report first.
  fs.writeFileSync(path.join(dir, 'cn0101.json'), await check('centos7-default'));
  assert.match((await runMain(['fleet', 'ingest', dir, '--db', db])).stdout, /1 reports stored/);
  const genuine = JSON.parse((await runMain(['fleet', 'nodes', '--db', db, '--format', 'json'])).stdout) as {
    nodes: { report_id: string }[];
  };
  // A compromised cn0301 writes a clean report claiming cn0101, dated 14 minutes ahead, into its own file and into
  // the victim's: the first names another node; the second replaces the victim's file, so it is the victim's
  // file now, but no newer than its arrival, so the victim's next genuine report still wins.
  const forged = JSON.parse(await check('rocky9')) as Record<string, unknown> & {
    host: { hostname: string };
  };
  forged.host.hostname = 'cn0101';
  forged.report_id = 'forged-1';
  forged.generated_at = new Date(Date.now() + 14 * 60_000).toISOString();
  fs.rmSync(path.join(dir, 'cn0101.json'));
  fs.writeFileSync(path.join(dir, 'cn0301.json'), JSON.stringify(forged));
  const r = await runMain(['fleet', 'ingest', dir, '--db', db]);
  assert.match(r.stdout, /0 reports stored, 0 already stored, 0 older than the node's latest, 1 refused/);
  assert.match(r.stdout, /cn0301\.json: the report claims to be cn0101's, but cn0301 produced it/);
  const after = JSON.parse((await runMain(['fleet', 'nodes', '--db', db, '--format', 'json'])).stdout) as {
    nodes: { report_id: string }[];
  };
  assert.deepEqual(after.nodes, genuine.nodes, "the victim's record is unchanged");
  const audit = (await runMain(['fleet', 'audit', '--db', db])).stdout;
  assert.match(
    audit,
    /report:refused-other-node\s+cn0301 .*by ingest .*claims to be cn0101's/,
    'and it is logged',
  );

  fs.rmSync(path.join(dir, 'cn0301.json'));
  fs.writeFileSync(path.join(dir, 'cn0101.json'), JSON.stringify(forged));
  assert.match((await runMain(['fleet', 'ingest', dir, '--db', db])).stdout, /1 reports stored/);
  const next = JSON.parse(await check('centos7-default')) as Record<string, unknown>;
  next.report_id = 'genuine-2';
  fs.writeFileSync(path.join(dir, 'cn0101.json'), JSON.stringify(next));
  const r2 = await runMain(['fleet', 'ingest', dir, '--db', db]);
  assert.match(
    r2.stdout,
    /1 reports stored, 0 already stored, 0 older/,
    'a date ahead does not make the next report older',
  );
  const last = JSON.parse((await runMain(['fleet', 'nodes', '--db', db, '--format', 'json'])).stdout) as {
    nodes: { report_id: string }[];
  };
  assert.equal(last.nodes[0]!.report_id, 'genuine-2');

  const far = {
    ...forged,
    report_id: 'forged-2',
    generated_at: new Date(Date.now() + 20 * 60_000).toISOString(),
  };
  fs.writeFileSync(path.join(dir, 'cn0101.json'), JSON.stringify(far));
  assert.match(
    (await runMain(['fleet', 'ingest', dir, '--db', db])).stdout,
    /in the future/,
    'beyond the allowance: refused',
  );
});

test("a node is stale by its report's own time: a 14-day-old report ingested today is stale", async () => {
  const dir = writeTree({});
  const old = JSON.parse(await check('rocky9')) as { generated_at: string; report_id: string };
  old.generated_at = new Date(Date.now() - 14 * 86_400_000).toISOString();
  old.report_id = `${old.report_id}-old`;
  fs.writeFileSync(path.join(dir, 'cn0301.json'), JSON.stringify(old));
  fs.writeFileSync(path.join(dir, 'bookworm-ws.json'), await check('debian12'));
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  assert.match((await runMain(['fleet', 'ingest', dir, '--db', db])).stdout, /2 reports stored/);
  const s = JSON.parse((await runMain(['fleet', 'summary', '--db', db, '--format', 'json'])).stdout) as {
    stale: number;
  };
  assert.equal(s.stale, 1, 'received now, but made 14 days ago');
  const stale = JSON.parse(
    (await runMain(['fleet', 'nodes', '--db', db, '--stale', '--format', 'json'])).stdout,
  ) as {
    nodes: { hostname: string }[];
  };
  assert.deepEqual(
    stale.nodes.map((n) => n.hostname),
    ['cn0301'],
  );
});

test('attack: a link, a FIFO, a directory or an oversized file in the shared directory is refused on its descriptor, never followed or waited on', async () => {
  const dir = writeTree({});
  const elsewhere = writeTree({});
  const genuine = await check('rocky9');
  fs.writeFileSync(path.join(elsewhere, 'secret.json'), genuine);
  // A valid report behind a link: root must not read through it (the link could point at any file on the node).
  fs.symlinkSync(path.join(elsewhere, 'secret.json'), path.join(dir, 'cn0301.json'));
  // A FIFO nobody writes: a blocking open or read would hang the ingest for good.
  execFileSync('mkfifo', [path.join(dir, 'cn0302.json')]);
  fs.mkdirSync(path.join(dir, 'cn0303.json'));
  // Sparse, so it costs no disk: one byte past the bound.
  fs.writeFileSync(path.join(dir, 'cn0304.json'), '');
  fs.truncateSync(path.join(dir, 'cn0304.json'), 16 * 1024 * 1024 + 1);
  fs.writeFileSync(path.join(dir, 'bookworm-ws.json'), await check('debian12'));
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  const r = await runMain(['fleet', 'ingest', dir, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 reports stored, 0 already stored, 0 older than the node's latest, 4 refused/);
  assert.match(r.stdout, /cn0301\.json: a symbolic link, not a report file/);
  assert.match(r.stdout, /cn0302\.json: not a regular file/);
  assert.match(r.stdout, /cn0303\.json: not a regular file/);
  assert.match(r.stdout, /cn0304\.json: larger than 16777216 bytes/);
  const nodes = JSON.parse((await runMain(['fleet', 'nodes', '--db', db, '--format', 'json'])).stdout) as {
    nodes: { hostname: string }[];
  };
  assert.deepEqual(
    nodes.nodes.map((n) => n.hostname),
    ['bookworm-ws'],
  );
  // The directory itself may be a link (the administrator's own argument): it is opened once and read below that.
  const link = path.join(writeTree({}), 'reports');
  fs.symlinkSync(dir, link);
  assert.match(
    (await runMain(['fleet', 'ingest', link, '--db', db])).stdout,
    /0 reports stored, 1 already stored/,
  );
  assert.match(
    (await runMain(['fleet', 'ingest', path.join(dir, 'missing'), '--db', db])).stderr,
    /missing: does not exist/,
  );
});
