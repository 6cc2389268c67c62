// The fleet store: one implementation over either database driver: idempotent ingest, latest state, counters, identity.
import { actionsForReport, type NodeAction } from '../plan/node-actions.js';
import type { NodeReport } from '../validate-report.js';
import { migrate } from './migrations.js';
import {
  actionMap,
  countDeltas,
  decodeState,
  encodeState,
  filterColumns,
  mapDiff,
  mergeDeltas,
  transitionsBetween,
  type CountDelta,
  type NodeState,
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
import { withServerFacts } from './server-facts.js';
import { StorageError, type SqlDriver } from './sql-driver.js';
import { FleetReader } from './fleet-reader.js';

export interface IngestResult {
  stored: boolean;
  /** Why a report was not stored as the latest: a duplicate id, or older than what the node already sent. */
  note?: 'duplicate' | 'older';
  transitions: number;
}

export type { NodeRow, Summary, NodeQuery, PlanItem, DriftRow } from './fleet-reader.js';

const countFails = (fs: NodeReport['findings'], sev: string) =>
  fs.filter((f) => f.status === 'fail' && f.severity === sev).length;

/** The vulnerability states the fleet tracks; "fixed" and "not-affected" (reports made with --all) need nothing. */
const TRACKED = new Set(['affected', 'unknown', 'mitigated']);

/** The node's state from a report that already carries the server's facts (withServerFacts). */
function stateOfReport(r: NodeReport, actions: NodeAction[]): NodeState {
  return {
    kernel: r.host.kernel.release,
    os: r.host.os.id ? `${r.host.os.id} ${r.host.os.version_id ?? ''}`.trim() : null,
    failCritical: countFails(r.findings, 'critical'),
    failHigh: countFails(r.findings, 'high'),
    vulnsAffected: r.vulnerabilities.filter((v) => v.status === 'affected').length,
    runtimes: new Map(r.runtimes.map((x) => [x.id, { ready: x.ready, risk: x.risk }])),
    vulns: new Map(
      r.vulnerabilities
        .filter((v) => TRACKED.has(v.status))
        .map((v) => [v.id, { status: v.status, severity: v.severity }]),
    ),
    fails: new Map(
      r.findings.filter((f) => f.status === 'fail').map((f) => [f.id, { severity: f.severity }]),
    ),
    actions: actionMap(actions),
  };
}

/** Rows per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const ROWS_PER_STATEMENT = 200;

/** At most this many reports share a transaction: bounds the time one COMMIT keeps callers waiting. */
const MAX_BATCH = 256;

/** Waits after a storage failure before the next try (doubling up to the last): reconnect with backoff. */
const BACKOFF_MS = [100, 200, 500, 1000, 2000, 5000];

interface Pending {
  r: NodeReport;
  receivedAt: number;
  resolve: (v: IngestResult) => void;
  reject: (e: unknown) => void;
}

type Outcome = { ok: true; value: IngestResult } | { ok: false; error: unknown };

export class FleetStore extends FleetReader {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  /** Write transactions one at a time: on SQLite they share one connection. */
  private writing: Promise<unknown> = Promise.resolve();
  /** After a storage failure, new writes are refused at once until this time (then one batch tries again). */
  private downUntil = 0;
  private failures = 0;
  /** Action keys known to be stored (bounded). */
  private readonly knownActions = new Set<string>();

  constructor(db: SqlDriver) {
    super(db);
  }

  /** Brings the schema up to date; a database from before the current layout gets its derived rows rebuilt. */
  async migrate(): Promise<number> {
    const { from, to } = await migrate(this.db);
    if (from > 0 && from < 4) await this.rebuildDerived();
    return to;
  }

  /** Runs fn in a write transaction, after every earlier one; fails fast while the database is known to be down. */
  write<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    const run = async () => {
      if (Date.now() < this.downUntil)
        throw new StorageError('the database is unavailable; retrying shortly', 'backoff', true);
      try {
        const r = await this.db.transaction(fn);
        this.failures = 0;
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

  /** The stored state of one node, read inside the caller's transaction: one row. */
  private async loadState(tx: SqlDriver, host: string): Promise<(NodeState & { generated: number }) | null> {
    const cur = (
      await tx.all<{
        generated_at: unknown;
        kernel_release: string | null;
        os: string | null;
        fail_critical: unknown;
        fail_high: unknown;
        vulns_affected: unknown;
        state: string;
      }>(
        'SELECT generated_at, kernel_release, os, fail_critical, fail_high, vulns_affected, state FROM nodes WHERE hostname = ?',
        [host],
      )
    )[0];
    if (!cur) return null;
    return {
      generated: Number(cur.generated_at),
      ...decodeState(cur.state, {
        kernel: cur.kernel_release,
        os: cur.os,
        failCritical: Number(cur.fail_critical),
        failHigh: Number(cur.fail_high),
        vulnsAffected: Number(cur.vulns_affected),
      }),
    };
  }

  /** Writes the node's action rows that differ between old and new state; the counter moves go to `deltas`. */
  private async applyState(
    tx: SqlDriver,
    host: string,
    old: NodeState | null,
    next: NodeState | null,
    deltas: CountDelta[],
  ) {
    const diff = mapDiff(old?.actions ?? new Map(), next?.actions ?? new Map());
    for (let i = 0; i < diff.removed.length; i += ROWS_PER_STATEMENT) {
      const keys = diff.removed.slice(i, i + ROWS_PER_STATEMENT);
      await tx.run(
        `DELETE FROM node_actions WHERE hostname = ? AND action_key IN (${keys.map(() => '?').join(', ')})`,
        [host, ...keys],
      );
    }
    for (let i = 0; i < diff.written.length; i += ROWS_PER_STATEMENT) {
      const rows = diff.written.slice(i, i + ROWS_PER_STATEMENT);
      await tx.run(
        `INSERT INTO node_actions (hostname, action_key, weight) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}
         ON CONFLICT (hostname, action_key) DO UPDATE SET weight = excluded.weight`,
        rows.flatMap(([k, v]) => [host, k, v.weight]),
      );
    }
    deltas.push(...countDeltas(old, next));
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
    const falling = merged.filter((d) => d.n < 0);
    for (let i = 0; i < falling.length; i += ROWS_PER_STATEMENT) {
      const rows = falling.slice(i, i + ROWS_PER_STATEMENT);
      await tx.run(
        `DELETE FROM fleet_counts WHERE n = 0 AND (metric, k1, k2) IN (VALUES ${rows.map(() => '(?, ?, ?)').join(', ')})`,
        rows.flatMap((d) => [d.metric, d.k1, d.k2]),
      );
      const actions = rows.filter((d) => d.metric === 'action').map((d) => d.k1);
      if (actions.length) {
        await tx.run(
          `DELETE FROM actions WHERE action_key IN (${actions.map(() => '?').join(', ')})
           AND NOT EXISTS (SELECT 1 FROM fleet_counts c WHERE c.metric = 'action' AND c.k1 = actions.action_key)`,
          actions,
        );
        for (const k of actions) this.knownActions.delete(k);
      }
    }
  }

  /** Action texts, recorded the first time the fleet needs them (keys known to be stored cost nothing). */
  private async recordActions(tx: SqlDriver, actions: NodeAction[], written: string[]) {
    const fresh = actions.filter((a) => !this.knownActions.has(a.key) && !written.includes(a.key));
    for (let i = 0; i < fresh.length; i += ROWS_PER_STATEMENT) {
      const rows = fresh.slice(i, i + ROWS_PER_STATEMENT);
      await tx.run(
        `INSERT INTO actions (action_key, kind, title, fixes) VALUES ${rows.map(() => '(?, ?, ?, ?)').join(', ')}
         ON CONFLICT (action_key) DO NOTHING`,
        rows.flatMap((a) => [a.key, a.kind, a.title, JSON.stringify(a.fixes)]),
      );
    }
    written.push(...fresh.map((a) => a.key));
  }

  /**
   * Stores a validated report once (by report_id) and records what changed on the node. Reports that arrive
   * together share one transaction (group commit: one WAL sync for many reports), each in its own savepoint so a
   * bad one fails alone; every caller is answered only after the COMMIT that made its report durable. While a
   * batch commits, the next one gathers: the busier the server, the more reports share one sync.
   */
  ingest(r: NodeReport, receivedAt: number): Promise<IngestResult> {
    if (Date.now() < this.downUntil)
      return Promise.reject(
        new StorageError('the database is unavailable; retrying shortly', 'backoff', true),
      );
    return new Promise((resolve, reject) => {
      this.queue.push({ r, receivedAt, resolve, reject });
      if (!this.scheduled && !this.flushing) {
        this.scheduled = true;
        // After the current I/O phase: every request that finished in it joins this batch.
        setImmediate(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return; // the running flush takes what is queued when it finishes
    this.flushing = true;
    try {
      while (this.queue.length) {
        // In host order (stable: one host's reports keep their order), so servers sharing a PostgreSQL take the
        // per-host advisory locks in one order and cannot deadlock on each other.
        const batch = this.queue
          .splice(0, MAX_BATCH)
          .sort((a, b) =>
            a.r.host.hostname < b.r.host.hostname ? -1 : a.r.host.hostname > b.r.host.hostname ? 1 : 0,
          );
        let results: Outcome[];
        try {
          const written: string[] = [];
          results = await this.retrying(() => {
            written.length = 0;
            return this.write((tx) => this.ingestBatch(tx, batch, written));
          });
          if (this.knownActions.size < 200_000) for (const k of written) this.knownActions.add(k);
        } catch (error) {
          results = batch.map(() => ({ ok: false, error }));
        }
        results.forEach((x, i) => (x.ok ? batch[i]!.resolve(x.value) : batch[i]!.reject(x.error)));
      }
    } finally {
      this.flushing = false;
    }
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

  private async ingestBatch(tx: SqlDriver, batch: Pending[], written: string[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    const deltas: CountDelta[] = [];
    let stored = 0;
    for (const item of batch) {
      const mine: CountDelta[] = [];
      const actions: string[] = [];
      await tx.run('SAVEPOINT ingest_one');
      try {
        const value = await this.ingestOne(tx, item.r, item.receivedAt, mine, actions, written);
        await tx.run('RELEASE SAVEPOINT ingest_one');
        out.push({ ok: true, value });
        deltas.push(...mine);
        written.push(...actions);
        if (value.note !== 'duplicate') stored++;
      } catch (error) {
        // A storage failure fails the whole batch (the transaction is lost); anything else only this report.
        if (error instanceof StorageError) throw error;
        await tx.run('ROLLBACK TO SAVEPOINT ingest_one');
        await tx.run('RELEASE SAVEPOINT ingest_one');
        out.push({ ok: false, error });
      }
    }
    await this.writeCounts(tx, deltas);
    if (stored) {
      const day = new Date(batch[0]!.receivedAt).toISOString().slice(0, 10);
      await tx.run(
        'INSERT INTO daily_rollups (day, metric, value) VALUES (?, ?, ?) ON CONFLICT (day, metric) DO UPDATE SET value = daily_rollups.value + excluded.value',
        [day, 'reports', stored],
      );
    }
    return out;
  }

  private async ingestOne(
    tx: SqlDriver,
    sent: NodeReport,
    receivedAt: number,
    deltas: CountDelta[],
    actionKeys: string[],
    written: string[],
  ): Promise<IngestResult> {
    const host = sent.host.hostname;
    // The node's clock orders its own reports (a spooled one may arrive late), but never beyond the moment it
    // arrived: a report dated ahead cannot make the node's next genuine reports look older.
    const generated = Math.min(Date.parse(sent.generated_at), receivedAt);
    const fresh = await tx.run(
      'INSERT INTO reports_seen (report_id, hostname, received_at) VALUES (?, ?, ?) ON CONFLICT (report_id) DO NOTHING',
      [sent.report_id, host, receivedAt],
    );
    if (fresh === 0) return { stored: false, note: 'duplicate', transitions: 0 };
    // Several servers may share one PostgreSQL: two reports of one host must not both read the old state.
    if (tx.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(hashtext(?))', [host]);
    const old = await this.loadState(tx, host);
    // A spooled report that arrives after a newer one is kept as seen but does not replace the node's state.
    if (old && old.generated > generated) return { stored: true, note: 'older', transitions: 0 };
    const r = withServerFacts(sent);
    const actions = actionsForReport(r);
    const next = stateOfReport(r, actions);
    const changes = old ? transitionsBetween(old, next) : [];
    const f = filterColumns(next);
    await tx.run(
      `INSERT INTO nodes (hostname, report_id, generated_at, received_at, kernel_release, distro_kernel, os, fail_critical, fail_high, vulns_affected, state, runtimes, vulns, fails)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (hostname) DO UPDATE SET report_id = excluded.report_id, generated_at = excluded.generated_at, received_at = excluded.received_at,
         kernel_release = excluded.kernel_release, distro_kernel = excluded.distro_kernel, os = excluded.os, fail_critical = excluded.fail_critical,
         fail_high = excluded.fail_high, vulns_affected = excluded.vulns_affected, state = excluded.state, runtimes = excluded.runtimes,
         vulns = excluded.vulns, fails = excluded.fails`,
      [
        host,
        sent.report_id,
        generated,
        receivedAt,
        next.kernel,
        sent.host.kernel.distro_kernel ? 1 : 0,
        next.os,
        next.failCritical,
        next.failHigh,
        next.vulnsAffected,
        encodeState(next),
        f.runtimes,
        f.vulns,
        f.fails,
      ],
    );
    await tx.run(
      'INSERT INTO node_reports (hostname, report) VALUES (?, ?) ON CONFLICT (hostname) DO UPDATE SET report = excluded.report',
      [host, JSON.stringify(sent)],
    );
    await this.recordActions(
      tx,
      actions.filter((a) => !written.includes(a.key)),
      actionKeys,
    );
    await this.applyState(tx, host, old, next, deltas);
    for (let i = 0; i < changes.length; i += ROWS_PER_STATEMENT) {
      const rows = changes.slice(i, i + ROWS_PER_STATEMENT);
      await tx.run(
        `INSERT INTO transitions (hostname, at, subject, old_value, new_value) VALUES ${rows.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
        rows.flatMap(([subject, o, n]) => [host, generated, subject, o, n]),
      );
    }
    return { stored: true, transitions: changes.length };
  }

  /** Enrols a node (see node-identity.ts) and records the outcome in the audit trail, in one transaction. */
  enrol(
    hostname: string,
    tokenHash: string,
    peer: string,
    now: number,
    policy: ReenrolPolicy,
  ): Promise<EnrolOutcome> {
    return this.write(async (tx) => {
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
    return this.write(async (tx) => {
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
    return this.write(async (tx) => {
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
    return this.write(async (tx) => {
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
    return this.write((tx) => recordAudit(tx, e));
  }

  /** Drops state of nodes not heard from since `before`, transitions and audit events older than it (retention). */
  async prune(before: number): Promise<{ nodes: number; transitions: number }> {
    return this.write(async (tx) => {
      const gone = await tx.all<{ hostname: string }>('SELECT hostname FROM nodes WHERE received_at < ?', [
        before,
      ]);
      const deltas: CountDelta[] = [];
      for (const g of gone) {
        await this.applyState(tx, g.hostname, await this.loadState(tx, g.hostname), null, deltas);
        await tx.run('DELETE FROM nodes WHERE hostname = ?', [g.hostname]);
        await tx.run('DELETE FROM node_reports WHERE hostname = ?', [g.hostname]);
      }
      await this.writeCounts(tx, deltas);
      const transitions = await tx.run('DELETE FROM transitions WHERE at < ?', [before]);
      await tx.run('DELETE FROM reports_seen WHERE received_at < ?', [before]);
      await tx.run("DELETE FROM enrolment_requests WHERE status <> 'pending' AND decided_at < ?", [before]);
      await tx.run('DELETE FROM fleet_counts WHERE n = 0 AND weight = 0');
      return { nodes: gone.length, transitions };
    });
  }

  /** Re-derives each node's sets, actions and the counters from the stored reports (upgrades, the contract test). */
  async rebuildDerived(): Promise<void> {
    const hosts = await this.db.all<{ hostname: string }>(
      'SELECT hostname FROM node_reports ORDER BY hostname',
    );
    this.knownActions.clear();
    await this.write(async (tx) => {
      const deltas: CountDelta[] = [];
      for (const t of ['node_actions', 'fleet_counts', 'actions']) await tx.run(`DELETE FROM ${t}`);
      const written: string[] = [];
      for (const { hostname } of hosts) {
        const row = (
          await tx.all<{ report: string }>('SELECT report FROM node_reports WHERE hostname = ?', [hostname])
        )[0];
        if (!row) continue;
        const r = withServerFacts(JSON.parse(row.report) as NodeReport);
        const actions = actionsForReport(r);
        await this.recordActions(tx, actions, written);
        const next = stateOfReport(r, actions);
        const f = filterColumns(next);
        await tx.run(
          'UPDATE nodes SET fail_critical = ?, fail_high = ?, vulns_affected = ?, state = ?, runtimes = ?, vulns = ?, fails = ? WHERE hostname = ?',
          [
            next.failCritical,
            next.failHigh,
            next.vulnsAffected,
            encodeState(next),
            f.runtimes,
            f.vulns,
            f.fails,
            hostname,
          ],
        );
        await this.applyState(tx, hostname, null, next, deltas);
      }
      await this.writeCounts(tx, deltas);
    });
  }
}
