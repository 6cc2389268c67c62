// A log of JSON lines (one object a line) to standard output or a file, written in batches off the request path.
import * as fs from 'node:fs';

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
export function openJsonLines(dest: string): JsonLines | null {
  if (dest === 'off') return null;
  const stream =
    dest === '-' ? process.stdout : fs.createWriteStream(dest, { flags: 'a', mode: 0o600, encoding: 'utf8' });
  let pending: string[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (dropped)
      pending.push(JSON.stringify({ time: new Date().toISOString(), log: 'dropped', lines: dropped }));
    dropped = 0;
    if (pending.length) stream.write(pending.join('\n') + '\n');
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
      return new Promise((resolve) => (stream as fs.WriteStream).end(() => resolve()));
    },
  };
}
