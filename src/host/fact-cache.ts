// Facts derived from files that stay the same while the file does (the dpkg database, a package's changelog), kept
// between checks and keyed by the file's identity, so that a check reads one stat instead of parsing megabytes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { SafeDir } from './safe-write.js';

/**
 * Bumped whenever what is cached is derived differently (the parsers, the packages read): a cache of another
 * format or ctrsafe version is dropped whole, never read.
 */
const FORMAT = 1;
const FILE = 'facts.json';
const MAX_BYTES = 4 * 1024 * 1024;
const MAX_ENTRIES = 4096;

interface Entry {
  key: string;
  value: unknown;
}

/**
 * Where it lives, as the code cache does (scripts/code-cache.cjs): root's in /var/cache/ctrsafe, the directory the
 * packages make, only when it exists and root alone can write it; a user's in their own cache directory. Nowhere
 * else: facts read from a file another user could write would be that user's word. SafeDir opens the directory
 * one component at a time and refuses one another user can write on the way.
 */
export function cacheDir(env: NodeJS.ProcessEnv): { dir: string; create: boolean } | null {
  if (process.geteuid?.() === 0) return { dir: '/var/cache/ctrsafe', create: false };
  const base = env.XDG_CACHE_HOME || (env.HOME ? path.join(env.HOME, '.cache') : '');
  return base.startsWith('/') ? { dir: path.join(base, 'ctrsafe'), create: true } : null;
}

/** The identity of a file's content without reading it: a change to the file changes one of these (ctime always). */
export function fileIdentity(st: fs.Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** A short digest of a set of strings (the CVE ids a changelog is searched for), part of a key. */
export function setDigest(items: Iterable<string>): string {
  return createHash('sha256')
    .update([...items].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
}

export class FactCache {
  private dirty = false;

  private constructor(
    private readonly where: { dir: string; create: boolean } | null,
    private readonly stamp: string,
    private readonly entries: Map<string, Entry>,
  ) {}

  /** A cache that keeps nothing: a tree (--root), the tests of a reader, no usable directory. */
  static none(): FactCache {
    return new FactCache(null, '', new Map());
  }

  /**
   * This user's cache, read now; `stamp` names the build (ctrsafe's version). Anything wrong with the file (absent,
   * damaged, another format, too large, in a directory others can write) gives an empty cache: a slower check.
   */
  static forUser(env: NodeJS.ProcessEnv, version: string): FactCache {
    const where = cacheDir(env);
    return where ? FactCache.openAt(where, version) : FactCache.none();
  }

  /** The cache kept in DIR (made 0700 when missing and `create`), for this ctrsafe version. */
  static openAt(where: { dir: string; create: boolean }, version: string): FactCache {
    const stamp = `${FORMAT} ${version}`;
    const entries = new Map<string, Entry>();
    try {
      const dir = SafeDir.open(where.dir);
      try {
        const raw = dir.readFile(FILE, MAX_BYTES);
        const doc = raw ? (JSON.parse(raw.toString('utf8')) as unknown) : null;
        if (isDoc(doc) && doc.stamp === stamp)
          for (const [name, e] of Object.entries(doc.entries).slice(0, MAX_ENTRIES))
            if (isEntry(e)) entries.set(name, e);
      } finally {
        dir.close();
      }
    } catch {
      // Missing directory, damaged file: start empty.
    }
    return new FactCache(where, stamp, entries);
  }

  /** The value kept for NAME when it was kept under KEY and still has the shape `ok` checks; else undefined. */
  get<T>(name: string, key: string, ok: (v: unknown) => v is T): T | undefined {
    const e = this.entries.get(name);
    return e && e.key === key && ok(e.value) ? e.value : undefined;
  }

  set(name: string, key: string, value: unknown): void {
    if (!this.where) return;
    const e = this.entries.get(name);
    if (e && e.key === key && JSON.stringify(e.value) === JSON.stringify(value)) return;
    this.entries.set(name, { key, value });
    this.dirty = true;
  }

  /** Writes the cache when something changed (SafeDir: a new file renamed into place); failing costs nothing more. */
  save(): void {
    if (!this.where || !this.dirty) return;
    try {
      const dir = SafeDir.open(this.where.dir, this.where.create ? { create: 0o700 } : {});
      try {
        const entries = Object.fromEntries([...this.entries].slice(-MAX_ENTRIES));
        dir.writeFile(FILE, JSON.stringify({ stamp: this.stamp, entries }), 0o600);
        this.dirty = false;
      } finally {
        dir.close();
      }
    } catch {
      // Read-only /var/cache, a full disk: the next check parses again.
    }
  }
}

function isEntry(v: unknown): v is Entry {
  return typeof v === 'object' && v !== null && typeof (v as Entry).key === 'string' && 'value' in v;
}

function isDoc(v: unknown): v is { stamp: string; entries: Record<string, unknown> } {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as { stamp?: unknown; entries?: unknown };
  return typeof d.stamp === 'string' && typeof d.entries === 'object' && d.entries !== null;
}
