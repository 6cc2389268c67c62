// Writes a tar stream into DEST through ctrsafe's sanitizer and GNU tar, as the caller (owners become the caller).
import { spawn } from 'node:child_process';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError } from '../errors.js';
import { SanitizeTar, type SanitizeOptions } from '../image/sanitize/rewrite-tar.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from '../image/tar/compression.js';

export interface ExtractOptions {
  refuse?: SanitizeOptions['refuse'];
  /** Called when the stream fails, to stop its producer (a child process). */
  onError?: () => void;
  /** Tar bytes at most (a decompression bomb stops here, not when the disk is full). */
  maxBytes?: number;
}

/** Counts the tar stream's bytes and stops it past the limit. */
function byteCap(limit: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > limit) cb(new Error(`${what} is larger than ${limit} bytes unpacked`));
      else cb(null, chunk);
    },
  });
}

export async function extractSanitized(
  source: Readable | NodeJS.ReadableStream,
  dest: string,
  what: string,
  opts: ExtractOptions = {},
): Promise<void> {
  const { refuse, onError } = opts;
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  // Within one archive GNU tar does not write through a symlink it has just extracted (with GNU tar 1.34, a member
  // below an absolute symlink from earlier in the same archive fails with "Not a directory"); across layers,
  // unpack-layers refuses such members itself. --delay-directory-restore keeps read-only directories writable
  // until the archive ends.
  const sink = spawn('tar', ['-x', '-C', dest, '--no-same-owner', '--delay-directory-restore', '-f', '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let err = '';
  sink.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
  const done = new Promise<number | null>((r) => sink.on('close', r));
  try {
    await pipeline(
      source,
      byteCap(opts.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES, what),
      new SanitizeTar({ uid, gid, ...(refuse ? { refuse } : {}) }),
      sink.stdin!,
    );
  } catch (e) {
    onError?.();
    sink.kill('SIGKILL');
    await done;
    throw new InputError(`unpacking ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
  const code = await done;
  if (code !== 0)
    throw new InputError(`unpacking ${what}: tar failed: ${err.trim().split('\n').pop() ?? code}`);
}
