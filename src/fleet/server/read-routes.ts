// The admin's read API: summary sections, nodes, node detail, plan, drift; every table also as CSV (?format=csv).
import { renderCsv } from '../../render/csv.js';
import { NODE_CSV_COLUMNS, nodeCsvCells } from '../../render/render-fleet.js';
import type { FleetReader, NodeQuery } from '../store/fleet-reader.js';
import type {
  DriftPage,
  MatrixPage,
  NodeDetail,
  NodesPage,
  Overview,
  PartitionGrid,
  PlanPage,
  Summary,
  SummarySection,
} from '../../schema/fleet-api.js';
import {
  affectedTrendChart,
  kernelChart,
  planChart,
  readinessChart,
  readinessTrendChart,
  severityChart,
} from '../overview-charts.js';
import { utcDay } from '../store/daily-rollups.js';
import { deviceMatrix, matrixRuntimes, partitionGrid } from '../node-grid.js';
import { isAcceleratorKind } from '../store/accelerator-state.js';
import type { ApiResponse } from './app.js';
import { errorResponse, jsonResponse, SECURITY_HEADERS } from './responses.js';

const iso = (ms: number) => new Date(ms).toISOString();

export { jsonResponse };

function table(name: string, format: string | null, columns: string[], rows: unknown[][], json: unknown) {
  if (format !== 'csv') return jsonResponse(200, json);
  return {
    status: 200,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="ctrsafe-${name}.csv"`,
    },
    body: renderCsv(columns, rows),
  };
}

/** Each section's CSV columns and rows, and its JSON: the summary's own part (schema/fleet-api.ts SUMMARY_SECTIONS). */
const SECTIONS: {
  [K in SummarySection]: (s: Summary) => [string[], unknown[][], Summary[K]];
} = {
  readiness: (s) => [
    ['runtime', 'yes', 'no', 'unknown'],
    Object.entries(s.readiness).map(([rt, by]) => [rt, by.yes ?? 0, by.no ?? 0, by.unknown ?? 0]),
    s.readiness,
  ],
  kernels: (s) => [['kernel_release', 'nodes'], s.kernels.map((k) => [k.release, k.nodes]), s.kernels],
  vulnerabilities: (s) => [
    ['id', 'severity', 'affected', 'unknown', 'mitigated', 'summary'],
    s.vulnerabilities.map((v) => [v.id, v.severity, v.affected, v.unknown, v.mitigated, v.summary]),
    s.vulnerabilities,
  ],
  rules: (s) => [
    ['id', 'severity', 'title', 'failing_nodes'],
    s.rules.map((r) => [r.id, r.severity, r.title, r.failing]),
    s.rules,
  ],
};

const NODE_FILTERS = [
  'search',
  'kernel',
  'runtime',
  'ready',
  'verdict',
  'device',
  'partition',
  'rule',
  'vuln',
  'vuln_status',
  'action',
] as const;

/** Answers an admin GET, or null when the path is not one of these routes. */
export async function readRoute(
  store: FleetReader,
  url: URL,
  now: number,
  staleMs: number,
): Promise<ApiResponse | null> {
  const q = url.searchParams;
  const format = q.get('format');
  const int = (k: string, d: number) => (/^\d{1,9}$/.test(q.get(k) ?? '') ? Number(q.get(k)) : d);
  // An export (?format=csv or ?format=json) takes the whole filtered table; a page takes at most 1,000 rows.
  const exporting = format === 'csv' || format === 'json';
  const limit = (d: number) => Math.min(int('limit', exporting ? 100_000 : d), exporting ? 100_000 : 1000);
  const p = url.pathname;
  if (p === '/api/v1/summary')
    return jsonResponse(200, (await store.summary(now, staleMs)) satisfies Summary);
  if (p === '/api/v1/overview') {
    // The first screen: the cards' counts and every chart, drawn here (the page ships no chart code).
    // The trend reads the daily roll-ups only: 30 or 90 days cost the same few thousand rows at any fleet size.
    const days = q.get('days') === '90' ? 90 : 30;
    const [s, plan, trend] = [
      await store.summary(now, staleMs),
      await store.plan({ offset: 0, limit: 5 }),
      await store.trend(utcDay(now), days),
    ];
    return jsonResponse(200, {
      nodes: s.nodes,
      stale: s.stale,
      critical_nodes: s.critical_nodes,
      vulnerable_nodes: s.vulnerable_nodes,
      days,
      charts: [
        readinessChart(s),
        kernelChart(s),
        planChart(plan),
        severityChart(s),
        affectedTrendChart(trend),
        readinessTrendChart(trend),
      ],
    } satisfies Overview);
  }
  const section = /^\/api\/v1\/summary\/([a-z]+)$/.exec(p)?.[1];
  if (section && Object.hasOwn(SECTIONS, section)) {
    const [cols, rows, json] = SECTIONS[section as SummarySection](await store.summary(now, staleMs));
    return table(section, format, cols, rows, json);
  }
  /** The node table's filters from the query string, shared by the nodes, the matrix and the grid. */
  const nodeQuery = (pageSize: number): NodeQuery => {
    const query: NodeQuery = { offset: int('offset', 0), limit: pageSize };
    for (const k of NODE_FILTERS) {
      const v = q.get(k);
      if (v !== null && (v !== '' || k === 'kernel')) query[k] = v.slice(0, 253);
    }
    if (q.get('stale') === '1') query.staleBefore = now - staleMs;
    if (q.get('critical') === '1') query.critical = true;
    if (q.get('vulnerable') === '1') query.vulnerable = true;
    const sort = q.get('sort');
    if (sort === 'risk' || sort === 'received' || sort === 'hostname') query.sort = sort;
    return query;
  };
  if (p === '/api/v1/matrix') {
    // ?device=gpu|rdma: the nodes with that device, each cell the runtime's readiness for it (issue 19).
    const r = await store.nodeViews(nodeQuery(Math.min(int('limit', 200), 1000)));
    const device = q.get('device');
    if (device !== null && isAcceleratorKind(device)) {
      const nodes = deviceMatrix(r.nodes, device);
      return jsonResponse(200, {
        ...r,
        device,
        nodes,
        runtimes: matrixRuntimes(nodes),
      } satisfies MatrixPage);
    }
    return jsonResponse(200, { ...r, runtimes: matrixRuntimes(r.nodes) } satisfies MatrixPage);
  }
  if (p === '/api/v1/grid') {
    // Every node (up to 20,000) coloured by one runtime's verdict; the runtime installed on most nodes by default.
    const query = nodeQuery(20_000);
    const runtime = query.runtime ?? (await mostInstalled(store, now, staleMs));
    delete query.runtime;
    const grid = partitionGrid((await store.nodeViews({ ...query, offset: 0 })).nodes, runtime);
    return jsonResponse(200, grid satisfies PartitionGrid);
  }
  if (p === '/api/v1/nodes') {
    const query = nodeQuery(limit(100));
    const r = await store.listNodes(query);
    return table(
      'nodes',
      format,
      [...NODE_CSV_COLUMNS, 'stale'],
      r.nodes.map((n) => [...nodeCsvCells(n), n.generated_at < now - staleMs]),
      { ...r, stale_before: now - staleMs } satisfies NodesPage,
    );
  }
  const nodeMatch = /^\/api\/v1\/nodes\/([^/]{1,800})$/.exec(p);
  if (nodeMatch) {
    let hostname: string;
    try {
      hostname = decodeURIComponent(nodeMatch[1]!);
    } catch {
      return errorResponse(400, 'malformed node name');
    }
    const n = await store.node(hostname);
    if (!n) return errorResponse(404, 'no such node');
    return jsonResponse(200, {
      row: n.row,
      report: n.report,
      stale: n.row.generated_at < now - staleMs,
      actions: await store.nodeActions(hostname),
      transitions: await store.transitions(hostname),
    } satisfies NodeDetail);
  }
  if (p === '/api/v1/plan') {
    const key = q.get('action');
    const r = await store.plan({
      offset: int('offset', 0),
      limit: Math.min(limit(50), 500),
      ...(key ? { key } : {}),
    });
    return table(
      'plan',
      format,
      [
        'rank',
        'kind',
        'action',
        'nodes',
        'risk_removed',
        'hostlist',
        'hostlist_truncated',
        'hostlist_excluded',
        'fixes',
      ],
      r.items.map((i) => [
        i.rank,
        i.kind,
        i.title,
        i.nodes,
        i.weight,
        i.hostlist,
        i.hostlist_truncated,
        i.hostlist_excluded,
        i.fixes.join(' '),
      ]),
      r satisfies PlanPage,
    );
  }
  if (p === '/api/v1/drift') {
    const since = q.get('since');
    const r = await store.drift({
      offset: int('offset', 0),
      limit: Math.min(limit(100), 10_000),
      ...(since && !Number.isNaN(Date.parse(since)) ? { since: Date.parse(since) } : {}),
    });
    return table(
      'drift',
      format,
      ['at', 'hostname', 'subject', 'old_value', 'new_value'],
      r.rows.map((d) => [iso(d.at), d.hostname, d.subject, d.old_value, d.new_value]),
      r satisfies DriftPage,
    );
  }
  return null;
}

async function mostInstalled(store: FleetReader, now: number, staleMs: number): Promise<string> {
  const v = (await store.summary(now, staleMs)).verdicts;
  const installed = (rt: string) =>
    Object.entries(v[rt] ?? {}).reduce((n, [k, c]) => n + (k === 'not-installed' ? 0 : c), 0);
  return Object.keys(v).sort((a, b) => installed(b) - installed(a) || (a < b ? -1 : 1))[0] ?? 'apptainer';
}
