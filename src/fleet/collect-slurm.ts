// Fans `ctrsafe check` out over a Slurm cluster with srun, one task per node, each writing its report to a directory.
import { spawn, spawnSync } from 'node:child_process';
import { launched } from './launched.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { compressHostlist, expandHostlist } from './hostlist.js';

export interface CollectPlan {
  nodes: string[];
  unknown: string[];
  outDir: string;
}

/** The nodes to ask: the given hostlist (minus names Slurm does not know), or every node of the partition. */
export function planSlurm(
  opts: { partition?: string; nodes?: string; outDir?: string },
  env: NodeJS.ProcessEnv,
): CollectPlan {
  const args = ['-h', '-N', '-o', '%N', ...(opts.partition ? ['-p', opts.partition] : [])];
  const r = spawnSync('sinfo', args, { encoding: 'utf8', timeout: 30000, env });
  if (r.error)
    throw new InputError(`fleet collect --slurm needs sinfo and srun: ${r.error.message.split('\n')[0]}`);
  if (r.status !== 0) throw new InputError(`sinfo failed: ${(r.stderr || '').trim().split('\n')[0]}`);
  const known = [
    ...new Set(
      r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
  const wanted = opts.nodes ? expandHostlist(opts.nodes) : known;
  const outDir = opts.outDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-collect-'));
  return {
    nodes: wanted.filter((n) => known.includes(n)),
    unknown: wanted.filter((n) => !known.includes(n)),
    outDir,
  };
}

/** srun writes each node's stdout to OUT/<node>.json (%N); progress counts the files as they appear. */
export async function runSlurmCollect(
  plan: CollectPlan,
  checkArgv: string[],
  opts: {
    partition?: string;
    timeoutMs: number;
    env: NodeJS.ProcessEnv;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<{ exitCode: number | null; timedOut: boolean }> {
  if (plan.nodes.length === 0) return { exitCode: 0, timedOut: false };
  const args = [
    `--nodes=${plan.nodes.length}`,
    `--nodelist=${compressHostlist(plan.nodes)}`,
    '--ntasks-per-node=1',
    '--kill-on-bad-exit=0',
    `--job-name=ctrsafe-check`,
    ...(opts.partition ? [`--partition=${opts.partition}`] : []),
    `--output=${plan.outDir}/%N.json`,
    `--error=${plan.outDir}/%N.err`,
    '--',
    ...checkArgv,
  ];
  const child = spawn('srun', args, { stdio: ['ignore', 'ignore', 'pipe'], env: opts.env });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, opts.timeoutMs);
  const tick = setInterval(
    () =>
      opts.onProgress?.(
        fs
          .readdirSync(plan.outDir)
          .filter((f) => f.endsWith('.json') && fs.statSync(path.join(plan.outDir, f)).size > 0).length,
        plan.nodes.length,
      ),
    500,
  );
  const exitCode = await launched(child, 'srun').finally(() => {
    clearTimeout(timer);
    clearInterval(tick);
  });
  return { exitCode, timedOut };
}
