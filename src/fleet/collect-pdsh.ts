// Fans `ctrsafe check` out with pdsh: every output line comes back as "host: line", regrouped here per host.
import { SafeDir } from '../host/safe-write.js';
import { forgetReports, regroupLines, writeRegrouped } from './regroup-lines.js';
import { CollectionStop, type Stopped } from './collection-stop.js';
import { runLauncher, spawnLauncher } from './launched.js';

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
): Promise<{ exitCode: number | null; stopped: Stopped | null }> {
  const args = [...(opts.rcmd ? ['-R', opts.rcmd] : []), '-w', hostlist, '--', ...checkArgv];
  // Held open for the whole run: the earlier reports' removal and this run's reports both go below it.
  const out = SafeDir.open(opts.outDir);
  try {
    // Only this run's reports are read: a reused --out may hold a host's report from an earlier run.
    forgetReports(out, hosts);
    return await pdshCollect(hosts, args, opts, out);
  } finally {
    out.close();
  }
}

async function pdshCollect(
  hosts: string[],
  args: string[],
  opts: Parameters<typeof runPdshCollect>[3],
  out: SafeDir,
): Promise<{ exitCode: number | null; stopped: Stopped | null }> {
  // Before pdsh starts: a Ctrl-C from then on stops pdsh too (it runs in a session of its own).
  const stop = new CollectionStop(opts.timeoutMs);
  try {
    const child = spawnLauncher('pdsh', args, opts.env);
    const known = new Set(hosts);
    const regroup = regroupLines((key) => (known.has(key) ? key : undefined));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => regroup.push(chunk));
    // Read, or the hosts' standard error (pdsh passes it on) would fill the pipe and stall pdsh.
    child.stderr.resume();
    const exitCode = await runLauncher(child, 'pdsh', { stop: stop.signal, lastResort: stop.lastResort });
    writeRegrouped(out, regroup.end());
    return { exitCode, stopped: stop.stopped() };
  } finally {
    stop.close();
  }
}
