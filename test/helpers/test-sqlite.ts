// An SQLite handle for tests that build or read database files (RPM databases, the fleet's raw tables):
// better-sqlite3 where its addon loads, else node:sqlite (the suite's run on Node 24), with blobs as Buffers.
import Database from 'better-sqlite3';

export interface TestSqlite {
  exec(sql: string): void;
  pragma(text: string): void;
  prepare(sql: string): { run(...p: unknown[]): unknown; all(...p: unknown[]): Record<string, unknown>[] };
  close(): void;
}

type NodeSqlite = {
  DatabaseSync: new (
    file: string,
    o?: { readOnly?: boolean },
  ) => {
    exec(sql: string): void;
    prepare(sql: string): { run(...p: unknown[]): unknown; all(...p: unknown[]): Record<string, unknown>[] };
    close(): void;
  };
};

const asBuffers = (r: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v) : v]));

export function openTestSqlite(file: string, opts: { readonly?: boolean } = {}): TestSqlite {
  try {
    const db = new Database(file, {
      readonly: opts.readonly === true,
      fileMustExist: opts.readonly === true,
    });
    return {
      exec: (sql) => void db.exec(sql),
      pragma: (t) => void db.pragma(t),
      prepare: (sql) => {
        const s = db.prepare(sql);
        return { run: (...p) => s.run(...p), all: (...p) => s.all(...p) as Record<string, unknown>[] };
      },
      close: () => db.close(),
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_DLOPEN_FAILED') throw e;
  }
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const mod = get?.('node:sqlite') as NodeSqlite | undefined;
  if (!mod) throw new Error('neither better-sqlite3 nor node:sqlite can open SQLite files on this Node');
  const db = new mod.DatabaseSync(file, { readOnly: opts.readonly === true });
  return {
    exec: (sql) => db.exec(sql),
    pragma: (t) => void db.prepare(`PRAGMA ${t}`).all(),
    prepare: (sql) => {
      const s = db.prepare(sql);
      return { run: (...p) => s.run(...p), all: (...p) => s.all(...p).map(asBuffers) };
    },
    close: () => db.close(),
  };
}
