// Opens the store a --db URL names: sqlite:PATH (the default kind) or postgres://...
import { UsageError } from '../../errors.js';
import { FleetStore } from './fleet-store.js';

export async function openStore(url: string): Promise<FleetStore> {
  let store: FleetStore;
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgres } = await import('./postgres-driver.js');
    store = new FleetStore(openPostgres(url));
  } else if (url.startsWith('sqlite:')) {
    const { openSqlite } = await import('./sqlite-driver.js');
    store = new FleetStore(openSqlite(url.slice('sqlite:'.length)));
  } else throw new UsageError(`--db ${url}: expected sqlite:PATH or postgres://...`);
  await store.migrate();
  return store;
}
