// Fuzzes the squashfs reader with mutated images of every compressor: each must list or throw ImageFormatError,
// never another exception, never hang. Runs in a worker so that a hang can be stopped and reported with its seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_LIMITS, ImageFormatError } from '../../../src/image/image-entry.js';
import { readSquashfsEntries } from '../../../src/image/squashfs/read-squashfs.js';
import { prng } from '../../helpers/prng.js';

const PY = '/usr/bin/python3';

interface Job {
  fuzzSquashfs: true;
  seed: number;
  images: string[];
  dir: string;
  maxIterations: number;
  totalMs: number;
  budgetMs: number;
}

type Report =
  | { kind: 'progress'; i: number }
  | { kind: 'fail'; i: number; image: string; error: string }
  | { kind: 'done'; iterations: number; listed: number; rejected: number; entries: number };

const INTERESTING = [
  0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x1fff, 0x2000, 0xffffffff, 0x7fffffff,
];

function mutate(img: Buffer, rnd: () => number): Buffer {
  const out = Buffer.from(img);
  const at = (n = out.length) => (rnd() * n) | 0;
  const rounds = 1 + ((rnd() * 4) | 0);
  let buf = out;
  for (let r = 0; r < rounds; r++) {
    const kind = rnd();
    if (buf.length === 0) break;
    if (kind < 0.3) {
      const p = at();
      buf[p] = buf[p]! ^ (1 << ((rnd() * 8) | 0));
    } else if (kind < 0.5) {
      buf[at()] = (rnd() * 256) | 0;
    } else if (kind < 0.7 && buf.length >= 96) {
      // A field-sized interesting value, often in the superblock.
      const v = INTERESTING[at(INTERESTING.length)]!;
      const p = rnd() < 0.3 ? at(92) : at(buf.length - 4);
      if (rnd() < 0.5) buf.writeUInt16LE(v & 0xffff, p);
      else buf.writeUInt32LE(v >>> 0, p);
    } else if (kind < 0.85) {
      // Copy a run of bytes over another place: plausible structures in the wrong spot.
      const len = 1 + at(64);
      const from = at(Math.max(1, buf.length - len));
      buf.copy(buf, at(Math.max(1, buf.length - len)), from, from + len);
    } else {
      buf = buf.subarray(0, at());
    }
  }
  return buf;
}

function runWorker(job: Job): void {
  const rnd = prng(job.seed);
  const bases = job.images.map((f) => fs.readFileSync(f));
  const file = path.join(job.dir, 'mutant.sqfs');
  const limits = { ...DEFAULT_LIMITS, maxEntries: 100_000, deadlineMs: job.budgetMs };
  const post = (r: Report) => parentPort!.postMessage(r);
  const started = Date.now();
  let listed = 0;
  let rejected = 0;
  let entries = 0;
  let i = 0;
  for (; i < job.maxIterations && Date.now() - started < job.totalMs; i++) {
    const which = at(rnd, bases.length);
    const mutant = mutate(bases[which]!, rnd);
    fs.writeFileSync(file, mutant);
    post({ kind: 'progress', i });
    const t = Date.now();
    try {
      for (const e of readSquashfsEntries(file, { limits })) {
        if (
          typeof e.path !== 'string' ||
          !e.path.startsWith('/') ||
          e.mode > 0o7777 ||
          !Number.isInteger(e.uid)
        ) {
          throw new Error(`malformed entry ${JSON.stringify(e)}`);
        }
        entries++;
      }
      listed++;
    } catch (e) {
      if (!(e instanceof ImageFormatError)) {
        post({ kind: 'fail', i, image: job.images[which]!, error: (e as Error).stack ?? String(e) });
        return;
      }
      rejected++;
    }
    if (Date.now() - t > job.budgetMs * 2) {
      post({ kind: 'fail', i, image: job.images[which]!, error: `took ${Date.now() - t} ms` });
      return;
    }
  }
  post({ kind: 'done', iterations: i, listed, rejected, entries });
}

function at(rnd: () => number, n: number): number {
  return (rnd() * n) | 0;
}

function buildImages(): { dir: string; images: string[] } {
  // A base that keeps user.* xattrs (tmpfs before Linux 6.6 does not).
  const base = [os.tmpdir(), '/var/tmp'].find((b) => {
    const probe = fs.mkdtempSync(path.join(b, 'ctrsafe-xattr-probe-'));
    const r = spawnSync(PY, ['-c', 'import os, sys; os.setxattr(sys.argv[1], "user.probe", b"1")', probe]);
    fs.rmSync(probe, { recursive: true });
    return r.status === 0;
  });
  assert.ok(base, 'no scratch directory keeps user.* xattrs');
  const dir = fs.mkdtempSync(path.join(base, 'ctrsafe-fuzz-'));
  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  fs.mkdirSync(path.join(root, 'empty'));
  fs.writeFileSync(path.join(root, 'usr/bin/su'), 'su');
  fs.chmodSync(path.join(root, 'usr/bin/su'), 0o4755);
  fs.writeFileSync(path.join(root, 'data'), 'd'.repeat(5000));
  fs.linkSync(path.join(root, 'data'), path.join(root, 'usr/data-link'));
  fs.symlinkSync('../../../etc/passwd', path.join(root, 'usr/escape'));
  for (let i = 0; i < 40; i++)
    fs.writeFileSync(path.join(root, 'usr', `file-${i}-${'n'.repeat(i)}`), String(i));
  spawnSync('mkfifo', [path.join(root, 'fifo')]);
  const py = spawnSync(PY, [
    '-c',
    `import os; os.setxattr('${root}/data', 'user.a', b'A' * 40); os.setxattr('${root}/usr/bin/su', 'user.a', b'A' * 40); os.setxattr('${root}/usr/bin/su', 'user.b', b'b')`,
  ]);
  assert.equal(py.status, 0, py.stderr?.toString());
  const images: string[] = [];
  const make = (name: string, args: string[]) => {
    const out = path.join(dir, `${name}.sqfs`);
    // Fixed times and no padding: the same seed then means the same mutants, and mutations land on data.
    const r = spawnSync('mksquashfs', [
      root,
      out,
      ...args,
      '-noappend',
      '-quiet',
      '-no-progress',
      '-nopad',
      '-all-time',
      '1',
      '-mkfs-time',
      '1',
    ]);
    assert.equal(r.status, 0, r.stderr?.toString());
    images.push(out);
  };
  for (const c of ['gzip', 'lzo', 'lz4', 'xz', 'zstd', 'lzma']) make(c, ['-comp', c]);
  // Uncompressed metadata twice over: mutations then reach the table parsers rather than stopping at a decoder.
  make('plain', ['-noI', '-noD', '-noF', '-noX']);
  make('plain-2', ['-noI', '-noD', '-noF', '-noX', '-no-fragments']);
  return { dir, images };
}

if (!isMainThread && (workerData as Job | undefined)?.fuzzSquashfs) {
  runWorker(workerData as Job);
} else {
  test('mutated squashfs images of every compressor list or throw ImageFormatError, never crash or hang', async () => {
    const seed = Number(process.env.CTRSAFE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const { dir, images } = buildImages();
    for (const image of images)
      assert.ok([...readSquashfsEntries(image)].length > 45, `${image} lists before mutation`);
    // CTRSAFE_FUZZ_ITERATIONS runs a longer campaign (the time cap grows with it).
    const maxIterations = Number(process.env.CTRSAFE_FUZZ_ITERATIONS ?? 4000);
    const job: Job = {
      fuzzSquashfs: true,
      seed,
      images,
      dir,
      maxIterations,
      totalMs: Math.max(18_000, maxIterations * 5),
      budgetMs: 2000,
    };
    const hangMs = 10_000;
    const done = await new Promise<Extract<Report, { kind: 'done' }>>((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: job });
      let last = -1;
      let timer = setTimeout(() => undefined, 0);
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          void w.terminate();
          reject(new Error(`iteration ${last} hung for ${hangMs} ms (reproduce: CTRSAFE_FUZZ_SEED=${seed})`));
        }, hangMs);
      };
      arm();
      w.on('message', (r: Report) => {
        arm();
        if (r.kind === 'progress') last = r.i;
        else if (r.kind === 'fail') {
          clearTimeout(timer);
          void w.terminate();
          reject(
            new Error(
              `iteration ${r.i} on a mutant of ${path.basename(r.image)} (reproduce: CTRSAFE_FUZZ_SEED=${seed}): ${r.error}`,
            ),
          );
        } else {
          clearTimeout(timer);
          resolve(r);
        }
      });
      w.on('error', (e) => {
        clearTimeout(timer);
        reject(
          new Error(`worker died at iteration ${last} (reproduce: CTRSAFE_FUZZ_SEED=${seed}): ${e.stack}`),
        );
      });
    });
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(
      `fuzz seed ${seed}: ${done.iterations} mutants, ${done.listed} listed, ${done.rejected} rejected, ${done.entries} entries`,
    );
    assert.ok(done.iterations >= 1000, `only ${done.iterations} iterations (seed ${seed})`);
    // Both outcomes must occur, or the mutations are not reaching the parser.
    assert.ok(
      done.listed > 50 && done.rejected > 50,
      `seed ${seed}: ${done.listed} listed, ${done.rejected} rejected`,
    );
  });
}
