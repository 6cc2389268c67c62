// Fleet ingest over loopback HTTP with authentication: the real server (the bundle), SQLite, PostgreSQL and two
// servers on one PostgreSQL, side by side; optionally an older build interleaved with this one (BENCH_BASELINE);
// then the summary's latency while a node sends large reports, and memory around an unauthenticated-body flood.
//
// Bounded: a wall-clock deadline (BENCH_DEADLINE_S); past it no new request starts and the figures say "partial".
// Servers listen on 127.0.0.1 only, on free ports, with temporary databases (PostgreSQL: BENCH_PG's database, emptied).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateReport } from '../src/fleet/validate-report.js';
import { syntheticHostname as hostname, syntheticReport } from './synthetic-report.js';

const N = Number(process.env.BENCH_NODES ?? 10000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_S ?? 1800) * 1000;
const BASELINE = process.env.BENCH_BASELINE;
const PG = process.env.BENCH_PG;
/** A second round for half the fleet (at least 2000): the nodes re-checked after a change. */
const M = Math.min(N, Math.max(2000, Math.floor(N / 2)));
const WINDOW = 1000;
const TARGET_RATE = 2000;
const ADMIN = 'bench-admin-token-0123456789abcdef';
const SECRET = 'bench-enrol-secret-0123456789abcdef';
/** The build under test: the bundle, or BENCH_BIN (dist/src/cli/bin.js gives profiles with readable names). */
const BIN = process.env.BENCH_BIN ?? new URL('../bundle/ctrsafe.cjs', import.meta.url).pathname;
/** Node options for the servers (e.g. --cpu-prof to profile them). */
const NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

if (!Number.isInteger(N) || N < 1 || !Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) {
  console.error('fleet-http-bench: BENCH_NODES and BENCH_CONCURRENCY must be positive integers');
  process.exit(2);
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const report = (i: number, round: number) => JSON.stringify(syntheticReport(i, round));

/** Sends COUNT reports of 10,000 vulnerabilities (about 14 MiB each), two at a time; prints the body size. */
const LARGE_SENDER = `
const body = (k) => JSON.stringify({ schema: 'ctrsafe.report/1', report_id: 'big-' + k + '-' + Date.now(), generated_at: new Date().toISOString(),
  host: { hostname: 'big01', kernel: { release: '5.14.0-427.el9.x86_64', distro_kernel: true }, os: { id: 'rocky', version_id: '9.4' } },
  runtimes: [], findings: [], vulnerabilities: Array.from({ length: 10000 }, (_, i) => ({ id: 'CVE-2099-' + (10000 + i), status: 'affected', severity: 'critical', summary: 's'.repeat(1400) })) });
const bodies = Array.from({ length: Number(process.env.COUNT) }, (_, k) => body(k));
process.stdout.write(String(bodies[0].length) + ' bytes');
const send = (b) => fetch('http://127.0.0.1:' + process.env.PORT + '/api/v1/reports', { method: 'POST', headers: { authorization: 'Bearer ' + process.env.TOKEN, 'content-type': 'application/json' }, body: b }).then((r) => r.text());
for (let k = 0; k < bodies.length; k += 2) await Promise.all(bodies.slice(k, k + 2).map(send));
`;

/** Opens CONNECTIONS connections, each announcing and sending 16 MiB with a wrong token. */
const FLOOD = `
import * as net from 'node:net';
const body = Buffer.alloc(16 * 1024 * 1024, 0x20);
await Promise.all(Array.from({ length: Number(process.env.CONNECTIONS) }, () => new Promise((resolve) => {
  const s = net.connect(Number(process.env.PORT), '127.0.0.1', () => {
    s.write('POST /api/v1/reports HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Bearer ' + 'q'.repeat(43) + '\\r\\nContent-Length: ' + body.length + '\\r\\n\\r\\n');
    s.write(body);
  });
  s.on('error', resolve); s.on('close', resolve); s.setTimeout(20000, () => s.destroy());
})));
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-http-bench-'));
const children = new Set<ChildProcess>();
function cleanUp() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
}
process.once('exit', cleanUp);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    cleanUp();
    process.exit(130);
  });
const deadline = Date.now() + DEADLINE_MS;
setTimeout(() => {
  console.error('fleet-http-bench: hard deadline (BENCH_DEADLINE_S + 60 s) reached; stopping');
  process.exit(3);
}, DEADLINE_MS + 60_000).unref();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Server {
  child: ChildProcess;
  port: number;
}

/** Whether `bin`'s fleet serve has the enrolment limit and logs (builds before them take none of these options). */
function hasServeOptions(bin: string): boolean {
  const r = spawnSync(process.execPath, [bin, 'fleet', 'serve', '--help'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return /--enroll-rate/.test(`${r.stdout}${r.stderr}`);
}

/**
 * `fleet serve` of `bin`; a build that has them gets a request log file and no enrolment limit (one address enrols
 * every node), so that a baseline of the same generation is measured doing the same work.
 */
async function startServer(bin: string, db: string, log: string): Promise<Server> {
  const options = hasServeOptions(bin);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const extra = options ? ['--enroll-rate', '0', '--request-log', log, '--audit-log', log] : [];
    const child = spawn(
      process.execPath,
      [...NODE_ARGS, bin, 'fleet', 'serve', '--db', db, '--listen', `127.0.0.1:${port}`, ...extra],
      {
        env: { ...process.env, CTRSAFE_ADMIN_TOKEN: ADMIN, CTRSAFE_ENROLL_SECRET: SECRET },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.add(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-4000);
      if (process.env.BENCH_SERVER_STDERR) process.stderr.write(b);
    });
    const ok = await new Promise<boolean>((resolve) => {
      child.stdout!.on('data', (b: Buffer) => {
        out = (out + b.toString()).slice(-4000);
        if (/listening on /.test(out)) resolve(true);
      });
      child.once('exit', () => resolve(false));
      setTimeout(() => resolve(false), 30_000).unref();
    });
    if (ok) return { child, port };
    if (attempt >= 2) throw new Error(`server did not start: ${err.trim()}`);
  }
}

async function stopServer(s: Server) {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (s.child.exitCode === null) s.child.kill('SIGKILL');
  children.delete(s.child);
}

function serverCpu(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

const rssKiB = (pid: number) => {
  const m = /^VmRSS:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
};

interface Reply {
  status: number;
  body: string;
  ms: number;
}

function call(
  agent: http.Agent,
  port: number,
  method: string,
  url: string,
  body?: string,
  token?: string,
): Promise<Reply> {
  const t0 = process.hrtime.bigint();
  const once = () =>
    new Promise<Reply>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path: url,
          agent,
          timeout: 60_000,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: Number(process.hrtime.bigint() - t0) / 1e6,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in 60 s')));
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed as this request went out (Node's documented race): resent once;
        // the report id makes a resent report a duplicate, never a second copy.
        if (req.reusedSocket && e.code === 'ECONNRESET') (e as { retry?: boolean }).retry = true;
        reject(e);
      });
      req.end(body);
    });
  return once().catch((e: { retry?: boolean }) => (e.retry ? once() : Promise.reject(e)));
}

interface Phase {
  done: number;
  acked: number;
  seconds: number;
  rates: number[];
  statuses: Map<number, number>;
  errors: string[];
  serverCpu: number;
  /** This process's CPU seconds: the load generator shares the machine's cores with the servers. */
  clientCpu: number;
  partial: boolean;
}

/** count requests, CONCURRENCY at a time; each window of WINDOW answers gives one rate, for a median. */
async function load(count: number, pids: number[], make: (i: number) => Promise<Reply>): Promise<Phase> {
  const p: Phase = {
    done: 0,
    acked: 0,
    seconds: 0,
    rates: [],
    statuses: new Map(),
    errors: [],
    serverCpu: 0,
    clientCpu: 0,
    partial: false,
  };
  const cpu0 = pids.reduce((s, pid) => s + serverCpu(pid), 0);
  const client0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let windowStart = t0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      if (Date.now() > deadline) {
        p.partial = true;
        return;
      }
      const i = next++;
      try {
        const r = await make(i);
        p.statuses.set(r.status, (p.statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200 || r.status === 201) p.acked++;
        else if (p.errors.length < 3) p.errors.push(`${r.status} ${r.body.trim().slice(0, 160)}`);
      } catch (e) {
        if (p.errors.length < 3) p.errors.push(String(e));
      }
      if (++p.done % WINDOW === 0) {
        const now = process.hrtime.bigint();
        p.rates.push(WINDOW / (Number(now - windowStart) / 1e9));
        windowStart = now;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  p.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  p.serverCpu = pids.reduce((s, pid) => s + serverCpu(pid), 0) - cpu0;
  const client = process.cpuUsage(client0);
  p.clientCpu = (client.user + client.system) / 1e6;
  return p;
}

const steady = (p: Phase) => (p.rates.length ? median(p.rates) : p.done / p.seconds);

interface Config {
  name: string;
  bin: string;
  current: boolean;
  kind: 'sqlite' | 'postgres';
  instances: number;
}

async function freshPg(): Promise<void> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  await c.end();
}

interface Result {
  first: Phase;
  changed: Phase;
  check: string;
}

/** One configuration from an empty database: enrol N nodes, N first reports, M changed ones, then check the count. */
async function runConfig(c: Config, round: number): Promise<Result> {
  const db =
    c.kind === 'sqlite' ? `sqlite:${path.join(dir, `${c.name.replace(/\W+/g, '_')}-${round}.db`)}` : PG!;
  if (c.kind === 'postgres') await freshPg();
  const servers: Server[] = [];
  // The first server creates the schema; the others start on it.
  for (let k = 0; k < c.instances; k++)
    servers.push(await startServer(c.bin, db, path.join(dir, `requests-${k}.log`)));
  const agents = servers.map(() => new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY }));
  const pick = (i: number) => i % servers.length;
  const pids = servers.map((s) => s.child.pid!);
  try {
    const tokens: string[] = new Array<string>(N);
    await load(N, pids, async (i) => {
      const k = pick(i);
      const r = await call(
        agents[k]!,
        servers[k]!.port,
        'POST',
        '/api/v1/enroll',
        JSON.stringify({ hostname: hostname(i), secret: SECRET }),
      );
      if (r.status === 201) tokens[i] = (JSON.parse(r.body) as { node_token: string }).node_token;
      return r;
    });
    // Behind a load balancer a node's reports land on either server: its second report goes to the other one.
    const first = await load(N, pids, (i) => {
      const k = pick(i);
      return call(agents[k]!, servers[k]!.port, 'POST', '/api/v1/reports', report(i, 0), tokens[i]);
    });
    const changed = await load(M, pids, (i) => {
      const k = pick(i + 1);
      return call(agents[k]!, servers[k]!.port, 'POST', '/api/v1/reports', report(i, 1), tokens[i]);
    });
    const s = JSON.parse(
      (await call(agents[0]!, servers[0]!.port, 'GET', '/api/v1/summary', undefined, ADMIN)).body,
    ) as {
      nodes: number;
    };
    const check =
      s.nodes === first.acked
        ? `${s.nodes} nodes stored for ${first.acked} acknowledged`
        : `MISMATCH: ${s.nodes} nodes for ${first.acked} acknowledged`;
    return { first, changed, check };
  } finally {
    for (const a of agents) a.destroy();
    for (const s of servers) await stopServer(s);
  }
}

const first = JSON.parse(report(0, 0)) as unknown;
const v = validateReport(first);
if (!v.ok) throw new Error(`the synthetic report is not valid: ${v.reason}`);
console.log(
  `fleet ingest over loopback HTTP with node tokens: ${N} nodes (first reports), ${M} changed reports, ` +
    `${CONCURRENCY} requests in flight, ${os.cpus().length} CPUs, reports of ${Buffer.byteLength(report(0, 0))} bytes, ` +
    `${ROUNDS} rounds interleaved; medians of ${WINDOW}-request windows`,
);

const configs: Config[] = [{ name: 'SQLite', bin: BIN, current: true, kind: 'sqlite', instances: 1 }];
if (BASELINE)
  configs.unshift({
    name: 'SQLite, baseline build',
    bin: BASELINE,
    current: false,
    kind: 'sqlite',
    instances: 1,
  });
if (PG) {
  configs.push({ name: 'PostgreSQL', bin: BIN, current: true, kind: 'postgres', instances: 1 });
  configs.push({ name: 'PostgreSQL, two servers', bin: BIN, current: true, kind: 'postgres', instances: 2 });
  if (BASELINE)
    configs.push({
      name: 'PostgreSQL, baseline build',
      bin: BASELINE,
      current: false,
      kind: 'postgres',
      instances: 1,
    });
}
const results = new Map<string, Result[]>(configs.map((c) => [c.name, []]));
for (let round = 0; round < ROUNDS && Date.now() < deadline; round++)
  for (let j = 0; j < configs.length; j++) {
    const c = configs[(round + j) % configs.length]!;
    const r = await runConfig(c, round);
    results.get(c.name)!.push(r);
    const bad = [r.first, r.changed].flatMap((p) => p.errors);
    console.log(
      `  round ${round + 1} ${c.name}: first ${f0(steady(r.first))}/s, changed ${f0(steady(r.changed))}/s; ` +
        `server CPU per report ${f2((1000 * r.first.serverCpu) / r.first.done)} / ${f2((1000 * r.changed.serverCpu) / r.changed.done)} ms ` +
        `(${f0((100 * r.first.serverCpu) / r.first.seconds)}% / ${f0((100 * r.changed.serverCpu) / r.changed.seconds)}% of a core); ` +
        `load generator ${f2((1000 * r.first.clientCpu) / r.first.done)} / ${f2((1000 * r.changed.clientCpu) / r.changed.done)} ms; ${r.check}` +
        (bad.length ? `; e.g. ${bad[0]}` : '') +
        (r.first.partial || r.changed.partial ? ' (partial: deadline)' : ''),
    );
  }
const base = BASELINE ? results.get('SQLite, baseline build')! : null;
const med = (rs: Result[], k: 'first' | 'changed') => median(rs.map((r) => steady(r[k])));
console.log(
  `\n${'configuration'.padEnd(32)}${'first/s'.padStart(10)}${'changed/s'.padStart(11)}${'x baseline'.padStart(18)}${'x target'.padStart(14)}`,
);
for (const c of configs) {
  const rs = results.get(c.name)!;
  if (!rs.length) continue;
  const a = med(rs, 'first');
  const b = med(rs, 'changed');
  const vsBase =
    base && c.kind === 'sqlite' && c.current
      ? `${f2(a / med(base, 'first'))} / ${f2(b / med(base, 'changed'))}`
      : '';
  console.log(
    `${c.name.padEnd(32)}${f0(a).padStart(10)}${f0(b).padStart(11)}${vsBase.padStart(18)}${`${f2(a / TARGET_RATE)} / ${f2(b / TARGET_RATE)}`.padStart(14)}`,
  );
}

// The attacks, on this build with SQLite: a node's large reports against the summary, and an unauthenticated flood.
if (Date.now() < deadline && process.env.BENCH_ATTACKS !== '0') {
  const db = `sqlite:${path.join(dir, 'attack.db')}`;
  const s = await startServer(BIN, db, path.join(dir, 'attack.log'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const token = (
      JSON.parse(
        (
          await call(
            agent,
            s.port,
            'POST',
            '/api/v1/enroll',
            JSON.stringify({ hostname: 'big01', secret: SECRET }),
          )
        ).body,
      ) as { node_token: string }
    ).node_token;
    for (let i = 0; i < 200; i++) {
      const t = (
        JSON.parse(
          (
            await call(
              agent,
              s.port,
              'POST',
              '/api/v1/enroll',
              JSON.stringify({ hostname: hostname(i), secret: SECRET }),
            )
          ).body,
        ) as { node_token: string }
      ).node_token;
      await call(agent, s.port, 'POST', '/api/v1/reports', report(i, 0), t);
    }
    const quiet: number[] = [];
    for (let k = 0; k < 20; k++)
      quiet.push((await call(agent, s.port, 'GET', '/api/v1/summary', undefined, ADMIN)).ms);
    // The sender is another process, so this one's timings are the server's, not its own event loop's.
    const attacker = spawn(process.execPath, ['--input-type=module', '-e', LARGE_SENDER], {
      env: { ...process.env, PORT: String(s.port), TOKEN: token, COUNT: '4' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(attacker);
    let sent = '';
    attacker.stdout!.on('data', (b: Buffer) => (sent += b.toString()));
    const done = new Promise((r) => attacker.once('exit', r));
    let finished = false;
    void done.then(() => (finished = true));
    const during: number[] = [];
    while (!finished) {
      during.push((await call(agent, s.port, 'GET', '/api/v1/summary', undefined, ADMIN)).ms);
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log(
      `\nlarge reports (4 of ${sent.trim() || '?'}, 10,000 vulnerabilities each): GET /api/v1/summary median ${f2(median(quiet))} ms before; ` +
        `during: median ${f2(median(during))} ms, slowest ${f0(Math.max(...during))} ms over ${during.length} requests (target: under 1000 ms)`,
    );
    const rss0 = rssKiB(s.child.pid!);
    const flood = spawn(process.execPath, ['--input-type=module', '-e', FLOOD], {
      env: { ...process.env, PORT: String(s.port), CONNECTIONS: '40' },
      stdio: 'ignore',
    });
    children.add(flood);
    await new Promise((r) => flood.once('exit', r));
    await new Promise((r) => setTimeout(r, 1000));
    const rss1 = rssKiB(s.child.pid!);
    console.log(
      `unauthenticated flood (40 bodies of 16 MiB with a wrong token): server RSS ${f0(rss0 / 1024)} MiB before, ${f0(rss1 / 1024)} MiB after`,
    );
  } finally {
    agent.destroy();
    await stopServer(s);
  }
}
cleanUp();
