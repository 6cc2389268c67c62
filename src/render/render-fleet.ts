// The fleet from the command line (pure): summary, nodes and plan as text tables, CSV or JSON, times in ISO 8601.
import type { NodeRow, PlanItem, Summary } from '../schema/fleet-api.js';
import { renderCsv } from './csv.js';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Columns padded to their widest cell; the last column is not padded. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

export function nodesAsJson(r: { total: number; nodes: NodeRow[] }): string {
  return (
    JSON.stringify(
      {
        total: r.total,
        nodes: r.nodes.map((n) => ({
          ...n,
          generated_at: iso(n.generated_at),
          received_at: iso(n.received_at),
        })),
      },
      null,
      2,
    ) + '\n'
  );
}

const NODE_COLUMNS = ['HOST', 'KERNEL', 'OS', 'CRITICAL', 'HIGH', 'VULNERABLE', 'REPORTED'];

function nodeCells(n: NodeRow): string[] {
  return [
    n.hostname,
    n.kernel_release ?? '-',
    n.os ?? '-',
    String(n.fail_critical),
    String(n.fail_high),
    String(n.vulns_affected),
    iso(n.generated_at),
  ];
}

export function nodesAsText(r: { total: number; nodes: NodeRow[] }, offset: number): string {
  const shown = r.nodes.length
    ? `nodes ${offset + 1}-${offset + r.nodes.length} of ${r.total}`
    : `no nodes (of ${r.total})`;
  return table(NODE_COLUMNS, r.nodes.map(nodeCells)) + `${shown}\n`;
}

/** The columns every node CSV starts with (the CLI's and the API's), and their cells: one definition. */
export const NODE_CSV_COLUMNS = [
  'hostname',
  'kernel_release',
  'os',
  'fail_critical',
  'fail_high',
  'vulns_affected',
  'generated_at',
  'received_at',
] as const;

export function nodeCsvCells(n: NodeRow): (string | number | null)[] {
  return [
    n.hostname,
    n.kernel_release,
    n.os,
    n.fail_critical,
    n.fail_high,
    n.vulns_affected,
    iso(n.generated_at),
    iso(n.received_at),
  ];
}

export function nodesAsCsv(r: { nodes: NodeRow[] }): string {
  return renderCsv(
    [...NODE_CSV_COLUMNS, 'report_id'],
    r.nodes.map((n) => [...nodeCsvCells(n), n.report_id]),
  );
}

export function summaryAsText(s: Summary): string {
  const out = [
    `${s.nodes} nodes: ${s.critical_nodes} failing a critical rule, ${s.vulnerable_nodes} with an affected vulnerability, ${s.stale} stale`,
    '',
  ];
  const states = [...new Set(Object.values(s.readiness).flatMap((r) => Object.keys(r)))].sort();
  out.push(
    table(
      ['RUNTIME', ...states.map((x) => x.toUpperCase())],
      Object.entries(s.readiness).map(([id, r]) => [id, ...states.map((x) => String(r[x] ?? 0))]),
    ),
  );
  out.push(
    table(
      ['KERNEL', 'NODES'],
      s.kernels.map((k) => [k.release ?? 'unknown', String(k.nodes)]),
    ),
  );
  if (s.rules.length)
    out.push(
      table(
        ['RULE', 'SEVERITY', 'FAILING', 'TITLE'],
        s.rules.map((r) => [r.id, r.severity, String(r.failing), r.title]),
      ),
    );
  if (s.vulnerabilities.length)
    out.push(
      table(
        ['VULNERABILITY', 'SEVERITY', 'AFFECTED', 'UNKNOWN', 'MITIGATED', 'SUMMARY'],
        s.vulnerabilities.map((v) => [
          v.id,
          v.severity,
          String(v.affected),
          String(v.unknown),
          String(v.mitigated),
          v.summary.slice(0, 80),
        ]),
      ),
    );
  return out.join('\n');
}

export function summaryAsCsv(s: Summary): string {
  return renderCsv(
    ['section', 'id', 'state_or_severity', 'nodes', 'title'],
    [
      ...Object.entries(s.readiness).flatMap(([id, r]) =>
        Object.entries(r).map(([state, n]) => ['readiness', id, state, n, '']),
      ),
      ...s.kernels.map((k) => ['kernel', k.release ?? 'unknown', '', k.nodes, '']),
      ...s.rules.map((r) => ['rule', r.id, r.severity, r.failing, r.title]),
      ...s.vulnerabilities.map((v) => ['vulnerability', v.id, v.severity, v.affected, v.summary]),
    ],
  );
}

export function planAsText(plan: { total: number; items: PlanItem[] }): string {
  const out = [`${plan.total} actions, most risk removed first`];
  for (const i of plan.items)
    out.push(
      `${String(i.rank).padStart(3)}. ${i.title}\n     on ${i.nodes} node${i.nodes === 1 ? '' : 's'}: ${i.hostlist}${i.hostlist_truncated ? ' ...' : ''}${i.hostlist_excluded ? ` and ${i.hostlist_excluded} not plain host names` : ''} (risk removed ${i.weight})`,
    );
  return out.join('\n') + '\n';
}

export function planAsCsv(plan: { items: PlanItem[] }): string {
  return renderCsv(
    ['rank', 'kind', 'title', 'nodes', 'risk_removed', 'hostlist', 'fixes'],
    plan.items.map((i) => [i.rank, i.kind, i.title, i.nodes, i.weight, i.hostlist, i.fixes.join(' ')]),
  );
}
