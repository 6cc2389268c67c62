// Parses the locked-memory limit from /proc/PID/limits and pam_limits' limits.conf, and Slurm's limit propagation.
import type { Memlock } from '../schema/host-report.js';

/** Bytes, or "unlimited". */
export type { Memlock };

/** /proc/PID/limits (proc(5)): "Max locked memory   8388608   8388608   bytes". */
export function parseProcLimitsMemlock(text: string): { soft: Memlock; hard: Memlock } | null {
  const m = /^Max locked memory\s+(\S+)\s+(\S+)\s+bytes\s*$/m.exec(text);
  if (!m) return null;
  const v = (s: string): Memlock | null =>
    s === 'unlimited' ? 'unlimited' : /^\d{1,19}$/.test(s) ? Number(s) : null;
  const soft = v(m[1]!);
  const hard = v(m[2]!);
  return soft === null || hard === null ? null : { soft, hard };
}

export interface LimitsLine {
  domain: string;
  type: 'soft' | 'hard' | '-';
  value: Memlock;
  line: number;
}

/**
 * The memlock lines of limits.conf(5): "<domain> <type> memlock <value>", the value in KiB, "unlimited",
 * "infinity" or -1. Other items and malformed lines are skipped; at most maxLines lines are read.
 */
export function parseLimitsConfMemlock(text: string, maxLines = 5000): LimitsLine[] {
  const out: LimitsLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < Math.min(lines.length, maxLines); i++) {
    const f = lines[i]!.replace(/#.*$/, '').trim().split(/\s+/);
    if (f.length !== 4 || f[2] !== 'memlock' || !['soft', 'hard', '-'].includes(f[1]!)) continue;
    const raw = f[3]!;
    const value: Memlock | null = ['unlimited', 'infinity', '-1'].includes(raw)
      ? 'unlimited'
      : /^\d{1,15}$/.test(raw)
        ? Number(raw) * 1024
        : null;
    if (value !== null) out.push({ domain: f[0]!, type: f[1] as LimitsLine['type'], value, line: i + 1 });
  }
  return out;
}

/** slurm.conf(5) "Key=Value" lines for the keys asked for (case-insensitive keys; last one wins). */
export function parseSlurmConfKeys(text: string, keys: string[], maxLines = 20000): Map<string, string> {
  const want = new Map(keys.map((k) => [k.toLowerCase(), k]));
  const out = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < Math.min(lines.length, maxLines); i++) {
    const m = /^\s*([A-Za-z]+)\s*=\s*(\S+)/.exec(lines[i]!.replace(/#.*$/, ''));
    const k = m ? want.get(m[1]!.toLowerCase()) : undefined;
    if (k) out.set(k, m![2]!.slice(0, 200));
  }
  return out;
}

export function formatMemlock(v: Memlock): string {
  if (v === 'unlimited') return 'unlimited';
  if (v >= 1024 * 1024 && v % (1024 * 1024) === 0) return `${v / (1024 * 1024)} MiB`;
  if (v >= 1024 && v % 1024 === 0) return `${v / 1024} KiB`;
  return `${v} bytes`;
}
