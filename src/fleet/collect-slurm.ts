// Fans `ctrsafe check` out over a Slurm cluster with srun, one task per node; each node's output comes back through srun.
import { execFile, spawnSync } from 'node:child_process';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { CollectionStop, stoppedText, type Stopped } from './collection-stop.js';
import { runLauncher, spawnLauncher } from './launched.js';
import { forgetReports, regroupLines, writeRegrouped } from './regroup-lines.js';
import { InputError } from '../errors.js';
import { makeTempDir, SafeDir } from '../host/safe-write.js';
import { expandHostlist } from './hostlist.js';
import { escapeControl } from '../render/terminal-text.js';
import { watchPending } from './slurm-pending.js';

export interface CollectPlan {
  nodes: string[];
  /** The partition each node's task is submitted in: a job runs in one partition, so each one is an srun of its own. */
  partitionOf: Map<string, string>;
  /** Each partition's largest job in nodes (MaxNodes), where it has one: larger groups go out in several sruns. */
  maxNodes: Map<string, number>;
  unknown: string[];
  /** Nodes Slurm knows but cannot run a task on now (down, drained, not responding): srun would wait for them. */
  unavailable: { node: string; state: string }[];
  /** With a reservation (srun --reservation=R): the nodes asked for that are not in it, which srun cannot reach. */
  outsideReservation: string[];
  /** Whether NODE in sinfo state STATE can run the task (the reservation's own nodes in its states too). */
  canRun: (node: string, state: string) => boolean;
  outDir: string;
}

/**
 * sinfo's long states (sinfo(1), NODE STATE CODES) in which a node can run a task; a trailing "*" means not
 * responding, and the other suffixes (~ powered off, # powering up, % powering down, ! pending power down,
 * @ pending reboot, $ maintenance reservation, ^ rebooting) mean it cannot take the task now either.
 */
const RUNNABLE = new Set(['idle', 'mixed', 'allocated', 'completing', 'planned']);
export const runnable = (state: string) => RUNNABLE.has(state);

/** sinfo's state suffixes in words (sinfo(1), NODE STATE CODES), for a summary an operator reads. */
const SUFFIXES: Record<string, string> = {
  '*': 'not responding',
  '~': 'powered off',
  '#': 'powering up',
  '%': 'powering down',
  '!': 'pending power down',
  '@': 'pending reboot',
  $: 'in a maintenance reservation',
  '^': 'rebooting',
  '-': 'planned by the backfill scheduler',
};

/** "idle*" as "idle* (not responding)"; a state without a suffix as it is. */
export function describeState(state: string): string {
  const words = [...state.replace(/^[^*~#%!@$^-]*/, '')].map((c) => SUFFIXES[c]).filter(Boolean);
  return words.length > 0 ? `${state} (${words.join(', ')})` : state;
}

/**
 * What the collector asks sinfo for: one line per node and partition (sinfo(1): %N node, %T state, %P partition,
 * the default one marked "*", %a its availability, %s its job size in nodes, "1-infinite" or "1-512").
 */
export const SINFO_FORMAT = '%N %T %P %a %s';

export interface SinfoNodes {
  /** Each node's state and the partitions it is in that accept jobs. */
  nodes: Map<string, { state: string; partitions: string[] }>;
  /** The cluster's default partition, when sinfo listed it. */
  defaultPartition: string | null;
  /** The partitions whose jobs may hold at most so many nodes (MaxNodes). */
  maxNodes: Map<string, number>;
}

/**
 * Parses `sinfo -h -N -o "%N %T %P %a %s"`: a node in several partitions is listed once per partition, with the same
 * state; a partition that is down, draining or inactive takes no new job (sinfo(1), AVAIL), so it is not one to
 * submit in.
 */
export function parseSinfoNodes(text: string): SinfoNodes {
  const nodes = new Map<string, { state: string; partitions: string[] }>();
  let defaultPartition: string | null = null;
  const maxNodes = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [node, state, shown, avail, size] = line.trim().split(/\s+/);
    if (!node) continue;
    const n =
      nodes.get(node) ??
      nodes.set(node, { state: (state ?? 'unknown').toLowerCase(), partitions: [] }).get(node)!;
    if (!shown) continue;
    const partition = shown.replace(/\*$/, '');
    if (shown.endsWith('*')) defaultPartition = partition;
    if (avail === 'up' && !n.partitions.includes(partition)) n.partitions.push(partition);
    const max = /^(?:\d+-)?(\d+)$/.exec(size ?? '');
    if (max && Number(max[1]) > 0) maxNodes.set(partition, Number(max[1]));
  }
  return { nodes, defaultPartition, maxNodes };
}

/**
 * A partition for each node, in few sruns: the default partition for every node in it (where a plain srun would
 * have gone; a site's catch-all, scavenger or preemptible partition is seldom the default), then, for the rest,
 * the partition holding most of the nodes not yet placed, ties by name (greedy: few, not always the fewest).
 */
export function choosePartitions(
  nodes: readonly string[],
  partitionsOf: (node: string) => readonly string[],
  preferred: string | null = null,
): Map<string, string> {
  const chosen = new Map<string, string>();
  if (preferred !== null)
    for (const n of nodes) if (partitionsOf(n).includes(preferred)) chosen.set(n, preferred);
  let left = nodes.filter((n) => !chosen.has(n) && partitionsOf(n).length > 0);
  while (left.length > 0) {
    const count = new Map<string, number>();
    for (const n of left) for (const p of partitionsOf(n)) count.set(p, (count.get(p) ?? 0) + 1);
    const [best] = [...count].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]!;
    for (const n of left) if (partitionsOf(n).includes(best)) chosen.set(n, best);
    left = left.filter((n) => !chosen.has(n));
  }
  return chosen;
}

/**
 * A reservation as `scontrol show reservation NAME --oneliner` prints it: its nodes and its state (ACTIVE, or
 * INACTIVE before it starts); null when the text holds no reservation.
 */
export function parseReservation(text: string): { nodes: string[]; active: boolean } | null {
  const line = text.split('\n').find((l) => l.startsWith('ReservationName='));
  if (line === undefined) return null;
  const field = (k: string) => new RegExp(`(?:^| )${k}=(\\S*)`).exec(line)?.[1];
  const nodes = field('Nodes');
  return {
    nodes: nodes && nodes !== '(null)' ? expandHostlist(nodes) : [],
    active: field('State') === 'ACTIVE',
  };
}

/** The nodes of reservation NAME, which must be active: a job in it can run on those nodes only. */
function reservationNodes(name: string, env: NodeJS.ProcessEnv): Set<string> {
  const r = spawnSync('scontrol', ['show', 'reservation', name, '--oneliner'], {
    encoding: 'utf8',
    timeout: 30000,
    env,
  });
  const shown = `--reservation=${escapeControl(name)}`;
  if (r.error) throw new InputError(`${shown}: scontrol: ${r.error.message.split('\n')[0]}`);
  const said = (r.stderr || r.stdout || '').trim().split('\n')[0] ?? '';
  if (r.status !== 0 && !/not found/i.test(said))
    throw new InputError(`${shown}: scontrol: ${escapeControl(said.slice(0, 200))}`);
  const res = r.status === 0 ? parseReservation(r.stdout) : null;
  if (!res) throw new InputError(`${shown}: Slurm has no such reservation`);
  if (!res.active) throw new InputError(`${shown}: not active now (srun would wait for its start)`);
  if (res.nodes.length === 0) throw new InputError(`${shown}: names no nodes`);
  return new Set(res.nodes);
}

/**
 * The nodes to ask: the given hostlist (minus names Slurm does not know), or every node of the partition. With a
 * reservation, only its nodes, and those are asked in the states a reservation gives them (reserved, maint): the
 * maintenance window in which a site patches is when it wants the check again.
 */
export function planSlurm(
  opts: { partition?: string; nodes?: string; outDir?: string; reservation?: string },
  env: NodeJS.ProcessEnv,
): CollectPlan {
  const { nodes: known, defaultPartition, maxNodes } = readSinfo(opts.partition, env);
  const reserved = opts.reservation ? reservationNodes(opts.reservation, env) : null;
  // With a reservation and no --nodes, the reservation is the scope: a 10-node maintenance window on a
  // 10,000-node cluster is 10 nodes to collect, not 9,990 "outside" it.
  const asked = opts.nodes
    ? expandHostlist(opts.nodes)
    : [...known.keys()].filter((n) => reserved === null || reserved.has(n));
  const wanted = reserved ? asked.filter((n) => reserved.has(n) || !known.has(n)) : asked;
  if (reserved && opts.nodes && !asked.some((n) => reserved.has(n)))
    throw new InputError(`--nodes ${opts.nodes}: none of them is in reservation ${opts.reservation!}`);
  const stateOf = (n: string) => {
    const k = known.get(n)!;
    return k.partitions.length === 0 ? `${k.state} in no partition that takes jobs` : k.state;
  };
  const canRunAs = (n: string, state: string) =>
    runnable(state) || (reserved?.has(n) === true && ['reserved', 'maint'].includes(state));
  const canRun = (n: string) => canRunAs(n, stateOf(n));
  const nodes = wanted.filter((n) => known.has(n) && canRun(n));
  const outDir = opts.outDir ?? makeTempDir('ctrsafe-collect-');
  return {
    nodes,
    partitionOf: choosePartitions(nodes, (n) => known.get(n)!.partitions, defaultPartition),
    maxNodes,
    unknown: wanted.filter((n) => !known.has(n)),
    unavailable: wanted
      .filter((n) => known.has(n) && !canRun(n))
      .map((node) => ({ node, state: stateOf(node) })),
    outsideReservation: reserved ? asked.filter((n) => known.has(n) && !reserved.has(n)) : [],
    canRun: canRunAs,
    outDir,
  };
}

/**
 * sinfo's nodes, of PARTITION or of the whole cluster. Up to 64 MiB of its answer is read: a line per node and
 * partition is some 40 bytes, so 10,000 nodes in three partitions already pass spawnSync's 1 MiB default.
 */
function readSinfo(partition: string | undefined, env: NodeJS.ProcessEnv): SinfoNodes {
  const r = spawnSync('sinfo', sinfoArgs(partition), { encoding: 'utf8', ...SINFO_LIMITS, env });
  if (r.error)
    throw new InputError(`fleet collect --slurm needs sinfo and srun: ${r.error.message.split('\n')[0]}`);
  if (r.status !== 0) throw new InputError(`sinfo failed: ${(r.stderr || '').trim().split('\n')[0]}`);
  return parseSinfoNodes(r.stdout);
}

const sinfoArgs = (partition?: string) => [
  '-h',
  '-N',
  '-o',
  SINFO_FORMAT,
  ...(partition ? ['-p', partition] : []),
];
const SINFO_LIMITS = { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 };

/**
 * Every node's sinfo state now, from one sinfo over the cluster (not `-n` with the nodes: a comma list of 10,000
 * long names passes Linux's 128 KiB limit for one argument); empty when sinfo cannot answer. Read without blocking:
 * while sruns run (a watch's ReqNodeNotAvail) their output must keep being read, and the timeout and signals must
 * keep working.
 */
function nodeStates(env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  return new Promise((resolve) =>
    execFile('sinfo', sinfoArgs(), { encoding: 'utf8', ...SINFO_LIMITS, env }, (e, out) => {
      const states = new Map<string, string>();
      // sinfo cannot say now: empty, and the caller keeps srun's own refusal.
      if (!e) for (const [node, n] of parseSinfoNodes(out).nodes) states.set(node, n.state);
      resolve(states);
    }),
  );
}

/**
 * The nodes a ReqNodeNotAvail reason names (", UnavailableNodes:HOSTLIST") among NODES; all of NODES when it names
 * none of them, or its list was cut short (the reason is kept to 200 characters) or cannot be read.
 */
export function namedUnavailable(reason: string, nodes: readonly string[]): readonly string[] {
  const m = /UnavailableNodes:(\S+)$/.exec(reason);
  if (!m || m[1]!.endsWith('…')) return nodes;
  try {
    const named = new Set(expandHostlist(m[1]!));
    const mine = nodes.filter((n) => named.has(n));
    return mine.length > 0 ? mine : nodes;
  } catch {
    return nodes;
  }
}

/**
 * The sruns to start: the nodes of each partition, in the plan's order, cut into groups no larger than the
 * partition's MaxNodes (a larger job would be refused, or wait for ever).
 */
export function srunGroups(
  nodes: readonly string[],
  partitionOf: ReadonlyMap<string, string>,
  maxNodes: ReadonlyMap<string, number>,
): { partition: string; nodes: string[] }[] {
  const byPartition = new Map<string, string[]>();
  for (const n of nodes) {
    const p = partitionOf.get(n);
    if (p !== undefined) (byPartition.get(p) ?? byPartition.set(p, []).get(p)!).push(n);
  }
  const out: { partition: string; nodes: string[] }[] = [];
  for (const [partition, all] of byPartition) {
    const size = maxNodes.get(partition) ?? all.length;
    for (let i = 0; i < all.length; i += size) out.push({ partition, nodes: all.slice(i, i + size) });
  }
  return out;
}

/** The host files srun's arbitrary distribution reads: task i runs on line i's node (srun(1), --distribution). */
const HOSTFILE = '.srun-hosts';
/** How long srun has to end its tasks after the timeout's SIGTERM before it is killed. */
const KILL_GRACE_MS = 10_000;

/**
 * How many times a group Slurm refused for a node gone since sinfo was read goes out again without the nodes gone
 * (the last refusal is still read against sinfo, so that its gone nodes are named):
 * each costs an srun and a squeue (seconds), and a cluster where nodes drain faster than that is named, not chased.
 */
const RESENDS = 3;

/**
 * Runs the check on every planned node, one task each, and writes each node's standard output to OUT/<node>.json.
 * Each line comes back through srun itself, prefixed with its task id on this side (--label), and task i was placed
 * on the i-th node of a host file this collector wrote (--distribution=arbitrary): nothing is opened on the nodes
 * (an --output pattern such as %N would be opened by slurmstepd on each node, in a directory nobody checked there),
 * and nothing a node prints can move its lines to another node. A job runs in one partition, so the nodes go out
 * in one srun per partition of the plan, all at once. Progress counts the nodes heard from.
 */
export async function runSlurmCollect(
  plan: CollectPlan,
  checkArgv: string[],
  opts: {
    /** Site options for srun (--reservation, --account, --qos, --time ...), placed before ctrsafe's own. */
    srunArgs?: string[];
    timeoutMs: number;
    env: NodeJS.ProcessEnv;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<{ failures: string[]; stopped: Stopped | null; gone: { node: string; state: string }[] }> {
  if (plan.nodes.length === 0) return { failures: [], stopped: null, gone: [] };
  const groups = srunGroups(plan.nodes, plan.partitionOf, plan.maxNodes);
  // Held open for the whole run: the host files, the reports and the host files' removal all go below it.
  const out = SafeDir.open(plan.outDir);
  const files: string[] = [];
  const heard = new Set<string>();
  let stop: CollectionStop | undefined;
  let tick: NodeJS.Timeout | undefined;
  try {
    // Only this run's reports are read: a reused --out may hold a node's report from an earlier run.
    forgetReports(out, plan.nodes);
    // Every host file first: a failure here starts no srun at all.
    for (const { nodes } of groups) {
      files.push(`${HOSTFILE}.${files.length}`);
      out.writeFile(files.at(-1)!, nodes.join('\n') + '\n', 0o600);
    }
    const running = (stop = new CollectionStop(opts.timeoutMs));
    // While a job waits, squeue's ReqNodeNotAvail may be backfill's passing word or a node drained meanwhile: sinfo
    // decides for the nodes it names, read without blocking, once for all groups at a time, and kept 10 s from its
    // answer (one sinfo over the cluster is megabytes at 10,000 nodes). Each round starts from a fresh read.
    let states: { at: number; now: Promise<Map<string, string>> } | undefined;
    const groupNodeGone = async (nodes: string[], reason: string) => {
      if (states === undefined || Date.now() - states.at > 10_000) {
        const read = { at: Number.POSITIVE_INFINITY, now: nodeStates(opts.env) };
        states = read;
        void read.now.then(() => (read.at = Date.now()));
      }
      const now = await states.now;
      return (
        now.size > 0 &&
        namedUnavailable(reason, nodes).some(
          (n) => !heard.has(n) && !plan.canRun(n, now.get(n) ?? 'not listed'),
        )
      );
    };
    tick = setInterval(() => opts.onProgress?.(heard.size, plan.nodes.length), 500);
    // Each srun is waited for, whatever the others do: the directory and host files outlive all of them.
    const round = async <G extends { partition: string; nodes: string[]; file: string }>(list: G[]) =>
      (
        await Promise.allSettled(
          list.map(({ partition, nodes, file }) =>
            srunCollect(nodes, partition, file, checkArgv, opts, out, heard, running, groupNodeGone),
          ),
        )
      ).map((r, i) => ({
        group: list[i]!,
        failure: r.status === 'rejected' ? (r.reason as Error).message : (r.value?.failure ?? null),
        nodeGone: r.status === 'fulfilled' && r.value?.nodeGone === true,
      }));
    // A node drained, downed or reserved since sinfo was read holds its whole group back: the group goes out again
    // without the nodes Slurm now says cannot run a task (a 10,000-node partition loses one node, not all). A health
    // check may drain another in the meantime, so up to RESENDS times; a group refused after that is named. A group
    // refused although sinfo says all its nodes can run (a slurmd restarting is "idle*" for a moment) goes out
    // unchanged once, not RESENDS times: Slurm may be refusing it for a reason sinfo's state does not show.
    const gone: { node: string; state: string }[] = [];
    const failures: string[] = [];
    type Group = { partition: string; nodes: string[]; file: string; sentUnchanged: number };
    let pending: Group[] = groups.map((g, i) => ({ ...g, file: files[i]!, sentUnchanged: 0 }));
    for (let sent = 1; pending.length > 0; sent++) {
      // A stop that came while the last round was judged (the timeout's timer, a signal during sinfo) is seen
      // before anything goes out again: a timer turn and a poll turn of the event loop, then the srun is
      // not started (srunCollect).
      if (sent > 1) {
        await sleep(0);
        await setImmediate();
      }
      states = undefined;
      const results = await round(pending);
      const refused = results.filter((r) => r.nodeGone && !running.signal.aborted);
      // One sinfo for every refused group.
      const now = refused.length > 0 ? await nodeStates(opts.env) : new Map<string, string>();
      pending = [];
      for (const r of results) {
        const g = r.group;
        const said = `partition ${g.partition}: ${r.failure ?? 'srun was refused'}`;
        if (!refused.includes(r) || now.size === 0) {
          // Not refused for a node, stopped, or sinfo cannot say now: the outcome stands as srun said it.
          if (r.failure !== null) failures.push(said);
          continue;
        }
        // A node that sent its report (the refusal raced with the job's start) is not asked again.
        const unheard = g.nodes.filter((n) => !heard.has(n));
        const left = unheard.filter((n) => plan.canRun(n, now.get(n) ?? 'not listed'));
        gone.push(
          ...unheard
            .filter((n) => !left.includes(n))
            .map((node) => ({ node, state: now.get(node) ?? 'not listed by sinfo' })),
        );
        if (left.length === 0) continue;
        const unchanged = left.length === g.nodes.length;
        if (sent > RESENDS) {
          failures.push(`${said}; given up after ${sent} tries, nodes went away between them`);
          continue;
        }
        if (unchanged && g.sentUnchanged > 0) {
          failures.push(`${said}; given up after ${sent} tries, though sinfo says each node can run a task`);
          continue;
        }
        const file = `${HOSTFILE}.${files.length}`;
        files.push(file);
        try {
          out.writeFile(file, left.join('\n') + '\n', 0o600);
        } catch (e) {
          failures.push(`${said}; not sent again: ${(e as Error).message}`);
          continue;
        }
        pending.push({
          partition: g.partition,
          nodes: left,
          file,
          sentUnchanged: g.sentUnchanged + (unchanged ? 1 : 0),
        });
      }
    }
    return { failures, stopped: running.stopped(), gone };
  } finally {
    stop?.close();
    clearInterval(tick);
    try {
      for (const f of files) out.remove(f);
    } finally {
      out.close();
    }
  }
}

/**
 * What srun said on its standard error, kept for when it fails: its own last "srun: error:" line, else the last
 * line (a task's standard error comes here too). Bounded to the last 4 KiB and the last error line.
 */
function srunErrors(max = 4096): {
  push(chunk: string): void;
  text(): string;
  refused(): boolean;
  queuedJob(): string | undefined;
  allocated(): boolean;
  refusal(): string;
  nodeGone(): boolean;
} {
  let tail = '';
  let lastError = '';
  let job: string | undefined;
  let refused = false;
  let gone = false;
  let allocated = false;
  let refusal = '';
  return {
    push(chunk) {
      tail = (tail + chunk).slice(-max);
      for (const l of tail.split('\n')) {
        const line = l.trim();
        if (/^srun: error: /.test(line)) lastError = line.slice(0, 300);
        job ??= /^srun: job (\d{1,12}) queued and waiting for resources$/.exec(line)?.[1];
        // Slurm's words for a job it queued but will not start as asked (slurm_errno.c): the partition's limits,
        // or a node asked for that is down, drained or reserved since sinfo was read.
        if (line === 'srun: Requested partition configuration not available now') {
          refused = true;
          refusal = line.slice('srun: '.length);
        }
        if (line === 'srun: Required node not available (down, drained or reserved)') {
          refused = gone = true;
          refusal = line.slice('srun: '.length);
        }
        if (job !== undefined && line === `srun: job ${job} has been allocated resources`) allocated = true;
      }
    },
    /** Whether the refusal was a node that is down, drained or reserved now (the rest may go out again). */
    nodeGone: () => gone,
    /** Whether srun said Slurm queued its job but cannot start it as asked (a partition limit, a node gone). */
    refused: () => refused,
    /** The job id, once srun said its job is queued and waiting. */
    queuedJob: () => job,
    /** Whether srun said the queued job has its nodes now. */
    allocated: () => allocated,
    /** srun's own words for Slurm's refusal, without its "srun: ". */
    refusal: () => refusal,
    text() {
      return (
        lastError ||
        (
          tail
            .split('\n')
            .map((l) => l.trim())
            // srun's own notes on the job's queueing say nothing about why it failed.
            .filter(
              (l) =>
                l &&
                !/^srun: job \d+ (queued and waiting for resources|has been allocated resources)$/.test(l),
            )
            .at(-1) ?? ''
        ).slice(0, 300)
      );
    },
  };
}

/**
 * One srun over NODES in PARTITION: null when it ended well, else why not, in one line, and whether Slurm refused it
 * because a node is down, drained or reserved now (the others can go out again without it).
 */
async function srunCollect(
  nodes: string[],
  partition: string,
  hostfile: string,
  checkArgv: string[],
  opts: Parameters<typeof runSlurmCollect>[2],
  out: SafeDir,
  heard: Set<string>,
  stop: CollectionStop,
  /** Whether sinfo says one of NODES (those REASON names) that has not answered can no longer run a task. */
  nodeGoneNow: (nodes: string[], reason: string) => Promise<boolean>,
): Promise<{ failure: string; nodeGone: boolean } | null> {
  const already = stop.stopped();
  if (already)
    return {
      failure: `srun was not started: the collection was stopped ${stoppedText(already)}`,
      nodeGone: false,
    };
  const args = [
    ...(opts.srunArgs ?? []),
    `--ntasks=${nodes.length}`,
    '--distribution=arbitrary',
    '--label',
    '--kill-on-bad-exit=0',
    `--job-name=ctrsafe-check`,
    `--partition=${partition}`,
    '--',
    ...checkArgv,
  ];
  const child = spawnLauncher('srun', args, { ...opts.env, SLURM_HOSTFILE: out.forChild(hostfile) });
  const regroup = regroupLines((key) => {
    const node = /^\d{1,9}$/.test(key) ? nodes[Number(key)] : undefined;
    if (node !== undefined) heard.add(node);
    return node;
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => regroup.push(chunk));
  // Read, or a chatty task would fill the pipe and stall srun until the timeout.
  const errors = srunErrors();
  const own = new AbortController();
  const follow = () => own.abort();
  stop.signal.addEventListener('abort', follow, { once: true });
  let refusedBy: string | undefined;
  let refusedForNode = false;
  // This srun alone is stopped when its job is queued for a reason that does not lift while the cluster stays as it
  // is (a partition down, a per-job QOS maximum), or srun says Slurm refuses it (its partition's limits: a site's
  // --time above MaxTime, tried on Slurm 22.05; a node drained since sinfo was read): squeue is asked why, and the
  // srun stopped when it says so, while the job still waits. Any other reason (Resources, Priority, a group limit)
  // is waited for, until --timeout, and named if the timeout comes first.
  let watch: ReturnType<typeof watchPending> | undefined;
  const refuse = (said: string, nodeGone: boolean) => {
    // squeue's words, else srun's (squeue named no reason after srun's refusal).
    refusedBy = said || (errors.refusal() ? `srun: ${errors.refusal()}` : '');
    refusedForNode = nodeGone || errors.nodeGone();
    own.abort();
  };
  let asked = false;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    errors.push(chunk);
    const queued = errors.queuedJob();
    if (queued !== undefined && watch === undefined && !own.signal.aborted)
      watch = watchPending(
        queued,
        opts.env,
        refuse,
        () => (!errors.refused() ? null : errors.nodeGone() ? 'node' : 'limit'),
        { nodeGoneNow: (reason) => nodeGoneNow(nodes, reason) },
      );
    // Once the job has its nodes, what it waited for is no longer the story.
    if (errors.allocated()) watch?.stop();
    if (errors.refused() && watch !== undefined && !asked) {
      asked = true;
      watch.askNow();
    }
  });
  // At the timeout (or a signal to ctrsafe) srun's process group is asked to stop (srun cancels the step), then
  // killed: a task stuck in the kernel (a dead NFS mount) would otherwise keep srun, and so the collection,
  // waiting past --timeout.
  const exitCode = await runLauncher(child, 'srun', {
    stop: own.signal,
    graceMs: KILL_GRACE_MS,
    lastResort: stop.lastResort,
  }).finally(() => {
    stop.signal.removeEventListener('abort', follow);
    watch?.stop();
  });
  writeRegrouped(out, regroup.end());
  if (exitCode === 0) return null;
  if (refusedBy !== undefined)
    return {
      failure: `Slurm queued the job but cannot start it as asked${refusedBy ? ` (${refusedBy})` : ''}; srun was stopped`,
      nodeGone: refusedForNode,
    };
  const said = errors.text();
  const stopped = stop.stopped();
  const how = stopped
    ? `was stopped ${stoppedText(stopped)}`
    : exitCode === null
      ? `was killed (${child.signalCode ?? 'signal'})`
      : `exited ${exitCode}`;
  const some = nodes.some((n) => heard.has(n));
  // Stopped while its job still waited: why Slurm held it says more than srun's "queued and waiting".
  const pending = stopped && !errors.allocated() && !some ? (watch?.last() ?? '') : '';
  return {
    failure: `srun ${how}${pending ? ` while its job waited (${pending})` : said ? `: ${said}` : some ? ': a task failed (what the others sent is kept)' : ''}`,
    nodeGone: false,
  };
}
