// Turns IMAGE into a directory bwrap can bind: a directory as it is; squashfs, SIF and tar archives unpacked once
// into the caller's cache through ctrsafe's sanitizer (no setuid bits, devices or xattrs survive), keyed by digest.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { digestFile } from '../gate/image-verdict-cache.js';
import { detectFormat, type ImageFormat } from '../image/detect-format.js';
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
function extractSifPartition(image: string, out: string): void {
  const sif = readSif(image);
  const p = sif.primary;
  if (!p) throw new InputError(`${image}: SIF without a primary system partition: nothing to run`);
  if (p.fsType !== 'squashfs')
    throw new InputError(
      `${image}: the primary partition is ${p.fsType ?? 'unknown'}, ctrsafe run reads squashfs`,
    );
  const src = fs.openSync(image, 'r');
  const dst = fs.openSync(out, 'w', 0o600);
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let done = 0; done < p.size;) {
      const n = fs.readSync(src, buf, 0, Math.min(buf.length, p.size - done), p.offset + done);
      if (n <= 0) throw new InputError(`${image}: the primary partition ends before its recorded size`);
      fs.writeSync(dst, buf, 0, n);
      done += n;
    }
  } finally {
    fs.closeSync(src);
    fs.closeSync(dst);
  }
}

/** Unpacks into TMP as the caller: sanitized tar stream into tar -x (unprivileged: owners are the caller). */
async function unpack(image: string, format: ImageFormat, tmp: string): Promise<void> {
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  let source = image;
  if (format === 'sif') {
    source = `${tmp}.sqfs`;
    extractSifPartition(image, source);
  }
  const producer = produceTar(source);
  try {
    await extractSanitized(producer.stream, tmp, image, undefined, producer.cleanup);
  } finally {
    if (source !== image) fs.rmSync(source, { force: true });
  }
}

export async function prepareRootfs(image: string, cacheDir: string): Promise<PreparedRootfs> {
  let st: fs.Stats;
  try {
    st = fs.statSync(image);
  } catch {
    throw new InputError(`${image}: no such image`);
  }
  const { format } = detectFormat(image);
  if (format === 'oci-layout') return prepareLayout(image, cacheDir);
  if (st.isDirectory())
    return { dir: fs.realpathSync(image), format: 'directory', how: 'directory', digest: null };
  if (!['squashfs', 'sif', 'tar', 'gzip', 'xz', 'zstd'].includes(format))
    throw new InputError(
      `${image}: ctrsafe run reads directories, squashfs, SIF, OCI layouts and archives, docker-save and tar archives, not ${format}`,
    );
  // A tar archive may be an oci-archive or docker-save: unpacked layer by layer, whiteouts applied.
  const layered = ['tar', 'gzip', 'xz', 'zstd'].includes(format) && (await isLayeredArchive(image));
  const digest = await digestFile(image);
  return intoCache(cacheDir, digest, format, (tmp) =>
    layered ? unpackLayered(image, tmp) : unpack(image, format, tmp),
  );
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
  const digest = await digestFile(path.join(image, 'index.json'));
  return intoCache(cacheDir, digest, 'oci-layout', (tmp) => unpackLayered(image, tmp));
}

async function intoCache(
  cacheDir: string,
  digest: string,
  format: ImageFormat,
  fill: (tmp: string) => Promise<void>,
): Promise<PreparedRootfs> {
  const dir = path.join(cacheDir, digest.replace(/^sha256:/, ''));
  if (fs.existsSync(dir)) return { dir, format, how: 'cached', digest };
  fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  // Unpacked beside its final name and renamed when complete: a crash leaves no half image under the digest.
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    await fill(tmp);
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(dir)) throw e;
  }
  return { dir, format, how: 'unpacked', digest };
}
