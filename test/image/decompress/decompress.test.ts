// The pure-TypeScript decoders give back exactly what the real tools compressed, bound their output, and turn
// truncated, corrupt or explosive input into ImageFormatError, quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { decompress, type Compressor } from '../../../src/image/decompress/decompress.js';
import { XzStreamDecoder } from '../../../src/image/decompress/xz-stream.js';
import { ImageFormatError } from '../../../src/image/image-entry.js';
import { prng } from '../../helpers/prng.js';
import { cpuMark, cpuMsSince } from '../../helpers/cpu-time.js';

function tool(cmd: string, args: string[], input: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString() || r.error?.message}`);
  return r.stdout;
}

function randomBytes(n: number, seed: number): Buffer {
  const r = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (r() * 256) | 0;
  return b;
}

/** Text-like, repetitive, random and zero runs: every LZ code path (literals, matches, reps, long lengths). */
function mixed(n: number, seed: number): Buffer {
  const r = prng(seed);
  const parts: Buffer[] = [];
  let len = 0;
  const words = [
    'squashfs',
    'inode',
    'setuid',
    'capability',
    '/usr/bin/',
    'xattr',
    '\n',
    ' ',
    'lzma2',
    '0123',
  ];
  while (len < n) {
    const kind = r();
    let p: Buffer;
    if (kind < 0.5)
      p = Buffer.from(Array.from({ length: 200 }, () => words[(r() * words.length) | 0]).join(''));
    else if (kind < 0.7) p = randomBytes(100 + ((r() * 3000) | 0), (r() * 1e9) | 0);
    else if (kind < 0.85) p = Buffer.alloc((r() * 70000) | 0);
    else p = Buffer.from('abcabcabd'.repeat((r() * 500) | 0));
    parts.push(p);
    len += p.length;
  }
  return Buffer.concat(parts).subarray(0, n);
}

const SAMPLES: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from('x')],
  [
    'text',
    Buffer.from(Array.from({ length: 30000 }, (_, i) => `line ${i} of /usr/share/doc ${i % 7}\n`).join('')),
  ],
  ['random', randomBytes(300_000, 1)],
  ['zeros', Buffer.alloc(1_000_000)],
  ['mixed', mixed(600_000, 2)],
];

function throwsFormatError(f: () => unknown, what: string): void {
  const t = cpuMark();
  assert.throws(f, ImageFormatError, what);
  assert.ok(cpuMsSince(t) < 2000, `${what}: took ${cpuMsSince(t)} ms of CPU`);
}

/** Corrupt input may decode to other bytes (lz4 and lzo carry no checksum) but only within the bound, or throw ImageFormatError. */
function boundedOrFormatError(c: Compressor, input: Buffer, max: number, what: string): void {
  const t = cpuMark();
  try {
    const out = decompress(c, input, max);
    assert.ok(out.length <= max, `${what}: ${out.length} > ${max}`);
  } catch (e) {
    assert.ok(e instanceof ImageFormatError, `${what}: ${(e as Error).stack}`);
  }
  assert.ok(cpuMsSince(t) < 2000, `${what}: took ${cpuMsSince(t)} ms of CPU`);
}

test('xz: every xz(1) variant decodes to the original, one-shot and streamed in odd slices', () => {
  const variants = [
    ['-6'],
    ['-0'],
    ['-9e'],
    ['--check=none'],
    ['--check=crc32'],
    ['--check=sha256'],
    ['--block-size=65536'],
  ];
  const rnd = prng(7);
  // xz -9e (a 64 MiB dictionary, the extreme match search) spends 2 s of CPU per MB compressing, three quarters of
  // this test; the decoder meets the same dictionary size and match kinds in the first 128 KiB of each sample.
  const extreme: [string, Buffer][] = [
    ['text (first 128 KiB)', SAMPLES[2]![1].subarray(0, 128 * 1024)],
    ['mixed (first 128 KiB)', SAMPLES[5]![1].subarray(0, 128 * 1024)],
  ];
  for (const [name, data] of [...SAMPLES, ...extreme]) {
    // Every variant on the samples with structure; the plain ones for edge cases (empty, incompressible, zeros).
    const mine =
      name === 'mixed' || name === 'text'
        ? variants.filter((v) => v[0] !== '-9e')
        : extreme.some(([n]) => n === name)
          ? [['-9e']]
          : variants.slice(0, 2);
    for (const v of mine) {
      const xz = tool('xz', ['--format=xz', '-c', ...v], data);
      assert.ok(decompress('xz', xz, data.length).equals(data), `${name} ${v.join(' ')}`);
      const dec = new XzStreamDecoder({ maxOutputPerCall: 100_000 });
      const parts: Buffer[] = [];
      for (let i = 0; i < xz.length;) {
        const n = 1 + ((rnd() * 20000) | 0);
        for (const b of dec.decode(xz.subarray(i, i + n))) parts.push(b);
        i += n;
      }
      for (const b of dec.decode(null)) parts.push(b);
      assert.ok(Buffer.concat(parts).equals(data), `${name} ${v.join(' ')} streamed`);
    }
  }
  // Concatenated streams with stream padding between them (xz-file-format §2.2).
  const a = tool('xz', ['-c'], SAMPLES[2]![1]);
  const b = tool('xz', ['-c', '--check=crc32'], SAMPLES[5]![1]);
  const both = Buffer.concat([a, Buffer.alloc(8), b, Buffer.alloc(4)]);
  assert.ok(decompress('xz', both, 10_000_000).equals(Buffer.concat([SAMPLES[2]![1], SAMPLES[5]![1]])));
  throwsFormatError(
    () => decompress('xz', Buffer.concat([a, Buffer.alloc(3)]), 10_000_000),
    'padding not a multiple of 4',
  );
});

test('xz: output per call honours maxOutputPerCall (pending/drain), push/end alone still return everything', () => {
  const data = Buffer.concat([Buffer.alloc(3_000_000), SAMPLES[2]![1]]);
  const xz = tool('xz', ['-c'], data);
  const dec = new XzStreamDecoder({ maxOutputPerCall: 65536 });
  const size = (bs: Buffer[]) => bs.reduce((n, b) => n + b.length, 0);
  const parts = dec.push(xz);
  // One LZMA2 chunk (at most 2 MiB of output) may finish past the bound.
  assert.ok(size(parts) <= 65536 + 2 * 1024 * 1024);
  assert.equal(dec.pending, true);
  let calls = 1;
  while (dec.pending) {
    const more = dec.drain();
    assert.ok(size(more) <= 65536 + 2 * 1024 * 1024);
    parts.push(...more);
    calls++;
  }
  parts.push(...dec.end());
  assert.ok(calls > 1);
  assert.ok(Buffer.concat(parts).equals(data));
  const plain = new XzStreamDecoder();
  assert.ok(Buffer.concat([...plain.push(xz), ...plain.end()]).equals(data));
  assert.throws(() => plain.push(xz), /after end/);
});

test('xz: bombs, truncation, corruption, unsupported filters and garbage are ImageFormatError', () => {
  const zeros = tool('xz', ['-c'], Buffer.alloc(20_000_000));
  throwsFormatError(() => decompress('xz', zeros, 1_000_000), 'bomb one-shot');
  const dec = new XzStreamDecoder({ maxOutput: 1_000_000 });
  throwsFormatError(() => [...dec.decode(zeros)], 'bomb streamed');

  const xz = tool('xz', ['-c'], mixed(100_000, 8));
  for (const cut of [0, 5, 12, 13, 30, 100, 1000, xz.length >> 1, xz.length - 13, xz.length - 1]) {
    throwsFormatError(() => decompress('xz', xz.subarray(0, cut), 10_000_000), `cut at ${cut}`);
    const s = new XzStreamDecoder();
    throwsFormatError(() => [...s.decode(xz.subarray(0, cut)), ...s.decode(null)], `streamed cut at ${cut}`);
  }
  const rnd = prng(3);
  for (let i = 0; i < 200; i++) {
    const bad = Buffer.from(xz);
    const at = (rnd() * bad.length) | 0;
    bad[at] = bad[at]! ^ (1 << ((rnd() * 8) | 0));
    // Every byte of an .xz stream is covered by a CRC, a size or the block check.
    throwsFormatError(() => decompress('xz', bad, 10_000_000), `bit flip at ${at}`);
  }
  throwsFormatError(() => decompress('xz', randomBytes(5000, 9), 1_000_000), 'garbage');
  const bcj = tool('xz', ['-c', '--x86', '--lzma2'], SAMPLES[2]![1]);
  assert.throws(() => decompress('xz', bcj, 10_000_000), /x86 BCJ is not supported/);
});

test('lzma (LZMA-alone, squashfs legacy lzma): end-marker and known-size streams decode; bad ones throw', () => {
  for (const [name, data] of SAMPLES) {
    const alone = tool('xz', ['--format=lzma', '-c'], data);
    assert.ok(decompress('lzma', alone, data.length).equals(data), name);
    // squashfs-tools lzma_xz_wrapper.c writes the real size into bytes 5..12 after compressing.
    const sized = Buffer.from(alone);
    sized.writeUInt32LE(data.length, 5);
    sized.writeUInt32LE(0, 9);
    assert.ok(decompress('lzma', sized, data.length).equals(data), `${name} with its size`);
    if (data.length > 1)
      throwsFormatError(() => decompress('lzma', sized, data.length - 1), `${name} larger than the limit`);
    for (const cut of [5, 13, 20, alone.length - 1]) {
      if (cut < alone.length)
        throwsFormatError(
          () => decompress('lzma', alone.subarray(0, cut), data.length),
          `${name} cut at ${cut}`,
        );
    }
  }
  throwsFormatError(
    () => decompress('lzma', tool('xz', ['--format=lzma', '-c'], Buffer.alloc(20_000_000)), 1_000_000),
    'bomb',
  );
  const props = tool('xz', ['--format=lzma', '-c'], SAMPLES[2]![1]);
  props[0] = 9 * 5 * 5;
  throwsFormatError(() => decompress('lzma', props, 10_000_000), 'invalid properties');
});

test('zstd and gzip: round trips, bombs, hostile headers and garbage', () => {
  for (const [name, data] of SAMPLES) {
    assert.ok(decompress('zstd', tool('zstd', ['-q', '-c'], data), data.length).equals(data), `zstd ${name}`);
    assert.ok(decompress('gzip', zlib.deflateSync(data), data.length).equals(data), `gzip ${name}`);
  }
  const two = Buffer.concat([
    tool('zstd', ['-q', '-c'], SAMPLES[2]![1]),
    tool('zstd', ['-q', '-c', '-19'], SAMPLES[5]![1]),
  ]);
  assert.ok(
    decompress('zstd', two, 10_000_000).equals(Buffer.concat([SAMPLES[2]![1], SAMPLES[5]![1]])),
    'two frames',
  );

  throwsFormatError(
    () => decompress('zstd', tool('zstd', ['-q', '-c'], Buffer.alloc(20_000_000)), 1_000_000),
    'zstd bomb',
  );
  throwsFormatError(() => decompress('gzip', zlib.deflateSync(Buffer.alloc(20_000_000)), 8192), 'gzip bomb');
  // A frame header declaring a 2 GiB window: refused before fzstd allocates it.
  const huge = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => decompress('zstd', huge, 8192), /window of 2147483648 bytes exceeds/);
  const small = mixed(100_000, 8);
  const z = tool('zstd', ['-q', '-c'], small);
  const g = zlib.deflateSync(small);
  for (const cut of [0, 3, 10, 100, z.length >> 1, z.length - 5]) {
    throwsFormatError(() => decompress('zstd', z.subarray(0, cut), 10_000_000), `zstd cut at ${cut}`);
    throwsFormatError(() => decompress('gzip', g.subarray(0, cut), 10_000_000), `gzip cut at ${cut}`);
  }
  const rnd = prng(5);
  for (let i = 0; i < 200; i++) {
    for (const [c, src] of [
      ['zstd', z],
      ['gzip', g],
    ] as const) {
      const bad = Buffer.from(src);
      const at = (rnd() * bad.length) | 0;
      bad[at] = bad[at]! ^ (1 << ((rnd() * 8) | 0));
      boundedOrFormatError(c, bad, 3_000_000, `${c} flip ${i}`);
    }
  }
  throwsFormatError(() => decompress('zstd', randomBytes(1000, 4), 8192), 'zstd garbage');
  throwsFormatError(() => decompress('gzip', randomBytes(1000, 4), 8192), 'gzip garbage');
});

/**
 * The data blocks mksquashfs wrote for one known file, located through its (uncompressed, -noI) inode:
 * test vectors for every compressor, including lz4 and lzo whose command-line tools may be missing.
 */
function squashfsBlocks(
  comp: string,
  extra: string[],
  content: Buffer,
): { blocks: [Buffer, number][]; blockSize: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-blocks-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src/payload'), content);
  const image = path.join(dir, 'img.sqfs');
  const r = spawnSync('mksquashfs', [
    path.join(dir, 'src'),
    image,
    '-comp',
    comp,
    ...extra,
    '-b',
    '64K',
    '-noI',
    '-no-fragments',
    '-noappend',
    '-quiet',
    '-no-progress',
  ]);
  assert.equal(r.status, 0, r.stderr?.toString());
  const img = fs.readFileSync(image);
  fs.rmSync(dir, { recursive: true, force: true });
  const blockSize = img.readUInt32LE(12);
  let at = Number(img.readBigUInt64LE(64)) + 2; // inode table start, past the (stored) metadata block header
  const type = img.readUInt16LE(at);
  let start: number;
  let size: number;
  if (type === 2) {
    start = img.readUInt32LE(at + 16);
    size = img.readUInt32LE(at + 28);
    at += 32;
  } else {
    assert.equal(type, 9, 'a regular file inode');
    start = Number(img.readBigUInt64LE(at + 16));
    size = Number(img.readBigUInt64LE(at + 24));
    at += 56;
  }
  assert.equal(size, content.length);
  const blocks: [Buffer, number][] = [];
  let pos = start;
  for (let i = 0; i * blockSize < size; i++) {
    const word = img.readUInt32LE(at + i * 4);
    const len = word & 0xffffff;
    // Bit 24 set: stored uncompressed; size 0: a sparse (all-zero) block.
    if (len !== 0 && !(word & 0x1000000)) blocks.push([img.subarray(pos, pos + len), i]);
    pos += len;
  }
  return { blocks, blockSize };
}

test('squashfs data blocks of every compressor and option decode to the file mksquashfs read', () => {
  const content = mixed(1_500_000, 11);
  const variants: [Compressor, string[]][] = [
    ['gzip', []],
    ['lzo', []],
    ['lzo', ['-Xalgorithm', 'lzo1x_1']],
    ['lzo', ['-Xalgorithm', 'lzo1x_1_15']],
    ['lzo', ['-Xalgorithm', 'lzo1x_999', '-Xcompression-level', '9']],
    ['lz4', []],
    ['lz4', ['-Xhc']],
    ['xz', []],
    ['xz', ['-Xdict-size', '8K']],
    ['zstd', []],
    ['zstd', ['-Xcompression-level', '19']],
    ['lzma', []],
  ];
  for (const [comp, extra] of variants) {
    const { blocks, blockSize } = squashfsBlocks(comp, extra, content);
    assert.ok(blocks.length >= 10, `${comp} ${extra.join(' ')}: ${blocks.length} compressed blocks`);
    for (const [raw, i] of blocks) {
      const want = content.subarray(i * blockSize, (i + 1) * blockSize);
      assert.ok(decompress(comp, raw, blockSize).equals(want), `${comp} ${extra.join(' ')} block ${i}`);
      // A smaller limit than the block's size is refused, not silently cut.
      throwsFormatError(() => decompress(comp, raw, want.length - 1), `${comp} block ${i} over its limit`);
    }
    const rnd = prng(comp.length);
    const [raw] = blocks[0]!;
    for (let i = 0; i < 100; i++) {
      const bad = Buffer.from(raw);
      bad[(rnd() * bad.length) | 0] = (rnd() * 256) | 0;
      boundedOrFormatError(comp, bad, blockSize, `${comp} corrupt ${i}`);
      boundedOrFormatError(comp, raw.subarray(0, (rnd() * raw.length) | 0), blockSize, `${comp} cut ${i}`);
    }
    if (comp !== 'lz4' && comp !== 'lzma') {
      // These end with a marker or a check, so a cut block cannot pass for a whole one. (lz4 blocks have no end
      // marker, and squashfs's lzma blocks carry their size, which squashfs-tools trusts over the end marker.)
      throwsFormatError(
        () => decompress(comp, raw.subarray(0, raw.length - 1), blockSize),
        `${comp} cut by one byte`,
      );
    }
  }
});

test('lz4 and lzo: long matches stop at the output limit, offsets before the start and garbage throw', () => {
  // lz4: one literal "a", then a match of 4 + 15 + 255*400 bytes at offset 1.
  const lz4 = Buffer.concat([
    Buffer.from([0x1f, 0x61, 0x01, 0x00]),
    Buffer.alloc(400, 255),
    Buffer.from([0, 0x00]),
  ]);
  throwsFormatError(() => decompress('lz4', lz4, 8192), 'lz4 bomb');
  assert.equal(decompress('lz4', lz4, 200_000).length, 1 + 4 + 15 + 255 * 400);
  throwsFormatError(
    () => decompress('lz4', Buffer.from([0x10, 0x61, 0x05, 0x00, 0x00]), 8192),
    'lz4 offset before start',
  );
  // lzo: literal "a" (first byte 18), a 001LLLLL match with a zero-extended length, distance 1, then end.
  const lzo = Buffer.concat([
    Buffer.from([18, 0x61, 0x20]),
    Buffer.alloc(300),
    Buffer.from([0x10, 0x00, 0x00, 0x11, 0x00, 0x00]),
  ]);
  throwsFormatError(() => decompress('lzo', lzo, 8192), 'lzo bomb');
  assert.equal(decompress('lzo', lzo, 100_000).length, 1 + 2 + 31 + 255 * 300 + 16);
  throwsFormatError(
    () => decompress('lzo', Buffer.from([18, 0x61, 0x40, 0x05, 0x11, 0, 0]), 8192),
    'lzo distance before start',
  );
  throwsFormatError(
    () => decompress('lzo', Buffer.from([18, 0x61, 0x11, 0, 0, 0x99]), 8192),
    'lzo bytes after the end',
  );
  for (let s = 0; s < 300; s++) {
    for (const c of ['lz4', 'lzo'] as const)
      boundedOrFormatError(c, randomBytes(1 + s * 7, s), 8192, `${c} garbage ${s}`);
  }
});
