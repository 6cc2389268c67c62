// Loads advisory records: the database built into ctrsafe, or a directory of OSV files given with --advisories.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { mergeAdvisories, mergeDistroSources, readStore } from './advisory-store.js';
import { parseAdvisory, type Advisory } from './advisory.js';
import { ADVISORY_JSON, DISTRO_FIX_JSON } from './database.generated.js';
import { unpackDistroFixSource, type DistroFixSource, type PackedDistroFixSource } from './distro-fix.js';

const MAX_FILES = 20000;
const MAX_FILE_BYTES = 1024 * 1024;

export interface AdvisorySet {
  advisories: Advisory[];
  /** The distributions' own verdicts per source package and release (advisories/distro/). */
  distro: DistroFixSource[];
  source: string;
  problems: string[];
}

/**
 * The records built into ctrsafe were validated when they were shipped (test/advisories/advisories.test.ts runs
 * parseAdvisory on every file), so they are only reshaped here: this runs on every check.
 */
export function loadBuiltinAdvisories(): AdvisorySet {
  const raw = JSON.parse(ADVISORY_JSON) as (Omit<Advisory, 'ctrsafe'> & {
    database_specific: { ctrsafe: Advisory['ctrsafe'] };
  })[];
  const advisories = raw.map(({ database_specific, ...rest }) => ({
    ...rest,
    aliases: rest.aliases ?? [],
    references: rest.references ?? [],
    ctrsafe: {
      ...database_specific.ctrsafe,
      preconditions: database_specific.ctrsafe.preconditions ?? {},
      unconfirmed: database_specific.ctrsafe.unconfirmed ?? [],
    },
  }));
  // Validated when shipped (test/advisories/distro-fix.test.ts), like the records; rows are parsed per release
  // when the matcher asks for them.
  const distro = (JSON.parse(DISTRO_FIX_JSON) as PackedDistroFixSource[]).map(unpackDistroFixSource);
  return { advisories, distro, source: `built-in database (${advisories.length} advisories)`, problems: [] };
}

/** Reads every *.json below dir (one OSV record per file), bounded in count and size; bad files are reported, not fatal. */
export function loadAdvisoryDir(dir: string): AdvisorySet {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch (e) {
    throw new InputError(
      `--advisories ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message.split('\n')[0]}`,
    );
  }
  if (names.length > MAX_FILES) throw new InputError(`--advisories ${dir}: more than ${MAX_FILES} files`);
  const advisories: Advisory[] = [];
  const problems: string[] = [];
  for (const n of names.sort()) {
    const p = path.join(dir, n);
    try {
      const st = fs.lstatSync(p);
      if (!st.isFile()) {
        problems.push(`${p}: not a regular file`);
        continue;
      }
      if (st.size > MAX_FILE_BYTES) {
        problems.push(`${p}: larger than 1 MiB`);
        continue;
      }
      const parsed = parseAdvisory(JSON.parse(fs.readFileSync(p, 'utf8')));
      if (parsed.ok) advisories.push(parsed.advisory);
      else problems.push(`${p}: ${parsed.reason}`);
    } catch (e) {
      problems.push(
        `${p}: ${e instanceof SyntaxError ? 'not valid JSON' : (e as Error).message.split('\n')[0]}`,
      );
    }
  }
  return { advisories, distro: [], source: `${dir} (${advisories.length} advisories)`, problems };
}

/** The built-in records, overlaid by what `ctrsafe db update` imported into dir. */
export function loadDatabase(dir: string): AdvisorySet {
  const builtin = loadBuiltinAdvisories();
  const store = readStore(dir);
  if (!store) return builtin;
  return {
    advisories: mergeAdvisories(builtin.advisories, store.advisories),
    distro: mergeDistroSources(builtin.distro, store.distro),
    source: `built-in database (${builtin.advisories.length}) + ${store.advisories.length} imported into ${dir}`,
    problems: [...builtin.problems, ...store.problems],
  };
}
