#!/usr/bin/env node
// The ctrsafe entry point: the only place that sets the process exit code.
import { WRITER_ARG, WRITER_ROLE } from '../fleet/server/writer-role.js';
import { main } from './main.js';

// A reader that stops early (`ctrsafe check | head`) closes the pipe: that ends output, it is not an error.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

function runMain(): void {
  void main({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  }).then((code) => {
    process.exitCode = code;
  });
}

// `fleet serve` runs its store writer in a thread started on this same file (one file in the bundle too). The
// argv word is the cheap test; the thread's own workerData decides (a user who types the word gets the CLI).
if (process.argv.at(-1) === WRITER_ARG)
  void import('node:worker_threads').then(({ isMainThread, workerData }) =>
    !isMainThread && (workerData as { role?: unknown } | null)?.role === WRITER_ROLE
      ? import('../fleet/server/writer-thread.js').then((m) => m.runWriterThread())
      : runMain(),
  );
else runMain();
