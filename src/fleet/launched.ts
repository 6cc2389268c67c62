// Starts and stops a launcher (srun, pdsh) as a process group of its own: one that cannot start is a one-line
// error, not a crash, and one that is stopped (the timeout, Ctrl-C) takes what it started with it.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { descendantsOf, groupMembers, signalIfSame, type ProcessRef } from './process-tree.js';

export type Launcher = ChildProcessByStdio<null, Readable, Readable>;

/** Why a collection ended before its launchers did. */
export type Stopped = { by: 'timeout' } | { by: 'signal'; signal: NodeJS.Signals };

/** "at the timeout", "by SIGINT": how a summary line says it. */
export const stoppedText = (s: Stopped): string => (s.by === 'timeout' ? 'at the timeout' : `by ${s.signal}`);

/** How long a launcher's pipes may stay silent after it exited: a process it left behind may hold them. */
const PIPE_GRACE_MS = 2_000;

/** The signals a collection is stopped by: the terminal's Ctrl-C, systemd's or a batch system's stop, a hang-up. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The least time between the first signal's SIGTERM and a second signal's SIGKILL. */
const SECOND_SIGNAL_GAP_MS = 2_000;

/** For a second signal: each running launcher's SIGKILL to its group and the processes found below it. */
const lastResorts = new Set<() => void>();

/**
 * Starts CMD in a session (and so a process group) of its own, stdout and stderr piped. A stop then signals the
 * group: a site's srun wrapper, pdsh's children and whatever else the launcher started go with it, where a signal
 * to the launcher alone left them running. The price is that the terminal's Ctrl-C no longer reaches the group;
 * CollectionStop passes it on.
 */
export function spawnLauncher(cmd: string, args: string[], env: NodeJS.ProcessEnv): Launcher {
  return spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
}

/**
 * When a collection stops early: at TIMEOUT_MS, or at the first SIGINT, SIGTERM or SIGHUP to ctrsafe, after which
 * the launchers are stopped as at the timeout and what the nodes sent so far is still stored. A second signal
 * SIGKILLs every running launcher's group and what was found below it (at least 2 s after the first), then ends
 * ctrsafe by that signal. close()
 * undoes the timer and the handlers.
 */
export class CollectionStop {
  private readonly ctrl = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly handlers: [NodeJS.Signals, () => void][];
  private by: NodeJS.Signals | undefined;
  private firstAt = 0;
  private ending = false;

  constructor(timeoutMs: number) {
    this.timer = setTimeout(() => this.ctrl.abort(), timeoutMs);
    this.handlers = STOP_SIGNALS.map((sig) => [sig, () => this.onSignal(sig)]);
    for (const [sig, h] of this.handlers) process.on(sig, h);
  }

  /** Aborts when the collection is stopped, whichever way. */
  get signal(): AbortSignal {
    return this.ctrl.signal;
  }

  /** How it was stopped, or null; a signal is named even when the timeout came first. */
  stopped(): Stopped | null {
    if (this.by) return { by: 'signal', signal: this.by };
    return this.ctrl.signal.aborted ? { by: 'timeout' } : null;
  }

  close(): void {
    clearTimeout(this.timer);
    for (const [sig, h] of this.handlers) process.removeListener(sig, h);
  }

  private onSignal(sig: NodeJS.Signals): void {
    if (this.by === undefined) {
      this.by = sig;
      this.firstAt = Date.now();
      this.ctrl.abort();
      return;
    }
    if (this.ending) return;
    this.ending = true;
    // A second Ctrl-C right after the first still leaves srun a moment to cancel its job with slurmctld: a SIGKILL
    // microseconds after the SIGTERM would leave the job holding its nodes until its time limit.
    setTimeout(
      () => {
        for (const kill of lastResorts) kill();
        this.close();
        process.kill(process.pid, sig);
      },
      Math.max(0, this.firstAt + SECOND_SIGNAL_GAP_MS - Date.now()),
    );
  }
}

/**
 * Waits for the launcher to exit and its pipes to close, stopping it and what it started when STOP aborts
 * (SIGTERM, SIGKILL GRACE_MS later). After its exit, what is still written is read until the pipes have been
 * silent for 2 s, and for at most GRACE_MS: then they are let go and what is left of its group is sent SIGTERM (a
 * process it left behind may hold them, or keep writing, for ever).
 */
export async function runLauncher(
  child: Launcher,
  name: string,
  stop: AbortSignal,
  graceMs = 10_000,
): Promise<number | null> {
  const leftovers = new Leftovers(child);
  // Listening for the exit first: the group's members are taken before a stop signals them.
  const done = launched(child, name, graceMs, leftovers);
  const undo = stopOnAbort(child, stop, graceMs, leftovers);
  try {
    return await done;
  } finally {
    undo();
  }
}

/**
 * What a launcher started, to be signalled: while it runs, its process group (by number) and what /proc shows
 * below it; once it has exited, the very processes its group held then (its number may be reused by a new
 * session after that) and those found before.
 */
class Leftovers {
  private readonly found = new Map<number, ProcessRef>();
  private group: ProcessRef[] | undefined;
  constructor(private readonly child: Launcher) {}

  private get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Called at the launcher's exit, before its group number can be reused. */
  atExit(): void {
    if (this.child.pid !== undefined) this.group ??= groupMembers(this.child.pid);
  }

  /** Looks below the launcher again, while it runs. */
  look(): void {
    if (this.child.pid !== undefined && !this.exited)
      for (const p of descendantsOf(this.child.pid)) this.found.set(p.pid, p);
  }

  signal(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    if (!this.exited) {
      try {
        process.kill(-pid, sig);
      } catch {
        // ESRCH: no group (the launcher has not made it yet): the launcher alone.
        this.child.kill(sig);
      }
    } else for (const p of this.group ?? []) signalIfSame(p, sig);
    for (const p of this.found.values()) signalIfSame(p, sig);
  }
}

/** Resolves with the exit code once the pipes closed (or were let go); one line when CHILD could not start. */
function launched(
  child: Launcher,
  name: string,
  maxDrainMs: number,
  leftovers: Leftovers,
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    let drain: NodeJS.Timeout | undefined;
    let deadline = 0;
    const letGo = () => {
      child.stdout.destroy();
      child.stderr.destroy();
      leftovers.signal('SIGTERM');
    };
    // Restarted by every chunk after the exit, up to the deadline: what the launcher wrote is read to the end.
    const quiet = () => {
      if (drain === undefined) return;
      clearTimeout(drain);
      drain = setTimeout(letGo, Math.max(0, Math.min(PIPE_GRACE_MS, deadline - Date.now())));
    };
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
      leftovers.atExit();
      deadline = Date.now() + Math.max(PIPE_GRACE_MS, maxDrainMs);
      drain = setTimeout(letGo, PIPE_GRACE_MS);
      child.stdout.on('data', quiet);
      child.stderr.on('data', quiet);
    });
    child.once('close', (code: number | null) => {
      clearTimeout(drain);
      resolve(code);
    });
  });
}

/**
 * Stops CHILD when STOP aborts: SIGTERM (srun cancels its step), SIGKILL GRACE_MS later, each to its process group
 * and to every process found below it in /proc (pdsh puts each command in a session of its own), looked for when
 * the stop begins and again before the SIGKILL. Once the launcher has exited, what is left of them is killed at
 * once. Returns what undoes it.
 */
function stopOnAbort(child: Launcher, stop: AbortSignal, graceMs: number, leftovers: Leftovers): () => void {
  let hard: NodeJS.Timeout | undefined;
  const kill = () => {
    clearTimeout(hard);
    leftovers.look();
    leftovers.signal('SIGKILL');
  };
  const onAbort = () => {
    if (child.exitCode !== null || child.signalCode !== null) return kill();
    leftovers.look();
    leftovers.signal('SIGTERM');
    hard = setTimeout(kill, graceMs);
    child.once('exit', kill);
  };
  if (stop.aborted) onAbort();
  else stop.addEventListener('abort', onAbort, { once: true });
  lastResorts.add(kill);
  return () => {
    lastResorts.delete(kill);
    stop.removeEventListener('abort', onAbort);
    child.removeListener('exit', kill);
    clearTimeout(hard);
  };
}
