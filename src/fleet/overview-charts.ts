// The overview's pictures from the fleet's counters: each chart as SVG, its text alternative and the table behind it.
import { renderBars, barsSummary, type BarsData } from '../render/chart-bars.js';
import type { FillName } from '../render/chart-fills.js';
import { renderStackedBars, stackedBarsSummary, type StackedBarsData } from '../render/chart-stacked-bars.js';
import { renderTrend, trendSummary, type TrendData } from '../render/chart-trend.js';
import { pct } from '../render/svg.js';
import type { Trend } from './store/daily-rollups.js';
import { groupKernels } from './kernel-groups.js';
import { VERDICT_LABEL, VERDICTS, type Verdict } from './runtime-verdict.js';
import type { ChartCell as Cell, ChartPanel, PlanItem, Summary } from '../schema/fleet-api.js';

// A panel's shape (svg, alt, the table behind it) is declared with the overview's answer in schema/fleet-api.ts.
export type { Cell, ChartPanel };

/** A dashboard route, encoded as the page's own links are (client/dom.ts route). */
export function route(path: string, params: Record<string, string | number> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) q.set(k, String(v));
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

const VERDICT_FILL: Record<Verdict, FillName> = {
  ready: 'good',
  degraded: 'warn',
  blocked: 'bad',
  unknown: 'unknown',
  'not-installed': 'absent',
};

export function readinessChart(s: Summary, width = 600): ChartPanel {
  // Runtimes installed on most nodes first; a runtime no node has installed still shows (as not installed).
  const installedOn = (rt: string) =>
    VERDICTS.reduce((n, v) => n + (v === 'not-installed' ? 0 : (s.verdicts[rt]?.[v] ?? 0)), 0);
  const runtimes = Object.keys(s.verdicts).sort(
    (a, b) => installedOn(b) - installedOn(a) || (a < b ? -1 : 1),
  );
  // A runtime no node has installed gets no bar of its own (a wall of grey); the line under the bars names it.
  const shown = runtimes.filter((rt) => installedOn(rt) > 0);
  const absent = runtimes.filter((rt) => installedOn(rt) === 0);
  const data: StackedBarsData = {
    id: 'readiness',
    title: 'Readiness per runtime',
    unit: 'nodes',
    width,
    keys: VERDICTS.map((v) => ({ key: v, label: VERDICT_LABEL[v], fill: VERDICT_FILL[v] })),
    ...(absent.length ? { footnote: `Installed on no node: ${absent.join(', ')}` } : {}),
    rows: shown.map((rt) => ({
      label: rt,
      href: route('/matrix', { runtime: rt }),
      parts: Object.fromEntries(
        VERDICTS.map((v) => [
          v,
          { n: s.verdicts[rt]?.[v] ?? 0, href: route('/nodes', { runtime: rt, verdict: v }) },
        ]),
      ),
    })),
  };
  return {
    id: data.id,
    title: data.title,
    svg: renderStackedBars(data),
    alt: stackedBarsSummary(data),
    columns: ['Runtime', ...VERDICTS.map((v) => VERDICT_LABEL[v])],
    rows: runtimes.map((rt) => {
      const total = VERDICTS.reduce((sum, v) => sum + (s.verdicts[rt]?.[v] ?? 0), 0);
      return [
        rt,
        ...VERDICTS.map((v): Cell => {
          const n = s.verdicts[rt]?.[v] ?? 0;
          return n
            ? { text: `${n} (${pct(n, total)})`, href: route('/nodes', { runtime: rt, verdict: v }) }
            : '0';
        }),
      ];
    }),
  };
}

export function kernelChart(s: Summary, width = 600, maxBars = 12): ChartPanel {
  const groups = groupKernels(s.kernels);
  const href = (release: string | null) => route('/nodes', { kernel: release ?? '' });
  const data: BarsData = {
    id: 'kernels',
    title: 'Kernels by family and version, newest first',
    unit: 'nodes',
    mono: true,
    width,
    maxBars,
    groups: groups.map((g) => ({
      heading: `${g.group} (${g.nodes} nodes)`,
      bars: g.releases.map((r) => ({ label: r.release ?? '(unknown)', n: r.nodes, href: href(r.release) })),
    })),
  };
  return {
    id: data.id,
    title: data.title,
    svg: renderBars(data),
    alt: barsSummary(data),
    columns: ['Family', 'Release', 'Nodes'],
    rows: groups.flatMap((g) =>
      g.releases.map((r) => [
        g.group,
        { text: r.release ?? '(unknown)', code: true },
        { text: String(r.nodes), href: href(r.release) },
      ]),
    ),
  };
}

const SEVERITIES: [string, FillName][] = [
  ['critical', 'critical'],
  ['high', 'high'],
  ['medium', 'medium'],
  ['low', 'low'],
  ['unknown', 'unknown'],
];

export function severityChart(s: Summary, width = 600): ChartPanel {
  const known = new Set(SEVERITIES.map(([k]) => k));
  const rows: [string, FillName][] = [
    ...SEVERITIES,
    ...Object.keys(s.severity_nodes)
      .filter((k) => !known.has(k))
      .map((k): [string, FillName] => [k, 'unknown']),
  ];
  const data: BarsData = {
    id: 'severity',
    title: 'Nodes affected, by advisory severity',
    unit: 'nodes',
    width,
    groups: [
      {
        bars: rows.map(([sev, fill]) => ({
          label: sev,
          n: s.severity_nodes[sev] ?? 0,
          fill,
          note: `${pct(s.severity_nodes[sev] ?? 0, s.nodes)} of ${s.nodes}`,
          href: route('/nodes', { vulnerable: 1 }),
        })),
      },
    ],
  };
  return {
    id: data.id,
    title: data.title,
    svg: renderBars(data),
    alt: `${barsSummary(data)} A node with advisories of several severities counts once in each.`,
    columns: ['Severity', 'Nodes with an affected advisory', 'Share of the fleet'],
    rows: rows.map(([sev]) => [sev, s.severity_nodes[sev] ?? 0, pct(s.severity_nodes[sev] ?? 0, s.nodes)]),
  };
}

export function planChart(plan: { total: number; items: PlanItem[] }, width = 600): ChartPanel {
  const data: BarsData = {
    id: 'plan',
    title: `Patch plan: the top ${plan.items.length} of ${plan.total} steps, most risk removed first`,
    unit: 'nodes',
    labelAbove: true,
    width,
    groups: [
      {
        bars: plan.items.map((i) => ({
          label: `${i.rank}. ${i.title}`,
          n: i.nodes,
          href: route('/nodes', { action: i.key }),
          fill: i.kind === 'rule-fix' ? 'unknown' : 'neutral',
          note: `risk removed ${i.weight}`,
        })),
      },
    ],
  };
  return {
    id: data.id,
    title: data.title,
    svg: renderBars(data),
    alt: barsSummary(data),
    columns: ['#', 'Step', 'Nodes', 'Hosts'],
    rows: plan.items.map((i) => [
      i.rank,
      i.title,
      { text: String(i.nodes), href: route('/nodes', { action: i.key }) },
      { text: i.hostlist + (i.hostlist_truncated ? ' …' : ''), hostlist: true },
    ]),
  };
}

/** Lines told apart by dash pattern as well as colour (grey scale), and named at their ends. */
const LINES: { colour: string; dash?: string }[] = [
  { colour: '#b3261e' },
  { colour: '#1f5f9e', dash: '6 3' },
  { colour: '#2e7d32', dash: '2 3' },
  { colour: '#7a4c9e', dash: '8 3 2 3' },
  { colour: '#5f6b76', dash: '1 5' },
];

/** A trend chart over the roll-ups' days, with the table behind it (newest day first). */
function trendPanel(
  t: Trend,
  chart: Pick<TrendData, 'id' | 'title' | 'unit' | 'series' | 'max'>,
  columns: string[],
  width: number,
): ChartPanel {
  const data: TrendData = { ...chart, days: t.days, width, height: 170 };
  return {
    id: data.id,
    title: data.title,
    svg: renderTrend(data),
    alt: trendSummary(data),
    columns: ['Day', ...columns],
    rows: t.days
      .map((day, i) => [day, ...data.series.map((s) => (s.values[i] === null ? '—' : String(s.values[i])))])
      .reverse(),
  };
}

export function affectedTrendChart(t: Trend, width = 600): ChartPanel {
  const sev = ['critical', 'high'].filter((s) => t.severity_nodes[s]?.some((v) => v));
  const series = [
    { label: 'affected', values: t.vulnerable_nodes, ...LINES[0]! },
    ...sev.map((s, k) => ({ label: s, values: t.severity_nodes[s]!, ...LINES[k + 1]! })),
    { label: 'all nodes', values: t.nodes, ...LINES[4]! },
  ];
  return trendPanel(
    t,
    {
      id: 'trend-affected',
      title: `Nodes with an affected advisory, last ${t.days.length} days`,
      unit: 'nodes',
      series,
    },
    series.map((s) => s.label),
    width,
  );
}

export function readinessTrendChart(t: Trend, width = 600): ChartPanel {
  const installed = (rt: string, i: number) =>
    Object.entries(t.verdicts[rt] ?? {}).reduce(
      (n, [v, s]) => n + (v === 'not-installed' ? 0 : (s[i] ?? 0)),
      0,
    );
  const lastDay = t.days.length - 1;
  const runtimes = Object.keys(t.verdicts)
    .filter((rt) => t.days.some((_, i) => installed(rt, i) > 0))
    .sort((a, b) => installed(b, lastDay) - installed(a, lastDay) || (a < b ? -1 : 1))
    .slice(0, 4);
  const series = runtimes.map((rt, k) => ({
    label: rt,
    ...LINES[k]!,
    values: t.days.map((_, i) => {
      // No roll-up that day: unknown; a roll-up without ready nodes of this runtime: 0%.
      const n = installed(rt, i);
      if (t.nodes[i] === null || n === 0) return null;
      return Math.round((1000 * (t.verdicts[rt]?.ready?.[i] ?? 0)) / n) / 10;
    }),
  }));
  return trendPanel(
    t,
    {
      id: 'trend-readiness',
      title: `Ready share of installed nodes, last ${t.days.length} days`,
      unit: '%',
      max: 100,
      series,
    },
    runtimes.map((rt) => `${rt} ready %`),
    width,
  );
}
