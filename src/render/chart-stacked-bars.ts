// A horizontal stacked bar per row (readiness per runtime): data in, SVG text out, pure; d3-scale places the parts.
import { scaleLinear } from 'd3-scale';
import { fillDefs, fillOf, inkOn, type FillName } from './chart-fills.js';
import { el, fit, link, pct, safeId, svgRoot, text, textWidth, tip } from './svg.js';

export interface StackedBarsData {
  id: string;
  title: string;
  /** The parts of every bar, in stacking order, with their legend label and fill. */
  keys: { key: string; label: string; fill: FillName }[];
  rows: { label: string; href?: string; parts: Record<string, { n: number; href?: string }> }[];
  /** The noun of the counts ("nodes"). */
  unit: string;
  width?: number;
  /** A line under the bars (what the bars leave out, said). */
  footnote?: string;
}

const ROW = 30;
const BAR = 20;
const LEGEND = 26;

/** The text alternative: every bar's parts in words, as the table behind the chart has them. */
export function stackedBarsSummary(d: StackedBarsData): string {
  if (!d.rows.length) return `${d.title}: no data.`;
  return `${d.title}. ${d.footnote ? `${d.footnote}. ` : ''}${d.rows
    .map((r) => {
      const total = d.keys.reduce((s, k) => s + (r.parts[k.key]?.n ?? 0), 0);
      const parts = d.keys
        .filter((k) => r.parts[k.key]?.n)
        .map((k) => `${r.parts[k.key]!.n} ${k.label} (${pct(r.parts[k.key]!.n, total)})`);
      return `${r.label}: ${parts.join(', ') || `no ${d.unit}`}`;
    })
    .join('; ')}.`;
}

export function renderStackedBars(d: StackedBarsData): string {
  const width = d.width ?? 600;
  const prefix = safeId(d.id);
  const labelW = Math.min(180, Math.max(60, ...d.rows.map((r) => textWidth(r.label, 12) + 10)));
  const totals = d.rows.map((r) => d.keys.reduce((s, k) => s + (r.parts[k.key]?.n ?? 0), 0));
  const max = Math.max(1, ...totals);
  const x = scaleLinear()
    .domain([0, max])
    .range([labelW, width - 8]);
  const height = LEGEND + Math.max(1, d.rows.length) * ROW + (d.footnote ? 22 : 4);
  const bars = d.rows.map((r, i) => {
    const y = LEGEND + i * ROW;
    let at = 0;
    const segs = d.keys.map((k) => {
      const n = r.parts[k.key]?.n ?? 0;
      if (n <= 0) return '';
      const x0 = x(at);
      const w = x(at + n) - x0;
      at += n;
      const words = `${r.label}: ${n} ${d.unit} ${k.label} (${pct(n, totals[i]!)})`;
      const num = String(n);
      const label =
        w >= textWidth(num, 11) + 6
          ? text(
              {
                x: x0 + w / 2,
                y: y + BAR / 2 + 4,
                'text-anchor': 'middle',
                'font-size': 11,
                fill: inkOn(k.fill),
                // A halo of the opposite ink keeps the count legible over the pattern's marks.
                stroke: inkOn(k.fill) === '#fff' ? '#000000' : '#ffffff',
                'stroke-width': 3,
                'stroke-opacity': 0.6,
                'paint-order': 'stroke',
                'pointer-events': 'none',
              },
              num,
            )
          : '';
      return link(
        r.parts[k.key]?.href,
        el(
          'g',
          { class: 'part' },
          tip(words),
          el('rect', {
            x: x0,
            y,
            width: Math.max(w, 1),
            height: BAR,
            fill: fillOf(prefix, k.fill),
            stroke: '#ffffff',
            'stroke-width': 1,
          }),
          label,
        ),
      );
    });
    return el(
      'g',
      {},
      link(
        r.href,
        text({ x: labelW - 8, y: y + BAR / 2 + 4, 'text-anchor': 'end' }, fit(r.label, labelW - 10, 12)),
      ),
      ...segs,
    );
  });
  // The legend names every part with its fill: colour and pattern, so grey scale still tells them apart.
  let lx = labelW;
  const legend = d.keys.map((k) => {
    const g = el(
      'g',
      {},
      el('rect', {
        x: lx,
        y: 4,
        width: 14,
        height: 14,
        fill: fillOf(prefix, k.fill),
        stroke: '#5f6b76',
        'stroke-width': 0.5,
      }),
      text({ x: lx + 18, y: 15 }, k.label),
    );
    lx += 18 + textWidth(k.label, 12) + 16;
    return g;
  });
  const foot = d.footnote ? text({ x: 0, y: height - 8, fill: '#5f6b76' }, fit(d.footnote, width, 12)) : '';
  return svgRoot(
    { id: d.id, width, height, title: d.title, desc: stackedBarsSummary(d) },
    fillDefs(
      prefix,
      d.keys.map((k) => k.fill),
    ),
    ...legend,
    ...bars,
    foot,
  );
}
