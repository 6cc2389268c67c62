// Starts and stops a launcher (srun, pdsh) as a process group of its own: one that cannot start is a one-line
// error, not a crash, and one that is stopped takes what it started with it.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { descendantsOf, signalIfSame, type ProcessRef } from './process-tree.js';

export type Launcher = ChildProcessByStdio<null, Readable, Readable>;

/** How long a launcher's pipes may stay open after it exited: a process it left behind may hold them. */
const PIPE_GRACE_MS = 2_000;

/**
 * Starts CMD in a session (and so a process group) of its own, stdout and stderr piped. A stop then signals the
 * group: a site's srun wrapper, pdsh's ssh children and whatever else the launcher started go with it, where a
 * signal to the launcher alone left them running. The price is that the terminal's Ctrl-C no longer reaches the
 * group; abortOnSignals passes it on.
 */
export function spawnLauncher(cmd: string, args: string[], env: NodeJS.ProcessEnv): Launcher {
  return spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
}

/**
 * Waits for the launcher to exit and its pipes to close. Pipes still open 2 s after the exit are let go: a process
 * it left behind (a wrapper's child, a task stuck in the kernel) may hold them for ever, and waiting for them
 * would never end.
 */
export function launched(child: Launcher, name: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    let drain: NodeJS.Timeout | undefined;
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new InputError(
          e.code === 'ENOENT'
            ? `${name} is not installed or not on PATH`
            : `${name} could not be started: ${e.message}`,
        ),
      ),
    );
    child.once('exit', () => {
      drain = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, PIPE_GRACE_MS);
    });
    child.once('close', (code: number | null) => {
      clearTimeout(drain);
      resolve(code);
    });
  });
}

/** Sends SIG to CHILD's process group; to CHILD alone when the group is gone or was never made. */
function signalGroup(child: Launcher, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // ESRCH: nothing left in the group. (EPERM cannot happen: the group is ours.)
    child.kill(sig);
  }
}

/**
 * Stops CHILD when STOP aborts (the collector's timeout, or a signal to ctrsafe): SIGTERM (srun cancels its step),
 * SIGKILL GRACE_MS later, each to its process group and to every process it started (found in /proc when the stop
 * began: pdsh puts each command in a session of its own). Once the launcher has exited, what is left of them is
 * killed at once. Returns what undoes it, for when the launcher ended on its own.
 */
export function stopOnAbort(child: Launcher, stop: AbortSignal, graceMs = 10_000): () => void {
  let hard: NodeJS.Timeout | undefined;
  let started: ProcessRef[] = [];
  const signalAll = (sig: NodeJS.Signals) => {
    signalGroup(child, sig);
    for (const p of started) signalIfSame(p, sig);
  };
  const onExit = () => {
    clearTimeout(hard);
    signalAll('SIGKILL');
  };
  const onAbort = () => {
    if (child.exitCode !== null || child.signalCode !== null) return onExit();
    if (child.pid !== undefined) started = descendantsOf(child.pid);
    signalAll('SIGTERM');
    hard = setTimeout(() => signalAll('SIGKILL'), graceMs);
    child.once('exit', onExit);
  };
  stop.addEventListener('abort', onAbort, { once: true });
  return () => {
    stop.removeEventListener('abort', onAbort);
    child.removeListener('exit', onExit);
    clearTimeout(hard);
  };
}

/** The signals a collection is stopped by: the terminal's Ctrl-C, systemd's or a batch system's stop, a hang-up. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * While a collection runs, SIGINT, SIGTERM and SIGHUP abort STOP with "by SIGNAL": the launchers are stopped as at
 * the timeout, and what the nodes sent so far is still stored. A second signal is not caught: ctrsafe ends as it
 * would have without this. Returns what undoes it.
 */
export function abortOnSignals(stop: AbortController): () => void {
  const handlers = STOP_SIGNALS.map((sig) => {
    const h = () => {
      undo();
      stop.abort(`by ${sig}`);
      // The next one ends ctrsafe: its own handler would otherwise keep it alive.
      process.once(sig, () => process.kill(process.pid, sig));
    };
    process.once(sig, h);
    return [sig, h] as const;
  });
  const undo = () => {
    for (const [sig, h] of handlers) process.removeListener(sig, h);
  };
  return undo;
}
