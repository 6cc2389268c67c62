// Reads sysctl.d(5) configuration the way systemd-sysctl applies it, for node images that have no /proc.

export interface SysctlSetting {
  value: string;
  file: string;
}

/** Parses one sysctl.conf file; "kernel/yama/ptrace_scope" and "kernel.yama.ptrace_scope" are the same key. */
export function parseSysctlConf(
  text: string,
  file: string,
  into: Map<string, SysctlSetting>,
  maxLines = 5000,
): void {
  let n = 0;
  for (const raw of text.split('\n')) {
    if (++n > maxLines) break;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^-?\s*([A-Za-z0-9_./*-]+)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.replace(/\//g, '.');
    into.set(key, { value: m[2]!.trim().slice(0, 200), file });
  }
}

/**
 * systemd-sysctl reads /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d and /lib/sysctl.d;
 * a file name in an earlier directory masks the same name in a later one; files are applied in name order,
 * and /etc/sysctl.conf last (sysctl.d(5)).
 */
export const SYSCTL_DIRS = [
  '/etc/sysctl.d',
  '/run/sysctl.d',
  '/usr/local/lib/sysctl.d',
  '/usr/lib/sysctl.d',
  '/lib/sysctl.d',
];
