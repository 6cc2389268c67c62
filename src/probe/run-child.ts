// Runs one helper program in a child process: bounded output, hard timeout, optional drop to another user.
import { spawn } from 'node:child_process';

export interface ChildUser {
  name: string;
  uid: number;
  gid: number;
}

export interface ChildResult {
  started: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  error?: string;
}

const MAX_OUTPUT = 64 * 1024;
const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Spawns argv with no shell, a clean environment and a SIGKILL deadline; never rejects. */
export function runChild(
  argv: string[],
  opts: { timeoutMs: number; user?: ChildUser; env?: Record<string, string> },
): Promise<ChildResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const failed = (error: string): ChildResult => ({
      started: false,
      exitCode: null,
      signal: null,
      timedOut: false,
      stdout: '',
      stderr: '',
      error,
    });
    if (!cmd) {
      resolve(failed('empty command'));
      return;
    }
    const env: Record<string, string> = { PATH: SAFE_PATH, LC_ALL: 'C', LANG: 'C', HOME: '/', ...opts.env };
    if (opts.user) env.USER = env.LOGNAME = opts.user.name;
    let child;
    try {
      child = spawn(cmd, args, {
        cwd: '/',
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
      });
    } catch (e) {
      resolve(failed((e as Error).message));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout.on('data', (b: Buffer) => {
      if (outLen < MAX_OUTPUT) out.push(b);
      outLen += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errLen < MAX_OUTPUT) err.push(b);
      errLen += b.length;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    let spawnError: string | undefined;
    child.on('error', (e) => {
      spawnError = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${cmd}: not found` : e.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: ChildResult = {
        started: spawnError === undefined,
        exitCode: code,
        signal,
        timedOut,
        stdout: Buffer.concat(out).subarray(0, MAX_OUTPUT).toString('utf8'),
        stderr: Buffer.concat(err).subarray(0, MAX_OUTPUT).toString('utf8'),
      };
      if (spawnError) result.error = spawnError;
      else if (timedOut) result.error = `timed out after ${opts.timeoutMs} ms`;
      resolve(result);
    });
  });
}

export function firstLine(s: string, max = 200): string {
  const line = s.split('\n').find((l) => l.trim().length > 0) ?? '';
  return line.trim().slice(0, max);
}
