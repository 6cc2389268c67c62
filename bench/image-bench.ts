// Times listing a 50,000-inode squashfs: unsquashfs -lls and -lln against readSquashfsEntries, in one interleaved run;
// prints medians, ratios and peak RSS per compressor.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Cmd {
  name: string;
  argv: string[];
}

const runs = Number(process.env.BENCH_RUNS ?? 15);
const compressors = (process.env.BENCH_COMP ?? 'gzip').split(',').filter(Boolean);
const here = path.dirname(new URL(import.meta.url).pathname);
const lister = path.join(here, 'squashfs-list.js');
const bundled = path.join(here, 'squashfs-list.bundle.mjs');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function time(c: Cmd): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(c.argv[0]!, c.argv.slice(1), { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${c.argv.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Peak resident set size in MB from GNU time's %M (KiB). */
function peakMb(c: Cmd): number | null {
  if (!fs.existsSync('/usr/bin/time')) return null;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...c.argv], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const kb = Number(r.stderr.trim().split('\n').pop());
  return Number.isFinite(kb) ? kb / 1024 : null;
}

/** 250 directories of 199 empty files, a subdirectory and a symlink each, plus set-id files: 50,259 inodes. */
function buildTree(root: string): void {
  for (let d = 0; d < 250; d++) {
    const dir = path.join(root, `dir${String(d).padStart(3, '0')}`);
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    for (let i = 0; i < 199; i++)
      fs.writeFileSync(path.join(dir, `file-${String(i).padStart(4, '0')}-with-a-longer-name.txt`), '');
    fs.symlinkSync(`../dir${String((d + 1) % 250).padStart(3, '0')}/sub`, path.join(dir, 'link'));
  }
  for (const [name, mode] of [
    ['su', 0o4755],
    ['wall', 0o2755],
    ['open', 0o777],
  ] as const) {
    fs.writeFileSync(path.join(root, name), name);
    fs.chmodSync(path.join(root, name), mode);
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-image-bench-'));
try {
  const root = path.join(work, 'tree');
  buildTree(root);
  console.log(`runs: ${runs} per command, interleaved; medians in ms (noisy machine: compare ratios)`);
  for (const comp of compressors) {
    const image = path.join(work, `${comp}.sqfs`);
    const mk = spawnSync('mksquashfs', [root, image, '-comp', comp, '-noappend', '-quiet', '-no-progress'], {
      encoding: 'utf8',
    });
    if (mk.status !== 0) throw new Error(`mksquashfs -comp ${comp}: ${mk.stderr}`);
    const cmds: Cmd[] = [
      { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
      { name: 'unsquashfs -lls', argv: ['unsquashfs', '-lls', image] },
      { name: 'unsquashfs -lln', argv: ['unsquashfs', '-lln', image] },
      // Without -UTC every line pays for a localtime() conversion: -UTC is unsquashfs's fastest listing.
      { name: 'unsquashfs -lln -UTC', argv: ['unsquashfs', '-lln', '-UTC', image] },
      { name: 'readSquashfsEntries (tsc modules)', argv: [process.execPath, lister, image] },
    ];
    if (fs.existsSync(bundled))
      cmds.push({ name: 'readSquashfsEntries (esbuild bundle)', argv: [process.execPath, bundled, image] });

    // The reader must agree with unsquashfs before its speed means anything.
    const ours = spawnSync(process.execPath, [lister, image], { encoding: 'utf8' }).stdout.trim();
    const theirs = spawnSync('unsquashfs', ['-lln', image], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    }).stdout;
    const lines = theirs.split('\n').filter((l) => / squashfs-root/.test(l)).length;
    if (Number(ours) !== lines)
      throw new Error(`${comp}: readSquashfsEntries listed ${ours} entries, unsquashfs -lln ${lines}`);

    const times = new Map<string, number[]>(cmds.map((c) => [c.name, []]));
    for (const c of cmds) time(c); // warm the page cache once
    for (let i = 0; i < runs; i++) {
      // Rotate the order each round so drift on a noisy machine hits every command alike.
      for (let j = 0; j < cmds.length; j++) {
        const c = cmds[(i + j) % cmds.length]!;
        times.get(c.name)!.push(time(c));
      }
    }
    const m = (name: string) => median(times.get(name)!);
    console.log(`\n${comp}: ${lines} entries, image ${(fs.statSync(image).size / 1024).toFixed(0)} KiB`);
    console.log(
      `${'command'.padEnd(40)}${'median'.padStart(9)}${'x -lln'.padStart(9)}${'peak MB'.padStart(9)}`,
    );
    for (const c of cmds) {
      const mem = peakMb(c);
      console.log(
        `${c.name.padEnd(40)}${m(c.name).toFixed(1).padStart(9)}${(m(c.name) / m('unsquashfs -lln')).toFixed(2).padStart(9)}${(mem === null ? '-' : mem.toFixed(1)).padStart(9)}`,
      );
    }
    for (const name of cmds.slice(4).map((c) => c.name)) {
      const r = m(name);
      console.log(
        `${name}: / unsquashfs -lls = ${(r / m('unsquashfs -lls')).toFixed(2)} (target < 1.00), / unsquashfs -lln = ${(r / m('unsquashfs -lln')).toFixed(2)} (target < 3.00), / -lln -UTC = ${(r / m('unsquashfs -lln -UTC')).toFixed(2)}, minus node start-up ${(r - m('node -e 0')).toFixed(1)} ms`,
      );
    }
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
