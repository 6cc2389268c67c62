// ctrsafe targets Node 22 and 24 LTS, and `npm install` users may still run it on the machine's Node: the suite runs
// whole on Node 24 (scripts/test.sh), and here the bundle runs on Node 22 LTS (scripts/fetch-node.mjs --line=22) and
// on the machine's Node (CTRSAFE_TEST_MACHINE_NODE, which scripts/test.sh sets) and must answer exactly as on this
// Node: the host check, SIF signatures (each key type, through Node's own crypto), the gate, and the fleet store
// (better-sqlite3 where its addon was built for that Node, else node:sqlite).
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

/** The same binary, however it is named (a PATH link, a copy's path). */
const real = (file: string): string => fs.realpathSync.native(file);
const version = (node: string): string =>
  execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();

/**
 * Each other Node to compare with this one, once per binary: Node 22 LTS, and the machine's Node unless it is this
 * one or that Node 22. Named by its version, and the machine's as such (on a Node 22 machine both are 22).
 */
const LINES: { node: string; label: string; major: string }[] = [
  { node: node22, label: '' },
  { node: process.env.CTRSAFE_TEST_MACHINE_NODE ?? '', label: "the machine's " },
]
  .filter(
    (l, i, all) =>
      l.node !== '' &&
      real(l.node) !== real(process.execPath) &&
      all.findIndex((o) => o.node !== '' && real(o.node) === real(l.node)) === i,
  )
  .map((l) => {
    const v = version(l.node);
    return { node: l.node, label: `${l.label}Node ${v}`, major: v.split('.')[0]! };
  });

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

test("Node 22 LTS is compared, and the machine's Node where scripts/test.sh names one other than this", () => {
  assert.ok(
    LINES.some((l) => l.major === '22'),
    'Node 22 LTS is fetched and compared',
  );
  const machine = process.env.CTRSAFE_TEST_MACHINE_NODE;
  // scripts/test.sh names it: without it, the comparison with the Node that npm users run would silently go.
  if (process.env.CI) assert.ok(machine, 'CTRSAFE_TEST_MACHINE_NODE is set');
  if (machine && real(machine) !== real(process.execPath))
    assert.ok(
      LINES.some((l) => real(l.node) === real(machine)),
      `the machine's Node ${machine} is compared`,
    );
});

for (const { node: other, label, major } of LINES) {
  test(`the bundle on ${label} answers as on this Node: --version, check, gate`, () => {
    const v = on(other, ['--version']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(
      v.stdout,
      new RegExp(`^ctrsafe \\S+ \\(Node v${major}\\.\\d+\\.\\d+, linux ${process.arch}\\)`),
    );
    for (const host of ['rocky9', 'debian12', 'centos7-default']) {
      const args = ['check', '--root', path.join(FIXTURES, host), '--format', 'json'];
      const here = on(process.execPath, args);
      const there = on(other, args);
      assert.equal(there.status, here.status, there.stderr);
      assert.deepEqual(verdicts(there.stdout), verdicts(here.stdout), host);
    }
    const gate = ['gate', '--root', path.join(FIXTURES, 'centos7-default')];
    const g = on(other, gate);
    const h = on(process.execPath, gate);
    assert.deepEqual([g.status, g.stdout], [h.status, h.stdout]);
  });

  test(
    `the bundle on ${label} verifies the sylabs SIF samples as this Node does (OpenPGP, Ed25519, ECDSA, RSA)`,
    { skip: fs.existsSync(SAMPLES) ? false : 'needs ../shared/reference/sif-samples' },
    () => {
      const sifs = fs
        .readdirSync(SAMPLES)
        .filter((f) => f.endsWith('.sif'))
        .map((f) => path.join(SAMPLES, f));
      assert.ok(sifs.length >= 5);
      const verify = [
        'image',
        'verify',
        '--keyring',
        path.join(SAMPLES, 'keys'),
        '--format',
        'json',
        ...sifs,
      ];
      const here = on(process.execPath, verify);
      const there = on(other, verify);
      assert.equal(there.status, here.status, there.stderr);
      assert.deepEqual(JSON.parse(there.stdout), JSON.parse(here.stdout));
      assert.match(there.stdout, /"verified"/, 'some sample verifies against its key');
    },
  );

  test(`the bundle on ${label}: fleet ingest and fleet nodes on an SQLite store`, () => {
    const dir = writeTree({});
    for (const host of ['rocky9', 'debian12']) {
      const r = on(process.execPath, ['check', '--root', path.join(FIXTURES, host), '--format', 'json']);
      const { hostname } = (JSON.parse(r.stdout) as { host: { hostname: string } }).host;
      fs.writeFileSync(path.join(dir, `${hostname}.json`), r.stdout);
    }
    const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
    const ingest = on(other, ['fleet', 'ingest', dir, '--db', db]);
    assert.equal(ingest.status, 0, ingest.stderr);
    assert.match(ingest.stdout, /2 reports stored/);
    // What this Node reads of the store the other wrote (better-sqlite3 and node:sqlite share one file format).
    for (const reader of [other, process.execPath]) {
      const nodes = on(reader, ['fleet', 'nodes', '--db', db, '--format', 'json']);
      assert.equal(nodes.status, 0, nodes.stderr);
      assert.equal((JSON.parse(nodes.stdout) as { nodes: unknown[] }).nodes.length, 2);
    }
  });
}
