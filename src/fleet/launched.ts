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
