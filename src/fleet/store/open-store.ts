// Opens the store a --db URL names: sqlite:PATH (the default kind) or postgres://...
import { InputError, UsageError } from '../../errors.js';
import { FleetReader } from './fleet-reader.js';
import { FleetStore } from './fleet-store.js';
import type { SqlDriver } from './sql-driver.js';

export interface StoreOptions {
  /** PostgreSQL: a file holding the password (else PGPASSWORD, else PGPASSFILE or ~/.pgpass). */
  passwordFile?: string;
  /** Told about database connection errors between requests (a restart): the server logs them. */
  onError?: (message: string) => void;
  /** A connection for the request path's reads only (SQLite: query_only; PostgreSQL: a pool of its own). */
  reader?: boolean;
}

/** The drivers are optional dependencies (compute nodes never need them): say which one is missing. */
async function load<T>(what: string, pkg: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (
      (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' ||
      (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ||
      /Could not locate the bindings file/.test(String(e))
    )
      throw new InputError(`${what} needs the npm package ${pkg}, which is not installed here`);
    throw e;
  }
}

export async function openDriver(url: string, opts: StoreOptions = {}): Promise<SqlDriver> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError('--db: not a postgres:// URL');
    }
    // A password in the URL would be in the process list (ps) and in shell history: refused, never logged.
    if (parsed.password)
      throw new UsageError(
        '--db: put the PostgreSQL password in --db-password-file, PGPASSWORD or PGPASSFILE, not in the URL (ps shows the command line)',
      );
    const { openPostgres } = await load('a PostgreSQL store', 'pg', () => import('./postgres-driver.js'));
    return openPostgres(url, {
      ...(opts.passwordFile ? { passwordFile: opts.passwordFile } : {}),
      ...(opts.onError ? { onError: opts.onError } : {}),
      ...(opts.reader ? { max: 4 } : {}),
    });
  }
  if (url.startsWith('sqlite:')) {
    const { openSqlite } = await load(
      'an SQLite store',
      'better-sqlite3@12',
      () => import('./sqlite-driver.js'),
    );
    return openSqlite(url.slice('sqlite:'.length), { reader: opts.reader === true });
  }
  throw new UsageError(`--db ${url.replace(/:[^:@/]*@/, ':***@')}: expected sqlite:PATH or postgres://...`);
}

export async function openStore(url: string, opts: StoreOptions = {}): Promise<FleetStore> {
  const store = new FleetStore(await openDriver(url, { ...opts, reader: false }));
  await store.migrate();
  return store;
}

/** The read side on its own connection: the request path of `fleet serve` (the store must be migrated already). */
export async function openReader(url: string, opts: StoreOptions = {}): Promise<FleetReader> {
  return new FleetReader(await openDriver(url, { ...opts, reader: true }));
}
