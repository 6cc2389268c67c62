// Rebuilds an image as a squashfs the way Shifter advises (doc/security.rst), unprivileged, without unpacking it to disk.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { InputError } from '../../errors.js';
import { detectFormat } from '../detect-format.js';
import { SanitizeTar, type SanitizeStats } from './rewrite-tar.js';

const which = (names: string[]) => names.find((p) => fs.existsSync(p)) ?? null;

/** fzstd's push decoder as a Transform stream (zstd-compressed tar archives). */
function zstdStream(): Transform {
  const out: Buffer[] = [];
  const d = new ZstdDecompress((chunk) => out.push(Buffer.from(chunk)));
  const drain = (t: Transform) => {
    for (const b of out.splice(0)) t.push(b);
  };
  return new Transform({
    transform(c: Buffer, _e, cb) {
      try {
        d.push(c);
        drain(this);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      try {
        d.push(new Uint8Array(0), true);
        drain(this);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

export interface Producer {
  stream: NodeJS.ReadableStream;
  child?: ChildProcess;
  cleanup: () => void;
}

/**
 * A tar stream of the input's file system: sqfs2tar for squashfs, the archive itself for tar, tar(1) for a
 * directory. With onBytes, each chunk's size is reported as the stream is read (a progress line).
 */
export function produceTar(input: string, onBytes?: (n: number) => void): Producer {
  const p = tarOf(input);
  if (!onBytes) return p;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
  p.stream.on('error', (e: Error) => counter.destroy(e));
  return { ...p, stream: p.stream.pipe(counter) };
}

function tarOf(input: string): Producer {
  const { format } = detectFormat(input);
  const spawnOut = (cmd: string, args: string[]): Producer => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return { stream: child.stdout!, child, cleanup: () => child.kill('SIGKILL') };
  };
  switch (format) {
    case 'squashfs': {
      const sqfs2tar = which(['/usr/bin/sqfs2tar', '/usr/local/bin/sqfs2tar']);
      if (!sqfs2tar)
        throw new InputError('image sanitize needs sqfs2tar (squashfs-tools-ng) to read a squashfs image');
      return spawnOut(sqfs2tar, ['--no-xattr', input]);
    }
    case 'directory':
      return spawnOut('tar', ['-C', input, '--numeric-owner', '-cf', '-', '.']);
    case 'tar':
      return { stream: fs.createReadStream(input), cleanup: () => {} };
    case 'gzip':
      return { stream: fs.createReadStream(input).pipe(createGunzip()), cleanup: () => {} };
    case 'zstd':
      return { stream: fs.createReadStream(input).pipe(zstdStream()), cleanup: () => {} };
    case 'xz':
      return spawnOut('xz', ['-dc', '--', input]);
    default:
      throw new InputError(
        `image sanitize reads squashfs, tar (plain, gzip, xz, zstd) and directories; ${input} is ${format}${format === 'sif' ? ' (extract its partition with "singularity sif dump" first)' : ''}`,
      );
  }
}

export interface SanitizeResult {
  stats: SanitizeStats;
  notes: string[];
}

/** Writes OUT.tmp with tar2sqfs from the sanitized stream; the caller audits it before keeping it. */
export async function buildSanitizedSquashfs(
  input: string,
  outTmp: string,
  owner: { uid: number; gid: number },
  onBytes?: (n: number) => void,
): Promise<SanitizeResult> {
  const tar2sqfs = which(['/usr/bin/tar2sqfs', '/usr/local/bin/tar2sqfs']);
  if (!tar2sqfs) throw new InputError('image sanitize needs tar2sqfs (package squashfs-tools-ng)');
  fs.mkdirSync(path.dirname(path.resolve(outTmp)), { recursive: true });
  const producer = produceTar(input, onBytes);
  const rewriter = new SanitizeTar(owner);
  const sink = spawn(
    tar2sqfs,
    ['--quiet', '--no-xattr', '--force', '--defaults', `uid=${owner.uid},gid=${owner.gid},mode=0755`, outTmp],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let sinkErr = '';
  sink.stderr!.on('data', (b: Buffer) => (sinkErr = (sinkErr + b.toString()).slice(-2000)));
  const sinkDone = new Promise<number | null>((resolve) => sink.on('close', resolve));
  let producerErr = '';
  producer.child?.stderr?.on(
    'data',
    (b: Buffer) => (producerErr = (producerErr + b.toString()).slice(-2000)),
  );
  try {
    await pipeline(producer.stream, rewriter, sink.stdin!);
  } catch (e) {
    producer.cleanup();
    sink.kill('SIGKILL');
    await sinkDone;
    throw new InputError(
      `image sanitize: ${(e as Error).message.split('\n')[0]}${producerErr ? ` (${producerErr.trim().split('\n')[0]})` : ''}`,
    );
  }
  const code = await sinkDone;
  if (producer.child && producer.child.exitCode !== null && producer.child.exitCode !== 0)
    throw new InputError(
      `image sanitize: reading ${input} failed: ${producerErr.trim().split('\n')[0] ?? ''}`,
    );
  if (code !== 0)
    throw new InputError(
      `image sanitize: tar2sqfs failed: ${sinkErr.trim().split('\n').pop() ?? `exit ${code}`}`,
    );
  return { stats: rewriter.stats, notes: rewriter.notes };
}
