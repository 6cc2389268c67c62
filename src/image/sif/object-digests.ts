// Hashes SIF objects in one sequential read of the open file: each chunk read once, fed to every hash that covers it.
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { ImageFormatError } from '../image-entry.js';

export interface DigestRequest {
  id: number;
  offset: number;
  size: number;
  /** Node hash names (sha256, sha384, ...). */
  algs: Set<string>;
}

/** Object ID -> hash name -> lower-case hex. */
export type ObjectDigests = Map<number, Map<string, string>>;

const CHUNK = 4 * 1024 * 1024;

interface Running {
  req: DigestRequest;
  end: number;
  hashes: Map<string, Hash>;
}

export interface DigestOptions {
  /** Date.now() past which reading stops with an ImageFormatError. */
  deadline?: number;
  /** Also hash the whole file (from byte 0 to its size) in the same pass: the gate's content digest. */
  wholeFile?: { hash: Hash; size: number };
}

/**
 * Reads the byte ranges the requests name (or the whole file, with `wholeFile`) in ascending order, in 4 MiB chunks,
 * and returns each object's digests. Objects may overlap or repeat: every hash sees exactly its own bytes.
 */
export function digestObjects(
  fd: number,
  requests: DigestRequest[],
  opts: DigestOptions = {},
): ObjectDigests {
  const pending = requests
    .filter((r) => r.algs.size > 0)
    .map((req) => ({
      req,
      end: req.offset + req.size,
      hashes: new Map([...req.algs].map((a) => [a, createHash(a)])),
    }))
    .sort((a, b) => a.req.offset - b.req.offset);
  // The ranges to read: merged object ranges, or the whole file.
  const ranges: [number, number][] = [];
  if (opts.wholeFile) ranges.push([0, opts.wholeFile.size]);
  else
    for (const p of pending) {
      const last = ranges[ranges.length - 1];
      if (last && p.req.offset <= last[1]) last[1] = Math.max(last[1], p.end);
      else ranges.push([p.req.offset, p.end]);
    }
  const buf = Buffer.allocUnsafe(CHUNK);
  const active: Running[] = [];
  let next = 0;
  for (const [start, end] of ranges) {
    for (let pos = start; pos < end;) {
      if (opts.deadline !== undefined && Date.now() > opts.deadline)
        throw new ImageFormatError('SIF: hashing the signed objects took longer than the time allowed');
      const want = Math.min(CHUNK, end - pos);
      const n = fs.readSync(fd, buf, 0, want, pos);
      if (n === 0) throw new ImageFormatError(`SIF: the file ends at byte ${pos}, inside a signed object`);
      const chunk = buf.subarray(0, n);
      const chunkEnd = pos + n;
      opts.wholeFile?.hash.update(chunk);
      while (next < pending.length && pending[next]!.req.offset < chunkEnd) active.push(pending[next++]!);
      for (const r of active) {
        const from = Math.max(r.req.offset, pos);
        const to = Math.min(r.end, chunkEnd);
        if (to > from) for (const h of r.hashes.values()) h.update(chunk.subarray(from - pos, to - pos));
      }
      for (let i = active.length - 1; i >= 0; i--) if (active[i]!.end <= chunkEnd) active.splice(i, 1);
      pos = chunkEnd;
    }
  }
  const out: ObjectDigests = new Map();
  for (const p of pending) {
    const m = out.get(p.req.id) ?? new Map<string, string>();
    for (const [a, h] of p.hashes) m.set(a, h.digest('hex'));
    out.set(p.req.id, m);
  }
  return out;
}
