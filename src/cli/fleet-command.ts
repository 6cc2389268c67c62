// `ctrsafe fleet ...`: the cluster-wide side: serve, collect, ingest, the administrator's identity actions, reads.
import { ingestDirectory } from '../fleet/ingest-dir.js';
import { openStore, type StoreOptions } from '../fleet/store/open-store.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { planSlurm, runSlurmCollect } from '../fleet/collect-slurm.js';
import * as os from 'node:os';
import { runPdshCollect } from '../fleet/collect-pdsh.js';
import { compressHostlist, expandHostlist } from '../fleet/hostlist.js';
import { hostnameProblem } from '../fleet/hostname.js';
import type { FleetStore } from '../fleet/store/fleet-store.js';
import { UsageError } from '../errors.js';
import { escapeControl } from '../render/terminal-text.js';
import type { ParsedArgs } from './parse-args.js';
import type { CliIo } from './io.js';
import { flag, parseArgs, positiveInt } from './parse-args.js';
import { fleetAdminCommand, FLEET_ADMIN_COMMANDS } from './fleet-admin-command.js';
import { fleetServe } from './fleet-serve.js';

export const FLEET_HELP = `Usage: ctrsafe fleet serve --db URL [--listen HOST:PORT] [--interval-hours H] [server options below]
                                              the HTTP API and dashboard (tokens from CTRSAFE_ADMIN_TOKEN,
                                              CTRSAFE_ENROLL_SECRET and CTRSAFE_METRICS_TOKEN, or their -file options)
       ctrsafe fleet collect --slurm [--partition P] [--nodes HOSTLIST] [--srun-arg=--reservation=R ...] --db URL [--timeout SEC]
       ctrsafe fleet collect --pdsh HOSTLIST [--rcmd ssh|exec|...] --db URL [--timeout SEC]
                                              run ctrsafe check on every node with srun and store the reports
       ctrsafe fleet ingest DIR --db URL      store every NODE.json nodes wrote to DIR (each for its own node)
       ctrsafe fleet summary --db URL [--interval-hours H]
       ctrsafe fleet plan --db URL [--limit N] the patch plan: actions grouped over nodes, most risk removed first
       ctrsafe fleet nodes --db URL [--search TEXT] [--kernel REL] [--offset N] [--limit N]
       ctrsafe fleet revoke NODE --db URL     the node's token stops working, for good
       ctrsafe fleet rekey NODE --db URL [--within-hours H] [--from ADDR] [--issue-token]
                                              a new identity: the node may enrol once (from ADDR), or take a token
       ctrsafe fleet enrolments --db URL [--all]   enrolments held for approval (--reenroll approve)
       ctrsafe fleet approve ID | deny ID --db URL [--within-hours H]
       ctrsafe fleet audit --db URL [--node NAME] [--limit N]   enrolments, refusals, revocations, re-keys
       ctrsafe fleet prune --db URL --older-than-days D   forget nodes silent that long, and older history

Server options: --reenroll refuse|approve (a second enrolment of a known node: refused, the default, or held for
  approval); --enroll-rate N[/BURST] per address and minute (default 30/60; 0: unlimited); --trust-proxy ADDR
  (repeatable: its X-Forwarded-For names the client); --max-connections N (default 1024); --request-log
  PATH|-|off and --audit-log PATH|-|off (JSON lines; default standard output); --retention-days D (default 0:
  keep everything); --metrics-token-file FILE.

URL is sqlite:PATH or postgres://user@host:port/db; the PostgreSQL password comes from --db-password-file,
PGPASSWORD or PGPASSFILE, never the URL; --db-timeout S bounds a statement (default 30) and a connection's
opening (at most 10). Reports are stored once by report_id.
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
    { name: 'srun-arg', takesValue: true, repeatable: true },
    { name: 'nodes', takesValue: true },
    { name: 'timeout', takesValue: true },
    { name: 'out', takesValue: true },
    { name: 'admin-token-file', takesValue: true },
    { name: 'enroll-secret-file', takesValue: true },
    { name: 'metrics-token-file', takesValue: true },
    { name: 'db-password-file', takesValue: true },
    { name: 'db-timeout', takesValue: true },
    { name: 'reenroll', takesValue: true },
    { name: 'enroll-rate', takesValue: true },
    { name: 'trust-proxy', takesValue: true, repeatable: true },
    { name: 'max-connections', takesValue: true },
    { name: 'request-log', takesValue: true },
    { name: 'audit-log', takesValue: true },
    { name: 'retention-days', takesValue: true },
    { name: 'in-process', takesValue: false },
    { name: 'within-hours', takesValue: true },
    { name: 'from', takesValue: true },
    { name: 'issue-token', takesValue: false },
    { name: 'all', takesValue: false },
    { name: 'node', takesValue: true },
    { name: 'older-than-days', takesValue: true },
    { name: 'help', short: 'h', takesValue: false },
  ]);
  if (sub === undefined || sub === '--help' || sub === '-h' || p.flags.has('help')) {
    io.stdout.write(FLEET_HELP);
    return sub === undefined ? 2 : 0;
  }
  const db = flag(p, 'db');
  if (!db) throw new UsageError(`fleet ${sub} needs --db sqlite:PATH or --db postgres://...`);
  const passwordFile = flag(p, 'db-password-file');
  const timeout = positiveInt(flag(p, 'db-timeout'), '--db-timeout', 3600);
  const storeOpts: StoreOptions = {
    ...(passwordFile ? { passwordFile } : {}),
    ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
  };
  if (sub === 'serve') return await fleetServe(db, storeOpts, p, io, staleMs(p));
  const store = await openStore(db, storeOpts);
  try {
    if (FLEET_ADMIN_COMMANDS.includes(sub)) return await fleetAdminCommand(sub, store, p, io);
    if (sub === 'ingest') {
      const dir = p.positionals[0];
      if (!dir) throw new UsageError('fleet ingest needs a directory');
      const s = await ingestDirectory(store, dir, { actor: 'ingest' });
      io.stdout.write(
        `ctrsafe: ${s.stored} reports stored, ${s.duplicates} already stored, ${s.older} older than the node's latest, ${s.invalid.length} refused\n`,
      );
      for (const i of s.invalid.slice(0, 20))
        io.stdout.write(`  refused ${escapeControl(i.file)}: ${escapeControl(i.reason)}\n`);
      return 0;
    }
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
    throw new UsageError(
      `unknown fleet command "${sub}" (serve, collect, ingest, summary, plan, nodes, ${FLEET_ADMIN_COMMANDS.join(', ')})`,
    );
  } finally {
    await store.close();
  }
}

/** Stale means no report in twice the reporting interval; --stale-hours sets the threshold itself. */
export function staleMs(p: ParsedArgs): number {
  const stale = positiveInt(flag(p, 'stale-hours'), '--stale-hours', 24 * 365);
  if (stale) return stale * 3600_000;
  return 2 * (positiveInt(flag(p, 'interval-hours'), '--interval-hours', 24 * 365) ?? 24) * 3600_000;
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
  // Each report is bound to its node through srun's %N file name (ingest-dir.ts): only host names are asked.
  const misnamed = plan.nodes.filter((n) => hostnameProblem(n) !== null);
  plan.nodes = plan.nodes.filter((n) => hostnameProblem(n) === null);
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
  const s = await ingestDirectory(store, plan.outDir, { actor: 'collect:slurm' });
  const bad = new Set(s.invalid.map((i) => path.basename(i.file, '.json')));
  const answered = plan.nodes.filter(
    (n) => fs.existsSync(path.join(plan.outDir, `${n}.json`)) && !bad.has(n),
  );
  const missing = plan.nodes.filter((n) => !answered.includes(n));
  io.stdout.write(
    `ctrsafe: collected ${answered.length} of ${plan.nodes.length + plan.unknown.length + plan.unavailable.length + misnamed.length} nodes: ${s.stored} stored, ${s.duplicates} already stored, ${s.older} older than the node's latest${run.timedOut ? '; srun was stopped at the timeout' : ''}\n`,
  );
  if (missing.length) io.stdout.write(`  did not answer: ${compressHostlist(missing)}\n`);
  if (plan.unknown.length) io.stdout.write(`  unknown to Slurm: ${compressHostlist(plan.unknown)}\n`);
  if (misnamed.length)
    io.stdout.write(
      `  not asked, not host names: ${misnamed
        .slice(0, 20)
        .map((n) => JSON.stringify(n))
        .join(' ')}\n`,
    );
  for (const i of s.invalid.slice(0, 20))
    io.stdout.write(`  refused ${escapeControl(path.basename(i.file))}: ${escapeControl(i.reason)}\n`);
  const byState = new Map<string, string[]>();
  for (const u of plan.unavailable) byState.set(u.state, [...(byState.get(u.state) ?? []), u.node]);
  for (const [state, nodes] of byState)
    io.stdout.write(`  not asked, Slurm has them ${state}: ${compressHostlist(nodes)}\n`);
  return 0;
}

async function collectPdsh(store: FleetStore, p: ParsedArgs, hostlist: string, io: CliIo): Promise<number> {
  const hosts = expandHostlist(hostlist);
  // pdsh's prefix and the report file are named after these: each must be a host name (hostname.ts).
  for (const h of hosts)
    if (hostnameProblem(h)) throw new UsageError(`--pdsh: "${h.slice(0, 80)}": ${hostnameProblem(h)}`);
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
  const s = await ingestDirectory(store, outDir, { actor: 'collect:pdsh' });
  const bad = new Set(s.invalid.map((i) => path.basename(i.file, '.json')));
  const missing = hosts.filter((h) => !fs.existsSync(path.join(outDir, `${h}.json`)) || bad.has(h));
  io.stdout.write(
    `ctrsafe: collected ${hosts.length - missing.length} of ${hosts.length} nodes: ${s.stored} stored, ${s.duplicates} already stored, ${s.older} older than the node's latest${run.timedOut ? '; pdsh was stopped at the timeout' : ''}\n`,
  );
  if (missing.length) io.stdout.write(`  did not answer: ${compressHostlist(missing)}\n`);
  for (const i of s.invalid.slice(0, 20))
    io.stdout.write(`  refused ${escapeControl(path.basename(i.file))}: ${escapeControl(i.reason)}\n`);
  return 0;
}
