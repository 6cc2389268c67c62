// Read side of the fleet store: summary and plan from the counters, node pages, node detail, drift. Never writes.
import { compressHostlist } from '../hostlist.js';
import { auditEvents, listEnrolmentRequests } from './node-identity.js';
import { decodeView } from './node-state.js';
import { readSeries, readTrend, type Trend } from './daily-rollups.js';
import { ruleFacts, vulnFacts } from './server-facts.js';
import type { SqlDriver } from './sql-driver.js';
import type {
  AuditEntry,
  DriftPage,
  DriftRow,
  EnrolmentRequest,
  NodeAction,
  NodeDetail,
  NodeRow,
  NodesPage,
  NodeView,
  PlanItem,
  PlanPage,
  Summary,
  Transition,
} from '../../schema/fleet-api.js';

export interface NodeQuery {
  offset: number;
  limit: number;
  search?: string;
  kernel?: string;
  runtime?: string;
  ready?: string;
  /** With `runtime`: the dashboard's verdict (ready, degraded, blocked, unknown, not-installed). */
  verdict?: string;
  /**
   * With a GPU ("gpu") or an RDMA device ("rdma"); with `runtime` and `ready`, the runtime's readiness for that
   * device instead of its own (issue 19).
   */
  device?: string;
  /** In this Slurm partition (as the node's slurm.conf says). */
  partition?: string;
  /** Failing this rule id. */
  rule?: string;
  /** Affected by this vulnerability id (or with this status, if `vuln_status` is given). */
  vuln?: string;
  vuln_status?: string;
  /** Needing this plan action. */
  action?: string;
  /** Only nodes whose latest report was made before staleBefore (its own time, not its arrival). */
  staleBefore?: number;
  critical?: boolean;
  vulnerable?: boolean;
  sort?: 'hostname' | 'received' | 'risk';
}

const PLAIN_HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

const num = (v: unknown) => Number(v ?? 0);
/** A plan row names at most this many hosts; the full list is one filtered node query away. */
export const HOSTLIST_LIMIT = 5000;
const SORTS = {
  hostname: 'hostname',
  received: 'received_at DESC, hostname',
  risk: 'fail_critical DESC, fail_high DESC, vulns_affected DESC, hostname',
} as const;

export class FleetReader {
  constructor(protected readonly db: SqlDriver) {}

  async close(): Promise<void> {
    await this.db.close();
  }

  async node(hostname: string): Promise<Pick<NodeDetail, 'row' | 'report'> | null> {
    const rows = await this.db.all<NodeRow & { report: string }>(
      `SELECT n.hostname, n.report_id, n.generated_at, n.received_at, n.kernel_release, n.os, n.fail_critical, n.fail_high,
         n.vulns_affected, r.report FROM nodes n JOIN node_reports r ON r.hostname = n.hostname WHERE n.hostname = ?`,
      [hostname],
    );
    if (!rows[0]) return null;
    const { report, ...row } = rows[0];
    return { row: normalize(row), report: JSON.parse(report) as NodeDetail['report'] };
  }

  /** The host name a live (not revoked) token hash belongs to. */
  async hostOfToken(tokenHash: string): Promise<string | null> {
    const rows = await this.db.all<{ hostname: string }>(
      'SELECT hostname FROM node_tokens WHERE token_hash = ? AND revoked_at IS NULL',
      [tokenHash],
    );
    return rows[0]?.hostname ?? null;
  }

  enrolmentRequests(status: string | null): Promise<EnrolmentRequest[]> {
    return listEnrolmentRequests(this.db, status);
  }

  auditEvents(q: { limit: number; hostname?: string }): Promise<AuditEntry[]> {
    return auditEvents(this.db, q);
  }

  /** The plan actions one node needs, heaviest first. */
  async nodeActions(hostname: string): Promise<NodeAction[]> {
    const rows = await this.db.all<{ key: string; kind: string; title: string; weight: number | string }>(
      `SELECT a.action_key AS key, a.kind, a.title, na.weight FROM node_actions na JOIN actions a ON a.action_key = na.action_key
       WHERE na.hostname = ? ORDER BY na.weight DESC, a.title`,
      [hostname],
    );
    return rows.map((r) => ({ ...r, weight: num(r.weight) }));
  }

  /** The WHERE clause of the dashboard's node filters, with its parameters. */
  private nodeFilter(q: NodeQuery): { w: string; params: unknown[] } {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...p: unknown[]) => {
      where.push(sql);
      params.push(...p);
    };
    if (q.search) add("hostname LIKE ? ESCAPE '\\'", `%${q.search.replace(/[%_\\]/g, (c) => `\\${c}`)}%`);
    if (q.kernel !== undefined)
      add(
        q.kernel === '' ? 'kernel_release IS NULL' : 'kernel_release = ?',
        ...(q.kernel === '' ? [] : [q.kernel]),
      );
    // One substring test per narrow node row (node-state.ts filterColumns): "|apptainer=yes|".
    const contains = (col: string, needle: string) =>
      add(this.db.dialect === 'postgres' ? `strpos(${col}, ?) > 0` : `instr(${col}, ?) > 0`, `|${needle}|`);
    if (q.device && q.runtime && q.ready) contains('runtimes', `%${q.device}:${q.runtime}=${q.ready}`);
    else if (q.device) contains('runtimes', `%${q.device}`);
    else if (q.runtime && q.ready) contains('runtimes', `${q.runtime}=${q.ready}`);
    if (q.runtime && q.verdict) contains('runtimes', `${q.runtime}/${q.verdict}`);
    if (q.partition) contains('runtimes', `@${q.partition}`);
    if (q.rule) contains('fails', q.rule);
    if (q.vuln) contains('vulns', `${q.vuln}=${q.vuln_status ?? 'affected'}`);
    if (q.action) add('hostname IN (SELECT hostname FROM node_actions WHERE action_key = ?)', q.action);
    if (q.staleBefore !== undefined) add('generated_at < ?', q.staleBefore);
    if (q.critical) where.push('fail_critical > 0');
    if (q.vulnerable) where.push('vulns_affected > 0');
    return { w: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
  }

  private async countNodes(w: string, params: unknown[]): Promise<number> {
    return num((await this.db.all<{ n: unknown }>(`SELECT COUNT(*) AS n FROM nodes ${w}`, params))[0]?.n);
  }

  /** Server-side paging over nodes with the dashboard's filters. */
  async listNodes(q: NodeQuery): Promise<Omit<NodesPage, 'stale_before'>> {
    const { w, params } = this.nodeFilter(q);
    const total = await this.countNodes(w, params);
    const rows = await this.db.all<NodeRow>(
      `SELECT hostname, report_id, generated_at, received_at, kernel_release, os, fail_critical, fail_high, vulns_affected
       FROM nodes ${w} ORDER BY ${SORTS[q.sort ?? 'hostname']} LIMIT ? OFFSET ?`,
      [...params, Math.min(Math.max(1, q.limit), 100_000), Math.max(0, q.offset)],
    );
    return { total, nodes: rows.map(normalize) };
  }

  /**
   * The matrix and the partition grid: each node's partitions and per-runtime verdict and why, from the narrow
   * view column, with the node table's filters; up to 20,000 a page (a grid of a 10,000-node cluster in one read).
   */
  async nodeViews(q: NodeQuery): Promise<{ total: number; nodes: (NodeView & { hostname: string })[] }> {
    const { w, params } = this.nodeFilter(q);
    const total = await this.countNodes(w, params);
    const rows = await this.db.all<{ hostname: string; view: string }>(
      `SELECT hostname, view FROM nodes ${w} ORDER BY ${SORTS[q.sort ?? 'hostname']} LIMIT ? OFFSET ?`,
      [...params, Math.min(Math.max(1, q.limit), 20_000), Math.max(0, q.offset)],
    );
    return { total, nodes: rows.map((r) => ({ hostname: r.hostname, ...decodeView(r.view) })) };
  }

  async transitions(hostname: string, limit = 200): Promise<Transition[]> {
    const rows = await this.db.all<DriftRow>(
      'SELECT at, subject, old_value, new_value FROM transitions WHERE hostname = ? ORDER BY at DESC, id DESC LIMIT ?',
      [hostname, limit],
    );
    return rows.map((x) => ({
      at: num(x.at),
      subject: x.subject,
      old_value: x.old_value,
      new_value: x.new_value,
    }));
  }

  /** What changed across the fleet, newest first; paged with has_more rather than a count of millions of rows. */
  async drift(q: { offset: number; limit: number; since?: number }): Promise<DriftPage> {
    const limit = Math.min(Math.max(1, q.limit), 10_000);
    const rows = await this.db.all<DriftRow>(
      `SELECT hostname, at, subject, old_value, new_value FROM transitions ${q.since !== undefined ? 'WHERE at >= ?' : ''}
       ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
      [...(q.since !== undefined ? [q.since] : []), limit + 1, Math.max(0, q.offset)],
    );
    return {
      rows: rows.slice(0, limit).map((x) => ({ ...x, at: num(x.at) })),
      has_more: rows.length > limit,
    };
  }

  private async counts(metric: string, order = 'n DESC, k1', limit = 1000) {
    return (
      await this.db.all<{ k1: string; k2: string; n: unknown; weight: unknown }>(
        `SELECT k1, k2, n, weight FROM fleet_counts WHERE metric = ? AND n > 0 ORDER BY ${order} LIMIT ?`,
        [metric, limit],
      )
    ).map((r) => ({ k1: r.k1, k2: r.k2, n: num(r.n), weight: num(r.weight) }));
  }

  /** Everything on the dashboard's first page, from counters: the same cost for 100 nodes or 100,000. */
  async summary(now: number, staleMs: number): Promise<Summary> {
    const single = async (m: string) => (await this.counts(m))[0]?.n ?? 0;
    const stale = num(
      (
        await this.db.all<{ n: unknown }>('SELECT COUNT(*) AS n FROM nodes WHERE generated_at < ?', [
          now - staleMs,
        ])
      )[0]?.n,
    );
    const readiness: Summary['readiness'] = {};
    for (const r of await this.counts('ready', 'k1, k2')) (readiness[r.k1] ??= {})[r.k2] = r.n;
    const verdicts: Summary['verdicts'] = {};
    for (const r of await this.counts('verdict', 'k1, k2')) (verdicts[r.k1] ??= {})[r.k2] = r.n;
    const severity_nodes: Summary['severity_nodes'] = {};
    for (const r of await this.counts('severity_nodes', 'k1')) severity_nodes[r.k1] = r.n;
    const accelerators: Summary['accelerators'] = {};
    for (const r of await this.counts('accel_present', 'k1, k2'))
      (accelerators[r.k1] ??= { present: {}, ready: {} }).present[r.k2] = r.n;
    for (const r of await this.counts('accel_ready', 'k1, k2')) {
      const [kind, runtime] = r.k1.split(':') as [string, string];
      ((accelerators[kind] ??= { present: {}, ready: {} }).ready[runtime] ??= {})[r.k2] = r.n;
    }
    const kernels = (await this.counts('kernel', 'n DESC, k1', 100)).map((k) => ({
      release: k.k1 === '' ? null : k.k1,
      nodes: k.n,
    }));
    // The hundred vulnerabilities on most nodes, summed per id in the database (ties: unknown, then id).
    const sum = (k2: string) => `SUM(CASE WHEN k2 = '${k2}' THEN n ELSE 0 END)`;
    const vulnerabilities = (
      await this.db.all<{ id: string; affected: unknown; unknown: unknown; mitigated: unknown }>(
        `SELECT k1 AS id, ${sum('affected')} AS affected, ${sum('unknown')} AS unknown, ${sum('mitigated')} AS mitigated
         FROM fleet_counts WHERE metric = 'vuln' AND n > 0 GROUP BY k1
         ORDER BY 2 DESC, 3 DESC, k1 LIMIT 100`,
      )
    ).map((v) => ({
      id: v.id,
      affected: num(v.affected),
      unknown: num(v.unknown),
      mitigated: num(v.mitigated),
      // The server's own advisory database, never a node's words.
      severity: vulnFacts(v.id).severity,
      summary: vulnFacts(v.id).summary,
    }));
    const rules = (await this.counts('rule', 'n DESC, k1', 100)).map((c) => ({
      id: c.k1,
      title: ruleFacts(c.k1).title,
      severity: c.k2,
      failing: c.n,
    }));
    return {
      nodes: await single('nodes'),
      stale,
      critical_nodes: await single('critical_nodes'),
      vulnerable_nodes: await single('vulnerable_nodes'),
      readiness,
      verdicts,
      severity_nodes,
      accelerators,
      kernels,
      vulnerabilities,
      rules,
    };
  }

  /** The last `days` days (up to 400) of the daily roll-ups, ending at `today` (YYYY-MM-DD, UTC). */
  trend(today: string, days: number): Promise<Trend> {
    return readTrend(this.db, today, Math.min(Math.max(1, days), 400));
  }

  /** One counter's daily values from the roll-ups: an advisory's affected nodes, a kernel's nodes. */
  series(metric: 'vuln' | 'kernel' | 'verdict' | 'severity_nodes', k1: string, today: string, days: number) {
    return readSeries(this.db, metric, k1, today, Math.min(Math.max(1, days), 400));
  }

  /**
   * The patch plan: actions grouped across nodes, the most risk removed first (equal risk: the one touching fewer
   * nodes first, less work for the same gain), each with its hostlist.
   */
  async plan(q: { offset: number; limit: number; key?: string }): Promise<PlanPage> {
    const where = `c.metric = 'action' AND c.n > 0${q.key ? ' AND c.k1 = ?' : ''}`;
    const keyParam = q.key ? [q.key] : [];
    const total = num(
      (
        await this.db.all<{ n: unknown }>(`SELECT COUNT(*) AS n FROM fleet_counts c WHERE ${where}`, keyParam)
      )[0]?.n,
    );
    const rows = await this.db.all<{
      key: string;
      kind: string;
      title: string;
      fixes: string;
      n: unknown;
      weight: unknown;
    }>(
      `SELECT c.k1 AS key, a.kind, a.title, a.fixes, c.n, c.weight FROM fleet_counts c JOIN actions a ON a.action_key = c.k1
       WHERE ${where} ORDER BY c.weight DESC, c.n, a.title LIMIT ? OFFSET ?`,
      [...keyParam, Math.min(Math.max(1, q.limit), 500), Math.max(0, q.offset)],
    );
    const items: PlanItem[] = [];
    for (const [i, r] of rows.entries()) {
      const hosts = await this.db.all<{ hostname: string }>(
        'SELECT hostname FROM node_actions WHERE action_key = ? ORDER BY hostname LIMIT ?',
        [r.key, HOSTLIST_LIMIT],
      );
      items.push({
        rank: Math.max(0, q.offset) + i + 1,
        key: r.key,
        kind: r.kind,
        title: r.title,
        fixes: JSON.parse(r.fixes) as string[],
        nodes: num(r.n),
        weight: num(r.weight),
        hostlist: compressHostlist(hosts.map((h) => h.hostname).filter((h) => PLAIN_HOSTNAME.test(h))),
        hostlist_truncated: num(r.n) > hosts.length,
        hostlist_excluded: hosts.filter((h) => !PLAIN_HOSTNAME.test(h.hostname)).length,
      });
    }
    return { total, items };
  }
}

function normalize(r: NodeRow): NodeRow {
  return {
    hostname: r.hostname,
    report_id: r.report_id,
    generated_at: num(r.generated_at),
    received_at: num(r.received_at),
    kernel_release: r.kernel_release,
    os: r.os,
    fail_critical: num(r.fail_critical),
    fail_high: num(r.fail_high),
    vulns_affected: num(r.vulns_affected),
  };
}
