// A progress line on stderr for long work (sanitize, run's unpack, large audits, db update): bytes or records, rate,
// and with a known total the percentage and time left. Only on a terminal, never with --quiet, at most four updates a
// second.
import type { CliIo } from './io.js';
import { formatByteSize } from '../run/rootfs-cache.js';

export interface Progress {
  /** Adds n units of work done. */
  add(n: number): void;
  /** Clears the line. */
  done(): void;
}

const NONE: Progress = { add() {}, done() {} };

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** What is counted: bytes ("1.2G", "41.0M/s") or records ("12,345 records", "3,210/s"). */
export type ProgressUnit = 'bytes' | 'records';

const amount = (n: number, unit: ProgressUnit) =>
  unit === 'bytes' ? formatByteSize(n) : `${n.toLocaleString('en-US')} record${n === 1 ? '' : 's'}`;
const perSecond = (n: number, unit: ProgressUnit) =>
  unit === 'bytes' ? `${formatByteSize(n)}/s` : `${n.toLocaleString('en-US')}/s`;

/** The line's text (pure): "unpacking x.sif: 1.2G, 41.0M/s, 0:31" or, with a total, "... 42% of 3.0G, ... 0:43 left". */
export function formatProgress(
  label: string,
  done: number,
  total: number | null,
  elapsedMs: number,
  unit: ProgressUnit = 'bytes',
): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const speed = perSecond(Math.round(rate), unit);
  if (total !== null && total > 0) {
    const pct = Math.min(100, Math.floor((done * 100) / total));
    const left = rate > 0 ? clock(((total - done) * 1000) / rate) : '?';
    return `${label}: ${pct}% of ${amount(total, unit)}, ${speed}, ${left} left`;
  }
  return `${label}: ${amount(done, unit)}, ${speed}, ${clock(elapsedMs)}`;
}

export function progressLine(
  io: Pick<CliIo, 'stderr'>,
  label: string,
  total: number | null,
  opts: { quiet?: boolean; now?: () => number; unit?: ProgressUnit } = {},
): Progress {
  if ((io.stderr as { isTTY?: boolean }).isTTY !== true || opts.quiet) return NONE;
  const now = opts.now ?? Date.now;
  const start = now();
  let done = 0;
  let shown = 0;
  return {
    add(n) {
      done += n;
      const t = now();
      if (t - shown < 250) return;
      shown = t;
      io.stderr.write(`\r${formatProgress(label, done, total, t - start, opts.unit)}\x1b[K`);
    },
    done() {
      if (shown > 0) io.stderr.write('\r\x1b[K');
    },
  };
}
