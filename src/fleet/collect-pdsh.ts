// Fans `ctrsafe check` out with pdsh: every output line comes back as "host: line", regrouped here per host.
import { spawn } from 'node:child_process';
import { SafeDir } from '../host/safe-write.js';
import { MAX_REPORT_BYTES } from './validate-report.js';
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
  const buffers = new Map<string, string[]>();
  const sizes = new Map<string, number>();
  let rest = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      // pdsh prefixes "host: "; a host name never contains ": ", so the first one splits host from output.
      const at = line.indexOf(': ');
      if (at <= 0) continue;
      const host = line.slice(0, at);
      if (!known.has(host)) continue;
      const size = (sizes.get(host) ?? 0) + line.length - at - 1;
      if (size > MAX_REPORT_BYTES) continue;
      sizes.set(host, size);
      (buffers.get(host) ?? buffers.set(host, []).get(host)!).push(line.slice(at + 2));
    }
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, opts.timeoutMs);
  const exitCode = await launched(child, 'pdsh').finally(() => clearTimeout(timer));
  // Through SafeDir: the directory is closed to other users (fleet-command.ts checked it), and a link at a name
  // is replaced, never written through.
  const out = SafeDir.open(opts.outDir);
  try {
    for (const [host, lines] of buffers) out.writeFile(`${host}.json`, lines.join('\n') + '\n', 0o600);
  } finally {
    out.close();
  }
  return { exitCode, timedOut };
}
