// The members of an outer tar (oci-archive, docker-save) as files: indexed in one pass, then read by offset.
import * as fs from 'node:fs';
import {
  DEFAULT_LIMITS,
  ImageFormatError,
  normalizeImagePath,
  type EntryType,
  type ReadLimits,
} from '../image-entry.js';
import { FileSource, StreamSource, type ByteSource } from '../tar/byte-source.js';
import { ByteBudget, decompress, fileCompression, type Compression } from '../tar/compression.js';
import { newReadBudget, readTarMembers } from '../tar/tar-reader.js';

const MAX_LINK_HOPS = 16;
/** Small members (JSON) of a compressed archive are kept from the indexing pass, up to this much in all. */
const CACHE_MEMBER = 1024 * 1024;
const CACHE_TOTAL = 16 * 1024 * 1024;
const HEX = '[a-f0-9]{64}(?:[a-f0-9]{64})?';

export interface ArchiveMember {
  path: string;
  type: EntryType;
  size: number;
  dataOffset: number;
  sparse: boolean;
  linkTarget?: string;
}

/**
 * Names an image archive holds: OCI image-layout (oci-layout, index.json, blobs/<alg>/<hex>), docker save
 * (manifest.json, repositories, <hex>.json, <hex>.tar, <hex>/{layer.tar,json,VERSION}; Docker >= 25 writes both).
 */
export function isImageArchiveName(p: string): boolean {
  if (p === '/') return true;
  return new RegExp(
    `^/(oci-layout|index\\.json|manifest\\.json|repositories|blobs|blobs/[a-z0-9]+|blobs/[a-z0-9]+/[a-f0-9]+` +
      `|${HEX}(\\.tar|\\.json|\\.tar\\.gz)?|${HEX}/(layer\\.tar|json|VERSION))/?$`,
  ).test(p);
}

export interface OpenArchiveOptions {
  limits?: ReadLimits;
  maxDecompressedBytes?: number;
  /** Stop indexing at the first name no image archive holds: the file is then a plain file system tar. */
  stopOnForeign?: boolean;
}

export class OuterArchive {
  private constructor(
    readonly file: string,
    readonly compression: Compression,
    /** False when indexing stopped at a name no image archive holds. */
    readonly imageLike: boolean,
    private readonly members: Map<string, ArchiveMember>,
    private readonly cache: Map<string, Buffer>,
    private readonly opts: OpenArchiveOptions,
  ) {}

  private static async source(
    file: string,
    compression: Compression,
    opts: OpenArchiveOptions,
  ): Promise<ByteSource> {
    if (compression === 'none') return FileSource.open(file);
    const budget = new ByteBudget(opts.maxDecompressedBytes);
    return new StreamSource(decompress(fs.createReadStream(file, { highWaterMark: 64 * 1024 }), { budget }));
  }

  static async open(file: string, opts: OpenArchiveOptions = {}): Promise<OuterArchive> {
    const compression = await fileCompression(file);
    const limits = opts.limits ?? DEFAULT_LIMITS;
    const src = await OuterArchive.source(file, compression, opts);
    const members = new Map<string, ArchiveMember>();
    const cache = new Map<string, Buffer>();
    let cached = 0;
    let imageLike = true;
    try {
      for await (const m of readTarMembers(src, { limits, budget: newReadBudget(limits) })) {
        const e = m.entry;
        if (!isImageArchiveName(e.path)) {
          imageLike = false;
          if (opts.stopOnForeign) break;
        }
        // A later member of the same name replaces an earlier one, as on extraction.
        members.set(e.path, {
          path: e.path,
          type: e.type,
          size: m.dataSize,
          dataOffset: m.dataOffset,
          sparse: m.sparse,
          ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
        });
        cache.delete(e.path);
        if (
          compression !== 'none' &&
          e.type === 'file' &&
          m.dataSize <= CACHE_MEMBER &&
          cached + m.dataSize <= CACHE_TOTAL
        ) {
          const parts: Buffer[] = [];
          for await (const c of m.body()) parts.push(Buffer.from(c));
          cache.set(e.path, Buffer.concat(parts));
          cached += m.dataSize;
        }
      }
    } finally {
      await src.close();
    }
    return new OuterArchive(file, compression, imageLike, members, cache, opts);
  }

  has(p: string): boolean {
    return this.members.has(normalizeImagePath(p));
  }

  /** The regular member a name leads to, through symbolic and hard links inside the archive (skopeo links layer.tar). */
  resolve(name: string, what: string): ArchiveMember {
    let p = normalizeImagePath(name);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const m = this.members.get(p);
      if (!m) throw new ImageFormatError(`${what}: ${name} is not in the archive`);
      if (m.type === 'file') {
        if (m.sparse) throw new ImageFormatError(`${what}: ${name} is stored as a sparse file`);
        return m;
      }
      if (m.type === 'symlink' && m.linkTarget !== undefined) {
        p = normalizeImagePath(m.linkTarget.startsWith('/') ? m.linkTarget : `${p}/../${m.linkTarget}`);
      } else if (m.type === 'hardlink' && m.linkTarget !== undefined) {
        p = normalizeImagePath(m.linkTarget);
      } else {
        throw new ImageFormatError(`${what}: ${name} is a ${m.type}, not a file`);
      }
    }
    throw new ImageFormatError(`${what}: ${name} is a chain of more than ${MAX_LINK_HOPS} links`);
  }

  /** A small member (JSON) whole; larger than max bytes is an error. */
  async readSmall(name: string, max: number, what: string): Promise<Buffer> {
    const m = this.resolve(name, what);
    if (m.size > max) throw new ImageFormatError(`${what}: ${name} is larger than ${max} bytes`);
    const hit = this.cache.get(m.path);
    if (hit) return hit;
    const parts: Buffer[] = [];
    for await (const c of this.open(name, what)) parts.push(Buffer.from(c));
    return Buffer.concat(parts);
  }

  /** A member's bytes: by offset from an uncompressed archive, or by decompressing up to it again. */
  async *open(name: string, what: string): AsyncGenerator<Buffer> {
    const m = this.resolve(name, what);
    if (m.size === 0) return;
    if (this.compression === 'none') {
      const src = await FileSource.open(this.file, m.dataOffset, m.size);
      try {
        yield* src.chunks(m.size);
      } finally {
        await src.close();
      }
      return;
    }
    const limits = this.opts.limits ?? DEFAULT_LIMITS;
    const src = await OuterArchive.source(this.file, this.compression, this.opts);
    try {
      for await (const t of readTarMembers(src, { limits, budget: newReadBudget(limits) })) {
        if (t.dataOffset === m.dataOffset && t.entry.path === m.path) {
          yield* t.body();
          return;
        }
        if (t.dataOffset > m.dataOffset) break;
      }
      throw new ImageFormatError(`${what}: ${name} was not found again in ${this.file}`);
    } finally {
      await src.close();
    }
  }
}
