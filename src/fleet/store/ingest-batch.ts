// Stores a batch of validated reports with a few multi-row statements per batch, not a dozen per report.
import { actionsForReport, type NodeAction } from '../plan/node-actions.js';
import type { NodeReport } from '../validate-report.js';
import {
  actionMap,
  countDeltas,
  decodeState,
  encodeState,
  filterColumns,
  mapDiff,
  viewColumn,
  WHY_MAX,
  transitionsBetween,
  type CountDelta,
  type NodeState,
} from './node-state.js';
import { runtimeVerdict } from '../runtime-verdict.js';
import { acceleratorsOfReport } from './accelerator-state.js';
import { withServerFacts, type FleetReport } from './server-facts.js';
import type { SqlDriver } from './sql-driver.js';

export interface IngestResult {
  stored: boolean;
  /** Why a report was not stored as the latest: a duplicate id, or older than what the node already sent. */
  note?: 'duplicate' | 'older';
  transitions: number;
}

/**
 * A validated report ready to store: what the store needs of it, its text as the node sent it, and the state
 * derived from it with the server's facts. Made where the report was parsed (any thread); stored by the writer.
 */
export interface ReportItem {
  id: string;
  host: string;
  generatedAt: string;
  distroKernel: boolean;
  receivedAt: number;
  raw: string;
  state: NodeState;
  actions: NodeAction[];
}

export function reportItem(report: NodeReport, receivedAt: number, raw?: string): ReportItem {
  const d = derive(report);
  return {
    id: report.report_id,
    host: report.host.hostname,
    generatedAt: report.generated_at,
    distroKernel: report.host.kernel.distro_kernel === true,
    receivedAt,
    raw: raw ?? JSON.stringify(report),
    state: d.state,
    actions: d.actions,
  };
}

/** What a batch leaves for its end: counter moves, new action keys, reports stored. */
export interface BatchWrites {
  deltas: CountDelta[];
  actions: string[];
  stored: number;
  day: string | null;
  /** Set when the batch refreshed the day's roll-up (the store notes it once the batch commits). */
  rolled: { at: number; day: string } | null;
}

/** Rows per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
export const ROWS_PER_STATEMENT = 200;

/** Runs `head VALUES (tuple), (tuple) ... tail` for rows, ROWS_PER_STATEMENT at a time; returns rows RETURNING. */
export async function multiRow<T>(
  tx: SqlDriver,
  head: string,
  tuple: string,
  rows: unknown[][],
  tail = '',
  returning = false,
): Promise<T[]> {
  const out: T[] = [];
  const per = Math.max(1, Math.floor((ROWS_PER_STATEMENT * 5) / Math.max(1, rows[0]?.length ?? 1)));
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per);
    const sql = `${head} VALUES ${part.map(() => tuple).join(', ')} ${tail}`;
    if (returning) out.push(...(await tx.all<T>(sql, part.flat())));
    else await tx.run(sql, part.flat());
  }
  return out;
}

const countFails = (fs: FleetReport['findings'], sev: string) =>
  fs.filter((f) => f.status === 'fail' && f.severity === sev).length;

/** The vulnerability states the fleet tracks; "fixed" and "not-affected" (reports made with --all) need nothing. */
const TRACKED = new Set(['affected', 'unknown', 'mitigated']);

/** Slurm partition names as slurm.conf allows them (PartitionName), bounded: a node's claim, shown as text. */
const PARTITION = /^[A-Za-z0-9._-]{1,64}$/;

/** The partitions a node's report names (fact slurm.partitions, read from its slurm.conf); at most 32. */
function partitionsOf(r: FleetReport): string[] {
  const f = Array.isArray(r.facts)
    ? (r.facts as unknown[]).find(
        (x): x is { value: unknown } =>
          typeof x === 'object' && x !== null && (x as { id?: unknown }).id === 'slurm.partitions',
      )
    : undefined;
  const v = f?.value;
  return Array.isArray(v)
    ? [...new Set(v.filter((p): p is string => typeof p === 'string' && PARTITION.test(p)))].slice(0, 32)
    : [];
}

/**
 * The reason behind a verdict other than ready, for the grid's hover: for a degraded runtime the first reason that
 * raised its risk to high or critical ("risk: high from CVE-..."), else the runtime's first reason.
 */
function reasonFor(verdict: string, reasons: unknown): string | null {
  const all = Array.isArray(reasons)
    ? (reasons as unknown[]).slice(0, 100).filter((r): r is string => typeof r === 'string' && r !== '')
    : [];
  const pick =
    (verdict === 'degraded' ? all.find((r) => /^risk: (at least )?(high|critical)\b/.test(r)) : undefined) ??
    all[0];
  return pick ? pick.slice(0, WHY_MAX) : null;
}

/** The node's state from a report that already carries the server's facts (withServerFacts). */
export function stateOfReport(r: FleetReport, actions: NodeAction[]): NodeState {
  return {
    kernel: r.host.kernel.release,
    os: r.host.os.id ? `${r.host.os.id} ${r.host.os.version_id ?? ''}`.trim() : null,
    failCritical: countFails(r.findings, 'critical'),
    failHigh: countFails(r.findings, 'high'),
    vulnsAffected: r.vulnerabilities.filter((v) => v.status === 'affected').length,
    runtimes: new Map(
      r.runtimes.map((x) => {
        const verdict = runtimeVerdict(x);
        return [
          x.id,
          {
            ready: x.ready,
            risk: x.risk,
            verdict,
            why: verdict === 'ready' ? null : reasonFor(verdict, x.reasons),
          },
        ];
      }),
    ),
    vulns: new Map(
      r.vulnerabilities
        .filter((v) => TRACKED.has(v.status))
        .map((v) => [v.id, { status: v.status, severity: v.severity }]),
    ),
    fails: new Map(
      r.findings.filter((f) => f.status === 'fail').map((f) => [f.id, { severity: f.severity }]),
    ),
    actions: actionMap(actions),
    partitions: partitionsOf(r),
    accelerators: acceleratorsOfReport(r, WHY_MAX),
  };
}

/** The derived state of a stored report: what a rebuild computes, and what ingest writes. */
export function derive(report: NodeReport): { state: NodeState; actions: NodeAction[] } {
  const r = withServerFacts(report);
  const actions = actionsForReport(r);
  return { state: stateOfReport(r, actions), actions };
}

type Stored = NodeState & { generated: number };

/** The stored states of `hosts` (one statement per ROWS_PER_STATEMENT hosts). */
export async function loadStates(tx: SqlDriver, hosts: string[]): Promise<Map<string, Stored>> {
  const out = new Map<string, Stored>();
  for (let i = 0; i < hosts.length; i += ROWS_PER_STATEMENT) {
    const part = hosts.slice(i, i + ROWS_PER_STATEMENT);
    const rows = await tx.all<{
      hostname: string;
      generated_at: unknown;
      kernel_release: string | null;
      os: string | null;
      fail_critical: unknown;
      fail_high: unknown;
      vulns_affected: unknown;
      state: string;
    }>(
      `SELECT hostname, generated_at, kernel_release, os, fail_critical, fail_high, vulns_affected, state FROM nodes
       WHERE hostname IN (${part.map(() => '?').join(', ')})`,
      part,
    );
    for (const cur of rows)
      out.set(cur.hostname, {
        generated: Number(cur.generated_at),
        ...decodeState(cur.state, {
          kernel: cur.kernel_release,
          os: cur.os,
          failCritical: Number(cur.fail_critical),
          failHigh: Number(cur.fail_high),
          vulnsAffected: Number(cur.vulns_affected),
        }),
      });
  }
  return out;
}

/** One host's outcome over the batch: its state before, after, and the reports that made the difference. */
interface HostChange {
  host: string;
  before: Stored | null;
  after: Stored;
  item: ReportItem;
}

/**
 * Stores `items` (a batch, in host order) inside the caller's transaction and returns one result each, with the
 * counter moves and new action keys in `part`. A report id seen before is a duplicate; a report older than the
 * node's state (by its own clock, never beyond its arrival) is kept as seen but changes nothing.
 */
export async function ingestReports(
  tx: SqlDriver,
  items: ReportItem[],
  knownActions: ReadonlySet<string>,
  part: BatchWrites,
): Promise<IngestResult[]> {
  const results: IngestResult[] = items.map(() => ({ stored: false, note: 'duplicate', transitions: 0 }));
  // Seen once: the first of two equal ids in one batch is the report, the second its duplicate.
  const firstOf = new Map<string, number>();
  items.forEach((it, i) => firstOf.has(it.id) || firstOf.set(it.id, i));
  const fresh = new Set(
    (
      await multiRow<{ report_id: string }>(
        tx,
        'INSERT INTO reports_seen (report_id, hostname, received_at)',
        '(?, ?, ?)',
        [...firstOf.values()].map((i) => [items[i]!.id, items[i]!.host, items[i]!.receivedAt]),
        'ON CONFLICT (report_id) DO NOTHING RETURNING report_id',
        true,
      )
    ).map((r) => r.report_id),
  );
  const hosts = [
    ...new Set(items.filter((it, i) => fresh.has(it.id) && firstOf.get(it.id) === i).map((it) => it.host)),
  ].sort();
  // Several servers may share one PostgreSQL: each host's old state is read under its lock, taken in host order.
  // One statement: PostgreSQL evaluates a volatile function in the select list after ORDER BY (SELECT, "ORDER BY").
  if (tx.dialect === 'postgres' && hosts.length)
    await tx.all('SELECT pg_advisory_xact_lock(hashtext(h)) FROM unnest(?::text[]) AS t(h) ORDER BY h', [
      hosts,
    ]);
  const stored = await loadStates(tx, hosts);
  const changes = new Map<string, HostChange>();
  const newActions = new Map<string, NodeAction>();
  const transitions: unknown[][] = [];
  items.forEach((item, i) => {
    const id = item.id;
    if (!fresh.has(id) || firstOf.get(id) !== i) return;
    const host = item.host;
    const cur = changes.get(host)?.after ?? stored.get(host) ?? null;
    // The node's clock orders its own reports (a spooled one may arrive late), but never beyond the moment it
    // arrived: a report dated ahead cannot make the node's next genuine reports look older.
    const generated = Math.min(Date.parse(item.generatedAt), item.receivedAt);
    if (cur && cur.generated > generated) {
      results[i] = { stored: true, note: 'older', transitions: 0 };
      return;
    }
    const { state, actions } = item;
    const t = cur ? transitionsBetween(cur, state) : [];
    for (const [subject, o, n] of t) transitions.push([host, generated, subject, o, n]);
    for (const a of actions) if (!knownActions.has(a.key)) newActions.set(a.key, a);
    part.deltas.push(...countDeltas(cur, state));
    changes.set(host, {
      host,
      before: changes.get(host)?.before ?? stored.get(host) ?? null,
      after: { ...state, generated },
      item,
    });
    results[i] = { stored: true, transitions: t.length };
    part.stored++;
    part.day ??= new Date(item.receivedAt).toISOString().slice(0, 10);
  });
  const rows = [...changes.values()];
  await multiRow(
    tx,
    'INSERT INTO nodes (hostname, report_id, generated_at, received_at, kernel_release, distro_kernel, os, fail_critical, fail_high, vulns_affected, state, runtimes, vulns, fails, view)',
    '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    rows.map(({ host, after: s, item }) => {
      const f = filterColumns(s);
      return [
        host,
        item.id,
        s.generated,
        item.receivedAt,
        s.kernel,
        item.distroKernel ? 1 : 0,
        s.os,
        s.failCritical,
        s.failHigh,
        s.vulnsAffected,
        encodeState(s),
        f.runtimes,
        f.vulns,
        f.fails,
        viewColumn(s),
      ];
    }),
    `ON CONFLICT (hostname) DO UPDATE SET report_id = excluded.report_id, generated_at = excluded.generated_at, received_at = excluded.received_at,
       kernel_release = excluded.kernel_release, distro_kernel = excluded.distro_kernel, os = excluded.os, fail_critical = excluded.fail_critical,
       fail_high = excluded.fail_high, vulns_affected = excluded.vulns_affected, state = excluded.state, runtimes = excluded.runtimes,
       vulns = excluded.vulns, fails = excluded.fails, view = excluded.view`,
  );
  await multiRow(
    tx,
    'INSERT INTO node_reports (hostname, report)',
    '(?, ?)',
    rows.map(({ host, item }) => [host, item.raw]),
    'ON CONFLICT (hostname) DO UPDATE SET report = excluded.report',
  );
  await multiRow(
    tx,
    'INSERT INTO actions (action_key, kind, title, fixes)',
    '(?, ?, ?, ?)',
    [...newActions.values()].map((a) => [a.key, a.kind, a.title, JSON.stringify(a.fixes)]),
    'ON CONFLICT (action_key) DO NOTHING',
  );
  part.actions.push(...newActions.keys());
  await writeNodeActions(
    tx,
    rows.map((r) => ({ host: r.host, before: r.before, after: r.after })),
  );
  await multiRow(
    tx,
    'INSERT INTO transitions (hostname, at, subject, old_value, new_value)',
    '(?, ?, ?, ?, ?)',
    transitions,
  );
  return results;
}

/** The node_actions rows that differ between each host's state before and after (deleted, then written). */
export async function writeNodeActions(
  tx: SqlDriver,
  hosts: { host: string; before: NodeState | null; after: NodeState | null }[],
): Promise<void> {
  const removed: unknown[][] = [];
  const written: unknown[][] = [];
  for (const h of hosts) {
    const none: NodeState['actions'] = new Map();
    const d = mapDiff(h.before?.actions ?? none, h.after?.actions ?? none);
    for (const k of d.removed) removed.push([h.host, k]);
    for (const [k, v] of d.written) written.push([h.host, k, v.weight]);
  }
  for (let i = 0; i < removed.length; i += ROWS_PER_STATEMENT) {
    const part = removed.slice(i, i + ROWS_PER_STATEMENT);
    await tx.run(
      `DELETE FROM node_actions WHERE (hostname, action_key) IN (VALUES ${part.map(() => '(?, ?)').join(', ')})`,
      part.flat(),
    );
  }
  await multiRow(
    tx,
    'INSERT INTO node_actions (hostname, action_key, weight)',
    '(?, ?, ?)',
    written,
    'ON CONFLICT (hostname, action_key) DO UPDATE SET weight = excluded.weight',
  );
}
