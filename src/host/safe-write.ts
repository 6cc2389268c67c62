// Where ctrsafe writes (as root, or as anyone): only into a directory nobody else can write, held open by
// descriptor, files created new (O_EXCL|O_NOFOLLOW), modes set on the open file, fsynced, renamed into place.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../errors.js';

const MAX_LINKS = 40; // the kernel's own limit (path_resolution(7))
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = fs.constants;

/** Linux's O_PATH (asm-generic/fcntl.h; Node's fs.constants lacks it): a descriptor to look names up under and fstat. */
const O_PATH = 0o10000000;

const euid = () => process.geteuid?.() ?? 0;

/**
 * Opens a directory on the way: for reading where allowed, else (a directory this user may search but not list,
 * mode 0711 like many /home and /scratch) by O_PATH, which is all a lookup below it and fstat need.
 */
function openDirectory(at: string): number {
  try {
    return fs.openSync(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
    return fs.openSync(at, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  }
}

/** "uid 1001 (alice)" from /etc/passwd, for the one-line refusal. */
export function ownerName(uid: number): string {
  try {
    const fd = fs.openSync('/etc/passwd', O_RDONLY | O_NONBLOCK);
    try {
      const buf = Buffer.alloc(1 << 20);
      const text = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
      const name = text
        .split('\n')
        .find((l) => l.split(':')[2] === String(uid))
        ?.split(':')[0];
      return name && /^[A-Za-z0-9._-]{1,64}$/.test(name) ? `uid ${uid} (${name})` : `uid ${uid}`;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return `uid ${uid}`;
  }
}

/** Owned by this user or root: nobody else can chmod, chown or (without write bits) change it. */
const ownedRight = (st: fs.Stats) => st.uid === euid() || st.uid === 0;
/** Nobody but its owner can add, remove or rename entries (a group's write bit is also an ACL's mask). */
const closed = (st: fs.Stats) => ownedRight(st) && (st.mode & 0o022) === 0;
/** Others may add entries but not remove or rename ours (sticky, e.g. /tmp): only to pass through. */
const passable = (st: fs.Stats) => closed(st) || (ownedRight(st) && (st.mode & 0o1000) !== 0);

/** Why a directory is not closed: its mode, or an owner who could change the mode at any time. */
const notClosed = (st: fs.Stats) =>
  ownedRight(st) ? 'others can write this directory' : 'another user owns this directory';

function refusal(p: string, st: fs.Stats, what: string): InputError {
  return new InputError(
    `${p}: ${what} (owner ${ownerName(st.uid)}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): ` +
      'ctrsafe writes only in a directory it created or one only root (or you) can write',
  );
}

/** An fs error in one line: "does not exist", or Node's message without the path it was given (/proc/self/fd/N). */
export const errnoText = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'does not exist';
  const first = err.message.split('\n')[0]!;
  // Node's message ends with the path it was given (/proc/self/fd/N/...); the caller names the real one.
  return err.syscall ? first.replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, '') : first;
};

/**
 * A directory ctrsafe may write in, held by descriptor: every later name is resolved below that descriptor
 * (/proc/PID/fd/N/NAME, openat's semantics in Node), so renaming the directory or a parent cannot redirect a write.
 */
let procPid: string | null | undefined;
/**
 * This process's PID as the mounted /proc names it (the target of /proc/self), or null when /proc does not show
 * it. That is process.pid only when /proc is of ctrsafe's own PID namespace: under a host's /proc seen from a new
 * PID namespace, /proc/process.pid is some other process.
 */
function ownProcPid(): string | null {
  if (procPid === undefined) {
    try {
      procPid = fs.readlinkSync('/proc/self');
    } catch {
      procPid = null;
    }
  }
  return procPid;
}

/**
 * A path that opens descriptor FD of this process, for this process and for its children of the same user (a
 * child opens it through this process's /proc entry: the descriptor itself is not inherited, O_CLOEXEC).
 */
export function descriptorPath(fd: number): string {
  const pid = ownProcPid();
  // /proc/self in a child would be the child's own descriptor FD: some other file, or none.
  if (pid === null)
    throw new InputError('/proc does not show this process (a /proc of another PID namespace?)');
  return `/proc/${pid}/fd/${fd}`;
}

/** procfs's magic number (statfs(2), PROC_SUPER_MAGIC). */
const PROC_SUPER_MAGIC = 0x9fa0;

/** Whether the directory open at FD is on a proc file system, wherever that is mounted. */
export function onProcfs(fd: number): boolean {
  return fs.statfsSync(`/proc/self/fd/${fd}`).type === PROC_SUPER_MAGIC;
}

/**
 * P made absolute as the kernel would walk it: relative to the working directory (which getcwd gives with no links
 * in it), its "." and ".." left for the walk, where a ".." after a link goes to the parent of the link's target.
 */
export function absolute(p: string): string {
  return p.startsWith('/') ? p : `${process.cwd()}/${p}`;
}

export class SafeDir {
  private constructor(
    readonly path: string,
    readonly fd: number,
  ) {}

  /**
   * Opens DIR, walking from / one component at a time: a symbolic link is followed only where it sits in a
   * directory nobody else can write (its target is walked the same way); a directory that others can write is
   * passed only when it is sticky (/tmp) and owned by root or this user; each directory opened with O_NOFOLLOW is
   * checked to be the one looked at. Missing components are created with MODE when given (a directory ctrsafe
   * created is its own, wherever it sits). The last one must be owned by this user or root and closed to others;
   * with `sticky`, it may also be a sticky one such as /tmp, for a caller that only makes a fresh directory there
   * (others may add entries to it, but not rename or remove that one).
   */
  static open(dir: string, opts: { create?: number; sticky?: boolean } = {}): SafeDir {
    const shown = dir;
    let cur = fs.openSync('/', O_RDONLY | O_DIRECTORY);
    let curSt = fs.fstatSync(cur);
    let curPath = '/';
    // Not path.resolve: it would take "link/.." away as text, where the kernel goes to the link target's parent.
    const pending = absolute(dir).split('/').filter(Boolean);
    let links = 0;
    try {
      while (pending.length > 0) {
        const comp = pending.shift()!;
        if (comp === '.') continue;
        const at = `/proc/self/fd/${cur}/${comp}`;
        const here = comp === '..' ? path.dirname(curPath) : path.join(curPath, comp);
        let lst: fs.Stats;
        try {
          lst = fs.lstatSync(at);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || opts.create === undefined)
            throw new InputError(`${shown}: ${here}: ${errnoText(e)}`);
          try {
            fs.mkdirSync(at, { mode: opts.create });
          } catch (e2) {
            if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST')
              throw new InputError(`${shown}: cannot create ${here}: ${errnoText(e2)}`);
          }
          lst = fs.lstatSync(at);
        }
        if (lst.isSymbolicLink()) {
          // /proc's links (a process's root, cwd, exe, descriptors) are not paths: the kernel jumps to the object,
          // which its text need not name (another mount namespace's root).
          if (onProcfs(cur)) throw new InputError(`${shown}: ${here} is a link in /proc: not followed`);
          if (!closed(curSt))
            throw refusal(curPath, curSt, `${here} is a symbolic link in a directory others can write`);
          if (++links > MAX_LINKS) throw new InputError(`${shown}: too many levels of symbolic links`);
          const target = fs.readlinkSync(at);
          pending.unshift(...target.split('/').filter(Boolean));
          if (target.startsWith('/')) {
            fs.closeSync(cur);
            cur = fs.openSync('/', O_RDONLY | O_DIRECTORY);
            curSt = fs.fstatSync(cur);
            curPath = '/';
          }
          continue;
        }
        if (!lst.isDirectory()) throw new InputError(`${shown}: ${here} is not a directory`);
        let next: number;
        try {
          next = openDirectory(at);
        } catch (e) {
          throw new InputError(`${shown}: ${here}: ${errnoText(e)}`);
        }
        const st = fs.fstatSync(next);
        if (st.dev !== lst.dev || st.ino !== lst.ino) {
          fs.closeSync(next);
          throw new InputError(`${shown}: ${here} changed while it was opened`);
        }
        fs.closeSync(cur);
        cur = next;
        curSt = st;
        curPath = here;
        if (pending.length > 0 && !passable(st))
          throw refusal(here, st, 'a directory on the way that another user can write');
      }
      if (!(opts.sticky ? passable(curSt) : closed(curSt))) throw refusal(curPath, curSt, notClosed(curSt));
      return new SafeDir(curPath, cur);
    } catch (e) {
      fs.closeSync(cur);
      throw e;
    }
  }

  /**
   * DIR as given, for a caller that is not root: any directory it can write in, links followed. Its own rights
   * bound where it can write, so a directory on the way another user could change gains them nothing; names in it
   * are still replaced, never written through (writeFile).
   */
  static openAsCaller(dir: string): SafeDir {
    let fd: number;
    try {
      fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY);
    } catch (e) {
      throw new InputError(`${dir}: ${errnoText(e)}`);
    }
    // The path the kernel went to, for messages and for links relative to it ("link/.." is not taken away as text).
    let real: string;
    try {
      real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      real = path.resolve(dir);
    }
    return new SafeDir(real.startsWith('/') ? real : path.resolve(dir), fd);
  }

  /** Whether only root or this user can add or replace names here (not group, not others, and not sticky). */
  get closed(): boolean {
    return closed(fs.fstatSync(this.fd));
  }

  /** NAME below this directory's descriptor, for this process. */
  at(name: string): string {
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  /**
   * NAME for a child process (which inherits the descriptor): below /proc/PID/fd/N, PID as /proc names this
   * process. When /proc does not show this process at all, the walked path is given instead: SafeDir checked that
   * nobody but root or this user can change it.
   */
  forChild(name: string): string {
    return ownProcPid() === null ? path.join(this.path, name) : `${descriptorPath(this.fd)}/${name}`;
  }

  /** A subdirectory, created (MODE) when missing; it must be a directory, ours, closed to others. */
  sub(name: string, mode = 0o700): SafeDir {
    try {
      fs.mkdirSync(this.at(name), { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new InputError(`${path.join(this.path, name)}: ${errnoText(e)}`);
    }
    const fd = fs.openSync(this.at(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    if (!closed(st)) {
      fs.closeSync(fd);
      throw refusal(path.join(this.path, name), st, notClosed(st));
    }
    return new SafeDir(path.join(this.path, name), fd);
  }

  /** A new private subdirectory (0700) with a random name: for a tool's output before it is checked. */
  privateSub(prefix: string): SafeDir {
    const name = `${prefix}${randomBytes(8).toString('hex')}`;
    fs.mkdirSync(this.at(name), { mode: 0o700 });
    return this.sub(name);
  }

  /** A new file, never an existing name (O_EXCL) nor through a link (O_NOFOLLOW), its mode set on the open file. */
  createNew(name: string, mode: number): number {
    const fd = fs.openSync(this.at(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    fs.fchmodSync(fd, mode);
    return fd;
  }

  /**
   * Why no file can be made here (the errno, as errnoText words it), or null when one could be created and removed:
   * a directory that passes every check may still refuse (root on an NFS export with root squash is nobody there;
   * a read-only mount).
   */
  writeProblem(): string | null {
    const probe = `.ctrsafe-write-test.${randomBytes(8).toString('hex')}`;
    try {
      fs.closeSync(this.createNew(probe, 0o600));
      fs.unlinkSync(this.at(probe));
      return null;
    } catch (e) {
      try {
        fs.rmSync(this.at(probe), { force: true });
      } catch (e2) {
        // Made but not removable (an append-only directory): said, with its name, to be removed by hand.
        return `${errnoText(e)}; ${path.join(this.path, probe)} is left: ${errnoText(e2)}`;
      }
      return errnoText(e);
    }
  }

  /**
   * Writes NAME whole or not at all: a new temporary file (random name, O_EXCL|O_NOFOLLOW), its mode set with
   * fchmod, its data fsynced, renamed over NAME (rename replaces a name, so a link planted there is dropped, never
   * written through), then the directory fsynced so the rename survives a crash.
   */
  writeFile(name: string, data: string | Buffer, mode: number): string {
    const tmp = `.${name}.${randomBytes(8).toString('hex')}.tmp`;
    let fd: number | null = null;
    try {
      fd = this.createNew(tmp, mode);
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = null;
      fs.renameSync(this.at(tmp), this.at(name));
      this.sync();
    } catch (e) {
      if (fd !== null) fs.closeSync(fd);
      fs.rmSync(this.at(tmp), { force: true });
      throw new InputError(`${path.join(this.path, name)}: ${errnoText(e)}`);
    }
    return path.join(this.path, name);
  }

  /**
   * Reads NAME when it is a regular file owned by this user or root, never through a link, at most MAX bytes;
   * null when it does not exist.
   */
  readFile(name: string, max: number): Buffer | null {
    const fd = this.openFile(name);
    if (fd === null) return null;
    try {
      const st = fs.fstatSync(fd);
      if (st.size > max) throw new InputError(`${path.join(this.path, name)}: larger than ${max} bytes`);
      const buf = Buffer.alloc(st.size);
      let n = 0;
      while (n < buf.length) {
        const r = fs.readSync(fd, buf, n, buf.length - n, n);
        if (r === 0) break;
        n += r;
      }
      return buf.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * A read-only descriptor of NAME when it is a regular file owned by this user or root, never through a link;
   * null when it does not exist. The caller closes it.
   */
  openFile(name: string): number | null {
    let fd: number;
    try {
      fd = fs.openSync(this.at(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new InputError(`${path.join(this.path, name)}: ${errnoText(e)}`);
    }
    const st = fs.fstatSync(fd);
    if (!st.isFile() || !ownedRight(st)) {
      fs.closeSync(fd);
      throw refusal(path.join(this.path, name), st, 'not a regular file of ours');
    }
    return fd;
  }

  list(): string[] {
    return fs.readdirSync(`/proc/self/fd/${this.fd}`);
  }

  remove(name: string): void {
    fs.rmSync(this.at(name), { recursive: true, force: true });
  }

  rename(from: string, to: SafeDir, toName: string): void {
    fs.renameSync(this.at(from), to.at(toName));
    this.sync();
    if (to !== this) to.sync();
  }

  sync(): void {
    fs.fsyncSync(this.fd);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/**
 * Why root should not run (or trust) the program or file at P, or null when it may: P and every directory above
 * it (links resolved) must be owned by root and writable by nobody else, so no user can have replaced it. PATH is
 * never consulted: a user's PATH (sudo, a job's environment) must not choose what root runs.
 */
export function untrustedPathProblem(p: string): string | null {
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch (e) {
    return `${p}: ${errnoText(e)}`;
  }
  for (let q = real; ; q = path.dirname(q)) {
    const st = fs.statSync(q);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0)
      return `${q}: owner ${ownerName(st.uid)}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}: not root's alone`;
    if (q === '/') return null;
  }
}

/** The first of PATHS that exists and only root can have written, else null. */
export function trustedProgram(paths: readonly string[]): string | null {
  return paths.find((p) => fs.existsSync(p) && untrustedPathProblem(p) === null) ?? null;
}

/**
 * A new private directory (0700) in TMPDIR, for a command's own working files. TMPDIR and every directory on the
 * way must be one no other user can change (closed, or sticky and root's or this user's, as /tmp is): in a
 * directory another user can write, they could rename the new one and put a link in its place, and ctrsafe (root,
 * too) would then write through it. Every failure is one line beginning "TMPDIR".
 */
export function makeTempDir(prefix: string, base = path.resolve(os.tmpdir())): string {
  try {
    SafeDir.open(base, { sticky: true }).close();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(`TMPDIR ${e.message}`);
  }
  try {
    return fs.mkdtempSync(path.join(base, prefix));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new InputError(
      `TMPDIR ${base}: cannot make a working directory there (${code}); set TMPDIR to a directory you can write`,
    );
  }
}
