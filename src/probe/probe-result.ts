// What one live probe reports: raw key=value lines from a child process, kept verbatim for snapshots.

export interface ProbeResult {
  /** False when the probe could not be started (helper missing, not the live host, timed out). */
  ran: boolean;
  /** Which helper ran it, e.g. "perl syscall(157)" or "unshare -U -r -m". */
  method: string;
  /** The user the probe ran as. */
  user: string;
  /** key=value pairs printed by the probe script. */
  values: Record<string, string>;
  exitCode: number | null;
  /** First line of stderr, for evidence. */
  stderr: string;
  /** Why it did not run or did not finish. */
  error?: string;
}

export function parseKeyValueLines(stdout: string, maxKeys = 64): Record<string, string> {
  const values: Record<string, string> = {};
  let count = 0;
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!/^[a-z_][a-z0-9_]*$/.test(key)) continue;
    values[key] = line
      .slice(eq + 1)
      .trim()
      .slice(0, 500);
    if (++count >= maxKeys) break;
  }
  return values;
}
