// SQLite through Node's own node:sqlite (Node >= 22.13 without a flag), shaped as the part of better-sqlite3 the
// store uses: where better-sqlite3's native addon cannot load (the single executable, a Node it was not built
// for), the fleet server still opens its database, with the same SQLite file format and pragmas.
/** The subset of better-sqlite3's Database the SQLite driver uses. */
export interface SqliteConnection {
  pragma(text: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): {
    run(...params: unknown[]): { changes: number | bigint };
    all(...params: unknown[]): unknown[];
  };
  readonly inTransaction: boolean;
  close(): void;
}

interface NodeSqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): {
    run(...params: unknown[]): { changes: number | bigint };
    all(...params: unknown[]): unknown[];
  };
  readonly isTransaction?: boolean;
  close(): void;
}

/**
 * SQLite's primary result codes by number (sqlite.org/rescode.html), for the names better-sqlite3 gives its errors
 * ("SQLITE_FULL") and the driver's storage-failure test reads.
 */
const RESULT_NAMES: Record<number, string> = {
  1: 'ERROR',
  2: 'INTERNAL',
  3: 'PERM',
  4: 'ABORT',
  5: 'BUSY',
  6: 'LOCKED',
  7: 'NOMEM',
  8: 'READONLY',
  9: 'INTERRUPT',
  10: 'IOERR',
  11: 'CORRUPT',
  12: 'NOTFOUND',
  13: 'FULL',
  14: 'CANTOPEN',
  15: 'PROTOCOL',
  17: 'SCHEMA',
  18: 'TOOBIG',
  19: 'CONSTRAINT',
  20: 'MISMATCH',
  21: 'MISUSE',
  23: 'AUTH',
  25: 'RANGE',
  26: 'NOTADB',
};

/** node:sqlite errors carry the extended result code as a number (errcode): named as better-sqlite3 names them. */
function named(e: unknown): unknown {
  const errcode = (e as { errcode?: unknown }).errcode;
  if (typeof errcode !== 'number') return e;
  const name = RESULT_NAMES[errcode & 0xff];
  if (name) Object.defineProperty(e, 'code', { value: `SQLITE_${name}`, configurable: true });
  return e;
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw named(e);
  }
}

type NodeSqliteModule = { DatabaseSync: new (file: string) => NodeSqliteDatabase };

/** node:sqlite, or null on a Node without it (20, and 22 before 22.13 without --experimental-sqlite). */
export async function loadNodeSqlite(): Promise<NodeSqliteModule | null> {
  try {
    // A specifier in a variable: bundlers leave it to Node at run time.
    const name = 'node:sqlite';
    return (await import(name)) as NodeSqliteModule;
  } catch {
    return null;
  }
}

export function openNodeSqlite(mod: NodeSqliteModule, file: string): SqliteConnection {
  const { DatabaseSync } = mod;
  const db = guard(() => new DatabaseSync(file));
  return {
    pragma: (text) => guard(() => db.prepare(`PRAGMA ${text}`).all()),
    exec: (sql) => guard(() => db.exec(sql)),
    prepare(sql) {
      const s = guard(() => db.prepare(sql));
      return {
        run: (...params) => guard(() => s.run(...params)),
        // node:sqlite's rows have a null prototype; the store and its callers expect plain objects, as
        // better-sqlite3 gives them (assert.deepStrictEqual, spread, JSON all see the difference).
        all: (...params) => guard(() => s.all(...params).map((r) => ({ ...(r as object) }))),
      };
    },
    get inTransaction() {
      return db.isTransaction === true;
    },
    close: () => db.close(),
  };
}
