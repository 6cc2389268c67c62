// Times `ctrsafe check` against `node -e 0` and Debian's spectre-meltdown-checker in one interleaved run; prints medians and ratios.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Cmd {
  name: string;
  argv: string[];
}

const runs = Number(process.env.BENCH_RUNS ?? 15);
const bin = path.join(path.dirname(new URL(import.meta.url).pathname), '../bundle/ctrsafe.cjs');
const cmds: Cmd[] = [
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { name: 'ctrsafe check', argv: [process.execPath, bin, 'check', '--format', 'json'] },
];
const smc = ['/usr/bin/spectre-meltdown-checker', '/usr/sbin/spectre-meltdown-checker'].find((p) =>
  fs.existsSync(p),
);
if (smc) cmds.push({ name: 'spectre-meltdown-checker --batch json', argv: [smc, '--batch', 'json'] });
else console.log('spectre-meltdown-checker is not installed: apt-get install spectre-meltdown-checker');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function time(c: Cmd): number {
  const t = process.hrtime.bigint();
  spawnSync(c.argv[0]!, c.argv.slice(1), { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Peak resident set size in MB from GNU time's %M (KiB). */
function peakMb(c: Cmd): number | null {
  if (!fs.existsSync('/usr/bin/time')) return null;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...c.argv], { encoding: 'utf8' });
  const kb = Number(r.stderr.trim().split('\n').pop());
  return Number.isFinite(kb) ? kb / 1024 : null;
}

const times = new Map<string, number[]>(cmds.map((c) => [c.name, []]));
for (const c of cmds) time(c); // warm the page cache once
for (let i = 0; i < runs; i++) {
  // Rotate the order each round so drift on a noisy machine hits every command alike.
  for (let j = 0; j < cmds.length; j++) {
    const c = cmds[(i + j) % cmds.length]!;
    times.get(c.name)!.push(time(c));
  }
}
const base = median(times.get('node -e 0')!);
console.log(`runs: ${runs} per command, interleaved; medians in ms (noisy machine: compare ratios)`);
console.log(`${'command'.padEnd(40)}${'median'.padStart(9)}${'x node'.padStart(9)}${'peak MB'.padStart(9)}`);
for (const c of cmds) {
  const m = median(times.get(c.name)!);
  const mem = peakMb(c);
  console.log(
    `${c.name.padEnd(40)}${m.toFixed(1).padStart(9)}${(m / base).toFixed(2).padStart(9)}${(mem === null ? '-' : mem.toFixed(1)).padStart(9)}`,
  );
}
const ct = median(times.get('ctrsafe check')!);
console.log(`ctrsafe check / node -e 0 = ${(ct / base).toFixed(2)} (target < 2.00)`);
if (smc)
  console.log(
    `ctrsafe check / spectre-meltdown-checker = ${(ct / median(times.get(cmds[2]!.name)!)).toFixed(2)}`,
  );
