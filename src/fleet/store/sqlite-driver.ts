// SQLite through better-sqlite3 (12.x: 13 needs Node 22), or Node's own node:sqlite where its addon cannot load
// (sqlite-connection.ts picks one): one file, WAL journal, nothing to install.
import * as fs from 'node:fs';
import type { SqliteConnection } from './node-sqlite.js';
import { StorageError, type SqlDriver } from './sql-driver.js';
import { coalesced, walSync, type SyncWrites } from './wal-sync.js';

/**
 * SQLite result codes that mean the storage failed, not the statement (sqlite.org/rescode.html): a full disk, an
 * I/O error, a read-only or unopenable file, a damaged database, another process holding the lock too long.
 */
const STORAGE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|BUSY|LOCKED|NOMEM|PROTOCOL|PERM)/;

function storageError(e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || !STORAGE.test(code)) return e;
  return new StorageError(
    `the database could not be written (${code}: ${(e as Error).message.split('\n')[0]})`,
    code,
    true,
  );
}

/** Runs fn, turning SQLite's storage failures into StorageError (the server answers those 503). */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw storageError(e);
  }
}

/**
 * The database holds every node's security state and the token hashes: only its owner may read it. The file is
 * created 0600 before SQLite opens it, and SQLite gives the -wal and -shm files the database file's permissions
 * (os_unix.c, findCreateFileMode); an existing file readable by others is made private, and the caller is told.
 */
export function privateDatabaseFile(file: string): string[] {
  const fixed: string[] = [];
  if (file === ':memory:' || file === '') return fixed;
  try {
    fs.closeSync(
      fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600),
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(f);
    } catch {
      continue;
    }
    if (st.isFile() && (st.mode & 0o077) !== 0) {
      fs.chmodSync(f, st.mode & 0o700);
      fixed.push(f);
    }
  }
  return fixed;
}

/** A sync that failed: what was committed may not be on the disk (the store refuses writes until a restart). */
function syncError(e: unknown): StorageError {
  if (e instanceof StorageError) return e;
  const code = String((e as NodeJS.ErrnoException).code ?? 'EIO');
  return new StorageError(
    `the database could not be synced to disk (${code}: ${(e as Error).message.split('\n')[0]})`,
    code,
    true,
  );
}

/**
 * The writer (the default), or a reader that can never write (the server's request path: query_only). `sync`
 * replaces the WAL's fdatasync (tests hold it, or make it fail).
 */
export function openSqlite(
  file: string,
  connect: (file: string) => SqliteConnection,
  opts: { reader?: boolean; sync?: SyncWrites } = {},
): SqlDriver {
  if (!opts.reader) privateDatabaseFile(file);
  const db = guarded(() => connect(file));
  const memory = file === ':memory:' || file === '';
  const sync = coalesced(opts.sync ?? (memory ? () => Promise.resolve() : walSync(file)));
  if (opts.reader) db.pragma('query_only = ON');
  else {
    // WAL: readers never block the writer (sqlite.org/wal.html). An acknowledged report must survive a power loss,
    // not only a killed server. synchronous=FULL would fsync the WAL inside every COMMIT, and the writer thread
    // would wait there (a third of its time at 32 reports in flight). With NORMAL, SQLite syncs only around
    // checkpoints and when it reuses the WAL (its header) (sqlite.org/pragma.html#pragma_synchronous); the driver
    // syncs the WAL itself after each COMMIT, in libuv's thread pool, while the next batch runs
    // (commitThenSync), and the store acknowledges a batch only once that sync is done: the same guarantee,
    // off the writer's path.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Checkpoint the WAL every ~40 MB instead of every 4 MB: each checkpoint syncs twice, and at thousands of
    // reports a second the default (1000 pages) checkpoints every few dozen reports (sqlite.org/wal.html#ckpt).
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('foreign_keys = ON');
  }
  db.pragma('busy_timeout = 5000');
  // A 64 MiB page cache keeps the indexes of 100,000 nodes in memory (the default is 2 MiB).
  db.pragma('cache_size = -65536');
  const stmts = new Map<string, ReturnType<SqliteConnection['prepare']>>();
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
      return guarded(() => Number(prepare(sql).run(...params).changes));
    },
    async all<T>(sql: string, params: unknown[] = []) {
      return guarded(() => prepare(sql).all(...params) as T[]);
    },
    async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
      const { value, durable } = await driver.commitThenSync!(fn);
      await durable;
      return value;
    },
    async commitThenSync<T>(fn: (tx: SqlDriver) => Promise<T>) {
      // better-sqlite3 is synchronous; the store runs one write transaction at a time on this connection.
      guarded(() => db.exec('BEGIN IMMEDIATE'));
      try {
        const value = await fn(driver);
        guarded(() => db.exec('COMMIT'));
        // Started after the COMMIT returned: the sync covers it.
        const durable = sync().catch((e: unknown) => Promise.reject(syncError(e)));
        // Whoever awaits it sees a failure; nobody waiting is no unhandled rejection.
        durable.catch(() => undefined);
        return { value, durable };
      } catch (e) {
        // A failed COMMIT (full disk) may have ended the transaction already.
        try {
          if (db.inTransaction) db.exec('ROLLBACK');
        } catch {
          // SQLite rolls back by itself when the connection cannot (sqlite.org/lang_transaction.html).
        }
        throw e;
      }
    },
    async close() {
      db.close();
    },
  };
  return driver;
}
