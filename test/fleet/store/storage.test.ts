// The store's files and failures: the database private to its owner, a full disk answered 503 with its cause.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApp } from '../../../src/fleet/server/app.js';
import { FleetStore } from '../../../src/fleet/store/fleet-store.js';
import { openDriver, openStore } from '../../../src/fleet/store/open-store.js';
import { StorageError, type SqlDriver } from '../../../src/fleet/store/sql-driver.js';
import { validateReport } from '../../../src/fleet/validate-report.js';
import { fixtureReport } from '../../helpers/seed-fleet.js';
import { ADMIN, request, SECRET, startServer, stopServer } from '../../helpers/fleet-server.js';

const mode = (f: string) => fs.statSync(f).mode & 0o777;

function reportOf(hostname: string, k: number): Record<string, unknown> {
  const r = fixtureReport('rocky9');
  r.report_id = `storage-${hostname}-${k}-${Math.random().toString(36).slice(2)}`;
  r.generated_at = new Date(Date.now() - 60_000 + k).toISOString();
  (r.host as { hostname: string }).hostname = hostname;
  return r;
}

test('the database and its -wal and -shm files are private to their owner (0600), new or found open', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-modes-'));
  const db = path.join(dir, 'fleet.db');
  const old = process.umask(0o022);
  try {
    const store = await openStore(`sqlite:${db}`);
    const v = validateReport(reportOf('m001', 0));
    assert.ok(v.ok);
    await store.ingest(v.report, Date.now());
    for (const f of [db, `${db}-wal`, `${db}-shm`])
      assert.equal(mode(f), 0o600, `${path.basename(f)} is 0${mode(f).toString(8)}`);
    await store.close();
    // A database another tool created readable by all is made private when the server opens it.
    const loose = path.join(dir, 'loose.db');
    fs.writeFileSync(loose, '', { mode: 0o644 });
    fs.chmodSync(loose, 0o644);
    await (await openStore(`sqlite:${loose}`)).close();
    assert.equal(mode(loose), 0o600);
  } finally {
    process.umask(old);
  }
});

test('a storage failure is answered 503 with its cause and logged; the server keeps answering', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-enospc-'));
  const url = `sqlite:${path.join(dir, 'fleet.db')}`;
  await (await openStore(url)).close();
  const real = await openDriver(url);
  // At the driver seam: the statement storing the node's full report fails as SQLite does on a full disk.
  let full = false;
  const wrap = (d: SqlDriver): SqlDriver => ({
    dialect: d.dialect,
    run: (sql, p) =>
      full && sql.includes('INSERT INTO node_reports')
        ? Promise.reject(
            new StorageError(
              'the database could not be written (SQLITE_FULL: database or disk is full)',
              'SQLITE_FULL',
              true,
            ),
          )
        : d.run(sql, p),
    all: (sql, p) => d.all(sql, p),
    transaction: (fn) => d.transaction((tx) => fn(wrap(tx))),
    close: () => d.close(),
  });
  const store = new FleetStore(wrap(real));
  const events: Record<string, unknown>[] = [];
  const app = createApp(store, {
    adminToken: ADMIN,
    enrollSecret: SECRET,
    staleMs: 3600_000,
    onEvent: (kind, e) => events.push({ kind, ...e }),
  });
  const call = async (method: string, url: string, body?: unknown, token?: string) => {
    const r = await app({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
    });
    return { ...r, json: JSON.parse(r.body) as Record<string, unknown> };
  };
  try {
    const token = (await call('POST', '/api/v1/enroll', { hostname: 'full01', secret: SECRET })).json
      .node_token as string;
    full = true;
    const r = await call('POST', '/api/v1/reports', reportOf('full01', 1), token);
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '5');
    assert.match(String(r.json.error), /^storage unavailable: .*SQLITE_FULL: database or disk is full/);
    assert.ok(
      events.some((e) => e.kind === 'error' && e.storage === 'SQLITE_FULL'),
      'logged with its cause',
    );
    assert.equal((await call('GET', '/api/v1/summary', undefined, ADMIN)).status, 200, 'reads go on');
    full = false;
    await new Promise((res) => setTimeout(res, 150));
    assert.equal(
      (await call('POST', '/api/v1/reports', reportOf('full01', 2), token)).status,
      201,
      'and writes, once there is room',
    );
  } finally {
    await store.close();
  }
});

/** Mounts a tmpfs of `size` at a new directory (root only); null where the machine does not allow it. */
function smallDisk(size: string): { dir: string; done(): void } | null {
  if (process.getuid?.() !== 0) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    fs.rmdirSync(dir);
    return null;
  }
  return {
    dir,
    done: () => {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const disk = smallDisk('4m');
test(
  'attack: a full disk under the real server is answered 503 (SQLITE_FULL), logged, and outlived',
  { skip: disk ? false : 'needs root and a tmpfs mount (a 4 MiB file system to fill)' },
  async () => {
    const { dir, done } = disk!;
    const server = await startServer(`sqlite:${path.join(dir, 'fleet.db')}`, ['--audit-log', 'off']);
    const agent = new http.Agent({ keepAlive: true });
    try {
      const token = (
        await request(agent, server.port, 'POST', '/api/v1/enroll', { hostname: 'disk01', secret: SECRET })
      ).json.node_token as string;
      // Most of the file system taken by something else; then reports until it is full.
      const filler = path.join(dir, 'filler');
      const free = () =>
        Number(execFileSync('df', ['--output=avail', '-B1', dir], { encoding: 'utf8' }).split('\n')[1]);
      fs.writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 600 * 1024)));
      const acked: string[] = [];
      let refused: { status: number; json: Record<string, unknown> } | null = null;
      for (let k = 0; k < 200 && !refused; k++) {
        const rep = reportOf('disk01', k);
        const r = await request(agent, server.port, 'POST', '/api/v1/reports', rep, token);
        if (r.status === 201) acked.push(rep.report_id as string);
        else refused = r;
      }
      assert.ok(refused, 'the disk filled up');
      assert.equal(refused.status, 503);
      assert.match(String(refused.json.error), /SQLITE_FULL|database or disk is full|SQLITE_IOERR/);
      // The log goes out every 100 ms.
      const logged = /"log":"error".*"storage":"SQLITE_(FULL|IOERR)/;
      for (let i = 0; i < 20 && !logged.test(server.output()); i++)
        await new Promise((res) => setTimeout(res, 100));
      assert.match(server.output(), logged, 'logged with its cause');
      assert.equal(
        (await request(agent, server.port, 'GET', '/api/v1/summary', undefined, ADMIN)).status,
        200,
      );
      fs.rmSync(filler);
      let ok = false;
      for (let i = 0; i < 40 && !ok; i++) {
        ok =
          (await request(agent, server.port, 'POST', '/api/v1/reports', reportOf('disk01', 1000 + i), token))
            .status === 201;
        if (!ok) await new Promise((res) => setTimeout(res, 250));
      }
      assert.ok(ok, 'stores again once there is room');
      await stopServer(server);
      // Everything it acknowledged is there.
      const store = await openStore(`sqlite:${path.join(dir, 'fleet.db')}`);
      try {
        const n = await store.node('disk01');
        assert.ok(n);
        const raw = await openDriver(`sqlite:${path.join(dir, 'fleet.db')}`);
        const seen = new Set(
          (await raw.all<{ report_id: string }>('SELECT report_id FROM reports_seen')).map(
            (r) => r.report_id,
          ),
        );
        await raw.close();
        assert.deepEqual(
          acked.filter((id) => !seen.has(id)),
          [],
        );
      } finally {
        await store.close();
      }
    } finally {
      agent.destroy();
      await stopServer(server);
      done();
    }
  },
);
