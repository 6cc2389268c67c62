// Reads what one live probe prints: raw key=value lines from a child process.
import type { ProbeResult } from '../facts/probe-result.js';

export type { ProbeResult };

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
