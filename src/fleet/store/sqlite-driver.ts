// SQLite through better-sqlite3 (12.x: 13 needs Node 22): one file, WAL journal, nothing to install.
import Database from 'better-sqlite3';
import type { SqlDriver } from './sql-driver.js';

export function openSqlite(file: string): SqlDriver {
  const db = new Database(file);
  // WAL: readers never block the writer, and a crash loses no committed transaction (sqlite.org/wal.html).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
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
