// Fleet API load over loopback HTTP: the real server (the bundle) enrols N nodes, takes their reports, answers the dashboard.
//
// Bounded: a request budget (BENCH_MAX_REQUESTS) and a wall-clock deadline (BENCH_DEADLINE_S); past the deadline no new
// request starts and the figures say "partial". The server listens on 127.0.0.1 only, on a free port, with a temp database.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { openStore } from '../src/fleet/store/open-store.js';
import { validateReport } from '../src/fleet/validate-report.js';
import { syntheticHostname, syntheticReport } from './synthetic-report.js';

const N = Number(process.env.BENCH_NODES ?? 20000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_S ?? 600) * 1000;
const MAX_REQUESTS = Number(process.env.BENCH_MAX_REQUESTS ?? 400_000);
/** A second round for a fifth of the fleet (at least 5000): the nodes that were re-checked after a change. */
const M = Math.min(N, Math.max(5000, Math.floor(N / 5)));
const SAMPLES = 15;
const WINDOW = 1000;
const TARGET_RATE = 2000;
const TARGET_MS = 200;
const ADMIN = 'bench-admin-token-0123456789abcdef';
const SECRET = 'bench-enrol-secret-0123456789abcdef';
const BIN = new URL('../bundle/ctrsafe.cjs', import.meta.url).pathname;
const CLK_TCK = 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s on Linux

if (!Number.isInteger(N) || N < 1 || !Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) {
  console.error('fleet-http-bench: BENCH_NODES and BENCH_CONCURRENCY must be positive integers');
  process.exit(2);
}
// Enrolments, first reports, changed reports, one check per phase, the timed reads and their warm-ups.
const PLANNED = N + N + M + 4 + 2 * (SAMPLES + 1);
if (PLANNED > MAX_REQUESTS) {
  console.error(
    `fleet-http-bench: ${PLANNED} requests planned, over the cap of ${MAX_REQUESTS} (BENCH_MAX_REQUESTS)`,
  );
  process.exit(2);
}

const hostname = syntheticHostname;

const report = (i: number, round: number): string => JSON.stringify(syntheticReport(i, round));

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)] ?? NaN;
const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

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

function startServer(db: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'fleet', 'serve', '--db', `sqlite:${db}`, '--listen', `127.0.0.1:${port}`],
    {
      env: { ...process.env, CTRSAFE_ADMIN_TOKEN: ADMIN, CTRSAFE_ENROLL_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server not ready in 30 s: ${err}`)), 30_000);
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (/listening on /.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening: ${err.trim()}`));
    });
  });
}

/** User + system CPU seconds the server has used so far (fields 14 and 15 of /proc/PID/stat). */
function serverCpu(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function procStatus(pid: number, key: string): string {
  try {
    const m = new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? m[1]!.trim() : '?';
  } catch {
    return '?';
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-http-bench-'));
const db = path.join(dir, 'fleet.db');
let server: ChildProcess | null = null;
function cleanUp() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
}
process.once('exit', cleanUp);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    cleanUp();
    process.exit(130);
  });
const started = Date.now();
const deadline = started + DEADLINE_MS;
// If a phase hangs past the deadline anyway, stop everything rather than run on.
setTimeout(() => {
  console.error('fleet-http-bench: hard deadline (BENCH_DEADLINE_S + 60 s) reached; stopping');
  process.exit(3);
}, DEADLINE_MS + 60_000).unref();

let port = 0;
for (let attempt = 0; !server; attempt++) {
  port = await freePort();
  try {
    server = await startServer(db, port);
  } catch (e) {
    if (attempt >= 2) throw e; // another process took the port between the probe and the listen: try another
  }
}
const pid = server.pid!;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
let sent = 0;
let retried = 0;

interface Reply {
  status: number;
  body: string;
  ms: number;
}

function once(method: string, url: string, body: string | undefined, token?: string): Promise<Reply> {
  if (++sent > MAX_REQUESTS) return Promise.reject(new Error(`request cap ${MAX_REQUESTS} reached`));
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
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
      // A kept-alive socket the server closed as this request went out (Node's documented race): say so to retry.
      if (req.reusedSocket && e.code === 'ECONNRESET') (e as { retry?: boolean }).retry = true;
      reject(e);
    });
    req.end(body);
  });
}

async function call(method: string, url: string, body: string | undefined, token?: string): Promise<Reply> {
  try {
    return await once(method, url, body, token);
  } catch (e) {
    if (!(e as { retry?: boolean }).retry) throw e;
    retried++; // the report ids make a resent report a duplicate, never a second copy
    return once(method, url, body, token);
  }
}

interface Phase {
  done: number;
  seconds: number;
  windowRates: number[];
  latencies: number[];
  statuses: Map<number, number>;
  errors: string[];
  serverCpu: number;
  clientCpu: number;
  partial: boolean;
}

/** Runs count requests, CONCURRENCY at a time; each window of WINDOW answers gives one rate, for a median. */
async function load(count: number, make: (i: number) => Promise<Reply>): Promise<Phase> {
  const p: Phase = {
    done: 0,
    seconds: 0,
    windowRates: [],
    latencies: [],
    statuses: new Map(),
    errors: [],
    serverCpu: 0,
    clientCpu: 0,
    partial: false,
  };
  const cpu0 = serverCpu(pid);
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
        p.latencies.push(r.ms);
        if (r.status >= 300 && p.errors.length < 5)
          p.errors.push(`${r.status} ${r.body.trim().slice(0, 200)}`);
      } catch (e) {
        if (p.errors.length < 5) p.errors.push(String(e));
        if (/request cap/.test(String(e))) {
          p.partial = true;
          return;
        }
      }
      if (++p.done % WINDOW === 0) {
        const now = process.hrtime.bigint();
        p.windowRates.push(WINDOW / (Number(now - windowStart) / 1e9));
        windowStart = now;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  p.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  p.serverCpu = serverCpu(pid) - cpu0;
  const c = process.cpuUsage(client0);
  p.clientCpu = (c.user + c.system) / 1e6;
  return p;
}

/** The median window rate: steadier than the overall rate on a noisy machine (the overall one when under a window). */
const steady = (p: Phase) => (p.windowRates.length ? median(p.windowRates) : p.done / p.seconds);
const ok = (p: Phase, status: number) => p.statuses.get(status) ?? 0;
const statusList = (p: Phase) =>
  [...p.statuses].map(([s, n]) => `${n}x${s}`).join(', ') + (p.errors.length ? `; e.g. ${p.errors[0]}` : '');
// Below 100% the server waits on something other than its own CPU (the disk, or this client on a 2-CPU machine).
const cpuShare = (p: Phase) =>
  `CPU of one core: server ${f0((100 * p.serverCpu) / p.seconds)}%, this client ${f0((100 * p.clientCpu) / p.seconds)}%`;
const lat = (p: Phase) =>
  `request latency median ${f1(median(p.latencies))} ms, p95 ${f1(p95(p.latencies))} ms`;

const first = report(0, 0);
const check = validateReport(JSON.parse(first));
if (!check.ok) throw new Error(`the synthetic report is not valid: ${check.reason}`);
const bytes = Buffer.byteLength(first);

console.log(
  `fleet API over loopback HTTP: the bundle's server, SQLite, ${N} nodes, ${CONCURRENCY} requests in flight, ` +
    `${os.cpus().length} CPUs, reports of ${bytes} bytes; cap ${MAX_REQUESTS} requests, deadline ${DEADLINE_MS / 1000} s`,
);

// Enrolment: one small transaction per node; timed on its own, it is not part of the ingest target.
const tokens: string[] = new Array<string>(N);
const enrol = await load(N, async (i) => {
  const r = await call('POST', '/api/v1/enroll', JSON.stringify({ hostname: hostname(i), secret: SECRET }));
  if (r.status === 201) tokens[i] = (JSON.parse(r.body) as { node_token: string }).node_token;
  return r;
});
console.log(
  `enrolment: ${ok(enrol, 201)} of ${N} nodes in ${f1(enrol.seconds)} s: ${f0(ok(enrol, 201) / enrol.seconds)}/s, ` +
    `median ${f0(steady(enrol))}/s over ${WINDOW}-request windows; ${lat(enrol)}; ${cpuShare(enrol)}` +
    (ok(enrol, 201) < N ? ` [${statusList(enrol)}]` : '') +
    (enrol.partial ? ' (partial: deadline or cap)' : ''),
);

const enrolled = tokens.flatMap((t, i) => (t ? [i] : []));
const ingest = await load(enrolled.length, (k) => {
  const i = enrolled[k]!;
  return call('POST', '/api/v1/reports', report(i, 0), tokens[i]!);
});
const acked1 = ok(ingest, 201) + ok(ingest, 200);
const rate1 = acked1 / ingest.seconds;
console.log(
  `ingest, first reports: ${acked1} acknowledged of ${enrolled.length} in ${f1(ingest.seconds)} s: ${f0(rate1)}/s, ` +
    `median ${f0(steady(ingest))}/s over ${WINDOW}-report windows (target >= ${TARGET_RATE}/s: ` +
    `${f2(steady(ingest) / TARGET_RATE)}x); ${lat(ingest)}; ${cpuShare(ingest)}` +
    (acked1 < enrolled.length ? ` [${statusList(ingest)}]` : '') +
    (ingest.partial ? ' (partial: deadline or cap)' : ''),
);

const subset = enrolled.slice(0, M);
const changed = await load(subset.length, (k) => {
  const i = subset[k]!;
  return call('POST', '/api/v1/reports', report(i, 1), tokens[i]!);
});
const acked2 = ok(changed, 201) + ok(changed, 200);
console.log(
  `ingest, changed reports (new report_id; readiness changed on half, kernel on a tenth): ${acked2} acknowledged of ` +
    `${subset.length} in ${f1(changed.seconds)} s: ${f0(acked2 / changed.seconds)}/s, median ` +
    `${f0(steady(changed))}/s (${f2(steady(changed) / steady(ingest))}x the ` +
    `first reports; target >= ${TARGET_RATE}/s: ${f2(steady(changed) / TARGET_RATE)}x); ${lat(changed)}; ` +
    `${cpuShare(changed)}` +
    (acked2 < subset.length ? ` [${statusList(changed)}]` : '') +
    (changed.partial ? ' (partial: deadline or cap)' : ''),
);

// What the server stored must be what it acknowledged: the count, and a changed node's transitions.
const summaryCheck = JSON.parse((await call('GET', '/api/v1/summary', undefined, ADMIN)).body) as {
  nodes: number;
};
const changedNode =
  subset.length > 1
    ? (JSON.parse((await call('GET', `/api/v1/nodes/${hostname(subset[1]!)}`, undefined, ADMIN)).body) as {
        transitions?: unknown[];
      })
    : { transitions: [] };

async function timed(url: string): Promise<{ ms: number[]; bytes: number }> {
  let r = await call('GET', url, undefined, ADMIN); // warm-up, not counted
  const ms: number[] = [];
  for (let k = 0; k < SAMPLES && Date.now() < deadline; k++) {
    r = await call('GET', url, undefined, ADMIN);
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.body.slice(0, 200)}`);
    ms.push(r.ms);
  }
  return { ms, bytes: Buffer.byteLength(r.body) };
}
const summary = await timed('/api/v1/summary');
const page = await timed('/api/v1/nodes?offset=0&limit=100');
const readLine = (what: string, t: { ms: number[]; bytes: number }) =>
  `${what}: median ${f1(median(t.ms))} ms, p95 ${f1(p95(t.ms))} ms over ${t.ms.length} requests, ${t.bytes} bytes ` +
  `(target < ${TARGET_MS} ms: ${f2(median(t.ms) / TARGET_MS)}x of the budget)`;
console.log(readLine('GET /api/v1/summary', summary));
console.log(readLine('GET /api/v1/nodes?offset=0&limit=100', page));
console.log(
  `stored: summary counts ${summaryCheck.nodes} nodes for ${acked1} acknowledged first reports` +
    `${summaryCheck.nodes === acked1 ? '' : ' (MISMATCH)'}; ${hostname(subset[1] ?? 0)} has ` +
    `${changedNode.transitions?.length ?? 0} transitions`,
);

const hwm = procStatus(pid, 'VmHWM');
const rss = procStatus(pid, 'VmRSS');
const dbBytes = ['', '-wal', '-shm'].reduce(
  (s, x) => s + (fs.existsSync(db + x) ? fs.statSync(db + x).size : 0),
  0,
);
agent.destroy();
const exited = new Promise((r) => server!.once('exit', r));
server.kill('SIGTERM');
let grace: NodeJS.Timeout | undefined;
await Promise.race([exited, new Promise((r) => (grace = setTimeout(r, 10_000)))]);
clearTimeout(grace);
console.log(
  `server: peak RSS (VmHWM) ${hwm}, RSS at the end ${rss}; database with WAL ${f1(dbBytes / 2 ** 20)} MiB; ` +
    `${sent} requests sent (${retried} resent on a closed keep-alive socket); ${f0((Date.now() - started) / 1000)} s in all`,
);

// The same reports straight into the store, no HTTP, now that the server is gone: what the HTTP layer costs.
const S = Math.min(N, 5000);
const store = await openStore(`sqlite:${path.join(dir, 'direct.db')}`);
const t0 = process.hrtime.bigint();
let directDone = 0;
// 32 in flight, as over HTTP, so the store's group commit batches the same way.
while (directDone < S && Date.now() < deadline) {
  const batch: Promise<unknown>[] = [];
  for (const end = Math.min(directDone + 32, S); directDone < end; directDone++) {
    const v = validateReport(JSON.parse(report(directDone, 0)));
    if (v.ok) batch.push(store.ingest(v.report, Date.now()));
  }
  await Promise.all(batch);
}
const direct = directDone / (Number(process.hrtime.bigint() - t0) / 1e9);
await store.close();
console.log(
  `in-process store (no HTTP, same reports, first ${directDone}): ${f0(direct)}/s; over HTTP the first reports ran at ` +
    `${f2(steady(ingest) / direct)}x that`,
);
cleanUp();
