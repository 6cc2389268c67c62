#!/usr/bin/env node
// The ctrsafe entry point: the only place that sets the process exit code.
import { isMainThread, workerData } from 'node:worker_threads';
import { main } from './main.js';

// A reader that stops early (`ctrsafe check | head`) closes the pipe: that ends output, it is not an error.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// `fleet serve` runs its store writer in a thread started on this same file (one file in the bundle too).
if (!isMainThread && (workerData as { role?: unknown } | null)?.role === 'ctrsafe-fleet-writer')
  void import('../fleet/server/writer-thread.js').then((m) => m.runWriterThread());
else
  void main({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  }).then((code) => {
    process.exitCode = code;
  });
