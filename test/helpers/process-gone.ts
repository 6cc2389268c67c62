// Whether a process has ended, as a test can tell: gone from /proc, or a zombie its new parent has not reaped yet.
import * as fs from 'node:fs';

/** Polls /proc/PID/stat for up to MS; true once PID is gone or a zombie, false if it still runs then. */
export async function processGone(pid: number, ms = 3000): Promise<boolean> {
  for (let i = 0; i < ms / 50; i++) {
    let state: string;
    try {
      state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]!;
    } catch {
      return true;
    }
    if (state === 'Z') return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
