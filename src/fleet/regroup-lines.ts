// Regroups a fan-out tool's merged output ("KEY: line", the prefix added on the collecting side by pdsh or
// srun --label) into each host's own lines, bounded per host; lines of keys no host answers to are dropped.
import { SafeDir } from '../host/safe-write.js';
import { MAX_REPORT_BYTES } from './validate-report.js';

const MAX_LINE = MAX_REPORT_BYTES + 1024;

export interface Regrouper {
  push(chunk: string): void;
  /** Each host's lines, once the stream has ended. */
  end(): Map<string, string[]>;
}

/**
 * `hostOf` names the host a prefix belongs to (pdsh: the prefix is the target's name; srun: the task id, placed on
 * a node by the collector's own host file), or undefined to drop the line. The key is what comes before the first
 * ": ": a host name or a task id never contains one, so whatever the host printed cannot move its line elsewhere.
 */
export function regroupLines(hostOf: (key: string) => string | undefined): Regrouper {
  const buffers = new Map<string, string[]>();
  const sizes = new Map<string, number>();
  const take = (line: string) => {
    const at = line.indexOf(': ');
    if (at <= 0) return;
    const host = hostOf(line.slice(0, at).trim());
    if (host === undefined) return;
    const size = (sizes.get(host) ?? 0) + line.length - at - 1;
    if (size > MAX_REPORT_BYTES) return;
    sizes.set(host, size);
    (buffers.get(host) ?? buffers.set(host, []).get(host)!).push(line.slice(at + 2));
  };
  // The unfinished line is bounded too: a node printing without end-of-line would otherwise grow it without limit.
  // A line longer than a whole report belongs to no report: it is dropped up to its end.
  let rest = '';
  let skipping = false;
  return {
    push(chunk) {
      const parts = chunk.split('\n');
      const last = parts.pop()!;
      for (const part of parts) {
        const line = skipping ? null : rest + part;
        skipping = false;
        rest = '';
        if (line !== null && line.length <= MAX_LINE) take(line);
      }
      if (skipping) return;
      rest += last;
      if (rest.length > MAX_LINE) {
        rest = '';
        skipping = true;
      }
    },
    end: () => buffers,
  };
}

/**
 * Writes each host's lines to <host>.json below OUT (a SafeDir: closed to other users, checked by fleet-command.ts
 * or made by makeTempDir): a link at a name is replaced, never written through. The file's name then binds the
 * report to its host (ingest-dir.ts).
 */
export function writeRegrouped(out: SafeDir, byHost: Map<string, string[]>): void {
  for (const [host, lines] of byHost) out.writeFile(`${host}.json`, lines.join('\n') + '\n', 0o600);
}

/** Removes each host's report file from an earlier run, so a host that stays silent is not counted as answering. */
export function forgetReports(out: SafeDir, hosts: readonly string[]): void {
  for (const h of hosts) out.remove(`${h}.json`);
}
