// Picks the SQLite library the store opens its file with: better-sqlite3 where its native addon loads (npm
// installs on the Node it was built for), else Node's own node:sqlite (the single executable; a newer Node).
import { InputError } from '../../errors.js';
import { loadNodeSqlite, openNodeSqlite, type SqliteConnection } from './node-sqlite.js';

const firstLine = (e: unknown) =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]!
    .slice(0, 200);

export async function sqliteConnector(): Promise<{
  name: string;
  connect: (file: string) => SqliteConnection;
}> {
  let why: string;
  try {
    const { default: Database } = await import('better-sqlite3');
    // The addon loads at the first open (lib/database.js): tried once in memory, so a mismatch is seen here.
    new Database(':memory:').close();
    return { name: 'better-sqlite3', connect: (file) => new Database(file) as unknown as SqliteConnection };
  } catch (e) {
    why = firstLine(e);
  }
  const mod = await loadNodeSqlite();
  if (mod) return { name: 'node:sqlite', connect: (file) => openNodeSqlite(mod, file) };
  throw new InputError(
    `an SQLite store needs the npm package better-sqlite3 (here: ${why}) or Node 22.13 or later for node:sqlite; this is Node ${process.version}`,
  );
}
