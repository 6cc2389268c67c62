// Turns IMAGE into a directory bwrap can bind: a directory as it is; squashfs, SIF and tar archives unpacked once
// into the caller's cache through ctrsafe's sanitizer (no setuid bits, devices or xattrs survive), keyed by digest.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { SafeDir } from '../host/safe-write.js';
import { detectFormat, type ImageFormat } from '../image/detect-format.js';
import {
  inPlace,
  onlyCallerCanWrite,
  openImageFile,
  privateCopy,
  sha256Fd,
  sha256File,
  type ImageBytes,
} from '../image/image-bytes.js';
import { produceTar } from '../image/sanitize/sanitize-image.js';
import { extractSanitized } from './extract-tar.js';
import { readSif } from '../image/sif/read-sif.js';

export interface PreparedRootfs {
  dir: string;
  format: ImageFormat;
  /** How the directory came to be: the image itself, or an unpacked copy in the cache (and whether it was fresh). */
  how: 'directory' | 'cached' | 'unpacked';
  digest: string | null;
}

/** Copies SIF's primary squashfs partition to a file of its own, for sqfs2tar (which reads whole files only). */
function extractSifPartition(image: string, out: string, shown: string): void {
  const sif = readSif(image);
  const p = sif.primary;
  if (sif.ambiguousPrimary) throw new InputError(`${shown}: ${sif.ambiguousPrimary}: not run`);
  if (!p) throw new InputError(`${shown}: SIF without a primary system partition: nothing to run`);
  if (p.fsType !== 'squashfs')
    throw new InputError(
      `${shown}: the primary partition is ${p.fsType ?? 'unknown'}, ctrsafe run reads squashfs`,
    );
  const src = fs.openSync(image, 'r');
  const dst = fs.openSync(out, 'w', 0o600);
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let done = 0; done < p.size;) {
      const n = fs.readSync(src, buf, 0, Math.min(buf.length, p.size - done), p.offset + done);
      if (n <= 0) throw new InputError(`${shown}: the primary partition ends before its recorded size`);
      fs.writeSync(dst, buf, 0, n);
      done += n;
    }
  } finally {
    fs.closeSync(src);
    fs.closeSync(dst);
  }
}

/** Unpacks into TMP as the caller: sanitized tar stream into tar -x (unprivileged: owners are the caller). */
async function unpack(
  image: string,
  format: ImageFormat,
  tmp: string,
  shown: string,
  onBytes?: (n: number) => void,
): Promise<void> {
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  let source = image;
  if (format === 'sif') {
    source = `${tmp}.sqfs`;
    extractSifPartition(image, source, shown);
  }
  const producer = produceTar(source, onBytes);
  // sqfs2tar or xz may stop early on a read error: their exit status, not a short stream, says the tree is whole.
  let producerErr = '';
  producer.child?.stderr?.on(
    'data',
    (b: Buffer) => (producerErr = (producerErr + b.toString()).slice(-2000)),
  );
  const produced = producer.child
    ? new Promise<number | null>((r) => producer.child!.on('close', r))
    : Promise.resolve(0);
  try {
    await extractSanitized(producer.stream, tmp, shown, { onError: producer.cleanup });
    const code = await produced;
    if (code !== 0)
      throw new InputError(
        `unpacking ${shown}: reading it failed (exit ${code}): ${producerErr.trim().split('\n').pop() ?? ''}`,
      );
  } finally {
    if (source !== image) fs.rmSync(source, { force: true });
  }
}

/**
 * IMAGE as a directory to launch. A file image is unpacked from the bytes its digest names: BYTES when the caller
 * judged them (a policy applies), else the image read once to hash it and, when it is not in the cache yet,
 * unpacked from a private copy (or in place where only the caller or root can write it). The cache is keyed by
 * that digest, so a tree in it is always the unpacking of bytes with that digest.
 */
export async function prepareRootfs(
  image: string,
  cacheDir: string,
  bytes?: ImageBytes,
  onBytes?: (n: number) => void,
): Promise<PreparedRootfs> {
  let st: fs.Stats;
  try {
    st = fs.statSync(bytes?.path ?? image);
  } catch {
    throw new InputError(`${image}: no such image`);
  }
  if (!bytes && st.isDirectory()) {
    if (detectFormat(image).format === 'oci-layout') return prepareLayout(image, cacheDir);
    return { dir: fs.realpathSync(image), format: 'directory', how: 'directory', digest: null };
  }
  checkCacheDir(cacheDir);
  let own: ImageBytes | null = null;
  let opened: ReturnType<typeof openImageFile> | null = null;
  try {
    let digest = bytes?.digest;
    if (!digest) {
      opened = openImageFile(image);
      digest = await sha256Fd(opened.fd);
      const dir = path.join(cacheDir, digest.replace(/^sha256:/, ''));
      if (fs.existsSync(dir)) return { dir, format: detectFormat(image).format, how: 'cached', digest };
    }
    const source =
      bytes ??
      (own = onlyCallerCanWrite(opened!.source)
        ? await inPlace(opened!, digest)
        : await privateCopy(opened!, cacheDir));
    const { format } = detectFormat(source.path);
    if (!['squashfs', 'sif', 'tar', 'gzip', 'xz', 'zstd'].includes(format))
      throw new InputError(
        `${image}: ctrsafe run reads directories, squashfs, SIF, OCI layouts and archives, docker-save and tar archives, not ${format}`,
      );
    // A tar archive may be an oci-archive or docker-save: unpacked layer by layer, whiteouts applied.
    const layered = ['tar', 'gzip', 'xz', 'zstd'].includes(format) && (await isLayeredArchive(source.path));
    return await intoCache(cacheDir, source.digest, format, (tmp) =>
      layered ? unpackLayered(source.path, tmp) : unpack(source.path, format, tmp, image, onBytes),
    );
  } finally {
    if (own?.kind === 'copy') own.close();
    if (opened) fs.closeSync(opened.fd);
  }
}

async function isLayeredArchive(image: string): Promise<boolean> {
  const { detectArchiveKind } = await import('../image/oci/layered-image.js');
  return (await detectArchiveKind(image).catch(() => 'tar')) !== 'tar';
}

async function unpackLayered(image: string, tmp: string): Promise<void> {
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  await (await import('./unpack-layers.js')).unpackLayers(image, tmp);
}

/** An OCI layout directory is keyed by its index.json: the manifest digests it names fix every byte of the image. */
async function prepareLayout(image: string, cacheDir: string): Promise<PreparedRootfs> {
  const digest = await sha256File(path.join(image, 'index.json'));
  return intoCache(cacheDir, digest, 'oci-layout', (tmp) => unpackLayered(image, tmp));
}

/** The cache must be the caller's alone: a directory others can write could hand them a planted root file system. */
export function checkCacheDir(cacheDir: string): void {
  SafeDir.open(cacheDir, { create: 0o700 }).close();
}

const STALE_MS = 6 * 3600_000;

/** Takes the digest's lock (O_EXCL), waiting while another task of the job unpacks the same image. */
async function lockDigest(lock: string, dir: string): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < STALE_MS;) {
    try {
      fs.closeSync(
        fs.openSync(lock, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600),
      );
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (fs.existsSync(dir)) return false;
    // A lock left by an unpack that died (killed, node rebooted) is broken after a while.
    const st = fs.statSync(lock, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > STALE_MS) fs.rmSync(lock, { force: true });
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new InputError(`${lock}: another unpack of this image has held the lock for hours`);
}

/** Unpacks left behind by killed runs (their temporary directories), older than the stale limit. */
function sweep(cacheDir: string): void {
  for (const n of fs.readdirSync(cacheDir)) {
    if (!/\.tmp-/.test(n)) continue;
    const p = path.join(cacheDir, n);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > STALE_MS) fs.rmSync(p, { recursive: true, force: true });
  }
}

async function intoCache(
  cacheDir: string,
  digest: string,
  format: ImageFormat,
  fill: (tmp: string) => Promise<void>,
): Promise<PreparedRootfs> {
  checkCacheDir(cacheDir);
  const dir = path.join(cacheDir, digest.replace(/^sha256:/, ''));
  if (fs.existsSync(dir)) return { dir, format, how: 'cached', digest };
  // One unpack per image at a time: the other tasks of a job (srun -n 64) wait for it instead of repeating it.
  const lock = `${dir}.lock`;
  if (!(await lockDigest(lock, dir))) return { dir, format, how: 'cached', digest };
  // Unpacked beside its final name and renamed when complete: a crash leaves no half image under the digest.
  // The host name keeps two nodes apart when the cache is on a shared home directory.
  const tmp = `${dir}.tmp-${os.hostname()}-${process.pid}`;
  try {
    sweep(cacheDir);
    if (fs.existsSync(dir)) return { dir, format, how: 'cached', digest };
    await fill(tmp);
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(dir)) throw e;
  } finally {
    fs.rmSync(lock, { force: true });
  }
  return { dir, format, how: 'unpacked', digest };
}
