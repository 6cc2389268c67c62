// PostgreSQL as an operator runs it, on a cluster of the test's own: restarts under load, a hung database, two
// servers on one database, the password kept out of the URL and the process list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { openStore } from '../../../src/fleet/store/open-store.js';
import { loadHost, loadReport } from '../../helpers/load-report.js';
import { ADMIN, request, SECRET, startServer, stopServer, type Server } from '../../helpers/fleet-server.js';
import { scratchPostgresUnavailable, startScratchPostgres } from '../../helpers/scratch-postgres.js';
import { BIN } from '../../helpers/tree.js';

const unavailable = scratchPostgresUnavailable();
if (process.env.CI && unavailable)
  throw new Error(`CI must run the PostgreSQL operations tests: ${unavailable}`);
const skip = unavailable ?? false;
const QUIET = ['--request-log', 'off', '--audit-log', 'off', '--enroll-rate', '0'];

const report = (h: number, seq: number) => loadReport('pg', h, seq);
const hostname = (h: number) => loadHost('pg', h);

async function enrol(agent: http.Agent, s: Server, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, h) => {
      const r = await request(agent, s.port, 'POST', '/api/v1/enroll', {
        hostname: hostname(h),
        secret: SECRET,
      });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      return r.json.node_token as string;
    }),
  );
}

interface Load {
  acked: Map<string, number>;
  statuses: Map<number, number>;
  errors: number;
  stop(): Promise<void>;
}

/** Sends report after report (each node's seq rising) from `workers` workers, over the servers in turn. */
function load(servers: Server[], tokens: string[], workers: number): Load {
  const agents = servers.map(() => new http.Agent({ keepAlive: true, maxSockets: workers }));
  const l: Load = { acked: new Map(), statuses: new Map(), errors: 0, stop: async () => undefined };
  let stopping = false;
  let next = 0;
  const run = async () => {
    while (!stopping) {
      const j = next++;
      const h = j % tokens.length;
      const seq = Math.floor(j / tokens.length);
      const k = (h + seq) % servers.length;
      try {
        const r = await request(
          agents[k]!,
          servers[k]!.port,
          'POST',
          '/api/v1/reports',
          report(h, seq),
          tokens[h],
          30_000,
        );
        l.statuses.set(r.status, (l.statuses.get(r.status) ?? 0) + 1);
        if (r.status === 201 || r.status === 200) l.acked.set(`pg-${h}-${seq}`, r.status);
        else if (r.status === 503) await new Promise((res) => setTimeout(res, 50));
      } catch {
        l.errors++;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
  };
  const all = Promise.all(Array.from({ length: workers }, run));
  l.stop = async () => {
    stopping = true;
    await all;
    for (const a of agents) a.destroy();
  };
  return l;
}

const seen = (sql: (s: string) => string) =>
  new Set(sql('SELECT report_id FROM reports_seen').split('\n').filter(Boolean));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until COND holds, looking every 50 ms, for at most MS; whether it came is the caller's to assert. */
async function until(cond: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end;) await sleep(50);
}

test(
  'attack: PostgreSQL restarts under load; the server stays up and loses nothing it acknowledged',
  { skip },
  async (t) => {
    const pg = await startScratchPostgres();
    const server = await startServer(pg.url, [
      '--request-log',
      '-',
      '--audit-log',
      'off',
      '--enroll-rate',
      '0',
    ]);
    const agent = new http.Agent({ keepAlive: true });
    try {
      const tokens = await enrol(agent, server, 30);
      const l = load([server], tokens, 12);
      // Each step waits for reports to be acknowledged, not for a fixed time: under load, after a fast restart
      // (active connections end with 57P01, admin shutdown), and after an immediate one (as after a crash or a
      // failover). At most 15 s each, however busy the machine.
      await until(() => l.acked.size >= 20, 15_000);
      const before = l.acked.size;
      pg.restart('fast');
      await until(() => l.acked.size >= before + 20, 15_000);
      const betweenRestarts = l.acked.size - before;
      pg.restart('immediate');
      const second = l.acked.size;
      await until(() => l.acked.size >= second + 20, 15_000);
      await l.stop();
      const afterRestarts = l.acked.size - second;
      t.diagnostic(
        `answers: ${JSON.stringify(Object.fromEntries(l.statuses))}, connection errors ${l.errors}`,
      );
      assert.equal(server.child.exitCode, null, 'the server is still running');
      assert.equal(server.child.signalCode, null);
      // At least 20 each: 12 workers have at most 12 reports in flight when a restart begins, so at least 8 of
      // those acknowledged after it were sent after it.
      assert.ok(
        before >= 20 && betweenRestarts >= 20 && afterRestarts >= 20,
        `acknowledged ${before} before the restarts, ${betweenRestarts} between them and ${afterRestarts} after`,
      );
      assert.deepEqual(
        [...l.statuses.keys()].filter((s) => ![200, 201, 503].includes(s)),
        [],
        'every answer was stored, duplicate or 503 (try again)',
      );
      const stored = seen(pg.sql);
      assert.deepEqual(
        [...l.acked.keys()].filter((id) => !stored.has(id)),
        [],
        'acknowledged reports missing',
      );

      // The original failure: idle pooled connections, killed by a restart, ended the process.
      await sleep(300);
      pg.restart('fast');
      await sleep(1000);
      assert.equal(server.child.exitCode, null, 'idle connections lost in a restart do not end the server');
      let ok = 0;
      let refused = l.statuses.get(503) ?? 0;
      for (let i = 0; i < 20 && !ok; i++) {
        const r = await request(
          agent,
          server.port,
          'POST',
          '/api/v1/reports',
          report(0, 3000 + i),
          tokens[0],
        );
        if (r.status === 201) ok++;
        else {
          if (r.status === 503) refused++;
          await sleep(250);
        }
      }
      assert.equal(ok, 1, 'and it stores again once PostgreSQL is back');
      assert.equal(
        (await request(agent, server.port, 'GET', '/api/v1/summary', undefined, ADMIN)).status,
        200,
      );
      assert.match(
        server.output(),
        /"log":"error","message":"PostgreSQL connection: /,
        'the lost connections are logged',
      );
      // Whether a request arrives while the database is away is timing (the writer retries a lost connection):
      // what must hold is that the request log tells every 503 the nodes were given (it is written every 100 ms).
      await sleep(300);
      assert.equal(
        server
          .output()
          .split('\n')
          .filter((line) => line.includes('"status":503')).length,
        refused,
        'the request log holds every 503 the nodes were answered',
      );

      // A NUL PostgreSQL cannot store is refused at validation, as on SQLite: 422, never a 500 stalling a node's spool.
      const nul = report(1, 3100);
      nul.host.kernel.release = 'bad\u0000kernel';
      const r = await request(agent, server.port, 'POST', '/api/v1/reports', nul, tokens[1]);
      assert.equal(r.status, 422);
      assert.match(String(r.json.error), /NUL/);
      assert.equal(
        (await request(agent, server.port, 'POST', '/api/v1/reports', report(1, 3101), tokens[1])).status,
        201,
      );
    } finally {
      agent.destroy();
      await stopServer(server);
      pg.stop();
    }
  },
);

test(
  'a hung PostgreSQL: requests are answered 503 within the timeout, and the server recovers',
  { skip },
  async () => {
    const pg = await startScratchPostgres();
    const server = await startServer(pg.url, [...QUIET, '--db-timeout', '2']);
    const agent = new http.Agent({ keepAlive: true });
    try {
      const [token] = await enrol(agent, server, 1);
      assert.equal(
        (await request(agent, server.port, 'POST', '/api/v1/reports', report(0, 0), token)).status,
        201,
      );
      pg.signal('SIGSTOP');
      const t0 = Date.now();
      let r: { status: number };
      try {
        r = await request(agent, server.port, 'POST', '/api/v1/reports', report(0, 1), token, 20_000);
      } finally {
        pg.signal('SIGCONT');
      }
      const took = Date.now() - t0;
      assert.equal(r.status, 503);
      // The statement's 2 s and the client's 1 s more (the server, stopped, cannot time it out itself): 3 s,
      // with room for a busy machine.
      assert.ok(took >= 2_000 && took < 6_000, `answered after ${took} ms (statement timeout 2 s)`);
      let ok = false;
      for (let i = 0; i < 40 && !ok; i++) {
        ok =
          (await request(agent, server.port, 'POST', '/api/v1/reports', report(0, 2 + i), token)).status ===
          201;
        if (!ok) await sleep(250);
      }
      assert.ok(ok, 'stores again once the database answers');
    } finally {
      agent.destroy();
      await stopServer(server);
      pg.stop();
    }
  },
);

test(
  'two servers on one PostgreSQL under load: exact counters, no report lost or doubled',
  { skip },
  async (t) => {
    const pg = await startScratchPostgres();
    const a = await startServer(pg.url, QUIET);
    const b = await startServer(pg.url, QUIET);
    const agent = new http.Agent({ keepAlive: true });
    try {
      const tokens = await enrol(agent, a, 40);
      // Each node's reports go to one server and the next, concurrently: both write the same nodes.
      const l = load([a, b], tokens, 16);
      // A few hundred reports, however busy the machine (at most 30 s).
      for (let waited = 0; waited < 30_000 && l.acked.size < 300; waited += 250) await sleep(250);
      await l.stop();
      t.diagnostic(
        `answers: ${JSON.stringify(Object.fromEntries(l.statuses))}; ${l.acked.size} acknowledged`,
      );
      assert.ok(l.acked.size >= 100, `${l.acked.size} reports acknowledged`);
      assert.deepEqual(
        [...l.statuses.keys()].filter((s) => s !== 201),
        [],
        'every report stored once, on either server',
      );
      const stored = seen(pg.sql);
      assert.deepEqual(
        [...l.acked.keys()].filter((id) => !stored.has(id)),
        [],
        'none lost',
      );
      assert.equal(stored.size, l.acked.size, 'nothing stored that was not acknowledged once');
      // Each node shows its newest acknowledged report.
      const newest = new Map<number, number>();
      for (const id of l.acked.keys()) {
        const [, h, seq] = id.split('-').map(Number) as [number, number, number];
        newest.set(h, Math.max(newest.get(h) ?? -1, seq));
      }
      const rows = pg
        .sql('SELECT hostname, report_id FROM nodes ORDER BY hostname')
        .split('\n')
        .filter(Boolean);
      assert.deepEqual(
        rows,
        [...newest].sort(([x], [y]) => x - y).map(([h, seq]) => `${hostname(h)}|pg-${h}-${seq}`),
      );
      // The counters both servers moved equal a rebuild from the stored reports.
      const store = await openStore(pg.url);
      try {
        const live = {
          s: await store.summary(Date.now(), 1e9),
          p: await store.plan({ offset: 0, limit: 500 }),
        };
        await store.rebuildDerived();
        assert.deepEqual(
          { s: await store.summary(Date.now(), 1e9), p: await store.plan({ offset: 0, limit: 500 }) },
          live,
        );
      } finally {
        await store.close();
      }
    } finally {
      agent.destroy();
      await stopServer(a);
      await stopServer(b);
      pg.stop();
    }
  },
);

test(
  'the PostgreSQL password comes from a file or the environment, never the URL or the process list',
  { skip },
  async () => {
    const password = 'pw-4f1b9c0e-never-shown';
    const pg = await startScratchPostgres({ password });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-pgpass-'));
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, [BIN, ...args], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PGPASSWORD: '', PGPASSFILE: path.join(dir, 'none'), ...env },
      });
    try {
      const inUrl = run(['fleet', 'summary', '--db', pg.url.replace('postgres@', `postgres:${password}@`)]);
      assert.equal(inUrl.status, 2);
      assert.match(inUrl.stderr, /--db-password-file, PGPASSWORD or PGPASSFILE/);
      assert.doesNotMatch(inUrl.stderr + inUrl.stdout, new RegExp(password));
      const none = run(['fleet', 'summary', '--db', pg.url]);
      assert.notEqual(none.status, 0, 'no password, no entry');
      assert.doesNotMatch(none.stderr, new RegExp(password));
      assert.equal(
        run(['fleet', 'summary', '--db', pg.url], { PGPASSWORD: password }).status,
        0,
        'PGPASSWORD',
      );
      const passfile = path.join(dir, 'pgpass');
      fs.writeFileSync(passfile, `127.0.0.1:${pg.port}:fleet:postgres:${password}\n`, { mode: 0o600 });
      assert.equal(
        run(['fleet', 'summary', '--db', pg.url], { PGPASSFILE: passfile }).status,
        0,
        'PGPASSFILE',
      );
      fs.chmodSync(passfile, 0o644);
      assert.notEqual(
        run(['fleet', 'summary', '--db', pg.url], { PGPASSFILE: passfile }).status,
        0,
        'a password file others can read is ignored, as libpq ignores it',
      );
      const file = path.join(dir, 'db-password');
      fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
      const server = await startServer(pg.url, [...QUIET, '--db-password-file', file], {
        PGPASSWORD: '',
        PGPASSFILE: path.join(dir, 'none'),
      });
      try {
        const cmdline = fs.readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8');
        assert.doesNotMatch(cmdline, new RegExp(password), 'not in the process list');
        const agent = new http.Agent({ keepAlive: false });
        assert.equal(
          (await request(agent, server.port, 'GET', '/api/v1/summary', undefined, ADMIN)).status,
          200,
        );
        assert.doesNotMatch(server.output(), new RegExp(password), 'not in the log');
      } finally {
        await stopServer(server);
      }
    } finally {
      pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
