// Starts and stops a launcher (srun, pdsh) as a process group of its own: one that cannot start is a one-line
// error, not a crash, and one that is stopped (the timeout, Ctrl-C: collection-stop.ts) takes what it started
// with it.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { descendantsOf, groupMembers, signalIfSame, type ProcessRef } from './process-tree.js';

export type Launcher = ChildProcessByStdio<null, Readable, Readable>;

/** How long a launcher's pipes may stay silent after it exited: a process it left behind may hold them. */
const PIPE_GRACE_MS = 2_000;

/**
 * Starts CMD in a session (and so a process group) of its own, stdout and stderr piped. A stop then signals the
 * group: a site's srun wrapper, pdsh's children and whatever else the launcher started go with it, where a signal
 * to the launcher alone left them running. The price is that the terminal's Ctrl-C no longer reaches the group;
 * CollectionStop (collection-stop.ts) passes it on.
 */
export function spawnLauncher(cmd: string, args: string[], env: NodeJS.ProcessEnv): Launcher {
  return spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
}

/** Whether CHILD has exited (or could not start). */
const exited = (child: Launcher) => child.exitCode !== null || child.signalCode !== null;

/**
 * Waits for the launcher to exit and its pipes to close, stopping it and what it started when STOP aborts
 * (SIGTERM, SIGKILL GRACE_MS later). After its exit, what is still written is read until the pipes have been
 * silent for 2 s, and for at most GRACE_MS: then they are let go and what is left of its group is sent SIGTERM (a
 * process it left behind may hold them, or keep writing, for ever). LAST_RESORT registers the immediate SIGKILL a
 * second Ctrl-C calls for (CollectionStop.lastResort).
 */
export async function runLauncher(
  child: Launcher,
  name: string,
  opts: { stop: AbortSignal; graceMs?: number; lastResort?: (kill: () => void) => () => void },
): Promise<number | null> {
  const graceMs = opts.graceMs ?? 10_000;
  const leftovers = new Leftovers(child);
  // Listening for the exit first: the group's members are taken before a stop signals them.
  const done = exitAndDrain(child, name, graceMs, leftovers);
  const undo = stopOnAbort(child, opts.stop, graceMs, leftovers);
  const unregister = opts.lastResort?.(() => leftovers.kill());
  try {
    return await done;
  } finally {
    unregister?.();
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

  /** Called at the launcher's exit, before its group number can be reused. */
  atExit(): void {
    if (this.child.pid !== undefined) this.group ??= groupMembers(this.child.pid);
  }

  /** Looks below the launcher again, while it runs. */
  look(): void {
    if (this.child.pid !== undefined && !exited(this.child))
      for (const p of descendantsOf(this.child.pid)) this.found.set(p.pid, p);
  }

  signal(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    if (!exited(this.child)) {
      try {
        process.kill(-pid, sig);
      } catch {
        // The group is the launcher's own (detached: setsid before exec), so this is not expected; the launcher
        // alone then.
        this.child.kill(sig);
      }
    } else for (const p of this.group ?? []) signalIfSame(p, sig);
    for (const p of this.found.values()) signalIfSame(p, sig);
  }

  /** SIGKILL to all of it, looking below the launcher once more first. */
  kill(): void {
    this.look();
    this.signal('SIGKILL');
  }
}

/**
 * Resolves with the exit code once the pipes closed, or were let go after the exit (2 s of silence, MAX_DRAIN_MS
 * at most); one line when CHILD could not start.
 */
function exitAndDrain(
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
    child.once('error', (e) =>
      reject(
        new InputError(
          'code' in e && e.code === 'ENOENT'
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
    leftovers.kill();
  };
  const onAbort = () => {
    if (exited(child)) return kill();
    leftovers.look();
    leftovers.signal('SIGTERM');
    hard = setTimeout(kill, graceMs);
    child.once('exit', kill);
  };
  if (stop.aborted) onAbort();
  else stop.addEventListener('abort', onAbort, { once: true });
  return () => {
    stop.removeEventListener('abort', onAbort);
    child.removeListener('exit', kill);
    clearTimeout(hard);
  };
}
