// Runs several probe programs, each in its own process under timeout(1), from one shell: one spawn from Node
// instead of one per probe (each Node spawn costs milliseconds of main-thread time), each job on its own pipe.
import { spawn } from 'node:child_process';
import type { ChildUser } from './run-child.js';

export interface BatchJob {
  tag: string;
  argv: string[];
}

export interface JobResult {
  /** False when the shell that runs the jobs could not be started at all. */
  started: boolean;
  exitCode: number | null;
  /** stdout and stderr of the job, merged, bounded. */
  output: string;
  timedOut: boolean;
}

const MAX_JOB_OUTPUT = 64 * 1024;
const FIRST_FD = 3;
const FDS_PER_SHELL = 7; // POSIX sh redirects single-digit descriptors only: 3..9
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function script(jobs: BatchJob[], timeoutSec: number): string {
  // timeout(1) exits 137 when it had to SIGKILL the job; "@@rc" carries the job's own status.
  const lines = jobs.map(
    (j, i) =>
      `{ timeout -s KILL ${timeoutSec} ${j.argv.map(quote).join(' ')} 2>&1; echo "@@rc $?"; } >&${FIRST_FD + i} &`,
  );
  return [...lines, 'wait'].join('\n');
}

function runShell(
  jobs: BatchJob[],
  opts: { user?: ChildUser; timeoutMs: number; env?: Record<string, string> },
): Promise<Map<string, JobResult>> {
  return new Promise((resolve) => {
    const timeoutSec = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
    const env: Record<string, string> = { PATH: SAFE_PATH, LC_ALL: 'C', LANG: 'C', HOME: '/', ...opts.env };
    if (opts.user) env.USER = env.LOGNAME = opts.user.name;
    const results = new Map<string, JobResult>();
    const bufs = jobs.map(() => [] as Buffer[]);
    const lens = jobs.map(() => 0);
    let child;
    try {
      child = spawn('/bin/sh', ['-c', script(jobs, timeoutSec)], {
        cwd: '/',
        env,
        stdio: ['ignore', 'ignore', 'ignore', ...jobs.map(() => 'pipe' as const)],
        ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
      });
    } catch (e) {
      for (const j of jobs)
        results.set(j.tag, {
          started: false,
          exitCode: null,
          output: `cannot start /bin/sh: ${(e as Error).message}`,
          timedOut: false,
        });
      resolve(results);
      return;
    }
    jobs.forEach((_, i) => {
      const s = child.stdio[FIRST_FD + i] as NodeJS.ReadableStream | null;
      s?.on('data', (b: Buffer) => {
        if (lens[i]! < MAX_JOB_OUTPUT) bufs[i]!.push(b);
        lens[i]! += b.length;
      });
    });
    // A hard stop for the shell itself, a little after every job's own timeout.
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs + 2000);
    let spawnError: string | null = null;
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', () => {
      clearTimeout(timer);
      jobs.forEach((j, i) => {
        const text = Buffer.concat(bufs[i]!).subarray(0, MAX_JOB_OUTPUT).toString('utf8');
        const m = /@@rc (\d+)\n?$/.exec(text);
        const exitCode = m ? Number(m[1]) : null;
        const output = m ? text.slice(0, m.index) : text;
        if (spawnError !== null)
          results.set(j.tag, {
            started: false,
            exitCode: null,
            output: `cannot start /bin/sh: ${spawnError}`,
            timedOut: false,
          });
        else
          results.set(j.tag, {
            started: true,
            exitCode,
            output,
            timedOut: killed || exitCode === 137 || exitCode === 124,
          });
      });
      resolve(results);
    });
  });
}

/** Runs every job at once, at most seven per shell; never rejects. */
export async function runBatch(
  jobs: BatchJob[],
  opts: { user?: ChildUser; timeoutMs: number; env?: Record<string, string> },
): Promise<Map<string, JobResult>> {
  const chunks: BatchJob[][] = [];
  for (let i = 0; i < jobs.length; i += FDS_PER_SHELL) chunks.push(jobs.slice(i, i + FDS_PER_SHELL));
  const maps = await Promise.all(chunks.map((c) => runShell(c, opts)));
  return new Map(maps.flatMap((m) => [...m]));
}
