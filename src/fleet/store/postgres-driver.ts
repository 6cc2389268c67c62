// PostgreSQL through pg: a shared database for several servers, kept up through restarts, failovers and hangs.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { StorageError, type SqlDriver } from './sql-driver.js';

export interface PostgresOptions {
  /** A file holding the password (its first line): never the URL, which `ps` shows. */
  passwordFile?: string;
  max?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Told about connection errors that happened between queries (a restart, a failover): for the log. */
  onError?: (message: string) => void;
}

/** "?" placeholders to PostgreSQL's $1, $2, ... (no "?" appears inside our SQL literals). */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/**
 * SQLSTATE classes that mean the database, not the statement, failed (PostgreSQL manual, appendix A): 08
 * connection exception, 53 insufficient resources (53100 disk full), 57 operator intervention (57P01 admin
 * shutdown on a restart, 57014 statement timeout), 58 system error (I/O). 40001 and 40P01 abort a transaction
 * to resolve a conflict: it is run again.
 */
function storageError(e: unknown): unknown {
  if (e instanceof StorageError) return e;
  const code = String((e as { code?: unknown }).code ?? '');
  const message = (e as Error)?.message?.split('\n')[0] ?? String(e);
  if (code === '40001' || code === '40P01')
    return new StorageError(`the database aborted a transaction (${code}): ${message}`, code, false, true);
  const network = /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN|NOTFOUND)$/.test(
    code,
  );
  const dropped =
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Query read timeout|Client was closed/i.test(
      message,
    );
  if (/^(08|53|57|58)/.test(code) || network || dropped)
    return new StorageError(
      `the database is unavailable (${code || 'connection'}: ${message})`,
      code || 'connection',
      true,
    );
  return e;
}

/** libpq's password file (PGPASSFILE, else ~/.pgpass): host:port:database:user:password, "*" matches anything. */
export function passwordFromPassfile(
  file: string,
  want: { host: string; port: string; database: string; user: string },
): string | undefined {
  let text: string;
  try {
    const st = fs.statSync(file);
    // libpq ignores a password file that group or others can read (libpq-pgpass.html); so do we.
    if ((st.mode & 0o077) !== 0) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const fields: string[] = [];
    let cur = '';
    for (let i = 0; i < line.length; i++) {
      if (line[i] === '\\' && i + 1 < line.length) cur += line[++i];
      else if (line[i] === ':' && fields.length < 4) {
        fields.push(cur);
        cur = '';
      } else cur += line[i];
    }
    fields.push(cur);
    if (fields.length !== 5) continue;
    const [h, p, d, u, pw] = fields as [string, string, string, string, string];
    const match = (pattern: string, v: string) => pattern === '*' || pattern === v;
    if (match(h, want.host) && match(p, want.port) && match(d, want.database) && match(u, want.user))
      return pw;
  }
  return undefined;
}

function over(q: {
  query: (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;
}): Omit<SqlDriver, 'transaction' | 'close'> {
  return {
    dialect: 'postgres',
    async run(sql, params = []) {
      try {
        return (await q.query(numbered(sql), params)).rowCount ?? 0;
      } catch (e) {
        throw storageError(e);
      }
    },
    async all<T>(sql: string, params: unknown[] = []) {
      try {
        return (await q.query(numbered(sql), params)).rows as T[];
      } catch (e) {
        throw storageError(e);
      }
    },
  };
}

/**
 * The URL as pg itself reads it (pg-connection-string, which pg depends on: host, port, database, user, sslmode and
 * its certificate files), so that the password can be given as a function: a connectionString would set it to
 * the URL's (empty) password. Loaded beside pg, from this build or the bundle alike.
 */
function parseUrl(url: string): pg.PoolConfig {
  const here = typeof __filename === 'string' ? __filename : import.meta.url;
  const fromPg = createRequire(createRequire(here).resolve('pg'));
  const { parse } = fromPg('pg-connection-string') as { parse: (s: string) => Record<string, unknown> };
  const { password: _ignored, ...config } = parse(url);
  return config as pg.PoolConfig;
}

/**
 * pg-pool forgets a connection that failed to open (a refused login, say) without closing its socket, which then
 * keeps the process alive until PostgreSQL's authentication timeout: this client closes it.
 */
class ClosingClient extends pg.Client {}
const connect = pg.Client.prototype.connect as (this: pg.Client, cb?: (err: Error | null) => void) => unknown;
Object.defineProperty(ClosingClient.prototype, 'connect', {
  value(this: pg.Client, callback?: (err: Error | null) => void) {
    if (!callback) return connect.call(this);
    return connect.call(this, (err) => {
      if (err) this.end().catch(() => undefined);
      callback(err);
    });
  },
});

export function openPostgres(url: string, opts: PostgresOptions = {}): SqlDriver {
  const u = new URL(url);
  const statementTimeout = opts.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    Client: ClosingClient,
    ...parseUrl(url),
    max: opts.max ?? 8,
    // A server that does not answer within 10 s is down for this request: 503, not a request hung for minutes.
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    statement_timeout: statementTimeout,
    // The client stops waiting too, should the server never answer at all (a half-open connection, a hung
    // server): a little later than the server's own timeout, which keeps the connection usable when it fires.
    // A quarter of the timeout, 1 s to 5 s, so --db-timeout 2 gives up at 3 s, not 7.
    query_timeout: statementTimeout + Math.min(5_000, Math.max(1_000, statementTimeout / 4)),
    idle_in_transaction_session_timeout: 60_000,
    // TCP keepalive finds a connection whose peer vanished (failover, cable) while it sits idle in the pool.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'ctrsafe-fleet',
    // The password: a file the operator named, PGPASSWORD, or libpq's password file; never the URL.
    password: (async () => {
      if (opts.passwordFile) return fs.readFileSync(opts.passwordFile, 'utf8').split('\n')[0]!;
      if (process.env.PGPASSWORD) return process.env.PGPASSWORD;
      const file = process.env.PGPASSFILE ?? path.join(os.homedir(), '.pgpass');
      return passwordFromPassfile(file, {
        host: u.hostname,
        port: u.port || '5432',
        database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
        user: decodeURIComponent(u.username) || os.userInfo().username,
      });
      // pg accepts undefined here (no password: trust or peer authentication), though its type says string.
    }) as () => Promise<string>,
  });
  const report = (e: Error) => opts.onError?.(`PostgreSQL connection: ${e.message.split('\n')[0]}`);
  // An idle pooled connection that dies (57P01 when PostgreSQL restarts) is reported here; without a listener
  // Node would end the server ("Unhandled 'error' event"). The pool has already dropped that connection.
  pool.on('error', report);
  // A connection in use can fail too: the query in flight rejects, and this keeps the event from ending the process.
  pool.on('connect', (client) => client.on('error', report));
  const tx = async <T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw storageError(e);
    }
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const inner: SqlDriver = {
        ...over(client),
        transaction: () => Promise.reject(new Error('nested transaction')),
        async close() {},
      };
      const r = await fn(inner);
      await client.query('COMMIT');
      return r;
    } catch (e) {
      broken = storageError(e);
      await client.query('ROLLBACK').catch(() => undefined);
      throw broken;
    } finally {
      // A connection that failed goes, it does not return to the pool.
      client.release(broken instanceof StorageError && broken.transient ? (broken as Error) : undefined);
    }
  };
  return {
    ...over(pool),
    transaction: tx,
    close: () => pool.end(),
  };
}
