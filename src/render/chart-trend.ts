// Lines over days (the trend of affected nodes and of readiness): data in, SVG text out; d3-shape draws the paths.
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { el, fit, svgRoot, text, textWidth, tip } from './svg.js';

export interface TrendData {
  id: string;
  title: string;
  /** UTC dates, oldest first. */
  days: string[];
  /** Each line: its values per day (null: no roll-up that day, drawn as a gap), colour and dash pattern. */
  series: { label: string; values: (number | null)[]; colour: string; dash?: string }[];
  /** "nodes" or "%": said on the axis and in the text alternative. */
  unit: string;
  /** The y axis tops at this at least (100 for shares). */
  max?: number;
  width?: number;
  height?: number;
}

const last = (v: (number | null)[]) => {
  for (let i = v.length - 1; i >= 0; i--) if (v[i] !== null) return { i, v: v[i]! };
  return null;
};
const first = (v: (number | null)[]) => {
  const i = v.findIndex((x) => x !== null);
  return i < 0 ? null : { i, v: v[i]! };
};
const fmt = (n: number, unit: string) => (unit === '%' ? `${Math.round(n * 10) / 10}%` : `${n} ${unit}`);

/** Each line from its first to its last known day, in words: what a sighted reader takes from the slope. */
export function trendSummary(d: TrendData): string {
  const span = `${d.days[0]} to ${d.days.at(-1)}`;
  const lines = d.series.map((s) => {
    const a = first(s.values);
    const b = last(s.values);
    if (!a || !b) return `${s.label}: no data`;
    const lo = Math.min(...s.values.filter((x): x is number => x !== null));
    const hi = Math.max(...s.values.filter((x): x is number => x !== null));
    return `${s.label}: ${fmt(a.v, d.unit)} on ${d.days[a.i]}, ${fmt(b.v, d.unit)} on ${d.days[b.i]} (lowest ${fmt(lo, d.unit)}, highest ${fmt(hi, d.unit)})`;
  });
  return `${d.title}, ${span}. ${lines.join('; ')}.`;
}

export function renderTrend(d: TrendData): string {
  const width = d.width ?? 600;
  const height = d.height ?? 200;
  const labels = d.series.map((s) => {
    const l = last(s.values);
    return l ? `${s.label} ${fmt(l.v, d.unit)}` : s.label;
  });
  const right = Math.min(220, Math.max(60, ...labels.map((l) => textWidth(l, 11) + 12)));
  const left = 40;
  const top = 10;
  const bottom = height - 22;
  const values = d.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const y = scaleLinear()
    .domain([0, Math.max(d.max ?? 1, ...values)])
    .nice(4)
    .range([bottom, top]);
  const x = scaleLinear()
    .domain([0, Math.max(1, d.days.length - 1)])
    .range([left, width - right]);
  const grid = y
    .ticks(4)
    .map((t) =>
      el(
        'g',
        {},
        el('line', { x1: left, x2: width - right, y1: y(t), y2: y(t), stroke: '#d9dee3', 'stroke-width': 1 }),
        text(
          { x: left - 4, y: y(t) + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#5f6b76' },
          d.unit === '%' ? `${t}%` : String(t),
        ),
      ),
    );
  const ticks = [0, Math.floor((d.days.length - 1) / 2), d.days.length - 1]
    .filter((i, k, a) => i >= 0 && a.indexOf(i) === k)
    .map((i) =>
      text(
        {
          x: x(i),
          y: height - 6,
          'font-size': 10,
          fill: '#5f6b76',
          'text-anchor': i === 0 ? 'start' : i === d.days.length - 1 ? 'end' : 'middle',
        },
        d.days[i] ?? '',
      ),
    );
  const path = line<number | null>()
    .defined((v) => v !== null)
    .x((_, i) => x(i))
    .y((v) => y(v ?? 0));
  // End labels, pushed apart so two lines ending at one value stay readable (the legend is the labels).
  const ends = d.series
    .map((s, k) => ({ k, at: last(s.values) }))
    .filter((e): e is { k: number; at: { i: number; v: number } } => e.at !== null)
    .map((e) => ({ k: e.k, x: x(e.at.i), y: y(e.at.v) }))
    .sort((a, b) => a.y - b.y);
  for (let i = 1; i < ends.length; i++) ends[i]!.y = Math.max(ends[i]!.y, ends[i - 1]!.y + 13);
  const lines = d.series.map((s, k) => {
    const end = ends.find((e) => e.k === k);
    return el(
      'g',
      {},
      tip(labels[k]!),
      el('path', {
        d: path(s.values) ?? '',
        fill: 'none',
        stroke: s.colour,
        'stroke-width': 2,
        'stroke-dasharray': s.dash,
      }),
      // One marker per known day, so a line of one day (a fresh server) still shows.
      ...s.values.flatMap((v, i) =>
        v === null || (d.days.length > 31 && i !== last(s.values)?.i)
          ? []
          : [el('circle', { cx: x(i), cy: y(v), r: 2, fill: s.colour })],
      ),
      end
        ? text(
            { x: width - right + 6, y: end.y + 4, 'font-size': 11, fill: '#1d2329' },
            fit(labels[k]!, right - 8, 11),
          )
        : '',
    );
  });
  return svgRoot(
    { id: d.id, width, height, title: d.title, desc: trendSummary(d) },
    ...grid,
    ...ticks,
    ...lines,
  );
}
