// Opens the store a --db URL names: sqlite:PATH (the default kind) or postgres://...
import { InputError, UsageError } from '../../errors.js';
import { FleetReader } from './fleet-reader.js';
import { FleetStore } from './fleet-store.js';
import { StorageError, type SqlDriver } from './sql-driver.js';

export interface StoreOptions {
  /** PostgreSQL: a file holding the password (else PGPASSWORD, else PGPASSFILE or ~/.pgpass). */
  passwordFile?: string;
  /** Told about database connection errors between requests (a restart): the server logs them. */
  onError?: (message: string) => void;
  /** A connection for the request path's reads only (SQLite: query_only; PostgreSQL: a pool of its own). */
  reader?: boolean;
  /** PostgreSQL: how long a statement may run, and a connection may take to open (at most 10 s), in ms. */
  timeoutMs?: number;
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
      ...(opts.timeoutMs
        ? { statementTimeoutMs: opts.timeoutMs, connectTimeoutMs: Math.min(opts.timeoutMs, 10_000) }
        : {}),
    });
  }
  if (url.startsWith('sqlite:')) {
    const { openSqlite } = await import('./sqlite-driver.js');
    const { sqliteConnector } = await import('./sqlite-connection.js');
    const { connect } = await sqliteConnector();
    return openSqlite(url.slice('sqlite:'.length), connect, { reader: opts.reader === true });
  }
  throw new UsageError(`--db ${url.replace(/:[^:@/]*@/, ':***@')}: expected sqlite:PATH or postgres://...`);
}

/** A database that cannot be opened is the operator's to fix: one line saying why, and nothing left running. */
function openingError(e: unknown): unknown {
  const code = String((e as { code?: unknown }).code ?? '');
  const message = (e as Error)?.message?.split('\n')[0] ?? String(e);
  if (code.startsWith('28') || /client password must be a string|password authentication/i.test(message))
    return new InputError(
      `--db: PostgreSQL refused the login (${code || message}); give the password with --db-password-file, PGPASSWORD or PGPASSFILE`,
    );
  if (e instanceof StorageError) return new InputError(`--db: ${message}`);
  return e;
}

export async function openStore(url: string, opts: StoreOptions = {}): Promise<FleetStore> {
  const driver = await openDriver(url, { ...opts, reader: false });
  const store = new FleetStore(driver);
  try {
    await store.migrate();
  } catch (e) {
    await driver.close().catch(() => undefined);
    throw openingError(e);
  }
  return store;
}

/** The read side on its own connection: the request path of `fleet serve` (the store must be migrated already). */
export async function openReader(url: string, opts: StoreOptions = {}): Promise<FleetReader> {
  return new FleetReader(await openDriver(url, { ...opts, reader: true }));
}
