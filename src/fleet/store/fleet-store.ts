// The fleet store: one implementation over either database driver: idempotent ingest, latest state, counters, transitions.
import { actionsForReport, type NodeAction } from '../plan/node-actions.js';
import { loadBuiltinAdvisories } from '../../advisories/load-advisories.js';
import { findRule } from '../../rules/catalogue.js';
import type { NodeReport } from '../validate-report.js';
import { migrate } from './migrations.js';
import {
  actionMap,
  countDeltas,
  emptyState,
  mergeDeltas,
  type CountDelta,
  mapDiff,
  transitionsBetween,
  type NodeState,
} from './node-state.js';
import type { SqlDriver } from './sql-driver.js';
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

function stateOfReport(r: NodeReport, actions: NodeAction[]): NodeState {
  return {
    kernel: r.host.kernel.release,
    os: r.host.os.id ? `${r.host.os.id} ${r.host.os.version_id ?? ''}`.trim() : null,
    failCritical: countFails(r.findings, 'critical'),
    failHigh: countFails(r.findings, 'high'),
    vulnsAffected: r.vulnerabilities.filter((v) => v.status === 'affected').length,
    runtimes: new Map(r.runtimes.map((x) => [x.id, { ready: x.ready, risk: x.risk }])),
    vulns: new Map(r.vulnerabilities.map((v) => [v.id, { status: v.status, severity: v.severity }])),
    fails: new Map(
      r.findings.filter((f) => f.status === 'fail').map((f) => [f.id, { severity: f.severity }]),
    ),
    actions: actionMap(actions),
  };
}

/** Rows per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const ROWS_PER_STATEMENT = 200;

/** At most this many reports share a transaction: bounds the time one COMMIT keeps callers waiting. */
const MAX_BATCH = 64;

interface Pending {
  r: NodeReport;
  receivedAt: number;
  resolve: (v: IngestResult) => void;
  reject: (e: unknown) => void;
}

export class FleetStore extends FleetReader {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  private advisories: Map<string, { summary: string; severity: string }> | null = null;

  /** ctrsafe's own advisory database describes the vulnerabilities it knows; a node's text only the others. */
  private known(id: string): { summary: string; severity: string } | undefined {
    if (!this.advisories) {
      this.advisories = new Map();
      for (const a of loadBuiltinAdvisories().advisories)
        for (const k of [a.id, ...a.aliases])
          this.advisories.set(k, { summary: a.summary, severity: a.ctrsafe.severity });
    }
    return this.advisories.get(id);
  }

  /** Label and action keys known to be stored (bounded). */
  private readonly labelled = new Set<string>();

  constructor(db: SqlDriver) {
    super(db);
  }

  /** Brings the schema up to date; a database from before the counters gets them rebuilt from its stored reports. */
  async migrate(): Promise<number> {
    const { from, to } = await migrate(this.db);
    if (from > 0 && from < 3) await this.rebuildDerived();
    return to;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** The stored state of one node, read inside the caller's transaction. */
  private async loadState(tx: SqlDriver, host: string): Promise<(NodeState & { generated: number }) | null> {
    const cur = (
      await tx.all<{
        generated_at: number | string;
        kernel_release: string | null;
        os: string | null;
        fail_critical: number | string;
        fail_high: number | string;
        vulns_affected: number | string;
      }>(
        'SELECT generated_at, kernel_release, os, fail_critical, fail_high, vulns_affected FROM nodes WHERE hostname = ?',
        [host],
      )
    )[0];
    if (!cur) return null;
    const rt = await tx.all<{ runtime: string; ready: string; risk: string }>(
      'SELECT runtime, ready, risk FROM node_runtimes WHERE hostname = ?',
      [host],
    );
    const vu = await tx.all<{ vuln_id: string; status: string; severity: string }>(
      'SELECT vuln_id, status, severity FROM node_vulns WHERE hostname = ?',
      [host],
    );
    const fi = await tx.all<{ rule_id: string; severity: string }>(
      'SELECT rule_id, severity FROM node_findings WHERE hostname = ?',
      [host],
    );
    const ac = await tx.all<{ action_key: string; weight: number | string }>(
      'SELECT action_key, weight FROM node_actions WHERE hostname = ?',
      [host],
    );
    return {
      generated: Number(cur.generated_at),
      kernel: cur.kernel_release,
      os: cur.os,
      failCritical: Number(cur.fail_critical),
      failHigh: Number(cur.fail_high),
      vulnsAffected: Number(cur.vulns_affected),
      runtimes: new Map(rt.map((x) => [x.runtime, { ready: x.ready, risk: x.risk }])),
      vulns: new Map(vu.map((x) => [x.vuln_id, { status: x.status, severity: x.severity }])),
      fails: new Map(fi.map((x) => [x.rule_id, { severity: x.severity }])),
      actions: new Map(ac.map((x) => [x.action_key, { weight: Number(x.weight) }])),
    };
  }

  /** Writes only the rows that differ between old and new state; the counter moves go to `deltas`. */
  private async applyState(
    tx: SqlDriver,
    host: string,
    old: NodeState | null,
    next: NodeState | null,
    deltas: CountDelta[],
  ) {
    const o = old ?? emptyState();
    const n = next ?? emptyState();
    const tables = [
      ['node_runtimes', 'runtime', mapDiff(o.runtimes, n.runtimes), ['ready', 'risk']],
      ['node_vulns', 'vuln_id', mapDiff(o.vulns, n.vulns), ['status', 'severity']],
      ['node_findings', 'rule_id', mapDiff(o.fails, n.fails), ['severity']],
      ['node_actions', 'action_key', mapDiff(o.actions, n.actions), ['weight']],
    ] as const;
    // One statement per table and node (multi-row VALUES): SQLite's cost here is per statement, not per row.
    for (const [table, keyCol, diff, cols] of tables) {
      for (let i = 0; i < diff.removed.length; i += ROWS_PER_STATEMENT) {
        const keys = diff.removed.slice(i, i + ROWS_PER_STATEMENT);
        await tx.run(
          `DELETE FROM ${table} WHERE hostname = ? AND ${keyCol} IN (${keys.map(() => '?').join(', ')})`,
          [host, ...keys],
        );
      }
      for (let i = 0; i < diff.written.length; i += ROWS_PER_STATEMENT) {
        const rows = diff.written.slice(i, i + ROWS_PER_STATEMENT);
        const tuple = `(?, ?, ${cols.map(() => '?').join(', ')})`;
        await tx.run(
          `INSERT INTO ${table} (hostname, ${keyCol}, ${cols.join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}
           ON CONFLICT (hostname, ${keyCol}) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}`,
          rows.flatMap(([k, v]) => [host, k, ...cols.map((c) => (v as Record<string, unknown>)[c])]),
        );
      }
    }
    deltas.push(...countDeltas(old, next));
  }

  /** Moves the fleet counters once per batch: a report rarely changes them, a first report by ~30 keys. */
  private async writeCounts(tx: SqlDriver, deltas: CountDelta[]) {
    for (const d of mergeDeltas(deltas))
      await tx.run(
        `INSERT INTO fleet_counts (metric, k1, k2, n, weight) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (metric, k1, k2) DO UPDATE SET n = fleet_counts.n + excluded.n, weight = fleet_counts.weight + excluded.weight`,
        [d.metric, d.k1, d.k2, d.n, d.weight],
      );
  }

  /**
   * Rule titles, vulnerability summaries and action texts, recorded the first time the fleet reports them. Keys
   * known to be stored are remembered (after their COMMIT) so a steady fleet costs no statements here.
   */
  private async recordLabels(tx: SqlDriver, r: NodeReport, actions: NodeAction[], written: string[]) {
    const fresh = (k: string) => {
      if (this.labelled.has(k)) return false;
      written.push(k);
      return true;
    };
    for (const f of r.findings)
      if (f.status === 'fail' && fresh(`rule\0${f.id}`))
        await tx.run(
          'INSERT INTO labels (kind, id, label, severity) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING',
          // ctrsafe's own catalogue names its rules; a node's text is used only for a rule it does not know.
          [
            'rule',
            f.id,
            (findRule(f.id)?.title ?? f.title ?? '').slice(0, 300),
            findRule(f.id)?.severity ?? f.severity,
          ],
        );
    for (const v of r.vulnerabilities)
      if (fresh(`vuln\0${v.id}`))
        await tx.run(
          'INSERT INTO labels (kind, id, label, severity) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING',
          [
            'vuln',
            v.id,
            (this.known(v.id)?.summary ?? v.summary ?? '').slice(0, 300),
            this.known(v.id)?.severity ?? v.severity,
          ],
        );
    for (const a of actions)
      if (fresh(`action\0${a.key}`))
        await tx.run(
          'INSERT INTO actions (action_key, kind, title, fixes) VALUES (?, ?, ?, ?) ON CONFLICT (action_key) DO NOTHING',
          [a.key, a.kind, a.title, JSON.stringify(a.fixes)],
        );
  }

  /**
   * Stores a validated report once (by report_id) and records what changed on the node. Reports that arrive
   * together share one transaction (group commit: one WAL sync for many reports), each in its own savepoint so a
   * bad one fails alone; every caller is answered only after the COMMIT that made its report durable.
   */
  ingest(r: NodeReport, receivedAt: number): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ r, receivedAt, resolve, reject });
      if (this.queue.length >= MAX_BATCH) void this.flush();
      else if (!this.scheduled) {
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
        let results: ({ ok: true; value: IngestResult } | { ok: false; error: unknown })[];
        try {
          const labels: string[] = [];
          results = await this.db.transaction(async (tx) => {
            const out: typeof results = [];
            const deltas: CountDelta[] = [];
            for (const item of batch) {
              const mine = { deltas: [] as CountDelta[], labels: [] as string[] };
              await tx.run('SAVEPOINT ingest_one');
              try {
                out.push({ ok: true, value: await this.ingestOne(tx, item.r, item.receivedAt, mine) });
                await tx.run('RELEASE SAVEPOINT ingest_one');
                deltas.push(...mine.deltas);
                labels.push(...mine.labels);
              } catch (error) {
                await tx.run('ROLLBACK TO SAVEPOINT ingest_one');
                await tx.run('RELEASE SAVEPOINT ingest_one');
                out.push({ ok: false, error });
              }
            }
            await this.writeCounts(tx, deltas);
            return out;
          });
          if (this.labelled.size < 200_000) for (const k of labels) this.labelled.add(k);
        } catch (error) {
          results = batch.map(() => ({ ok: false, error }));
        }
        results.forEach((x, i) => (x.ok ? batch[i]!.resolve(x.value) : batch[i]!.reject(x.error)));
      }
    } finally {
      this.flushing = false;
    }
  }

  private async ingestOne(
    tx: SqlDriver,
    r: NodeReport,
    receivedAt: number,
    ctx: { deltas: CountDelta[]; labels: string[] },
  ): Promise<IngestResult> {
    const host = r.host.hostname;
    const generated = Date.parse(r.generated_at);
    const actions = actionsForReport(r);
    const next = stateOfReport(r, actions);
    const fresh = await tx.run(
      'INSERT INTO reports_seen (report_id, hostname, received_at) VALUES (?, ?, ?) ON CONFLICT (report_id) DO NOTHING',
      [r.report_id, host, receivedAt],
    );
    if (fresh === 0) return { stored: false, note: 'duplicate', transitions: 0 };
    // Several servers may share one PostgreSQL: two reports of one host must not both read the old state.
    if (tx.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(hashtext(?))', [host]);
    const old = await this.loadState(tx, host);
    // A spooled report that arrives after a newer one is kept as seen but does not replace the node's state.
    if (old && old.generated > generated) return { stored: true, note: 'older', transitions: 0 };
    const changes = old ? transitionsBetween(old, next) : [];
    await tx.run(
      `INSERT INTO nodes (hostname, report_id, generated_at, received_at, kernel_release, distro_kernel, os, fail_critical, fail_high, vulns_affected, report)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (hostname) DO UPDATE SET report_id = excluded.report_id, generated_at = excluded.generated_at, received_at = excluded.received_at,
         kernel_release = excluded.kernel_release, distro_kernel = excluded.distro_kernel, os = excluded.os, fail_critical = excluded.fail_critical,
         fail_high = excluded.fail_high, vulns_affected = excluded.vulns_affected, report = excluded.report`,
      [
        host,
        r.report_id,
        generated,
        receivedAt,
        next.kernel,
        r.host.kernel.distro_kernel ? 1 : 0,
        next.os,
        next.failCritical,
        next.failHigh,
        next.vulnsAffected,
        JSON.stringify(r),
      ],
    );
    await this.recordLabels(tx, r, actions, ctx.labels);
    await this.applyState(tx, host, old, next, ctx.deltas);
    for (const [subject, o, n] of changes)
      await tx.run(
        'INSERT INTO transitions (hostname, at, subject, old_value, new_value) VALUES (?, ?, ?, ?, ?)',
        [host, generated, subject, o, n],
      );
    const day = new Date(receivedAt).toISOString().slice(0, 10);
    await tx.run(
      'INSERT INTO daily_rollups (day, metric, value) VALUES (?, ?, 1) ON CONFLICT (day, metric) DO UPDATE SET value = daily_rollups.value + 1',
      [day, 'reports'],
    );
    return { stored: true, transitions: changes.length };
  }

  /** Records a node's token hash (enrolment replaces an earlier token of the same host). */
  async setNodeToken(hostname: string, tokenHash: string, now: number): Promise<void> {
    await this.db.run(
      'INSERT INTO node_tokens (hostname, token_hash, created_at, revoked_at) VALUES (?, ?, ?, NULL) ON CONFLICT (hostname) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at, revoked_at = NULL',
      [hostname, tokenHash, now],
    );
  }

  async revokeNodeToken(hostname: string, now: number): Promise<boolean> {
    return (
      (await this.db.run('UPDATE node_tokens SET revoked_at = ? WHERE hostname = ? AND revoked_at IS NULL', [
        now,
        hostname,
      ])) > 0
    );
  }

  /** The hostname a live (not revoked) token hash belongs to. */
  async hostOfToken(tokenHash: string): Promise<string | null> {
    const rows = await this.db.all<{ hostname: string }>(
      'SELECT hostname FROM node_tokens WHERE token_hash = ? AND revoked_at IS NULL',
      [tokenHash],
    );
    return rows[0]?.hostname ?? null;
  }

  /** Drops state of nodes not heard from since `before`, and transitions older than it (retention). */
  async prune(before: number): Promise<{ nodes: number; transitions: number }> {
    return this.db.transaction(async (tx) => {
      const gone = await tx.all<{ hostname: string }>('SELECT hostname FROM nodes WHERE received_at < ?', [
        before,
      ]);
      const deltas: CountDelta[] = [];
      for (const g of gone) {
        await this.applyState(tx, g.hostname, await this.loadState(tx, g.hostname), null, deltas);
        await tx.run('DELETE FROM nodes WHERE hostname = ?', [g.hostname]);
      }
      await this.writeCounts(tx, deltas);
      const transitions = await tx.run('DELETE FROM transitions WHERE at < ?', [before]);
      await tx.run('DELETE FROM reports_seen WHERE received_at < ?', [before]);
      await tx.run('DELETE FROM fleet_counts WHERE n = 0');
      return { nodes: gone.length, transitions };
    });
  }

  /** Re-derives failing rules, actions, labels and counters from the stored reports (upgrades, and the contract test). */
  async rebuildDerived(): Promise<void> {
    const hosts = await this.db.all<{ hostname: string }>('SELECT hostname FROM nodes ORDER BY hostname');
    await this.db.transaction(async (tx) => {
      const deltas: CountDelta[] = [];
      for (const t of ['node_findings', 'node_actions', 'fleet_counts', 'node_runtimes', 'node_vulns'])
        await tx.run(`DELETE FROM ${t}`);
      for (const { hostname } of hosts) {
        const row = (
          await tx.all<{ report: string }>('SELECT report FROM nodes WHERE hostname = ?', [hostname])
        )[0];
        if (!row) continue;
        const r = JSON.parse(row.report) as NodeReport;
        const actions = actionsForReport(r);
        await this.recordLabels(tx, r, actions, []);
        await this.applyState(tx, hostname, null, stateOfReport(r, actions), deltas);
      }
      await this.writeCounts(tx, deltas);
    });
  }
}
