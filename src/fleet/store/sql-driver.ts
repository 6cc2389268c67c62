// The one port both databases implement: run, query, transaction. SQL is written with "?" placeholders.

export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs fn in one transaction: everything fn did is committed together or not at all. */
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
