// The bytes of an image that get judged: hashed, audited (and, later, signature-checked) and launched from one
// source nobody else can change meanwhile, so a verdict always speaks for exactly the bytes its digest names.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { descriptorPath } from '../host/safe-write.js';

/** The image file as it was opened: who owns it and who may write it (the audit's image-owner and -writable). */
export interface SourceFile {
  path: string;
  uid: number;
  gid: number;
  /** st_mode's permission bits (07777). */
  mode: number;
  size: number;
}

export interface ImageBytes {
  /** "sha256:<hex>" of exactly the bytes `path` reads. */
  digest: string;
  size: number;
  /**
   * A name that opens those bytes and no others: /proc/<pid>/fd/<fd>. It works for this process's readers and
   * for its children of the same user (sqfs2tar, squashfuse), and cannot be swapped by renaming the image.
   */
  path: string;
  fd: number;
  /**
   * 'copy': a private copy no one else can write (an unnamed file ctrsafe created). 'in-place': the image itself,
   * held open, used only where nobody but the caller or root can write it (the caller attacking their own launch
   * gains nothing they could not do without ctrsafe).
   */
  kind: 'copy' | 'in-place';
  source: SourceFile;
  close(): void;
}

// O_TMPFILE is __O_TMPFILE | O_DIRECTORY (open(2)); __O_TMPFILE is 020000000 on every Linux architecture Node runs on.
const O_TMPFILE = 0o20000000 | fs.constants.O_DIRECTORY;
const CHUNK = 4 << 20;

/** Opens an image file once, never blocking on a FIFO or device; the descriptor is what every later step reads. */
export function openImageFile(image: string): { fd: number; source: SourceFile } {
  let fd: number;
  try {
    fd = fs.openSync(image, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      `${image}: ${code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'permission denied' : (e as Error).message.split('\n')[0]}`,
    );
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new InputError(`${image}: not a regular file`);
  }
  return {
    fd,
    source: { path: image, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, size: st.size },
  };
}

/** sha256 of a whole file, by path (a small file such as an OCI index.json). */
export async function sha256File(file: string): Promise<string> {
  const fd = fs.openSync(file, 'r');
  try {
    return await sha256Fd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** sha256 of everything an open file holds, read from offset 0 in large chunks (OpenSSL's SHA-NI path). */
export async function sha256Fd(fd: number): Promise<string> {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  for (let i = 1; ; i++) {
    const n = fs.readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    h.update(buf.subarray(0, n));
    pos += n;
    // Let timers and signal handlers run now and then while gigabytes are read.
    if (i % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  return `sha256:${h.digest('hex')}`;
}

/** Nobody but the caller (or root, whom every node trusts) can change this file's bytes. */
export function onlyCallerCanWrite(s: SourceFile): boolean {
  const me = process.geteuid?.() ?? 0;
  return (s.uid === me || s.uid === 0) && (s.mode & 0o022) === 0;
}

/**
 * An unnamed file in DIR (O_TMPFILE: no name anyone could open, swap or link, gone when the last descriptor
 * closes, even after SIGKILL); where the file system has no O_TMPFILE, a file in a fresh private directory,
 * unlinked at once.
 */
function unnamedFile(dir: string): number {
  try {
    return fs.openSync(dir, O_TMPFILE | fs.constants.O_RDWR, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EOPNOTSUPP' && code !== 'EISDIR' && code !== 'EINVAL' && code !== 'ENOTSUP') throw e;
  }
  const priv = fs.mkdtempSync(path.join(dir, '.ctrsafe-copy-'));
  try {
    const f = path.join(priv, 'image');
    const fd = fs.openSync(
      f,
      fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
      0o600,
    );
    fs.unlinkSync(f);
    return fd;
  } finally {
    fs.rmSync(priv, { recursive: true, force: true });
  }
}

function bytesOf(fd: number, digest: string, kind: ImageBytes['kind'], source: SourceFile): ImageBytes {
  let open = true;
  return {
    digest,
    size: fs.fstatSync(fd).size,
    path: descriptorPath(fd),
    fd,
    kind,
    source,
    close() {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}

/**
 * Copies the open image into an unnamed file in WORKDIR (the kernel copies: copy_file_range, or a reflink where
 * the file system shares extents), then hashes the copy: the digest, the audit and the launch all read the copy,
 * which nobody else can write, so they see the same bytes whatever happens to the image meanwhile.
 */
export async function privateCopy(
  opened: { fd: number; source: SourceFile },
  workDir: string | null,
): Promise<ImageBytes> {
  const dir = workDir ?? os.tmpdir();
  let copy: number;
  try {
    copy = unnamedFile(dir);
  } catch (e) {
    throw new InputError(
      `${opened.source.path}: no private copy could be made in ${dir}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  try {
    // libuv's copyfile tries FICLONE, then copy_file_range/sendfile; it sets the source's mode on the copy, which
    // is reset at once (an unnamed file, but never a setuid one).
    fs.copyFileSync(`/proc/self/fd/${opened.fd}`, `/proc/self/fd/${copy}`, fs.constants.COPYFILE_FICLONE);
    fs.fchmodSync(copy, 0o600);
    return bytesOf(copy, await sha256Fd(copy), 'copy', opened.source);
  } catch (e) {
    fs.closeSync(copy);
    if (e instanceof InputError) throw e;
    throw new InputError(
      `${opened.source.path}: copying it for judgement failed: ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

/** The image itself, held open by descriptor and hashed from it: for images only the caller or root can write. */
export async function inPlace(
  opened: { fd: number; source: SourceFile },
  digest?: string,
): Promise<ImageBytes> {
  return bytesOf(opened.fd, digest ?? (await sha256Fd(opened.fd)), 'in-place', opened.source);
}

/**
 * The bytes to judge and launch: the image in place when only the caller or root can write it, else a private
 * copy in WORKDIR. The descriptor of an in-place image is the one opened here; a copy closes it.
 */
export async function imageBytes(image: string, workDir: string | null): Promise<ImageBytes> {
  const opened = openImageFile(image);
  if (onlyCallerCanWrite(opened.source)) return inPlace(opened);
  try {
    return await privateCopy(opened, workDir);
  } finally {
    fs.closeSync(opened.fd);
  }
}
