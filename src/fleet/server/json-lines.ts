// A log of JSON lines (one object a line) to standard output or a file, written in batches off the request path.
import * as fs from 'node:fs';
import { InputError } from '../../errors.js';

const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export interface JsonLines {
  write(entry: Record<string, unknown>): void;
  close(): Promise<void>;
}

/** Lines held at most while the destination is slow; past it they are counted and the count logged instead. */
const MAX_PENDING = 100_000;

/**
 * `dest`: "-" for standard output, "off" for nothing, or a file (appended, created 0600: it names every node and
 * peer address). Lines gather for up to 100 ms (or 1,000 lines) and go out in one write: a write per request
 * would cost the server more than the request's own work.
 */
export function openJsonLines(
  dest: string,
  warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): JsonLines | null {
  if (dest === 'off') return null;
  let stream: NodeJS.WritableStream;
  if (dest === '-') stream = process.stdout;
  else {
    // Opened here, before the server starts: a path that cannot be opened is one line at start-up, and a link at
    // the name is not followed (the server may run as root; whoever planted it would choose the file it appends to).
    let fd: number;
    try {
      fd = fs.openSync(dest, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o600);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new InputError(
        `${dest}: ${err.code === 'ELOOP' ? 'is a symbolic link' : (err.code ?? err.message)}`,
      );
    }
    stream = fs.createWriteStream('', { fd, encoding: 'utf8' });
  }
  // A log that fails later (a full disk, a file system gone) is said once and then left: requests go on.
  let failed = false;
  stream.on('error', (e: Error) => {
    if (!failed)
      warn(`ctrsafe fleet serve: log ${dest}: ${e.message.split('\n')[0]}; lines to it are dropped`);
    failed = true;
  });
  let pending: string[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (dropped)
      pending.push(JSON.stringify({ time: new Date().toISOString(), log: 'dropped', lines: dropped }));
    dropped = 0;
    if (pending.length && !failed) stream.write(pending.join('\n') + '\n');
    pending = [];
  };
  return {
    write(entry) {
      if (pending.length >= MAX_PENDING) {
        dropped++;
        return;
      }
      pending.push(JSON.stringify(entry));
      if (pending.length >= 1000) flush();
      else if (!timer) timer = setTimeout(flush, 100);
    },
    close() {
      flush();
      if (stream === process.stdout) return Promise.resolve();
      if (failed) return Promise.resolve();
      return new Promise((resolve) => (stream as fs.WriteStream).end(() => resolve()));
    },
  };
}
