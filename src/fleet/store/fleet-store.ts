// The fleet store: one implementation over either database driver: idempotent ingest, latest state, transitions, summary.
import type { NodeReport } from '../validate-report.js';
import { migrate } from './migrations.js';
import type { SqlDriver } from './sql-driver.js';

export interface IngestResult {
  stored: boolean;
  /** Why a report was not stored as the latest: a duplicate id, or older than what the node already sent. */
  note?: 'duplicate' | 'older';
  transitions: number;
}

export interface NodeRow {
  hostname: string;
  report_id: string;
  generated_at: number;
  received_at: number;
  kernel_release: string | null;
  os: string | null;
  fail_critical: number;
  fail_high: number;
  vulns_affected: number;
}

export interface Summary {
  nodes: number;
  stale: number;
  readiness: Record<string, Record<string, number>>;
  kernels: { release: string | null; nodes: number }[];
  vulnerabilities: { id: string; affected: number; severity: string }[];
}

const count = (fs: NodeReport['findings'], sev: string) =>
  fs.filter((f) => f.status === 'fail' && f.severity === sev).length;

export class FleetStore {
  constructor(private readonly db: SqlDriver) {}

  async migrate(): Promise<number> {
    return migrate(this.db);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Stores a validated report once (by report_id) and records what changed on the node, in one transaction. */
  async ingest(r: NodeReport, receivedAt: number): Promise<IngestResult> {
    const host = r.host.hostname;
    const generated = Date.parse(r.generated_at);
    return this.db.transaction(async (tx) => {
      const fresh = await tx.run(
        'INSERT INTO reports_seen (report_id, hostname, received_at) VALUES (?, ?, ?) ON CONFLICT (report_id) DO NOTHING',
        [r.report_id, host, receivedAt],
      );
      if (fresh === 0) return { stored: false, note: 'duplicate', transitions: 0 };
      const cur = (
        await tx.all<{ generated_at: number | string; kernel_release: string | null }>(
          'SELECT generated_at, kernel_release FROM nodes WHERE hostname = ?',
          [host],
        )
      )[0];
      // A spooled report that arrives after a newer one is kept as seen but does not replace the node's state.
      if (cur && Number(cur.generated_at) > generated) return { stored: true, note: 'older', transitions: 0 };
      const changes: [string, string | null, string | null][] = [];
      if (cur && cur.kernel_release !== r.host.kernel.release)
        changes.push(['kernel', cur.kernel_release, r.host.kernel.release]);
      const oldRt = new Map(
        (
          await tx.all<{ runtime: string; ready: string; risk: string }>(
            'SELECT runtime, ready, risk FROM node_runtimes WHERE hostname = ?',
            [host],
          )
        ).map((x) => [x.runtime, x]),
      );
      for (const rt of r.runtimes) {
        const o = oldRt.get(rt.id);
        if (cur && o?.ready !== rt.ready)
          changes.push([`runtime.${rt.id}.ready`, o?.ready ?? null, rt.ready]);
        if (cur && o?.risk !== rt.risk) changes.push([`runtime.${rt.id}.risk`, o?.risk ?? null, rt.risk]);
      }
      const oldV = new Map(
        (
          await tx.all<{ vuln_id: string; status: string }>(
            'SELECT vuln_id, status FROM node_vulns WHERE hostname = ?',
            [host],
          )
        ).map((x) => [x.vuln_id, x.status]),
      );
      const newV = new Map(r.vulnerabilities.map((v) => [v.id, v]));
      if (cur) {
        for (const [id, v] of newV)
          if (oldV.get(id) !== v.status) changes.push([`vuln.${id}`, oldV.get(id) ?? null, v.status]);
        for (const [id, s] of oldV) if (!newV.has(id)) changes.push([`vuln.${id}`, s, null]);
      }
      const vulnsAffected = r.vulnerabilities.filter((v) => v.status === 'affected').length;
      const os = r.host.os.id ? `${r.host.os.id} ${r.host.os.version_id ?? ''}`.trim() : null;
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
          r.host.kernel.release,
          r.host.kernel.distro_kernel ? 1 : 0,
          os,
          count(r.findings, 'critical'),
          count(r.findings, 'high'),
          vulnsAffected,
          JSON.stringify(r),
        ],
      );
      await tx.run('DELETE FROM node_runtimes WHERE hostname = ?', [host]);
      for (const rt of r.runtimes)
        await tx.run('INSERT INTO node_runtimes (hostname, runtime, ready, risk) VALUES (?, ?, ?, ?)', [
          host,
          rt.id,
          rt.ready,
          rt.risk,
        ]);
      await tx.run('DELETE FROM node_vulns WHERE hostname = ?', [host]);
      for (const v of newV.values())
        await tx.run('INSERT INTO node_vulns (hostname, vuln_id, status, severity) VALUES (?, ?, ?, ?)', [
          host,
          v.id,
          v.status,
          v.severity,
        ]);
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
    });
  }

  async node(hostname: string): Promise<{ row: NodeRow; report: unknown } | null> {
    const rows = await this.db.all<NodeRow & { report: string }>('SELECT * FROM nodes WHERE hostname = ?', [
      hostname,
    ]);
    if (!rows[0]) return null;
    const { report, ...row } = rows[0];
    return { row: normalize(row), report: JSON.parse(report) };
  }

  /** Server-side paging over nodes, filtered by hostname substring, kernel, or a runtime's readiness. */
  async listNodes(q: {
    offset: number;
    limit: number;
    search?: string;
    kernel?: string;
    runtime?: string;
    ready?: string;
  }): Promise<{ total: number; nodes: NodeRow[] }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.search) {
      where.push('hostname LIKE ?');
      params.push(`%${q.search.replace(/[%_\\]/g, '')}%`);
    }
    if (q.kernel) {
      where.push('kernel_release = ?');
      params.push(q.kernel);
    }
    if (q.runtime && q.ready) {
      where.push('hostname IN (SELECT hostname FROM node_runtimes WHERE runtime = ? AND ready = ?)');
      params.push(q.runtime, q.ready);
    }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = Number(
      (await this.db.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM nodes ${w}`, params))[0]?.n ?? 0,
    );
    const rows = await this.db.all<NodeRow>(
      `SELECT hostname, report_id, generated_at, received_at, kernel_release, os, fail_critical, fail_high, vulns_affected FROM nodes ${w} ORDER BY hostname LIMIT ? OFFSET ?`,
      [...params, Math.min(Math.max(1, q.limit), 1000), Math.max(0, q.offset)],
    );
    return { total, nodes: rows.map(normalize) };
  }

  async transitions(
    hostname: string,
    limit = 200,
  ): Promise<{ at: number; subject: string; old_value: string | null; new_value: string | null }[]> {
    const rows = await this.db.all<{
      at: number | string;
      subject: string;
      old_value: string | null;
      new_value: string | null;
    }>(
      'SELECT at, subject, old_value, new_value FROM transitions WHERE hostname = ? ORDER BY at DESC, id DESC LIMIT ?',
      [hostname, limit],
    );
    return rows.map((x) => ({ ...x, at: Number(x.at) }));
  }

  /** Node counts, stale nodes (no report within staleMs), readiness per runtime, kernels, vulnerabilities by nodes affected. */
  async summary(now: number, staleMs: number): Promise<Summary> {
    const n = Number(
      (await this.db.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM nodes'))[0]?.n ?? 0,
    );
    const stale = Number(
      (
        await this.db.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM nodes WHERE received_at < ?', [
          now - staleMs,
        ])
      )[0]?.n ?? 0,
    );
    const readiness: Summary['readiness'] = {};
    for (const r of await this.db.all<{ runtime: string; ready: string; n: number | string }>(
      'SELECT runtime, ready, COUNT(*) AS n FROM node_runtimes GROUP BY runtime, ready',
    )) {
      (readiness[r.runtime] ??= {})[r.ready] = Number(r.n);
    }
    const kernels = (
      await this.db.all<{ release: string | null; n: number | string }>(
        'SELECT kernel_release AS release, COUNT(*) AS n FROM nodes GROUP BY kernel_release ORDER BY COUNT(*) DESC LIMIT 100',
      )
    ).map((k) => ({ release: k.release, nodes: Number(k.n) }));
    const vulnerabilities = (
      await this.db.all<{ id: string; n: number | string; severity: string }>(
        "SELECT vuln_id AS id, COUNT(*) AS n, MAX(severity) AS severity FROM node_vulns WHERE status = 'affected' GROUP BY vuln_id ORDER BY COUNT(*) DESC LIMIT 100",
      )
    ).map((v) => ({ id: v.id, affected: Number(v.n), severity: v.severity }));
    return { nodes: n, stale, readiness, kernels, vulnerabilities };
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
      for (const g of gone) {
        for (const t of ['node_runtimes', 'node_vulns', 'nodes'])
          await tx.run(`DELETE FROM ${t} WHERE hostname = ?`, [g.hostname]);
      }
      const transitions = await tx.run('DELETE FROM transitions WHERE at < ?', [before]);
      await tx.run('DELETE FROM reports_seen WHERE received_at < ?', [before]);
      return { nodes: gone.length, transitions };
    });
  }
}

function normalize(r: NodeRow): NodeRow {
  return {
    ...r,
    generated_at: Number(r.generated_at),
    received_at: Number(r.received_at),
    fail_critical: Number(r.fail_critical),
    fail_high: Number(r.fail_high),
    vulns_affected: Number(r.vulns_affected),
  };
}
