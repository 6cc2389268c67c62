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

/**
 * The image under test, one file and its bytes in step: a mutation writes only the bytes it changes and is undone
 * the same way, where copying and writing the whole 2 MiB image for each of 4,000 mutants cost half the campaign.
 */
class MutableImage {
  private readonly fd: number;
  private readonly bytes: Buffer;
  private undo: { at: number; old: Buffer }[] = [];
  length: number;

  constructor(
    readonly file: string,
    private readonly base: Buffer,
  ) {
    this.bytes = Buffer.from(base);
    this.length = base.length;
    this.fd = fs.openSync(file, 'w+');
    fs.writeSync(this.fd, this.bytes);
  }

  /** The mutant as the reader sees it (for keeping a failing input). */
  current(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  write(at: number, data: Buffer): void {
    this.undo.push({ at, old: Buffer.from(this.bytes.subarray(at, at + data.length)) });
    data.copy(this.bytes, at);
    this.put(at, data.length);
  }

  truncate(length: number): void {
    this.length = length;
    fs.ftruncateSync(this.fd, length);
  }

  /** Back to the base image, bytes and file. */
  reset(): void {
    for (const { at, old } of this.undo.reverse()) old.copy(this.bytes, at);
    for (const { at, old } of this.undo) if (at < this.length) this.put(at, old.length);
    if (this.length < this.base.length) this.put(this.length, this.base.length - this.length);
    this.undo = [];
    this.length = this.base.length;
  }

  /** Bytes [at, at + length) to the file, all of them, or the campaign would read another image than it names. */
  private put(at: number, length: number): void {
    assert.equal(fs.writeSync(this.fd, this.bytes, at, length, at), length, `short write at ${at}`);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Mutates the image in place: 1 to 6 edits in its hot chunks; what names them for the replay line. */
function mutate(image: MutableImage, hot: number[], rnd: () => number): string[] {
  const what: string[] = [];
  const n = 1 + Math.floor(rnd() * 6);
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return b;
  };
  for (let k = 0; k < n; k++) {
    const chunk = hot[Math.floor(rnd() * hot.length)]!;
    const at = Math.min(image.length - 4, chunk + Math.floor(rnd() * 512));
    const r = rnd();
    if (r < 0.4) {
      image.write(at, Buffer.of(Math.floor(rnd() * 256)));
      what.push(`byte@${at}`);
    } else if (r < 0.7) {
      const v = INTERESTING[Math.floor(rnd() * INTERESTING.length)]!;
      image.write(at, u32(v));
      what.push(`u32@${at}=${v}`);
    } else if (r < 0.85) {
      const v = INTERESTING[Math.floor(rnd() * INTERESTING.length)]! & 0xffff;
      image.write(at, u32(v).subarray(0, 2));
      what.push(`u16@${at}=${v}`);
    } else if (r < 0.95) {
      const from = hot[Math.floor(rnd() * hot.length)]!;
      // Buffer.copy within one buffer stops at its end; so does this.
      const to = at & ~3;
      const len = Math.max(0, Math.min(64, image.length - from, image.length - to));
      image.write(to, Buffer.from(image.current().subarray(from, from + len)));
      what.push(`copy ${from}->${to}`);
    } else {
      const len = Math.floor(rnd() * image.length);
      image.truncate(len);
      what.push(`truncate ${len}`);
      break;
    }
  }
  return what;
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
  const image = new MutableImage(path.join(work, `${name}.fuzz`), base);
  const t0 = cpuMark();
  let iterations = 0;
  let listed = 0;
  try {
    for (; iterations < 4000 && cpuMsSince(t0) < BUDGET_MS; iterations++) {
      const what = mutate(image, hot, rnd);
      const replay = `${name}: CTRSAFE_FUZZ_SEED=${SEED} (campaign seed ${seed}) iteration ${iterations} (${what.join(', ')})`;
      const started = Date.now();
      try {
        drain(image.file);
        listed++;
      } catch (e) {
        if (!(e instanceof ImageFormatError) || e.message.includes('\n')) {
          const keep = path.join(path.dirname(work), `ctrsafe-fuzz-${name}-${seed}-${iterations}.bin`);
          fs.writeFileSync(keep, image.current());
          assert.fail(`${replay} threw ${(e as Error).stack}\ninput kept at ${keep}`);
        }
      }
      assert.ok(Date.now() - started < 3000, `${replay} took too long`);
      image.reset();
    }
  } finally {
    image.close();
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
