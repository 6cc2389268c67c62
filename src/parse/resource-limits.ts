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
 * "infinity", "-" or -1. Type, item and value are case-insensitive (pam_limits lowercases them). Lines of the "%"
 * domains are left out: pam_limits applies them to maxlogins only. Other items and malformed lines are skipped; at
 * most maxLines lines are read.
 */
export function parseLimitsConfMemlock(text: string, maxLines = 5000): LimitsLine[] {
  const out: LimitsLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < Math.min(lines.length, maxLines); i++) {
    const f = lines[i]!.replace(/#.*$/, '').trim().split(/\s+/);
    if (f.length !== 4 || f[0]!.startsWith('%')) continue;
    const [domain, type, item, raw] = [f[0]!, f[1]!.toLowerCase(), f[2]!.toLowerCase(), f[3]!.toLowerCase()];
    if (item !== 'memlock' || !['soft', 'hard', '-'].includes(type)) continue;
    const value: Memlock | null = ['unlimited', 'infinity', '-1', '-'].includes(raw)
      ? 'unlimited'
      : /^\d{1,15}$/.test(raw)
        ? Number(raw) * 1024
        : null;
    if (value !== null) out.push({ domain, type: type as LimitsLine['type'], value, line: i + 1 });
  }
  return out;
}

/** The lower of two limits ("unlimited" is the highest). */
export const lowerMemlock = (a: Memlock, b: Memlock): Memlock =>
  a === 'unlimited' ? b : b === 'unlimited' ? a : Math.min(a, b);

export interface DomainMemlock {
  /** "*", a user name, "@group", or a uid ("1000:") or gid ("@1000:2000") range. */
  domain: string;
  /** User entries (names and uid ranges) beat group entries (@group, gid ranges), which beat the default "*". */
  kind: 'default' | 'user' | 'group';
  soft: Memlock | null;
  hard: Memlock | null;
  /** The soft limit a session gets: pam_limits lowers a soft limit above the hard one to it. Null when no soft is set. */
  effective: Memlock | null;
  /** file:line of the lines that set it, and of the last soft and hard ones. */
  at: string[];
  softAt: string | null;
  hardAt: string | null;
}

/**
 * What each domain of the memlock lines (in pam_limits' reading order, each with its file:line) gives a session.
 * pam_limits keeps, per soft and hard limit, the value from the most specific kind of entry that matches: an entry
 * of a less specific kind never replaces one of a more specific kind, and a later entry of the same kind replaces an
 * earlier one (Linux-PAM modules/pam_limits/pam_limits.c, process_limit: src_soft/src_hard, LIMITS_DEF_USER <
 * LIMITS_DEF_GROUP < LIMITS_DEF_DEFAULT; limits.conf(5)). So a user or group entry that sets only one of soft and
 * hard takes the other from "*"; the soft limit is then lowered to the hard one (setup_limits). A user who is
 * also in a group with its own entries gets the group's value where the user's entries say nothing: the group
 * database is not read here, so each domain is given with "*" under it only.
 */
export function memlockByDomain(lines: (LimitsLine & { at: string })[]): DomainMemlock[] {
  const kindOf = (d: string): DomainMemlock['kind'] =>
    d === '*' ? 'default' : d.startsWith('@') ? 'group' : 'user';
  const by = new Map<string, DomainMemlock>();
  for (const l of lines) {
    let d = by.get(l.domain);
    if (!d)
      by.set(
        l.domain,
        (d = {
          domain: l.domain,
          kind: kindOf(l.domain),
          soft: null,
          hard: null,
          effective: null,
          at: [],
          softAt: null,
          hardAt: null,
        }),
      );
    if (l.type !== 'hard') [d.soft, d.softAt] = [l.value, l.at];
    if (l.type !== 'soft') [d.hard, d.hardAt] = [l.value, l.at];
    d.at.push(l.at);
  }
  const def = by.get('*');
  for (const d of by.values()) {
    const soft = d.soft ?? def?.soft ?? null;
    const hard = d.hard ?? def?.hard ?? null;
    d.effective = soft === null ? null : hard === null ? soft : lowerMemlock(soft, hard);
  }
  return [...by.values()];
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
