// ctrsafe targets Node 22 and 24 LTS: the suite runs whole on this machine's Node and on Node 24 (scripts/test.sh),
// and here the bundle runs on Node 22 LTS (scripts/fetch-node.mjs --line=22) and must answer exactly as on this
// Node: the host check, SIF signatures (each key type, through Node's own crypto), the gate, and the fleet store
// (node:sqlite there, where better-sqlite3's addon was built for this Node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, FIXTURES, REPO, writeTree } from '../helpers/tree.js';

const node22 = execFileSync(process.execPath, [path.join(REPO, 'scripts/fetch-node.mjs'), '--line=22'], {
  encoding: 'utf8',
}).trim();
const SAMPLES = path.join(REPO, '../shared/reference/sif-samples');

const on = (node: string, args: string[]) =>
  spawnSync(node, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });

/**
 * What a report says, without when, by which Node, and under which id it was made, nor the advisory data's age in
 * days (the two runs may fall either side of midnight).
 */
function verdicts(json: string): unknown {
  const r = JSON.parse(json) as Record<string, unknown> & { advisories: { age_days?: number } };
  for (const k of ['generated_at', 'report_id', 'tool']) delete r[k];
  assert.equal(typeof r.advisories.age_days, 'number');
  delete r.advisories.age_days;
  return r;
}

test('the bundle on Node 22 LTS answers as on this Node: --version, check, gate', () => {
  const v = on(node22, ['--version']);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`^ctrsafe \\S+ \\(Node v22\\.\\d+\\.\\d+, linux ${process.arch}\\)`));
  for (const host of ['rocky9', 'debian12', 'centos7-default']) {
    const args = ['check', '--root', path.join(FIXTURES, host), '--format', 'json'];
    const here = on(process.execPath, args);
    const there = on(node22, args);
    assert.equal(there.status, here.status, there.stderr);
    assert.deepEqual(verdicts(there.stdout), verdicts(here.stdout), host);
  }
  const gate = ['gate', '--root', path.join(FIXTURES, 'centos7-default')];
  const g = on(node22, gate);
  const h = on(process.execPath, gate);
  assert.deepEqual([g.status, g.stdout], [h.status, h.stdout]);
});

test(
  'the bundle on Node 22 LTS verifies the sylabs SIF samples as this Node does (OpenPGP, Ed25519, ECDSA, RSA)',
  { skip: fs.existsSync(SAMPLES) ? false : 'needs ../shared/reference/sif-samples' },
  () => {
    const sifs = fs
      .readdirSync(SAMPLES)
      .filter((f) => f.endsWith('.sif'))
      .map((f) => path.join(SAMPLES, f));
    assert.ok(sifs.length >= 5);
    const verify = ['image', 'verify', '--keyring', path.join(SAMPLES, 'keys'), '--format', 'json', ...sifs];
    const here = on(process.execPath, verify);
    const there = on(node22, verify);
    assert.equal(there.status, here.status, there.stderr);
    assert.deepEqual(JSON.parse(there.stdout), JSON.parse(here.stdout));
    assert.match(there.stdout, /"verified"/, 'some sample verifies against its key');
  },
);

test('the bundle on Node 22 LTS: fleet ingest and fleet nodes on an SQLite store (node:sqlite)', () => {
  const dir = writeTree({});
  for (const host of ['rocky9', 'debian12']) {
    const r = on(process.execPath, ['check', '--root', path.join(FIXTURES, host), '--format', 'json']);
    const { hostname } = (JSON.parse(r.stdout) as { host: { hostname: string } }).host;
    fs.writeFileSync(path.join(dir, `${hostname}.json`), r.stdout);
  }
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  const ingest = on(node22, ['fleet', 'ingest', dir, '--db', db]);
  assert.equal(ingest.status, 0, ingest.stderr);
  assert.match(ingest.stdout, /2 reports stored/);
  const nodes = on(node22, ['fleet', 'nodes', '--db', db, '--format', 'json']);
  assert.equal(nodes.status, 0, nodes.stderr);
  assert.equal((JSON.parse(nodes.stdout) as { nodes: unknown[] }).nodes.length, 2);
});
