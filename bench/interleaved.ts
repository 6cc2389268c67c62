// Runs commands interleaved (rotating order each round) and prints medians, ratios to the first, and peak memory.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface Cmd {
  name: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** Exit statuses that mean the command did its work (default 0 only): a failed yardstick makes no ratio. */
  okStatus?: number[];
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Median wall time in ms of `n` calls of `f` in this process. */
export function medianMs(f: () => unknown, n: number): number {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    f();
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(xs);
}

function time(c: Cmd): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(c.argv[0]!, c.argv.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: c.env ?? process.env,
  });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.error || r.status === null || !(c.okStatus ?? [0]).includes(r.status)) {
    const why = r.error?.message ?? (r.status === null ? `signal ${r.signal}` : `exit ${r.status}`);
    throw new Error(
      `${c.name} failed (${why}): ${
        String(r.stderr ?? '')
          .trim()
          .split('\n')
          .pop() ?? ''
      }; no ratio is printed`,
    );
  }
  return ms;
}

/** Peak resident set size in MB from GNU time's %M (KiB): the largest of the command and its children. */
export function peakMb(c: Cmd): number | null {
  if (!fs.existsSync('/usr/bin/time')) return null;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...c.argv], {
    encoding: 'utf8',
    env: c.env ?? process.env,
  });
  const kb = Number(r.stderr.trim().split('\n').pop());
  return Number.isFinite(kb) ? kb / 1024 : null;
}

/** Medians in ms by command name, after one warm-up run of each. */
export function runInterleaved(cmds: Cmd[], runs: number): Map<string, number> {
  const times = new Map<string, number[]>(cmds.map((c) => [c.name, []]));
  for (const c of cmds) time(c);
  for (let i = 0; i < runs; i++)
    for (let j = 0; j < cmds.length; j++) {
      const c = cmds[(i + j) % cmds.length]!;
      times.get(c.name)!.push(time(c));
    }
  const base = median(times.get(cmds[0]!.name)!);
  console.log(`runs: ${runs} per command, interleaved; medians in ms (noisy machine: compare ratios)`);
  console.log(
    `${'command'.padEnd(40)}${'median'.padStart(9)}${'x first'.padStart(9)}${'peak MB'.padStart(9)}`,
  );
  const out = new Map<string, number>();
  for (const c of cmds) {
    const m = median(times.get(c.name)!);
    out.set(c.name, m);
    const mem = peakMb(c);
    console.log(
      `${c.name.padEnd(40)}${m.toFixed(1).padStart(9)}${(m / base).toFixed(2).padStart(9)}${(mem === null ? '-' : mem.toFixed(1)).padStart(9)}`,
    );
  }
  return out;
}
