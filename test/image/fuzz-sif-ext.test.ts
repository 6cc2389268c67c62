// Mutation fuzzing: every mutated SIF or ext image ends with entries or an ImageFormatError, never a crash or hang.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readExtEntries } from '../../src/image/ext/read-ext.js';
import { DEFAULT_LIMITS, ImageFormatError, type ReadLimits } from '../../src/image/image-entry.js';
import { readSif } from '../../src/image/sif/read-sif.js';
import { partitionContents } from '../../src/image/sif/sif-partition.js';
import { REPO } from '../helpers/tree.js';
import {
  buildExt,
  DT,
  FS,
  PART,
  partitionExtra,
  plantTree,
  signatureExtra,
  tempDir,
  writeSif,
} from '../helpers/write-sif.js';
import { prng } from '../helpers/prng.js';
import { cpuMark, cpuMsSince } from '../helpers/cpu-time.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for the planted tree' : false;
// A fresh seed each run finds new cases; CTRSAFE_FUZZ_SEED=<n> replays a reported one.
const SEED = Number(process.env.CTRSAFE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const BUDGET_MS = 9000; // per image family; two families, about 20 s in all
const LIMITS: ReadLimits = {
  ...DEFAULT_LIMITS,
  maxEntries: 20_000,
  maxMetadataBytes: 32 * 1024 * 1024,
  deadlineMs: 2000,
};

const work = tempDir('ctrsafe-fuzz-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** The 512-byte chunks not filled with one byte value: where the metadata of a small image lives. */
function hotChunks(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 512) {
    const c = b.subarray(i, i + 512);
    if (c.some((x) => x !== c[0])) out.push(i);
  }
  return out;
}

const INTERESTING = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 12, 4096, 0xf30a, 0xef53,
];

function mutate(base: Buffer, hot: number[], rnd: () => number): { data: Buffer; what: string[] } {
  let data = Buffer.from(base);
  const what: string[] = [];
  const n = 1 + Math.floor(rnd() * 6);
  for (let k = 0; k < n; k++) {
    const chunk = hot[Math.floor(rnd() * hot.length)]!;
    const at = Math.min(data.length - 4, chunk + Math.floor(rnd() * 512));
    const r = rnd();
    if (r < 0.4) {
      data[at] = Math.floor(rnd() * 256);
      what.push(`byte@${at}`);
    } else if (r < 0.7) {
      const v = INTERESTING[Math.floor(rnd() * INTERESTING.length)]!;
      data.writeUInt32LE(v >>> 0, at);
      what.push(`u32@${at}=${v}`);
    } else if (r < 0.85) {
      const v = INTERESTING[Math.floor(rnd() * INTERESTING.length)]! & 0xffff;
      data.writeUInt16LE(v, at);
      what.push(`u16@${at}=${v}`);
    } else if (r < 0.95) {
      const from = hot[Math.floor(rnd() * hot.length)]!;
      data.copy(data, at & ~3, from, from + 64);
      what.push(`copy ${from}->${at & ~3}`);
    } else {
      const len = Math.floor(rnd() * data.length);
      data = data.subarray(0, len);
      what.push(`truncate ${len}`);
      break;
    }
  }
  return { data, what };
}

function drainExt(file: string): number {
  let n = 0;
  for (const _ of readExtEntries(file, { limits: LIMITS })) n++;
  return n;
}

/** readSif, then every ext3 partition listed; squashfs partitions belong to the squashfs reader's own tests. */
function drainSif(file: string): number {
  const info = readSif(file);
  let n = 0;
  for (const o of info.objects) {
    if (o.dataType !== DT.partition) continue;
    const c = partitionContents(file, o, LIMITS);
    if (c.kind === 'entries' && c.fsType === 'ext3') for (const _ of c.entries) n++;
  }
  return n;
}

function campaign(
  name: string,
  base: Buffer,
  hot: number[],
  drain: (file: string) => number,
  seed: number,
): void {
  const rnd = prng(seed);
  const file = path.join(work, `${name}.fuzz`);
  const t0 = cpuMark();
  let iterations = 0;
  let listed = 0;
  for (; iterations < 4000 && cpuMsSince(t0) < BUDGET_MS; iterations++) {
    const { data, what } = mutate(base, hot, rnd);
    const replay = `${name}: CTRSAFE_FUZZ_SEED=${SEED} (campaign seed ${seed}) iteration ${iterations} (${what.join(', ')})`;
    fs.writeFileSync(file, data);
    const started = Date.now();
    try {
      drain(file);
      listed++;
    } catch (e) {
      if (!(e instanceof ImageFormatError) || e.message.includes('\n')) {
        const keep = path.join(path.dirname(work), `ctrsafe-fuzz-${name}-${seed}-${iterations}.bin`);
        fs.writeFileSync(keep, data);
        assert.fail(`${replay} threw ${(e as Error).stack}\ninput kept at ${keep}`);
      }
    }
    assert.ok(Date.now() - started < 3000, `${replay} took too long`);
  }
  assert.ok(iterations >= 200, `${name}: only ${iterations} iterations in ${BUDGET_MS} ms of CPU`);
  console.log(`# fuzz ${name}: CTRSAFE_FUZZ_SEED=${SEED}, ${iterations} iterations, ${listed} listed fully`);
}

let baseImages: { ext: Buffer; sif: Buffer } | null = null;
function bases(): { ext: Buffer; sif: Buffer } {
  if (baseImages) return baseImages;
  const tree = plantTree({ many: 120, deep: 6 });
  try {
    const ext3 = path.join(work, 'base.ext3');
    buildExt(tree, ext3, 2048, ['-t', 'ext3', '-b', '1024', '-N', '256']);
    const ext4 = path.join(work, 'base.ext4');
    buildExt(tree, ext4, 1024, ['-t', 'ext4', '-b', '1024', '-O', '^has_journal', '-N', '256']);
    const sif = writeSif(path.join(work, 'base.sif'), [
      {
        type: DT.partition,
        data: fs.readFileSync(ext4),
        group: 1,
        extra: partitionExtra(FS.ext3, PART.primary),
      },
      {
        type: DT.signature,
        data: Buffer.from('-----BEGIN PGP SIGNED MESSAGE-----\n'),
        link: { group: 1 },
        extra: signatureExtra(),
      },
    ]);
    baseImages = { ext: fs.readFileSync(ext3), sif };
    return baseImages;
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
}

test('mutated ext3 images end with entries or ImageFormatError', { skip, timeout: 60_000 }, () => {
  const { ext } = bases();
  const file = path.join(work, 'check.ext3');
  fs.writeFileSync(file, ext);
  assert.ok(drainExt(file) > 150, 'the unmutated image lists');
  campaign('ext3', ext, hotChunks(ext), drainExt, SEED);
});

test(
  'mutated SIF files (an ext4-extents partition, and the sylabs samples) end with entries or ImageFormatError',
  { skip, timeout: 60_000 },
  () => {
    const { sif } = bases();
    const file = path.join(work, 'check.sif');
    fs.writeFileSync(file, sif);
    assert.ok(drainSif(file) > 150, 'the unmutated SIF lists');
    // Mutations go to the header, the descriptors in use and the partition's metadata, where the reading decides.
    const hot = hotChunks(sif).filter((c) => c < 4096 + 3 * 585 || c >= 32176);
    campaign('sif', sif, hot, drainSif, (SEED ^ 0x5a5a5a5a) >>> 0);
    const samples = path.join(REPO, '../shared/reference/sif-samples');
    if (fs.existsSync(samples) || process.env.CI) {
      const two = fs.readFileSync(path.join(samples, 'two-groups-signed-pgp.sif'));
      campaign(
        'sif-sample',
        two,
        // header, descriptors, then the ext3 partition and the signatures (its squashfs is not ours to fuzz)
        hotChunks(two).filter((c) => c < 4096 + 6 * 585 || c >= 40960),
        drainSif,
        (SEED ^ 0x33) >>> 0,
      );
    }
  },
);
