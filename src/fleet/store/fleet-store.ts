// The fleet store: one implementation over either database driver: idempotent ingest, latest state, counters, identity.
import type { NodeReport } from '../validate-report.js';
import { migrate } from './migrations.js';
import {
  countDeltas,
  encodeState,
  filterColumns,
  mergeDeltas,
  viewColumn,
  type CountDelta,
} from './node-state.js';
import {
  decideEnrolment,
  enrolNode,
  recordAudit,
  rekeyNode,
  revokeNode,
  type AuditEvent,
  type EnrolOutcome,
  type ReenrolPolicy,
} from './node-identity.js';
import { GroupCommit } from './group-commit.js';
import {
  derive,
  ingestReports,
  loadStates,
  multiRow,
  reportItem,
  ROWS_PER_STATEMENT,
  writeNodeActions,
  type BatchWrites,
  type IngestResult,
  type ReportItem,
} from './ingest-batch.js';
import { StorageError, type SqlDriver } from './sql-driver.js';
import { FleetReader } from './fleet-reader.js';
import { rollUp, utcDay } from './daily-rollups.js';

export type { IngestResult } from './ingest-batch.js';
export type { NodeQuery } from './fleet-reader.js';

/** Refused at once while the store backs off after a storage failure (answered 503). */
const down = () => new StorageError('the database is unavailable; retrying shortly', 'backoff', true);

/** At most this many reports share a transaction: bounds the time one COMMIT keeps callers waiting. */
const MAX_BATCH = 256;

/** Waits after a storage failure before the next try (doubling up to the last): reconnect with backoff. */
const BACKOFF_MS = [100, 200, 500, 1000, 2000, 5000];

/** The day's roll-up is refreshed after a batch at most this often (and always when the day changes). */
const ROLLUP_EVERY_MS = 60_000;

/** A report body above this many bytes is stored in a transaction of its own (it holds up no other's commit). */
const LARGE_REPORT = 1024 * 1024;

export class FleetStore extends FleetReader {
  /** Write transactions one at a time: on SQLite they share one connection. */
  private writing: Promise<unknown> = Promise.resolve();
  /** After a storage failure, new writes are refused at once until this time (then one batch tries again). */
  private downUntil = 0;
  private failures = 0;
  /** Set when a sync failed (writeThenSync). */
  private broken: StorageError | null = null;
  /** Action keys known to be stored (bounded). */
  private readonly knownActions = new Set<string>();
  private knownSince = Date.now();
  /** This process's last roll-up (daily-rollups.ts): when, and into which day. */
  private rolled = { at: 0, day: '' };

  private readonly batches = new GroupCommit<BatchWrites, ReportItem>({
    transaction: (fn) => this.retrying(() => this.writeThenSync(fn)),
    bulk: (tx, items, part) => ingestReports(tx, items, this.knownActions, part),
    context: () => ({ deltas: [], actions: [], stored: 0, day: null, rolled: null }),
    merge: (into, part) => {
      into.deltas.push(...part.deltas);
      into.actions.push(...part.actions);
      into.stored += part.stored;
      into.day ??= part.day;
    },
    finish: async (tx, b) => {
      const now = Date.now();
      const today = utcDay(now);
      // The first batch of a new day closes the day before with the counters as they stood before it.
      if (this.rolled.day && this.rolled.day < today) await rollUp(tx, this.rolled.day);
      await this.writeCounts(tx, b.deltas);
      if (this.rolled.day !== today || now - this.rolled.at >= ROLLUP_EVERY_MS) {
        await rollUp(tx, today);
        b.rolled = { at: now, day: today };
      }
      if (b.stored)
        await tx.run(
          'INSERT INTO daily_rollups (day, metric, value) VALUES (?, ?, ?) ON CONFLICT (day, metric) DO UPDATE SET value = daily_rollups.value + excluded.value',
          [b.day, 'reports', b.stored],
        );
    },
    committed: (b) => {
      if (b.rolled) this.rolled = b.rolled;
      // Forgotten every hour: another server's prune may have removed an action this one remembers as stored.
      if (Date.now() - this.knownSince > 3600_000) {
        this.knownActions.clear();
        this.knownSince = Date.now();
      }
      if (this.knownActions.size < 200_000) for (const k of b.actions) this.knownActions.add(k);
    },
    maxBatch: MAX_BATCH,
  });

  constructor(db: SqlDriver) {
    super(db);
  }

  /** Writes waiting for their transaction: the server refuses more reports (503) past its bound. */
  get waiting(): number {
    return this.batches.waiting;
  }

  /** Fails at once while the database is known to be down (backoff), else joins the next transaction. */
  private batched<T>(key: string, run: (tx: SqlDriver) => Promise<T>): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    return Date.now() < this.downUntil ? Promise.reject(down()) : this.batches.submit(key, run);
  }

  /**
   * Brings the schema up to date; a database from before the current layout (4), the runtime verdicts (6) or the
   * GPU and RDMA readiness (8) gets its derived rows rebuilt from the stored reports.
   */
  async migrate(): Promise<number> {
    const { from, to } = await migrate(this.db);
    if (from > 0 && from < 8) await this.rebuildDerived();
    return to;
  }

  /** Runs fn in a write transaction, after every earlier one; fails fast while the database is known to be down. */
  write<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return this.writeThenSync(fn).then(async (r) => {
      await r.durable;
      return r.value;
    });
  }

  /**
   * write, resolved once committed, with the promise of durability (sql-driver.ts, commitThenSync): the next
   * transaction may start before this one is synced. A failed sync leaves the store broken: what was committed
   * may not be on the disk, and writing more after it would not make that sure (Linux may forget the failed
   * pages; PostgreSQL stops for the same reason), so every later write is refused until the server restarts and
   * SQLite recovers from what the disk holds.
   */
  private writeThenSync<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<{ value: T; durable: Promise<void> }> {
    const run = async () => {
      if (this.broken) throw this.broken;
      if (Date.now() < this.downUntil) throw down();
      try {
        const r = this.db.commitThenSync
          ? await this.db.commitThenSync(fn)
          : { value: await this.db.transaction(fn), durable: Promise.resolve() };
        this.failures = 0;
        r.durable.catch((e: unknown) => {
          this.broken ??= new StorageError(
            `${(e as Error).message}; nothing more is written until the server restarts`,
            e instanceof StorageError ? e.code : 'sync',
            true,
          );
        });
        return r;
      } catch (e) {
        if (e instanceof StorageError && e.transient) {
          this.downUntil = Date.now() + BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]!;
          this.failures++;
        }
        throw e;
      }
    };
    const p = this.writing.then(run, run);
    this.writing = p.catch(() => undefined);
    return p;
  }

  /**
   * Moves the fleet counters once per batch, in multi-row statements; counters that reach zero are deleted, and
   * with them actions no node needs any more, so what a node once sent does not stay in the tables for good.
   */
  private async writeCounts(tx: SqlDriver, deltas: CountDelta[]) {
    const merged = mergeDeltas(deltas);
    for (let i = 0; i < merged.length; i += ROWS_PER_STATEMENT) {
      const rows = merged.slice(i, i + ROWS_PER_STATEMENT);
      await tx.run(
        `INSERT INTO fleet_counts (metric, k1, k2, n, weight) VALUES ${rows.map(() => '(?, ?, ?, ?, ?)').join(', ')}
         ON CONFLICT (metric, k1, k2) DO UPDATE SET n = fleet_counts.n + excluded.n, weight = fleet_counts.weight + excluded.weight`,
        rows.flatMap((d) => [d.metric, d.k1, d.k2, d.n, d.weight]),
      );
    }
    // Counters that fell to zero go, so what a node once sent does not stay. On PostgreSQL only rows no other
    // server holds (SKIP LOCKED): waiting for them could deadlock with its batch, which locks in key order.
    // There each key is looked up on its own (a LATERAL subquery: one primary-key probe per key, whatever the
    // statistics say), not matched with IN (VALUES ...): counters written since the last ANALYZE look like one
    // row to the planner, which then compared table and list in a nested loop, 0.4-0.6 s a statement at 10,000
    // counters (auto_explain, PostgreSQL 15); the ctid array is a TID scan.
    const falling = merged.filter((d) => d.n < 0);
    for (let i = 0; i < falling.length; i += ROWS_PER_STATEMENT) {
      const rows = falling.slice(i, i + ROWS_PER_STATEMENT);
      const values = `(VALUES ${rows.map(() => '(?, ?, ?)').join(', ')})`;
      await tx.run(
        tx.dialect === 'postgres'
          ? `DELETE FROM fleet_counts WHERE ctid = ANY(ARRAY(SELECT c.ctid FROM ${values} AS v (metric, k1, k2) CROSS JOIN LATERAL
             (SELECT ctid FROM fleet_counts WHERE metric = v.metric AND k1 = v.k1 AND k2 = v.k2 AND n = 0 AND weight = 0 FOR UPDATE SKIP LOCKED) c))`
          : `DELETE FROM fleet_counts WHERE n = 0 AND weight = 0 AND (metric, k1, k2) IN ${values}`,
        rows.flatMap((d) => [d.metric, d.k1, d.k2]),
      );
    }
  }

  /**
   * Stores a validated report once (by report_id) and records what changed on the node, group-committed with the
   * writes that arrive with it. `raw` is the report as the node sent it (stored as is); without it, the report
   * is serialised again.
   */
  ingest(r: NodeReport, receivedAt: number, raw?: string): Promise<IngestResult> {
    return this.ingestItem(reportItem(r, receivedAt, raw));
  }

  /** A report already parsed, checked and derived (where it arrived: the request path of `fleet serve`). */
  ingestItem(item: ReportItem): Promise<IngestResult> {
    if (this.broken) return Promise.reject(this.broken);
    if (Date.now() < this.downUntil) return Promise.reject(down());
    return this.batches.submitBulk(item.host, item.raw.length > LARGE_REPORT, item);
  }

  /** Runs a batch again when PostgreSQL chose it as a deadlock or serialization victim (40P01, 40001). */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof StorageError && e.retry) || attempt >= 4) throw e;
        await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
      }
    }
  }

  /** Enrols a node (see node-identity.ts) and records the outcome in the audit trail, in one transaction. */
  enrol(
    hostname: string,
    tokenHash: string,
    peer: string,
    now: number,
    policy: ReenrolPolicy,
  ): Promise<EnrolOutcome> {
    return this.batched(hostname, async (tx) => {
      const o = await enrolNode(tx, hostname, tokenHash, peer, now, policy);
      await recordAudit(tx, {
        at: now,
        actor: 'node',
        action: `enrol:${o.kind}`,
        hostname,
        peer,
        detail: o.kind === 'held' ? `request ${o.request}` : null,
      });
      return o;
    });
  }

  revokeNodeToken(
    hostname: string,
    now: number,
    actor = 'admin',
    peer: string | null = null,
  ): Promise<boolean> {
    return this.batched(hostname, async (tx) => {
      const done = await revokeNode(tx, hostname, now);
      if (done) await recordAudit(tx, { at: now, actor, action: 'revoke', hostname, peer });
      return done;
    });
  }

  rekeyNode(
    hostname: string,
    now: number,
    opts: { tokenHash?: string; until?: number; from?: string | null },
    actor = 'admin',
    peer: string | null = null,
  ): Promise<void> {
    return this.batched(hostname, async (tx) => {
      await rekeyNode(tx, hostname, now, opts);
      await recordAudit(tx, {
        at: now,
        actor,
        action: opts.tokenHash ? 'rekey:token-issued' : 'rekey:enrolment-window',
        hostname,
        peer,
        detail: opts.tokenHash
          ? null
          : `until ${new Date(opts.until ?? now).toISOString()}${opts.from ? ` from ${opts.from}` : ''}`,
      });
    });
  }

  decideEnrolment(
    id: number,
    approve: boolean,
    now: number,
    windowMs: number,
    actor = 'admin',
    peer: string | null = null,
  ) {
    return this.batched('', async (tx) => {
      const r = await decideEnrolment(tx, id, approve, actor, now, windowMs);
      if (r)
        await recordAudit(tx, {
          at: now,
          actor,
          action: approve ? 'enrolment:approved' : 'enrolment:denied',
          hostname: r.hostname,
          peer,
          detail: `request ${id} from ${r.peer}`,
        });
      return r;
    });
  }

  audit(e: AuditEvent): Promise<void> {
    return this.batched(e.hostname ?? '', (tx) => recordAudit(tx, e));
  }

  /** Drops state of nodes not heard from since `before`, transitions and audit events older than it (retention). */
  async prune(before: number): Promise<{ nodes: number; transitions: number }> {
    return this.write(async (tx) => {
      const gone = (
        await tx.all<{ hostname: string }>('SELECT hostname FROM nodes WHERE received_at < ?', [before])
      ).map((g) => g.hostname);
      const states = await loadStates(tx, gone);
      const deltas = gone.flatMap((h) => countDeltas(states.get(h) ?? null, null));
      await writeNodeActions(
        tx,
        gone.map((h) => ({ host: h, before: states.get(h) ?? null, after: null })),
      );
      for (let i = 0; i < gone.length; i += ROWS_PER_STATEMENT) {
        const part = gone.slice(i, i + ROWS_PER_STATEMENT);
        const marks = part.map(() => '?').join(', ');
        await tx.run(`DELETE FROM nodes WHERE hostname IN (${marks})`, part);
        await tx.run(`DELETE FROM node_reports WHERE hostname IN (${marks})`, part);
      }
      await this.writeCounts(tx, deltas);
      const transitions = await tx.run('DELETE FROM transitions WHERE at < ?', [before]);
      await tx.run('DELETE FROM reports_seen WHERE received_at < ?', [before]);
      await tx.run("DELETE FROM enrolment_requests WHERE status <> 'pending' AND decided_at < ?", [before]);
      await tx.run('DELETE FROM fleet_counts WHERE n = 0 AND weight = 0');
      // Actions no node needs any more. Only here, not at every ingest: another server may be about to count
      // one again, and it does not store an action it knows to be stored (its cache lasts an hour at most).
      await tx.run(
        "DELETE FROM actions WHERE NOT EXISTS (SELECT 1 FROM fleet_counts c WHERE c.metric = 'action' AND c.k1 = actions.action_key)",
      );
      this.knownActions.clear();
      await rollUp(tx, utcDay(Date.now()));
      return { nodes: gone.length, transitions };
    });
  }

  /** Makes `day`'s roll-up (YYYY-MM-DD, UTC) equal the counters now: the roll-up step, run at ingest by itself. */
  rollup(day: string = utcDay(Date.now())): Promise<void> {
    return this.write((tx) => rollUp(tx, day));
  }

  /** Re-derives each node's sets, actions and the counters from the stored reports (upgrades, the contract test). */
  async rebuildDerived(): Promise<void> {
    const hosts = await this.db.all<{ hostname: string }>(
      'SELECT hostname FROM node_reports ORDER BY hostname',
    );
    this.knownActions.clear();
    await this.write(async (tx) => {
      for (const t of ['node_actions', 'fleet_counts', 'actions']) await tx.run(`DELETE FROM ${t}`);
      const deltas: CountDelta[] = [];
      const actions = new Map<string, unknown[]>();
      for (const { hostname } of hosts) {
        const row = (
          await tx.all<{ report: string }>('SELECT report FROM node_reports WHERE hostname = ?', [hostname])
        )[0];
        if (!row) continue;
        const d = derive(JSON.parse(row.report) as NodeReport);
        for (const a of d.actions) actions.set(a.key, [a.key, a.kind, a.title, JSON.stringify(a.fixes)]);
        const f = filterColumns(d.state);
        await tx.run(
          'UPDATE nodes SET fail_critical = ?, fail_high = ?, vulns_affected = ?, state = ?, runtimes = ?, vulns = ?, fails = ?, view = ? WHERE hostname = ?',
          [
            d.state.failCritical,
            d.state.failHigh,
            d.state.vulnsAffected,
            encodeState(d.state),
            f.runtimes,
            f.vulns,
            f.fails,
            viewColumn(d.state),
            hostname,
          ],
        );
        await writeNodeActions(tx, [{ host: hostname, before: null, after: d.state }]);
        deltas.push(...countDeltas(null, d.state));
      }
      await multiRow(tx, 'INSERT INTO actions (action_key, kind, title, fixes)', '(?, ?, ?, ?)', [
        ...actions.values(),
      ]);
      await this.writeCounts(tx, deltas);
    });
  }
}
