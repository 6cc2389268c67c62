// The fleet on Node 24 LTS where better-sqlite3's addon (built for the machine's Node) cannot load: the store
// opens through node:sqlite, and the single executable serves the fleet too, saying which library it opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, FIXTURES, REPO, writeTree } from '../helpers/tree.js';

const node24 = execFileSync(process.execPath, [path.join(REPO, 'scripts/fetch-node.mjs')], {
  encoding: 'utf8',
}).trim();
const SEA = path.join(REPO, 'dist/sea/ctrsafe');

function reportDir(): string {
  const dir = writeTree({});
  for (const host of ['rocky9', 'debian12']) {
    const r = spawnSync(
      process.execPath,
      [BIN, 'check', '--root', path.join(FIXTURES, host), '--format', 'json'],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    // A directory's report is bound to the node its file is named for (issue 14).
    const { hostname } = (JSON.parse(r.stdout) as { host: { hostname: string } }).host;
    fs.writeFileSync(path.join(dir, `${hostname}.json`), r.stdout);
  }
  return dir;
}

for (const [name, argv] of [
  ['the bundle on Node 24', [node24, BIN]],
  ['the single executable', [SEA]],
] as const)
  test(`${name}: fleet ingest and fleet nodes on an SQLite store`, () => {
    const dir = reportDir();
    const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
    const run = (args: string[]) =>
      spawnSync(argv[0], [...argv.slice(1), ...args], { encoding: 'utf8', timeout: 120_000 });
    const ingest = run(['fleet', 'ingest', dir, '--db', db]);
    assert.equal(ingest.status, 0, ingest.stderr);
    assert.match(ingest.stdout, /2 reports stored/);
    const nodes = run(['fleet', 'nodes', '--db', db, '--format', 'json']);
    assert.equal(nodes.status, 0, nodes.stderr);
    const hosts = (JSON.parse(nodes.stdout) as { nodes: { hostname: string }[] }).nodes.map(
      (n) => n.hostname,
    );
    assert.equal(hosts.length, 2, nodes.stdout.slice(0, 300));
  });

test('the single executable serves the fleet: it says where it listens and which store and library it opened', async () => {
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  const port = 20000 + (process.pid % 20000);
  const child = spawn(SEA, ['fleet', 'serve', '--db', db, '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, CTRSAFE_ADMIN_TOKEN: 'a'.repeat(32), CTRSAFE_ENROLL_SECRET: 'b'.repeat(32) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    for (let i = 0; i < 200 && !/listening on/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(
      out,
      new RegExp(
        `listening on http://127\\.0\\.0\\.1:${port}/; store ${db.replace(/[./]/g, '\\$&')} \\(node:sqlite\\), written in the main thread`,
      ),
    );
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/summary`, {
      headers: { authorization: `Bearer ${'a'.repeat(32)}` },
    });
    assert.equal(res.status, 200);
  } finally {
    child.kill();
  }
});
