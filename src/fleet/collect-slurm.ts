// Fans `ctrsafe check` out over a Slurm cluster with srun, one task per node; each node's output comes back through srun.
import { spawn, spawnSync } from 'node:child_process';
import { launched } from './launched.js';
import { regroupLines, writeRegrouped } from './regroup-lines.js';
import { InputError } from '../errors.js';
import { makeTempDir, SafeDir } from '../host/safe-write.js';
import { expandHostlist } from './hostlist.js';

export interface CollectPlan {
  nodes: string[];
  unknown: string[];
  /** Nodes Slurm knows but cannot run a task on now (down, drained, not responding): srun would wait for them. */
  unavailable: { node: string; state: string }[];
  outDir: string;
}

/**
 * sinfo's long states (sinfo(1), NODE STATE CODES) in which a node can run a task; a trailing "*" means not
 * responding, and the other suffixes (~ powered off, # powering up, % powering down, ! pending power down,
 * @ pending reboot, $ maintenance reservation, ^ rebooting) mean it cannot take the task now either.
 */
const RUNNABLE = new Set(['idle', 'mixed', 'allocated', 'completing', 'planned']);
export const runnable = (state: string) => RUNNABLE.has(state);

/** The nodes to ask: the given hostlist (minus names Slurm does not know), or every node of the partition. */
export function planSlurm(
  opts: { partition?: string; nodes?: string; outDir?: string },
  env: NodeJS.ProcessEnv,
): CollectPlan {
  const args = ['-h', '-N', '-o', '%N %T', ...(opts.partition ? ['-p', opts.partition] : [])];
  const r = spawnSync('sinfo', args, { encoding: 'utf8', timeout: 30000, env });
  if (r.error)
    throw new InputError(`fleet collect --slurm needs sinfo and srun: ${r.error.message.split('\n')[0]}`);
  if (r.status !== 0) throw new InputError(`sinfo failed: ${(r.stderr || '').trim().split('\n')[0]}`);
  // A node in several partitions is listed once per partition, with the same state.
  const states = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [node, state] = line.trim().split(/\s+/);
    if (node) states.set(node, (state ?? 'unknown').toLowerCase());
  }
  const wanted = opts.nodes ? expandHostlist(opts.nodes) : [...states.keys()];
  const outDir = opts.outDir ?? makeTempDir('ctrsafe-collect-');
  return {
    nodes: wanted.filter((n) => states.has(n) && runnable(states.get(n)!)),
    unknown: wanted.filter((n) => !states.has(n)),
    unavailable: wanted
      .filter((n) => states.has(n) && !runnable(states.get(n)!))
      .map((node) => ({ node, state: states.get(node)! })),
    outDir,
  };
}

/** The host file srun's arbitrary distribution reads: task i runs on line i's node (srun(1), --distribution). */
const HOSTFILE = '.srun-hosts';

/**
 * Runs the check on every planned node, one task each, and writes each node's standard output to OUT/<node>.json.
 * Each line comes back through srun itself, prefixed with its task id on this side (--label), and task i was placed
 * on the i-th node of a host file this collector wrote (--distribution=arbitrary): nothing is opened on the nodes
 * (an --output pattern such as %N would be opened by slurmstepd on each node, in a directory nobody checked there),
 * and nothing a node prints can move its lines to another node. Progress counts the nodes heard from.
 */
export async function runSlurmCollect(
  plan: CollectPlan,
  checkArgv: string[],
  opts: {
    partition?: string;
    /** Site options for srun (--reservation, --account, --qos, --time ...), placed before ctrsafe's own. */
    srunArgs?: string[];
    timeoutMs: number;
    env: NodeJS.ProcessEnv;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<{ exitCode: number | null; timedOut: boolean }> {
  if (plan.nodes.length === 0) return { exitCode: 0, timedOut: false };
  // Held open for the whole run: the host file, the reports and the host file's removal all go below it.
  const out = SafeDir.open(plan.outDir);
  try {
    out.writeFile(HOSTFILE, plan.nodes.join('\n') + '\n', 0o600);
    return await srunCollect(plan, checkArgv, opts, out);
  } finally {
    out.remove(HOSTFILE);
    out.close();
  }
}

async function srunCollect(
  plan: CollectPlan,
  checkArgv: string[],
  opts: Parameters<typeof runSlurmCollect>[2],
  out: SafeDir,
): Promise<{ exitCode: number | null; timedOut: boolean }> {
  const args = [
    ...(opts.srunArgs ?? []),
    `--ntasks=${plan.nodes.length}`,
    '--distribution=arbitrary',
    '--label',
    '--kill-on-bad-exit=0',
    `--job-name=ctrsafe-check`,
    ...(opts.partition ? [`--partition=${opts.partition}`] : []),
    '--',
    ...checkArgv,
  ];
  const child = spawn('srun', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...opts.env, SLURM_HOSTFILE: out.forChild(HOSTFILE) },
  });
  const heard = new Set<string>();
  const regroup = regroupLines((key) => {
    const node = /^\d{1,9}$/.test(key) ? plan.nodes[Number(key)] : undefined;
    if (node !== undefined) heard.add(node);
    return node;
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => regroup.push(chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, opts.timeoutMs);
  const tick = setInterval(() => opts.onProgress?.(heard.size, plan.nodes.length), 500);
  const exitCode = await launched(child, 'srun').finally(() => {
    clearTimeout(timer);
    clearInterval(tick);
  });
  writeRegrouped(out, regroup.end());
  return { exitCode, timedOut };
}
