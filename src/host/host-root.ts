// Reads a host only through its root directory: bounded, read-only, and confined (symlinks never leave the root).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FactCache } from './fact-cache.js';
import type { PathGuard } from './path-guard.js';
import { HostRootError } from '../errors.js';
import { MANIFEST_NAME, parseManifest, type SnapshotManifest } from './snapshot-manifest.js';

export const DEFAULT_MAX_BYTES = 64 * 1024;
const MAX_SYMLINKS = 40; // the kernel's own limit (path_resolution(7))
const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
/** open(2)'s O_PATH (010000000 on every Linux architecture Node runs on): a handle that opens nothing. */
const O_PATH = 0o10000000;

export type BytesResult =
  | { ok: true; path: string; data: Buffer; truncated: boolean }
  | { ok: false; path: string; reason: string; missing: boolean };

export type ReadResult =
  | { ok: true; path: string; text: string; truncated: boolean; binary: boolean }
  | { ok: false; path: string; reason: string; missing: boolean };

export interface FileInfo {
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket' | 'other';
  /** Permission bits including setuid/setgid/sticky (07777). */
  perm: number;
  uid: number;
  gid: number;
  size: number;
  dev: number;
  /** The device a character or block node stands for (st_rdev), 0 for other files. */
  rdev: number;
  /** getcap text, null when none, undefined when it cannot be known from here. */
  caps?: string | null;
  /** "manifest" when modes came from .ctrsafe-snapshot.json rather than the tree itself. */
  source: 'tree' | 'manifest';
  /**
   * False when a snapshot manifest exists but does not list this file: the copied tree's own owner and
   * mode say who copied it, not what the host had.
   */
  ownerKnown: boolean;
}

export type Access = { kind: 'read' | 'stat' | 'list'; path: string };

function typeOf(st: fs.Stats): FileInfo['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'other';
}

function errReason(e: unknown): { reason: string; missing: boolean } {
  const code = (e as NodeJS.ErrnoException).code ?? 'error';
  const missing = code === 'ENOENT' || code === 'ENOTDIR';
  const words: Record<string, string> = {
    ENOENT: 'does not exist',
    ENOTDIR: 'does not exist (a parent is not a directory)',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ELOOP: 'too many levels of symbolic links',
    EISDIR: 'is a directory',
    EIO: 'I/O error',
  };
  return { reason: words[code] ?? code, missing };
}

export class HostRoot {
  readonly dir: string;
  readonly isLive: boolean;
  readonly manifest: SnapshotManifest | null;
  readonly manifestProblem: string | null;
  private readonly log: Access[] = [];
  /** Reads are memoised: several collectors look at /proc/self/mountinfo and friends, and a check is one moment. */
  private readonly cache = new Map<string, BytesResult>();
  private readonly logged = new Set<string>();
  /** Live paths that may not be read in this process (path-guard.ts), and the first one a collector asked for. */
  private guard: PathGuard | null = null;
  /** Facts derived from this host's files, kept between checks (fact-cache.ts); a tree keeps none. */
  factCache: FactCache = FactCache.none();
  #refused: string | null = null;

  private constructor(
    dir: string,
    isLive: boolean,
    manifest: SnapshotManifest | null,
    problem: string | null,
  ) {
    this.dir = dir;
    this.isLive = isLive;
    this.manifest = manifest;
    this.manifestProblem = problem;
  }

  /**
   * The live host. With a guard, a path it refuses is not touched: the read fails as "not read", and refused()
   * names it, so that the caller can run the check again where a hang cannot hurt (the gate's watchdog child).
   */
  static live(opts: { guard?: PathGuard; cache?: FactCache } = {}): HostRoot {
    const root = new HostRoot('/', true, null, null);
    root.guard = opts.guard ?? null;
    if (opts.cache) root.factCache = opts.cache;
    return root;
  }

  /** The first live path the guard kept this check from reading, if any: its facts are then incomplete. */
  refused(): string | null {
    return this.#refused;
  }

  private refuse(p: string): { ok: false; reason: string; missing: false } | null {
    const why = this.guard?.(p) ?? null;
    if (why === null) return null;
    this.#refused ??= why;
    return { ok: false, reason: `not read in this process: ${why}`, missing: false };
  }

  /** Opens a copied tree; throws HostRootError (one line) when it is not a readable directory. */
  static open(dir: string): HostRoot {
    const abs = path.resolve(dir);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch (e) {
      throw new HostRootError(`--root ${dir}: ${errReason(e).reason}`);
    }
    if (!st.isDirectory()) throw new HostRootError(`--root ${dir}: not a directory`);
    try {
      fs.accessSync(abs, fs.constants.R_OK | fs.constants.X_OK);
    } catch (e) {
      throw new HostRootError(`--root ${dir}: ${errReason(e).reason}`);
    }
    if (abs === '/') return HostRoot.live();
    const root = new HostRoot(abs, false, null, null);
    const raw = root.readText('/' + MANIFEST_NAME, MAX_MANIFEST_BYTES, false);
    if (!raw.ok)
      return raw.missing ? root : new HostRoot(abs, false, null, `${MANIFEST_NAME}: ${raw.reason}`);
    if (raw.truncated) return new HostRoot(abs, false, null, `${MANIFEST_NAME}: larger than 8 MiB`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.text);
    } catch {
      return new HostRoot(abs, false, null, `${MANIFEST_NAME}: not valid JSON`);
    }
    const m = parseManifest(parsed);
    return m.ok
      ? new HostRoot(abs, false, m.manifest, null)
      : new HostRoot(abs, false, null, `${MANIFEST_NAME}: ${m.reason}`);
  }

  /** Every path the collectors touched, in order: what `ctrsafe snapshot` copies. */
  accesses(): readonly Access[] {
    return this.log;
  }

  private note(kind: Access['kind'], p: string): void {
    const key = kind + ':' + p;
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.log.push({ kind, path: p });
  }

  /**
   * Walks HOSTPATH inside the tree one component at a time, by descriptor (openat2's RESOLVE_IN_ROOT done in
   * Node: each component opened O_PATH|O_NOFOLLOW below its parent's descriptor as /proc/self/fd/N/NAME, so
   * swapping a directory for a link while a tree is read can never lead outside it; ".." is the parent this walk
   * came through, and stops at the root; a link's target is walked from the root or from where it sits).
   * Returns an O_PATH descriptor of the object itself (the caller closes it) and its real path, for messages.
   */
  private walk(
    hostPath: string,
    followLast: boolean,
  ): { ok: true; fd: number; st: fs.Stats; real: string } | { ok: false; reason: string; missing: boolean } {
    const pending = path.posix
      .normalize('/' + hostPath)
      .split('/')
      .filter((c) => c.length > 0);
    const stack: { fd: number; name: string }[] = [];
    const top = () => (stack.length ? stack[stack.length - 1]!.fd : this.rootFd());
    const real = () => path.join(this.dir, ...stack.map((s) => s.name));
    const unwind = () => {
      for (const s of stack.splice(0)) fs.closeSync(s.fd);
    };
    let links = 0;
    try {
      if (pending.length === 0) {
        const fd = fs.openSync(`/proc/self/fd/${this.rootFd()}`, O_PATH | fs.constants.O_DIRECTORY);
        return { ok: true, fd, st: fs.fstatSync(fd), real: this.dir };
      }
      while (pending.length > 0) {
        const comp = pending.shift()!;
        if (comp === '.') continue;
        if (comp === '..') {
          const up = stack.pop(); // ".." at the root stays at the root, as the kernel does for "/.."
          if (up) fs.closeSync(up.fd);
          if (pending.length === 0) pending.push('.');
          continue;
        }
        const at = `/proc/self/fd/${top()}/${comp}`;
        let fd: number;
        try {
          fd = fs.openSync(at, O_PATH | fs.constants.O_NOFOLLOW);
        } catch (e) {
          return { ok: false, ...errReason(e) };
        }
        const st = fs.fstatSync(fd);
        const isLast = pending.length === 0 || pending.every((c) => c === '.');
        if (st.isSymbolicLink() && (!isLast || followLast)) {
          fs.closeSync(fd);
          if (++links > MAX_SYMLINKS)
            return { ok: false, reason: 'too many levels of symbolic links', missing: false };
          let target: string;
          try {
            target = fs.readlinkSync(at);
          } catch (e) {
            return { ok: false, ...errReason(e) };
          }
          if (target.startsWith('/')) unwind();
          pending.unshift(...target.split('/').filter((c) => c.length > 0));
          if (pending.length === 0) pending.push('.');
          continue;
        }
        if (isLast) {
          const r = path.join(real(), comp);
          return { ok: true, fd, st, real: r };
        }
        if (!st.isDirectory()) {
          fs.closeSync(fd);
          return { ok: false, reason: 'does not exist (a parent is not a directory)', missing: true };
        }
        stack.push({ fd, name: comp });
      }
      // The path ended in "." or "..": the directory the walk stands in.
      const fd = fs.openSync(`/proc/self/fd/${top()}`, O_PATH | fs.constants.O_DIRECTORY);
      return { ok: true, fd, st: fs.fstatSync(fd), real: real() };
    } finally {
      unwind();
    }
  }

  private rootFdValue: number | null = null;

  /** The tree's root, opened once: every walk starts below this descriptor, whatever happens to the name. */
  private rootFd(): number {
    if (this.rootFdValue === null)
      this.rootFdValue = fs.openSync(this.dir, O_PATH | fs.constants.O_DIRECTORY);
    return this.rootFdValue;
  }

  /** Maps a host path to a real path below the root, resolving symlinks inside the root only. */
  resolve(
    hostPath: string,
    followLast = true,
  ): { ok: true; real: string } | { ok: false; reason: string; missing: boolean } {
    const norm = path.posix.normalize('/' + hostPath);
    if (this.isLive) return { ok: true, real: norm };
    const w = this.walk(norm, followLast);
    if (!w.ok) return w;
    fs.closeSync(w.fd);
    return { ok: true, real: w.real };
  }

  /**
   * Opens a regular file read-only for the caller to read (positioned reads of package databases and
   * binaries): the very inode the descriptor walk found, never a FIFO or device. The caller closes `fd`.
   */
  openRegular(
    hostPath: string,
  ): { ok: true; fd: number; size: number } | { ok: false; reason: string; missing: boolean } {
    const p = path.posix.normalize('/' + hostPath);
    let fd: number;
    if (this.isLive) {
      const no = this.refuse(p);
      if (no) return no;
      try {
        fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      } catch (e) {
        return { ok: false, ...errReason(e) };
      }
    } else {
      const w = this.walk(p, true);
      if (!w.ok) return w;
      try {
        // Only a regular file is opened for reading (a device node in a copied tree is never opened), and it is
        // the very inode the walk found: reopened through its O_PATH descriptor, not looked up again.
        if (!w.st.isFile())
          return { ok: false, reason: `not a regular file (${typeOf(w.st)})`, missing: false };
        fd = fs.openSync(`/proc/self/fd/${w.fd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      } catch (e) {
        return { ok: false, ...errReason(e) };
      } finally {
        fs.closeSync(w.fd);
      }
    }
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      fs.closeSync(fd);
      return { ok: false, reason: `not a regular file (${typeOf(st)})`, missing: false };
    }
    return { ok: true, fd, size: st.size };
  }

  /** Reads at most maxBytes of a regular file; never blocks on FIFOs or devices. */
  readBytes(
    hostPath: string,
    maxBytes = DEFAULT_MAX_BYTES,
    record = true,
  ):
    | { ok: true; path: string; data: Buffer; truncated: boolean }
    | { ok: false; path: string; reason: string; missing: boolean } {
    const p = path.posix.normalize('/' + hostPath);
    if (record) this.note('read', p);
    const o = this.openRegular(p);
    if (!o.ok) return { ok: false, path: p, reason: o.reason, missing: o.missing };
    const fd = o.fd;
    try {
      // /proc and /sys files report size 0, so read until EOF or one byte past the limit.
      let chunk = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(4096, o.size + 1)));
      let len = 0;
      for (;;) {
        if (len === chunk.length) {
          if (len > maxBytes) break;
          const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, chunk.length * 2));
          chunk.copy(bigger, 0, 0, len);
          chunk = bigger;
        }
        const n = fs.readSync(fd, chunk, len, chunk.length - len, null);
        if (n === 0) break;
        len += n;
      }
      return {
        ok: true,
        path: p,
        data: chunk.subarray(0, Math.min(len, maxBytes)),
        truncated: len > maxBytes,
      };
    } catch (e) {
      return { ok: false, path: p, ...errReason(e) };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Like readBytes, decoded as UTF-8, with a flag for NUL bytes (binary data where text belongs). */
  readText(hostPath: string, maxBytes = DEFAULT_MAX_BYTES, record = true): ReadResult {
    const r = this.readBytes(hostPath, maxBytes, record);
    if (!r.ok) return r;
    return {
      ok: true,
      path: r.path,
      text: r.data.toString('utf8'),
      truncated: r.truncated,
      binary: r.data.includes(0),
    };
  }

  /** stat() inside the root, with the manifest's modes, owners and capabilities taking precedence. */
  stat(hostPath: string): ({ ok: true } & FileInfo) | { ok: false; reason: string; missing: boolean } {
    const p = path.posix.normalize('/' + hostPath);
    this.note('stat', p);
    let st: fs.Stats;
    if (this.isLive) {
      const no = this.refuse(p);
      if (no) return no;
      try {
        st = fs.statSync(p);
      } catch (e) {
        return { ok: false, ...errReason(e) };
      }
    } else {
      const w = this.walk(p, true);
      if (!w.ok) return w;
      st = w.st;
      fs.closeSync(w.fd);
    }
    const info: FileInfo = {
      type: typeOf(st),
      perm: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: st.size,
      dev: st.dev,
      rdev: st.rdev,
      source: 'tree',
      ownerKnown: this.isLive || this.manifest === null,
    };
    const m = this.manifest?.files[p];
    if (m) {
      info.perm = parseInt(m.mode, 8);
      info.uid = m.uid;
      info.gid = m.gid;
      info.caps = m.caps ?? null;
      info.source = 'manifest';
      info.ownerKnown = true;
    } else if (this.manifest && !this.isLive) {
      // A snapshot lists every file whose mode matters; a file it does not list has no special bits recorded.
      info.caps = undefined;
    }
    return { ok: true, ...info };
  }

  /** Lists a directory, bounded; null when it cannot be listed. */
  list(
    hostPath: string,
    max = 4096,
  ): { ok: true; names: string[]; truncated: boolean } | { ok: false; reason: string; missing: boolean } {
    const p = path.posix.normalize('/' + hostPath);
    this.note('list', p);
    let dir: fs.Dir;
    if (this.isLive) {
      const no = this.refuse(p);
      if (no) return no;
      try {
        dir = fs.opendirSync(p);
      } catch (e) {
        return { ok: false, ...errReason(e) };
      }
    } else {
      const w = this.walk(p, true);
      if (!w.ok) return w;
      try {
        if (!w.st.isDirectory()) return { ok: false, reason: 'not a directory', missing: false };
        dir = fs.opendirSync(`/proc/self/fd/${w.fd}`);
      } catch (e) {
        return { ok: false, ...errReason(e) };
      } finally {
        fs.closeSync(w.fd);
      }
    }
    const names: string[] = [];
    let truncated = false;
    try {
      for (let ent = dir.readSync(); ent !== null; ent = dir.readSync()) {
        if (names.length >= max) {
          truncated = true;
          break;
        }
        names.push(ent.name);
      }
    } catch (e) {
      return { ok: false, ...errReason(e) };
    } finally {
      dir.closeSync();
    }
    names.sort();
    return { ok: true, names, truncated };
  }

  /**
   * The live file's stat, for a cache of what was derived from it (collect/fact-cache.ts); null in a tree, where
   * nothing is cached. Noted as a read: a snapshot copies the file the cached facts came from.
   */
  liveStat(hostPath: string): fs.Stats | null {
    const p = path.posix.normalize('/' + hostPath);
    if (!this.isLive || this.refuse(p)) return null;
    this.note('read', p);
    try {
      const st = fs.statSync(p);
      return st.isFile() ? st : null;
    } catch {
      return null;
    }
  }

  exists(hostPath: string): boolean {
    return this.stat(hostPath).ok;
  }

  /** A host path as a human reads it: "/etc/os-release" live, "DIR/etc/os-release" under --root. */
  display(hostPath: string): string {
    return this.isLive ? hostPath : path.join(this.dir, hostPath);
  }
}
