// `ctrsafe run cache list|clean`: what run's cache of unpacked images holds, and trimming it.
import type { CommandContext } from './spec.js';
import { checkCacheDir } from '../run/prepare-rootfs.js';
import {
  defaultRootfsCache,
  formatByteSize,
  listRootfsCache,
  parseByteSize,
  trimRootfsCache,
} from '../run/rootfs-cache.js';

export function runCacheListCommand({ io, opts }: CommandContext): number {
  const dir = opts.get('cache') ?? defaultRootfsCache(io.env);
  const entries = listRootfsCache(dir);
  if (opts.choice('format') === 'json') {
    io.stdout.write(
      JSON.stringify(
        {
          cache: dir,
          entries: entries.map((e) => ({
            digest: e.digest,
            bytes: e.bytes,
            files: e.files,
            last_used: e.lastUsed.toISOString(),
            busy: e.busy,
          })),
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  io.stdout.write(`${dir}: ${entries.length} image(s), ${formatByteSize(total)}\n`);
  if (entries.length === 0) return 0;
  io.stdout.write(`${'DIGEST'.padEnd(21)}${'SIZE'.padStart(9)}${'FILES'.padStart(10)}  LAST USED\n`);
  for (const e of entries)
    io.stdout.write(
      `${e.digest.slice(0, 19).padEnd(21)}${formatByteSize(e.bytes).padStart(9)}${String(e.files).padStart(10)}  ${e.lastUsed.toISOString().replace(/\.\d+Z$/, 'Z')}${e.busy ? '  (being unpacked)' : ''}\n`,
    );
  return 0;
}

export function runCacheCleanCommand({ io, opts }: CommandContext): number {
  const dir = opts.get('cache') ?? defaultRootfsCache(io.env);
  const max = parseByteSize(opts.get('max-size') ?? '0', '--max-size');
  if (listRootfsCache(dir).length === 0) {
    io.stdout.write(`${dir}: nothing to clean\n`);
    return 0;
  }
  // Only a cache that is the caller's alone is cleaned (as run only uses one): never remove through another's link.
  checkCacheDir(dir);
  const removed = trimRootfsCache(dir, max);
  const freed = removed.reduce((n, e) => n + e.bytes, 0);
  const left = listRootfsCache(dir);
  io.stdout.write(
    `${dir}: removed ${removed.length} image(s), ${formatByteSize(freed)} freed; ${left.length} left, ${formatByteSize(left.reduce((n, e) => n + e.bytes, 0))}\n`,
  );
  return 0;
}
