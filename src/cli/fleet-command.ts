// `ctrsafe fleet ...`: the cluster-wide side: serve, collect, ingest, and the store read from the command line
// (the administrator's identity actions are in fleet-admin-command.ts, the server in fleet-serve.ts).
import { ingestDirectory } from '../fleet/ingest-dir.js';
import { openStore, type StoreOptions } from '../fleet/store/open-store.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { describeState, planSlurm, runSlurmCollect } from '../fleet/collect-slurm.js';
import { runPdshCollect } from '../fleet/collect-pdsh.js';
import { stoppedText, type Stopped } from '../fleet/collection-stop.js';
import { compressHostlist, expandHostlist } from '../fleet/hostlist.js';
import { hostnameProblem } from '../fleet/hostname.js';
import { escapeControl } from '../render/terminal-text.js';
import type { FleetStore } from '../fleet/store/fleet-store.js';
import { InputError, UsageError } from '../errors.js';
import { makeTempDir, SafeDir } from '../host/safe-write.js';
import type { CliIo } from './io.js';
import type { Options } from './options.js';
import type { CommandContext } from './spec.js';
import {
  nodesAsCsv,
  nodesAsJson,
  nodesAsText,
  planAsCsv,
  planAsText,
  summaryAsCsv,
  summaryAsText,
} from '../render/render-fleet.js';

/** The store --db names, and how to reach it: the PostgreSQL password's file, the statement timeout. */
export function storeOf(opts: Options): { db: string; storeOpts: StoreOptions } {
  const db = opts.get('db');
  if (!db)
    throw new UsageError(
      'fleet needs --db sqlite:PATH or --db postgres://... (or CTRSAFE_FLEET_DB, or fleet.db in ctrsafe.conf)',
    );
  const passwordFile = opts.get('db-password-file');
  const timeout = opts.int('db-timeout', 3600);
  return {
    db,
    storeOpts: {
      ...(passwordFile ? { passwordFile } : {}),
      ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
    },
  };
}

/** Opens the store --db names, runs fn, closes it. */
export async function withStore<T>(opts: Options, fn: (store: FleetStore) => Promise<T>): Promise<T> {
  const { db, storeOpts } = storeOf(opts);
  const store = await openStore(db, storeOpts);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export async function fleetIngestCommand({ io, opts, args }: CommandContext): Promise<number> {
  return withStore(opts, async (store) => {
    const s = await ingestDirectory(store, args[0]!, { actor: 'ingest' });
    io.stdout.write(
      `ctrsafe: ${s.stored} reports stored, ${s.duplicates} already stored, ${s.older} older than the node's latest, ${s.invalid.length} refused\n`,
    );
    for (const i of s.invalid.slice(0, 20))
      io.stdout.write(`  refused ${escapeControl(i.file)}: ${escapeControl(i.reason)}\n`);
    return 0;
  });
}

export async function fleetCollectCommand({ io, opts }: CommandContext): Promise<number> {
  return withStore(opts, (store) => collect(store, opts, io));
}

export async function fleetSummaryCommand({ io, opts }: CommandContext): Promise<number> {
  return withStore(opts, async (store) => {
    const s = await store.summary(Date.now(), staleMs(opts));
    const format = opts.choice('format') ?? 'text';
    io.stdout.write(
      format === 'json'
        ? JSON.stringify(s, null, 2) + '\n'
        : format === 'csv'
          ? summaryAsCsv(s)
          : summaryAsText(s),
    );
    return 0;
  });
}

export async function fleetPlanCommand({ io, opts }: CommandContext): Promise<number> {
  return withStore(opts, async (store) => {
    const plan = await store.plan({ offset: 0, limit: opts.int('limit', 500) ?? 50 });
    const format = opts.choice('format') ?? 'text';
    io.stdout.write(
      format === 'json'
        ? JSON.stringify(plan, null, 2) + '\n'
        : format === 'csv'
          ? planAsCsv(plan)
          : planAsText(plan),
    );
    return 0;
  });
}

export async function fleetNodesCommand({ io, opts }: CommandContext): Promise<number> {
  return withStore(opts, async (store) => {
    const search = opts.get('search');
    const kernel = opts.get('kernel');
    const offset = Number(opts.get('offset') ?? 0) || 0;
    const r = await store.listNodes({
      offset,
      limit: opts.int('limit', 1000) ?? 100,
      ...(search ? { search } : {}),
      ...(kernel ? { kernel } : {}),
      ...(opts.has('stale') ? { staleBefore: Date.now() - staleMs(opts) } : {}),
    });
    const format = opts.choice('format') ?? 'text';
    io.stdout.write(
      format === 'json' ? nodesAsJson(r) : format === 'csv' ? nodesAsCsv(r) : nodesAsText(r, offset),
    );
    return 0;
  });
}

/** Stale means no report in twice the reporting interval; --stale-hours sets the threshold itself. */
export function staleMs(opts: Options): number {
  const stale = opts.int('stale-hours', 24 * 365);
  if (stale) return stale * 3600_000;
  return 2 * (opts.int('interval-hours', 24 * 365) ?? 24) * 3600_000;
}

/**
 * --out as given, checked before anything runs: never empty (that would be the current directory), and one nobody
 * else can write (made 0700 when missing). Reports are stored under the names of their files there, so another
 * user who could write in it could add one for any node, or plant a link the collector writes through.
 */
function outOption(opts: Options): string | undefined {
  const out = opts.get('out');
  if (out === undefined) return undefined;
  if (out === '') throw new UsageError('--out needs a directory');
  const dir = SafeDir.open(out, { create: 0o700 });
  // Written to once now, not only after every node has run.
  let problem: string | null;
  try {
    problem = dir.writeProblem();
  } finally {
    dir.close();
  }
  if (problem !== null) throw new InputError(`--out ${out}: cannot be written: ${problem}`);
  return out;
}

/** Fans out over Slurm, stores what came back, and names the nodes that did not answer. */
async function collect(store: FleetStore, opts: Options, io: CliIo): Promise<number> {
  const pdsh = opts.get('pdsh');
  if (pdsh) return collectPdsh(store, opts, pdsh, io);
  if (!opts.has('slurm')) throw new UsageError('fleet collect needs --slurm or --pdsh HOSTLIST');
  const partition = opts.get('partition');
  const nodes = opts.get('nodes');
  const out = outOption(opts);
  // The reservation srun will use: its last --reservation, else SLURM_RESERVATION from the environment (srun(1)).
  const reservation =
    opts
      .all('srun-arg')
      .map((a) => /^--reservation=(.+)$/.exec(a)?.[1])
      .filter((r) => r !== undefined)
      .at(-1) ??
    (io.env.SLURM_RESERVATION || undefined);
  if (reservation?.includes(','))
    throw new UsageError(`--reservation=${reservation}: ctrsafe plans for one reservation; name one`);
  const plan = planSlurm(
    {
      ...(partition ? { partition } : {}),
      ...(nodes ? { nodes } : {}),
      ...(out ? { outDir: out } : {}),
      ...(reservation ? { reservation } : {}),
    },
    io.env,
  );
  // Each report is bound to the node srun placed its task on (collect-slurm.ts): only host names are asked.
  const misnamed = plan.nodes.filter((n) => hostnameProblem(n) !== null);
  plan.nodes = plan.nodes.filter((n) => hostnameProblem(n) === null);
  // The nodes run this same ctrsafe (a shared installation), with the same Node.
  const checkArgv = [process.execPath, process.argv[1]!, 'check', '--format', 'json'];
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const srunArgs = opts.all('srun-arg');
  for (const a of srunArgs)
    if (
      !a.startsWith('--') ||
      /^--(nodes|nodelist|nodefile|exclude|relative|ntasks|distribution|label|output|error|input|partition)\b/.test(
        a,
      )
    )
      throw new UsageError(
        `--srun-arg ${a}: one long srun option (not one ctrsafe sets itself), e.g. --srun-arg=--reservation=maint`,
      );
  const run = await runSlurmCollect(plan, checkArgv, {
    srunArgs,
    timeoutMs: (opts.int('timeout', 86400) ?? 600) * 1000,
    env: io.env,
    ...(tty
      ? { onProgress: (d: number, t: number) => io.stderr.write(`\r  collected ${d} of ${t} nodes`) }
      : {}),
  });
  if (tty) io.stderr.write('\r\x1b[K');
  const s = await ingestDirectory(store, plan.outDir, { actor: 'collect:slurm' });
  const { answered, missing: silent } = tally(plan.nodes, plan.outDir, s.invalid);
  // A node Slurm took away after the plan (drained, down, reserved) was not reached: said below, with its state.
  const goneNodes = new Set(run.gone.map((g) => g.node));
  const missing = silent.filter((n) => !goneNodes.has(n));
  io.stdout.write(
    `ctrsafe: collected ${answered} of ${plan.nodes.length + plan.unknown.length + plan.unavailable.length + plan.outsideReservation.length + misnamed.length} nodes: ${s.stored} stored, ${s.duplicates} already stored, ${s.older} older than the node's latest${run.stopped ? `; srun was stopped ${stoppedText(run.stopped)}` : ''}\n`,
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
  writeRefused(io, s.invalid);
  for (const f of run.failures) io.stdout.write(`  ${escapeControl(f)}\n`);
  for (const [said, list] of [
    [(state: string) => `not asked, Slurm has them ${state}`, plan.unavailable],
    [(state: string) => `not reached, Slurm has had them ${state} since sinfo was read`, run.gone],
  ] as const) {
    const byState = new Map<string, string[]>();
    for (const u of list) byState.set(u.state, [...(byState.get(u.state) ?? []), u.node]);
    for (const [state, nodes] of byState)
      io.stdout.write(`  ${said(escapeControl(describeState(state)))}: ${compressHostlist(nodes)}\n`);
  }
  if (plan.outsideReservation.length)
    io.stdout.write(
      `  not asked, outside reservation ${escapeControl(reservation ?? '')}: ${compressHostlist(plan.outsideReservation)}\n`,
    );
  // Nothing collected from the nodes asked (srun refused, every node silent): a failure cron and scripts see.
  // (Some nodes silent while others answered is named above, exit 0: a cluster always has a few.)
  return (
    signalExit(run.stopped) ??
    (answered === 0 && plan.nodes.length + plan.unknown.length + misnamed.length > 0 ? 1 : 0)
  );
}

/**
 * A collection a signal stopped (Ctrl-C, systemd) still stores what came back, then ends as the shell reports a
 * command that signal killed (128 + its number): a script or unit sees that it did not finish.
 */
function signalExit(stopped: Stopped | null): number | undefined {
  return stopped?.by === 'signal' ? 128 + os.constants.signals[stopped.signal] : undefined;
}

/**
 * How many nodes answered with a report that was stored (or already was), and which did not answer at all: a node
 * whose report was refused answered, and is named with the reason, not as silent.
 */
function tally(
  nodes: readonly string[],
  outDir: string,
  invalid: { file: string; reason: string }[],
): { answered: number; missing: string[] } {
  const refused = new Set(invalid.map((i) => path.basename(i.file, '.json')));
  const missing = nodes.filter((n) => !fs.existsSync(path.join(outDir, `${n}.json`)));
  const silent = new Set(missing);
  return { answered: nodes.filter((n) => !silent.has(n) && !refused.has(n)).length, missing };
}

/** The refused reports: 20 of them and the count of the rest (claims for another node are all in the audit trail). */
function writeRefused(io: CliIo, invalid: { file: string; reason: string }[]): void {
  for (const i of invalid.slice(0, 20))
    io.stdout.write(`  refused ${escapeControl(path.basename(i.file))}: ${escapeControl(i.reason)}\n`);
  if (invalid.length > 20) io.stdout.write(`  and ${invalid.length - 20} more refused\n`);
}

async function collectPdsh(store: FleetStore, opts: Options, hostlist: string, io: CliIo): Promise<number> {
  const hosts = expandHostlist(hostlist);
  // pdsh's prefix and the report file are named after these: each must be a host name (hostname.ts).
  for (const h of hosts)
    if (hostnameProblem(h)) throw new UsageError(`--pdsh: "${h.slice(0, 80)}": ${hostnameProblem(h)}`);
  const outDir = outOption(opts) ?? makeTempDir('ctrsafe-collect-');
  const rcmd = opts.get('rcmd');
  const run = await runPdshCollect(
    hosts,
    compressHostlist(hosts),
    [process.execPath, process.argv[1]!, 'check', '--format', 'json'],
    {
      outDir,
      ...(rcmd ? { rcmd } : {}),
      timeoutMs: (opts.int('timeout', 86400) ?? 600) * 1000,
      env: io.env,
    },
  );
  const s = await ingestDirectory(store, outDir, { actor: 'collect:pdsh' });
  const { answered, missing } = tally(hosts, outDir, s.invalid);
  io.stdout.write(
    `ctrsafe: collected ${answered} of ${hosts.length} nodes: ${s.stored} stored, ${s.duplicates} already stored, ${s.older} older than the node's latest${run.stopped ? `; pdsh was stopped ${stoppedText(run.stopped)}` : ''}\n`,
  );
  if (missing.length) io.stdout.write(`  did not answer: ${compressHostlist(missing)}\n`);
  writeRefused(io, s.invalid);
  // Nothing collected from the hosts asked (pdsh missing or refused, every host silent): a failure.
  return signalExit(run.stopped) ?? (hosts.length > 0 && answered === 0 ? 1 : 0);
}
