// PostgreSQL through pg: a shared, highly available database where a site wants one.
import pg from 'pg';
import type { SqlDriver } from './sql-driver.js';

/** "?" placeholders to PostgreSQL's $1, $2, ... (no "?" appears inside our SQL literals). */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

function over(
  q: { query: (sql: string, params?: unknown[]) => Promise<pg.QueryResult> },
  dialectTx: (fn: (tx: SqlDriver) => Promise<unknown>) => Promise<unknown>,
): SqlDriver {
  return {
    dialect: 'postgres',
    async run(sql, params = []) {
      return (await q.query(numbered(sql), params)).rowCount ?? 0;
    },
    async all<T>(sql: string, params: unknown[] = []) {
      return (await q.query(numbered(sql), params)).rows as T[];
    },
    transaction: dialectTx as SqlDriver['transaction'],
    async close() {},
  };
}

export function openPostgres(url: string): SqlDriver {
  const pool = new pg.Pool({ connectionString: url, max: 8, statement_timeout: 30000 });
  const tx = async <T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const inner = over(client, () => Promise.reject(new Error('nested transaction')));
      const r = await fn(inner);
      await client.query('COMMIT');
      return r;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  };
  const d = over(pool, tx as (fn: (tx: SqlDriver) => Promise<unknown>) => Promise<unknown>);
  return { ...d, close: () => pool.end() };
}
