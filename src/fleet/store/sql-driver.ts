// The one port both databases implement: run, query, transaction. SQL is written with "?" placeholders.

export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs fn in one transaction: everything fn did is committed together or not at all. Resolves once the commit
   * is durable (it survives a power loss).
   */
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  /**
   * Like transaction, but resolves as soon as the commit is made (readers see it), with `durable`, which resolves
   * once it would survive a power loss (and rejects with a StorageError if that cannot be made sure). The group
   * commit runs its next batch meanwhile and answers this one's callers after `durable`. Absent where COMMIT
   * is durable by itself (PostgreSQL).
   */
  commitThenSync?<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<{ value: T; durable: Promise<void> }>;
  close(): Promise<void>;
}

/**
 * The database could not do its part (full disk, I/O error, connection lost, timeout): not the request's fault.
 * The server answers 503 with `message` and logs `code`; `transient` failures make the store back off before it
 * tries again; `retry` marks a transaction PostgreSQL aborted to break a deadlock, which is simply run again.
 */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly transient: boolean,
    readonly retry = false,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}
