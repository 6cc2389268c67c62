// Times `ctrsafe gate --image` on a 1 GiB image against `sha256sum` of the same file, interleaved: a cached
// verdict costs one read to hash the image (no identity memo: issue 13); a new verdict copies the image privately,
// hashes the copy and audits it. Also checks each yardstick succeeded. Usage: bench/gate-image.sh [RUNS] [MiB]
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, runInterleaved, type Cmd } from './interleaved.js';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const mib = Number(process.env.BENCH_MIB ?? 1024);
const bin = path.join(path.dirname(new URL(import.meta.url).pathname), '../bundle/ctrsafe.cjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-gate-image-bench-'));
const image = path.join(dir, 'image.tar');
// A tar holding one file of random bytes: every byte hashed, and the audit (on a miss) reads it all too.
const data = path.join(dir, 'data.bin');
execFileSync('dd', ['if=/dev/urandom', `of=${data}`, 'bs=1M', `count=${mib}`, 'status=none']);
execFileSync('tar', ['-C', dir, '-cf', image, 'data.bin']);
fs.rmSync(data);
const cache = path.join(dir, 'cache');
for (const c of [
  ['sha256sum', image],
  [process.execPath, bin, 'gate', '--image', image, '--cache', cache],
]) {
  const r = spawnSync(c[0]!, c.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${c.join(' ')} failed: ${r.stdout}${r.stderr}`);
}
const cmds: Cmd[] = [
  { name: 'sha256sum', argv: ['sha256sum', image] },
  {
    name: 'gate --image (cached verdict)',
    argv: [process.execPath, bin, 'gate', '--image', image, '--cache', cache],
  },
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
];
const m = runInterleaved(cmds, runs);
const sha = m.get('sha256sum')!;
const hit = m.get('gate --image (cached verdict)')!;
// A new verdict each time: a fresh cache directory per run (private copy, hash, audit).
const miss: number[] = [];
for (let i = 0; i < Math.max(3, Math.floor(runs / 2)); i++) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, 'gate', '--image', image, '--cache', path.join(dir, `c${i}`)]);
  miss.push(Number(process.hrtime.bigint() - t) / 1e6);
  if (r.status !== 0) throw new Error(`gate --image failed: ${r.stdout}`);
}
console.log(
  `${mib} MiB image: sha256sum ${(sha / 1000).toFixed(2)} s; gate --image cached verdict ${(hit / 1000).toFixed(2)} s ` +
    `(${(hit / sha).toFixed(2)}x sha256sum); new verdict ${(median(miss) / 1000).toFixed(2)} s (${(median(miss) / sha).toFixed(2)}x sha256sum)`,
);
fs.rmSync(dir, { recursive: true, force: true });
