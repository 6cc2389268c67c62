// Times `ctrsafe gate` against `node -e 0`, `ctrsafe check`, and LBNL NHC running one of its own checks (when
// CTRSAFE_NHC_DIR points at an NHC source tree), interleaved; target: under 0.5 s and 100 MB on this machine.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { peakMb, runInterleaved, type Cmd } from './interleaved.js';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const bin = path.join(path.dirname(new URL(import.meta.url).pathname), '../bundle/ctrsafe-launch.cjs'); // the package's bin, as users run it
const cmds: Cmd[] = [
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { name: 'ctrsafe check --format json', argv: [process.execPath, bin, 'check', '--format', 'json'] },
  { name: 'ctrsafe gate', argv: [process.execPath, bin, 'gate'] },
];
const sea = path.join(path.dirname(bin), '../sea/ctrsafe');
if (fs.existsSync(sea)) cmds.push({ name: 'ctrsafe gate (single executable)', argv: [sea, 'gate'] });
else console.log('npm run sea builds the single executable, timed here when present');
const nhc = process.env.CTRSAFE_NHC_DIR;
if (nhc && fs.existsSync(path.join(nhc, 'nhc'))) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-nhc-bench-'));
  fs.mkdirSync(path.join(dir, 'scripts'));
  for (const f of ['common.nhc', 'lbnl_fs.nhc'])
    fs.copyFileSync(path.join(nhc, 'scripts', f), path.join(dir, 'scripts', f));
  fs.writeFileSync(path.join(dir, 'nhc.conf'), '* || check_fs_mount_rw -f /\n');
  const args = [
    `INCDIR=${dir}/scripts`,
    'LOGFILE=-',
    'MARK_OFFLINE=0',
    `RESULTFILE=${dir}/status`,
    'TIMEOUT=30',
  ];
  cmds.push({
    name: 'nhc (check_fs_mount_rw /)',
    argv: ['bash', path.join(nhc, 'nhc'), '-c', `${dir}/nhc.conf`, ...args],
  });
} else console.log('NHC: set CTRSAFE_NHC_DIR to an NHC source tree to time it alongside');

const m = runInterleaved(cmds, runs);
const st = m.get('ctrsafe gate (single executable)');
if (st)
  console.log(
    `single executable: ${(st / 1000).toFixed(2)} s, ${(st / m.get('node -e 0')!).toFixed(2)}x node -e 0`,
  );
const gate = m.get('ctrsafe gate')!;
const mem = peakMb(cmds[2]!);
console.log(
  `ctrsafe gate: ${(gate / 1000).toFixed(2)} s (target < 0.5 s), ${(gate / m.get('node -e 0')!).toFixed(2)}x node -e 0, ` +
    `${(gate / m.get('ctrsafe check --format json')!).toFixed(2)}x ctrsafe check; peak ${mem?.toFixed(1) ?? '?'} MB (target < 100 MB)`,
);
