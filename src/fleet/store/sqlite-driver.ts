// SQLite through better-sqlite3 (12.x: 13 needs Node 22): one file, WAL journal, nothing to install.
import Database from 'better-sqlite3';
import type { SqlDriver } from './sql-driver.js';

export function openSqlite(file: string): SqlDriver {
  const db = new Database(file);
  // WAL: readers never block the writer (sqlite.org/wal.html). synchronous=FULL syncs the WAL at every COMMIT, so an
  // acknowledged report survives a power loss too, not only a killed server (NORMAL would risk the last commits,
  // sqlite.org/pragma.html#pragma_synchronous); group commit in the store makes that one sync per batch.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // Checkpoint the WAL every ~40 MB instead of every 4 MB: each checkpoint syncs twice, and at thousands of
  // reports a second the default (1000 pages) checkpoints every few dozen reports (sqlite.org/wal.html#ckpt).
  db.pragma('wal_autocheckpoint = 10000');
  // A 64 MiB page cache keeps the indexes of 100,000 nodes in memory (the default is 2 MiB).
  db.pragma('cache_size = -65536');
  db.pragma('foreign_keys = ON');
  const stmts = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let s = stmts.get(sql);
    if (!s) {
      s = db.prepare(sql);
      if (stmts.size < 500) stmts.set(sql, s);
    }
    return s;
  };
  const driver: SqlDriver = {
    dialect: 'sqlite',
    async run(sql, params = []) {
      return prepare(sql).run(...params).changes;
    },
    async all<T>(sql: string, params: unknown[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
      // better-sqlite3 is synchronous; the callbacks here never yield to other work, so BEGIN/COMMIT is safe.
      db.exec('BEGIN IMMEDIATE');
      try {
        const r = await fn(driver);
        db.exec('COMMIT');
        return r;
      } catch (e) {
        db.exec('ROLLBACK');
        throw e;
      }
    },
    async close() {
      db.close();
    },
  };
  return driver;
}
