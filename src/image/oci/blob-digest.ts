// Content digests of OCI blobs: parsed strictly (they become file names) and verified while the bytes stream past.
import { createHash, type Hash } from 'node:crypto';
import { ImageFormatError } from '../image-entry.js';

export interface Digest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/** image-spec descriptor.md "Digests": the registered algorithms sha256 (64 hex) and sha512 (128 hex), lower case. */
export function parseDigest(value: unknown, what: string): Digest {
  const m = typeof value === 'string' ? /^(sha256|sha512):([a-f0-9]+)$/.exec(value) : null;
  if (!m || m[2]!.length !== (m[1] === 'sha256' ? 64 : 128)) {
    throw new ImageFormatError(
      `${what}: digest ${JSON.stringify(value)?.slice(0, 100)} is not a valid sha256/sha512 digest`,
    );
  }
  return { algorithm: m[1] as Digest['algorithm'], hex: m[2]! };
}

export const digestString = (d: Digest): string => `${d.algorithm}:${d.hex}`;

export function checkBytes(data: Buffer, d: Digest, what: string): void {
  const got = createHash(d.algorithm).update(data).digest('hex');
  if (got !== d.hex)
    throw new ImageFormatError(`${what}: content is ${d.algorithm}:${got}, not ${digestString(d)}`);
}

/**
 * Passes a stream through while hashing it. Its iterator's return() leaves the source open, so that finish() can
 * read what a consumer left (the tar end-of-archive is not the end of the blob) and compare the digest.
 */
export class DigestingStream implements AsyncIterable<Buffer> {
  private readonly hash: Hash | null;
  private readonly it: AsyncIterator<Buffer>;
  private chain: Promise<unknown> = Promise.resolve();
  private done = false;
  bytes = 0;

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly digest: Digest | undefined,
    private readonly what: string,
    private readonly expectedSize?: number,
  ) {
    this.hash = digest ? createHash(digest.algorithm) : null;
    this.it = source[Symbol.asyncIterator]();
  }

  private pull(): Promise<IteratorResult<Buffer>> {
    // Serialised: a consumer's pending next() completes (and is hashed) before finish() reads on.
    const p = this.chain.then(async (): Promise<IteratorResult<Buffer>> => {
      if (this.done) return { done: true, value: undefined };
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return r;
      }
      this.hash?.update(r.value);
      this.bytes += r.value.length;
      if (this.expectedSize !== undefined && this.bytes > this.expectedSize) {
        throw new ImageFormatError(`${this.what}: longer than its descriptor's size ${this.expectedSize}`);
      }
      return r;
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return {
      next: () => this.pull(),
      return: async () => ({ done: true, value: undefined }),
    };
  }

  /** Reads the rest and throws an ImageFormatError when the digest (or the declared size) does not match. */
  async finish(): Promise<void> {
    while (!(await this.pull()).done);
    if (this.expectedSize !== undefined && this.bytes !== this.expectedSize) {
      throw new ImageFormatError(
        `${this.what}: ${this.bytes} bytes, its descriptor says ${this.expectedSize}`,
      );
    }
    if (this.hash && this.digest) {
      const got = this.hash.digest('hex');
      if (got !== this.digest.hex) {
        throw new ImageFormatError(
          `${this.what}: content is ${this.digest.algorithm}:${got}, not ${digestString(this.digest)}`,
        );
      }
    }
  }

  /** Releases the source without verifying (on an earlier error). */
  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.it.return?.(undefined);
    }
  }
}
