// Where `ctrsafe run` keeps unpacked images (the caller's own cache, never shared between users), what is in it,
// and how it is trimmed: least recently used first, never an entry another task is unpacking.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors.js';

/** The cap `run` keeps its cache under unless told otherwise (config run.cache-max-size, --cache-max-size). */
export const DEFAULT_CACHE_MAX_SIZE = '20G';

export function defaultRootfsCache(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ctrsafe', 'rootfs');
}

export interface CacheEntry {
  /** The sha256 of the image bytes the tree was unpacked from (its directory's name). */
  digest: string;
  bytes: number;
  files: number;
  /** When a run last used it (the directory's mtime, touched on every use). */
  lastUsed: Date;
  /** Another task holds its lock: it is being unpacked now. */
  busy: boolean;
}

const DIGEST_DIR = /^[0-9a-f]{64}$/;
/** Bounds on one walk: a cache is the caller's own, but a tree of millions of files must not stall a listing. */
const MAX_FILES_COUNTED = 5_000_000;

/** Disk use of a tree (allocated blocks, as du counts them), without following links. */
function treeUsage(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const stack = [dir];
  while (stack.length > 0 && files < MAX_FILES_COUNTED) {
    const d = stack.pop()!;
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      continue; // a directory the caller cannot read (mode 000 in the image) counts as empty
    }
    for (const n of names) {
      const p = path.join(d, n);
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      files++;
      bytes += st.blocks * 512;
      if (st.isDirectory()) stack.push(p);
    }
  }
  return { bytes, files };
}

/** The unpacked images in the cache, most recently used first; an absent cache is an empty one. */
export function listRootfsCache(cacheDir: string): CacheEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(cacheDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: CacheEntry[] = [];
  for (const n of names) {
    if (!DIGEST_DIR.test(n)) continue;
    const st = fs.lstatSync(path.join(cacheDir, n), { throwIfNoEntry: false });
    if (!st?.isDirectory()) continue;
    out.push({
      digest: `sha256:${n}`,
      ...treeUsage(path.join(cacheDir, n)),
      lastUsed: st.mtime,
      busy: fs.existsSync(path.join(cacheDir, `${n}.lock`)),
    });
  }
  return out.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
}

/** Marks an entry used now, so trimming keeps what runs use. */
export function touchCacheEntry(dir: string): void {
  const now = new Date();
  fs.utimesSync(dir, now, now);
}

/**
 * Removes a tree the caller owns, images' read-only directories included (their mode is lifted first, never through
 * a link: lstat, and chmod only on what is a directory).
 */
export function removeTree(dir: string): void {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) {
    if ((st.mode & 0o700) !== 0o700) fs.chmodSync(dir, st.mode | 0o700);
    for (const n of fs.readdirSync(dir)) removeTree(path.join(dir, n));
    fs.rmdirSync(dir);
  } else fs.unlinkSync(dir);
}

/**
 * Trims the cache to at most maxBytes, least recently used first; busy entries and those named in keep stay.
 * Returns what was removed.
 */
export function trimRootfsCache(
  cacheDir: string,
  maxBytes: number,
  keep: readonly string[] = [],
): CacheEntry[] {
  const entries = listRootfsCache(cacheDir);
  let total = entries.reduce((n, e) => n + e.bytes, 0);
  const removed: CacheEntry[] = [];
  for (const e of [...entries].reverse()) {
    if (total <= maxBytes) break;
    if (e.busy || keep.includes(e.digest)) continue;
    removeTree(path.join(cacheDir, e.digest.replace(/^sha256:/, '')));
    total -= e.bytes;
    removed.push(e);
  }
  return removed;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "20G", "512M", "0": sizes as du and df print them (powers of 1024). */
export function parseByteSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${what}: "${text}" is not a size (e.g. 20G, 512M, 0)`);
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
}

export function formatByteSize(n: number): string {
  for (const [u, f] of [
    ['T', 1024 ** 4],
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const)
    if (n >= f) return `${(n / f).toFixed(1)}${u}`;
  return `${n}B`;
}
