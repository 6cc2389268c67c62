// Fans `ctrsafe check` out with pdsh: every output line comes back as "host: line", regrouped here per host.
import { spawn } from 'node:child_process';
import { SafeDir } from '../host/safe-write.js';
import { regroupLines, writeRegrouped } from './regroup-lines.js';
import { launched } from './launched.js';

/**
 * Runs pdsh -w HOSTS -- ARGV and writes each host's standard output to OUT/<host>.json; bounded per host. The
 * "host: " prefix is pdsh's, added on this side to every line the host printed, so a host cannot write into
 * another's file; the file's name then binds the report to its host (ingest-dir.ts). HOSTS are valid host names.
 */
export async function runPdshCollect(
  hosts: string[],
  hostlist: string,
  checkArgv: string[],
  opts: { outDir: string; rcmd?: string; timeoutMs: number; env: NodeJS.ProcessEnv },
): Promise<{ exitCode: number | null; timedOut: boolean }> {
  const args = [...(opts.rcmd ? ['-R', opts.rcmd] : []), '-w', hostlist, '--', ...checkArgv];
  const child = spawn('pdsh', args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env });
  const known = new Set(hosts);
  const regroup = regroupLines((key) => (known.has(key) ? key : undefined));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => regroup.push(chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, opts.timeoutMs);
  const exitCode = await launched(child, 'pdsh').finally(() => clearTimeout(timer));
  const out = SafeDir.open(opts.outDir);
  try {
    writeRegrouped(out, regroup.end());
  } finally {
    out.close();
  }
  return { exitCode, timedOut };
}
