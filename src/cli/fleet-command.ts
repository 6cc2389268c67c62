// `ctrsafe fleet ...`: the cluster-wide side. This step: `fleet ingest DIR --db URL` and `fleet nodes`/`fleet summary`.
import { ingestDirectory } from '../fleet/ingest-dir.js';
import { openStore } from '../fleet/store/open-store.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planSlurm, runSlurmCollect } from '../fleet/collect-slurm.js';
import * as os from 'node:os';
import { runPdshCollect } from '../fleet/collect-pdsh.js';
import { compressHostlist, expandHostlist } from '../fleet/hostlist.js';
import { createApp } from '../fleet/server/app.js';
import { serveApp } from '../fleet/server/serve.js';
import type { FleetStore } from '../fleet/store/fleet-store.js';
import { InputError, UsageError } from '../errors.js';
import { escapeControl } from '../render/terminal-text.js';
import type { ParsedArgs } from './parse-args.js';
import type { CliIo } from './io.js';
import { flag, parseArgs, positiveInt } from './parse-args.js';

export const FLEET_HELP = `Usage: ctrsafe fleet serve --db URL [--listen HOST:PORT] [--interval-hours H]
                                              the HTTP API and dashboard (tokens from CTRSAFE_ADMIN_TOKEN and
                                              CTRSAFE_ENROLL_SECRET, or --admin-token-file/--enroll-secret-file)
       ctrsafe fleet collect --slurm [--partition P] [--nodes HOSTLIST] [--srun-arg=--reservation=R ...] --db URL [--timeout SEC]
       ctrsafe fleet collect --pdsh HOSTLIST [--rcmd ssh|exec|...] --db URL [--timeout SEC]
                                              run ctrsafe check on every node with srun and store the reports
       ctrsafe fleet ingest DIR --db URL      store every report (*.json) nodes wrote to DIR
       ctrsafe fleet summary --db URL [--interval-hours H]
       ctrsafe fleet plan --db URL [--limit N] the patch plan: actions grouped over nodes, most risk removed first
       ctrsafe fleet nodes --db URL [--search TEXT] [--kernel REL] [--offset N] [--limit N]

URL is sqlite:PATH or postgres://user@host:port/db. Reports are stored once by report_id.
H is how often nodes report (default 24): a node is stale after twice that without a report.
`;

export async function fleetCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  const p = parseArgs(rest, [
    { name: 'db', takesValue: true },
    { name: 'search', takesValue: true },
    { name: 'kernel', takesValue: true },
    { name: 'offset', takesValue: true },
    { name: 'limit', takesValue: true },
    { name: 'stale-hours', takesValue: true },
    { name: 'interval-hours', takesValue: true },
    { name: 'listen', takesValue: true },
    { name: 'slurm', takesValue: false },
    { name: 'pdsh', takesValue: true },
    { name: 'rcmd', takesValue: true },
    { name: 'partition', takesValue: true },
    { name: 'srun-arg', takesValue: true },
    { name: 'nodes', takesValue: true },
    { name: 'timeout', takesValue: true },
    { name: 'out', takesValue: true },
    { name: 'admin-token-file', takesValue: true },
    { name: 'enroll-secret-file', takesValue: true },
    { name: 'help', short: 'h', takesValue: false },
  ]);
  if (sub === undefined || sub === '--help' || sub === '-h' || p.flags.has('help')) {
    io.stdout.write(FLEET_HELP);
    return sub === undefined ? 2 : 0;
  }
  const db = flag(p, 'db');
  if (!db) throw new UsageError(`fleet ${sub} needs --db sqlite:PATH or --db postgres://...`);
  const store = await openStore(db);
  try {
    if (sub === 'ingest') {
      const dir = p.positionals[0];
      if (!dir) throw new UsageError('fleet ingest needs a directory');
      const s = await ingestDirectory(store, dir);
      io.stdout.write(
        `ctrsafe: ${s.stored} reports stored, ${s.duplicates} already stored, ${s.older} older than the node's latest, ${s.invalid.length} refused\n`,
      );
      for (const i of s.invalid.slice(0, 20))
        io.stdout.write(`  refused ${escapeControl(i.file)}: ${escapeControl(i.reason)}\n`);
      return 0;
    }
    if (sub === 'serve') return await serve(store, p, io);
    if (sub === 'collect') return await collect(store, p, io);
    if (sub === 'summary') {
      io.stdout.write(JSON.stringify(await store.summary(Date.now(), staleMs(p)), null, 2) + '\n');
      return 0;
    }
    if (sub === 'plan') {
      const plan = await store.plan({
        offset: 0,
        limit: positiveInt(flag(p, 'limit'), '--limit', 500) ?? 50,
      });
      io.stdout.write(`${plan.total} actions, most risk removed first\n`);
      for (const i of plan.items)
        io.stdout.write(
          `${String(i.rank).padStart(3)}. ${i.title}\n     on ${i.nodes} node${i.nodes === 1 ? '' : 's'}: ${i.hostlist}${i.hostlist_truncated ? ' ...' : ''}${i.hostlist_excluded ? ` and ${i.hostlist_excluded} not plain host names` : ''} (risk removed ${i.weight})\n`,
        );
      return 0;
    }
    if (sub === 'nodes') {
      const search = flag(p, 'search');
      const kernel = flag(p, 'kernel');
      const r = await store.listNodes({
        offset: Number(flag(p, 'offset') ?? 0) || 0,
        limit: positiveInt(flag(p, 'limit'), '--limit', 1000) ?? 100,
        ...(search ? { search } : {}),
        ...(kernel ? { kernel } : {}),
      });
      io.stdout.write(JSON.stringify(r, null, 2) + '\n');
      return 0;
    }
    throw new UsageError(`unknown fleet command "${sub}" (serve, collect, ingest, summary, plan, nodes)`);
  } finally {
    await store.close();
  }
}

/** Stale means no report in twice the reporting interval; --stale-hours sets the threshold itself. */
function staleMs(p: ParsedArgs): number {
  const stale = positiveInt(flag(p, 'stale-hours'), '--stale-hours', 24 * 365);
  if (stale) return stale * 3600_000;
  return 2 * (positiveInt(flag(p, 'interval-hours'), '--interval-hours', 24 * 365) ?? 24) * 3600_000;
}

function secret(env: string | undefined, file: string | undefined, what: string): string {
  const v = file ? fs.readFileSync(file, 'utf8').trim() : env;
  if (!v || v.length < 16) throw new InputError(`${what} must be set (at least 16 characters)`);
  return v;
}

/** Runs until SIGINT/SIGTERM; the store's transactions make every acknowledged report durable. */
async function serve(store: FleetStore, p: ParsedArgs, io: CliIo): Promise<number> {
  const listen = flag(p, 'listen') ?? '127.0.0.1:8080';
  const m = /^(.*):(\d{1,5})$/.exec(listen);
  if (!m) throw new UsageError('--listen must be HOST:PORT');
  const app = createApp(store, {
    adminToken: secret(
      io.env.CTRSAFE_ADMIN_TOKEN,
      flag(p, 'admin-token-file'),
      'the admin token (CTRSAFE_ADMIN_TOKEN or --admin-token-file)',
    ),
    enrollSecret: secret(
      io.env.CTRSAFE_ENROLL_SECRET,
      flag(p, 'enroll-secret-file'),
      'the enrolment secret (CTRSAFE_ENROLL_SECRET or --enroll-secret-file)',
    ),
    staleMs: staleMs(p),
  });
  const server = await serveApp(app, m[1]!.replace(/^\[|\]$/g, ''), Number(m[2]));
  io.stdout.write(`ctrsafe: fleet API and dashboard listening on http://${listen}/\n`);
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => server.close(() => resolve()));
  });
  return 0;
}

/** Fans out over Slurm, stores what came back, and names the nodes that did not answer. */
async function collect(store: FleetStore, p: ParsedArgs, io: CliIo): Promise<number> {
  const pdsh = flag(p, 'pdsh');
  if (pdsh) return collectPdsh(store, p, pdsh, io);
  if (!p.flags.has('slurm')) throw new UsageError('fleet collect needs --slurm or --pdsh HOSTLIST');
  const partition = flag(p, 'partition');
  const nodes = flag(p, 'nodes');
  const out = flag(p, 'out');
  const plan = planSlurm(
    { ...(partition ? { partition } : {}), ...(nodes ? { nodes } : {}), ...(out ? { outDir: out } : {}) },
    io.env,
  );
  // The nodes run this same ctrsafe (a shared installation), with the same Node.
  const checkArgv = [process.execPath, process.argv[1]!, 'check', '--format', 'json'];
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const srunArgs = p.flags.get('srun-arg') ?? [];
  for (const a of srunArgs)
    if (!a.startsWith('--') || /^--(nodes|nodelist|ntasks|output|error)\b/.test(a))
      throw new UsageError(
        `--srun-arg ${a}: one long srun option (not one ctrsafe sets itself), e.g. --srun-arg=--reservation=maint`,
      );
  const run = await runSlurmCollect(plan, checkArgv, {
    ...(partition ? { partition } : {}),
    srunArgs,
    timeoutMs: (positiveInt(flag(p, 'timeout'), '--timeout', 86400) ?? 600) * 1000,
    env: io.env,
    ...(tty
      ? { onProgress: (d: number, t: number) => io.stderr.write(`\r  collected ${d} of ${t} nodes`) }
      : {}),
  });
  if (tty) io.stderr.write('\r\x1b[K');
  const s = await ingestDirectory(store, plan.outDir);
  const bad = new Set(s.invalid.map((i) => path.basename(i.file, '.json')));
  const answered = plan.nodes.filter(
    (n) => fs.existsSync(path.join(plan.outDir, `${n}.json`)) && !bad.has(n),
  );
  const missing = plan.nodes.filter((n) => !answered.includes(n));
  io.stdout.write(
    `ctrsafe: collected ${answered.length} of ${plan.nodes.length + plan.unknown.length + plan.unavailable.length} nodes: ${s.stored} stored, ${s.duplicates} already stored, ${s.older} older than the node's latest${run.timedOut ? '; srun was stopped at the timeout' : ''}\n`,
  );
  if (missing.length) io.stdout.write(`  did not answer: ${compressHostlist(missing)}\n`);
  if (plan.unknown.length) io.stdout.write(`  unknown to Slurm: ${compressHostlist(plan.unknown)}\n`);
  const byState = new Map<string, string[]>();
  for (const u of plan.unavailable) byState.set(u.state, [...(byState.get(u.state) ?? []), u.node]);
  for (const [state, nodes] of byState)
    io.stdout.write(`  not asked, Slurm has them ${state}: ${compressHostlist(nodes)}\n`);
  return 0;
}

async function collectPdsh(store: FleetStore, p: ParsedArgs, hostlist: string, io: CliIo): Promise<number> {
  const hosts = expandHostlist(hostlist);
  const outDir = flag(p, 'out') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-collect-'));
  const rcmd = flag(p, 'rcmd');
  const run = await runPdshCollect(
    hosts,
    compressHostlist(hosts),
    [process.execPath, process.argv[1]!, 'check', '--format', 'json'],
    {
      outDir,
      ...(rcmd ? { rcmd } : {}),
      timeoutMs: (positiveInt(flag(p, 'timeout'), '--timeout', 86400) ?? 600) * 1000,
      env: io.env,
    },
  );
  const s = await ingestDirectory(store, outDir);
  const bad = new Set(s.invalid.map((i) => path.basename(i.file, '.json')));
  const missing = hosts.filter((h) => !fs.existsSync(path.join(outDir, `${h}.json`)) || bad.has(h));
  io.stdout.write(
    `ctrsafe: collected ${hosts.length - missing.length} of ${hosts.length} nodes: ${s.stored} stored, ${s.duplicates} already stored, ${s.older} older than the node's latest${run.timedOut ? '; pdsh was stopped at the timeout' : ''}\n`,
  );
  if (missing.length) io.stdout.write(`  did not answer: ${compressHostlist(missing)}\n`);
  return 0;
}
