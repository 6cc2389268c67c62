// Ingests reports that nodes wrote to a shared file system: every *.json in a directory, bounded, idempotent.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import type { FleetStore } from './store/fleet-store.js';
import { MAX_REPORT_BYTES, validateReport } from './validate-report.js';

export interface IngestSummary {
  stored: number;
  duplicates: number;
  older: number;
  invalid: { file: string; reason: string }[];
}

const MAX_FILES = 1_000_000;

export async function ingestDirectory(
  store: FleetStore,
  dir: string,
  now: () => number = Date.now,
): Promise<IngestSummary> {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch (e) {
    throw new InputError(
      `${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message.split('\n')[0]}`,
    );
  }
  if (names.length > MAX_FILES) throw new InputError(`${dir}: more than ${MAX_FILES} report files`);
  const out: IngestSummary = { stored: 0, duplicates: 0, older: 0, invalid: [] };
  for (const n of names.sort()) {
    const file = path.join(dir, n);
    let raw: unknown;
    try {
      const st = fs.lstatSync(file);
      if (!st.isFile()) throw new Error('not a regular file');
      if (st.size > MAX_REPORT_BYTES) throw new Error(`larger than ${MAX_REPORT_BYTES} bytes`);
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      out.invalid.push({
        file,
        reason: e instanceof SyntaxError ? 'not valid JSON' : (e as Error).message.split('\n')[0]!,
      });
      continue;
    }
    const v = validateReport(raw);
    if (!v.ok) {
      out.invalid.push({ file, reason: v.reason });
      continue;
    }
    const r = await store.ingest(v.report, now());
    if (r.note === 'duplicate') out.duplicates++;
    else if (r.note === 'older') out.older++;
    else out.stored++;
  }
  return out;
}
