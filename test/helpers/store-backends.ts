// The fleet store's two backends for a test file: a fresh SQLite file, and, where the test command started a
// PostgreSQL (CTRSAFE_TEST_PG), a database of the file's own, so files running side by side never meet each other's
// resets (the contract suite resets the shared database's schema).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type StoreBackend = [name: 'sqlite' | 'postgres', url: () => Promise<string>];

/** `database` names the PostgreSQL database this file owns (dropped and made anew on each call). */
export function storeBackends(database: string): StoreBackend[] {
  const pgUrl = process.env.CTRSAFE_TEST_PG;
  const backends: StoreBackend[] = [
    [
      'sqlite',
      async () => `sqlite:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), `${database}-`)), 'fleet.db')}`,
    ],
  ];
  if (pgUrl)
    backends.push([
      'postgres',
      async () => {
        const pg = (await import('pg')).default;
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${database}`);
        await c.query(`CREATE DATABASE ${database}`);
        await c.end();
        const u = new URL(pgUrl);
        u.pathname = `/${database}`;
        return u.toString();
      },
    ]);
  return backends;
}
