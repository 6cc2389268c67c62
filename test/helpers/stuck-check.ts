// Starts ARGV (ctrsafe gate, or check under its watchdog), finds its check child (the one started with
// --progress-fd) and stops it with SIGSTOP: a check stuck in the kernel, as on a dead NFS mount.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

export async function withStuckCheck(
  argv: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  const parent = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  parent.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  parent.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  let stopped = false;
  for (let i = 0; i < 200 && !stopped; i++) {
    await new Promise((r) => setTimeout(r, 10));
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (
          ppid === parent.pid &&
          fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--progress-fd')
        ) {
          process.kill(Number(pid), 'SIGSTOP');
          stopped = true;
        }
      } catch {
        // the process went away
      }
    }
  }
  assert.ok(stopped, 'found the check child');
  const code = await new Promise<number | null>((r) => parent.on('close', r));
  return { code, stdout, stderr, ms: Date.now() - t0 };
}
