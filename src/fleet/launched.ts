// Waits for a launcher (srun, pdsh) to finish; one that cannot start is a one-line error, not a crash.
import type { ChildProcess } from 'node:child_process';
import { InputError } from '../errors.js';

export function launched(child: ChildProcess, name: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new InputError(
          e.code === 'ENOENT'
            ? `${name} is not installed or not on PATH`
            : `${name} could not be started: ${e.message}`,
        ),
      ),
    );
    child.once('close', resolve);
  });
}

/**
 * Stops CHILD when STOP aborts (the collector's timeout): SIGTERM, SIGKILL GRACE_MS later. Once it has exited,
 * its pipes get 2 s to close and are then destroyed: a process it started and left behind (a site's srun
 * wrapper, a task stuck in the kernel) may hold them open, and waiting for 'close' would never end.
 * Returns what undoes it, for when the child ended on its own.
 */
export function stopOnAbort(child: ChildProcess, stop: AbortSignal, graceMs = 10_000): () => void {
  let hard: NodeJS.Timeout | undefined;
  let drain: NodeJS.Timeout | undefined;
  const onAbort = () => {
    child.kill('SIGTERM');
    hard = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(hard);
      drain = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 2_000);
    });
  };
  stop.addEventListener('abort', onAbort, { once: true });
  return () => {
    stop.removeEventListener('abort', onAbort);
    clearTimeout(hard);
    clearTimeout(drain);
  };
}
