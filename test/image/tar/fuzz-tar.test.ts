// Mutated tar, tar.gz, oci-archive and docker-save inputs: every read ends with entries or an ImageFormatError, soon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DEFAULT_LIMITS, ImageFormatError, type ReadLimits } from '../../../src/image/image-entry.js';
import { detectArchiveKind, readLayeredImage } from '../../../src/image/oci/layered-image.js';
import { ByteBudget, decompress } from '../../../src/image/tar/compression.js';
import { readTarFileEntries } from '../../../src/image/tar/read-tar-file.js';
import { readTarEntries } from '../../../src/image/tar/tar-reader.js';
import { prng } from '../../helpers/prng.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 32);
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 4000);
const TIME_BUDGET_MS = 20_000;
const PER_INPUT_MS = 10_000;
const LIMITS: ReadLimits = {
  ...DEFAULT_LIMITS,
  maxEntries: 10_000,
  maxMetadataBytes: 8 * 1024 * 1024,
  deadlineMs: 5_000,
};
const MAX_BYTES = 64 * 1024 * 1024;

// ---- valid inputs, written here byte by byte ----

function header(
  name: string,
  type: string,
  size: number,
  extra: { mode?: number; linkname?: string; uid?: number } = {},
): Buffer {
  const b = Buffer.alloc(512);
  const oct = (at: number, len: number, v: number): void =>
    void b.write(v.toString(8).padStart(len - 1, '0') + '\0', at, len, 'latin1');
  b.write(name, 0, 100);
  oct(100, 8, extra.mode ?? 0o644);
  oct(108, 8, extra.uid ?? 0);
  oct(116, 8, 0);
  oct(124, 12, size);
  oct(136, 12, 0);
  b.write(type, 156, 1, 'latin1');
  b.write(extra.linkname ?? '', 157, 100);
  b.write('ustar\x0000', 257, 8, 'latin1');
  fixChecksum(b, 0);
  return b;
}

function fixChecksum(b: Buffer, at: number): void {
  b.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + 512; i++) sum += b[i]!;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', at + 148, 8, 'latin1');
}

const padded = (body: Buffer): Buffer =>
  Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);

function paxData(records: [string, Buffer | string][]): Buffer {
  return Buffer.concat(
    records.map(([k, v]) => {
      const value = typeof v === 'string' ? Buffer.from(v) : v;
      const rest = Buffer.byteLength(k) + value.length + 3;
      let len = rest + 1;
      while (String(len).length + rest !== len) len++;
      return Buffer.concat([Buffer.from(`${len} ${k}=`), value, Buffer.from('\n')]);
    }),
  );
}

type Member = {
  name: string;
  type?: string;
  body?: Buffer;
  mode?: number;
  linkname?: string;
  pax?: [string, Buffer | string][];
};

function tar(members: Member[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    if (m.pax) {
      const d = paxData(m.pax);
      parts.push(header('PaxHeader', 'x', d.length), padded(d));
    }
    const body = m.body ?? Buffer.alloc(0);
    parts.push(header(m.name, m.type ?? '0', body.length, m), padded(body));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

const LAYER0 = tar([
  { name: 'bin/', type: '5', mode: 0o755 },
  { name: 'bin/su', body: Buffer.from('su'), mode: 0o4755 },
  {
    name: 'bin/cap',
    body: Buffer.from('cap'),
    pax: [
      ['SCHILY.xattr.security.capability', Buffer.from('0100000280000000000000000000000000000000', 'hex')],
    ],
  },
  { name: 'etc/', type: '5' },
  { name: 'etc/dir/', type: '5' },
  { name: 'etc/dir/f', body: Buffer.from('f') },
  { name: 'lib/l', type: '2', linkname: '../../etc/shadow' },
  { name: 'lib/h', type: '1', linkname: 'bin/su' },
  { name: 'dev/null', type: '3' },
  {
    name: 'x'.repeat(90),
    pax: [
      ['path', 'long/'.repeat(30) + 'name'],
      ['uid', '123456789'],
    ],
  },
]);
const LAYER1 = tar([
  { name: 'bin/.wh.su' },
  { name: 'etc/dir/.wh..wh..opq' },
  { name: 'etc/dir/g', body: Buffer.from('g'), mode: 0o2755 },
  { name: 'dev/null', type: '3', body: Buffer.alloc(0) },
  { name: 'new', body: Buffer.alloc(3000, 7) },
]);

function ociArchive(layers: Buffer[], mutateIndex?: (s: string) => string): Buffer {
  const blobs: Member[] = [];
  const blob = (
    data: Buffer | string,
    mediaType: string,
  ): { mediaType: string; digest: string; size: number } => {
    const hex = sha(data);
    blobs.push({ name: `blobs/sha256/${hex}`, body: Buffer.from(data) });
    return { mediaType, digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
  };
  const stored = layers.map((l, i) => (i % 2 === 0 ? zlib.gzipSync(l) : l));
  const layerDescs = stored.map((s, i) =>
    blob(s, `application/vnd.oci.image.layer.v1.tar${i % 2 === 0 ? '+gzip' : ''}`),
  );
  const config = blob(
    JSON.stringify({ rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${sha(l)}`) } }),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = blob(
    JSON.stringify({ schemaVersion: 2, config, layers: layerDescs }),
    'application/vnd.oci.image.manifest.v1+json',
  );
  let index = JSON.stringify({
    schemaVersion: 2,
    manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'x' } }],
  });
  if (mutateIndex) index = mutateIndex(index);
  return tar([
    { name: 'oci-layout', body: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', body: Buffer.from(index) },
    { name: 'blobs/', type: '5' },
    ...blobs,
  ]);
}

function dockerSave(layers: Buffer[]): Buffer {
  const config = JSON.stringify({
    rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${sha(l)}`) },
  });
  const names = layers.map((l) => `${sha(l)}/layer.tar`);
  return tar([
    ...layers.map((l, i) => ({ name: names[i]!, body: l })),
    { name: `${sha(config)}.json`, body: Buffer.from(config) },
    {
      name: 'manifest.json',
      body: Buffer.from(
        JSON.stringify([{ Config: `${sha(config)}.json`, RepoTags: ['x:y'], Layers: names }]),
      ),
    },
  ]);
}

// ---- mutations ----

/** 512-aligned offsets that hold a valid header in the unmutated input. */
function headerOffsets(b: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 512 <= b.length; at += 512) {
    const stored = parseInt(b.toString('latin1', at + 148, at + 155), 8);
    let sum = 0;
    for (let i = at; i < at + 512; i++) sum += i >= at + 148 && i < at + 156 ? 0x20 : b[i]!;
    if (sum > 256 && stored === sum) out.push(at);
  }
  return out;
}

const FIELDS: [number, number][] = [
  [0, 100],
  [100, 8],
  [108, 8],
  [124, 12],
  [156, 1],
  [157, 100],
  [257, 8],
  [329, 8],
  [345, 155],
];
const NASTY = [
  '77777777777',
  '0',
  '',
  '../../../../x',
  '/abs',
  'x',
  '\xff\xff\xff\xff\xff\xff\xff\xff',
  '\x80\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00',
  'L',
  'K',
  'x',
  'g',
  'S',
  '1',
  '2',
  '5',
  '3',
  'ustar  \0',
  '-1',
  '99999999999',
];

function mutate(input: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(input);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const n = 1 + pick(3);
  let out = b;
  for (let k = 0; k < n; k++) {
    const heads = headerOffsets(out);
    switch (pick(8)) {
      case 0:
        out[pick(out.length)] = pick(256);
        break;
      case 1:
        out[pick(out.length)]! ^= 1 << pick(8);
        break;
      case 2:
        out = out.subarray(0, pick(out.length));
        break;
      case 3: {
        const at = pick(out.length + 1);
        out = Buffer.concat([
          out.subarray(0, at),
          Buffer.from(Array.from({ length: 1 + pick(40) }, () => pick(256))),
          out.subarray(at),
        ]);
        break;
      }
      case 4: {
        const at = pick(out.length);
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + pick(600))]);
        break;
      }
      case 5: {
        const blocks = Math.floor(out.length / 512);
        const from = pick(blocks) * 512;
        const to = pick(blocks + 1) * 512;
        out = Buffer.concat([
          out.subarray(0, to),
          out.subarray(from, from + 512 * (1 + pick(3))),
          out.subarray(to),
        ]);
        break;
      }
      default: {
        // A header field set to something hostile, the checksum fixed so the parser goes on.
        if (heads.length === 0) break;
        const at = heads[pick(heads.length)]!;
        const [off, len] = FIELDS[pick(FIELDS.length)]!;
        const v =
          rnd() < 0.7
            ? Buffer.from(NASTY[pick(NASTY.length)]!, 'latin1')
            : Buffer.from(Array.from({ length: len }, () => pick(256)));
        out.fill(0, at + off, at + off + len);
        v.copy(out, at + off, 0, Math.min(len, v.length));
        fixChecksum(out, at);
      }
    }
  }
  return out;
}

async function* chunks(b: Buffer, rnd: () => number): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length;) {
    const n = 1 + Math.floor(rnd() * 2048);
    yield b.subarray(i, i + n);
    i += n;
  }
}

async function drain(it: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of it) n++;
  return n;
}

test(
  'fuzz: mutated archives end with entries or an ImageFormatError, never another exception, a hang or a runaway',
  { timeout: 120_000 },
  async (t) => {
    t.diagnostic(`seed ${SEED} (FUZZ_SEED=${SEED} reproduces)`);
    const rnd = prng(SEED);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-fuzz-'));
    const file = path.join(dir, 'input');
    const corpus: { kind: string; make: () => Buffer }[] = [
      { kind: 'tar', make: () => mutate(LAYER0, rnd) },
      { kind: 'tar', make: () => mutate(LAYER1, rnd) },
      {
        kind: 'tar.gz',
        make: () => (rnd() < 0.5 ? mutate(zlib.gzipSync(LAYER0), rnd) : zlib.gzipSync(mutate(LAYER0, rnd))),
      },
      { kind: 'oci-archive', make: () => mutate(ociArchive([LAYER0, LAYER1]), rnd) },
      {
        kind: 'oci-archive/layer',
        make: () => ociArchive([mutate(LAYER0, rnd), rnd() < 0.5 ? LAYER1 : mutate(LAYER1, rnd)]),
      },
      {
        kind: 'oci-archive/index',
        make: () =>
          ociArchive([LAYER0, LAYER1], (s) => {
            const i = Math.floor(rnd() * s.length);
            return s.slice(0, i) + String.fromCharCode(32 + Math.floor(rnd() * 95)) + s.slice(i + 1);
          }),
      },
      { kind: 'docker-save', make: () => mutate(dockerSave([LAYER0, LAYER1]), rnd) },
      { kind: 'docker-save/layer', make: () => dockerSave([LAYER0, mutate(LAYER1, rnd)]) },
    ];
    // The unmutated inputs read cleanly: the harness itself is sound.
    assert.equal(await drain(readTarEntries(chunks(LAYER0, rnd))), 10);
    fs.writeFileSync(file, ociArchive([LAYER0, LAYER1]));
    assert.equal(await detectArchiveKind(file), 'oci-archive');
    const clean = await drain(readLayeredImage(file));
    fs.writeFileSync(file, dockerSave([LAYER0, LAYER1]));
    assert.equal(await drain(readLayeredImage(file)), clean);

    const started = Date.now();
    const outcomes: Record<string, number> = {};
    let i = 0;
    let peak = 0;
    for (; i < ITERATIONS && Date.now() - started < TIME_BUDGET_MS; i++) {
      const c = corpus[i % corpus.length]!;
      const input = c.make();
      const where = `seed ${SEED} iteration ${i} (${c.kind}, ${input.length} bytes)`;
      const work = async (): Promise<string> => {
        if (c.kind === 'tar' && rnd() < 0.3) {
          fs.writeFileSync(file, input); // by seeking (FileSource), as plain tar files are listed
          return `entries:${await drain(readTarFileEntries(file, { limits: LIMITS }))}`;
        }
        if (c.kind === 'tar')
          return `entries:${await drain(readTarEntries(chunks(input, rnd), { limits: LIMITS }))}`;
        if (c.kind === 'tar.gz') {
          const budget = new ByteBudget(MAX_BYTES);
          return `entries:${await drain(readTarEntries(decompress(chunks(input, rnd), { budget }), { limits: LIMITS }))}`;
        }
        fs.writeFileSync(file, input);
        const kind = await detectArchiveKind(file, { limits: LIMITS });
        return `${kind}:${await drain(readLayeredImage(file, { limits: LIMITS, maxDecompressedBytes: MAX_BYTES, onShadowed: () => undefined }))}`;
      };
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        work().then(
          (r) => r.replace(/\d+$/, 'n'),
          (e: unknown) => {
            if (e instanceof ImageFormatError) return 'ImageFormatError';
            assert.fail(`${where}: threw ${e instanceof Error ? e.stack : String(e)}`);
          },
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${where}: no answer within ${PER_INPUT_MS} ms`)),
            PER_INPUT_MS,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      const key = `${c.kind} ${outcome}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (i % 100 === 0) {
        const heap = process.memoryUsage().heapUsed;
        peak = Math.max(peak, heap);
        assert.ok(heap < 768 * 1024 * 1024, `${where}: heap at ${heap} bytes`);
      }
    }
    t.diagnostic(`${i} iterations in ${Date.now() - started} ms, peak heap ${Math.round(peak / 1e6)} MB`);
    t.diagnostic(JSON.stringify(outcomes));
    assert.ok(i >= Math.min(ITERATIONS, 500), `only ${i} iterations in ${TIME_BUDGET_MS} ms`);
    assert.ok(
      Object.keys(outcomes).some((k) => k.endsWith('ImageFormatError')),
      'some inputs were refused',
    );
    assert.ok(
      Object.keys(outcomes).some((k) => /:n$/.test(k)),
      'some mutated inputs still read',
    );
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
