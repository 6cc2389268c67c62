// Opens the store a --db URL names: sqlite:PATH (the default kind) or postgres://...
import { InputError, UsageError } from '../../errors.js';
import { FleetStore } from './fleet-store.js';

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

export async function openStore(url: string): Promise<FleetStore> {
  let store: FleetStore;
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgres } = await load('a PostgreSQL store', 'pg', () => import('./postgres-driver.js'));
    store = new FleetStore(openPostgres(url));
  } else if (url.startsWith('sqlite:')) {
    const { openSqlite } = await load(
      'an SQLite store',
      'better-sqlite3@12',
      () => import('./sqlite-driver.js'),
    );
    store = new FleetStore(openSqlite(url.slice('sqlite:'.length)));
  } else throw new UsageError(`--db ${url}: expected sqlite:PATH or postgres://...`);
  await store.migrate();
  return store;
}
