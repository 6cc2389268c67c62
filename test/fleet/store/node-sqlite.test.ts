// node:sqlite shaped as the part of better-sqlite3 the store uses, run on Node 24 LTS (scripts/fetch-node.mjs):
// statements, pragmas, transactions, and SQLite's failures named as better-sqlite3 names them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, writeTree } from '../../helpers/tree.js';

const node24 = execFileSync(process.execPath, [path.join(REPO, 'scripts/fetch-node.mjs')], {
  encoding: 'utf8',
}).trim();
const MODULE = path.join(REPO, 'dist/src/fleet/store/node-sqlite.js');

function onNode24(body: string): unknown {
  const script = `import { loadNodeSqlite, openNodeSqlite } from ${JSON.stringify(MODULE)};
const mod = await loadNodeSqlite();
const out = await (async () => { ${body} })();
process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(node24, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'no experimental warning on Node 24');
  return JSON.parse(r.stdout);
}

test('statements, pragmas and transactions behave as the store expects', () => {
  const file = path.join(writeTree({}), 'fleet.db');
  const out = onNode24(`
    const db = openNodeSqlite(mod, ${JSON.stringify(file)});
    const wal = db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    db.exec('BEGIN IMMEDIATE');
    const during = db.inTransaction;
    const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
    const changes = [ins.run('a').changes, ins.run('b').changes];
    db.exec('COMMIT');
    const rows = db.prepare('SELECT v FROM t WHERE id > ? ORDER BY id').all(0);
    const after = db.inTransaction;
    db.close();
    return { wal, during, after, changes: changes.map(Number), rows };
  `);
  assert.deepEqual(out, {
    wal: [{ journal_mode: 'wal' }],
    during: true,
    after: false,
    changes: [1, 1],
    rows: [{ v: 'a' }, { v: 'b' }],
  });
  assert.ok(fs.existsSync(`${file}-wal`) || fs.existsSync(file));
});

test("SQLite's failures carry better-sqlite3's names: a constraint, a file that is not a database", () => {
  const dir = writeTree({ 'junk.db': 'this is not an SQLite database, just text '.repeat(200) });
  const out = onNode24(`
    const codes = [];
    const db = openNodeSqlite(mod, ':memory:');
    db.exec('CREATE TABLE u (k TEXT UNIQUE)');
    db.prepare('INSERT INTO u VALUES (?)').run('x');
    try { db.prepare('INSERT INTO u VALUES (?)').run('x'); } catch (e) { codes.push(e.code); }
    try { openNodeSqlite(mod, ${JSON.stringify(path.join(dir, 'junk.db'))}).prepare('SELECT * FROM sqlite_master').all(); } catch (e) { codes.push(e.code); }
    return codes;
  `);
  assert.deepEqual(out, ['SQLITE_CONSTRAINT', 'SQLITE_NOTADB']);
});

test('on a Node without node:sqlite the loader answers null instead of throwing', async () => {
  const { loadNodeSqlite } = await import('../../../src/fleet/store/node-sqlite.js');
  const mod = await loadNodeSqlite();
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) assert.equal(mod, null);
  else assert.equal(typeof mod?.DatabaseSync, 'function');
});
