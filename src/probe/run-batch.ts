// Runs several probe programs, each in its own process under timeout(1), from one shell: one spawn from Node
// instead of one per probe (each Node spawn costs milliseconds of main-thread time), each job on its own pipe.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
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

/**
 * timeout(1) by its path: looked up through PATH, a dead NFS or FUSE /usr/local/bin would hold every job before it
 * starts (the probe tools are named by path already).
 */
export const TIMEOUT = ['/usr/bin/timeout', '/bin/timeout'].find((p) => fs.existsSync(p)) ?? 'timeout';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function script(jobs: BatchJob[], timeoutSec: number): string {
  // timeout(1) exits 137 when it had to SIGKILL the job; "@@rc" carries the job's own status.
  const lines = jobs.map(
    (j, i) =>
      `{ ${TIMEOUT} -s KILL ${timeoutSec} ${j.argv.map(quote).join(' ')} 2>&1; echo "@@rc $?"; } >&${FIRST_FD + i} &`,
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
    let killed = false;
    let done = false;
    let spawnError: string | null = null;
    const finish = () => {
      if (done) return;
      done = true;
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
            // A job whose status line came back finished, even if something it started outlived the hard stop.
            timedOut: (killed && !m) || exitCode === 137 || exitCode === 124,
          });
      });
      resolve(results);
    };
    // A hard stop a little after every job's own timeout: the whole group is killed, and the results are taken
    // then, without waiting for the pipes to close. A job stuck in the kernel (a read on a dead NFS server) cannot
    // be reaped, and a grandchild may hold a pipe open: either would otherwise keep the check waiting for ever.
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
      for (const s of child.stdio) (s as { destroy?: () => void } | null)?.destroy?.();
      child.unref();
      finish();
    }, opts.timeoutMs + 2000);
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', finish);
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
