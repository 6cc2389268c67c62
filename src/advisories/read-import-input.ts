// Reads what `db update --from` is given, one record at a time: a directory of JSON files, a zip (osv.dev's
// <ecosystem>/all.zip), a tar archive (Canonical's osv-all.tar.xz, Red Hat's CSAF archive .tar.zst), or one JSON file
// (an OSV record, a list of them, a CSAF document, or the Debian security tracker's JSON).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { DEFAULT_LIMITS } from '../image/image-entry.js';
import { FileSource, StreamSource, type ByteSource } from '../image/tar/byte-source.js';
import { ByteBudget, detectCompression, fileCompression, openTarStream } from '../image/tar/compression.js';
import { BLOCK, checksumMatches } from '../image/tar/tar-header.js';
import { readTarMembers } from '../image/tar/tar-reader.js';
import { DEFAULT_ZIP_LIMITS, readZipJsonEntries, type ZipLimits } from './read-zip.js';

export interface ImportLimits extends ZipLimits {
  /** One JSON file given directly (the Debian tracker's JSON is ~70 MB and has to be parsed whole). */
  maxJsonFileBytes: number;
  maxFiles: number;
  maxDepth: number;
}

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  ...DEFAULT_ZIP_LIMITS,
  maxJsonFileBytes: 256 * 1024 * 1024,
  maxFiles: 1_000_000,
  maxDepth: 6,
};

export interface RawRecord {
  /** Where the record came from, for messages: "all.zip:DSA-5092-1.json", "dir/x.json[3]". */
  where: string;
  value: unknown;
}

export type InputKind = 'directory' | 'zip' | 'tar' | 'json';

/** A record, or a member that is not valid JSON (reported, never fatal by itself). */
export type InputItem = RawRecord | { where: string; error: string };

function* fromJsonText(text: string, where: string): Generator<InputItem> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    yield { where, error: 'not valid JSON' };
    return;
  }
  if (Array.isArray(v)) for (const [i, x] of v.entries()) yield { where: `${where}[${i}]`, value: x };
  else yield { where, value: v };
}

function readJsonFile(file: string, limits: ImportLimits): InputItem[] {
  const st = fs.lstatSync(file);
  if (!st.isFile()) return [{ where: file, error: 'not a regular file' }];
  if (st.size > limits.maxJsonFileBytes)
    return [
      {
        where: file,
        error: `${Math.round(st.size / 1048576)} MiB is larger than the ${limits.maxJsonFileBytes / 1048576} MiB a JSON input may be`,
      },
    ];
  return [...fromJsonText(fs.readFileSync(file, 'utf8'), file)];
}

/** *.json below dir, sorted, without following links, bounded in depth and count. */
function jsonFilesBelow(dir: string, limits: ImportLimits): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > limits.maxDepth)
      throw new InputError(`--from ${dir}: directories nested deeper than ${limits.maxDepth}`);
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name.endsWith('.json')) out.push(p);
      if (out.length > limits.maxFiles)
        throw new InputError(`--from ${dir}: more than ${limits.maxFiles} JSON files`);
    }
  };
  walk(dir, 0);
  return out;
}

async function* tarJsonMembers(file: string, limits: ImportLimits): AsyncGenerator<InputItem> {
  const budget = new ByteBudget(limits.maxTotalBytes + 1024 ** 3);
  const src: ByteSource =
    (await fileCompression(file)) === 'none'
      ? await FileSource.open(file)
      : new StreamSource(await openTarStream(file, { budget }));
  try {
    for await (const m of readTarMembers(src, {
      limits: { ...DEFAULT_LIMITS, maxEntries: limits.maxFiles, deadlineMs: 6 * 3600 * 1000 },
    })) {
      if (m.entry.type !== 'file' || !m.entry.path.endsWith('.json')) continue;
      const where = `${file}:${m.entry.path.slice(1)}`;
      if (m.dataSize > limits.maxEntryBytes) {
        yield { where, error: `larger than ${limits.maxEntryBytes} bytes` };
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const c of m.body()) chunks.push(c);
      yield* fromJsonText(Buffer.concat(chunks).toString('utf8'), where);
    }
  } finally {
    await src.close();
  }
}

export function inputKind(from: string): InputKind {
  let st: fs.Stats;
  try {
    st = fs.statSync(from);
  } catch {
    throw new InputError(`--from ${from}: does not exist`);
  }
  if (st.isDirectory()) return 'directory';
  if (!st.isFile()) throw new InputError(`--from ${from}: not a regular file or directory`);
  const fd = fs.openSync(from, 'r');
  const head = Buffer.alloc(512);
  const n = fs.readSync(fd, head, 0, 512, 0);
  fs.closeSync(fd);
  const magic = n >= 4 ? head.readUInt32LE(0) : 0;
  if (magic === 0x04034b50 || magic === 0x06054b50) return 'zip';
  const first = head.subarray(0, n).toString('latin1').trimStart()[0];
  if (first === '{' || first === '[') return 'json';
  // A tar archive: a valid first header, or a compressed stream (gzip, xz, zstd ...) the tar reader unpacks.
  const h = head.subarray(0, n);
  if ((h.length >= BLOCK && checksumMatches(h.subarray(0, BLOCK))) || detectCompression(h) !== 'none')
    return 'tar';
  throw new InputError(`--from ${from}: not a zip, tar or JSON file`);
}

/** Every record of the input, one at a time; errors of single members are items, not throws. */
export async function* readImportInput(
  from: string,
  limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
): AsyncGenerator<InputItem> {
  const kind = inputKind(from);
  if (kind === 'directory') {
    for (const f of jsonFilesBelow(from, limits))
      yield* readJsonFile(f, { ...limits, maxJsonFileBytes: limits.maxEntryBytes });
    return;
  }
  if (kind === 'zip') {
    for (const e of readZipJsonEntries(from, limits)) yield* fromJsonText(e.text, `${from}:${e.name}`);
    return;
  }
  if (kind === 'tar') {
    yield* tarJsonMembers(from, limits);
    return;
  }
  yield* readJsonFile(from, limits);
}
