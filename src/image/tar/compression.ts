// Tells a tar's compression from its first bytes (never its name) and decompresses it as a bounded stream.
import * as fs from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { XzStreamDecoder } from '../decompress/xz-stream.js';
import { ImageFormatError } from '../image-entry.js';
import type { ByteInput } from './byte-source.js';
import { BLOCK, checksumMatches } from './tar-header.js';
import { ZstdFrameWalker } from './zstd-frames.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2' | 'lz4' | 'lzip';

/**
 * Decompressed bytes one image may expand to. Memory stays bounded whatever this is (everything streams); the bound
 * stops a small "bomb" from keeping the reader busy. Images with more than 64 GiB of layers are rare on HPC sites.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 ** 3;
/** Output of one xz decoder call: a chunk of a few KiB may expand ~7000:1 (decompress/xz-stream.ts). */
const XZ_PER_CALL = 1024 * 1024;

const MAGICS: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]], // RFC 1952
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]], // RFC 8878
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]], // xz-file-format.txt 2.1.1.1
  ['bzip2', [0x42, 0x5a, 0x68]], // "BZh"
  ['lz4', [0x04, 0x22, 0x4d, 0x18]], // lz4 frame format
  ['lzip', [0x4c, 0x5a, 0x49, 0x50]], // "LZIP"
];

/** By magic bytes; a block that is a valid tar header wins, so a member named "BZh..." is still a tar. */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= BLOCK && checksumMatches(head.subarray(0, BLOCK))) return 'none';
  for (const [kind, magic] of MAGICS) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) {
      if (kind === 'bzip2' && !(head[3]! >= 0x31 && head[3]! <= 0x39)) continue; // block size digit 1-9
      return kind;
    }
  }
  // zstd skippable frames (0x184D2A5?) may open a zstd stream (RFC 8878 3.1.2).
  if (head.length >= 4 && (head.readUInt32LE(0) & 0xfffffff0) === 0x184d2a50) return 'zstd';
  return 'none';
}

/** Decompressed bytes counted across every stream of one image. */
export class ByteBudget {
  constructor(
    public remaining: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
    private readonly limit: number = remaining,
  ) {}
  take(n: number): void {
    this.remaining -= n;
    if (this.remaining < 0) {
      throw new ImageFormatError(`decompressed data exceeds ${this.limit} bytes (a decompression bomb?)`);
    }
  }
}

export interface DecompressOptions {
  /** Shared across the streams of one image; a fresh DEFAULT_MAX_DECOMPRESSED_BYTES budget when absent. */
  budget?: ByteBudget;
  /** Date.now() value after which decompression stops. */
  deadlineAt?: number;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** A decoder's own failure is a malformed image; an error of the input (I/O, a digest) passes as it is. */
function wrap(kind: string, e: unknown): unknown {
  if (e instanceof ImageFormatError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return e; // errno: ENOENT, EIO
  return new ImageFormatError(`${kind}: ${e instanceof Error ? e.message : String(e)}`);
}

async function* gunzip(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const z = zlib.createGunzip();
  const src = Readable.from(input, { objectMode: false });
  pipeline(src, z, () => {}); // errors surface through the iteration of z below
  try {
    for await (const c of z) yield c as Buffer;
  } catch (e) {
    throw wrap('gzip', e);
  } finally {
    z.destroy();
    src.destroy();
  }
}

async function* unzstd(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const walker = new ZstdFrameWalker();
  const out: Buffer[] = [];
  const dec = new Decompress((data) => {
    if (data.length) out.push(asBuffer(data));
  });
  const push = (b: Uint8Array, final: boolean): void => {
    try {
      dec.push(b, final);
    } catch (e) {
      throw wrap('zstd', e);
    }
  };
  for await (const chunk of input) {
    for (const piece of walker.split(chunk)) {
      push(piece, false);
      while (out.length) yield out.shift()!;
    }
  }
  walker.finish();
  push(new Uint8Array(0), true);
  while (out.length) yield out.shift()!;
}

async function* unxz(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const dec = new XzStreamDecoder({ maxOutputPerCall: XZ_PER_CALL });
  const run = function* (chunk: Buffer | null): Generator<Buffer> {
    try {
      yield* dec.decode(chunk);
    } catch (e) {
      throw wrap('xz', e);
    }
  };
  for await (const chunk of input) yield* run(chunk);
  yield* run(null);
}

/** Reads enough of a stream to see its magic; the bytes read are replayed before the rest. */
async function peek(
  input: AsyncIterable<Buffer | Uint8Array | string>,
): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = input[Symbol.asyncIterator]();
  const got: Buffer[] = [];
  let n = 0;
  let ended = false;
  while (n < BLOCK) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b =
      typeof r.value === 'string'
        ? Buffer.from(r.value, 'latin1')
        : Buffer.isBuffer(r.value)
          ? r.value
          : asBuffer(r.value);
    got.push(b);
    n += b.length;
  }
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => {
      let i = 0;
      return {
        next: async () => {
          if (i < got.length) return { done: false, value: got[i++]! };
          if (ended) return { done: true, value: undefined };
          const r = await it.next();
          if (r.done) return { done: true, value: undefined };
          const v = r.value;
          return {
            done: false,
            value: typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.isBuffer(v) ? v : asBuffer(v),
          };
        },
        return: async () => {
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { head: Buffer.concat(got), rest };
}

/** The decompressed bytes of a (possibly) compressed tar stream, chosen by magic; plain tar passes through. */
export async function* decompress(input: ByteInput, opts: DecompressOptions = {}): AsyncGenerator<Buffer> {
  const { head, rest } = await peek(input as AsyncIterable<Buffer | Uint8Array | string>);
  const kind = detectCompression(head);
  if (kind === 'none') {
    yield* rest;
    return;
  }
  if (kind === 'bzip2' || kind === 'lz4' || kind === 'lzip') {
    await rest[Symbol.asyncIterator]().return?.();
    throw new ImageFormatError(`${kind}-compressed tar archives are not supported; decompress it first`);
  }
  const budget = opts.budget ?? new ByteBudget();
  const inner = kind === 'gzip' ? gunzip(rest) : kind === 'zstd' ? unzstd(rest) : unxz(rest);
  try {
    for await (const c of inner) {
      budget.take(c.length);
      if (opts.deadlineAt !== undefined && Date.now() > opts.deadlineAt) {
        throw new ImageFormatError(`${kind}: decompression took too long`);
      }
      yield c;
    }
  } finally {
    await inner.return(undefined);
  }
}

/** The first bytes of a file, as detectCompression wants them. */
export async function fileCompression(file: string): Promise<Compression> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(BLOCK);
    const { bytesRead } = await fh.read(head, 0, BLOCK, 0);
    return detectCompression(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** A tar file's uncompressed bytes, whatever of gzip, zstd or xz it was compressed with (bzip2, lz4, lzip refused). */
export async function openTarStream(
  file: string,
  opts: DecompressOptions = {},
): Promise<AsyncIterable<Buffer>> {
  const st = await fs.promises.stat(file);
  if (!st.isFile()) throw new ImageFormatError(`${file} is not a regular file`);
  return decompress(fs.createReadStream(file, { highWaterMark: 64 * 1024 }), opts);
}
