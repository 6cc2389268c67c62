// -o FILE: where a report is written, as root too, without letting another user choose the place or hang ctrsafe.
import * as fs from 'node:fs';
import { InputError } from '../errors.js';
import { absolute, errnoText, onProcfs, SafeDir } from '../host/safe-write.js';

const { O_WRONLY, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
/** Links followed from one -o name to the file it finally names. */
const MAX_LINKS = 8;
/** How long a FIFO's reader may leave ctrsafe waiting to write (the admin's own pipe, in a directory of theirs). */
const FIFO_WAIT_MS = 60_000;

/** -o /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N (or thread-self): this process's own descriptor N, not a path to reopen. */
function ownDescriptor(abs: string): number | null {
  const m =
    /^(?:\/dev\/(stdout|stderr)|\/dev\/fd\/(\d{1,4})|\/proc\/(?:self|thread-self)\/fd\/(\d{1,4}))$/.exec(abs);
  if (!m) return null;
  return m[1] === 'stdout' ? 1 : m[1] === 'stderr' ? 2 : Number(m[2] ?? m[3]);
}

/**
 * Writes a report to FILE, whole or not at all for a regular file: through SafeDir (a new temporary name,
 * O_EXCL|O_NOFOLLOW, fsynced, renamed over FILE, keeping an existing file's mode).
 * - As root, every directory on the way must be closed to other users (SafeDir's walk); a sticky one such as /tmp
 *   will do for the last. Others write in any directory they can: their own rights bound where that is.
 * - In a directory another user can change (sticky, group- or world-writable), a name that is not a regular file
 *   is replaced, never followed, opened or waited on.
 * - In a closed directory, what is there was put by root or this user: a link is followed, each step walked
 *   again as above; a character device is written to (-o /dev/null); a FIFO is written to when it has a reader;
 *   a block device or a socket is refused. /dev/stdout and the like are this process's own descriptors.
 */
export function writeOutputFile(file: string, body: string, mode = 0o644): void {
  const abs = absolute(file);
  const fd = ownDescriptor(abs);
  if (fd === null) return writeAt(file, abs, Buffer.from(body), mode, 0);
  try {
    writeAll(fd, Buffer.from(body), file);
  } catch (e) {
    throw e instanceof InputError ? e : new InputError(`-o ${file}: ${errnoText(e)}`);
  }
}

/**
 * ABS is split as text at its last "/" only: the directory part is walked by SafeDir, where "." and ".." go where
 * the kernel's would (a ".." after a link is the parent of its target, not the link's own directory).
 */
function writeAt(shown: string, abs: string, body: Buffer, mode: number, links: number): void {
  const cut = abs.lastIndexOf('/');
  const base = abs.slice(cut + 1);
  if (base === '' || base === '.' || base === '..') throw new InputError(`-o ${shown}: is a directory`);
  const under = abs.slice(0, cut) || '/';
  let dir: SafeDir;
  try {
    dir = process.geteuid?.() === 0 ? SafeDir.open(under, { sticky: true }) : SafeDir.openAsCaller(under);
  } catch (e) {
    throw new InputError(`-o ${shown}: cannot write there: ${(e as Error).message}`);
  }
  try {
    // Other processes' descriptors and the kernel's own files are not where a report goes, wherever a proc file
    // system is mounted (this process's own descriptors were taken before the walk).
    if (onProcfs(dir.fd)) throw new InputError(`-o ${shown}: in /proc (${dir.path}): not written`);
    const st = fs.lstatSync(dir.at(base), { throwIfNoEntry: false });
    if (st?.isDirectory()) throw new InputError(`-o ${shown}: is a directory`);
    if (st === undefined || st.isFile() || !dir.closed) {
      // An existing file keeps its mode only when it is root's or ours in a closed directory: in /tmp another
      // user's file would choose the mode of root's report (0666, or 0000).
      const own = st?.isFile() === true && dir.closed && (st.uid === 0 || st.uid === process.geteuid?.());
      dir.writeFile(base, body, own ? st.mode & 0o777 : mode);
      return;
    }
    if (st.isSymbolicLink()) {
      if (links >= MAX_LINKS) throw new InputError(`-o ${shown}: too many levels of symbolic links`);
      // Relative to the directory the link sits in, as the kernel takes it: joined as text, walked again.
      const target = fs.readlinkSync(dir.at(base));
      const next = target.startsWith('/') ? target : `${dir.path === '/' ? '' : dir.path}/${target}`;
      const fd = ownDescriptor(next);
      if (fd !== null) return writeAll(fd, body, shown);
      return writeAt(shown, next, body, mode, links + 1);
    }
    // Never blocking: a FIFO without a reader fails at once (ENXIO), and so does a tty without carrier.
    if (st.isCharacterDevice() || st.isFIFO())
      return writeOpened(dir.at(base), O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK, body, shown);
    throw new InputError(`-o ${shown}: a ${st.isBlockDevice() ? 'block device' : 'socket'}: not written`);
  } catch (e) {
    throw e instanceof InputError && e.message.startsWith('-o ')
      ? e
      : new InputError(
          `-o ${shown}: ${(e as NodeJS.ErrnoException).code === 'ENXIO' ? 'nobody reads it (ENXIO)' : errnoText(e)}`,
        );
  } finally {
    dir.close();
  }
}

function writeOpened(at: string, flags: number, body: Buffer, shown: string): void {
  const fd = fs.openSync(at, flags);
  try {
    writeAll(fd, body, shown);
  } finally {
    fs.closeSync(fd);
  }
}

/** Every byte to FD; a non-blocking pipe that is full is waited on, until it takes nothing for FIFO_WAIT_MS. */
function writeAll(fd: number, body: Buffer, shown: string): void {
  let deadline = Date.now() + FIFO_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let off = 0; off < body.length;) {
    try {
      off += fs.writeSync(fd, body, off, body.length - off);
      deadline = Date.now() + FIFO_WAIT_MS;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      if (Date.now() > deadline)
        throw new InputError(`-o ${shown}: its reader took no data for ${FIFO_WAIT_MS / 1000} s`);
      Atomics.wait(pause, 0, 0, 10);
    }
  }
}
