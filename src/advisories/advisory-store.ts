// The local advisory database that `ctrsafe db update` maintains: imported records beside the built-in ones.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { parseAdvisory, type Advisory } from './advisory.js';

export interface StoreMeta {
  schema: 'ctrsafe.advisory-store/1';
  updated_at: string;
  imports: { at: string; from: string; added: number; updated: number; unchanged: number; skipped: number }[];
}

const MAX_STORE_BYTES = 512 * 1024 * 1024;

/** CTRSAFE_DB, else /var/lib/ctrsafe for root and $XDG_DATA_HOME/ctrsafe (~/.local/share/ctrsafe) for users. */
export function defaultStoreDir(env: NodeJS.ProcessEnv): string {
  if (env.CTRSAFE_DB) return env.CTRSAFE_DB;
  if (process.getuid?.() === 0) return '/var/lib/ctrsafe';
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local/share'), 'ctrsafe');
}

export function readStore(dir: string): { advisories: Advisory[]; meta: StoreMeta; problems: string[] } | null {
  const file = path.join(dir, 'advisories.json');
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return null;
  }
  if (!st.isFile() || st.size > MAX_STORE_BYTES) return { advisories: [], meta: emptyMeta(), problems: [`${file}: not a regular file of at most 512 MiB`] };
  const problems: string[] = [];
  let raw: unknown;
  let meta = emptyMeta();
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as StoreMeta;
    if (m && m.schema === 'ctrsafe.advisory-store/1' && Array.isArray(m.imports)) meta = m;
  } catch (e) {
    return { advisories: [], meta, problems: [`${dir}: ${(e as Error).message.split('\n')[0]}`] };
  }
  const advisories: Advisory[] = [];
  for (const r of Array.isArray(raw) ? raw : []) {
    const p = parseAdvisory(r);
    if (p.ok) advisories.push(p.advisory);
    else problems.push(`${file}: ${(r as { id?: string }).id ?? '?'}: ${p.reason}`);
  }
  return { advisories, meta, problems };
}

function emptyMeta(): StoreMeta {
  return { schema: 'ctrsafe.advisory-store/1', updated_at: new Date(0).toISOString(), imports: [] };
}

/** Advisory back to its OSV form, so the store holds plain OSV records. */
export function toOsv(a: Advisory): Record<string, unknown> {
  const { ctrsafe, ...rest } = a;
  return { schema_version: '1.6.0', ...rest, database_specific: { ctrsafe } };
}

/** Writes both files through temporary names and renames, so a crash leaves the old database whole. */
export function writeStore(dir: string, advisories: Advisory[], meta: StoreMeta): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const put = (name: string, body: string) => {
    const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, body, { mode: 0o644 });
    fs.renameSync(tmp, path.join(dir, name));
  };
  put('advisories.json', JSON.stringify(advisories.map(toOsv)) + '\n');
  put('meta.json', JSON.stringify(meta, null, 2) + '\n');
}

/** Built-in records overlaid by imported ones: an imported record replaces a built-in one of the same id. */
export function mergeAdvisories(builtin: readonly Advisory[], imported: readonly Advisory[]): Advisory[] {
  const byId = new Map(builtin.map((a) => [a.id, a]));
  for (const a of imported) byId.set(a.id, a);
  return [...byId.values()];
}

export function ensureWritableDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    throw new InputError(`database directory ${dir}: ${(e as Error).message.split('\n')[0]} (set CTRSAFE_DB or --db DIR)`);
  }
}

/** The newest published/modified date among records: how old the database's knowledge is. */
export function newestRecordDate(advisories: readonly Advisory[]): Date | null {
  let best = 0;
  for (const a of advisories) {
    for (const d of [a.modified, a.published]) {
      const t = d ? Date.parse(d) : NaN;
      if (!Number.isNaN(t) && t > best) best = t;
    }
  }
  return best > 0 ? new Date(best) : null;
}
