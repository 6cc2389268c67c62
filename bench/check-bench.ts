// Times `ctrsafe check` against `node -e 0` and Debian's spectre-meltdown-checker in one interleaved run; prints medians and ratios.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runInterleaved, type Cmd } from './interleaved.js';

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

const medians = runInterleaved(cmds, runs);
const base = medians.get('node -e 0')!;
const ct = medians.get('ctrsafe check')!;
console.log(`ctrsafe check / node -e 0 = ${(ct / base).toFixed(2)} (target < 2.00)`);
if (smc)
  console.log(`ctrsafe check / spectre-meltdown-checker = ${(ct / medians.get(cmds[2]!.name)!).toFixed(2)}`);
