// Reads OSV records for `db update --from`: a directory of JSON files, a zip of an OSV export, or one JSON file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { readZipJsonEntries } from './read-zip.js';

const MAX_JSON_BYTES = 64 * 1024 * 1024;
const MAX_FILES = 200000;

export interface RawRecord {
  where: string;
  value: unknown;
}

function parseJson(text: string, where: string, out: RawRecord[], errors: string[]): void {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    errors.push(`${where}: not valid JSON`);
    return;
  }
  if (Array.isArray(v)) v.forEach((x, i) => out.push({ where: `${where}[${i}]`, value: x }));
  else out.push({ where, value: v });
}

function readJsonFile(file: string, out: RawRecord[], errors: string[]): void {
  const st = fs.statSync(file);
  if (!st.isFile()) {
    errors.push(`${file}: not a regular file`);
    return;
  }
  if (st.size > MAX_JSON_BYTES) {
    errors.push(`${file}: ${Math.round(st.size / 1048576)} MiB is larger than the 64 MiB a JSON input may be`);
    return;
  }
  parseJson(fs.readFileSync(file, 'utf8'), file, out, errors);
}

export function readOsvInput(from: string): { records: RawRecord[]; errors: string[] } {
  let st: fs.Stats;
  try {
    st = fs.statSync(from);
  } catch {
    throw new InputError(`--from ${from}: does not exist`);
  }
  const records: RawRecord[] = [];
  const errors: string[] = [];
  if (st.isDirectory()) {
    const names = fs.readdirSync(from).filter((n) => n.endsWith('.json'));
    if (names.length > MAX_FILES) throw new InputError(`--from ${from}: more than ${MAX_FILES} JSON files`);
    for (const n of names.sort()) readJsonFile(path.join(from, n), records, errors);
    return { records, errors };
  }
  const fd = fs.openSync(from, 'r');
  const magic = Buffer.alloc(4);
  fs.readSync(fd, magic, 0, 4, 0);
  fs.closeSync(fd);
  if (magic.readUInt32LE(0) === 0x04034b50 || magic.readUInt32LE(0) === 0x06054b50) {
    for (const e of readZipJsonEntries(from)) parseJson(e.text, `${from}:${e.name}`, records, errors);
    return { records, errors };
  }
  readJsonFile(from, records, errors);
  return { records, errors };
}
